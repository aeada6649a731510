//! The live runtime: a source, a lossless recorder branch, causal preprocessing, sliding-window
//! decoding and sinks, each on its own thread, joined by bounded lock-free rings sized in
//! seconds of data.
//!
//! What it promises:
//! - the source thread never waits for a consumer; a full analysis ring drops (counted per
//!   branch, shown in the summary), a full recorder ring ends the session loudly;
//! - every frame the source delivered is in the recording, gaps the device reported are filled
//!   with zeros so a file position is a sample index;
//! - windows are decoded at sample indices that depend only on the stream (every `step`
//!   samples), so a live run and a replay of its recording give the same predictions;
//! - every prediction carries the index of the window's last sample and the host time it was
//!   received; latency histograms cover decoder and each sink;
//! - markers from any [`markers::MarkerInput`] (UDP, LSL, keyboard) are placed at a sample index
//!   and written into the recording;
//! - after warm-up nothing on the frame path (source → rings → filters → recorder) allocates
//!   and nothing takes a lock (see `tests/no_alloc.rs`). The decoder allocates its small
//!   per-window results (one prediction every `step`).

pub mod decode;
pub mod lsl;
pub mod markers;
pub mod ring;
pub mod session;
pub mod sink;
pub mod stage;
pub mod view;

pub use decode::{Prediction, WindowDecoder};
pub use lsl::{LslMarkers, LslSink};
pub use markers::{MarkerIn, MarkerInput, UdpMarkers};
pub use ring::{Block, ValueRing};
pub use session::{
    BranchSummary, LatencySummary, LiveCounters, Session, SessionConfig, SessionSummary,
    SinkSummary,
};
pub use sink::{JsonLines, Output, Sink, Tap, UdpJson};
pub use stage::{ChannelPick, CommonAverage, FilterStage, Stage};
pub use view::ViewSink;
