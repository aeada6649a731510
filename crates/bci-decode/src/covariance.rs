//! Covariance estimators for epochs (channels × samples), as pyRiemann's `Covariances(estimator)`
//! computes them:
//! - `Scm`: sample covariance, centred, divided by the number of samples (pyRiemann `"scm"`);
//! - `Cov`: centred, divided by samples − 1 (pyRiemann `"cov"`, numpy `np.cov`);
//! - `LedoitWolf`: scikit-learn's `ledoit_wolf` on the transposed epoch (centred) (`"lwf"`);
//! - `Oas`: scikit-learn's `oas` on the transposed epoch (centred) (`"oas"`).
//!
//! The shrinkage estimators shrink towards `mu·I` with `mu = trace(S)/n_channels`, where `S` is the
//! centred covariance divided by the number of samples.

use ndarray::{Array2, Array3, ArrayView2, ArrayView3, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Result};
use crate::linalg::symmetric_product;

/// Which covariance estimator to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    Scm,
    Cov,
    #[serde(rename = "lwf")]
    LedoitWolf,
    Oas,
}

impl std::str::FromStr for Estimator {
    type Err = DecodeError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "scm" => Ok(Estimator::Scm),
            "cov" => Ok(Estimator::Cov),
            "lwf" => Ok(Estimator::LedoitWolf),
            "oas" => Ok(Estimator::Oas),
            other => Err(DecodeError::invalid(
                "covariance estimator",
                other,
                "expected one of scm, cov, lwf, oas",
            )),
        }
    }
}

/// Fails on the first NaN or infinity, naming where it is.
pub fn check_finite(epochs: ArrayView3<f64>, what: &str) -> Result<()> {
    if epochs.as_slice().is_some_and(bci_dsp::all_finite) {
        return Ok(());
    }
    for ((e, c, s), &v) in epochs.indexed_iter() {
        if !v.is_finite() {
            return Err(DecodeError::NonFinite {
                what: what.into(),
                epoch: e,
                channel: c,
                sample: s,
                value: v,
            });
        }
    }
    Ok(())
}

/// Fails on the first NaN or infinity in a feature matrix (epochs × features), naming where.
pub(crate) fn check_features(x: ArrayView2<f64>) -> Result<()> {
    if x.as_slice().is_some_and(bci_dsp::all_finite) {
        return Ok(());
    }
    if let Some(((i, j), v)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(DecodeError::NonFinite {
            what: "features".into(),
            epoch: i,
            channel: j,
            sample: 0,
            value: *v,
        });
    }
    Ok(())
}

/// Centred copy of an epoch (each channel minus its mean over samples).
fn centred(epoch: ArrayView2<f64>) -> Array2<f64> {
    let n = epoch.ncols() as f64;
    let mut x = epoch.to_owned();
    for mut row in x.rows_mut() {
        let m = row.sum() / n;
        row.mapv_inplace(|v| v - m);
    }
    x
}

/// Covariance of one epoch (channels × samples) with the given estimator.
pub fn covariance(epoch: ArrayView2<f64>, est: Estimator) -> Result<Array2<f64>> {
    let (n_ch, n_t) = epoch.dim();
    if n_ch == 0 || n_t < 2 {
        return Err(DecodeError::Shape(format!(
            "an epoch needs at least one channel and two samples, got {n_ch} x {n_t}"
        )));
    }
    let finite = epoch.as_slice().is_some_and(bci_dsp::all_finite);
    if let Some(((c, s), &v)) = (!finite)
        .then(|| epoch.indexed_iter().find(|(_, v)| !v.is_finite()))
        .flatten()
    {
        return Err(DecodeError::NonFinite {
            what: "epoch".into(),
            epoch: 0,
            channel: c,
            sample: s,
            value: v,
        });
    }
    let x = centred(epoch);
    let t = n_t as f64;
    let mut xxt = Array2::zeros((n_ch, n_ch));
    symmetric_product(x.view(), x.view(), xxt.view_mut());
    Ok(match est {
        Estimator::Scm => xxt / t,
        Estimator::Cov => xxt / (t - 1.0),
        Estimator::Oas => oas_from_emp(xxt / t, n_t),
        Estimator::LedoitWolf => {
            let s = ledoit_wolf_shrinkage_centred(x.view(), &xxt);
            shrink(xxt / t, s)
        }
    })
}

/// Names the epoch in a non-finite-value error raised on one epoch of a batch.
pub(crate) fn in_epoch(e: DecodeError, epoch: usize) -> DecodeError {
    match e {
        DecodeError::NonFinite {
            what,
            channel,
            sample,
            value,
            ..
        } => DecodeError::NonFinite {
            what,
            epoch,
            channel,
            sample,
            value,
        },
        other => other,
    }
}

/// Covariances of a batch of epochs (n_epochs × channels × samples) → (n_epochs × ch × ch).
pub fn covariances(epochs: ArrayView3<f64>, est: Estimator) -> Result<Array3<f64>> {
    let (n, c, _) = epochs.dim();
    let covs = crate::par::par_map(n, |i| {
        covariance(epochs.index_axis(Axis(0), i), est).map_err(|e| in_epoch(e, i))
    });
    let mut out = Array3::zeros((n, c, c));
    for (i, cov) in covs.into_iter().enumerate() {
        out.index_axis_mut(Axis(0), i).assign(&cov?);
    }
    Ok(out)
}

/// `(1 - s)·S + s·mu·I`, `mu = trace(S)/p`.
fn shrink(mut emp: Array2<f64>, s: f64) -> Array2<f64> {
    let p = emp.nrows();
    let mu = emp.diag().sum() / p as f64;
    emp.mapv_inplace(|v| (1.0 - s) * v);
    for i in 0..p {
        emp[[i, i]] += s * mu;
    }
    emp
}

/// scikit-learn's OAS from the empirical covariance `emp` of `n_samples` samples.
fn oas_from_emp(emp: Array2<f64>, n_samples: usize) -> Array2<f64> {
    let p = emp.nrows();
    if p == 1 {
        return emp;
    }
    let pf = p as f64;
    let alpha = emp.iter().map(|v| v * v).sum::<f64>() / (pf * pf);
    let mu = emp.diag().sum() / pf;
    let mu2 = mu * mu;
    let num = alpha + mu2;
    let den = (n_samples as f64 + 1.0) * (alpha - mu2 / pf);
    let s = if den == 0.0 {
        1.0
    } else {
        (num / den).min(1.0)
    };
    shrink(emp, s)
}

/// scikit-learn's Ledoit-Wolf shrinkage for centred data `x` (features × samples here) with
/// `xxt = x xᵀ` precomputed.
fn ledoit_wolf_shrinkage_centred(x: ArrayView2<f64>, xxt: &Array2<f64>) -> f64 {
    let (p, n) = x.dim();
    if p == 1 {
        return 0.0;
    }
    let (pf, nf) = (p as f64, n as f64);
    let x2 = x.mapv(|v| v * v);
    let emp_cov_trace: Vec<f64> = x2.rows().into_iter().map(|r| r.sum() / nf).collect();
    let tr_sum: f64 = emp_cov_trace.iter().sum();
    let mu = tr_sum / pf;
    // beta_ = sum of (X2ᵀ X2) = sum over samples of (sum over features of x²)²
    let beta_: f64 = x2.columns().into_iter().map(|c| c.sum().powi(2)).sum();
    let delta_: f64 = xxt.iter().map(|v| v * v).sum::<f64>() / (nf * nf);
    let beta = 1.0 / (pf * nf) * (beta_ / nf - delta_);
    let delta = (delta_ - 2.0 * mu * tr_sum + pf * mu * mu) / pf;
    let beta = beta.min(delta);
    if beta == 0.0 { 0.0 } else { beta / delta }
}

/// scikit-learn's `ledoit_wolf(X)` for data `x` as samples × features (centres it first).
pub fn ledoit_wolf(x: ArrayView2<f64>) -> Array2<f64> {
    let (n, p) = x.dim();
    let xt = centred(x.t());
    let xxt = xt.dot(&xt.t());
    let emp = &xxt / n as f64;
    if p == 1 {
        return emp;
    }
    let s = ledoit_wolf_shrinkage_centred(xt.view(), &xxt);
    shrink(emp, s)
}
