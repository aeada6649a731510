//! Linear discriminant analysis as scikit-learn 1.9's `LinearDiscriminantAnalysis`:
//! `solver="svd"` (the default; within-class whitening by SVD, rank tolerance 1e-4) and
//! `solver="lsqr", shrinkage="auto"` (per-class Ledoit-Wolf covariance of standardised features,
//! weighted by the class priors). Priors are the class frequencies. For two classes the model
//! holds one coefficient row (class 1 minus class 0) and the decision function is `x·w + b`.

use nalgebra::DMatrix;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::covariance::{check_features, ledoit_wolf};
use crate::error::{DecodeError, Result};
use crate::labels::{check_labels, class_indices};
use crate::linalg::{Mat, eigh, from_na, svd_right, to_na};

/// Which scikit-learn solver to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LdaSolver {
    /// `solver="svd"`.
    Svd,
    /// `solver="lsqr", shrinkage="auto"`.
    LsqrAuto,
}

/// scikit-learn's default `tol` for the svd solver.
pub const LDA_TOL: f64 = 1e-4;

/// A fitted LDA: `coef` is (1 × p) for two classes, (k × p) otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lda {
    pub solver: LdaSolver,
    pub coef: Array2<f64>,
    pub intercept: Array1<f64>,
    pub n_classes: usize,
}

impl Lda {
    /// Fits on features (n × p) and class indices.
    pub fn fit(x: ArrayView2<f64>, y: &[usize], solver: LdaSolver) -> Result<Self> {
        let (n, p) = x.dim();
        let k = check_labels(y, n)?;
        check_features(x)?;
        let mut means = Array2::zeros((k, p));
        let mut priors = Array1::zeros(k);
        for c in 0..k {
            let idx = class_indices(y, c);
            priors[c] = idx.len() as f64 / n as f64;
            let xg = x.select(Axis(0), &idx);
            means
                .row_mut(c)
                .assign(&xg.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p)));
        }
        let (coef, intercept) = match solver {
            LdaSolver::Svd => solve_svd(x, y, &means, &priors)?,
            LdaSolver::LsqrAuto => solve_lsqr_auto(x, y, &means, &priors)?,
        };
        let (coef, intercept) = if k == 2 {
            let w = &coef.row(1) - &coef.row(0);
            (
                w.insert_axis(Axis(0)).to_owned(),
                Array1::from(vec![intercept[1] - intercept[0]]),
            )
        } else {
            (coef, intercept)
        };
        Ok(Lda {
            solver,
            coef,
            intercept,
            n_classes: k,
        })
    }

    /// Decision values: (n × 1) for two classes (positive means class 1), (n × k) otherwise.
    pub fn decision_function(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.coef.ncols() {
            return Err(DecodeError::Shape(format!(
                "LDA fitted on {} features, got {}",
                self.coef.ncols(),
                x.ncols()
            )));
        }
        check_features(x)?;
        Ok(x.dot(&self.coef.t()) + &self.intercept)
    }

    /// Predicted class indices.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Vec<usize>> {
        Ok(decision_to_class(&self.decision_function(x)?))
    }
}

/// Binary: positive → class 1; multi-class: argmax.
pub(crate) fn decision_to_class(d: &Array2<f64>) -> Vec<usize> {
    d.rows()
        .into_iter()
        .map(|r| {
            if r.len() == 1 {
                usize::from(r[0] > 0.0)
            } else {
                r.iter()
                    .enumerate()
                    .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                        if v > bv { (i, v) } else { (bi, bv) }
                    })
                    .0
            }
        })
        .collect()
}

fn solve_svd(
    x: ArrayView2<f64>,
    y: &[usize],
    means: &Array2<f64>,
    priors: &Array1<f64>,
) -> Result<(Array2<f64>, Array1<f64>)> {
    let (n, p) = x.dim();
    let k = means.nrows();
    let mut xc = x.to_owned();
    for (i, &c) in y.iter().enumerate() {
        let mut row = xc.row_mut(i);
        row -= &means.row(c);
    }
    let xbar = priors.dot(means);
    let mut std = xc.std_axis(Axis(0), 0.0);
    std.mapv_inplace(|s| if s == 0.0 { 1.0 } else { s });
    let fac = (1.0 / n as f64).sqrt();
    let xs = Mat::from_fn(n, p, |i, j| fac * (xc[[i, j]] / std[j]));
    // More features than epochs (e.g. xDAWN + LDA on flattened epochs): the thin SVD from the
    // n × n Gram matrix, instead of the eigen-decomposition of the p × p one.
    let (s, vt) = if n < p {
        svd_right_thin(&xs)
    } else {
        svd_right(&xs)
    };
    let rank = s.iter().filter(|&&v| v > LDA_TOL).count();
    if rank == 0 {
        return Err(DecodeError::SingularCovariance {
            what: "LDA within-class scatter".into(),
            detail: "all features are constant within classes".into(),
            min_variance: 0.0,
        });
    }
    // scalings (p × rank) = (Vt[:rank] / std)ᵀ / S[:rank]
    let scalings = Mat::from_fn(p, rank, |j, r| vt[(r, j)] / std[j] / s[r]);
    let fac2 = if k == 1 { 1.0 } else { 1.0 / (k as f64 - 1.0) };
    let centred_means = Mat::from_fn(k, p, |c, j| means[[c, j]] - xbar[j]);
    let mut xb = &centred_means * &scalings;
    for c in 0..k {
        let w = (n as f64 * priors[c] * fac2).sqrt();
        xb.row_mut(c).scale_mut(w);
    }
    let (s2, vt2) = svd_right(&xb);
    let s0 = s2.get(0).copied().unwrap_or(0.0);
    let rank2 = s2.iter().filter(|&&v| v > LDA_TOL * s0).count();
    let v2 = vt2.transpose();
    let v2 = v2.columns(0, rank2).into_owned();
    let scalings_ = &scalings * v2;
    let coef_small = &centred_means * &scalings_;
    let mut intercept = Array1::zeros(k);
    for c in 0..k {
        intercept[c] = -0.5 * coef_small.row(c).norm_squared() + priors[c].ln();
    }
    let coef_full = &coef_small * scalings_.transpose();
    let coef = from_na(&coef_full);
    let shift = coef.dot(&xbar);
    intercept -= &shift;
    Ok((coef, intercept))
}

/// Singular values (descending, n of them) and the matching right singular vectors (rows, n × p)
/// of a wide `m` (n < p), from the eigen-decomposition of `m mᵀ`: `v_r = mᵀ u_r / s_r`. Rows with
/// `s_r = 0` are left zero (they fall below every rank tolerance).
fn svd_right_thin(m: &Mat) -> (nalgebra::DVector<f64>, Mat) {
    let (n, p) = (m.nrows(), m.ncols());
    let g = m * m.transpose();
    let g = (&g + g.transpose()) * 0.5;
    let (vals, u) = eigh(&g);
    let s = nalgebra::DVector::from_fn(n, |i, _| vals[n - 1 - i].max(0.0).sqrt());
    let mut vt = Mat::zeros(n, p);
    for r in 0..n {
        if s[r] > 0.0 {
            let row = u.column(n - 1 - r).transpose() * m / s[r];
            vt.row_mut(r).copy_from(&row);
        }
    }
    (s, vt)
}

/// scikit-learn's `StandardScaler` then `ledoit_wolf`, rescaled back.
fn shrunk_cov_auto(xg: ArrayView2<f64>) -> Array2<f64> {
    let p = xg.ncols();
    let mean = xg.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p));
    let mut scale = xg.std_axis(Axis(0), 0.0);
    // StandardScaler's _handle_zeros_in_scale: (near-)constant features keep scale 1.
    for (s, m) in scale.iter_mut().zip(mean.iter()) {
        let eps = 10.0 * f64::EPSILON * m.abs().max(1.0);
        if *s < eps {
            *s = 1.0;
        }
    }
    let z = (&xg - &mean) / &scale;
    let s = ledoit_wolf(z.view());
    Array2::from_shape_fn((p, p), |(i, j)| scale[i] * s[[i, j]] * scale[j])
}

fn solve_lsqr_auto(
    x: ArrayView2<f64>,
    y: &[usize],
    means: &Array2<f64>,
    priors: &Array1<f64>,
) -> Result<(Array2<f64>, Array1<f64>)> {
    let p = x.ncols();
    let k = means.nrows();
    let mut cov = Array2::zeros((p, p));
    for c in 0..k {
        let xg = x.select(Axis(0), &class_indices(y, c));
        cov = cov + shrunk_cov_auto(xg.view()) * priors[c];
    }
    let a = to_na(cov.view());
    let b = DMatrix::from_fn(p, k, |j, c| means[[c, j]]);
    // scipy lstsq; the shrunk covariance is positive definite, so this is the plain solution.
    let sol = match nalgebra::Cholesky::new(a.clone()) {
        Some(ch) => ch.solve(&b),
        None => a
            .lu()
            .solve(&b)
            .ok_or_else(|| DecodeError::SingularCovariance {
                what: "LDA shrunk covariance".into(),
                detail: "not invertible".into(),
                min_variance: 0.0,
            })?,
    };
    let coef = from_na(&sol.transpose());
    let mut intercept = Array1::zeros(k);
    for c in 0..k {
        intercept[c] = -0.5 * means.row(c).dot(&coef.row(c)) + priors[c].ln();
    }
    Ok((coef, intercept))
}
