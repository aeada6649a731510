//! Small dense linear-algebra helpers on nalgebra: sorted symmetric eigen-decompositions,
//! functions of SPD matrices (sqrt, inverse sqrt, log, exp), the symmetric-definite generalized
//! eigenproblem, products whose result is known to be symmetric, and conversions to and from
//! ndarray.

use std::ops::Range;

use nalgebra::{DMatrix, DVector};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, ShapeBuilder, s};

use crate::error::{DecodeError, Result};

pub(crate) type Mat = DMatrix<f64>;

/// ndarray (rows × cols) to nalgebra.
pub(crate) fn to_na(a: ArrayView2<f64>) -> Mat {
    let (r, c) = a.dim();
    DMatrix::from_fn(r, c, |i, j| a[[i, j]])
}

/// nalgebra to ndarray (rows × cols).
pub(crate) fn from_na(m: &Mat) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Column-major nalgebra storage seen as an ndarray view (no copy), for strided block products.
fn view(m: &Mat) -> ArrayView2<'_, f64> {
    ArrayView2::from_shape((m.nrows(), m.ncols()).f(), m.as_slice())
        .expect("nalgebra storage is nrows x ncols, column-major")
}

fn view_mut(m: &mut Mat) -> ArrayViewMut2<'_, f64> {
    let shape = (m.nrows(), m.ncols()).f();
    ArrayViewMut2::from_shape(shape, m.as_mut_slice())
        .expect("nalgebra storage is nrows x ncols, column-major")
}

/// The two column blocks a symmetric product is split into: its upper triangle is three of the
/// four blocks, and the fourth is copied from the second.
fn halves(n: usize) -> [Range<usize>; 2] {
    [0..n / 2, n / 2..n]
}

/// Fills the lower-left block of `b` from its upper-right block (the result is symmetric).
fn mirror_lower(mut b: ArrayViewMut2<f64>) {
    let n = b.nrows();
    for i in n / 2..n {
        for j in 0..n / 2 {
            b[[i, j]] = b[[j, i]];
        }
    }
}

/// `out = A Bᵀ` for a product known to be symmetric (`A`, `B` both n × k): three of its four
/// blocks are computed and the fourth mirrored.
pub(crate) fn symmetric_product(
    a: ArrayView2<f64>,
    b: ArrayView2<f64>,
    mut out: ArrayViewMut2<f64>,
) {
    let [lo, hi] = halves(a.nrows());
    for (bi, bj) in [(&lo, &lo), (&lo, &hi), (&hi, &hi)] {
        general_mat_mul(
            1.0,
            &a.slice(s![bi.clone(), ..]),
            &b.slice(s![bj.clone(), ..]).t(),
            0.0,
            &mut out.slice_mut(s![bi.clone(), bj.clone()]),
        );
    }
    mirror_lower(out);
}

/// `Wᵀ C W` for symmetric `C`, computing only what the symmetric result needs. With
/// `w_upper_triangular` the zero blocks of `W` are skipped as well (whitening by an inverse
/// Cholesky factor `W = L⁻ᵀ`, or the congruence `L S Lᵀ` with `W = Lᵀ`).
pub(crate) fn congruence(w: &Mat, c: &Mat, w_upper_triangular: bool) -> Mat {
    let n = c.nrows();
    // Rows of W that can be non-zero in a block of its columns.
    let rows = |cols: &Range<usize>| {
        if w_upper_triangular {
            0..cols.end
        } else {
            0..n
        }
    };
    let (wv, cv) = (view(w), view(c));
    let mut y = Mat::zeros(n, n);
    {
        let mut yv = view_mut(&mut y);
        for cols in halves(n) {
            let k = rows(&cols);
            general_mat_mul(
                1.0,
                &cv.slice(s![.., k.clone()]),
                &wv.slice(s![k, cols.clone()]),
                0.0,
                &mut yv.slice_mut(s![.., cols]),
            );
        }
    }
    let mut b = Mat::zeros(n, n);
    {
        let (yv, mut bv) = (view(&y), view_mut(&mut b));
        let [lo, hi] = halves(n);
        for (bi, bj) in [(&lo, &lo), (&lo, &hi), (&hi, &hi)] {
            let k = rows(bi);
            general_mat_mul(
                1.0,
                &wv.slice(s![k.clone(), bi.clone()]).t(),
                &yv.slice(s![k, bj.clone()]),
                0.0,
                &mut bv.slice_mut(s![bi.clone(), bj.clone()]),
            );
        }
    }
    mirror_lower(view_mut(&mut b));
    b
}

/// Eigenvalues in ascending order and the matching eigenvectors (columns) of a symmetric matrix.
pub(crate) fn eigh(m: &Mat) -> (DVector<f64>, Mat) {
    let n = m.nrows();
    // nalgebra is column-major; the matrix is symmetric, so its storage is also row-major.
    let (vals, vecs) = crate::eigen::sym_eigen(m.as_slice(), n);
    (
        DVector::from_vec(vals),
        DMatrix::from_row_slice(n, n, &vecs),
    )
}

/// `B = L Lᵀ` (Cholesky) and the symmetric `C = L⁻¹ A L⁻ᵀ` (two triangular solves), which has the
/// eigenvalues of the pencil `(A, B)`.
fn whiten(a: &Mat, b: &Mat, what: &str) -> Result<(Mat, Mat)> {
    let chol =
        nalgebra::Cholesky::new(b.clone()).ok_or_else(|| DecodeError::SingularCovariance {
            what: what.into(),
            detail: "matrix is not positive definite (Cholesky failed)".into(),
            min_variance: min_diag(b),
        })?;
    let l = chol.l();
    let y = l
        .solve_lower_triangular(a)
        .ok_or_else(|| singular(what, b))?;
    let c = l
        .solve_lower_triangular(&y.transpose())
        .ok_or_else(|| singular(what, b))?;
    Ok((l, (&c + c.transpose()) * 0.5))
}

/// Eigenvalues (ascending) of the symmetric-definite pencil `(A, B)`, without eigenvectors.
pub(crate) fn eigvals_generalized(a: &Mat, b: &Mat, what: &str) -> Result<Vec<f64>> {
    let (_, c) = whiten(a, b, what)?;
    Ok(crate::eigen::sym_eigenvalues(c.as_slice(), c.nrows()))
}

/// `V f(Λ) Vᵀ` from an eigen-decomposition (three of its four blocks computed, the result being
/// symmetric).
pub(crate) fn recompose(vals: &DVector<f64>, vecs: &Mat, f: impl Fn(f64) -> f64) -> Mat {
    let n = vals.len();
    let mut scaled = vecs.clone();
    for c in 0..n {
        let fv = f(vals[c]);
        scaled.column_mut(c).scale_mut(fv);
    }
    let mut out = Mat::zeros(n, n);
    symmetric_product(view(&scaled), view(vecs), view_mut(&mut out));
    out
}

/// Eigen-decomposition of an SPD matrix; an error naming `what` if it is not positive definite.
pub(crate) fn eigh_spd(m: &Mat, what: &str) -> Result<(DVector<f64>, Mat)> {
    if let Some(v) = (!bci_dsp::all_finite(m.as_slice()))
        .then(|| m.iter().find(|v| !v.is_finite()))
        .flatten()
    {
        return Err(DecodeError::SingularCovariance {
            what: what.into(),
            detail: format!("matrix holds a non-finite value ({v})"),
            min_variance: min_diag(m),
        });
    }
    let (vals, vecs) = eigh(m);
    let max = vals.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    let min = vals.iter().fold(f64::INFINITY, |a, &b| a.min(b));
    // Below this the matrix is numerically singular: log/inverse would blow up or go complex.
    if !(min > max * 1e-14 && min > 0.0) {
        return Err(DecodeError::SingularCovariance {
            what: what.into(),
            detail: format!("smallest eigenvalue {min:e}, largest {max:e}"),
            min_variance: min_diag(m),
        });
    }
    Ok((vals, vecs))
}

fn min_diag(m: &Mat) -> f64 {
    (0..m.nrows().min(m.ncols()))
        .map(|i| m[(i, i)])
        .fold(f64::INFINITY, f64::min)
}

/// `M^{1/2}` and `M^{-1/2}` of an SPD matrix.
pub(crate) fn sqrt_invsqrt(m: &Mat, what: &str) -> Result<(Mat, Mat)> {
    let (vals, vecs) = eigh_spd(m, what)?;
    Ok((
        recompose(&vals, &vecs, f64::sqrt),
        recompose(&vals, &vecs, |v| 1.0 / v.sqrt()),
    ))
}

/// Symmetric-definite generalized eigenproblem `A v = λ B v` (as scipy's `eigh(A, B)`):
/// eigenvalues ascending, eigenvectors (columns) normalised so that `vᵀ B v = 1`.
pub(crate) fn eigh_generalized(a: &Mat, b: &Mat, what: &str) -> Result<(DVector<f64>, Mat)> {
    let (l, c) = whiten(a, b, what)?;
    let (vals, u) = eigh(&c);
    let v = l
        .transpose()
        .solve_upper_triangular(&u)
        .ok_or_else(|| singular(what, b))?;
    Ok((vals, v))
}

fn singular(what: &str, b: &Mat) -> DecodeError {
    DecodeError::SingularCovariance {
        what: what.into(),
        detail: "triangular factor is singular".into(),
        min_variance: min_diag(b),
    }
}

/// Singular values (descending) and right singular vectors (rows of Vᵀ) of `m` from the
/// symmetric eigen-decomposition of `mᵀm`. Values below ~1e-8 of the largest are not accurate
/// (they come from squared values), which is enough to decide rank against a 1e-4 tolerance.
pub(crate) fn svd_right(m: &Mat) -> (DVector<f64>, Mat) {
    let g = m.transpose() * m;
    let g = (&g + g.transpose()) * 0.5;
    let (vals, vecs) = eigh(&g);
    let p = vals.len();
    let s = DVector::from_fn(p, |i, _| vals[p - 1 - i].max(0.0).sqrt());
    let vt = DMatrix::from_fn(p, p, |r, c| vecs[(c, p - 1 - r)]);
    (s, vt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic matrix with entries in [-0.5, 0.5).
    fn noise(r: usize, c: usize, seed: u64) -> Mat {
        let mut s = seed;
        Mat::from_fn(r, c, |_, _| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
    }

    fn max_diff(a: &Mat, b: &Mat) -> f64 {
        (a - b).iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    #[test]
    fn block_products_equal_plain_products() {
        for n in [1usize, 2, 3, 7, 64] {
            let x = noise(n, 2 * n + 1, 1);
            let c = &x * x.transpose();
            let w = noise(n, n, 2);
            let want = w.transpose() * &c * &w;
            assert!(max_diff(&congruence(&w, &c, false), &want) < 1e-12, "n={n}");
            let u = w.upper_triangle();
            let want = u.transpose() * &c * &u;
            assert!(
                max_diff(&congruence(&u, &c, true), &want) < 1e-12,
                "n={n} triangular"
            );
            let mut out = Mat::zeros(n, n);
            symmetric_product(view(&x), view(&x), view_mut(&mut out));
            assert!(max_diff(&out, &c) < 1e-12, "n={n} symmetric product");
            let (vals, vecs) = eigh(&c);
            let back = recompose(&vals, &vecs, |v| v);
            assert!(max_diff(&back, &c) < 1e-12, "n={n} recompose");
        }
    }
}
