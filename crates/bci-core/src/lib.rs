//! The shared vocabulary of bci.
//!
//! Every other crate speaks in these types:
//! - a [`Recording`] is a whole file in memory: [`Channel`]s, a sampling rate, data in µV
//!   (channels × samples) and one list of [`Event`]s;
//! - a [`Chunk`] is a run of consecutive frames as it travels through a live stream;
//! - an [`Event`] is placed at a sample index (`u64`), the ground truth of time;
//! - [`Error`] tells bad input (with the file and the place in it) from I/O failures and from
//!   invalid parameters.

mod chunk;
mod error;
mod recording;

pub use chunk::{Chunk, StreamInfo};
pub use error::{Error, Location, Result};
pub use recording::{Channel, ChannelKind, Event, Recording, Subject};
