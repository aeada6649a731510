//! The MOABB pipelines as one fitted value each, behind the [`Decoder`] trait:
//! - `csp-lda`: `Covariances("oas")` → pyRiemann `CSP(nfilter=6)` → LDA (svd);
//! - `ts-lr`: `Covariances("oas")` → `TangentSpace(metric="riemann")` → `LogisticRegression(C=1)`;
//! - `mdm`: `Covariances("oas")` → `MDM(metric="riemann")`;
//! - `cca`: training-free SSVEP CCA (classes are stimulus frequencies);
//! - `fbcca`: filter-bank CCA (Chen et al. 2015): each epoch is band-passed into sub-bands
//!   `[7n, 45]` Hz (n = 1..5, MNE-style zero-phase IIR on the epoch), scores `Σ_n w(n) ρ_n²` with
//!   `w(n) = n^-1.25 + 0.25`;
//! - `xdawn-ts-lr`: pyRiemann `XdawnCovariances(nfilter=4, estimator="oas",
//!   xdawn_estimator="scm")` → `TangentSpace(metric="riemann")` → `LogisticRegression(C=1)`
//!   (MOABB's XdawnCov_TS_SVM.yml with scikit-learn's logistic regression in place of the SVM);
//! - `xdawn-mdm`: the same `XdawnCovariances` → `MDM(metric="riemann")` (MOABB's
//!   XdawnCov_MDM.yml);
//! - `csp-mne-lda`: MNE's `CSP(n_components=6, reg=None, log=True, norm_trace=False)` on the
//!   epochs → LDA (svd);
//! - `fbcsp`: each epoch band-passed into the sub-bands 8-12, ..., 28-32 Hz (MNE-style zero-phase
//!   IIR on the epoch, as `fbcca`), per band `Covariances("oas")` → `CSP(nfilter=4)`, the 24
//!   log-variances → `SelectKBest(mutual_info_classif, k=10)` → LDA with Ledoit-Wolf shrinkage
//!   (MOABB's FBCSP.py with shrinkage LDA in place of the grid-searched SVM; see [`crate::fbcsp`]);
//! - `xdawn-lda`: pyRiemann `Xdawn(nfilter=4)` (scm) → the filtered epochs flattened (MNE's
//!   `Vectorizer`) → LDA (svd by default; `lda_solver`) (MOABB's xDAWN_LDA.yml).

use ndarray::{Array2, Array3, ArrayView3};
use serde::{Deserialize, Serialize};

use crate::cca::{Cca, argmax_rows};
use crate::covariance::{Estimator, check_finite, covariances};
use crate::csp::{Csp, MneCsp};
use crate::error::{DecodeError, Result};
use crate::fbcsp::Fbcsp;
use crate::labels::check_labels;
use crate::lda::{Lda, LdaSolver};
use crate::logistic::LogisticRegression;
use crate::riemann::{Mdm, TangentSpace};
use crate::xdawn::{Xdawn, XdawnCovariances};

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
    Fbcca,
    XdawnTsLr,
    XdawnMdm,
    CspMneLda,
    Fbcsp,
    XdawnLda,
}

impl PipelineKind {
    pub const NAMES: &'static [&'static str] = &[
        "csp-lda",
        "ts-lr",
        "mdm",
        "cca",
        "fbcca",
        "xdawn-ts-lr",
        "xdawn-mdm",
        "csp-mne-lda",
        "fbcsp",
        "xdawn-lda",
    ];

    /// Every kind, in the order of [`PipelineKind::NAMES`].
    pub const ALL: &'static [PipelineKind] = &[
        PipelineKind::CspLda,
        PipelineKind::TsLr,
        PipelineKind::Mdm,
        PipelineKind::Cca,
        PipelineKind::Fbcca,
        PipelineKind::XdawnTsLr,
        PipelineKind::XdawnMdm,
        PipelineKind::CspMneLda,
        PipelineKind::Fbcsp,
        PipelineKind::XdawnLda,
    ];

    /// Whether the classes are stimulus frequencies (SSVEP, training-free).
    pub fn is_ssvep(self) -> bool {
        matches!(self, PipelineKind::Cca | PipelineKind::Fbcca)
    }

    pub fn name(self) -> &'static str {
        match self {
            PipelineKind::CspLda => "csp-lda",
            PipelineKind::TsLr => "ts-lr",
            PipelineKind::Mdm => "mdm",
            PipelineKind::Cca => "cca",
            PipelineKind::Fbcca => "fbcca",
            PipelineKind::XdawnTsLr => "xdawn-ts-lr",
            PipelineKind::XdawnMdm => "xdawn-mdm",
            PipelineKind::CspMneLda => "csp-mne-lda",
            PipelineKind::Fbcsp => "fbcsp",
            PipelineKind::XdawnLda => "xdawn-lda",
        }
    }
}

impl std::str::FromStr for PipelineKind {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self> {
        match PipelineKind::ALL.iter().find(|k| k.name() == s) {
            Some(k) => Ok(*k),
            None => Err(DecodeError::invalid(
                "pipeline",
                s,
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
    /// xDAWN: filters per class (pyRiemann's `nfilter`).
    #[serde(default = "default_xdawn_filters")]
    pub xdawn_filters: usize,
    /// FBCCA: sub-bands `[lo, hi]` Hz, band n+1 weighted `(n+1)^-1.25 + 0.25`.
    #[serde(default = "default_fbcca_bands")]
    pub fbcca_bands: Vec<[f64; 2]>,
    /// FBCSP: sub-bands `[lo, hi]` Hz.
    #[serde(default = "crate::fbcsp::default_fbcsp_bands")]
    pub fbcsp_bands: Vec<[f64; 2]>,
    /// FBCSP: CSP filters per band.
    #[serde(default = "default_fbcsp_filters")]
    pub fbcsp_filters: usize,
    /// FBCSP: features kept by mutual information (0: all).
    #[serde(default = "default_fbcsp_select")]
    pub fbcsp_select: usize,
}

fn default_fbcsp_filters() -> usize {
    crate::fbcsp::FBCSP_FILTERS
}

fn default_fbcsp_select() -> usize {
    crate::fbcsp::FBCSP_SELECT
}

fn default_xdawn_filters() -> usize {
    crate::xdawn::XDAWN_FILTERS
}

/// Chen et al.'s sub-band scheme at this project's SSVEP band: lower edges 7n Hz, n = 1..5,
/// upper edge 45 Hz (below the 256 Hz recordings' Nyquist with margin).
pub fn default_fbcca_bands() -> Vec<[f64; 2]> {
    (1..=5).map(|n| [7.0 * n as f64, 45.0]).collect()
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            covariance: Estimator::Oas,
            csp_filters: 6,
            lr_c: 1.0,
            lda_solver: LdaSolver::Svd,
            harmonics: 3,
            xdawn_filters: default_xdawn_filters(),
            fbcca_bands: default_fbcca_bands(),
            fbcsp_bands: crate::fbcsp::default_fbcsp_bands(),
            fbcsp_filters: default_fbcsp_filters(),
            fbcsp_select: default_fbcsp_select(),
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
    Fbcca {
        cca: Cca,
        /// One zero-phase band-pass per sub-band, applied to each epoch.
        subbands: Vec<FilterBand>,
    },
    XdawnTsLr {
        xdawn_covariances: XdawnCovariances,
        tangent_space: TangentSpace,
        logistic_regression: LogisticRegression,
    },
    XdawnMdm {
        xdawn_covariances: XdawnCovariances,
        mdm: Mdm,
    },
    CspMneLda {
        csp: MneCsp,
        lda: Lda,
    },
    Fbcsp {
        /// One zero-phase band-pass per sub-band, applied to each epoch.
        subbands: Vec<FilterBand>,
        fbcsp: Fbcsp,
    },
    XdawnLda {
        xdawn: Xdawn,
        lda: Lda,
    },
}

/// A sub-band filter of FBCCA: MNE's IIR band-pass design (Butterworth order 4, zero phase,
/// `reflect_limited` padding), kept whole in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterBand {
    pub band: [f64; 2],
    /// Second-order sections `[b0, b1, b2, a0, a1, a2]`.
    pub sos: Vec<[f64; 6]>,
    /// Padding samples per side.
    pub padlen: usize,
}

impl FilterBand {
    /// MNE's default IIR band-pass (order 4) at `sfreq`.
    pub fn design(band: [f64; 2], sfreq: f64) -> Result<Self> {
        let f = bci_dsp::MneIir::design(Some(band[0]), Some(band[1]), sfreq, 4)?;
        Ok(FilterBand {
            band,
            sos: f.sos.sections().to_vec(),
            padlen: f.padlen,
        })
    }

    /// Each epoch filtered on its own (n × channels × samples).
    pub fn apply(&self, epochs: ArrayView3<f64>) -> Result<Array3<f64>> {
        let f = bci_dsp::MneIir {
            sos: bci_dsp::Sos::new(self.sos.clone())?,
            padlen: self.padlen,
        };
        let mut out = Array3::zeros(epochs.dim());
        for (i, ep) in epochs.axis_iter(ndarray::Axis(0)).enumerate() {
            out.index_axis_mut(ndarray::Axis(0), i)
                .assign(&f.apply(ep)?);
        }
        Ok(out)
    }
}

/// The filter bank of a sub-band pipeline; `what` names the option in the error for an empty one.
fn design_subbands(bands: &[[f64; 2]], what: &str, sfreq: f64) -> Result<Vec<FilterBand>> {
    if bands.is_empty() {
        return Err(DecodeError::invalid(what, "[]", "give at least one band"));
    }
    bands
        .iter()
        .map(|b| FilterBand::design(*b, sfreq))
        .collect()
}

/// Tangent space at the Riemannian mean of `covs`, then logistic regression on the tangent
/// vectors (the second half of TS+LR and xDAWN+TS+LR).
fn fit_ts_lr(
    covs: ArrayView3<f64>,
    y: &[usize],
    c: f64,
) -> Result<(TangentSpace, LogisticRegression)> {
    let tangent_space = TangentSpace::fit(covs)?;
    let v = tangent_space.transform(covs)?;
    let logistic_regression = LogisticRegression::fit(v.view(), y, c)?;
    Ok((tangent_space, logistic_regression))
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
        // pyRiemann's XdawnCovariances as MOABB configures it: Xdawn filters from SCM, the
        // super-trial covariances with the pipeline's estimator.
        let fit_xdawn_covariances = || {
            XdawnCovariances::fit(
                epochs,
                y,
                opts.xdawn_filters,
                opts.covariance,
                Estimator::Scm,
            )
        };
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
                let (tangent_space, logistic_regression) = fit_ts_lr(covs.view(), y, opts.lr_c)?;
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
            PipelineKind::XdawnTsLr => {
                let xdawn_covariances = fit_xdawn_covariances()?;
                let covs = xdawn_covariances.transform(epochs)?;
                let (tangent_space, logistic_regression) = fit_ts_lr(covs.view(), y, opts.lr_c)?;
                Fitted::XdawnTsLr {
                    xdawn_covariances,
                    tangent_space,
                    logistic_regression,
                }
            }
            PipelineKind::XdawnMdm => {
                let xdawn_covariances = fit_xdawn_covariances()?;
                let covs = xdawn_covariances.transform(epochs)?;
                Fitted::XdawnMdm {
                    mdm: Mdm::fit(covs.view(), y)?,
                    xdawn_covariances,
                }
            }
            PipelineKind::CspMneLda => {
                let csp = MneCsp::fit(epochs, y, opts.csp_filters)?;
                let feats = csp.transform(epochs)?;
                let lda = Lda::fit(feats.view(), y, opts.lda_solver)?;
                Fitted::CspMneLda { csp, lda }
            }
            PipelineKind::Fbcsp => {
                let subbands = design_subbands(&opts.fbcsp_bands, "FBCSP sub-bands", sfreq)?;
                let filtered = subbands
                    .iter()
                    .map(|b| b.apply(epochs))
                    .collect::<Result<Vec<_>>>()?;
                let views: Vec<_> = filtered.iter().map(|x| x.view()).collect();
                let fbcsp = Fbcsp::fit(
                    &views,
                    y,
                    opts.fbcsp_filters,
                    opts.covariance,
                    opts.fbcsp_select,
                    LdaSolver::LsqrAuto,
                )?;
                Fitted::Fbcsp { subbands, fbcsp }
            }
            PipelineKind::XdawnLda => {
                let xdawn = Xdawn::fit(epochs, y, opts.xdawn_filters, Estimator::Scm)?;
                let feats = vectorize(&xdawn.transform(epochs)?);
                let lda = Lda::fit(feats.view(), y, opts.lda_solver)?;
                Fitted::XdawnLda { xdawn, lda }
            }
            PipelineKind::Cca | PipelineKind::Fbcca => {
                if cca_freqs.len() < 2 {
                    return Err(DecodeError::invalid(
                        "CCA frequencies",
                        format!("{cca_freqs:?}"),
                        "need at least two stimulus frequencies",
                    ));
                }
                let cca = Cca {
                    freqs: cca_freqs.to_vec(),
                    harmonics: opts.harmonics,
                    sfreq,
                };
                if kind == PipelineKind::Cca {
                    Fitted::Cca { cca }
                } else {
                    let subbands = design_subbands(&opts.fbcca_bands, "FBCCA sub-bands", sfreq)?;
                    Fitted::Fbcca { cca, subbands }
                }
            }
        })
    }

    /// Which kind of pipeline this is.
    pub fn kind(&self) -> PipelineKind {
        match self {
            Fitted::CspLda { .. } => PipelineKind::CspLda,
            Fitted::TsLr { .. } => PipelineKind::TsLr,
            Fitted::Mdm { .. } => PipelineKind::Mdm,
            Fitted::Cca { .. } => PipelineKind::Cca,
            Fitted::Fbcca { .. } => PipelineKind::Fbcca,
            Fitted::XdawnTsLr { .. } => PipelineKind::XdawnTsLr,
            Fitted::XdawnMdm { .. } => PipelineKind::XdawnMdm,
            Fitted::CspMneLda { .. } => PipelineKind::CspMneLda,
            Fitted::Fbcsp { .. } => PipelineKind::Fbcsp,
            Fitted::XdawnLda { .. } => PipelineKind::XdawnLda,
        }
    }

    /// Checks the fitted parts against the model around them: `n_channels` inputs, `n_classes`
    /// classes, epochs of `n_samples` at `sfreq`. The message names the part that is wrong.
    pub fn validate(
        &self,
        n_channels: usize,
        n_classes: usize,
        n_samples: usize,
        sfreq: f64,
    ) -> std::result::Result<(), String> {
        match self {
            Fitted::CspMneLda { csp, lda } => {
                check_matrix("csp.filters", &csp.filters, None, Some(n_channels))?;
                let k = csp.filters.nrows();
                if csp.eigenvalues.len() != k {
                    return Err(format!(
                        "csp.eigenvalues has {} values for {k} filters",
                        csp.eigenvalues.len()
                    ));
                }
                if csp.rank == 0 || csp.rank > n_channels || k > csp.rank {
                    return Err(format!(
                        "csp.rank is {} with {k} filters; expected {k} to {n_channels}",
                        csp.rank
                    ));
                }
                check_lda(lda, k, n_classes)
            }
            Fitted::Fbcsp { subbands, fbcsp } => {
                if subbands.is_empty() || subbands.len() > MAX_SUBBANDS {
                    return Err(format!(
                        "fbcsp lists {} sub-bands; expected 1 to {MAX_SUBBANDS}",
                        subbands.len()
                    ));
                }
                for (i, b) in subbands.iter().enumerate() {
                    check_band(&format!("subbands[{i}]"), b, sfreq)?;
                }
                if fbcsp.csps.len() != subbands.len() {
                    return Err(format!(
                        "fbcsp.csps holds {} CSPs for {} sub-bands",
                        fbcsp.csps.len(),
                        subbands.len()
                    ));
                }
                let mut n_features = 0;
                for (i, csp) in fbcsp.csps.iter().enumerate() {
                    check_matrix(
                        &format!("fbcsp.csps[{i}].filters"),
                        &csp.filters,
                        None,
                        Some(n_channels),
                    )?;
                    if csp.eigenvalues.len() != csp.filters.nrows() {
                        return Err(format!(
                            "fbcsp.csps[{i}].eigenvalues has {} values for {} filters",
                            csp.eigenvalues.len(),
                            csp.filters.nrows()
                        ));
                    }
                    n_features += csp.filters.nrows();
                }
                let sel = &fbcsp.selected;
                if sel.is_empty() || sel.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(
                        "fbcsp.selected must list at least one feature, in increasing order".into(),
                    );
                }
                if let Some(bad) = sel.iter().find(|&&j| j >= n_features) {
                    return Err(format!(
                        "fbcsp.selected names feature {bad}; the bands give {n_features}"
                    ));
                }
                check_lda(&fbcsp.lda, sel.len(), n_classes)
            }
            Fitted::XdawnLda { xdawn, lda } => {
                let f = check_xdawn_filters(xdawn, n_channels, n_classes, n_samples)?;
                check_lda(lda, f * n_samples, n_classes)
            }
            Fitted::XdawnTsLr {
                xdawn_covariances,
                tangent_space,
                logistic_regression,
            } => {
                let m = check_xdawn(xdawn_covariances, n_channels, n_classes, n_samples)?;
                check_spd("tangent_space.reference", &tangent_space.reference, m)?;
                check_lr(logistic_regression, m * (m + 1) / 2, n_classes)
            }
            Fitted::XdawnMdm {
                xdawn_covariances,
                mdm,
            } => {
                let m = check_xdawn(xdawn_covariances, n_channels, n_classes, n_samples)?;
                check_means(mdm, m, n_classes)
            }
            Fitted::Fbcca { cca, subbands } => {
                Fitted::Cca { cca: cca.clone() }
                    .validate(n_channels, n_classes, n_samples, sfreq)?;
                if subbands.is_empty() || subbands.len() > MAX_SUBBANDS {
                    return Err(format!(
                        "fbcca lists {} sub-bands; expected 1 to {MAX_SUBBANDS}",
                        subbands.len()
                    ));
                }
                for (i, b) in subbands.iter().enumerate() {
                    check_band(&format!("subbands[{i}]"), b, sfreq)?;
                }
                Ok(())
            }
            Fitted::CspLda { csp, lda, .. } => {
                check_matrix("csp.filters", &csp.filters, None, Some(n_channels))?;
                let k = csp.filters.nrows();
                if csp.eigenvalues.len() != k {
                    return Err(format!(
                        "csp.eigenvalues has {} values for {k} filters",
                        csp.eigenvalues.len()
                    ));
                }
                check_lda(lda, k, n_classes)
            }
            Fitted::TsLr {
                tangent_space,
                logistic_regression,
                ..
            } => {
                check_spd(
                    "tangent_space.reference",
                    &tangent_space.reference,
                    n_channels,
                )?;
                check_lr(
                    logistic_regression,
                    n_channels * (n_channels + 1) / 2,
                    n_classes,
                )
            }
            Fitted::Mdm { mdm, .. } => check_means(mdm, n_channels, n_classes),
            Fitted::Cca { cca } => {
                if cca.freqs.len() != n_classes {
                    return Err(format!(
                        "cca.freqs lists {} frequencies for {n_classes} classes",
                        cca.freqs.len()
                    ));
                }
                if let Some(f) = cca.freqs.iter().find(|f| !(f.is_finite() && **f > 0.0)) {
                    return Err(format!("cca.freqs holds {f}; frequencies must be positive"));
                }
                if cca.harmonics == 0 || cca.harmonics > MAX_HARMONICS {
                    return Err(format!(
                        "cca.harmonics is {}; expected 1 to {MAX_HARMONICS}",
                        cca.harmonics
                    ));
                }
                if (cca.sfreq - sfreq).abs() > 1e-9 * sfreq {
                    return Err(format!(
                        "cca.sfreq is {} Hz but the model's rate is {sfreq} Hz",
                        cca.sfreq
                    ));
                }
                Ok(())
            }
        }
    }

    /// Number of channels the pipeline expects (None for CCA, which takes any).
    pub fn n_channels(&self) -> Option<usize> {
        match self {
            Fitted::CspLda { csp, .. } => Some(csp.filters.ncols()),
            Fitted::TsLr { tangent_space, .. } => Some(tangent_space.reference.nrows()),
            Fitted::Mdm { mdm, .. } => mdm.means.first().map(|m| m.nrows()),
            Fitted::XdawnTsLr {
                xdawn_covariances, ..
            }
            | Fitted::XdawnMdm {
                xdawn_covariances, ..
            } => Some(xdawn_covariances.xdawn.filters.ncols()),
            Fitted::CspMneLda { csp, .. } => Some(csp.filters.ncols()),
            Fitted::Fbcsp { fbcsp, .. } => fbcsp.csps.first().map(|c| c.filters.ncols()),
            Fitted::XdawnLda { xdawn, .. } => Some(xdawn.filters.ncols()),
            Fitted::Cca { .. } | Fitted::Fbcca { .. } => None,
        }
    }
}

/// Most harmonics a CCA model may ask for.
pub const MAX_HARMONICS: usize = 64;

fn check_matrix(
    what: &str,
    m: &Array2<f64>,
    rows: Option<usize>,
    cols: Option<usize>,
) -> std::result::Result<(), String> {
    let (r, c) = m.dim();
    if r == 0 || rows.is_some_and(|n| n != r) || cols.is_some_and(|n| n != c) {
        let want = |n: Option<usize>| n.map_or("k".to_string(), |n| n.to_string());
        return Err(format!(
            "{what} is {r} x {c}; expected {} x {}",
            want(rows),
            want(cols)
        ));
    }
    if let Some(v) = m.iter().find(|v| !v.is_finite()) {
        return Err(format!("{what} holds the non-finite value {v}"));
    }
    Ok(())
}

/// Most FBCCA sub-bands a model may list.
pub const MAX_SUBBANDS: usize = 32;

fn check_means(mdm: &Mdm, n: usize, n_classes: usize) -> std::result::Result<(), String> {
    if mdm.means.len() != n_classes {
        return Err(format!(
            "mdm.means holds {} class means for {n_classes} classes",
            mdm.means.len()
        ));
    }
    for (k, m) in mdm.means.iter().enumerate() {
        check_spd(&format!("mdm.means[{k}]"), m, n)?;
    }
    Ok(())
}

/// Returns the size of the xDAWN covariances.
fn check_xdawn(
    xc: &XdawnCovariances,
    n_channels: usize,
    n_classes: usize,
    n_samples: usize,
) -> std::result::Result<usize, String> {
    Ok(2 * check_xdawn_filters(&xc.xdawn, n_channels, n_classes, n_samples)?)
}

/// Returns the number of xDAWN filters (all classes).
fn check_xdawn_filters(
    x: &Xdawn,
    n_channels: usize,
    n_classes: usize,
    n_samples: usize,
) -> std::result::Result<usize, String> {
    let k = x.filters_per_class;
    if k == 0 || k > n_channels {
        return Err(format!(
            "xdawn.filters_per_class is {k}; expected 1 to {n_channels} (the channel count)"
        ));
    }
    check_matrix(
        "xdawn.filters",
        &x.filters,
        Some(n_classes * k),
        Some(n_channels),
    )?;
    check_matrix(
        "xdawn.evokeds",
        &x.evokeds,
        Some(n_classes * k),
        Some(n_samples),
    )?;
    Ok(n_classes * k)
}

/// Filtered epochs (n × F × T) flattened per epoch in C order (MNE's `Vectorizer`): n × F·T.
fn vectorize(x: &Array3<f64>) -> Array2<f64> {
    let (n, f, t) = x.dim();
    let flat = x.as_standard_layout().to_owned();
    Array2::from_shape_vec((n, f * t), flat.into_raw_vec_and_offset().0)
        .unwrap_or_else(|_| Array2::from_shape_fn((n, f * t), |(i, j)| x[[i, j / t, j % t]]))
}

fn check_band(what: &str, b: &FilterBand, sfreq: f64) -> std::result::Result<(), String> {
    let [lo, hi] = b.band;
    if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && hi > lo && hi < sfreq / 2.0) {
        return Err(format!(
            "{what}.band is [{lo}, {hi}] Hz; expected 0 <= lo < hi < {} (Nyquist)",
            sfreq / 2.0
        ));
    }
    if b.sos.is_empty()
        || b.sos
            .iter()
            .any(|r| r.iter().any(|v| !v.is_finite()) || r[3] == 0.0)
    {
        return Err(format!(
            "{what}.sos must hold at least one section of finite coefficients with a0 != 0"
        ));
    }
    if b.padlen > crate::model::MAX_PADLEN {
        return Err(format!(
            "{what}.padlen is {}; at most {}",
            b.padlen,
            crate::model::MAX_PADLEN
        ));
    }
    Ok(())
}

/// Square `n × n`, finite, symmetric and positive definite.
fn check_spd(what: &str, m: &Array2<f64>, n: usize) -> std::result::Result<(), String> {
    check_matrix(what, m, Some(n), Some(n))?;
    let scale = m.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    for i in 0..n {
        for j in 0..i {
            if (m[[i, j]] - m[[j, i]]).abs() > 1e-9 * scale {
                return Err(format!("{what} is not symmetric at ({i}, {j})"));
            }
        }
    }
    crate::linalg::eigh_spd(&crate::linalg::to_na(m.view()), what)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check_lda(lda: &Lda, n_features: usize, n_classes: usize) -> std::result::Result<(), String> {
    if lda.n_classes != n_classes {
        return Err(format!(
            "lda.n_classes is {} but the model has {n_classes} classes",
            lda.n_classes
        ));
    }
    let rows = if n_classes == 2 { 1 } else { n_classes };
    check_matrix("lda.coef", &lda.coef, Some(rows), Some(n_features))?;
    if lda.intercept.len() != rows {
        return Err(format!(
            "lda.intercept has {} values; expected {rows}",
            lda.intercept.len()
        ));
    }
    if let Some(v) = lda.intercept.iter().find(|v| !v.is_finite()) {
        return Err(format!("lda.intercept holds the non-finite value {v}"));
    }
    Ok(())
}

fn check_lr(
    lr: &LogisticRegression,
    n_features: usize,
    n_classes: usize,
) -> std::result::Result<(), String> {
    if n_classes != 2 {
        return Err(format!(
            "logistic regression is two-class but the model has {n_classes} classes"
        ));
    }
    if lr.coef.len() != n_features {
        return Err(format!(
            "logistic_regression.coef has {} values; expected {n_features}",
            lr.coef.len()
        ));
    }
    if let Some(v) = lr
        .coef
        .iter()
        .chain([&lr.intercept])
        .find(|v| !v.is_finite())
    {
        return Err(format!(
            "logistic_regression holds the non-finite value {v}"
        ));
    }
    Ok(())
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
            Fitted::CspLda { .. } | Fitted::TsLr { .. } | Fitted::XdawnTsLr { .. } => 2,
            Fitted::CspMneLda { lda, .. } | Fitted::XdawnLda { lda, .. } => lda.n_classes,
            Fitted::Fbcsp { fbcsp, .. } => fbcsp.lda.n_classes,
            Fitted::Mdm { mdm, .. } | Fitted::XdawnMdm { mdm, .. } => mdm.means.len(),
            Fitted::Cca { cca } | Fitted::Fbcca { cca, .. } => cca.freqs.len(),
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
            Fitted::Fbcca { cca, subbands } => {
                let filtered = subbands
                    .iter()
                    .map(|b| b.apply(epochs))
                    .collect::<Result<Vec<_>>>()?;
                let views: Vec<_> = filtered.iter().map(|x| x.view()).collect();
                cca.fbcca_scores(&views)
            }
            Fitted::XdawnTsLr {
                xdawn_covariances,
                tangent_space,
                logistic_regression,
            } => {
                let covs = xdawn_covariances.transform(epochs)?;
                let v = tangent_space.transform(covs.view())?;
                let d = logistic_regression.decision_function(v.view())?;
                Ok(binary_or_multi(d.insert_axis(ndarray::Axis(1))))
            }
            Fitted::XdawnMdm {
                xdawn_covariances,
                mdm,
            } => {
                let covs = xdawn_covariances.transform(epochs)?;
                Ok(mdm.transform(covs.view())?.mapv(|d| -d * d))
            }
            Fitted::CspMneLda { csp, lda } => {
                let f = csp.transform(epochs)?;
                Ok(binary_or_multi(lda.decision_function(f.view())?))
            }
            Fitted::Fbcsp { subbands, fbcsp } => {
                let filtered = subbands
                    .iter()
                    .map(|b| b.apply(epochs))
                    .collect::<Result<Vec<_>>>()?;
                let views: Vec<_> = filtered.iter().map(|x| x.view()).collect();
                Ok(binary_or_multi(fbcsp.decision_function(&views)?))
            }
            Fitted::XdawnLda { xdawn, lda } => {
                let t = epochs.dim().2;
                if t != xdawn.evokeds.ncols() {
                    return Err(DecodeError::Shape(format!(
                        "xDAWN + LDA was trained on epochs of {} samples, epochs have {t}; use the training epoch window",
                        xdawn.evokeds.ncols()
                    )));
                }
                let f = vectorize(&xdawn.transform(epochs)?);
                Ok(binary_or_multi(lda.decision_function(f.view())?))
            }
        }
    }
}
