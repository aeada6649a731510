//! OpenBCI Cyton and Cyton+Daisy over a serial port (spec §1–§7).
//!
//! [`CytonSource::open`] opens the port, checks the FTDI latency timer, and runs the handshake
//! (`s`, `v` until `$$$`, `d`), failing within a few seconds with a message that says what is
//! wrong. [`Source::start`] sends `b` and starts a reader thread that reads bytes as soon as
//! they are readable and passes them, stamped with the monotonic receive time, to the consumer,
//! which decodes them in [`Source::next_chunk`]. If the port vanishes the reader reports it,
//! keeps trying to open the same path, redoes the handshake and the settings, restarts the
//! stream, and the decoder records the time in between as a gap.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bci_core::{Chunk, Error, Result, StreamInfo};
use serialport::SerialPort;

use crate::decoder::{BoardKind, BoardMode, CytonDecoder};
use crate::packet::GAINS;
use crate::{Source, SourceStats, monotonic_ns};

/// Options of a Cyton session.
#[derive(Debug, Clone)]
pub struct CytonOptions {
    pub kind: BoardKind,
    /// Packets per second the board sends (250 over the dongle). Only the simulator's `--speed`
    /// makes it anything else; the loss accounting uses it to count whole counter laps.
    pub packet_rate: f64,
    /// Time allowed for the `v` banner.
    pub reset_timeout: Duration,
    /// Time allowed for the first packet after `b`.
    pub first_packet_timeout: Duration,
    /// Keep trying to reopen the port if it vanishes (otherwise the session ends with an error).
    pub reconnect: bool,
}

impl Default for CytonOptions {
    fn default() -> Self {
        CytonOptions {
            kind: BoardKind::Cyton,
            packet_rate: 250.0,
            reset_timeout: Duration::from_millis(3000),
            first_packet_timeout: Duration::from_millis(2500),
            reconnect: true,
        }
    }
}

/// One channel's settings (the fields of `x…X`, spec §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSettings {
    pub powered: bool,
    /// 1, 2, 4, 6, 8, 12 or 24.
    pub gain: u8,
    /// 0 normal, 1 shorted, 2 bias measure, 3 MVDD, 4 temperature, 5 test, 6 bias DRP, 7 DRN.
    pub input: u8,
    pub bias: bool,
    pub srb2: bool,
    pub srb1: bool,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        ChannelSettings {
            powered: true,
            gain: 24,
            input: 0,
            bias: true,
            srb2: true,
            srb1: false,
        }
    }
}

/// What the reset banner said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardBanner {
    pub daisy: bool,
    /// `Firmware: vX.Y.Z`, or `None` for v1 boards that do not print it.
    pub firmware: Option<String>,
    pub text: String,
}

/// Parse the text before `$$$` of a `v` reply.
pub fn parse_banner(text: &str) -> std::result::Result<BoardBanner, String> {
    if text.contains("Failure: Communications timeout") {
        return Err(
            "the dongle answered but the board did not (dongle reply: \"Failure: \
                    Communications timeout - Device failed to poll Host\"): the Cyton is off, out \
                    of range, or on another radio channel; switch it on (PC position) and retry"
                .into(),
        );
    }
    if !text.contains("OpenBCI") {
        return Err(format!(
            "the reply to v ends in $$$ but is not an OpenBCI banner: {:?}",
            text.chars()
                .rev()
                .take(120)
                .collect::<String>()
                .chars()
                .rev()
                .collect::<String>()
        ));
    }
    let firmware = text.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Firmware: ")
            .map(|v| v.trim().to_string())
    });
    Ok(BoardBanner {
        daisy: text.contains("On Daisy ADS1299"),
        firmware,
        text: text.to_string(),
    })
}

fn io_err(path: &Path, e: impl Into<std::io::Error>) -> Error {
    Error::io(path, e.into())
}

fn open_port(path: &Path) -> Result<Box<dyn SerialPort>> {
    let name = path.to_string_lossy().into_owned();
    if !path.exists() {
        return Err(Error::Device(format!(
            "serial port {name} does not exist: is the dongle plugged in? `bci devices` lists the \
             ports (an OpenBCI dongle is an FTDI 0403:6015 device, /dev/ttyUSB* on Linux)"
        )));
    }
    serialport::new(name.clone(), 115_200)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(Duration::from_millis(5))
        .open()
        .map_err(|e| {
            let hint = match e.kind() {
                serialport::ErrorKind::NoDevice => " (the device vanished)",
                serialport::ErrorKind::Io(std::io::ErrorKind::PermissionDenied) => {
                    " (permission denied: add yourself to the `dialout` group, then log in again)"
                }
                _ => " (is it a serial device? is another program using it?)",
            };
            Error::Device(format!("cannot open serial port {name}: {e}{hint}"))
        })
}

/// Read until `$$$`, or fail after `idle` without a byte or `total` overall.
fn read_until_eot(
    port: &mut dyn SerialPort,
    path: &Path,
    what: &str,
    idle: Duration,
    total: Duration,
) -> Result<String> {
    let name = path.display();
    let t0 = Instant::now();
    let mut last_byte = Instant::now();
    let mut got: Vec<u8> = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match port.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                last_byte = Instant::now();
                if let Some(pos) = got.windows(3).position(|w| w == b"$$$") {
                    // Binary junk from a stream that was running may precede the text.
                    let text: String = got[..pos]
                        .iter()
                        .map(|&b| if b.is_ascii() { b as char } else { '\u{fffd}' })
                        .collect();
                    return Ok(text);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(path, e)),
        }
        if got.is_empty() && last_byte.elapsed() > idle {
            return Err(Error::Device(format!(
                "no reply to {what} from {name} within {:.1} s: is the board switched on (and the \
                 dongle switch on GPIO6, not RESET)? is {name} the OpenBCI dongle?",
                idle.as_secs_f64()
            )));
        }
        if !got.is_empty() && (last_byte.elapsed() > idle || t0.elapsed() > total) {
            return Err(Error::Device(format!(
                "{name} answered {what} with {} bytes but never with the end marker $$$: not an \
                 OpenBCI board or dongle (wrong port, or wrong device on it)",
                got.len()
            )));
        }
        if t0.elapsed() > total {
            return Err(Error::Device(format!(
                "no complete reply to {what} from {name}"
            )));
        }
    }
}

fn write_all(port: &mut dyn SerialPort, path: &Path, bytes: &[u8]) -> Result<()> {
    port.write_all(bytes).map_err(|e| io_err(path, e))?;
    port.flush().map_err(|e| io_err(path, e))
}

/// `s`, `v`, `d` (spec §2.4). Returns the parsed banner.
fn handshake(port: &mut dyn SerialPort, path: &Path, opts: &CytonOptions) -> Result<BoardBanner> {
    let _ = port.clear(serialport::ClearBuffer::All);
    write_all(port, path, b"s")?;
    std::thread::sleep(Duration::from_millis(100));
    let _ = port.clear(serialport::ClearBuffer::Input);
    write_all(port, path, b"v")?;
    let text = read_until_eot(
        port,
        path,
        "v (soft reset)",
        opts.reset_timeout,
        opts.reset_timeout + Duration::from_secs(1),
    )?;
    let banner =
        parse_banner(&text).map_err(|m| Error::Device(format!("{}: {m}", path.display())))?;
    write_all(port, path, b"d")?;
    let reply = read_until_eot(
        port,
        path,
        "d (defaults)",
        Duration::from_secs(2),
        Duration::from_secs(3),
    )?;
    if reply.trim_start().starts_with("Failure") {
        return Err(Error::Device(format!(
            "{}: the board refused d: {reply:?}: dongle present but the board is off or unreachable",
            path.display()
        )));
    }
    match (opts.kind, banner.daisy) {
        (BoardKind::CytonDaisy, false) => {
            return Err(Error::Device(format!(
                "{}: no Daisy detected in the reset banner; use `cyton:` for an 8-channel board",
                path.display()
            )));
        }
        (BoardKind::Cyton, true) => {
            // Detach the Daisy so every packet carries channels 1-8 at 250 Hz.
            write_all(port, path, b"c")?;
            read_until_eot(
                port,
                path,
                "c (detach Daisy)",
                Duration::from_secs(2),
                Duration::from_secs(3),
            )?;
        }
        _ => {}
    }
    Ok(banner)
}

fn latency_timer_notice(path: &Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    let name = real.file_name()?.to_str()?.to_string();
    if !name.starts_with("ttyUSB") {
        return None;
    }
    let file = PathBuf::from(format!("/sys/bus/usb-serial/devices/{name}/latency_timer"));
    let cur: u32 = std::fs::read_to_string(&file).ok()?.trim().parse().ok()?;
    if cur <= 1 {
        return None;
    }
    if std::fs::write(&file, "1").is_ok() {
        return Some(format!(
            "{name}: FTDI latency timer was {cur} ms, set to 1 ms"
        ));
    }
    Some(format!(
        "warning: {name}: FTDI latency timer is {cur} ms, so packets arrive in bursts; fix with \
         `echo 1 | sudo tee {}` (or a udev rule)",
        file.display()
    ))
}

enum ReaderMsg {
    Bytes(Vec<u8>, u64),
    Notice(String),
    /// The port vanished and came back; the stream was restarted.
    Reconnected,
    Fatal(Error),
}

enum Control {
    Write(Vec<u8>),
    Stop,
}

/// A Cyton or Cyton+Daisy session.
pub struct CytonSource {
    path: PathBuf,
    opts: CytonOptions,
    port: Option<Box<dyn SerialPort>>,
    banner: BoardBanner,
    decoder: CytonDecoder,
    rx: Option<Receiver<ReaderMsg>>,
    ctl: Option<Sender<Control>>,
    reader: Option<JoinHandle<()>>,
    notices: Vec<String>,
    reconnects: u64,
    streaming: bool,
    started_ns: u64,
    last_data: Instant,
    got_first: bool,
    /// Settings sent, replayed after a reconnect.
    settings: Vec<Vec<u8>>,
}

impl CytonSource {
    /// Open `path` and run the handshake. Fails within about `reset_timeout` + 3 s.
    pub fn open(path: impl AsRef<Path>, opts: CytonOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut notices = Vec::new();
        if let Some(n) = latency_timer_notice(&path) {
            notices.push(n);
        }
        let mut port = open_port(&path)?;
        let banner = handshake(port.as_mut(), &path, &opts)?;
        let decoder = CytonDecoder::new(opts.kind, opts.packet_rate);
        Ok(CytonSource {
            path,
            opts,
            port: Some(port),
            banner,
            decoder,
            rx: None,
            ctl: None,
            reader: None,
            notices,
            reconnects: 0,
            streaming: false,
            started_ns: 0,
            last_data: Instant::now(),
            got_first: false,
            settings: Vec::new(),
        })
    }

    pub fn banner(&self) -> &BoardBanner {
        &self.banner
    }

    pub fn decoder_stats(&self) -> crate::DecoderStats {
        self.decoder.stats()
    }

    /// Send a raw command string. Gains and board mode are tracked from `x…X`, `d` and `/n`;
    /// register-changing commands sent while streaming make the decoder expect the counter
    /// restart. Replies arriving while idle are not read back (see [`CytonSource::query`]).
    pub fn send_command(&mut self, cmd: &[u8]) -> Result<()> {
        self.track(cmd);
        if let Some(ctl) = &self.ctl {
            ctl.send(Control::Write(cmd.to_vec()))
                .map_err(|_| Error::Device(format!("{}: reader thread ended", self.path.display())))
        } else if let Some(port) = self.port.as_mut() {
            write_all(port.as_mut(), &self.path, cmd)
        } else {
            Err(Error::Device("session closed".into()))
        }
    }

    /// Send a command while not streaming and return its reply text (up to `$$$`).
    pub fn query(&mut self, cmd: &[u8]) -> Result<String> {
        if self.streaming {
            return Err(Error::Device(
                "query while streaming: replies are mixed into the stream; stop first".into(),
            ));
        }
        self.track(cmd);
        let port = self
            .port
            .as_mut()
            .ok_or_else(|| Error::Device("session closed".into()))?;
        write_all(port.as_mut(), &self.path, cmd)?;
        read_until_eot(
            port.as_mut(),
            &self.path,
            &String::from_utf8_lossy(cmd),
            Duration::from_secs(2),
            Duration::from_secs(3),
        )
    }

    /// Channel settings `x C P G I B S2 S1 X` for channel 1..16.
    pub fn set_channel(&mut self, channel: usize, set: &ChannelSettings) -> Result<()> {
        const CH: &[u8; 16] = b"12345678QWERTYUI";
        let n = self.opts.kind.n_eeg();
        let Some(&c) = CH
            .get(channel.wrapping_sub(1))
            .filter(|_| (1..=n).contains(&channel))
        else {
            return Err(Error::invalid(
                "channel",
                channel,
                format!("must be 1..={n}"),
            ));
        };
        let Some(code) = GAINS.iter().position(|&g| g == set.gain) else {
            return Err(Error::invalid(
                "gain",
                set.gain,
                "must be one of 1, 2, 4, 6, 8, 12, 24",
            ));
        };
        if set.input > 7 {
            return Err(Error::invalid("input type", set.input, "must be 0..=7"));
        }
        let cmd = [
            b'x',
            c,
            b'0' + u8::from(!set.powered),
            b'0' + code as u8,
            b'0' + set.input,
            b'0' + u8::from(set.bias),
            b'0' + u8::from(set.srb2),
            b'0' + u8::from(set.srb1),
            b'X',
        ];
        self.settings.push(cmd.to_vec());
        if self.streaming {
            return self.send_command(&cmd);
        }
        let reply = self.query(&cmd)?;
        if !reply.contains("Success") {
            return Err(Error::Device(format!(
                "{}: the board refused {}: {reply:?}",
                self.path.display(),
                String::from_utf8_lossy(&cmd)
            )));
        }
        Ok(())
    }

    fn track(&mut self, cmd: &[u8]) {
        const CH: &[u8; 16] = b"12345678QWERTYUI";
        let mut restarts = false;
        let mut i = 0;
        while i < cmd.len() {
            match cmd[i] {
                b'x' if i + 8 < cmd.len() => {
                    let w = &cmd[i..i + 9];
                    if let Some(ch) = CH.iter().position(|&c| c == w[1]) {
                        let code = usize::from(w[3].wrapping_sub(b'0'));
                        self.decoder
                            .set_gain(ch, GAINS.get(code).copied().unwrap_or(24));
                    }
                    restarts = true;
                    i += 9;
                    continue;
                }
                b'd' | b'v' => {
                    self.decoder.set_gains(&[24; 16]);
                    restarts = true;
                }
                b'/' if i + 1 < cmd.len() => {
                    let mode = match cmd[i + 1] {
                        b'0' => Some(BoardMode::Default),
                        b'1' => Some(BoardMode::Debug),
                        b'2' => Some(BoardMode::Analog),
                        b'3' => Some(BoardMode::Digital),
                        b'4' => Some(BoardMode::Marker),
                        _ => None,
                    };
                    if let Some(m) = mode {
                        self.decoder.set_board_mode(m);
                    }
                    i += 2;
                    continue;
                }
                b'z' | b'~' | b'0' | b'-' | b'=' | b'p' | b'[' | b']' | b'b' => restarts = true,
                b'1'..=b'8' | b'!' | b'@' | b'#' | b'$' | b'%' | b'^' | b'&' | b'*' => {
                    restarts = true
                }
                b'q' | b'w' | b'e' | b'r' | b't' | b'y' | b'u' | b'i' => restarts = true,
                b'Q' | b'W' | b'E' | b'R' | b'T' | b'Y' | b'U' | b'I' => restarts = true,
                _ => {}
            }
            i += 1;
        }
        if restarts {
            self.decoder.expect_restart();
        }
    }

    fn spawn_reader(&mut self, mut port: Box<dyn SerialPort>) -> Result<()> {
        let (tx, rx) = mpsc::sync_channel::<ReaderMsg>(4096);
        let (ctl_tx, ctl_rx) = mpsc::channel::<Control>();
        let path = self.path.clone();
        let opts = self.opts.clone();
        let settings = self.settings.clone();
        let handle = std::thread::Builder::new()
            .name("cyton-reader".into())
            .spawn(move || reader_loop(&mut port, &path, &opts, &settings, &tx, &ctl_rx))
            .map_err(|e| Error::Device(format!("cannot start the reader thread: {e}")))?;
        self.rx = Some(rx);
        self.ctl = Some(ctl_tx);
        self.reader = Some(handle);
        Ok(())
    }
}

fn reader_loop(
    port: &mut Box<dyn SerialPort>,
    path: &Path,
    opts: &CytonOptions,
    settings: &[Vec<u8>],
    tx: &SyncSender<ReaderMsg>,
    ctl: &Receiver<Control>,
) {
    let mut buf = vec![0u8; 16384];
    loop {
        loop {
            match ctl.try_recv() {
                Ok(Control::Write(bytes)) => {
                    // A failed write is noticed by the next read as well.
                    let _ = port.write_all(&bytes);
                }
                Ok(Control::Stop) | Err(mpsc::TryRecvError::Disconnected) => {
                    let _ = port.write_all(b"s");
                    let _ = port.flush();
                    return;
                }
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        match port.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => {
                if tx
                    .send(ReaderMsg::Bytes(buf[..n].to_vec(), monotonic_ns()))
                    .is_err()
                {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                        | std::io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => {
                let _ = tx.send(ReaderMsg::Notice(format!(
                    "{}: device disconnected ({e}); waiting for it to come back",
                    path.display()
                )));
                if !opts.reconnect {
                    let _ = tx.send(ReaderMsg::Fatal(Error::Device(format!(
                        "{}: device disconnected: {e}",
                        path.display()
                    ))));
                    return;
                }
                match reconnect(path, opts, settings, ctl, tx) {
                    Some(p) => {
                        *port = p;
                        if tx.send(ReaderMsg::Reconnected).is_err() {
                            return;
                        }
                    }
                    None => return,
                }
            }
        }
    }
}

fn reconnect(
    path: &Path,
    opts: &CytonOptions,
    settings: &[Vec<u8>],
    ctl: &Receiver<Control>,
    tx: &SyncSender<ReaderMsg>,
) -> Option<Box<dyn SerialPort>> {
    let mut last_err = String::new();
    loop {
        match ctl.try_recv() {
            Ok(Control::Stop) | Err(mpsc::TryRecvError::Disconnected) => return None,
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(200));
        if !path.exists() {
            continue;
        }
        let attempt = open_port(path).and_then(|mut p| {
            handshake(p.as_mut(), path, opts)?;
            for s in settings {
                write_all(p.as_mut(), path, s)?;
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = p.clear(serialport::ClearBuffer::Input);
            write_all(p.as_mut(), path, b"b")?;
            Ok(p)
        });
        match attempt {
            Ok(p) => {
                let _ = tx.send(ReaderMsg::Notice(format!(
                    "{}: reconnected, streaming again",
                    path.display()
                )));
                return Some(p);
            }
            Err(e) => {
                let msg = e.to_string();
                if msg != last_err {
                    let _ = tx.send(ReaderMsg::Notice(format!(
                        "{}: reconnect failed: {msg}; retrying",
                        path.display()
                    )));
                    last_err = msg;
                }
            }
        }
    }
}

impl Source for CytonSource {
    fn info(&self) -> StreamInfo {
        let what = match self.opts.kind {
            BoardKind::Cyton => "Cyton",
            BoardKind::CytonDaisy => "Cyton+Daisy",
        };
        StreamInfo {
            name: format!("OpenBCI {what} {}", self.path.display()),
            channels: self.decoder.channels(),
            sample_rate: self.opts.kind.sample_rate(250.0),
        }
    }

    fn start(&mut self) -> Result<()> {
        if self.streaming {
            return Ok(());
        }
        let mut port = self
            .port
            .take()
            .ok_or_else(|| Error::Device("session closed".into()))?;
        let _ = port.clear(serialport::ClearBuffer::Input);
        self.decoder.expect_restart();
        write_all(port.as_mut(), &self.path, b"b")?;
        self.started_ns = monotonic_ns();
        self.last_data = Instant::now();
        self.streaming = true;
        self.spawn_reader(port)
    }

    fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Chunk>> {
        if let Some(c) = self.decoder.take_chunk() {
            return Ok(Some(c));
        }
        let Some(rx) = self.rx.as_ref() else {
            return Ok(None);
        };
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            let wait = deadline.saturating_duration_since(now);
            let msg = match rx.recv_timeout(wait.min(Duration::from_millis(50))) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => {
                    self.decoder.flush();
                    return match self.decoder.take_chunk() {
                        Some(c) => Ok(Some(c)),
                        None => Err(Error::Device(format!(
                            "{}: reader stopped",
                            self.path.display()
                        ))),
                    };
                }
            };
            match msg {
                Some(ReaderMsg::Bytes(b, t)) => {
                    self.decoder.push(&b, t);
                    // Decode whatever else is already queued before handing on.
                    if let Some(rx) = self.rx.as_ref() {
                        while let Ok(ReaderMsg::Bytes(b, t)) = rx.try_recv() {
                            self.decoder.push(&b, t);
                        }
                    }
                    let before = self.decoder.stats().framer.frames;
                    if before > 0 {
                        self.got_first = true;
                        self.last_data = Instant::now();
                    }
                }
                Some(ReaderMsg::Notice(n)) => self.notices.push(n),
                Some(ReaderMsg::Reconnected) => {
                    self.reconnects += 1;
                    self.decoder.resume_after_reconnect();
                    self.last_data = Instant::now();
                }
                Some(ReaderMsg::Fatal(e)) => return Err(e),
                None => {
                    // Quiet line: a packet held for lookahead or strict framing goes on now.
                    if self.last_data.elapsed() > Duration::from_millis(30) {
                        self.decoder.flush();
                    }
                }
            }
            if let Some(c) = self.decoder.take_chunk() {
                return Ok(Some(c));
            }
            if !self.got_first && self.last_data.elapsed() > self.opts.first_packet_timeout {
                return Err(Error::Device(format!(
                    "{}: the board answered the reset but sent no data packets within {:.1} s of \
                     b (start streaming): check the board's power and radio link, then retry",
                    self.path.display(),
                    self.opts.first_packet_timeout.as_secs_f64()
                )));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    fn stop(&mut self) -> Result<()> {
        if let Some(ctl) = self.ctl.take() {
            let _ = ctl.send(Control::Stop);
        }
        if let Some(h) = self.reader.take() {
            let _ = h.join();
        }
        if let Some(mut port) = self.port.take() {
            let _ = port.write_all(b"s");
        }
        self.streaming = false;
        Ok(())
    }

    fn stats(&self) -> SourceStats {
        let d = self.decoder.stats();
        let elapsed = (monotonic_ns().saturating_sub(self.started_ns)) as f64 * 1e-9;
        SourceStats {
            samples: d.samples,
            lost_samples: d.lost_samples,
            gaps: d.gaps,
            skipped_bytes: d.framer.skipped_bytes,
            reconnects: self.reconnects,
            measured_rate: (self.streaming && elapsed > 0.5)
                .then(|| (d.samples + d.lost_samples) as f64 / elapsed),
        }
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

impl Drop for CytonSource {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
