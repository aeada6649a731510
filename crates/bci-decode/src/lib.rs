//! Decoders for EEG epochs that give the numbers of the reference implementations researchers
//! already trust: pyRiemann 0.12 (covariances, CSP, Riemannian mean/distance, tangent space, MDM),
//! scikit-learn 1.9 (LDA svd / lsqr+shrinkage, logistic regression, OAS / Ledoit-Wolf) and the
//! usual SSVEP canonical-correlation analysis.
//!
//! Data layout everywhere: epochs are `(n_epochs, n_channels, n_samples)` in µV (as MNE's
//! `Epochs.get_data()`), covariances `(n_epochs, n_channels, n_channels)`, features
//! `(n_epochs, n_features)`, labels class indices `0..n_classes` in sorted class-name order.
//!
//! [`pipeline`] ties the parts into the MOABB pipelines (CSP+LDA, TS+LR, MDM, ...), saved whole
//! as one versioned JSON [`model`] file.

pub mod cca;
pub mod covariance;
pub mod csp;
mod eigen;
pub mod error;
pub mod eval;
pub mod fbcsp;
pub mod labels;
pub mod lda;
mod linalg;
pub mod linfa_adapters;
pub mod logistic;
pub mod model;
pub mod par;
pub mod pipeline;
pub mod riemann;
pub mod trca;
pub mod xdawn;

pub use eigen::decompositions;
pub use error::{DecodeError, Result};
pub use model::{EventClass, FilterSpec, Model, Prediction, TrainSpec};
pub use pipeline::{Decoder, FilterBand, Fitted, PipelineKind, PipelineOptions};
