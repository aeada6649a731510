//! One error type for the whole workspace, so a caller can tell malformed input from an I/O
//! failure, an unsupported feature or a wrong parameter, and every message names the place.

use std::fmt;
use std::path::PathBuf;

/// Result with the workspace [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input something went wrong: a named header field, a byte offset, a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A named field, e.g. `header field "number of data records" (bytes 236..244)`.
    Field(String),
    /// A byte offset from the start of the file.
    Byte(u64),
    /// A 1-based line number (text formats), with an optional column name.
    Line { line: u64, column: Option<String> },
    /// The file as a whole (e.g. it is empty or a directory).
    Whole,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Field(name) => write!(f, "{name}"),
            Location::Byte(offset) => write!(f, "byte offset {offset}"),
            Location::Line { line, column: None } => write!(f, "line {line}"),
            Location::Line {
                line,
                column: Some(c),
            } => write!(f, "line {line}, column \"{c}\""),
            Location::Whole => write!(f, "whole file"),
        }
    }
}

/// Every failure the libraries report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file or device failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input does not follow its format; `location` says where, `message` what to do.
    #[error("{}: {location}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        location: Location,
        message: String,
    },
    /// The input is valid but uses something we do not implement.
    #[error("{}: unsupported: {message}", path.display())]
    Unsupported { path: PathBuf, message: String },
    /// A caller passed a value outside its domain.
    #[error("invalid {name} = {value}: {message}")]
    InvalidParameter {
        name: String,
        value: String,
        message: String,
    },
    /// Two things that must agree do not (a model's channels against a stream's, say).
    #[error("{0}")]
    Mismatch(String),
    /// A device or external library failed.
    #[error("{0}")]
    Device(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Malformed input at `location` in `path`.
    pub fn malformed(
        path: impl Into<PathBuf>,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Error::Malformed {
            path: path.into(),
            location,
            message: message.into(),
        }
    }

    /// An invalid parameter value.
    pub fn invalid(
        name: impl Into<String>,
        value: impl fmt::Display,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            message: message.into(),
        }
    }
}
