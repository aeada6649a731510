//! Common spatial patterns on covariance matrices, as pyRiemann's `CSP(nfilter, metric="euclid",
//! log=True)`: class means are arithmetic means, the filters are the generalized eigenvectors of
//! `(C₁, C₀ + C₁)` (scipy `eigh`, normalised `vᵀ(C₀+C₁)v = 1`) sorted by `|λ − 0.5|` descending,
//! and the features are `log(diag(W C Wᵀ))`.
//!
//! [`MneCsp`] is MNE's `mne.decoding.CSP(n_components, reg=None, log=True, norm_trace=False)`
//! (MNE 1.13) on epochs: see its documentation for how it differs.

use nalgebra::DMatrix;
use ndarray::{Array2, ArrayView2, ArrayView3, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Result};
use crate::labels::{check_labels, class_indices};
use crate::linalg::{Mat, eigh, eigh_generalized, to_na};

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

/// MNE's CSP, `mne.decoding.CSP(n_components, reg=None, log=True, norm_trace=False)` (MNE 1.13,
/// two classes, the default `cov_est="concat"`, `component_order="mutual_info"`,
/// `restr_type="restricting"`), fitted on epochs rather than on covariances:
/// - the class covariance is the empirical covariance of the class's epochs laid end to end,
///   *not centred* (`assume_centered=True`) but divided by `N − 1`: `Σ X Xᵀ / (N − 1)` with
///   `N = n_epochs · n_samples` of that class;
/// - MNE estimates the rank `r` of all training data (singular values above
///   `n_channels · s_max · ε`); below full rank (e.g. average-referenced EEG) both class
///   covariances are first projected on the `r` leading eigenvectors of their mean;
/// - the filters are the generalized eigenvectors of `(C₀, C₀ + C₁)` (scipy `eigh`, normalised
///   `vᵀ(C₀+C₁)v = 1`), sorted by `|λ − 0.5|` descending; the first `n_components` are kept;
/// - the features are `log(mean_t((W X)²))`: the log of the mean power of each component, not a
///   variance about the mean (unlike pyRiemann's [`Csp`] on covariances).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MneCsp {
    /// n_components × n_channels, one filter per row.
    pub filters: Array2<f64>,
    /// Generalized eigenvalues of the kept filters (MNE's `evals_`).
    pub eigenvalues: Vec<f64>,
    /// Rank of the training data MNE's rule found (`n_channels` when full).
    pub rank: usize,
}

/// `Σ X Xᵀ` over epochs (uncentred scatter).
fn scatter(epochs: ArrayView3<f64>, idx: &[usize]) -> Array2<f64> {
    let c = epochs.dim().1;
    let mut s = Array2::zeros((c, c));
    for &i in idx {
        let x = epochs.index_axis(Axis(0), i);
        s += &x.dot(&x.t());
    }
    s
}

/// MNE's data rank: singular values of all samples side by side above
/// `n_channels · s_max · ε` (`mne.rank._estimate_rank_from_s`, tol="auto"). The singular values
/// come from the R factor of a QR of the (samples × channels) data, as accurate as an SVD of the
/// data itself; squaring them through `X Xᵀ` could not resolve MNE's tolerance.
fn data_rank(epochs: ArrayView3<f64>) -> usize {
    let (n, c, t) = epochs.dim();
    let rows = n * t;
    if rows < c {
        return rows;
    }
    let data = DMatrix::from_fn(rows, c, |r, ch| epochs[[r / t, ch, r % t]]);
    let r = data.qr().r();
    let s = nalgebra::SVD::new(r, false, false).singular_values;
    let max = s.iter().fold(0.0f64, |a, &v| a.max(v));
    let tol = c as f64 * max * f64::EPSILON;
    s.iter().filter(|&&v| v > tol).count()
}

impl MneCsp {
    /// Fits on epochs (n × channels × samples) with two classes (`y` in {0, 1}).
    pub fn fit(epochs: ArrayView3<f64>, y: &[usize], n_components: usize) -> Result<Self> {
        let (n, c, t) = epochs.dim();
        let n_classes = check_labels(y, n)?;
        if n_classes != 2 {
            return Err(DecodeError::invalid(
                "number of classes",
                n_classes,
                "MNE CSP here is the two-class algorithm; use MDM or TS+LR for more classes",
            ));
        }
        if n_components == 0 {
            return Err(DecodeError::invalid(
                "n_components",
                0,
                "must be at least 1",
            ));
        }
        if t == 0 || c == 0 {
            return Err(DecodeError::Shape(format!(
                "epochs are {n} x {c} x {t}; CSP needs channels and samples"
            )));
        }
        let i0 = class_indices(y, 0);
        let i1 = class_indices(y, 1);
        // MNE divides the uncentred scatter by N − 1 ("undo bias" in _compute_covariance_auto).
        let c0 = scatter(epochs, &i0) / ((i0.len() * t).max(2) - 1) as f64;
        let c1 = scatter(epochs, &i1) / ((i1.len() * t).max(2) - 1) as f64;
        let rank = data_rank(epochs);
        if rank == 0 {
            return Err(DecodeError::SingularCovariance {
                what: "MNE CSP training data".into(),
                detail: "every channel is zero".into(),
                min_variance: 0.0,
            });
        }
        let what = "MNE CSP class-covariance sum";
        let (vals, vecs) = if rank == c {
            let a = to_na(c0.view());
            let b = to_na((&c0 + &c1).view());
            eigh_generalized(&a, &b, what)?
        } else {
            // MNE's "restricting": the r leading eigenvectors of the mean class covariance
            // (rows of U, r × c); the pencil is solved in that subspace and mapped back.
            let (ev, evec) = eigh(&to_na(((&c0 + &c1) * 0.5).view()));
            let u: Mat = DMatrix::from_fn(rank, c, |i, ch| evec[(ch, c - 1 - i)]);
            debug_assert_eq!(ev.len(), c);
            let s0 = &u * to_na(c0.view()) * u.transpose();
            let s1 = &u * to_na(c1.view()) * u.transpose();
            let (vals, v) = eigh_generalized(&s0, &(&s0 + &s1), what)?;
            (vals, u.transpose() * v)
        };
        let m = vals.len();
        let mut idx: Vec<usize> = (0..m).collect();
        idx.sort_by(|&i, &j| (vals[i] - 0.5).abs().total_cmp(&(vals[j] - 0.5).abs()));
        idx.reverse();
        let k = n_components.min(m);
        Ok(MneCsp {
            filters: Array2::from_shape_fn((k, c), |(f, ch)| vecs[(ch, idx[f])]),
            eigenvalues: idx[..k].iter().map(|&i| vals[i]).collect(),
            rank,
        })
    }

    /// Log mean power of each component, `log(mean_t((W X)²))` (n × n_components).
    pub fn transform(&self, epochs: ArrayView3<f64>) -> Result<Array2<f64>> {
        let (n, c, _) = epochs.dim();
        if c != self.filters.ncols() {
            return Err(DecodeError::Shape(format!(
                "MNE CSP filters are for {} channels, epochs have {c}",
                self.filters.ncols()
            )));
        }
        let k = self.filters.nrows();
        let mut out = Array2::zeros((n, k));
        for (i, ep) in epochs.axis_iter(Axis(0)).enumerate() {
            let p = component_power(self.filters.view(), ep);
            for (f, &v) in p.iter().enumerate() {
                if !(v > 0.0 && v.is_finite()) {
                    return Err(DecodeError::SingularCovariance {
                        what: format!("MNE CSP output of epoch {i}"),
                        detail: format!("mean power of component {f} is {v:e}"),
                        min_variance: v,
                    });
                }
                out[[i, f]] = v.ln();
            }
        }
        Ok(out)
    }
}

/// `mean_t((W X)²)` per row of `W`.
fn component_power(w: ArrayView2<f64>, x: ArrayView2<f64>) -> Vec<f64> {
    let t = x.ncols().max(1) as f64;
    w.dot(&x)
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|v| v * v).sum::<f64>() / t)
        .collect()
}
