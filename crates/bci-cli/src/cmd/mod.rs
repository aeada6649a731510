//! One module per subcommand.
pub mod convert;
pub mod datasets;
pub mod demo;
pub mod inspect;
