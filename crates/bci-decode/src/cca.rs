//! SSVEP detection by canonical correlation analysis (training-free): each epoch is correlated
//! with sine/cosine references at every stimulus frequency and its harmonics; the frequency with
//! the largest canonical correlation wins. FBCCA combines the correlations of sub-band-filtered
//! copies of the epoch with the standard weights `w(n) = n^-1.25 + 0.25` (Chen et al. 2015).
//!
//! The canonical correlation is computed the textbook way: centre both blocks, thin QR of each,
//! and take the largest singular value of `Q_xᵀ Q_y`.

use nalgebra::DMatrix;
use ndarray::{Array2, ArrayView2, ArrayView3, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Result};
use crate::linalg::svd_right;

/// Sine/cosine references (n_samples × 2·harmonics): columns `sin(2π h f t)`, `cos(2π h f t)`
/// for `h = 1..=harmonics`, `t = i / sfreq`.
pub fn reference_signals(freq: f64, n_samples: usize, sfreq: f64, harmonics: usize) -> Array2<f64> {
    let mut out = Array2::zeros((n_samples, 2 * harmonics));
    for i in 0..n_samples {
        let t = i as f64 / sfreq;
        for h in 1..=harmonics {
            let ph = 2.0 * std::f64::consts::PI * h as f64 * freq * t;
            out[[i, 2 * (h - 1)]] = ph.sin();
            out[[i, 2 * (h - 1) + 1]] = ph.cos();
        }
    }
    out
}

fn centred_q(x: ArrayView2<f64>) -> DMatrix<f64> {
    let (n, p) = x.dim();
    let mut m = DMatrix::from_fn(n, p, |i, j| x[[i, j]]);
    for j in 0..p {
        let mean = m.column(j).sum() / n as f64;
        m.column_mut(j).add_scalar_mut(-mean);
    }
    m.qr().q()
}

/// Largest canonical correlation between the columns of `x` (n × p) and `y` (n × q).
pub fn canonical_correlation(x: ArrayView2<f64>, y: ArrayView2<f64>) -> Result<f64> {
    if x.nrows() != y.nrows() {
        return Err(DecodeError::Shape(format!(
            "CCA blocks have {} and {} samples",
            x.nrows(),
            y.nrows()
        )));
    }
    if let Some(v) = x.iter().find(|v| !v.is_finite()) {
        return Err(DecodeError::NonFinite {
            what: "CCA input".into(),
            epoch: 0,
            channel: 0,
            sample: 0,
            value: *v,
        });
    }
    let qx = centred_q(x);
    let qy = centred_q(y);
    let (s, _) = svd_right(&(qx.transpose() * qy));
    Ok(s.get(0).copied().unwrap_or(0.0))
}

/// Standard FBCCA sub-band weight for band `n` (1-based): `n^-1.25 + 0.25`.
pub fn fbcca_weight(n: usize) -> f64 {
    (n as f64).powf(-1.25) + 0.25
}

/// A CCA detector for a set of stimulus frequencies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cca {
    pub freqs: Vec<f64>,
    pub harmonics: usize,
    pub sfreq: f64,
}

impl Cca {
    /// Correlation of one epoch (channels × samples) with each frequency's references.
    pub fn correlations(&self, epoch: ArrayView2<f64>) -> Result<Vec<f64>> {
        let n = epoch.ncols();
        let xt = epoch.t();
        self.freqs
            .iter()
            .map(|&f| {
                let r = reference_signals(f, n, self.sfreq, self.harmonics);
                canonical_correlation(xt, r.view())
            })
            .collect()
    }

    /// Correlations for a batch (n_epochs × n_freqs).
    pub fn transform(&self, epochs: ArrayView3<f64>) -> Result<Array2<f64>> {
        let mut out = Array2::zeros((epochs.dim().0, self.freqs.len()));
        for (i, ep) in epochs.axis_iter(Axis(0)).enumerate() {
            let c = self.correlations(ep)?;
            for (k, v) in c.into_iter().enumerate() {
                out[[i, k]] = v;
            }
        }
        Ok(out)
    }

    /// Index (into `freqs`) of the best-correlated frequency, per epoch.
    pub fn predict(&self, epochs: ArrayView3<f64>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.transform(epochs)?))
    }

    /// FBCCA scores from the same epochs filtered into sub-bands (`subbands[b]` is band b+1):
    /// `Σ_b w(b) ρ_b,k²`, per epoch and frequency.
    pub fn fbcca_scores(&self, subbands: &[ArrayView3<f64>]) -> Result<Array2<f64>> {
        let Some(first) = subbands.first() else {
            return Err(DecodeError::invalid(
                "sub-bands",
                0,
                "FBCCA needs at least one",
            ));
        };
        let mut out = Array2::zeros((first.dim().0, self.freqs.len()));
        for (b, band) in subbands.iter().enumerate() {
            if band.dim() != first.dim() {
                return Err(DecodeError::Shape("sub-band epochs differ in shape".into()));
            }
            let w = fbcca_weight(b + 1);
            let rho = self.transform(*band)?;
            out = out + rho.mapv(|r| w * r * r);
        }
        Ok(out)
    }
}

pub(crate) fn argmax_rows(d: &Array2<f64>) -> Vec<usize> {
    d.rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold((0usize, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv { (i, v) } else { (bi, bv) }
                })
                .0
        })
        .collect()
}

/// Information transfer rate in bits per minute (Wolpaw): `n` classes, accuracy `p`, `t` seconds
/// per selection.
pub fn itr_bits_per_min(n: usize, p: f64, t: f64) -> f64 {
    let nf = n as f64;
    if n < 2 || t <= 0.0 {
        return 0.0;
    }
    let bits = if p >= 1.0 {
        nf.log2()
    } else if p <= 1.0 / nf {
        0.0
    } else {
        nf.log2() + p * p.log2() + (1.0 - p) * ((1.0 - p) / (nf - 1.0)).log2()
    };
    bits * 60.0 / t
}
