//! Acquisition: every source of live EEG behind one [`Source`] trait.
//!
//! - [`cyton::CytonSource`]: OpenBCI Cyton and Cyton+Daisy over a serial port (or the firmware
//!   simulator's pseudo-terminal), with the handshake, settings, loss accounting and reconnect.
//! - [`brainflow::BrainFlowSource`]: any BrainFlow board, through BrainFlow's own
//!   `libBoardController.so` loaded at run time.
//! - [`replay::FileSource`]: a recording played back in real time, faster, or as fast as possible.
//! - [`synthetic::SyntheticSource`]: a generated signal, paced in real time, faster, or unpaced.
//!
//! The building blocks of the Cyton path are public so they can be tested and benchmarked
//! alone: [`packet`] (one packet), [`framer`] (finding packets in bytes), [`decoder`] (loss,
//! Daisy pairing, scaling, chunks). [`spec`] parses the `--source` strings of `bci record`, and
//! [`devices`] lists serial ports.

pub mod brainflow;
pub mod cyton;
pub mod decoder;
pub mod devices;
pub mod framer;
pub mod packet;
pub mod record;
pub mod replay;
pub mod spec;
pub mod synthetic;

use std::time::Duration;

pub use bci_core::{Chunk, Error, Result, StreamInfo};
pub use decoder::{BoardKind, BoardMode, CytonDecoder, DecoderStats, GAP_LABEL};

/// What a source counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SourceStats {
    /// Frames handed on.
    pub samples: u64,
    /// Samples known to be missing (each gap is also an event in the chunks).
    pub lost_samples: u64,
    /// Gap events.
    pub gaps: u64,
    /// Bytes thrown away while looking for packets (serial sources).
    pub skipped_bytes: u64,
    /// Times the device vanished and came back.
    pub reconnects: u64,
    /// Samples per second measured over the session (frames + lost over host time), if known.
    pub measured_rate: Option<f64>,
}

/// One interface for every source of frames.
///
/// The caller drives it from one thread: `start`, then `next_chunk` in a loop, then `stop`.
/// `next_chunk` never blocks longer than its timeout, so a pipeline thread can poll it, check its
/// own stop flag and keep its latency bounded. Sources that need a reader thread own it.
pub trait Source: Send {
    /// Channels, rate and name of the stream (valid before `start`).
    fn info(&self) -> StreamInfo;
    /// Begin streaming.
    fn start(&mut self) -> Result<()>;
    /// The next chunk, waiting at most `timeout`. `Ok(None)`: nothing yet (or, when
    /// [`finished`](Self::finished) says so, nothing ever again). `Err`: the source cannot go on.
    fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Chunk>>;
    /// Like [`next_chunk`](Self::next_chunk), but into a caller's chunk whose buffers the source
    /// may reuse: `Ok(true)` when `chunk` now holds the next chunk (all its fields overwritten),
    /// `Ok(false)` when nothing came (then `chunk` is unspecified). Sources that can fill in
    /// place (the synthetic one) allocate nothing once the buffers have grown; the default moves
    /// `next_chunk`'s result in.
    fn next_chunk_into(&mut self, chunk: &mut Chunk, timeout: Duration) -> Result<bool> {
        match self.next_chunk(timeout)? {
            Some(c) => {
                *chunk = c;
                Ok(true)
            }
            None => Ok(false),
        }
    }
    /// Stop streaming and release the device; safe to call twice.
    fn stop(&mut self) -> Result<()>;
    /// Counters so far.
    fn stats(&self) -> SourceStats;
    /// True when a finite source (a file) has delivered everything.
    fn finished(&self) -> bool {
        false
    }
    /// Messages for the user that arrived since the last call (warnings, disconnects,
    /// reconnects). The CLI prints them; a GUI shows them.
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Monotonic nanoseconds since the first call in this process.
pub fn monotonic_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
