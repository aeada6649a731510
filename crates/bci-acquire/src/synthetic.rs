//! A generated stream: 10 Hz alpha on every channel with a per-channel phase, a little 50 Hz line
//! noise and deterministic pseudo-random noise. For demos, pipeline tests and benchmarks.
//!
//! Paced in real time by default (`speed` 1), N times real time, or unpaced ("as fast as the
//! consumer asks"). Generation is cheap enough for 1,024 channels at 30 kHz on one core: the
//! sine waves come from a one-period table indexed by a fixed-point phase (no `sin()` per value),
//! and the noise is one xorshift step per value. [`Source::next_chunk_into`] refills a caller's
//! chunk without allocating once its buffer has grown to the chunk size.
//!
//! Chunking: a paced source hands out a chunk as soon as `max(1, rate / 1000)` frames are due, so
//! a 250 Hz stream arrives one frame at a time (as a Cyton delivers it) and a 30 kHz stream in
//! ~1 ms chunks (as a USB acquisition board would); a reader that fell behind catches up in
//! chunks of at most 10 ms of stream. An unpaced source hands out 10 ms of stream per call.

use std::time::{Duration, Instant};

use bci_core::{Channel, Chunk, Result, StreamInfo};

use crate::{Source, SourceStats};

/// Most channels a synthetic stream may have.
pub const MAX_CHANNELS: usize = 4096;

/// log2 of the sine table's length.
const TABLE_BITS: u32 = 12;
/// Fixed-point phase: a full turn is 2^32, the table index is the top `TABLE_BITS` bits.
const PHASE_SHIFT: u32 = 32 - TABLE_BITS;

/// Synthetic EEG.
#[derive(Debug)]
pub struct SyntheticSource {
    n_channels: usize,
    sample_rate: f64,
    /// Multiple of real time, or `None` for as fast as asked.
    speed: Option<f64>,
    started: Option<Instant>,
    next_sample: u64,
    rng: u64,
    stats: SourceStats,
    /// One period of a unit sine, `2^TABLE_BITS` entries.
    table: Vec<f64>,
    /// Each channel's alpha phase offset (0.3 rad × channel), in phase units.
    channel_phase: Vec<u32>,
    /// Phase step of the 10 Hz wave per sample (the 50 Hz wave steps five times as far).
    alpha_step: u32,
    /// Frames a paced chunk waits for; frames an unpaced chunk carries.
    paced_frames: u64,
    unpaced_frames: u64,
}

/// Turns (fractions of a full cycle) to fixed-point phase units.
fn phase_units(turns: f64) -> u32 {
    (turns.rem_euclid(1.0) * 4_294_967_296.0) as u64 as u32
}

impl SyntheticSource {
    /// `n_channels` channels at `sample_rate` Hz (8 and 250 for `synthetic`), in real time.
    pub fn new(n_channels: usize, sample_rate: f64) -> Result<Self> {
        Self::with_speed(n_channels, sample_rate, Some(1.0))
    }

    /// Like [`new`](Self::new), at `speed` × real time, or unpaced when `speed` is `None`.
    pub fn with_speed(n_channels: usize, sample_rate: f64, speed: Option<f64>) -> Result<Self> {
        if n_channels == 0 || n_channels > MAX_CHANNELS {
            return Err(bci_core::Error::invalid(
                "channels",
                n_channels,
                format!("must be 1..={MAX_CHANNELS}"),
            ));
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0 && sample_rate <= 100_000.0) {
            return Err(bci_core::Error::invalid(
                "rate",
                sample_rate,
                "must be in (0, 100000] Hz",
            ));
        }
        if let Some(s) = speed
            && !(s.is_finite() && s > 0.0 && s <= 1000.0)
        {
            return Err(bci_core::Error::invalid(
                "speed",
                s,
                "must be in (0, 1000] (or max)",
            ));
        }
        let n = 1usize << TABLE_BITS;
        let table = (0..n)
            .map(|i| (std::f64::consts::TAU * i as f64 / n as f64).sin())
            .collect();
        let channel_phase = (0..n_channels)
            .map(|c| phase_units(c as f64 * 0.3 / std::f64::consts::TAU))
            .collect();
        Ok(SyntheticSource {
            n_channels,
            sample_rate,
            speed,
            started: None,
            next_sample: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            stats: SourceStats::default(),
            table,
            channel_phase,
            alpha_step: phase_units(10.0 / sample_rate),
            paced_frames: ((sample_rate / 1000.0).floor() as u64).max(1),
            unpaced_frames: ((sample_rate / 100.0).round() as u64).max(1),
        })
    }

    /// Appends `n` frames starting at `self.next_sample` to `out` (frame-major).
    fn generate(&mut self, n: usize, out: &mut Vec<f64>) {
        let n_ch = self.n_channels;
        let start = out.len();
        out.resize(start + n * n_ch, 0.0);
        let mask = (1u32 << TABLE_BITS) - 1;
        let table = &self.table[..];
        let mut rng = self.rng;
        for (k, frame) in out[start..].chunks_exact_mut(n_ch).enumerate() {
            let index = self.next_sample + k as u64;
            // Phase of sample `index`, exact modulo 2^32 (wrapping), so long runs do not drift.
            let base = (index as u32).wrapping_mul(self.alpha_step);
            let line = 2.0 * table[((base.wrapping_mul(5) >> PHASE_SHIFT) & mask) as usize];
            for (v, off) in frame.iter_mut().zip(&self.channel_phase) {
                // xorshift64*: deterministic, no dependency; roughly uniform in [-1, 1).
                rng ^= rng >> 12;
                rng ^= rng << 25;
                rng ^= rng >> 27;
                let r = rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
                let noise = (r >> 11) as f64 * (1.0 / (1u64 << 52) as f64) - 1.0;
                let alpha = table[((base.wrapping_add(*off) >> PHASE_SHIFT) & mask) as usize];
                *v = 20.0 * alpha + line + 5.0 * noise;
            }
        }
        self.rng = rng;
    }

    /// Frames due now (paced), or the unpaced chunk size; waits up to `timeout` for a paced
    /// chunk's worth. `None`: nothing due before the timeout.
    fn due(&self, timeout: Duration) -> Option<usize> {
        let t0 = self.started?;
        let Some(speed) = self.speed else {
            return Some(self.unpaced_frames as usize);
        };
        let rate = self.sample_rate * speed;
        let deadline = Instant::now() + timeout;
        loop {
            let due = (t0.elapsed().as_secs_f64() * rate) as u64;
            if due >= self.next_sample + self.paced_frames {
                // After a stall, catch up in chunks of at most 10 ms of stream (or the paced
                // size): a 30 kHz × 1,024-channel second in one chunk would be 245 MB.
                let n = (due - self.next_sample).min(self.paced_frames.max(self.unpaced_frames));
                return Some(n.max(1) as usize);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let next_due =
                t0 + Duration::from_secs_f64((self.next_sample + self.paced_frames) as f64 / rate);
            std::thread::sleep(next_due.min(deadline).saturating_duration_since(now));
        }
    }

    fn advance(&mut self, n: usize) {
        self.next_sample += n as u64;
        self.stats.samples = self.next_sample;
        self.stats.measured_rate = Some(self.sample_rate * self.speed.unwrap_or(1.0));
    }
}

impl Source for SyntheticSource {
    fn info(&self) -> StreamInfo {
        StreamInfo {
            name: "synthetic".into(),
            channels: (0..self.n_channels)
                .map(|i| Channel::eeg(format!("EEG {}", i + 1), -187_500.0, 187_500.0))
                .collect(),
            sample_rate: self.sample_rate,
        }
    }

    fn start(&mut self) -> Result<()> {
        self.started = Some(Instant::now());
        Ok(())
    }

    fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Chunk>> {
        let mut chunk = Chunk {
            first_sample: 0,
            n_channels: self.n_channels,
            data: Vec::new(),
            host_time_ns: 0,
            events: Vec::new(),
        };
        Ok(self.next_chunk_into(&mut chunk, timeout)?.then_some(chunk))
    }

    fn next_chunk_into(&mut self, chunk: &mut Chunk, timeout: Duration) -> Result<bool> {
        let Some(n) = self.due(timeout) else {
            return Ok(false);
        };
        chunk.first_sample = self.next_sample;
        chunk.n_channels = self.n_channels;
        chunk.data.clear();
        chunk.events.clear();
        // Room for the largest chunk (a 10 ms catch-up) from the start, so a late catch-up
        // does not grow the buffer in the middle of a session.
        let largest = ((self.sample_rate * 0.01).ceil() as usize).max(n);
        chunk.data.reserve(largest * self.n_channels);
        self.generate(n, &mut chunk.data);
        chunk.host_time_ns = crate::monotonic_ns();
        self.advance(n);
        Ok(true)
    }

    fn stop(&mut self) -> Result<()> {
        self.started = None;
        Ok(())
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table-driven generator is the closed-form signal the source has always produced
    /// (alpha with 0.3 rad per channel, 50 Hz line, noise), to within the table's resolution.
    #[test]
    fn table_signal_matches_the_closed_form() {
        let (n_ch, rate) = (8, 250.0);
        let mut s = SyntheticSource::with_speed(n_ch, rate, None).unwrap();
        let mut out = Vec::new();
        let frames = 3000; // 12 s: 120 alpha periods
        s.generate(frames, &mut out);
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut worst = 0.0f64;
        for k in 0..frames {
            let t = k as f64 / rate;
            for c in 0..n_ch {
                rng ^= rng >> 12;
                rng ^= rng << 25;
                rng ^= rng >> 27;
                let noise = (rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64
                    / (1u64 << 52) as f64
                    - 1.0;
                let want = 20.0 * (std::f64::consts::TAU * 10.0 * t + c as f64 * 0.3).sin()
                    + 2.0 * (std::f64::consts::TAU * 50.0 * t).sin()
                    + 5.0 * noise;
                worst = worst.max((out[k * n_ch + c] - want).abs());
            }
        }
        // 20 µV × 2π / 4096 per table step, plus the 50 Hz term's share.
        assert!(worst < 0.04, "worst deviation {worst} µV");
        assert!(worst > 0.0);
    }

    #[test]
    fn chunks_are_contiguous_and_reuse_the_buffer() {
        let mut s = SyntheticSource::with_speed(4, 1000.0, None).unwrap();
        s.start().unwrap();
        let mut chunk = s.next_chunk(Duration::ZERO).unwrap().unwrap();
        assert_eq!((chunk.first_sample, chunk.n_frames()), (0, 10));
        let cap = chunk.data.capacity();
        let ptr = chunk.data.as_ptr();
        for i in 1..20u64 {
            assert!(s.next_chunk_into(&mut chunk, Duration::ZERO).unwrap());
            assert_eq!((chunk.first_sample, chunk.n_frames()), (i * 10, 10));
            assert_eq!((chunk.data.capacity(), chunk.data.as_ptr()), (cap, ptr));
        }
        assert_eq!(s.stats().samples, 200);
    }

    #[test]
    fn paced_source_keeps_real_time() {
        let mut s = SyntheticSource::new(2, 1000.0).unwrap();
        s.start().unwrap();
        let t0 = Instant::now();
        let mut got = 0u64;
        let mut chunk = Chunk {
            first_sample: 0,
            n_channels: 2,
            data: Vec::new(),
            host_time_ns: 0,
            events: Vec::new(),
        };
        while t0.elapsed() < Duration::from_millis(200) {
            if s.next_chunk_into(&mut chunk, Duration::from_millis(20))
                .unwrap()
            {
                assert_eq!(chunk.first_sample, got);
                got += chunk.n_frames() as u64;
            }
        }
        // 200 ms at 1 kHz: never ahead of the clock, and not far behind it.
        let due = (t0.elapsed().as_secs_f64() * 1000.0) as u64 + 2;
        assert!(got <= due && got >= 150, "{got} frames in 200 ms");
    }

    #[test]
    fn refuses_bad_parameters() {
        for (ch, rate, speed, needle) in [
            (0, 250.0, Some(1.0), "channels"),
            (MAX_CHANNELS + 1, 250.0, Some(1.0), "channels"),
            (8, 0.0, Some(1.0), "rate"),
            (8, 250.0, Some(0.0), "speed"),
            (8, 250.0, Some(f64::NAN), "speed"),
        ] {
            let e = SyntheticSource::with_speed(ch, rate, speed)
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
