//! What flows through a live stream: a description of the stream and chunks of frames.

use crate::{Channel, Event};

/// What a source produces: its channels and nominal rate.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// Human-readable source name (`"Cyton /dev/ttyUSB0"`, `"file S001R04.edf"`).
    pub name: String,
    pub channels: Vec<Channel>,
    /// Nominal samples per second.
    pub sample_rate: f64,
}

/// A run of consecutive frames. `data` is frame-major: the value of channel `c` in frame `f` is
/// `data[f * n_channels + c]`, voltage channels in µV.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Sample index of the first frame; indices are consecutive within a chunk and across chunks
    /// (a gap in the device's data advances the index and is reported as an event).
    pub first_sample: u64,
    pub n_channels: usize,
    pub data: Vec<f64>,
    /// Monotonic host time (ns since the source started) at which the last frame was received.
    pub host_time_ns: u64,
    /// Events that fall in or before this chunk (markers, gaps), placed at sample indices.
    pub events: Vec<Event>,
}

impl Chunk {
    /// Number of frames in the chunk.
    pub fn n_frames(&self) -> usize {
        self.data.len().checked_div(self.n_channels).unwrap_or(0)
    }

    /// Sample index one past the last frame.
    pub fn end_sample(&self) -> u64 {
        self.first_sample + self.n_frames() as u64
    }

    /// The frame at `i` (0-based within the chunk).
    pub fn frame(&self, i: usize) -> &[f64] {
        &self.data[i * self.n_channels..(i + 1) * self.n_channels]
    }
}
