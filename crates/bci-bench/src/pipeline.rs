//! Pipelines by name or from a TOML file, behind one small trait: fit on epochs and labels,
//! then give per-class decision values on new epochs.
//!
//! Built-in names (MOABB's pipeline files in parentheses):
//! - `csp-lda`: OAS covariances → pyRiemann `CSP(nfilter=6)` → LDA svd (CSP.yml)
//! - `ts-lr`: OAS covariances → tangent space (Riemannian mean) → logistic regression C=1 (TSLR.yml)
//! - `mdm`: OAS covariances → minimum distance to Riemannian class means (MDM.yml)
//! - `fbcsp`: per band of 8-12 … 28-32 Hz, OAS → CSP(nfilter=4); log-variances concatenated →
//!   `SelectKBest(mutual_info_classif, k=10)` → LDA with Ledoit-Wolf shrinkage (MOABB's FBCSP.py,
//!   with shrinkage LDA as the deterministic stand-in for its grid-searched linear SVM); the
//!   estimator is `bci_decode::fbcsp::Fbcsp`, the one the `fbcsp` model pipeline uses
//! - `cca`: training-free CCA against sine/cosine references, 3 harmonics (MOABB SSVEP_CCA)
//! - `fbcca`: CCA on 5 sub-bands (lower edges 7, 14, 21, 28, 35 Hz, upper edge 45 Hz), weights
//!   `n^-1.25 + 0.25`
//! - `xdawn-ts-lr`: pyRiemann `XdawnCovariances(nfilter=4, estimator="oas",
//!   xdawn_estimator="scm")` → tangent space → logistic regression C=1 (XdawnCov_TS_SVM.yml with
//!   logistic regression in place of the grid-searched SVM), for P300
//! - `xdawn-mdm`: the same `XdawnCovariances` → MDM (XdawnCov_MDM.yml), for P300
//! - `xdawn-lda`: pyRiemann `Xdawn(nfilter=4)` → flattened filtered epochs → LDA svd
//!   (xDAWN_LDA.yml), for P300
//! - `csp-mne-lda`: MNE's `CSP(n_components=6, reg=None, log=True)` on the epochs → LDA svd
//!
//! A pipeline file holds `[[pipeline]]` tables with a `name`, a `kind` (one of the names above) and
//! the parameters to change, e.g.
//! ```toml
//! [[pipeline]]
//! name = "csp4-lda-shrink"
//! kind = "csp-lda"
//! nfilter = 4
//! lda = "lsqr-auto"
//! ```

use std::path::Path;

use bci_decode::cca::Cca;
use bci_decode::covariance::{Estimator, covariances};
use bci_decode::csp::Csp;
use bci_decode::fbcsp::{FBCSP_FILTERS, FBCSP_SELECT, Fbcsp as FbcspEstimator};
use bci_decode::lda::{Lda, LdaSolver};
use bci_decode::logistic::LogisticRegression;
use bci_decode::riemann::{Mdm, TangentSpace};
use bci_decode::xdawn::XDAWN_FILTERS;
use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions};
use ndarray::{Array2, ArrayView3};
use serde::{Deserialize, Serialize};

use crate::{BenchError, Result};

/// Built-in pipeline names.
pub const BUILTIN: &[&str] = &[
    "csp-lda",
    "ts-lr",
    "mdm",
    "fbcsp",
    "cca",
    "fbcca",
    "xdawn-ts-lr",
    "xdawn-mdm",
    "xdawn-lda",
    "csp-mne-lda",
];

/// What a pipeline is and its parameters; every field but `name`/`kind` has the built-in default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub name: String,
    pub kind: String,
    /// Covariance estimator: scm, cov, lwf, oas.
    #[serde(default = "default_estimator")]
    pub estimator: String,
    /// CSP filters (per band for fbcsp); xDAWN filters per class (xdawn-*).
    #[serde(default)]
    pub nfilter: Option<usize>,
    /// LDA solver: `svd` or `lsqr-auto` (Ledoit-Wolf shrinkage).
    #[serde(default)]
    pub lda: Option<String>,
    /// Logistic-regression inverse regularisation.
    #[serde(default = "default_c")]
    pub c: f64,
    /// CCA harmonics.
    #[serde(default = "default_harmonics")]
    pub harmonics: usize,
    /// Filter-bank bands in Hz (fbcsp, fbcca).
    #[serde(default)]
    pub bands: Option<Vec<(f64, f64)>>,
    /// fbcsp: features kept by mutual information (default 10, MOABB's; 0 keeps all).
    #[serde(default)]
    pub select: Option<usize>,
}

fn default_estimator() -> String {
    "oas".into()
}
fn default_c() -> f64 {
    1.0
}
fn default_harmonics() -> usize {
    3
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    pipeline: Vec<PipelineSpec>,
}

impl PipelineSpec {
    /// The built-in pipeline `name` with default parameters.
    pub fn builtin(name: &str) -> Result<PipelineSpec> {
        if !BUILTIN.contains(&name) {
            return Err(BenchError::invalid(
                "pipeline",
                name,
                &format!(
                    "known pipelines: {} (or give a TOML pipeline file with --pipeline-file)",
                    BUILTIN.join(", ")
                ),
            ));
        }
        let spec = PipelineSpec {
            name: name.into(),
            kind: name.into(),
            estimator: default_estimator(),
            nfilter: None,
            lda: None,
            c: default_c(),
            harmonics: default_harmonics(),
            bands: None,
            select: None,
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Reads `[[pipeline]]` tables from a TOML file.
    pub fn from_file(path: &Path) -> Result<Vec<PipelineSpec>> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BenchError::Core(bci_core::Error::io(path, e)))?;
        let file: PipelineFile = toml::from_str(&text).map_err(|e| {
            BenchError::Data(format!("{}: invalid pipeline file: {e}", path.display()))
        })?;
        for spec in &file.pipeline {
            spec.validate().map_err(|e| {
                BenchError::Data(format!(
                    "{}: pipeline \"{}\": {e}",
                    path.display(),
                    spec.name
                ))
            })?;
        }
        Ok(file.pipeline)
    }

    /// Checks the kind and parameters.
    pub fn validate(&self) -> Result<()> {
        if !BUILTIN.contains(&self.kind.as_str()) {
            return Err(BenchError::invalid(
                "kind",
                &self.kind,
                &format!("expected one of {}", BUILTIN.join(", ")),
            ));
        }
        if self.name.is_empty() || self.name.contains([',', '"', '\n']) {
            return Err(BenchError::invalid(
                "name",
                &self.name,
                "a pipeline name must be non-empty, without commas, quotes or newlines",
            ));
        }
        self.estimator()?;
        self.lda_solver()?;
        if !(self.c > 0.0 && self.c.is_finite()) {
            return Err(BenchError::invalid("c", self.c, "must be positive"));
        }
        if self.harmonics == 0 {
            return Err(BenchError::invalid("harmonics", 0, "must be at least 1"));
        }
        if let Some(bands) = &self.bands {
            if bands.is_empty() {
                return Err(BenchError::invalid("bands", "[]", "give at least one band"));
            }
            for (lo, hi) in bands {
                if !(*lo > 0.0 && hi > lo) {
                    return Err(BenchError::invalid(
                        "bands",
                        format!("[{lo}, {hi}]"),
                        "each band needs 0 < low < high (Hz)",
                    ));
                }
            }
        }
        Ok(())
    }

    fn estimator(&self) -> Result<Estimator> {
        self.estimator
            .parse::<Estimator>()
            .map_err(|e| BenchError::invalid("estimator", &self.estimator, &e.to_string()))
    }

    fn lda_solver(&self) -> Result<Option<LdaSolver>> {
        match self.lda.as_deref() {
            None => Ok(None),
            Some("svd") => Ok(Some(LdaSolver::Svd)),
            Some("lsqr-auto") => Ok(Some(LdaSolver::LsqrAuto)),
            Some(other) => Err(BenchError::invalid(
                "lda",
                other,
                "expected svd or lsqr-auto",
            )),
        }
    }

    /// Filter-bank bands this pipeline needs beyond the paradigm band (empty for single-band).
    pub fn filter_bank(&self) -> Vec<(f64, f64)> {
        match self.kind.as_str() {
            "fbcsp" => self.bands.clone().unwrap_or_else(|| {
                bci_decode::fbcsp::default_fbcsp_bands()
                    .into_iter()
                    .map(|[lo, hi]| (lo, hi))
                    .collect()
            }),
            "fbcca" => self
                .bands
                .clone()
                .unwrap_or_else(|| (1..=5).map(|n| (7.0 * n as f64, 45.0)).collect()),
            _ => Vec::new(),
        }
    }

    /// A fresh, unfitted model; `freqs` are the stimulus frequencies (SSVEP) in class order.
    pub fn build(&self, sfreq: f64, freqs: &[f64]) -> Result<Box<dyn Model>> {
        let est = self.estimator()?;
        let solver = self.lda_solver()?;
        let m: Box<dyn Model> = match self.kind.as_str() {
            "csp-lda" => Box::new(CspLda {
                est,
                nfilter: self.nfilter.unwrap_or(6),
                solver: solver.unwrap_or(LdaSolver::Svd),
                fitted: None,
            }),
            "ts-lr" => Box::new(TsLr {
                est,
                c: self.c,
                fitted: None,
            }),
            "mdm" => Box::new(MdmModel { est, fitted: None }),
            "xdawn-ts-lr" | "xdawn-mdm" | "xdawn-lda" | "csp-mne-lda" => Box::new(DecodePipeline {
                kind: self.kind.parse::<PipelineKind>()?,
                opts: PipelineOptions {
                    covariance: est,
                    lr_c: self.c,
                    xdawn_filters: self.nfilter.unwrap_or(XDAWN_FILTERS),
                    csp_filters: self.nfilter.unwrap_or(6),
                    lda_solver: solver.unwrap_or(LdaSolver::Svd),
                    ..PipelineOptions::default()
                },
                sfreq,
                fitted: None,
            }),
            "fbcsp" => Box::new(Fbcsp {
                est,
                nfilter: self.nfilter.unwrap_or(FBCSP_FILTERS),
                select: self.select.unwrap_or(FBCSP_SELECT),
                solver: solver.unwrap_or(LdaSolver::LsqrAuto),
                fitted: None,
            }),
            "cca" | "fbcca" => {
                if freqs.is_empty() {
                    return Err(BenchError::invalid(
                        "pipeline",
                        &self.name,
                        "CCA needs stimulus frequencies: use it with the ssvep paradigm",
                    ));
                }
                Box::new(CcaModel {
                    cca: Cca {
                        freqs: freqs.to_vec(),
                        harmonics: self.harmonics,
                        sfreq,
                    },
                    filter_bank: self.kind == "fbcca",
                })
            }
            other => {
                return Err(BenchError::invalid("kind", other, "unknown pipeline kind"));
            }
        };
        Ok(m)
    }
}

/// Epochs in every band a pipeline sees: `bands[0]` is the paradigm band, then the pipeline's
/// own filter bank (if any), each (n_epochs × channels × samples).
pub struct Input<'a> {
    pub main: ArrayView3<'a, f64>,
    pub bank: Vec<ArrayView3<'a, f64>>,
}

/// A decoder evaluated by the harness.
pub trait Model: Send {
    /// Fits on training epochs and class indices `0..n_classes`.
    fn fit(&mut self, x: &Input, y: &[usize]) -> Result<()>;
    /// Decision values (n_epochs × n_classes), larger = more likely; for ROC-AUC the score of an
    /// epoch is column 1 minus column 0 (positive class = class index 1).
    fn decision(&self, x: &Input) -> Result<Array2<f64>>;
}

fn not_fitted() -> BenchError {
    BenchError::Data("pipeline used before fit".into())
}

fn two_column(d: ndarray::Array1<f64>) -> Array2<f64> {
    let mut out = Array2::zeros((d.len(), 2));
    out.column_mut(1).assign(&d);
    out
}

fn lda_decision(lda: &Lda, f: ndarray::ArrayView2<f64>) -> Result<Array2<f64>> {
    let d = lda.decision_function(f)?;
    if d.ncols() == 1 {
        Ok(two_column(d.column(0).to_owned()))
    } else {
        Ok(d)
    }
}

struct CspLda {
    est: Estimator,
    nfilter: usize,
    solver: LdaSolver,
    fitted: Option<(Csp, Lda)>,
}

impl Model for CspLda {
    fn fit(&mut self, x: &Input, y: &[usize]) -> Result<()> {
        let c = covariances(x.main, self.est)?;
        let csp = Csp::fit(c.view(), y, self.nfilter)?;
        let f = csp.transform(c.view())?;
        let lda = Lda::fit(f.view(), y, self.solver)?;
        self.fitted = Some((csp, lda));
        Ok(())
    }
    fn decision(&self, x: &Input) -> Result<Array2<f64>> {
        let (csp, lda) = self.fitted.as_ref().ok_or_else(not_fitted)?;
        let c = covariances(x.main, self.est)?;
        lda_decision(lda, csp.transform(c.view())?.view())
    }
}

struct TsLr {
    est: Estimator,
    c: f64,
    fitted: Option<(TangentSpace, LogisticRegression)>,
}

impl Model for TsLr {
    fn fit(&mut self, x: &Input, y: &[usize]) -> Result<()> {
        let c = covariances(x.main, self.est)?;
        let ts = TangentSpace::fit(c.view())?;
        let f = ts.transform(c.view())?;
        let lr = LogisticRegression::fit(f.view(), y, self.c)?;
        self.fitted = Some((ts, lr));
        Ok(())
    }
    fn decision(&self, x: &Input) -> Result<Array2<f64>> {
        let (ts, lr) = self.fitted.as_ref().ok_or_else(not_fitted)?;
        let c = covariances(x.main, self.est)?;
        let f = ts.transform(c.view())?;
        Ok(two_column(lr.decision_function(f.view())?))
    }
}

struct MdmModel {
    est: Estimator,
    fitted: Option<Mdm>,
}

impl Model for MdmModel {
    fn fit(&mut self, x: &Input, y: &[usize]) -> Result<()> {
        let c = covariances(x.main, self.est)?;
        self.fitted = Some(Mdm::fit(c.view(), y)?);
        Ok(())
    }
    fn decision(&self, x: &Input) -> Result<Array2<f64>> {
        let mdm = self.fitted.as_ref().ok_or_else(not_fitted)?;
        let c = covariances(x.main, self.est)?;
        // −d² ranks epochs as pyRiemann's predict_proba (softmax of −d²) does.
        Ok(mdm.transform(c.view())?.mapv(|d| -d * d))
    }
}

/// A pipeline of bci-decode run as is (fit on the paradigm-band epochs, its own scores).
struct DecodePipeline {
    kind: PipelineKind,
    opts: PipelineOptions,
    sfreq: f64,
    fitted: Option<Fitted>,
}

impl Model for DecodePipeline {
    fn fit(&mut self, x: &Input, y: &[usize]) -> Result<()> {
        self.fitted = Some(Fitted::fit(
            self.kind,
            x.main,
            y,
            &self.opts,
            self.sfreq,
            &[],
        )?);
        Ok(())
    }
    fn decision(&self, x: &Input) -> Result<Array2<f64>> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        // Two-class scores are [-d/2, d/2]: column 1 minus column 0 is the decision d.
        Ok(f.scores(x.main)?)
    }
}

/// FBCSP on the bench's filter bank (each band filtered on the continuous recording, as MOABB's
/// FilterBankMotorImagery): bci-decode's estimator, as the `fbcsp` model pipeline uses it.
struct Fbcsp {
    est: Estimator,
    nfilter: usize,
    select: usize,
    solver: LdaSolver,
    fitted: Option<FbcspEstimator>,
}

impl Model for Fbcsp {
    fn fit(&mut self, x: &Input, y: &[usize]) -> Result<()> {
        self.fitted = Some(FbcspEstimator::fit(
            &x.bank,
            y,
            self.nfilter,
            self.est,
            self.select,
            self.solver,
        )?);
        Ok(())
    }
    fn decision(&self, x: &Input) -> Result<Array2<f64>> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        let d = f.decision_function(&x.bank)?;
        if d.ncols() == 1 {
            Ok(two_column(d.column(0).to_owned()))
        } else {
            Ok(d)
        }
    }
}

struct CcaModel {
    cca: Cca,
    filter_bank: bool,
}

impl Model for CcaModel {
    fn fit(&mut self, _x: &Input, _y: &[usize]) -> Result<()> {
        // Training-free: the references depend only on the stimulus frequencies.
        Ok(())
    }
    fn decision(&self, x: &Input) -> Result<Array2<f64>> {
        if self.filter_bank {
            Ok(self.cca.fbcca_scores(&x.bank)?)
        } else {
            Ok(self.cca.transform(x.main)?)
        }
    }
}
