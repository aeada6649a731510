//! From bytes to samples: framing, loss accounting, Daisy pairing and scaling (spec §3, §4, §7).
//!
//! [`CytonDecoder`] takes bytes as they are read, stamped with the host's monotonic receive time,
//! and produces [`Chunk`]s of frames in µV (EEG) and g (accelerometer), each frame with a sample
//! index. Lost packets advance the sample index and become gap events; the counter restart
//! that follows a settings command sent while streaming is not a loss; a run of lost packets
//! longer than the one-byte counter's lap is measured from the arrival times.
//!
//! Only packets that look anomalous (a counter that is not the previous plus one) wait for the
//! next packet before they are handed on, so that a corrupted counter byte (previous + 2 comes
//! next) is repaired instead of being counted as 255 lost packets. Every other packet is handed on
//! as soon as its last byte has been pushed.

use std::collections::VecDeque;

use bci_core::{Channel, ChannelKind, Chunk, Event};

use crate::framer::{Framer, FramerStats};
use crate::packet::{ACCEL_G_PER_COUNT, Aux, PACKET_LEN, Packet, uv_per_count};

/// Label prefix of the gap events. MNE treats annotations starting with `BAD` as bad segments.
pub const GAP_LABEL: &str = "BAD_ACQ_SKIP";

/// Shortest silence (seconds) taken as evidence of whole lost counter laps.
pub const MIN_LAP_GAP_S: f64 = 0.25;

/// A read this large is a backlog (the reader was late), not fresh data after a silence: a
/// real dongle delivers a few packets per USB transfer.
pub const BACKLOG_BYTES: usize = 2048;

/// Cyton (8 channels) or Cyton+Daisy (16 channels, pairs of packets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    Cyton,
    CytonDaisy,
}

impl BoardKind {
    pub fn n_eeg(self) -> usize {
        match self {
            BoardKind::Cyton => 8,
            BoardKind::CytonDaisy => 16,
        }
    }
    /// Samples per second of the assembled stream for `packet_rate` packets per second.
    pub fn sample_rate(self, packet_rate: f64) -> f64 {
        match self {
            BoardKind::Cyton => packet_rate,
            BoardKind::CytonDaisy => packet_rate / 2.0,
        }
    }
}

/// Board mode (`/n`), which decides what footer-`0xC1` aux words mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoardMode {
    #[default]
    Default,
    Debug,
    Analog,
    Digital,
    Marker,
}

/// The channel list a Cyton stream carries: EEG channels in µV, then accelerometer X, Y, Z in g.
pub fn cyton_channels(kind: BoardKind, gains: &[u8]) -> Vec<Channel> {
    let mut chans = Vec::with_capacity(kind.n_eeg() + 3);
    for i in 0..kind.n_eeg() {
        let gain = gains.get(i).copied().unwrap_or(24);
        // ±(2^23 − 1) counts span ±4.5 V / gain: both ends are whole µV (187500 at gain 24), so
        // a BDF file stores each ADC count as exactly one digital step. (The one code below,
        // −2^23, only occurs railed and is stored as −(2^23 − 1).)
        let full_scale_uv = crate::packet::VREF_V / f64::from(gain.max(1)) * 1e6;
        let mut c = Channel::eeg(format!("EEG {}", i + 1), -full_scale_uv, full_scale_uv);
        c.digital_min = -8_388_607;
        c.digital_max = 8_388_607;
        c.transducer = "OpenBCI Cyton ADS1299".into();
        c.prefilter = format!("gain {gain}");
        chans.push(c);
    }
    for axis in ["X", "Y", "Z"] {
        chans.push(Channel {
            label: format!("Accel {axis}"),
            kind: ChannelKind::Accel,
            unit: "g".into(),
            physical_min: -32768.0 * ACCEL_G_PER_COUNT,
            physical_max: 32767.0 * ACCEL_G_PER_COUNT,
            digital_min: -32768,
            digital_max: 32767,
            transducer: "LIS3DH".into(),
            prefilter: String::new(),
        });
    }
    chans
}

/// Everything the decoder counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecoderStats {
    pub framer: FramerStats,
    /// Packets accepted (after repairs, excluding duplicates).
    pub packets: u64,
    /// Packets missing from the counter sequence (laps from arrival time included).
    pub lost_packets: u64,
    /// Samples of the assembled stream missing (equal to lost packets for the Cyton; Daisy
    /// counts 16-channel samples, including half samples dropped for want of a partner).
    pub lost_samples: u64,
    /// Gap events emitted.
    pub gaps: u64,
    /// Packets whose counter repeated the previous one (dropped).
    pub duplicates: u64,
    /// Corrupted counters repaired from their neighbours.
    pub counter_repairs: u64,
    /// Counter restarts after a settings command (not counted as loss).
    pub restarts: u64,
    /// Samples emitted.
    pub samples: u64,
}

#[derive(Debug, Clone, Copy)]
struct Accepted {
    counter: u8,
    abs: u64,
    time_ns: u64,
}

/// The incremental decoder. See the module documentation.
#[derive(Debug)]
pub struct CytonDecoder {
    kind: BoardKind,
    packet_rate: f64,
    gains: [u8; 16],
    scales: [f64; 16],
    mode: BoardMode,
    framer: Framer,
    /// (stream offset just past the block, host time) of the last two pushes.
    block_end: u64,
    block_time_ns: u64,
    prev_block_time_ns: u64,
    /// The current block is a backlog (a late reader catching up): its arrival times say
    /// nothing about silence on the line.
    backlog: bool,
    last: Option<Accepted>,
    held: Option<(Packet, u64)>,
    expect_restart: bool,
    resume: bool,
    accel: [f64; 3],
    daisy_even: Option<(u64, Packet)>,
    base_abs: Option<u64>,
    next_sample: u64,
    cur: Option<Chunk>,
    ready: VecDeque<Chunk>,
    pending_events: Vec<Event>,
    stats: DecoderStats,
}

impl CytonDecoder {
    /// A decoder for `kind` at `packet_rate` packets per second (250 for the dongle).
    pub fn new(kind: BoardKind, packet_rate: f64) -> Self {
        let mut d = CytonDecoder {
            kind,
            packet_rate: if packet_rate > 0.0 {
                packet_rate
            } else {
                250.0
            },
            gains: [24; 16],
            scales: [0.0; 16],
            mode: BoardMode::Default,
            framer: Framer::new(),
            block_end: 0,
            block_time_ns: 0,
            prev_block_time_ns: 0,
            backlog: false,
            last: None,
            held: None,
            expect_restart: false,
            resume: false,
            accel: [0.0; 3],
            daisy_even: None,
            base_abs: None,
            next_sample: 0,
            cur: None,
            ready: VecDeque::new(),
            pending_events: Vec::new(),
            stats: DecoderStats::default(),
        };
        d.set_gains(&[24; 16]);
        d
    }

    pub fn kind(&self) -> BoardKind {
        self.kind
    }

    /// Channels per frame: EEG plus three accelerometer axes.
    pub fn n_channels(&self) -> usize {
        self.kind.n_eeg() + 3
    }

    /// Sample rate of the assembled stream.
    pub fn sample_rate(&self) -> f64 {
        self.kind.sample_rate(self.packet_rate)
    }

    /// The channels, with the current gains.
    pub fn channels(&self) -> Vec<Channel> {
        cyton_channels(self.kind, &self.gains)
    }

    /// Set the gain of channel `ch` (0-based) as the board applies it after an `x…X` command.
    pub fn set_gain(&mut self, ch: usize, gain: u8) {
        if let (Some(g), Some(s)) = (self.gains.get_mut(ch), self.scales.get_mut(ch)) {
            *g = gain;
            *s = uv_per_count(gain);
        }
    }

    /// Set the gains of the first `gains.len()` channels.
    pub fn set_gains(&mut self, gains: &[u8]) {
        for (i, &g) in gains.iter().enumerate() {
            self.set_gain(i, g);
        }
    }

    pub fn gains(&self) -> &[u8; 16] {
        &self.gains
    }

    pub fn set_board_mode(&mut self, mode: BoardMode) {
        self.mode = mode;
    }

    /// The driver sent a command that restarts the sample counter (`b`, or a register-changing
    /// command while streaming): the next counter 0 is a restart, not a loss.
    pub fn expect_restart(&mut self) {
        self.expect_restart = true;
    }

    /// The link was lost and re-established: the next packet's loss is measured from the time
    /// elapsed, whatever its counter says. Buffered bytes from before are dropped.
    pub fn resume_after_reconnect(&mut self) {
        self.flush_held();
        self.framer.reset();
        self.resume = true;
        self.daisy_even = None;
    }

    pub fn stats(&self) -> DecoderStats {
        let mut s = self.stats;
        s.framer = self.framer.stats;
        s
    }

    /// Push bytes read at host time `time_ns` (monotonic) and decode every complete packet.
    pub fn push(&mut self, bytes: &[u8], time_ns: u64) {
        self.framer.push(bytes);
        self.prev_block_time_ns = self.block_time_ns;
        self.block_end = self.framer.pushed();
        self.block_time_ns = time_ns;
        self.backlog = bytes.len() >= BACKLOG_BYTES;
        while let Some(frame) = self.framer.next_frame() {
            // Bytes cannot have arrived faster than the stream produces them: a frame early in a
            // large block (the reader was late) was received earlier than the read returned.
            let behind = self.block_end.saturating_sub(frame.end_offset) as f64;
            let byte_rate = self.packet_rate * PACKET_LEN as f64;
            let back_ns = (behind / byte_rate * 1e9) as u64;
            let t = time_ns.saturating_sub(back_ns).max(self.prev_block_time_ns);
            self.accept(Packet::decode(&frame.bytes), t);
        }
    }

    /// The stream went quiet (or stopped): decode a frame still waiting for strict-mode
    /// confirmation and hand on a packet held for lookahead.
    pub fn flush(&mut self) {
        while let Some(frame) = self.framer.next_frame_idle() {
            self.accept(Packet::decode(&frame.bytes), self.block_time_ns);
        }
        self.flush_held();
    }

    fn flush_held(&mut self) {
        if let Some((p, t)) = self.held.take() {
            self.deliver_genuine(p, t);
        }
    }

    /// The next finished chunk, if any; the chunk being filled is finished first.
    pub fn take_chunk(&mut self) -> Option<Chunk> {
        if let Some(c) = self.ready.pop_front() {
            return Some(c);
        }
        let c = self.cur.take()?;
        if c.data.is_empty() && c.events.is_empty() {
            return None;
        }
        Some(c)
    }

    fn laps(&self, last: &Accepted, m: u64, t: u64) -> u64 {
        let dt_s = t.saturating_sub(last.time_ns) as f64 * 1e-9;
        // Host hiccups (a late reader, a burst from the USB chip) of up to a few hundred ms are
        // common and say nothing about loss. A whole lap lost in less than this needs more than
        // 1000 packets/s, which the dongle cannot carry (only the simulator's --speed can).
        if dt_s < MIN_LAP_GAP_S || self.backlog {
            return 0;
        }
        let expected = dt_s * self.packet_rate;
        let excess = expected - (m + 1) as f64;
        if excess > 128.0 {
            (excess / 256.0).round() as u64
        } else {
            0
        }
    }

    fn accept(&mut self, p: Packet, t: u64) {
        let Some(last) = self.last else {
            self.expect_restart = false;
            self.resume = false;
            self.commit(p, t, 0);
            return;
        };
        if self.resume {
            self.resume = false;
            self.expect_restart = false;
            self.flush_held();
            let dt_s = t.saturating_sub(last.time_ns) as f64 * 1e-9;
            let lost = ((dt_s * self.packet_rate).round() as u64).saturating_sub(1);
            self.commit(p, t, lost);
            return;
        }
        if let Some((h, ht)) = self.held.take() {
            // Lookahead: if this packet is previous + 2, the held one only had a bad counter.
            if p.sample_number == last.counter.wrapping_add(2) {
                self.stats.counter_repairs += 1;
                let mut fixed = h;
                fixed.sample_number = last.counter.wrapping_add(1);
                self.commit(fixed, ht, 0);
            } else {
                self.deliver_genuine(h, ht);
            }
            return self.accept(p, t);
        }
        if self.expect_restart && p.sample_number == 0 {
            self.expect_restart = false;
            self.stats.restarts += 1;
            let step = match self.kind {
                // Keep the absolute index's parity equal to the counter's (even = Daisy half).
                BoardKind::CytonDaisy if (last.abs + 1) % 2 == 1 => 2,
                _ => 1,
            };
            self.commit_step(p, t, 0, step);
            return;
        }
        if p.sample_number == last.counter.wrapping_add(1) {
            let laps = self.laps(&last, 0, t);
            self.commit(p, t, laps * 256);
        } else {
            self.held = Some((p, t));
        }
    }

    /// A held packet turned out to be what its counter says: a real gap, or a duplicate.
    fn deliver_genuine(&mut self, p: Packet, t: u64) {
        let Some(last) = self.last else {
            self.commit(p, t, 0);
            return;
        };
        if p.sample_number == last.counter {
            self.stats.duplicates += 1;
            return;
        }
        let m = u64::from(p.sample_number.wrapping_sub(last.counter).wrapping_sub(1));
        let lost = m + 256 * self.laps(&last, m, t);
        self.commit(p, t, lost);
    }

    fn commit(&mut self, p: Packet, t: u64, lost: u64) {
        self.commit_step(p, t, lost, lost + 1);
    }

    fn commit_step(&mut self, p: Packet, t: u64, lost: u64, step: u64) {
        let abs = match self.last {
            None => u64::from(p.sample_number),
            Some(last) => {
                let mut abs = last.abs + step;
                if self.kind == BoardKind::CytonDaisy && abs % 2 != u64::from(p.sample_number % 2) {
                    // Parity is what the board guarantees; an estimate from time may be one off.
                    abs += 1;
                }
                abs
            }
        };
        self.stats.lost_packets += lost;
        self.stats.packets += 1;
        self.last = Some(Accepted {
            counter: p.sample_number,
            abs,
            time_ns: t,
        });
        self.assemble(p, abs, t);
    }

    fn update_aux(&mut self, p: &Packet) -> Option<Event> {
        match p.aux() {
            Aux::Accel(Some(xyz)) => {
                for (a, v) in self.accel.iter_mut().zip(xyz) {
                    *a = f64::from(v) * ACCEL_G_PER_COUNT;
                }
                None
            }
            Aux::AccelTime { axis_word, .. } => {
                let axis = match p.sample_number % 10 {
                    7 => Some(0),
                    8 => Some(1),
                    9 => Some(2),
                    _ => None,
                };
                if let Some(a) = axis {
                    self.accel[a] = f64::from(axis_word) * ACCEL_G_PER_COUNT;
                }
                None
            }
            Aux::Raw([w0, _, _]) | Aux::RawTime { word0: w0, .. }
                if self.mode == BoardMode::Marker && w0 != 0 =>
            {
                let label = match u8::try_from(w0) {
                    Ok(b) if b.is_ascii_graphic() => format!("marker {}", b as char),
                    _ => format!("marker {w0}"),
                };
                Some(Event {
                    onset: 0,
                    duration: 0,
                    label,
                })
            }
            _ => None,
        }
    }

    fn assemble(&mut self, p: Packet, abs: u64, t: u64) {
        let marker = self.update_aux(&p);
        match self.kind {
            BoardKind::Cyton => {
                let base = *self.base_abs.get_or_insert(abs);
                let idx = abs.saturating_sub(base);
                let mut frame = [0f64; 19];
                for (i, &c) in p.counts.iter().enumerate() {
                    frame[i] = f64::from(c) * self.scales[i];
                }
                frame[8..11].copy_from_slice(&self.accel);
                self.emit(idx, &frame[..11], t, marker);
            }
            BoardKind::CytonDaisy => {
                if p.sample_number.is_multiple_of(2) {
                    self.daisy_even = Some((abs, p));
                    if let Some(mut m) = marker {
                        m.label.push_str(" (daisy half)");
                        self.pending_events.push(m);
                    }
                    return;
                }
                let Some((even_abs, even)) = self.daisy_even.take() else {
                    return;
                };
                if even_abs + 1 != abs {
                    // Only adjacent packets form a sample (spec DECISION §4.2).
                    return;
                }
                let base = *self.base_abs.get_or_insert(even_abs);
                let idx = even_abs.saturating_sub(base) / 2;
                let mut frame = [0f64; 19];
                for i in 0..8 {
                    frame[i] = f64::from(p.counts[i]) * self.scales[i];
                    frame[8 + i] = f64::from(even.counts[i]) * self.scales[8 + i];
                }
                frame[16..19].copy_from_slice(&self.accel);
                self.emit(idx, &frame, t, marker);
            }
        }
    }

    fn emit(&mut self, idx: u64, frame: &[f64], t: u64, marker: Option<Event>) {
        if idx < self.next_sample {
            // Cannot happen with a monotonic absolute index; never emit a sample twice.
            return;
        }
        let n_ch = frame.len();
        if idx > self.next_sample {
            let gap = idx - self.next_sample;
            self.stats.lost_samples += gap;
            self.stats.gaps += 1;
            if let Some(c) = self.cur.take() {
                self.ready.push_back(c);
            }
            self.pending_events.push(Event {
                onset: self.next_sample,
                duration: gap,
                label: format!("{GAP_LABEL} {gap} samples lost"),
            });
            self.next_sample = idx;
        }
        let cur = self.cur.get_or_insert_with(|| Chunk {
            first_sample: idx,
            n_channels: n_ch,
            data: Vec::with_capacity(n_ch * 16),
            host_time_ns: t,
            events: Vec::new(),
        });
        if !self.pending_events.is_empty() {
            cur.events.append(&mut self.pending_events);
        }
        if let Some(mut m) = marker {
            m.onset = idx;
            cur.events.push(m);
        }
        for e in cur
            .events
            .iter_mut()
            .filter(|e| e.label.ends_with("(daisy half)"))
        {
            e.onset = e.onset.max(idx);
        }
        cur.data.extend_from_slice(frame);
        cur.host_time_ns = t;
        self.next_sample = idx + 1;
        self.stats.samples += 1;
    }
}
