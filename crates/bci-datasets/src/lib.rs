//! Open EEG datasets: what exists, where it comes from, and a local cache that holds only
//! verified files.
//!
//! Promises:
//! - the registry (`datasets/registry.toml`, generated from official checksum lists) is compiled
//!   in, so `bci datasets list` works offline;
//! - a download goes to `NAME.part`, resumes from there with an HTTP range request, and is renamed
//!   to its final name only after its sha256 matched: a file under its final name is always whole;
//! - every failure names the file, the URL and what to do.

mod cache;
mod fetch;
mod registry;

pub use cache::{VerifyStatus, cache_dir, dataset_dir, verify};
pub use fetch::{FetchOptions, FetchReport, fetch};
pub use registry::{Dataset, FileEntry, Registry, Selection};

use std::path::PathBuf;

/// Everything that can go wrong with datasets.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("unknown dataset \"{name}\"; known datasets: {known}")]
    UnknownDataset { name: String, known: String },
    #[error("invalid selection \"{text}\": {message}")]
    Selection { text: String, message: String },
    #[error("nothing selected in {dataset}: no file matches {selection}")]
    NothingSelected { dataset: String, selection: String },
    #[error(
        "{url}: the server answered HTTP {status}; check the URL or try again later (or set BCI_DATA_MIRROR)"
    )]
    Http { url: String, status: u16 },
    #[error("{url}: {message}; check the network or try again (partial download kept as {}; it resumes)", part.display())]
    Network {
        url: String,
        message: String,
        part: PathBuf,
    },
    #[error("{}: checksum mismatch: expected sha256 {expected}, got {actual}; the download was removed, run the fetch again (if it repeats, the server holds a different file)", path.display())]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the built-in registry is invalid: {0}")]
    Registry(String),
}

/// Result with [`DatasetError`].
pub type Result<T, E = DatasetError> = std::result::Result<T, E>;

fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DatasetError {
    let path = path.into();
    move |source| DatasetError::Io { path, source }
}
