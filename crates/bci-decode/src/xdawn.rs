//! xDAWN spatial filters for event-related potentials, as pyRiemann 0.12's `Xdawn` and
//! `XdawnCovariances` compute them:
//! - the signal covariance `Cx` is the estimator (default `scm`) over every sample of every
//!   training epoch, centred as one long recording;
//! - per class (in class-index order), the prototype `P` is the mean epoch of that class, `C` its
//!   covariance, and the filters are the generalized eigenvectors of `(C, Cx)` with the largest
//!   eigenvalues, each scaled to unit Euclidean norm (scipy `eigh`, then `evecs /= norm`);
//! - the `nfilter` first filters of every class are stacked (n_classes·nfilter × n_channels), and
//!   the evoked templates are `filters_k · P_k`;
//! - `XdawnCovariances` is the covariance (default `oas`) of each filtered epoch stacked under
//!   the templates: `cov([P_all; W X])`, a (2·n_classes·nfilter)² matrix.
//!
//! Eigenvector signs are arbitrary (LAPACK's choice in pyRiemann, ours here). A sign flip of a
//! filter flips one template row and one filtered row together, so the covariances change by
//! `D C D` with `D` diagonal ±1: Riemannian distances, MDM decisions and tangent-space +
//! logistic-regression decisions do not change.

use ndarray::{Array2, Array3, ArrayView3, Axis, s};
use serde::{Deserialize, Serialize};

use crate::covariance::{Estimator, covariance};
use crate::error::{DecodeError, Result};
use crate::labels::{check_labels, class_indices};
use crate::linalg::{eigh_generalized, to_na};

/// pyRiemann's default number of xDAWN filters per class.
pub const XDAWN_FILTERS: usize = 4;

/// Fitted xDAWN filters and evoked templates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Xdawn {
    /// (n_classes·k × n_channels), one filter per row, class 0's first.
    pub filters: Array2<f64>,
    /// Evoked templates (n_classes·k × n_samples): each class's filters applied to its mean epoch.
    pub evokeds: Array2<f64>,
    /// Filters per class (`min(nfilter, n_channels)`).
    pub filters_per_class: usize,
}

impl Xdawn {
    /// Fits on epochs (n × channels × samples) and class indices; `estimator` is pyRiemann's
    /// `estimator` of `Xdawn` (`xdawn_estimator` of `XdawnCovariances`), `scm` by default.
    pub fn fit(
        epochs: ArrayView3<f64>,
        y: &[usize],
        nfilter: usize,
        estimator: Estimator,
    ) -> Result<Self> {
        let (n, c, t) = epochs.dim();
        let n_classes = check_labels(y, n)?;
        if nfilter == 0 {
            return Err(DecodeError::invalid(
                "xDAWN nfilter",
                0,
                "must be at least 1",
            ));
        }
        // All samples of all epochs side by side (channels × n·t): pyRiemann's
        // X.transpose(1, 2, 0).reshape(c, t·n); the order of samples does not change a covariance.
        let mut all = Array2::zeros((c, n * t));
        for (i, ep) in epochs.axis_iter(Axis(0)).enumerate() {
            all.slice_mut(s![.., i * t..(i + 1) * t]).assign(&ep);
        }
        let cx = to_na(covariance(all.view(), estimator)?.view());
        let k = nfilter.min(c);
        let mut filters = Array2::zeros((n_classes * k, c));
        let mut evokeds = Array2::zeros((n_classes * k, t));
        for class in 0..n_classes {
            let proto = epochs
                .select(Axis(0), &class_indices(y, class))
                .mean_axis(Axis(0))
                .ok_or_else(|| DecodeError::Shape(format!("class {class} has no epochs")))?;
            let cp = to_na(covariance(proto.view(), estimator)?.view());
            let (_, vecs) =
                eigh_generalized(&cp, &cx, "xDAWN signal covariance (all training samples)")?;
            for f in 0..k {
                // Eigenvalues come ascending: the largest is the last column.
                let col = vecs.column(c - 1 - f);
                let norm = col.norm();
                let row = class * k + f;
                for ch in 0..c {
                    filters[[row, ch]] = col[ch] / norm;
                }
            }
            let w = filters.slice(s![class * k..(class + 1) * k, ..]);
            evokeds
                .slice_mut(s![class * k..(class + 1) * k, ..])
                .assign(&w.dot(&proto));
        }
        Ok(Xdawn {
            filters,
            evokeds,
            filters_per_class: k,
        })
    }

    /// Spatially filtered epochs (n × n_classes·k × samples).
    pub fn transform(&self, epochs: ArrayView3<f64>) -> Result<Array3<f64>> {
        let (n, c, t) = epochs.dim();
        if c != self.filters.ncols() {
            return Err(DecodeError::Shape(format!(
                "xDAWN filters are for {} channels, epochs have {c}",
                self.filters.ncols()
            )));
        }
        let mut out = Array3::zeros((n, self.filters.nrows(), t));
        for (i, ep) in epochs.axis_iter(Axis(0)).enumerate() {
            out.index_axis_mut(Axis(0), i)
                .assign(&self.filters.dot(&ep));
        }
        Ok(out)
    }
}

/// pyRiemann `XdawnCovariances(nfilter, estimator, xdawn_estimator)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct XdawnCovariances {
    pub xdawn: Xdawn,
    /// Estimator of the extended covariances (`estimator`).
    pub estimator: Estimator,
}

impl XdawnCovariances {
    /// Fits the xDAWN filters (`xdawn_estimator` for its covariances).
    pub fn fit(
        epochs: ArrayView3<f64>,
        y: &[usize],
        nfilter: usize,
        estimator: Estimator,
        xdawn_estimator: Estimator,
    ) -> Result<Self> {
        Ok(XdawnCovariances {
            xdawn: Xdawn::fit(epochs, y, nfilter, xdawn_estimator)?,
            estimator,
        })
    }

    /// Size of the output matrices (2·n_classes·k).
    pub fn n_components(&self) -> usize {
        2 * self.xdawn.filters.nrows()
    }

    /// Covariances of `[templates; filtered epoch]` (n × 2F × 2F).
    pub fn transform(&self, epochs: ArrayView3<f64>) -> Result<Array3<f64>> {
        let t = epochs.dim().2;
        let p = &self.xdawn.evokeds;
        if p.ncols() != t {
            return Err(DecodeError::Shape(format!(
                "xDAWN templates have {} samples, epochs have {t}; use the training epoch window",
                p.ncols()
            )));
        }
        let filtered = self.xdawn.transform(epochs)?;
        let f = p.nrows();
        let m = 2 * f;
        let mut out = Array3::zeros((epochs.dim().0, m, m));
        let mut stacked = Array2::zeros((m, t));
        stacked.slice_mut(s![..f, ..]).assign(p);
        for (i, ep) in filtered.axis_iter(Axis(0)).enumerate() {
            stacked.slice_mut(s![f.., ..]).assign(&ep);
            let cov = covariance(stacked.view(), self.estimator)
                .map_err(|e| crate::covariance::in_epoch(e, i))?;
            out.index_axis_mut(Axis(0), i).assign(&cov);
        }
        Ok(out)
    }
}
