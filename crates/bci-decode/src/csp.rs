//! Common spatial patterns on covariance matrices, as pyRiemann's `CSP(nfilter, metric="euclid",
//! log=True)`: class means are arithmetic means, the filters are the generalized eigenvectors of
//! `(C₁, C₀ + C₁)` (scipy `eigh`, normalised `vᵀ(C₀+C₁)v = 1`) sorted by `|λ − 0.5|` descending,
//! and the features are `log(diag(W C Wᵀ))`.

use ndarray::{Array2, ArrayView3, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Result};
use crate::labels::{check_labels, class_indices};
use crate::linalg::{eigh_generalized, to_na};

/// Fitted CSP: `filters` is n_filters × n_channels (one filter per row).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Csp {
    pub filters: Array2<f64>,
    /// Generalized eigenvalues of the kept filters.
    pub eigenvalues: Vec<f64>,
}

impl Csp {
    /// Fits `n_filter` filters on covariances (n × c × c) with two classes (`y` in {0, 1}).
    pub fn fit(covs: ArrayView3<f64>, y: &[usize], n_filter: usize) -> Result<Self> {
        let n_classes = check_labels(y, covs.dim().0)?;
        if n_classes != 2 {
            return Err(DecodeError::invalid(
                "number of classes",
                n_classes,
                "CSP here is the two-class algorithm; use MDM or TS+LR for more classes",
            ));
        }
        if n_filter == 0 {
            return Err(DecodeError::invalid("nfilter", 0, "must be at least 1"));
        }
        let c0 = covs
            .select(Axis(0), &class_indices(y, 0))
            .mean_axis(Axis(0))
            .ok_or_else(|| DecodeError::Shape("empty class".into()))?;
        let c1 = covs
            .select(Axis(0), &class_indices(y, 1))
            .mean_axis(Axis(0))
            .ok_or_else(|| DecodeError::Shape("empty class".into()))?;
        let a = to_na(c1.view());
        let b = to_na((&c0 + &c1).view());
        let (vals, vecs) = eigh_generalized(&a, &b, "CSP class-covariance sum")?;
        let n = vals.len();
        let mut idx: Vec<usize> = (0..n).collect();
        // numpy: argsort(|λ-0.5|)[::-1]; ties (rare) keep numpy's reversed order.
        idx.sort_by(|&i, &j| (vals[i] - 0.5).abs().total_cmp(&(vals[j] - 0.5).abs()));
        idx.reverse();
        let k = n_filter.min(n);
        let filters = Array2::from_shape_fn((k, n), |(f, ch)| vecs[(ch, idx[f])]);
        Ok(Csp {
            filters,
            eigenvalues: idx[..k].iter().map(|&i| vals[i]).collect(),
        })
    }

    /// Log-variance features `log(diag(W C Wᵀ))` (n × n_filters).
    pub fn transform(&self, covs: ArrayView3<f64>) -> Result<Array2<f64>> {
        let (n, c, _) = covs.dim();
        if c != self.filters.ncols() {
            return Err(DecodeError::Shape(format!(
                "CSP filters are for {} channels, covariances have {c}",
                self.filters.ncols()
            )));
        }
        let k = self.filters.nrows();
        let mut out = Array2::zeros((n, k));
        for (i, cov) in covs.axis_iter(Axis(0)).enumerate() {
            let wc = self.filters.dot(&cov);
            for f in 0..k {
                let v = wc.row(f).dot(&self.filters.row(f));
                if v <= 0.0 || !v.is_finite() {
                    return Err(DecodeError::SingularCovariance {
                        what: format!("CSP output of epoch {i}"),
                        detail: format!("variance of component {f} is {v:e}"),
                        min_variance: v,
                    });
                }
                out[[i, f]] = v.ln();
            }
        }
        Ok(out)
    }
}
