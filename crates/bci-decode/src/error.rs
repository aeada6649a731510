//! Typed failures of fitting and applying decoders. Every variant names what is wrong and
//! where (which epoch, which channel, which class), so the CLI can print it as is.

/// Result with the decode [`DecodeError`].
pub type Result<T, E = DecodeError> = std::result::Result<T, E>;

/// What can go wrong when fitting or applying a decoder.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Fewer training epochs than classes (or than a fold needs).
    #[error(
        "too few epochs: {n_epochs} epochs for {n_classes} classes; need at least one epoch per class and more epochs than classes"
    )]
    TooFewEpochs { n_epochs: usize, n_classes: usize },
    /// Every training epoch carries the same label.
    #[error("only one class in the training labels ({label}); a classifier needs at least two")]
    SingleClass { label: String },
    /// A covariance (or class mean) is not positive definite, e.g. because a channel is flat.
    #[error(
        "singular covariance in {what}: {detail}; check for flat or duplicated channels (channel variances: min {min_variance:e})"
    )]
    SingularCovariance {
        what: String,
        detail: String,
        min_variance: f64,
    },
    /// A NaN or infinity in the input data.
    #[error(
        "non-finite value {value} in {what} at epoch {epoch}, channel {channel}, sample {sample}"
    )]
    NonFinite {
        what: String,
        epoch: usize,
        channel: usize,
        sample: usize,
        value: f64,
    },
    /// Arrays whose shapes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The labels given do not match the model's classes, or a label is unknown.
    #[error("label error: {0}")]
    Label(String),
    /// A parameter outside its domain.
    #[error("invalid {name} = {value}: {message}")]
    InvalidParameter {
        name: String,
        value: String,
        message: String,
    },
    /// A model file or stream does not fit the model (channels, rate, version).
    #[error("{0}")]
    Mismatch(String),
    /// A numerical routine failed to converge.
    #[error("{what} did not converge: {detail}")]
    NoConvergence { what: String, detail: String },
    /// The model file could not be read or parsed.
    #[error("model file {path}: {message}")]
    ModelFile { path: String, message: String },
    /// An error from the shared layer (reading files, filters).
    #[error(transparent)]
    Core(#[from] bci_core::Error),
}

impl DecodeError {
    pub(crate) fn invalid(name: &str, value: impl std::fmt::Display, message: &str) -> Self {
        DecodeError::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            message: message.into(),
        }
    }
}

impl From<DecodeError> for bci_core::Error {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Core(c) => c,
            DecodeError::Mismatch(m) => bci_core::Error::Mismatch(m),
            DecodeError::InvalidParameter {
                name,
                value,
                message,
            } => bci_core::Error::InvalidParameter {
                name,
                value,
                message,
            },
            other => bci_core::Error::InvalidParameter {
                name: "data".into(),
                value: String::new(),
                message: other.to_string(),
            },
        }
    }
}
