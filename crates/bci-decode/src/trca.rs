//! SSVEP detection by task-related component analysis (TRCA) and ensemble TRCA, filter-bank
//! variant (Nakanishi et al. 2018, "Enhancing detection of SSVEPs for a high-speed brain speller
//! using task-related component analysis", IEEE TBME 65(1)).
//!
//! Training, per sub-band and class, on that class's training trials `X_i` (channels × samples),
//! each centred (channel means removed):
//! - `S = Σ_{i≠j} X_i X_jᵀ` (covariance between trials: what is reproducible across trials),
//!   computed as `U Uᵀ − Q` with `U = Σ_i X_i`;
//! - `Q = Σ_i X_i X_iᵀ` (covariance within trials);
//! - the spatial filter `w` is the eigenvector of the largest eigenvalue of `S w = λ Q w`
//!   (as `scipy.linalg.eigh(S, Q)`: scaled so that `wᵀ Q w = 1`), with its sign chosen so that
//!   its entry of largest magnitude is positive (so the filters are reproducible, and the
//!   ensemble correlation, whose mean removal spans all filters, does not depend on the sign
//!   the eigen-solver happened to return);
//! - the template is the mean of the class's (uncentred) training trials.
//!
//! Detection, per sub-band `n` and class `k`: TRCA correlates `Xᵀ w_k` with `template_kᵀ w_k`;
//! ensemble TRCA correlates the flattened `Xᵀ W` with `template_kᵀ W`, `W` being all classes'
//! filters side by side (Pearson correlation both times). The score is
//! `ρ_k = Σ_n a(n) r_k(n)` with the FBCCA weights `a(n) = n^-1.25 + 0.25`, the correlations
//! summed as they are (signed), as the authors' reference code does; the class with the largest
//! score wins.
//!
//! TRCA needs the response to be phase-locked to the epoch onset across trials (its templates
//! are averages of raw trials), unlike CCA, which only looks for the stimulus frequency.
//!
//! [`Trca`] works on epochs already split into sub-bands (`subbands[b]` is band `b + 1`, like
//! [`crate::cca::Cca::fbcca_scores`]); [`FilterBankTrca`] also holds the sub-band filters and
//! takes raw epochs.

use ndarray::{Array1, Array2, Array3, ArrayView2, ArrayView3, Axis};
use serde::{Deserialize, Serialize};

use crate::cca::{argmax_rows, fbcca_weight};
use crate::covariance::check_finite;
use crate::error::{DecodeError, Result};
use crate::labels::{check_labels, class_indices};
use crate::linalg::{Mat, eigh_generalized};
use crate::pipeline::FilterBand;

/// Fewest training trials per class TRCA can use (it correlates trials with one another).
pub const MIN_TRIALS_PER_CLASS: usize = 2;

/// Copy of an epoch with each channel's mean over samples removed.
fn centred(x: ArrayView2<f64>) -> Array2<f64> {
    let n = x.ncols() as f64;
    let mut out = x.to_owned();
    for mut row in out.rows_mut() {
        let m = row.sum() / n;
        row.mapv_inplace(|v| v - m);
    }
    out
}

fn to_mat(a: &Array2<f64>) -> Mat {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

/// The top TRCA spatial filter (length n_channels) of one class's trials
/// (n_trials × n_channels × n_samples) in one band; `what` names them in errors.
pub fn trca_filter(trials: ArrayView3<f64>, what: &str) -> Result<Array1<f64>> {
    let (n, c, t) = trials.dim();
    if n < MIN_TRIALS_PER_CLASS {
        return Err(DecodeError::invalid(
            &format!("number of training trials for {what}"),
            n,
            "TRCA needs at least 2 trials per class (it correlates trials with each other)",
        ));
    }
    if c == 0 || t < 2 {
        return Err(DecodeError::Shape(format!(
            "TRCA trials for {what} are {c} channels x {t} samples; need at least 1 channel and 2 samples"
        )));
    }
    check_finite(trials, what)?;
    let mut q = Array2::<f64>::zeros((c, c));
    let mut u = Array2::<f64>::zeros((c, t));
    for x in trials.axis_iter(Axis(0)) {
        let xc = centred(x);
        q += &xc.dot(&xc.t());
        u += &xc;
    }
    let s = u.dot(&u.t()) - &q;
    // Exact symmetry for the eigen-solver (the products above are symmetric up to rounding).
    let sym = |m: &Array2<f64>| (m + &m.t()) * 0.5;
    let (_, vecs) = eigh_generalized(
        &to_mat(&sym(&s)),
        &to_mat(&sym(&q)),
        &format!("TRCA within-trial covariance of {what}"),
    )?;
    let mut w = Array1::from_iter(vecs.column(c - 1).iter().copied());
    let (mut big, mut at) = (0.0f64, 0);
    for (i, v) in w.iter().enumerate() {
        if v.abs() > big {
            big = v.abs();
            at = i;
        }
    }
    if w[at] < 0.0 {
        w.mapv_inplace(|v| -v);
    }
    Ok(w)
}

/// Pearson correlation of two equally long sequences; `None` if either has no variance.
fn pearson<'a>(
    a: impl Iterator<Item = &'a f64> + Clone,
    b: impl Iterator<Item = &'a f64> + Clone,
) -> Option<f64> {
    let (mut n, mut sa, mut sb) = (0usize, 0.0, 0.0);
    for (x, y) in a.clone().zip(b.clone()) {
        n += 1;
        sa += x;
        sb += y;
    }
    let (ma, mb) = (sa / n as f64, sb / n as f64);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        ab += dx * dy;
        aa += dx * dx;
        bb += dy * dy;
    }
    let den = (aa * bb).sqrt();
    (den > 0.0 && den.is_finite()).then(|| ab / den)
}

/// A fitted (filter-bank) TRCA detector on sub-band epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trca {
    /// `true`: ensemble TRCA (all classes' filters together); `false`: each class's own filter.
    pub ensemble: bool,
    /// Per sub-band, the spatial filters as rows (n_classes × n_channels).
    pub filters: Vec<Array2<f64>>,
    /// Per sub-band, the class-mean training trials (n_classes × n_channels × n_samples).
    pub templates: Vec<Array3<f64>>,
}

fn check_bands(subbands: &[ArrayView3<f64>]) -> Result<(usize, usize, usize)> {
    let Some(first) = subbands.first() else {
        return Err(DecodeError::invalid(
            "sub-bands",
            0,
            "TRCA needs at least one",
        ));
    };
    for (b, band) in subbands.iter().enumerate() {
        if band.dim() != first.dim() {
            return Err(DecodeError::Shape(format!(
                "sub-band {} epochs are {:?}, sub-band 1 epochs are {:?}",
                b + 1,
                band.dim(),
                first.dim()
            )));
        }
        check_finite(*band, &format!("sub-band {} epochs", b + 1))?;
    }
    Ok(first.dim())
}

impl Trca {
    /// Fits on the same epochs filtered into sub-bands (`subbands[b]`: n × channels × samples)
    /// and class indices `y` (`0..n_classes`, at least [`MIN_TRIALS_PER_CLASS`] per class).
    pub fn fit(subbands: &[ArrayView3<f64>], y: &[usize], ensemble: bool) -> Result<Self> {
        let (n, _, _) = check_bands(subbands)?;
        let n_classes = check_labels(y, n)?;
        let idx: Vec<Vec<usize>> = (0..n_classes).map(|k| class_indices(y, k)).collect();
        if let Some((k, few)) = idx
            .iter()
            .enumerate()
            .find(|(_, i)| i.len() < MIN_TRIALS_PER_CLASS)
        {
            return Err(DecodeError::invalid(
                &format!("number of training trials of class {k}"),
                few.len(),
                "TRCA needs at least 2 trials per class (it correlates trials with each other)",
            ));
        }
        let mut filters = Vec::with_capacity(subbands.len());
        let mut templates = Vec::with_capacity(subbands.len());
        for (b, band) in subbands.iter().enumerate() {
            let (_, c, t) = band.dim();
            let mut w = Array2::zeros((n_classes, c));
            let mut tm = Array3::zeros((n_classes, c, t));
            for (k, ik) in idx.iter().enumerate() {
                let trials = band.select(Axis(0), ik);
                let what = format!("class {k} in sub-band {}", b + 1);
                w.row_mut(k).assign(&trca_filter(trials.view(), &what)?);
                if let Some(mean) = trials.mean_axis(Axis(0)) {
                    tm.index_axis_mut(Axis(0), k).assign(&mean);
                }
            }
            filters.push(w);
            templates.push(tm);
        }
        Ok(Trca {
            ensemble,
            filters,
            templates,
        })
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.filters.first().map_or(0, |w| w.nrows())
    }

    /// Correlations `r_k(n)` of each epoch with each class template in each sub-band
    /// (n_epochs × n_bands × n_classes).
    pub fn correlations(&self, subbands: &[ArrayView3<f64>]) -> Result<Array3<f64>> {
        let (n, c, t) = check_bands(subbands)?;
        if subbands.len() != self.filters.len() || self.templates.len() != self.filters.len() {
            return Err(DecodeError::Shape(format!(
                "TRCA fitted on {} sub-bands, got {}",
                self.filters.len(),
                subbands.len()
            )));
        }
        let k = self.n_classes();
        let mut out = Array3::zeros((n, subbands.len(), k));
        for (b, band) in subbands.iter().enumerate() {
            let w = &self.filters[b];
            let tm = &self.templates[b];
            if w.dim() != (k, c) || tm.dim() != (k, c, t) {
                return Err(DecodeError::Shape(format!(
                    "TRCA fitted on epochs of {} channels x {} samples ({k} classes), got {c} x {t}",
                    tm.dim().1,
                    tm.dim().2
                )));
            }
            // Projected templates: each class's own filter, or all filters (ensemble).
            let proj: Vec<Array2<f64>> = (0..k)
                .map(|j| {
                    let tj = tm.index_axis(Axis(0), j);
                    if self.ensemble {
                        tj.t().dot(&w.t())
                    } else {
                        tj.t().dot(&w.row(j)).insert_axis(Axis(1)).to_owned()
                    }
                })
                .collect();
            for (i, x) in band.axis_iter(Axis(0)).enumerate() {
                let shared = self.ensemble.then(|| x.t().dot(&w.t()));
                for (j, pj) in proj.iter().enumerate() {
                    let own;
                    let xw = match &shared {
                        Some(m) => m,
                        None => {
                            own = x.t().dot(&w.row(j)).insert_axis(Axis(1));
                            &own
                        }
                    };
                    let r = pearson(xw.iter(), pj.iter()).ok_or_else(|| {
                        DecodeError::SingularCovariance {
                            what: format!("TRCA projection of epoch {i} in sub-band {}", b + 1),
                            detail: "the projected epoch or template has zero variance".into(),
                            min_variance: 0.0,
                        }
                    })?;
                    out[[i, b, j]] = r;
                }
            }
        }
        Ok(out)
    }

    /// Scores `ρ_k = Σ_n a(n) r_k(n)` (n_epochs × n_classes).
    pub fn decision_function(&self, subbands: &[ArrayView3<f64>]) -> Result<Array2<f64>> {
        let r = self.correlations(subbands)?;
        let (n, nb, k) = r.dim();
        let mut out = Array2::zeros((n, k));
        for b in 0..nb {
            let a = fbcca_weight(b + 1);
            out.scaled_add(a, &r.index_axis(Axis(1), b));
        }
        Ok(out)
    }

    /// Class index with the largest score, per epoch.
    pub fn predict(&self, subbands: &[ArrayView3<f64>]) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.decision_function(subbands)?))
    }
}

/// TRCA with its sub-band filters: takes raw epochs (n × channels × samples, µV), filters each
/// epoch on its own into every sub-band (MNE's IIR band-pass, as the `fbcca` pipeline), then
/// applies [`Trca`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterBankTrca {
    pub sfreq: f64,
    pub subbands: Vec<FilterBand>,
    pub trca: Trca,
}

impl FilterBankTrca {
    /// Designs the sub-band filters `bands` (`[lo, hi]` Hz, band n+1 weighted
    /// `(n+1)^-1.25 + 0.25`; e.g. [`crate::pipeline::default_fbcca_bands`]) at `sfreq` and fits
    /// TRCA (or ensemble TRCA) on the filtered epochs.
    pub fn fit(
        epochs: ArrayView3<f64>,
        y: &[usize],
        bands: &[[f64; 2]],
        sfreq: f64,
        ensemble: bool,
    ) -> Result<Self> {
        if bands.is_empty() {
            return Err(DecodeError::invalid(
                "TRCA sub-bands",
                0,
                "need at least one [lo, hi] band",
            ));
        }
        check_finite(epochs, "training epochs")?;
        check_labels(y, epochs.dim().0)?;
        let subbands = bands
            .iter()
            .map(|b| FilterBand::design(*b, sfreq))
            .collect::<Result<Vec<_>>>()?;
        let filtered = filter_all(&subbands, epochs)?;
        let views: Vec<_> = filtered.iter().map(|x| x.view()).collect();
        let trca = Trca::fit(&views, y, ensemble)?;
        Ok(FilterBankTrca {
            sfreq,
            subbands,
            trca,
        })
    }

    /// The epochs filtered into each sub-band.
    pub fn filter(&self, epochs: ArrayView3<f64>) -> Result<Vec<Array3<f64>>> {
        check_finite(epochs, "epochs")?;
        filter_all(&self.subbands, epochs)
    }

    /// Per-band correlations (n_epochs × n_bands × n_classes), see [`Trca::correlations`].
    pub fn correlations(&self, epochs: ArrayView3<f64>) -> Result<Array3<f64>> {
        let f = self.filter(epochs)?;
        let views: Vec<_> = f.iter().map(|x| x.view()).collect();
        self.trca.correlations(&views)
    }

    /// Scores per epoch and class (n_epochs × n_classes).
    pub fn decision_function(&self, epochs: ArrayView3<f64>) -> Result<Array2<f64>> {
        let f = self.filter(epochs)?;
        let views: Vec<_> = f.iter().map(|x| x.view()).collect();
        self.trca.decision_function(&views)
    }

    /// Class index with the largest score, per epoch.
    pub fn predict(&self, epochs: ArrayView3<f64>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.decision_function(epochs)?))
    }
}

fn filter_all(subbands: &[FilterBand], epochs: ArrayView3<f64>) -> Result<Vec<Array3<f64>>> {
    subbands.iter().map(|b| b.apply(epochs)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Phase-locked responses in noise (what TRCA assumes): every test trial is found.
    #[test]
    fn detects_phase_locked_responses() {
        let (c, t, sf) = (4usize, 256usize, 128.0);
        let freqs = [9.0, 11.0, 13.0];
        let mut s: u64 = 7;
        let mut noise = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let n_per = 5;
        let mut x = Array3::zeros((freqs.len() * n_per, c, t));
        let mut y = Vec::new();
        for (k, f) in freqs.iter().enumerate() {
            for r in 0..n_per {
                let e = k * n_per + r;
                y.push(k);
                for ch in 0..c {
                    for i in 0..t {
                        let sig = (2.0 * std::f64::consts::PI * f * i as f64 / sf + 0.3 * k as f64)
                            .sin()
                            * (ch as f64 + 1.0)
                            * 0.3;
                        x[[e, ch, i]] = sig + 2.0 * noise();
                    }
                }
            }
        }
        let train: Vec<usize> = (0..x.dim().0).filter(|i| i % n_per != 0).collect();
        let test: Vec<usize> = (0..x.dim().0).filter(|i| i % n_per == 0).collect();
        let ytr: Vec<usize> = train.iter().map(|&i| y[i]).collect();
        let xtr = x.select(Axis(0), &train);
        let xte = x.select(Axis(0), &test);
        for ensemble in [false, true] {
            let m = Trca::fit(&[xtr.view()], &ytr, ensemble).unwrap();
            let p = m.predict(&[xte.view()]).unwrap();
            assert_eq!(p, vec![0, 1, 2], "ensemble {ensemble}");
        }
    }
}
