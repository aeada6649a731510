//! A generated stream paced in real time: 10 Hz alpha on every channel with per-channel phase,
//! a little 50 Hz line noise and deterministic pseudo-random noise. For demos and pipeline tests.

use std::f64::consts::TAU;
use std::time::{Duration, Instant};

use bci_core::{Channel, Chunk, Result, StreamInfo};

use crate::{Source, SourceStats};

/// Synthetic EEG.
#[derive(Debug)]
pub struct SyntheticSource {
    n_channels: usize,
    sample_rate: f64,
    started: Option<Instant>,
    next_sample: u64,
    rng: u64,
    stats: SourceStats,
}

impl SyntheticSource {
    /// `n_channels` channels at `sample_rate` Hz (8 and 250 for `synthetic`).
    pub fn new(n_channels: usize, sample_rate: f64) -> Result<Self> {
        if n_channels == 0 || n_channels > 1024 {
            return Err(bci_core::Error::invalid(
                "channels",
                n_channels,
                "must be 1..=1024",
            ));
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0 && sample_rate <= 100_000.0) {
            return Err(bci_core::Error::invalid(
                "rate",
                sample_rate,
                "must be in (0, 100000] Hz",
            ));
        }
        Ok(SyntheticSource {
            n_channels,
            sample_rate,
            started: None,
            next_sample: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            stats: SourceStats::default(),
        })
    }

    fn noise(&mut self) -> f64 {
        // xorshift64*: deterministic, no dependency; roughly uniform in [-1, 1).
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let v = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (v >> 11) as f64 / (1u64 << 52) as f64 - 1.0
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
        let Some(t0) = self.started else {
            return Ok(None);
        };
        let deadline = Instant::now() + timeout;
        loop {
            let due = (t0.elapsed().as_secs_f64() * self.sample_rate) as u64;
            if due > self.next_sample {
                let n = (due - self.next_sample) as usize;
                let mut data = Vec::with_capacity(n * self.n_channels);
                for k in 0..n {
                    let t = (self.next_sample + k as u64) as f64 / self.sample_rate;
                    for ch in 0..self.n_channels {
                        let phase = ch as f64 * 0.3;
                        let v = 20.0 * (TAU * 10.0 * t + phase).sin()
                            + 2.0 * (TAU * 50.0 * t).sin()
                            + 5.0 * self.noise();
                        data.push(v);
                    }
                }
                let chunk = Chunk {
                    first_sample: self.next_sample,
                    n_channels: self.n_channels,
                    data,
                    host_time_ns: crate::monotonic_ns(),
                    events: Vec::new(),
                };
                self.next_sample = due;
                self.stats.samples = due;
                self.stats.measured_rate = Some(self.sample_rate);
                return Ok(Some(chunk));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let next_due =
                t0 + Duration::from_secs_f64((self.next_sample + 1) as f64 / self.sample_rate);
            std::thread::sleep(next_due.min(deadline).saturating_duration_since(now));
        }
    }

    fn stop(&mut self) -> Result<()> {
        self.started = None;
        Ok(())
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}
