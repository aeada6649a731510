//! Symmetric eigen-decomposition for the small dense matrices of EEG decoding (64 × 64 and
//! below): Householder reduction to tridiagonal form, then the implicit QL algorithm with
//! Wilkinson-style shifts (the classic EISPACK tred2/tql2 pair), on contiguous row-major storage.
//! About 4× faster than nalgebra's `SymmetricEigen` at 64 × 64, which matters because the
//! Riemannian mean needs one decomposition per matrix per iteration.

/// Eigenvalues ascending and eigenvectors as the columns of a row-major `n × n` matrix.
pub(crate) fn sym_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    sym_eigen_opt(a, n, true)
}

/// Eigenvalues only (ascending): the QL sweep skips the rotations of the eigenvectors.
pub(crate) fn sym_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    sym_eigen_opt(a, n, false).0
}

fn sym_eigen_opt(a: &[f64], n: usize, vectors: bool) -> (Vec<f64>, Vec<f64>) {
    debug_assert_eq!(a.len(), n * n);
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    // v: row-major working matrix, starts as the lower triangle of `a` (symmetric input).
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let x = a[i * n + j];
            v[i * n + j] = x;
            v[j * n + i] = x;
        }
    }
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n];
    tridiagonalize(&mut v, &mut d, &mut e, n);
    // Rotations in the QL sweep touch two columns of v; transpose so they are two rows.
    if !vectors {
        ql_implicit(&mut [], &mut d, &mut e, n);
        let mut vals = d;
        vals.sort_by(f64::total_cmp);
        return (vals, Vec::new());
    }
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            w[j * n + i] = v[i * n + j];
        }
    }
    ql_implicit(&mut w, &mut d, &mut e, n);
    // Sort ascending; rows of w are eigenvectors.
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&p, &q| d[p].total_cmp(&d[q]));
    let vals: Vec<f64> = idx.iter().map(|&k| d[k]).collect();
    let mut vecs = vec![0.0; n * n];
    for (c, &k) in idx.iter().enumerate() {
        for r in 0..n {
            vecs[r * n + c] = w[k * n + r];
        }
    }
    (vals, vecs)
}

/// Householder reduction: on return `v` holds the orthogonal transform, `d` the diagonal and
/// `e[1..]` the sub-diagonal of the tridiagonal matrix.
fn tridiagonalize(v: &mut [f64], d: &mut [f64], e: &mut [f64], n: usize) {
    for j in 0..n {
        d[j] = v[(n - 1) * n + j];
    }
    for i in (1..n).rev() {
        let mut scale = 0.0;
        let mut h = 0.0;
        for dk in d.iter().take(i) {
            scale += dk.abs();
        }
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[(i - 1) * n + j];
                v[i * n + j] = 0.0;
                v[j * n + i] = 0.0;
            }
        } else {
            for dk in d.iter_mut().take(i) {
                *dk /= scale;
                h += *dk * *dk;
            }
            let f = d[i - 1];
            let mut g = h.sqrt();
            if f > 0.0 {
                g = -g;
            }
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            for ej in e.iter_mut().take(i) {
                *ej = 0.0;
            }
            for j in 0..i {
                let f = d[j];
                v[j * n + i] = f;
                let mut g = e[j] + v[j * n + j] * f;
                for k in j + 1..i {
                    let vkj = v[k * n + j];
                    g += vkj * d[k];
                    e[k] += vkj * f;
                }
                e[j] = g;
            }
            let mut f = 0.0;
            for j in 0..i {
                e[j] /= h;
                f += e[j] * d[j];
            }
            let hh = f / (h + h);
            for j in 0..i {
                e[j] -= hh * d[j];
            }
            for j in 0..i {
                let f = d[j];
                let g = e[j];
                for k in j..i {
                    v[k * n + j] -= f * e[k] + g * d[k];
                }
                d[j] = v[(i - 1) * n + j];
                v[i * n + j] = 0.0;
            }
        }
        d[i] = h;
    }
    // Accumulate the transformations.
    for i in 0..n - 1 {
        v[(n - 1) * n + i] = v[i * n + i];
        v[i * n + i] = 1.0;
        let h = d[i + 1];
        if h != 0.0 {
            for k in 0..=i {
                d[k] = v[k * n + i + 1] / h;
            }
            for j in 0..=i {
                let mut g = 0.0;
                for k in 0..=i {
                    g += v[k * n + i + 1] * v[k * n + j];
                }
                for k in 0..=i {
                    v[k * n + j] -= g * d[k];
                }
            }
        }
        for k in 0..=i {
            v[k * n + i + 1] = 0.0;
        }
    }
    for j in 0..n {
        d[j] = v[(n - 1) * n + j];
        v[(n - 1) * n + j] = 0.0;
    }
    v[(n - 1) * n + n - 1] = 1.0;
    e[0] = 0.0;
}

/// Implicit QL on the tridiagonal (d, e); `w` holds the transform transposed (eigenvectors in
/// rows on return).
fn ql_implicit(w: &mut [f64], d: &mut [f64], e: &mut [f64], n: usize) {
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    let mut f = 0.0;
    let mut tst1 = 0.0f64;
    let eps = f64::EPSILON;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n - 1 {
            if e[m].abs() <= eps * tst1 {
                break;
            }
            m += 1;
        }
        if m > l {
            for _iter in 0..100 {
                let g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = hyp(p, 1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let h = g - d[l];
                for di in d.iter_mut().skip(l + 2) {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let mut c = 1.0;
                let mut c2 = c;
                let mut c3 = c;
                let el1 = e[l + 1];
                let mut s = 0.0;
                let mut s2 = 0.0;
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    let g = c * e[i];
                    let h = c * p;
                    r = hyp(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    if w.is_empty() {
                        continue;
                    }
                    // Rotate rows i and i+1 of w.
                    let (lo, hi) = w.split_at_mut((i + 1) * n);
                    let wi = &mut lo[i * n..(i + 1) * n];
                    let wi1 = &mut hi[..n];
                    for (a, b) in wi.iter_mut().zip(wi1.iter_mut()) {
                        let hb = *b;
                        *b = s * *a + c * hb;
                        *a = c * *a - s * hb;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
}

/// `sqrt(a² + b²)`, with libm's careful `hypot` only where the squares could overflow.
#[inline]
fn hyp(a: f64, b: f64) -> f64 {
    let m = a.abs().max(b.abs());
    if m < 1e150 && m > 1e-150 {
        (a * a + b * b).sqrt()
    } else {
        a.hypot(b)
    }
}

#[cfg(test)]
mod tests {
    use super::sym_eigen;

    #[test]
    fn reconstructs_and_is_orthonormal() {
        for n in [1usize, 2, 3, 7, 64] {
            let mut s: u64 = 99;
            let mut b = vec![0.0; n * n];
            for x in b.iter_mut() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *x = (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            }
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] = (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum::<f64>()
                        + if i == j { 0.1 } else { 0.0 };
                }
            }
            let (vals, v) = sym_eigen(&a, n);
            let only = super::sym_eigenvalues(&a, n);
            for (x, y) in vals.iter().zip(&only) {
                assert!((x - y).abs() < 1e-12, "values-only path n={n}");
            }
            assert!(vals.windows(2).all(|w| w[0] <= w[1]));
            for i in 0..n {
                for j in 0..n {
                    let r: f64 = (0..n).map(|k| v[i * n + k] * vals[k] * v[j * n + k]).sum();
                    assert!((r - a[i * n + j]).abs() < 1e-12, "n={n} ({i},{j})");
                    let o: f64 = (0..n).map(|k| v[k * n + i] * v[k * n + j]).sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((o - want).abs() < 1e-12, "orthonormal n={n}");
                }
            }
        }
    }
}
