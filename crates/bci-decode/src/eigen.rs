//! Symmetric eigen-decomposition for the small dense matrices of EEG decoding (64 × 64 and
//! below): Householder reduction to tridiagonal form, then the implicit QL algorithm with
//! Wilkinson-style shifts (the classic EISPACK tred2/tql2 pair). The working matrix is stored
//! column by column so every inner loop runs over contiguous memory, the rotations of one QL
//! sweep are applied together over blocks of columns as scaled (one multiply-add per entry)
//! rotations, and the whole decomposition is compiled a second time for AVX2 + FMA and picked
//! at run time. The Riemannian mean needs one decomposition per
//! matrix per iteration, so this is where TS+LR and MDM spend their time.

use std::sync::atomic::{AtomicU64, Ordering};

/// Eigenvalues ascending and eigenvectors as the columns of a row-major `n × n` matrix.
pub(crate) fn sym_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    sym_eigen_opt(a, n, true)
}

/// Eigenvalues only (ascending): the QL sweep skips the rotations of the eigenvectors.
pub(crate) fn sym_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    sym_eigen_opt(a, n, false).0
}

/// Decompositions done by this process: [eigenvalues only, with eigenvectors].
static DONE: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Symmetric eigen-decompositions done so far by this process: (with eigenvectors, eigenvalues
/// only). Every Riemannian operation costs one or more, and they dominate the time of TS+LR and
/// MDM, so benchmarks report how many a task needed.
pub fn decompositions() -> (u64, u64) {
    (
        DONE[1].load(Ordering::Relaxed),
        DONE[0].load(Ordering::Relaxed),
    )
}

fn sym_eigen_opt(a: &[f64], n: usize, vectors: bool) -> (Vec<f64>, Vec<f64>) {
    DONE[usize::from(vectors)].fetch_add(1, Ordering::Relaxed);
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { sym_eigen_avx2(a, n, vectors) };
    }
    sym_eigen_body::<false>(a, n, vectors)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sym_eigen_avx2(a: &[f64], n: usize, vectors: bool) -> (Vec<f64>, Vec<f64>) {
    sym_eigen_body::<true>(a, n, vectors)
}

/// `x + a * y`, fused (one rounding, one instruction) where the CPU has FMA; without it,
/// `mul_add` would be a slow library call, so the plain expression is used.
#[inline(always)]
fn fma<const FMA: bool>(x: f64, a: f64, y: f64) -> f64 {
    if FMA { a.mul_add(y, x) } else { x + a * y }
}

#[inline(always)]
fn sym_eigen_body<const FMA: bool>(a: &[f64], n: usize, vectors: bool) -> (Vec<f64>, Vec<f64>) {
    debug_assert_eq!(a.len(), n * n);
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    // v: the working matrix, column by column (`v[c * n + r]` is element (r, c)), from the lower
    // triangle of `a` (symmetric input).
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
    tridiagonalize(&mut v, &mut d, &mut e, n, vectors);
    if !vectors {
        ql_implicit::<FMA>(&mut [], &mut [], &mut d, &mut e, n);
        let mut vals = d;
        vals.sort_by(f64::total_cmp);
        return (vals, Vec::new());
    }
    // Column k of the transform is sigma[k] times the contiguous run v[k * n..]: the QL
    // rotations combine two such runs, and on return run k times sigma[k] is the eigenvector of
    // d[k].
    let mut sigma = vec![1.0; n];
    ql_implicit::<FMA>(&mut v, &mut sigma, &mut d, &mut e, n);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&p, &q| d[p].total_cmp(&d[q]));
    let vals: Vec<f64> = idx.iter().map(|&k| d[k]).collect();
    let mut vecs = vec![0.0; n * n];
    for (c, &k) in idx.iter().enumerate() {
        for r in 0..n {
            vecs[r * n + c] = v[k * n + r] * sigma[k];
        }
    }
    (vals, vecs)
}

/// Dot product with four partial sums (they vectorise; one running sum would not).
#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let split = a.len().min(b.len()) / 4 * 4;
    let mut s = [0.0f64; 4];
    for (x, y) in a[..split].chunks_exact(4).zip(b[..split].chunks_exact(4)) {
        for l in 0..4 {
            s[l] += x[l] * y[l];
        }
    }
    let mut t = (s[0] + s[2]) + (s[1] + s[3]);
    for (x, y) in a[split..].iter().zip(&b[split..]) {
        t += x * y;
    }
    t
}

/// Householder reduction of the column-stored symmetric `v`: on return `d` holds the diagonal and
/// `e[1..]` the sub-diagonal of the tridiagonal matrix, and, with `accumulate`, `v` the orthogonal
/// transform (column-stored).
#[inline(always)]
fn tridiagonalize(v: &mut [f64], d: &mut [f64], e: &mut [f64], n: usize, accumulate: bool) {
    for j in 0..n {
        d[j] = v[j * n + n - 1];
    }
    for i in (1..n).rev() {
        let scale: f64 = d[..i].iter().map(|x| x.abs()).sum();
        let mut h = 0.0;
        if scale == 0.0 {
            e[i] = d[i - 1];
            for j in 0..i {
                d[j] = v[j * n + i - 1];
                v[j * n + i] = 0.0;
                v[i * n + j] = 0.0;
            }
        } else {
            for dk in d[..i].iter_mut() {
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
            e[..i].fill(0.0);
            // e = A d over the lower triangle (column j, rows j..i).
            for j in 0..i {
                let f = d[j];
                v[i * n + j] = f;
                let col = &v[j * n + j + 1..j * n + i];
                let g = e[j] + v[j * n + j] * f + dot(col, &d[j + 1..i]);
                for (ek, &vk) in e[j + 1..i].iter_mut().zip(col) {
                    *ek += vk * f;
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
                let col = &mut v[j * n + j..j * n + i];
                for ((x, &ek), &dk) in col.iter_mut().zip(&e[j..i]).zip(&d[j..i]) {
                    *x -= f * ek + g * dk;
                }
                d[j] = v[j * n + i - 1];
                v[j * n + i] = 0.0;
            }
        }
        d[i] = h;
    }
    e[0] = 0.0;
    if !accumulate {
        // The reduction leaves the tridiagonal's diagonal on the diagonal of v.
        for j in 0..n {
            d[j] = v[j * n + j];
        }
        return;
    }
    // Accumulate the transformations.
    for i in 0..n - 1 {
        v[i * n + n - 1] = v[i * n + i];
        v[i * n + i] = 1.0;
        let h = d[i + 1];
        let (lo, hi) = v.split_at_mut((i + 1) * n);
        if h != 0.0 {
            let u = &hi[..=i];
            for k in 0..=i {
                d[k] = u[k] / h;
            }
            for j in 0..=i {
                let col = &mut lo[j * n..j * n + i + 1];
                let g = dot(u, col);
                for (x, &dk) in col.iter_mut().zip(&d[..=i]) {
                    *x -= g * dk;
                }
            }
        }
        hi[..=i].fill(0.0);
    }
    for j in 0..n {
        d[j] = v[j * n + n - 1];
        v[j * n + n - 1] = 0.0;
    }
    v[(n - 1) * n + n - 1] = 1.0;
}

/// Implicit QL on the tridiagonal (d, e); `w` holds the transform column by column, column k
/// being `sigma[k]` times the run `w[k * n..]` (the eigenvectors on return); both empty for
/// eigenvalues only.
#[inline(always)]
fn ql_implicit<const FMA: bool>(
    w: &mut [f64],
    sigma: &mut [f64],
    d: &mut [f64],
    e: &mut [f64],
    n: usize,
) {
    // The rotations of one sweep, applied to `w` together once the sweep is known.
    let mut cs = vec![0.0; n];
    let mut ss = vec![0.0; n];
    let mut scratch = ScaledSweep::new(n);
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
                    // p = c * d[i] - s * g with c = p / r and s = e[i] / r, as one division
                    // of a numerator computed while the square root runs: the recurrence is
                    // bound by its latency (p -> r -> p), which this shortens by a multiply
                    // and a multiply-add.
                    let num = p * d[i] - e[i] * g;
                    s = e[i] / r;
                    c = p / r;
                    p = num / r;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    cs[i] = c;
                    ss[i] = s;
                }
                if !w.is_empty() {
                    scratch.apply::<FMA>(w, sigma, n, l, m, &cs, &ss);
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

/// Applies one QL sweep's rotations (runs i and i+1 of `w` for i = m-1 down to l) over blocks
/// of 16 entries: the run the next rotation needs stays in registers, each entry is loaded and
/// stored once per rotation, and the 16 independent lanes hide the multiply-add latency.
#[inline(always)]
fn rotate_sweep(w: &mut [f64], n: usize, l: usize, m: usize, cs: &[f64], ss: &[f64]) {
    const B: usize = 16;
    let mut j = 0;
    while j + B <= n {
        let mut carry = [0.0f64; B];
        carry.copy_from_slice(&w[m * n + j..m * n + j + B]);
        for i in (l..m).rev() {
            let (c, s) = (cs[i], ss[i]);
            let row = &w[i * n + j..i * n + j + B];
            let mut down = [0.0f64; B];
            let mut up = [0.0f64; B];
            for k in 0..B {
                down[k] = s * row[k] + c * carry[k];
                up[k] = c * row[k] - s * carry[k];
            }
            carry = up;
            w[(i + 1) * n + j..(i + 1) * n + j + B].copy_from_slice(&down);
        }
        w[l * n + j..l * n + j + B].copy_from_slice(&carry);
        j += B;
    }
    for jj in j..n {
        let mut carry = w[m * n + jj];
        for i in (l..m).rev() {
            let (c, s) = (cs[i], ss[i]);
            let a = w[i * n + jj];
            w[(i + 1) * n + jj] = s * a + c * carry;
            carry = c * a - s * carry;
        }
        w[l * n + jj] = carry;
    }
}

/// Scaled ("fast") Givens rotations. A plain rotation of two runs costs two multiplies and two
/// multiply-adds per entry. With a scale kept per run (column k is `sigma[k]` times run k), the
/// rotation by (c, s) of the row `sa * u` and the carried run `sc * v` gives the new run i + 1
/// `c * sc * (v + alpha * u)` and the new carried run `c * sa * (u + beta * v)`, with
/// `alpha = s * sa / (c * sc)` and `beta = -s * sc / (c * sa)`: one multiply-add per entry, the
/// divisions done once per rotation. A fused multiply-add rounds each entry once, relative to
/// the rotated value, so the accuracy is that of the plain rotation. The scales shrink (by |c|
/// per rotation): a run is rescaled when its scale falls below 1e-80, and a sweep with a cosine
/// below 1e-20 (not met on covariances, possible on contrived input) is applied by plain
/// rotations after the scales of its runs are folded in.
struct ScaledSweep {
    /// Coefficient of the row (run i) in the new run i + 1, per rotation i.
    alpha: Vec<f64>,
    /// Coefficient of the carried run in the new run i, per rotation i.
    beta: Vec<f64>,
    /// Scale of the carried run entering rotation i.
    carry_scale: Vec<f64>,
}

impl ScaledSweep {
    fn new(n: usize) -> Self {
        ScaledSweep {
            alpha: vec![0.0; n],
            beta: vec![0.0; n],
            carry_scale: vec![0.0; n],
        }
    }

    /// Applies the rotations (cs[i], ss[i]) for i = m-1 down to l to runs i and i+1 of `w`
    /// (scales `sigma`), as `rotate_sweep` does to unscaled runs.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn apply<const FMA: bool>(
        &mut self,
        w: &mut [f64],
        sigma: &mut [f64],
        n: usize,
        l: usize,
        m: usize,
        cs: &[f64],
        ss: &[f64],
    ) {
        if cs[l..m].iter().any(|c| c.abs() < 1e-20) {
            for k in l..=m {
                unscale(&mut w[k * n..(k + 1) * n], &mut sigma[k]);
            }
            rotate_sweep(w, n, l, m, cs, ss);
            return;
        }
        // The run carried into rotation i is the new run i + 1 of rotation i + 1, scaled by
        // c[i + 1] * sigma[i + 1] (run m itself for the first rotation): the scales need no
        // chain through the sweep, and the coefficients vectorise.
        self.carry_scale[m - 1] = sigma[m];
        for i in l..m - 1 {
            self.carry_scale[i] = cs[i + 1] * sigma[i + 1];
        }
        for i in l..m {
            let (c, s, sa, sc) = (cs[i], ss[i], sigma[i], self.carry_scale[i]);
            self.alpha[i] = (s * sa) / (c * sc);
            self.beta[i] = -(s * sc) / (c * sa);
        }
        sigma[l] *= cs[l];
        for i in l..m {
            sigma[i + 1] = cs[i] * self.carry_scale[i];
        }
        let (alpha, beta) = (&self.alpha, &self.beta);
        // Blocks of 16 entries, the carried run in registers; the runs come from a chunk
        // iterator (each exactly n long) so the block bounds are checked once per block.
        const B: usize = 16;
        let mut j = 0;
        while j + B <= n {
            let mut runs = w[l * n..(m + 1) * n].rchunks_exact_mut(n);
            let Some(mut prev) = runs.next() else { return };
            let mut carry: [f64; B] = prev[j..j + B].try_into().unwrap_or([0.0; B]);
            let coefs = alpha[l..m].iter().zip(&beta[l..m]).rev();
            for (cur, (&a, &b)) in runs.zip(coefs) {
                let row = &cur[j..j + B];
                let mut down = [0.0f64; B];
                let mut up = [0.0f64; B];
                for k in 0..B {
                    up[k] = fma::<FMA>(row[k], b, carry[k]);
                    down[k] = fma::<FMA>(carry[k], a, row[k]);
                }
                prev[j..j + B].copy_from_slice(&down);
                carry = up;
                prev = cur;
            }
            prev[j..j + B].copy_from_slice(&carry);
            j += B;
        }
        for jj in j..n {
            let mut carry = w[m * n + jj];
            for i in (l..m).rev() {
                let x = w[i * n + jj];
                w[(i + 1) * n + jj] = fma::<FMA>(carry, alpha[i], x);
                carry = fma::<FMA>(x, beta[i], carry);
            }
            w[l * n + jj] = carry;
        }
        for k in l..=m {
            if sigma[k].abs() < 1e-80 {
                unscale(&mut w[k * n..(k + 1) * n], &mut sigma[k]);
            }
        }
    }
}

/// Folds a run's scale into its entries.
#[inline(always)]
fn unscale(run: &mut [f64], sigma: &mut f64) {
    for x in run.iter_mut() {
        *x *= *sigma;
    }
    *sigma = 1.0;
}

/// `sqrt(a² + b²)`, with libm's careful `hypot` only where the squares could overflow.
#[inline(always)]
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
        for n in [1usize, 2, 3, 7, 21, 64] {
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
