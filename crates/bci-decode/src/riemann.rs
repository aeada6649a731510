//! Riemannian geometry of SPD matrices (affine-invariant metric), as pyRiemann 0.12 computes it:
//! the Riemannian mean (its gradient-descent algorithm with the same step-size rule, tolerance
//! 1e-8 and at most 50 iterations), the distance, the tangent-space map and MDM.

use ndarray::{Array1, Array2, Array3, ArrayView2, ArrayView3, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Result};
use crate::labels::{check_labels, class_indices};
use crate::linalg::{
    self, Mat, congruence, eigh_spd, eigvals_generalized, from_na, recompose, sqrt_invsqrt, to_na,
};
use crate::par::par_map;

/// pyRiemann's `mean_riemann` tolerance (`tol=10e-9`).
pub const MEAN_TOL: f64 = 10e-9;
/// pyRiemann's `mean_riemann` iteration limit.
pub const MEAN_MAX_ITER: usize = 50;

/// Euclidean (arithmetic) mean of matrices.
pub fn mean_euclid(covs: ArrayView3<f64>) -> Result<Array2<f64>> {
    covs.mean_axis(Axis(0))
        .ok_or_else(|| DecodeError::Shape("mean of zero matrices".into()))
}

/// Riemannian (affine-invariant) mean of SPD matrices (n × c × c), started from the arithmetic
/// mean, exactly pyRiemann's iteration.
pub fn mean_riemann(covs: ArrayView3<f64>) -> Result<Array2<f64>> {
    let mats: Vec<Mat> = covs.axis_iter(Axis(0)).map(to_na).collect();
    Ok(from_na(&mean_riemann_na(&mats)?))
}

pub(crate) fn mean_riemann_na(mats: &[Mat]) -> Result<Mat> {
    let Some(first) = mats.first() else {
        return Err(DecodeError::Shape(
            "Riemannian mean of zero matrices".into(),
        ));
    };
    let n = first.nrows();
    let w = 1.0 / mats.len() as f64;
    let mut m = Mat::zeros(n, n);
    for x in mats {
        m += x * w;
    }
    let mut nu = 1.0f64;
    let mut tau = f64::MAX;
    for _ in 0..MEAN_MAX_ITER {
        // pyRiemann whitens by M^{-1/2} and steps to M^{1/2} expm(ν J) M^{1/2}. Whitening by the
        // Cholesky factor M = L Lᵀ instead gives matrices L⁻¹ C L⁻ᵀ = Uᵀ (M^{-1/2} C M^{-1/2}) U
        // (U = M^{-1/2} L is orthogonal), so their mean log is J_L = Uᵀ J U, ‖J_L‖ = ‖J‖, and
        // L expm(ν J_L) Lᵀ is the same next iterate: the same iteration, with triangular products
        // and no eigen-decomposition of M.
        let l = nalgebra::Cholesky::new(m.clone())
            .ok_or_else(|| DecodeError::SingularCovariance {
                what: "Riemannian mean iterate".into(),
                detail: "matrix is not positive definite (Cholesky failed)".into(),
                min_variance: (0..n).map(|i| m[(i, i)]).fold(f64::INFINITY, f64::min),
            })?
            .unpack();
        let l_inv_t = l
            .solve_lower_triangular(&Mat::identity(n, n))
            .ok_or_else(|| DecodeError::SingularCovariance {
                what: "Riemannian mean iterate".into(),
                detail: "Cholesky factor is singular".into(),
                min_variance: f64::NAN,
            })?
            .transpose();
        let logs = par_map(mats.len(), |i| {
            let inner = congruence(&l_inv_t, &mats[i], true);
            let (vals, vecs) = eigh_spd(&inner, &format!("covariance of epoch {i}"))?;
            Ok(recompose(&vals, &vecs, f64::ln))
        });
        let mut j = Mat::zeros(n, n);
        for log in logs {
            j += log? * w;
        }
        let (jv, jvec) = linalg::eigh(&j);
        let step = recompose(&jv, &jvec, |v| (nu * v).exp());
        m = congruence(&l.transpose(), &step, true);
        let crit = j.norm();
        let h = nu * crit;
        if h < tau {
            nu *= 0.95;
            tau = h;
        } else {
            nu *= 0.5;
        }
        if crit <= MEAN_TOL || nu <= MEAN_TOL {
            break;
        }
    }
    Ok(m)
}

/// Eigen-decomposition of a symmetric matrix, the one every operation here is built on:
/// eigenvalues ascending and unit eigenvectors as columns, as `numpy.linalg.eigh` (which reads
/// the lower triangle; so does this).
pub fn eigh(a: ArrayView2<f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    let (r, c) = a.dim();
    if r != c {
        return Err(DecodeError::Shape(format!(
            "eigh needs a square matrix, got {r} x {c}"
        )));
    }
    if let Some(((i, j), v)) = a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(DecodeError::InvalidParameter {
            name: format!("matrix element ({i}, {j})"),
            value: v.to_string(),
            message: "eigh needs finite values".into(),
        });
    }
    let lower = Mat::from_fn(r, c, |i, j| if i >= j { a[[i, j]] } else { a[[j, i]] });
    let (vals, vecs) = linalg::eigh(&lower);
    Ok((Array1::from(vals.as_slice().to_vec()), from_na(&vecs)))
}

/// Affine-invariant Riemannian distance: `sqrt(sum log² λ_i)`, λ the eigenvalues of `(A, B)`.
pub fn distance_riemann(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<f64> {
    distance_na(&to_na(a), &to_na(b))
}

pub(crate) fn distance_na(a: &Mat, b: &Mat) -> Result<f64> {
    let vals = eigvals_generalized(a, b, "distance reference")?;
    if let Some(v) = vals.iter().find(|v| **v <= 0.0) {
        return Err(DecodeError::SingularCovariance {
            what: "distance".into(),
            detail: format!("generalized eigenvalue {v:e} is not positive"),
            min_variance: f64::NAN,
        });
    }
    Ok(vals.iter().map(|v| v.ln().powi(2)).sum::<f64>().sqrt())
}

/// Upper triangle (row by row, diagonal included) with off-diagonal entries times √2, as
/// pyRiemann's `upper`.
pub fn upper(m: &Mat) -> Array1<f64> {
    let n = m.nrows();
    let mut out = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in i..n {
            let w = if i == j {
                1.0
            } else {
                std::f64::consts::SQRT_2
            };
            out.push(m[(i, j)] * w);
        }
    }
    Array1::from(out)
}

/// Tangent-space map at a reference point (pyRiemann `TangentSpace(metric="riemann")`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TangentSpace {
    /// Reference point (Riemannian mean of the training matrices), row-major c × c.
    pub reference: Array2<f64>,
}

impl TangentSpace {
    /// Reference = Riemannian mean of the training matrices.
    pub fn fit(covs: ArrayView3<f64>) -> Result<Self> {
        Ok(TangentSpace {
            reference: mean_riemann(covs)?,
        })
    }

    /// Tangent vectors `upper(logm(C_ref^{-1/2} C C_ref^{-1/2}))`, one row per matrix.
    pub fn transform(&self, covs: ArrayView3<f64>) -> Result<Array2<f64>> {
        let c = self.reference.nrows();
        if covs.dim().1 != c || covs.dim().2 != c {
            return Err(DecodeError::Shape(format!(
                "tangent space reference is {c} x {c}, matrices are {} x {}",
                covs.dim().1,
                covs.dim().2
            )));
        }
        let (_, mm12) = sqrt_invsqrt(&to_na(self.reference.view()), "tangent-space reference")?;
        let d = c * (c + 1) / 2;
        let rows = par_map(covs.dim().0, |i| {
            let inner = congruence(&mm12, &to_na(covs.index_axis(Axis(0), i)), false);
            let (vals, vecs) = eigh_spd(&inner, &format!("covariance of epoch {i}"))?;
            Ok(upper(&recompose(&vals, &vecs, f64::ln)))
        });
        let mut out = Array2::zeros((covs.dim().0, d));
        for (i, row) in rows.into_iter().enumerate() {
            out.row_mut(i).assign(&row?);
        }
        Ok(out)
    }
}

/// Minimum distance to mean (pyRiemann `MDM(metric="riemann")`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mdm {
    /// One Riemannian mean per class, in class-index order.
    pub means: Vec<Array2<f64>>,
}

impl Mdm {
    /// Fits one Riemannian mean per class; `y` holds class indices `0..n_classes`.
    pub fn fit(covs: ArrayView3<f64>, y: &[usize]) -> Result<Self> {
        let n_classes = check_labels(y, covs.dim().0)?;
        let mut means = Vec::with_capacity(n_classes);
        for k in 0..n_classes {
            let idx = class_indices(y, k);
            let sel = covs.select(Axis(0), &idx);
            means.push(mean_riemann(sel.view())?);
        }
        Ok(Mdm { means })
    }

    /// Riemannian distance of each matrix to each class mean (n × n_classes).
    pub fn transform(&self, covs: ArrayView3<f64>) -> Result<Array2<f64>> {
        let means: Vec<Mat> = self.means.iter().map(|m| to_na(m.view())).collect();
        if let Some(m) = means
            .iter()
            .find(|m| m.nrows() != covs.dim().1 || m.ncols() != covs.dim().2)
        {
            return Err(DecodeError::Shape(format!(
                "MDM class means are {} x {}, matrices are {} x {}",
                m.nrows(),
                m.ncols(),
                covs.dim().1,
                covs.dim().2
            )));
        }
        let rows = par_map(covs.dim().0, |i| {
            let xn = to_na(covs.index_axis(Axis(0), i));
            means
                .iter()
                .map(|m| distance_na(&xn, m))
                .collect::<Result<Vec<f64>>>()
        });
        let mut out = Array2::zeros((covs.dim().0, means.len()));
        for (i, row) in rows.into_iter().enumerate() {
            for (k, v) in row?.into_iter().enumerate() {
                out[[i, k]] = v;
            }
        }
        Ok(out)
    }

    /// Softmax of minus squared distances (pyRiemann `predict_proba`).
    pub fn predict_proba(&self, covs: ArrayView3<f64>) -> Result<Array2<f64>> {
        let mut d = self.transform(covs)?;
        for mut row in d.rows_mut() {
            let neg: Vec<f64> = row.iter().map(|v| -v * v).collect();
            let mx = neg.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = neg.iter().map(|v| (v - mx).exp()).collect();
            let s: f64 = e.iter().sum();
            for (r, ev) in row.iter_mut().zip(e) {
                *r = ev / s;
            }
        }
        Ok(d)
    }

    /// Class index of the nearest mean.
    pub fn predict(&self, covs: ArrayView3<f64>) -> Result<Vec<usize>> {
        Ok(argmin_rows(&self.transform(covs)?))
    }
}

pub(crate) fn argmin_rows(d: &Array2<f64>) -> Vec<usize> {
    d.rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold((0usize, f64::INFINITY), |(bi, bv), (i, &v)| {
                    if v < bv { (i, v) } else { (bi, bv) }
                })
                .0
        })
        .collect()
}

/// Riemannian means as a batch helper: (n_classes × c × c).
pub fn stack(mats: &[Array2<f64>]) -> Result<Array3<f64>> {
    let Some(first) = mats.first() else {
        return Err(DecodeError::Shape("no matrices".into()));
    };
    let (r, c) = first.dim();
    let mut out = Array3::zeros((mats.len(), r, c));
    for (i, m) in mats.iter().enumerate() {
        out.index_axis_mut(Axis(0), i).assign(m);
    }
    Ok(out)
}
