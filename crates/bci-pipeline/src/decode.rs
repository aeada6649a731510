//! Sliding windows over the preprocessed stream and the model applied to each.
//!
//! A window ends on every sample index `e` with `(e + 1) % step == 0` once `window` samples are
//! available, so which windows are decoded depends only on sample indices — never on how the
//! stream was cut into chunks or how fast it came. That is what makes a live run and a replay of
//! its recording give the same predictions.

use std::sync::Arc;

use bci_core::Result;
use bci_decode::model::Model;
use bci_decode::pipeline::Decoder;
use ndarray::Array3;

use crate::ring::Block;

/// One decoded window.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Sample index of the window's last sample.
    pub sample_index: u64,
    /// Host time (monotonic ns) at which that sample was received from the device.
    pub received_ns: u64,
    /// Host time at which the decoder finished with the window.
    pub decoded_ns: u64,
    /// Index into the model's classes of the highest score.
    pub class: usize,
    pub label: Arc<str>,
    /// Per-class scores (see `bci_decode::pipeline::Decoder::scores`).
    pub scores: Vec<f64>,
    /// Softmax of the scores at the chosen class (for LDA/LR, the predicted probability).
    pub confidence: f64,
}

/// The decode stage: a ring of the last `window` frames and a model.
pub struct WindowDecoder {
    model: Model,
    labels: Vec<Arc<str>>,
    n_channels: usize,
    window: usize,
    step: u64,
    /// Circular buffer, frame-major, `window` frames.
    history: Vec<f64>,
    /// Frames written into `history` so far since the last reset (saturates at `window`).
    filled: usize,
    /// Where the next frame goes in `history`.
    head: usize,
    /// The next expected sample index (a jump means frames were lost upstream).
    next_sample: Option<u64>,
    epoch: Array3<f64>,
    /// Windows skipped because they overlapped a gap.
    pub skipped_windows: u64,
}

impl WindowDecoder {
    /// Decodes windows of the model's length every `step` samples. The stream's channels must
    /// be the model's, in the model's order (the preprocess stage picks them).
    pub fn new(model: Model, step: u64) -> Result<Self> {
        let (_, window) = model
            .window
            .samples(model.sample_rate)
            .map_err(|e| bci_core::Error::Mismatch(e.to_string()))?;
        let n_channels = model.channels.len();
        let labels = model
            .classes
            .iter()
            .map(|c| Arc::from(c.as_str()))
            .collect();
        Ok(WindowDecoder {
            labels,
            n_channels,
            window,
            step: step.max(1),
            history: vec![0.0; window * n_channels],
            filled: 0,
            head: 0,
            next_sample: None,
            epoch: Array3::zeros((1, n_channels, window)),
            skipped_windows: 0,
            model,
        })
    }

    /// Samples per window.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Feeds a block; `emit` receives each window that ends inside it, in order.
    pub fn push(&mut self, block: &Block, emit: &mut dyn FnMut(Prediction)) -> Result<()> {
        if block.n_channels != self.n_channels {
            return Err(bci_core::Error::Mismatch(format!(
                "the decoder expects {} channels, a block has {}",
                self.n_channels, block.n_channels
            )));
        }
        if self.next_sample.is_some_and(|n| n != block.first_sample) {
            // Frames missing upstream: a window across the gap would mix unrelated data.
            let lost_windows = block
                .first_sample
                .saturating_sub(self.next_sample.unwrap_or(0))
                / self.step;
            self.skipped_windows += lost_windows;
            self.filled = 0;
        }
        let n = self.n_channels;
        for (k, frame) in block.data.chunks_exact(n).enumerate() {
            let at = self.head * n;
            self.history[at..at + n].copy_from_slice(frame);
            self.head = (self.head + 1) % self.window;
            self.filled = (self.filled + 1).min(self.window);
            let index = block.first_sample + k as u64;
            if (index + 1).is_multiple_of(self.step) {
                if self.filled == self.window {
                    emit(self.decode(index, block.host_time_ns)?);
                } else if index + 1 >= self.window as u64 {
                    self.skipped_windows += 1;
                }
            }
        }
        self.next_sample = Some(block.end_sample());
        Ok(())
    }

    fn decode(&mut self, index: u64, received_ns: u64) -> Result<Prediction> {
        let n = self.n_channels;
        // Oldest frame first: `head` is where the oldest one sits.
        for t in 0..self.window {
            let at = ((self.head + t) % self.window) * n;
            for c in 0..n {
                self.epoch[[0, c, t]] = self.history[at + c];
            }
        }
        let scores = self
            .model
            .pipeline
            .scores(self.epoch.view())
            .map_err(|e| bci_core::Error::Mismatch(e.to_string()))?;
        let row: Vec<f64> = scores.row(0).to_vec();
        let mut class = 0;
        for (k, s) in row.iter().enumerate() {
            if *s > row[class] {
                class = k;
            }
        }
        let max = row[class];
        let denom: f64 = row.iter().map(|s| (s - max).exp()).sum();
        Ok(Prediction {
            sample_index: index,
            received_ns,
            decoded_ns: bci_acquire::monotonic_ns(),
            class,
            label: self
                .labels
                .get(class)
                .cloned()
                .unwrap_or_else(|| Arc::from("?")),
            confidence: 1.0 / denom,
            scores: row,
        })
    }
}
