//! The MOABB pipelines as one fitted value each, behind the [`Decoder`] trait:
//! - `csp-lda`: `Covariances("oas")` → pyRiemann `CSP(nfilter=6)` → LDA (svd);
//! - `ts-lr`: `Covariances("oas")` → `TangentSpace(metric="riemann")` → `LogisticRegression(C=1)`;
//! - `mdm`: `Covariances("oas")` → `MDM(metric="riemann")`;
//! - `cca`: training-free SSVEP CCA (classes are stimulus frequencies).

use ndarray::{Array2, ArrayView3};
use serde::{Deserialize, Serialize};

use crate::cca::{Cca, argmax_rows};
use crate::covariance::{Estimator, check_finite, covariances};
use crate::csp::Csp;
use crate::error::{DecodeError, Result};
use crate::labels::check_labels;
use crate::lda::{Lda, LdaSolver};
use crate::logistic::LogisticRegression;
use crate::riemann::{Mdm, TangentSpace};

/// One extension point: something that scores epochs per class.
pub trait Decoder {
    /// Number of classes the decoder tells apart.
    fn n_classes(&self) -> usize;

    /// Scores (n_epochs × n_classes), larger meaning more likely. For two-class linear models
    /// the columns are `[-d/2, d/2]` with `d` scikit-learn's `decision_function`, so
    /// `score[1] - score[0]` is the value ROC-AUC is computed on.
    fn scores(&self, epochs: ArrayView3<f64>) -> Result<Array2<f64>>;

    /// Predicted class index per epoch (highest score; ties go to the lower index).
    fn predict(&self, epochs: ArrayView3<f64>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.scores(epochs)?))
    }
}

/// Which pipeline to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PipelineKind {
    CspLda,
    TsLr,
    Mdm,
    Cca,
}

impl PipelineKind {
    pub const NAMES: &'static [&'static str] = &["csp-lda", "ts-lr", "mdm", "cca"];

    pub fn name(self) -> &'static str {
        match self {
            PipelineKind::CspLda => "csp-lda",
            PipelineKind::TsLr => "ts-lr",
            PipelineKind::Mdm => "mdm",
            PipelineKind::Cca => "cca",
        }
    }
}

impl std::str::FromStr for PipelineKind {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "csp-lda" => Ok(PipelineKind::CspLda),
            "ts-lr" => Ok(PipelineKind::TsLr),
            "mdm" => Ok(PipelineKind::Mdm),
            "cca" => Ok(PipelineKind::Cca),
            other => Err(DecodeError::invalid(
                "pipeline",
                other,
                &format!("expected one of {}", PipelineKind::NAMES.join(", ")),
            )),
        }
    }
}

/// Options of the pipelines (defaults are MOABB's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineOptions {
    pub covariance: Estimator,
    pub csp_filters: usize,
    pub lr_c: f64,
    pub lda_solver: LdaSolver,
    /// CCA: number of harmonics in the references.
    pub harmonics: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            covariance: Estimator::Oas,
            csp_filters: 6,
            lr_c: 1.0,
            lda_solver: LdaSolver::Svd,
            harmonics: 3,
        }
    }
}

/// A trained pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fitted {
    CspLda {
        covariance: Estimator,
        csp: Csp,
        lda: Lda,
    },
    TsLr {
        covariance: Estimator,
        tangent_space: TangentSpace,
        logistic_regression: LogisticRegression,
    },
    Mdm {
        covariance: Estimator,
        mdm: Mdm,
    },
    Cca {
        cca: Cca,
    },
}

impl Fitted {
    /// Trains `kind` on epochs (n × channels × samples, µV) and class indices.
    /// For `Cca`, `cca_freqs` gives each class's stimulus frequency and `sfreq` the rate; the
    /// labels are only checked.
    pub fn fit(
        kind: PipelineKind,
        epochs: ArrayView3<f64>,
        y: &[usize],
        opts: &PipelineOptions,
        sfreq: f64,
        cca_freqs: &[f64],
    ) -> Result<Self> {
        check_finite(epochs, "training epochs")?;
        check_labels(y, epochs.dim().0)?;
        check_flat_channels(epochs)?;
        Ok(match kind {
            PipelineKind::CspLda => {
                let covs = covariances(epochs, opts.covariance)?;
                let csp = Csp::fit(covs.view(), y, opts.csp_filters)?;
                let feats = csp.transform(covs.view())?;
                let lda = Lda::fit(feats.view(), y, opts.lda_solver)?;
                Fitted::CspLda {
                    covariance: opts.covariance,
                    csp,
                    lda,
                }
            }
            PipelineKind::TsLr => {
                let covs = covariances(epochs, opts.covariance)?;
                let tangent_space = TangentSpace::fit(covs.view())?;
                let v = tangent_space.transform(covs.view())?;
                let logistic_regression = LogisticRegression::fit(v.view(), y, opts.lr_c)?;
                Fitted::TsLr {
                    covariance: opts.covariance,
                    tangent_space,
                    logistic_regression,
                }
            }
            PipelineKind::Mdm => {
                let covs = covariances(epochs, opts.covariance)?;
                Fitted::Mdm {
                    covariance: opts.covariance,
                    mdm: Mdm::fit(covs.view(), y)?,
                }
            }
            PipelineKind::Cca => {
                if cca_freqs.len() < 2 {
                    return Err(DecodeError::invalid(
                        "CCA frequencies",
                        format!("{cca_freqs:?}"),
                        "need at least two stimulus frequencies",
                    ));
                }
                Fitted::Cca {
                    cca: Cca {
                        freqs: cca_freqs.to_vec(),
                        harmonics: opts.harmonics,
                        sfreq,
                    },
                }
            }
        })
    }

    /// Number of channels the pipeline expects (None for CCA, which takes any).
    pub fn n_channels(&self) -> Option<usize> {
        match self {
            Fitted::CspLda { csp, .. } => Some(csp.filters.ncols()),
            Fitted::TsLr { tangent_space, .. } => Some(tangent_space.reference.nrows()),
            Fitted::Mdm { mdm, .. } => mdm.means.first().map(|m| m.nrows()),
            Fitted::Cca { .. } => None,
        }
    }
}

/// A channel whose samples are all equal in every epoch makes every covariance singular.
fn check_flat_channels(epochs: ArrayView3<f64>) -> Result<()> {
    let (n, c, t) = epochs.dim();
    for ch in 0..c {
        let first = epochs.get((0, ch, 0)).copied().unwrap_or(0.0);
        let flat = (0..n).all(|e| (0..t).all(|s| epochs[[e, ch, s]] == first));
        if flat && n > 0 && t > 0 {
            return Err(DecodeError::SingularCovariance {
                what: format!("training epochs, channel {ch}"),
                detail: format!("channel {ch} is flat (constant {first}) in every epoch"),
                min_variance: 0.0,
            });
        }
    }
    Ok(())
}

fn binary_or_multi(d: Array2<f64>) -> Array2<f64> {
    if d.ncols() == 1 {
        Array2::from_shape_fn((d.nrows(), 2), |(i, k)| {
            if k == 0 {
                -d[[i, 0]] / 2.0
            } else {
                d[[i, 0]] / 2.0
            }
        })
    } else {
        d
    }
}

impl Decoder for Fitted {
    fn n_classes(&self) -> usize {
        match self {
            Fitted::CspLda { .. } | Fitted::TsLr { .. } => 2,
            Fitted::Mdm { mdm, .. } => mdm.means.len(),
            Fitted::Cca { cca } => cca.freqs.len(),
        }
    }

    fn scores(&self, epochs: ArrayView3<f64>) -> Result<Array2<f64>> {
        check_finite(epochs, "epochs")?;
        if let Some(c) = self.n_channels()
            && c != epochs.dim().1
        {
            return Err(DecodeError::Shape(format!(
                "pipeline expects {c} channels, epochs have {}",
                epochs.dim().1
            )));
        }
        match self {
            Fitted::CspLda {
                covariance,
                csp,
                lda,
            } => {
                let covs = covariances(epochs, *covariance)?;
                let f = csp.transform(covs.view())?;
                Ok(binary_or_multi(lda.decision_function(f.view())?))
            }
            Fitted::TsLr {
                covariance,
                tangent_space,
                logistic_regression,
            } => {
                let covs = covariances(epochs, *covariance)?;
                let v = tangent_space.transform(covs.view())?;
                let d = logistic_regression.decision_function(v.view())?;
                Ok(binary_or_multi(d.insert_axis(ndarray::Axis(1))))
            }
            Fitted::Mdm { covariance, mdm } => {
                let covs = covariances(epochs, *covariance)?;
                Ok(mdm.transform(covs.view())?.mapv(|d| -d * d))
            }
            Fitted::Cca { cca } => cca.transform(epochs),
        }
    }
}
