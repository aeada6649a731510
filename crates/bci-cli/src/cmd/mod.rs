//! One module per subcommand; each parses its arguments and calls a library.

pub mod bench;
pub mod convert;
pub mod datasets;
pub mod demo;
pub mod devices;
pub mod filter;
pub mod inspect;
pub mod live;
pub mod predict;
pub mod psd;
pub mod record;
pub mod replay;
pub mod run;
pub mod stream;
pub mod train;
