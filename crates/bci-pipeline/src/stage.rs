//! Preprocessing stages: in-place transforms of a block of frames that keep their state from one
//! block to the next, so a stream gives the same numbers however it is cut into blocks.

use bci_core::{Error, Result};
use bci_dsp::{Band, Sos, SosFilter, butter, notch_comb};

use crate::ring::Block;

/// One extension point of the pipeline: a causal transform applied to every block in order.
pub trait Stage: Send {
    /// What the stage does, for the session summary.
    fn describe(&self) -> String;
    /// Transforms the block's frames in place (the channel count stays).
    fn process(&mut self, block: &mut Block) -> Result<()>;
    /// Forgets the past: called after a gap, so the transient of the restart is the only
    /// trace the gap leaves.
    fn reset(&mut self);
}

/// A causal IIR filter (second-order sections) over every channel.
pub struct FilterStage {
    what: String,
    filter: SosFilter<f64>,
}

impl FilterStage {
    pub fn new(what: impl Into<String>, sos: &Sos, n_channels: usize) -> Result<Self> {
        Ok(FilterStage {
            what: what.into(),
            filter: SosFilter::new(sos, n_channels)?,
        })
    }

    /// Butterworth band-pass `lo`–`hi` Hz of `order`.
    pub fn bandpass(lo: f64, hi: f64, order: usize, rate: f64, n_channels: usize) -> Result<Self> {
        let sos = butter(order, Band::Bandpass(lo, hi), rate)?;
        Self::new(
            format!("band-pass {lo}-{hi} Hz (Butterworth order {order}, causal)"),
            &sos,
            n_channels,
        )
    }

    /// Notches at `base` Hz (50 or 60) and its harmonics below Nyquist.
    pub fn notch(base: f64, rate: f64, n_channels: usize) -> Result<Self> {
        let sos = notch_comb(base, 30.0, rate)?;
        Self::new(
            format!("notch {base} Hz + harmonics (Q 30, causal)"),
            &sos,
            n_channels,
        )
    }
}

impl Stage for FilterStage {
    fn describe(&self) -> String {
        self.what.clone()
    }

    fn process(&mut self, block: &mut Block) -> Result<()> {
        self.filter.process(&mut block.data)
    }

    fn reset(&mut self) {
        self.filter.reset();
    }
}

/// Common average reference: each frame minus the mean of its channels.
pub struct CommonAverage;

impl Stage for CommonAverage {
    fn describe(&self) -> String {
        "common average reference".into()
    }

    fn process(&mut self, block: &mut Block) -> Result<()> {
        let n = block.n_channels;
        if n == 0 {
            return Err(Error::invalid("channels", 0, "a block needs channels"));
        }
        for frame in block.data.chunks_exact_mut(n) {
            let mean = frame.iter().sum::<f64>() / n as f64;
            for v in frame {
                *v -= mean;
            }
        }
        Ok(())
    }

    fn reset(&mut self) {}
}

/// Picks channels by index (in the given order) while copying a block.
#[derive(Debug, Clone)]
pub struct ChannelPick {
    indices: Vec<usize>,
    identity: bool,
}

impl ChannelPick {
    /// The channels `wanted` out of `available`, by name; a missing one is an error naming it.
    pub fn by_name(wanted: &[String], available: &[String]) -> Result<Self> {
        let mut indices = Vec::with_capacity(wanted.len());
        for w in wanted {
            let i = available.iter().position(|a| a == w).ok_or_else(|| {
                Error::Mismatch(format!(
                    "channel {w:?} is not in the stream (it has {})",
                    available.join(", ")
                ))
            })?;
            indices.push(i);
        }
        let identity =
            indices.len() == available.len() && indices.iter().enumerate().all(|(k, &i)| k == i);
        Ok(ChannelPick { indices, identity })
    }

    /// Every channel, in order.
    pub fn all(n: usize) -> Self {
        ChannelPick {
            indices: (0..n).collect(),
            identity: true,
        }
    }

    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Copies `src` into `dst` with only the picked channels (reusing `dst`'s storage).
    pub fn copy(&self, src: &Block, dst: &mut Block) {
        dst.first_sample = src.first_sample;
        dst.host_time_ns = src.host_time_ns;
        dst.n_channels = self.indices.len();
        dst.events.clear();
        dst.events.extend_from_slice(&src.events);
        dst.data.clear();
        if self.identity {
            dst.data.extend_from_slice(&src.data);
            return;
        }
        for frame in src.data.chunks_exact(src.n_channels.max(1)) {
            dst.data.extend(self.indices.iter().map(|&i| frame[i]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_reorders_and_names_the_missing_channel() {
        let avail: Vec<String> = ["C3", "Cz", "C4"].iter().map(|s| s.to_string()).collect();
        let pick = ChannelPick::by_name(&["C4".into(), "C3".into()], &avail).unwrap();
        let src = Block {
            first_sample: 5,
            n_channels: 3,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            host_time_ns: 9,
            events: vec![],
        };
        let mut dst = Block::default();
        pick.copy(&src, &mut dst);
        assert_eq!(dst.data, vec![3.0, 1.0, 6.0, 4.0]);
        assert_eq!(
            (dst.first_sample, dst.n_channels, dst.host_time_ns),
            (5, 2, 9)
        );
        let err = ChannelPick::by_name(&["Pz".into()], &avail)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Pz") && err.contains("C3, Cz, C4"), "{err}");
    }

    #[test]
    fn common_average_zeroes_the_frame_mean() {
        let mut b = Block {
            first_sample: 0,
            n_channels: 2,
            data: vec![1.0, 3.0, -2.0, 2.0],
            host_time_ns: 0,
            events: vec![],
        };
        CommonAverage.process(&mut b).unwrap();
        assert_eq!(b.data, vec![-1.0, 1.0, -2.0, 2.0]);
    }
}
