//! A recording played back as a stream: in real time, `speed` times faster, or as fast as the
//! consumer takes it. Events of the recording travel in the chunks at their sample indices.

use std::time::{Duration, Instant};

use bci_core::{Chunk, Recording, Result, StreamInfo};

use crate::{Source, SourceStats};

/// Frames per chunk when pacing is off.
const FAST_CHUNK: usize = 1024;

/// Plays a [`Recording`].
#[derive(Debug)]
pub struct FileSource {
    name: String,
    rec: Recording,
    /// `None`: as fast as possible; `Some(s)`: `s` × real time.
    speed: Option<f64>,
    started: Option<Instant>,
    next_sample: usize,
    next_event: usize,
    stats: SourceStats,
}

impl FileSource {
    /// Replay `rec` (named `name` in the stream info) at `speed` × real time, or unpaced.
    pub fn new(name: impl Into<String>, rec: Recording, speed: Option<f64>) -> Result<Self> {
        if let Some(s) = speed
            && !(s.is_finite() && s > 0.0)
        {
            return Err(bci_core::Error::invalid(
                "speed",
                s,
                "must be a positive number",
            ));
        }
        if !(rec.sample_rate.is_finite() && rec.sample_rate > 0.0) {
            return Err(bci_core::Error::invalid(
                "sample rate",
                rec.sample_rate,
                "the recording has no usable sample rate",
            ));
        }
        let mut rec = rec;
        rec.events.sort_by_key(|e| e.onset);
        Ok(FileSource {
            name: name.into(),
            rec,
            speed,
            started: None,
            next_sample: 0,
            next_event: 0,
            stats: SourceStats::default(),
        })
    }

    fn chunk(&mut self, end: usize) -> Chunk {
        let n_ch = self.rec.n_channels();
        let start = self.next_sample;
        let mut data = Vec::with_capacity((end - start) * n_ch);
        for s in start..end {
            data.extend(self.rec.data.column(s).iter().copied());
        }
        let mut events = Vec::new();
        while let Some(e) = self.rec.events.get(self.next_event) {
            if e.onset >= end as u64 {
                break;
            }
            events.push(e.clone());
            self.next_event += 1;
        }
        self.next_sample = end;
        self.stats.samples = end as u64;
        Chunk {
            first_sample: start as u64,
            n_channels: n_ch,
            data,
            host_time_ns: crate::monotonic_ns(),
            events,
        }
    }
}

impl Source for FileSource {
    fn info(&self) -> StreamInfo {
        StreamInfo {
            name: self.name.clone(),
            channels: self.rec.channels.clone(),
            sample_rate: self.rec.sample_rate,
        }
    }

    fn start(&mut self) -> Result<()> {
        self.started = Some(Instant::now());
        Ok(())
    }

    fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Chunk>> {
        let total = self.rec.n_samples();
        let Some(t0) = self.started else {
            return Ok(None);
        };
        if self.next_sample >= total {
            return Ok(None);
        }
        let Some(speed) = self.speed else {
            let end = (self.next_sample + FAST_CHUNK).min(total);
            return Ok(Some(self.chunk(end)));
        };
        let rate = self.rec.sample_rate * speed;
        let deadline = Instant::now() + timeout;
        loop {
            let due = ((t0.elapsed().as_secs_f64() * rate) as usize).min(total);
            if due > self.next_sample {
                self.stats.measured_rate = Some(self.rec.sample_rate);
                return Ok(Some(self.chunk(due)));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let next_due = t0 + Duration::from_secs_f64((self.next_sample + 1) as f64 / rate);
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

    fn finished(&self) -> bool {
        self.next_sample >= self.rec.n_samples()
    }
}
