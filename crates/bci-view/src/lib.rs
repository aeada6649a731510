//! The live view in the terminal: scrolling traces, band powers or PSD, channel flags,
//! decoder output, attention index, drops and latency, markers.
//!
//! What it promises:
//! - **It never slows the pipeline.** The crate knows nothing of the pipeline: a
//!   [`ViewModel`] is fed on the view's own thread (from a ring the pipeline may drop into) and
//!   drawn at ~20 fps by [`run_terminal`]; gaps in what it receives are counted and shown.
//! - **Bounded memory.** Traces are kept as min/max buckets in a fixed ring per channel (so a
//!   one-sample spike survives any zoom), spectra from a fixed window of at most
//!   [`model::MAX_SPECTRUM_CHANNELS`] channels, markers and attention values in fixed queues:
//!   an hour of data takes the same memory as a minute.
//! - **Signal quality visible.** A channel is flagged RAIL when |x| reaches 90% of the ADC
//!   limit (187,500 µV, Cyton, by default) and FLAT when its standard deviation over one second
//!   is under 0.5 µV.
//! - **Keys report, they do not act on the pipeline.** [`ViewModel::handle_key`] returns a
//!   [`ViewAction`]; marker keys (1-9, m) ask the caller to place a marker at a sample index.
//! - **The terminal is always restored**: [`TerminalGuard`] leaves raw mode and the alternate
//!   screen on drop, on error and on panic.
//!
//! ```
//! use bci_view::{ViewConfig, ViewModel, render_into};
//! use ratatui::{buffer::Buffer, layout::Rect};
//! let names = vec!["C3".to_string(), "C4".to_string()];
//! let mut model = ViewModel::new(ViewConfig::new(250.0, names))?;
//! let frames: Vec<f64> = (0..500).flat_map(|i| [(i as f64 / 4.0).sin() * 20.0, 0.0]).collect();
//! model.push_frames(0, 2, &frames)?;
//! model.push_prediction(499, "left", &[0.8, 0.2]);
//! let area = Rect::new(0, 0, 80, 24);
//! let mut buf = Buffer::empty(area);
//! render_into(&mut buf, area, &model);
//! # Ok::<(), bci_core::Error>(())
//! ```

pub mod model;
mod render;
mod term;

pub use model::{
    BranchStats, ChannelFlag, MarkerView, PredictionView, SpectrumMode, ViewAction, ViewConfig,
    ViewModel, ViewStats,
};
pub use render::{render, render_into};
pub use term::{Exit, Feed, RunOptions, TerminalGuard, restore_terminal, run_terminal};

/// Re-exported so callers build key events and attention values without naming the crates.
pub use bci_dsp::AttentionIndex;
pub use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
