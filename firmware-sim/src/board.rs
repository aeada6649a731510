//! The Cyton firmware v3.1 (and the dongle in front of it) as a state machine: bytes from the
//! PC go in, text replies and 33-byte packets come out (protocol spec §2, §3, §5).
//!
//! Time is passed in by the caller (`now`, seconds on any monotonic clock), so the machine is
//! testable without sleeping.

use std::collections::VecDeque;

/// Gains by gain code `0`..`6`.
pub const GAINS: [u8; 7] = [1, 2, 4, 6, 8, 12, 24];
/// Sample rates by `~n` code `0`..`6`.
pub const RATES: [u32; 7] = [16000, 8000, 4000, 2000, 1000, 500, 250];
const EOT: &str = "$$$";
const COMMS_FAILURE: &str = "Failure: Communications timeout - Device failed to poll Host$$$";
const TIMEOUT_MSG: &str =
    "Timeout processing multi byte message - please send all commands at once as of v2$$$";

/// One channel's `x…X` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSet {
    pub powered: bool,
    pub gain_code: u8,
    pub input: u8,
    pub bias: bool,
    pub srb2: bool,
    pub srb1: bool,
    pub lead_off_p: bool,
    pub lead_off_n: bool,
}

impl Default for ChannelSet {
    fn default() -> Self {
        ChannelSet {
            powered: true,
            gain_code: 6,
            input: 0,
            bias: true,
            srb2: true,
            srb1: false,
            lead_off_p: false,
            lead_off_n: false,
        }
    }
}

impl ChannelSet {
    pub fn gain(&self) -> u8 {
        GAINS
            .get(usize::from(self.gain_code))
            .copied()
            .unwrap_or(24)
    }
}

/// Internal test signal (`-`, `=`, `p`, `[`, `]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestSignal {
    /// Amplitude in µV (1.875 mV for 1×, 3.75 mV for 2×); 0 for the `0` (ground) command.
    pub amplitude_uv: f64,
    /// Square-wave frequency in Hz; 0 for DC.
    pub freq_hz: f64,
}

/// Fixed behaviour of the simulated hardware.
#[derive(Debug, Clone)]
pub struct BoardConfig {
    /// A Daisy module is physically present.
    pub daisy: bool,
    /// Seconds between `v` and the banner (real boards about 1 s).
    pub reset_delay: f64,
    /// Binary junk before the banner, as from packets still in flight.
    pub garbage_on_reset: bool,
    /// The board is off / out of range: the dongle answers every command with a failure.
    pub board_off: bool,
}

impl Default for BoardConfig {
    fn default() -> Self {
        BoardConfig {
            daisy: false,
            reset_delay: 1.0,
            garbage_on_reset: false,
            board_off: false,
        }
    }
}

/// Something the board did that the run loop should know about.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardEvent {
    /// Streaming started (`b`) or the ADS restarted while streaming: the counter is 0 again.
    StreamStarted,
    StreamStopped,
    /// Garbage bytes were emitted before a banner (for the fault log).
    Garbage(usize),
}

/// The firmware state.
#[derive(Debug, Clone)]
pub struct Board {
    pub cfg: BoardConfig,
    pub daisy_attached: bool,
    pub streaming: bool,
    pub channels: [ChannelSet; 16],
    pub rate_code: u8,
    pub board_mode: u8,
    pub timestamps: bool,
    time_set_pending: bool,
    pub test_signal: Option<TestSignal>,
    marker: Option<u8>,
    multi: Option<(Vec<u8>, f64)>,
    banner_due: Option<f64>,
    radio_channel: u8,
    poll_time: u8,
    /// Text bytes waiting to go out.
    pub text_out: VecDeque<u8>,
    pub events: Vec<BoardEvent>,
    garbage_seed: u64,
}

impl Board {
    /// A board just powered on: silent, defaults, not streaming.
    pub fn new(cfg: BoardConfig) -> Self {
        let daisy = cfg.daisy;
        Board {
            cfg,
            daisy_attached: daisy,
            streaming: false,
            channels: [ChannelSet::default(); 16],
            rate_code: 6,
            board_mode: 0,
            timestamps: false,
            time_set_pending: false,
            test_signal: None,
            marker: None,
            multi: None,
            banner_due: None,
            radio_channel: 11,
            poll_time: 80,
            text_out: VecDeque::new(),
            events: Vec::new(),
            garbage_seed: 1,
        }
    }

    /// EEG channels in the stream: 16 with the Daisy attached.
    pub fn n_channels(&self) -> usize {
        if self.daisy_attached { 16 } else { 8 }
    }

    fn say(&mut self, s: &str) {
        self.text_out.extend(s.as_bytes());
    }

    fn say_idle(&mut self, s: &str) {
        if !self.streaming {
            self.say(s);
        }
    }

    fn restart_if_streaming(&mut self) {
        if self.streaming {
            self.events.push(BoardEvent::StreamStarted);
        }
    }

    /// The banner printed after `v`.
    pub fn banner(&self) -> String {
        let mut s = String::from("OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\n");
        if self.daisy_attached {
            s.push_str("On Daisy ADS1299 Device ID: 0x3E\n");
        }
        s.push_str("LIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$");
        s
    }

    /// Time passes: multi-byte timeouts, the delayed banner.
    pub fn poll(&mut self, now: f64) {
        if let Some((_, t0)) = &self.multi
            && now - t0 > 1.0
        {
            self.multi = None;
            self.say(TIMEOUT_MSG);
        }
        if let Some(due) = self.banner_due
            && now >= due
        {
            self.banner_due = None;
            let b = self.banner();
            self.say(&b);
        }
    }

    /// Bytes from the PC.
    pub fn input(&mut self, bytes: &[u8], now: f64) {
        self.poll(now);
        for &b in bytes {
            self.byte(b, now);
        }
    }

    fn byte(&mut self, b: u8, now: f64) {
        if let Some((mut buf, t0)) = self.multi.take() {
            buf.push(b);
            if self.multi_done(&buf) {
                self.finish_multi(&buf);
            } else {
                self.multi = Some((buf, t0));
            }
            return;
        }
        if self.cfg.board_off && b != 0xF0 {
            self.say(COMMS_FAILURE);
            return;
        }
        match b {
            b'x' | b'z' | b'~' | b'/' | b'`' | 0xF0 => self.multi = Some((vec![b], now)),
            b'v' => {
                let was = self.streaming;
                self.streaming = false;
                if was {
                    self.events.push(BoardEvent::StreamStopped);
                }
                self.channels = [ChannelSet::default(); 16];
                self.daisy_attached = self.cfg.daisy;
                self.test_signal = None;
                self.multi = None;
                if self.cfg.garbage_on_reset {
                    // Tail of packets in flight: binary bytes including headers and footers.
                    let n = 150;
                    for i in 0..n {
                        self.garbage_seed = crate::rng::mix(self.garbage_seed.wrapping_add(i));
                        let g = match i % 33 {
                            0 => 0xA0,
                            32 => 0xC0,
                            _ => self.garbage_seed as u8,
                        };
                        self.text_out.push_back(g);
                    }
                    self.events.push(BoardEvent::Garbage(n as usize));
                }
                self.banner_due = Some(now + self.cfg.reset_delay);
            }
            b'd' => {
                self.channels = [ChannelSet::default(); 16];
                self.test_signal = None;
                self.say_idle("updating channel settings to default$$$");
                self.restart_if_streaming();
            }
            b'D' => self.say("060110$$$"),
            b'b' => {
                self.streaming = true;
                // The radio path cannot carry more than 250 Hz: b forces it (spec §5.10).
                self.rate_code = 6;
                self.events.push(BoardEvent::StreamStarted);
            }
            b's' if self.streaming => {
                self.streaming = false;
                self.events.push(BoardEvent::StreamStopped);
            }
            b'1'..=b'8' => self.power(usize::from(b - b'1'), false),
            b'!' | b'@' | b'#' | b'$' | b'%' | b'^' | b'&' | b'*' => {
                let i = b"!@#$%^&*".iter().position(|&c| c == b).unwrap_or(0);
                self.power(i, true);
            }
            b'q' | b'w' | b'e' | b'r' | b't' | b'y' | b'u' | b'i' => {
                let i = b"qwertyui".iter().position(|&c| c == b).unwrap_or(0);
                if self.daisy_attached {
                    self.power(8 + i, false);
                }
            }
            b'Q' | b'W' | b'E' | b'R' | b'T' | b'Y' | b'U' | b'I' => {
                let i = b"QWERTYUI".iter().position(|&c| c == b).unwrap_or(0);
                if self.daisy_attached {
                    self.power(8 + i, true);
                }
            }
            b'0' | b'-' | b'=' | b'p' | b'[' | b']' => {
                let (amp, f) = match b {
                    b'0' => (0.0, 0.0),
                    b'-' => (1875.0, 0.98),
                    b'=' => (1875.0, 1.95),
                    b'p' => (1875.0, 0.0),
                    b'[' => (3750.0, 0.98),
                    _ => (3750.0, 1.95),
                };
                self.test_signal = Some(TestSignal {
                    amplitude_uv: amp,
                    freq_hz: f,
                });
                self.say_idle("Success: Configured internal test signal.$$$");
                self.restart_if_streaming();
            }
            b'?' if !self.streaming => {
                let dump = self.register_dump();
                self.say(&dump);
            }
            b'c' if self.daisy_attached => {
                self.daisy_attached = false;
                self.say_idle("daisy removed$$$");
            }
            b'C' => {
                if self.daisy_attached {
                    self.say("16$$$");
                } else if self.cfg.daisy {
                    self.daisy_attached = true;
                    self.say_idle("daisy attached");
                    self.say("16$$$");
                } else {
                    self.say_idle("no daisy to attach!");
                    self.say("8$$$");
                }
            }
            b'V' => self.say("v3.1.5$$$"),
            b'<' => {
                self.say(",");
                self.timestamps = true;
                self.time_set_pending = true;
                self.say_idle("Time stamp ON$$$");
            }
            b'>' => {
                self.timestamps = false;
                self.say_idle("Time stamp OFF$$$");
            }
            b'{' => self.say("Failure: Wifi not attached$$$"),
            b'}' => self.say("Failure: Wifi not removed$$$"),
            b':' => self.say("Wifi not present, send { to attach the shield$$$"),
            b';' => self.say("Wifi soft reset$$$"),
            _ => {}
        }
    }

    fn power(&mut self, ch: usize, on: bool) {
        if let Some(c) = self.channels.get_mut(ch) {
            c.powered = on;
            if !on {
                c.lead_off_p = false;
                c.lead_off_n = false;
            }
        }
        self.restart_if_streaming();
    }

    fn multi_done(&self, buf: &[u8]) -> bool {
        match buf.first() {
            Some(b'x') => buf.len() == 9 || (buf.len() < 9 && buf.last() == Some(&b'X')),
            Some(b'z') => buf.len() == 5 || (buf.len() < 5 && buf.last() == Some(&b'Z')),
            Some(0xF0) => match buf.get(1) {
                Some(0x01 | 0x02 | 0x04) => buf.len() == 3,
                Some(_) => true,
                None => false,
            },
            _ => buf.len() == 2,
        }
    }

    fn channel_index(c: u8) -> usize {
        match c {
            b'1'..=b'8' => usize::from(c - b'1'),
            _ => b"QWERTYUI"
                .iter()
                .position(|&q| q == c)
                .map_or(0, |i| i + 8),
        }
    }

    fn finish_multi(&mut self, buf: &[u8]) {
        if self.cfg.board_off && buf.first() != Some(&0xF0) {
            self.say(COMMS_FAILURE);
            return;
        }
        let digit = |b: u8| if b.is_ascii_digit() { b - b'0' } else { 0 };
        match buf.first().copied() {
            Some(b'x') => {
                if buf.len() < 9 {
                    self.say_idle("Failure: too few chars$$$");
                    return;
                }
                if buf[8] != b'X' {
                    self.say_idle("Failure: Err: 9th char not X$$$");
                    return;
                }
                let ch = Self::channel_index(buf[1]);
                let gain_code = match buf[3] {
                    g @ b'0'..=b'6' => g - b'0',
                    _ => 6,
                };
                if ch >= 8 && !self.daisy_attached {
                    return;
                }
                self.channels[ch] = ChannelSet {
                    powered: digit(buf[2]) == 0,
                    gain_code,
                    input: digit(buf[4]),
                    bias: digit(buf[5]) == 1,
                    srb2: digit(buf[6]) == 1,
                    srb1: digit(buf[7]) == 1,
                    ..self.channels[ch]
                };
                self.say_idle(&format!("Success: Channel set for {}$$$", ch + 1));
                self.restart_if_streaming();
            }
            Some(b'z') => {
                if buf.len() < 5 {
                    self.say_idle("Failure: too few chars$$$");
                    return;
                }
                if buf[4] != b'Z' {
                    self.say_idle("Failure: Err: 5th char not Z$$$");
                    return;
                }
                let ch = Self::channel_index(buf[1]);
                self.channels[ch].lead_off_p = digit(buf[2]) == 1;
                self.channels[ch].lead_off_n = digit(buf[3]) == 1;
                self.say_idle(&format!("Success: Lead off set for {}$$$", ch + 1));
                self.restart_if_streaming();
            }
            Some(b'~') => match buf[1] {
                b'~' => {
                    let r = RATES[usize::from(self.rate_code)];
                    self.say_idle(&format!("Success: Sample rate is {r}Hz$$$"));
                }
                c @ b'0'..=b'6' => {
                    self.rate_code = c - b'0';
                    let r = RATES[usize::from(self.rate_code)];
                    self.say_idle(&format!("Success: Sample rate is {r}Hz$$$"));
                    self.restart_if_streaming();
                }
                b'7'..=b'9' => self.say_idle("Failure: sample value out of bounds$$$"),
                _ => self.say_idle("Failure: invalid sample value$$$"),
            },
            Some(b'/') => {
                const NAMES: [&str; 6] = ["default", "debug", "analog", "digital", "marker", "BLE"];
                match buf[1] {
                    b'/' => {
                        let n = NAMES[usize::from(self.board_mode).min(5)];
                        self.say(&format!("Success: {n}$$$"));
                    }
                    c @ b'0'..=b'5' => {
                        self.board_mode = c - b'0';
                        self.say(&format!(
                            "Success: {}$$$",
                            NAMES[usize::from(self.board_mode)]
                        ));
                    }
                    b'6'..=b'9' => self.say("Failure: board mode value out of bounds.$$$"),
                    _ => self.say("Failure: invalid board mode value.$$$"),
                }
            }
            Some(b'`') => self.marker = Some(buf[1]),
            Some(0xF0) => self.radio(buf),
            _ => {}
        }
    }

    fn radio(&mut self, buf: &[u8]) {
        let up = !self.cfg.board_off;
        let code = buf.get(1).copied().unwrap_or(0xFF);
        let num = |prefix: &str, n: u8| {
            let mut v = prefix.as_bytes().to_vec();
            v.extend(n.to_string().as_bytes());
            v.push(n);
            v.extend(EOT.as_bytes());
            v
        };
        let reply: Vec<u8> = match code {
            0x00 if up => num(
                "Success: Host and Device on Channel number: ",
                self.radio_channel,
            ),
            0x00 => num("Failure: Host on Channel number: ", self.radio_channel),
            0x01 | 0x02 => {
                let n = buf.get(2).copied().unwrap_or(0);
                if n > 25 {
                    b"Failure: Verify channel number is less than 25$$$".to_vec()
                } else if code == 0x01 && !up {
                    COMMS_FAILURE.as_bytes().to_vec()
                } else {
                    self.radio_channel = n;
                    if code == 0x01 {
                        num("Success: Host and Device on Channel number: ", n)
                    } else {
                        num("Success: Host override - Channel number: ", n)
                    }
                }
            }
            0x03 | 0x04 if !up => COMMS_FAILURE.as_bytes().to_vec(),
            0x03 => num("Success: Poll time: ", self.poll_time),
            0x04 => {
                self.poll_time = buf.get(2).copied().unwrap_or(80);
                num("Success: Poll time: ", self.poll_time)
            }
            0x05 => b"Success: Switch your baud rate to 115200$$$".to_vec(),
            0x06 => b"Success: Switch your baud rate to 230400$$$".to_vec(),
            0x0A => b"Success: Switch your baud rate to 921600$$$".to_vec(),
            0x07 if up => b"Success: System is Up$$$".to_vec(),
            0x07 => b"Failure: System is Down$$$".to_vec(),
            _ => Vec::new(),
        };
        self.text_out.extend(reply);
    }

    fn register_dump(&self) -> String {
        let mut s = String::from("\nBoard ADS Registers\n");
        let chip = |s: &mut String, chans: &[ChannelSet], config1: u8| {
            let mut regs: Vec<(&str, u8)> = vec![
                ("ADS_ID", 0x3E),
                ("CONFIG1", config1),
                ("CONFIG2", 0xC0),
                ("CONFIG3", 0xEC),
                ("LOFF", 0x02),
            ];
            let names = [
                "CH1SET", "CH2SET", "CH3SET", "CH4SET", "CH5SET", "CH6SET", "CH7SET", "CH8SET",
            ];
            let mut bias = 0u8;
            let mut lp = 0u8;
            let mut ln = 0u8;
            for (i, c) in chans.iter().enumerate() {
                let v = (u8::from(!c.powered) << 7)
                    | (c.gain_code << 4)
                    | (u8::from(c.srb2) << 3)
                    | (c.input & 7);
                regs.push((names[i], v));
                bias |= u8::from(c.bias) << i;
                lp |= u8::from(c.lead_off_p) << i;
                ln |= u8::from(c.lead_off_n) << i;
            }
            regs.extend([
                ("BIAS_SENSP", bias),
                ("BIAS_SENSN", bias),
                ("LOFF_SENSP", lp),
                ("LOFF_SENSN", ln),
                ("LOFF_FLIP", 0),
                ("LOFF_STATP", 0),
                ("LOFF_STATN", 0),
                ("GPIO", 0x0F),
                (
                    "MISC1",
                    u8::from(chans.first().is_some_and(|c| c.srb1)) << 5,
                ),
                ("MISC2", 0),
                ("CONFIG4", 0),
            ]);
            for (addr, (name, v)) in regs.iter().enumerate() {
                s.push_str(&format!("{name}, {addr:02X}, {v:02X}"));
                for bit in (0..8).rev() {
                    s.push_str(&format!(", {}", (v >> bit) & 1));
                }
                s.push('\n');
            }
        };
        let c1 = 0x90 | self.rate_code;
        chip(
            &mut s,
            &self.channels[..8],
            if self.daisy_attached { c1 | 0x20 } else { c1 },
        );
        if self.daisy_attached {
            s.push_str("\nDaisy ADS Registers\n");
            chip(&mut s, &self.channels[8..], c1);
        }
        s.push_str("\nLIS3DH Registers\n");
        for r in 0x07..=0x0Fu8 {
            s.push_str(&format!(
                "0x{r:02X} {:02X}\n",
                if r == 0x0F { 0x33 } else { 0 }
            ));
        }
        s.push('\n');
        for r in 0x1F..=0x33u8 {
            let v = match r {
                0x20 => 0x08,
                0x23 => 0x18,
                0x2F => 0x20,
                _ => 0,
            };
            s.push_str(&format!("0x{r:02X} {v:02X}\n"));
        }
        s.push('\n');
        for r in 0x38..=0x3Du8 {
            s.push_str(&format!("0x{r:02X} 00\n"));
        }
        s.push_str(EOT);
        s
    }

    /// Build packet number `k` of the current stream (counter `k mod 256`) from µV values for
    /// the channels this packet carries (`uv[i]` for the packet's channel field `i`), at
    /// board time `board_ms`. `accel` is an optional fresh X/Y/Z reading in counts.
    pub fn packet(
        &mut self,
        k: u64,
        uv: &[f64; 8],
        first_channel: usize,
        accel: Option<[i16; 3]>,
        board_ms: u32,
    ) -> [u8; 33] {
        let mut p = [0u8; 33];
        p[0] = 0xA0;
        p[1] = k as u8;
        for i in 0..8 {
            let set = self.channels[first_channel + i];
            let counts = if !set.powered {
                0
            } else {
                let scale = 4.5 / f64::from(set.gain()) / 8_388_607.0 * 1e6;
                let v = match (set.input, self.test_signal) {
                    (1, _)
                    | (
                        _,
                        Some(TestSignal {
                            amplitude_uv: 0.0, ..
                        }),
                    ) => 0.0,
                    (5, _) | (_, Some(_)) => {
                        let ts = self.test_signal.unwrap_or(TestSignal {
                            amplitude_uv: 1875.0,
                            freq_hz: 0.98,
                        });
                        let t = k as f64 / 250.0;
                        if ts.freq_hz == 0.0 || (t * ts.freq_hz).fract() < 0.5 {
                            ts.amplitude_uv
                        } else {
                            -ts.amplitude_uv
                        }
                    }
                    _ => uv[i],
                };
                counts_for(v, scale)
            };
            let b = (counts as u32).to_be_bytes();
            p[2 + 3 * i..5 + 3 * i].copy_from_slice(&b[1..4]);
        }
        let marker = if self.board_mode == 4 {
            self.marker.take()
        } else {
            None
        };
        let raw_words: [i16; 3] = match self.board_mode {
            2 => [512, 256, 0],
            3 => [0x0101, 0x0001, 0],
            4 => [marker.map_or(0, i16::from), 0, 0],
            _ => [0, 0, 0],
        };
        let accel_mode = matches!(self.board_mode, 0 | 1 | 5);
        if self.timestamps {
            let set = std::mem::take(&mut self.time_set_pending);
            let word = if accel_mode {
                match (k % 10, accel) {
                    (7, Some(a)) => a[0],
                    (8, Some(a)) => a[1],
                    (9, Some(a)) => a[2],
                    _ => 0,
                }
            } else {
                raw_words[0]
            };
            p[26..28].copy_from_slice(&word.to_be_bytes());
            p[28..32].copy_from_slice(&board_ms.to_be_bytes());
            p[32] = match (accel_mode, set) {
                (true, true) => 0xC3,
                (true, false) => 0xC4,
                (false, true) => 0xC5,
                (false, false) => 0xC6,
            };
        } else if accel_mode {
            if let Some(a) = accel {
                for (j, w) in a.iter().enumerate() {
                    p[26 + 2 * j..28 + 2 * j].copy_from_slice(&w.to_be_bytes());
                }
            }
            p[32] = 0xC0;
        } else {
            for (j, w) in raw_words.iter().enumerate() {
                p[26 + 2 * j..28 + 2 * j].copy_from_slice(&w.to_be_bytes());
            }
            p[32] = 0xC1;
        }
        p
    }
}

/// ADC counts for `uv` at `scale` µV/count: rounded to nearest, clipped to 24 bits.
pub fn counts_for(uv: f64, scale: f64) -> i32 {
    let c = (uv / scale).round();
    if c.is_nan() {
        0
    } else {
        c.clamp(-8_388_608.0, 8_388_607.0) as i32
    }
}
