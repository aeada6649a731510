//! MOABB-style benchmarks of decoding pipelines on real datasets: reproducible, fast, with
//! tables, plots and sharding across machines.
//!
//! What it promises:
//! - **MOABB's protocol.** Paradigms ([`paradigm`]) filter each run on its own (zero-phase as
//!   MNE's IIR filter, or causal), cut epochs at the class events and score with ROC-AUC (two
//!   classes) or accuracy. Within-session folds are scikit-learn's
//!   `StratifiedKFold(5, shuffle=True, random_state=seed)` bit for bit ([`folds`]), so with seed 42
//!   the splits are MOABB's.
//! - **Pipelines by name or from TOML** ([`pipeline`]), evaluated within-session, cross-session or
//!   cross-subject ([`eval`]), each also fitted on shuffled labels as a control against chance.
//! - **Reproducible output** ([`report`]): the same seed and data give byte-identical
//!   `results.csv`, `results.json`, `folds.csv`, `predictions.csv` and `summary.md`; times (which
//!   never repeat) live only in `timings.csv`. Shards (`--shard K/N`) merge into exactly the files
//!   of an unsharded run ([`report::merge`]).
//! - **Plots** ([`plot`]): per-subject scores by pipeline, and pairwise pipeline comparison.

pub mod eval;
pub mod folds;
pub mod paradigm;
pub mod pipeline;
pub mod plot;
pub mod report;

pub use eval::{BenchConfig, Evaluation, RunOutput, Shard, run};
pub use paradigm::{FilterMode, Metric, Paradigm};
pub use pipeline::{Model, PipelineSpec};
pub use report::{merge, write_outputs};

/// Everything a benchmark run can fail with; messages name the file, subject or value.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Core(#[from] bci_core::Error),
    #[error(transparent)]
    Decode(#[from] bci_decode::DecodeError),
    #[error("{0}")]
    Dataset(String),
    #[error("invalid {name} = {value}: {message}")]
    InvalidParameter {
        name: String,
        value: String,
        message: String,
    },
    /// Data that cannot be benchmarked as asked (missing files, no events, too few epochs).
    #[error("{0}")]
    Data(String),
    /// Shard outputs that do not belong together.
    #[error("merge: {0}")]
    Merge(String),
    #[error("plot {path}: {message}")]
    Plot { path: String, message: String },
}

impl BenchError {
    pub(crate) fn invalid(name: &str, value: impl std::fmt::Display, message: &str) -> Self {
        BenchError::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn dataset(e: bci_datasets::DatasetError) -> Self {
        BenchError::Dataset(e.to_string())
    }
}

/// Result with [`BenchError`].
pub type Result<T, E = BenchError> = std::result::Result<T, E>;

/// Version of this tool, recorded in every result.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
