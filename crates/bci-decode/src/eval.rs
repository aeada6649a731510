//! Offline evaluation helpers: epoching a recording at event onsets, ROC-AUC, and k-fold splits
//! given as test-index lists (the folds are read from a file the reference side wrote, so both
//! sides use identical splits).

use bci_core::Recording;
use ndarray::{Array3, ArrayView3, Axis, s};

use crate::error::{DecodeError, Result};
use crate::par::par_map;
use crate::pipeline::{Decoder, Fitted, PipelineKind, PipelineOptions};

/// An epoch window relative to the event onset, in seconds; both ends included (as MNE's
/// `Epochs(tmin, tmax)`), so `round((tmax − tmin)·sfreq) + 1` samples.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub tmin: f64,
    pub tmax: f64,
}

impl Window {
    /// First-sample offset from the onset and the number of samples at `sfreq`.
    pub fn samples(&self, sfreq: f64) -> Result<(i64, usize)> {
        if self.tmax.partial_cmp(&self.tmin) != Some(std::cmp::Ordering::Greater)
            || !self.tmin.is_finite()
            || !self.tmax.is_finite()
        {
            return Err(DecodeError::invalid(
                "epoch window",
                format!("{}..{}", self.tmin, self.tmax),
                "tmax must be after tmin",
            ));
        }
        let start = (self.tmin * sfreq).round() as i64;
        let n = ((self.tmax - self.tmin) * sfreq).round() as usize + 1;
        Ok((start, n))
    }
}

/// Cuts epochs (n_events × channels × samples) out of `data` (channels × samples) at the given
/// onsets (sample indices).
pub fn epochs_at(
    data: ndarray::ArrayView2<f64>,
    onsets: &[u64],
    start_offset: i64,
    n_samples: usize,
) -> Result<Array3<f64>> {
    let (n_ch, len) = data.dim();
    let mut out = Array3::zeros((onsets.len(), n_ch, n_samples));
    for (i, &onset) in onsets.iter().enumerate() {
        let first = onset as i64 + start_offset;
        let last = first + n_samples as i64;
        if first < 0 || last > len as i64 {
            return Err(DecodeError::Shape(format!(
                "epoch {i} at sample {onset} spans samples {first}..{last}, outside the recording (0..{len})"
            )));
        }
        out.index_axis_mut(Axis(0), i)
            .assign(&data.slice(s![.., first as usize..last as usize]));
    }
    Ok(out)
}

/// Epochs of a recording at its events whose label is in `event_labels`; returns the epochs,
/// the matching event labels, and the onsets.
pub fn epochs_for_events(
    rec: &Recording,
    event_labels: &[String],
    window: Window,
) -> Result<(Array3<f64>, Vec<String>, Vec<u64>)> {
    let (start, n) = window.samples(rec.sample_rate)?;
    let mut onsets = Vec::new();
    let mut labels = Vec::new();
    for ev in &rec.events {
        if event_labels.contains(&ev.label) {
            onsets.push(ev.onset);
            labels.push(ev.label.clone());
        }
    }
    let x = epochs_at(rec.data.view(), &onsets, start, n)?;
    Ok((x, labels, onsets))
}

/// ROC-AUC of scores for binary labels (class 1 positive), ties counted half, as scikit-learn's
/// `roc_auc_score`.
pub fn roc_auc(scores: &[f64], y: &[usize]) -> Result<f64> {
    if scores.len() != y.len() {
        return Err(DecodeError::Shape(format!(
            "{} scores for {} labels",
            scores.len(),
            y.len()
        )));
    }
    let pos: Vec<f64> = scores
        .iter()
        .zip(y)
        .filter(|(_, c)| **c == 1)
        .map(|(s, _)| *s)
        .collect();
    let neg: Vec<f64> = scores
        .iter()
        .zip(y)
        .filter(|(_, c)| **c != 1)
        .map(|(s, _)| *s)
        .collect();
    if pos.is_empty() || neg.is_empty() {
        return Err(DecodeError::SingleClass {
            label: "ROC-AUC needs both classes in the test set".into(),
        });
    }
    let mut wins = 0.0;
    for p in &pos {
        for n in &neg {
            if p > n {
                wins += 1.0;
            } else if p == n {
                wins += 0.5;
            }
        }
    }
    Ok(wins / (pos.len() * neg.len()) as f64)
}

/// Training indices that complement a test fold over `n` epochs.
pub fn train_indices(n: usize, test: &[usize]) -> Vec<usize> {
    let mut is_test = vec![false; n];
    for &t in test {
        if t < n {
            is_test[t] = true;
        }
    }
    (0..n).filter(|&i| !is_test[i]).collect()
}

/// Checks that folds are a partition of `0..n`.
pub fn check_folds(n: usize, folds: &[Vec<usize>]) -> Result<()> {
    let mut seen = vec![false; n];
    for (k, f) in folds.iter().enumerate() {
        for &i in f {
            if i >= n || seen[i] {
                return Err(DecodeError::invalid(
                    "folds",
                    format!("fold {k} index {i}"),
                    "folds must partition the epochs (index out of range or repeated)",
                ));
            }
            seen[i] = true;
        }
    }
    if let Some(i) = seen.iter().position(|s| !s) {
        return Err(DecodeError::invalid("folds", i, "epoch in no fold"));
    }
    Ok(())
}

/// Cross-validation of a pipeline on given folds (each a list of test indices; together they
/// must partition the epochs): one score per fold, ROC-AUC of `score[1] - score[0]` for two
/// classes (as MOABB), accuracy otherwise. Folds are trained in parallel, and a fold's batch
/// operations spread over the cores as well (so the last fold does not run on one core while
/// the others idle); the scores do not depend on the number of cores.
pub fn cross_validate(
    kind: PipelineKind,
    epochs: ArrayView3<f64>,
    y: &[usize],
    folds: &[Vec<usize>],
    opts: &PipelineOptions,
    sfreq: f64,
    cca_freqs: &[f64],
) -> Result<Vec<f64>> {
    let n = epochs.dim().0;
    if y.len() != n {
        return Err(DecodeError::Shape(format!(
            "{n} epochs but {} labels",
            y.len()
        )));
    }
    check_folds(n, folds)?;
    par_map(folds.len(), |k| {
        let test = &folds[k];
        let train = train_indices(n, test);
        let ytr: Vec<usize> = train.iter().map(|&i| y[i]).collect();
        let yte: Vec<usize> = test.iter().map(|&i| y[i]).collect();
        let model = Fitted::fit(
            kind,
            epochs.select(Axis(0), &train).view(),
            &ytr,
            opts,
            sfreq,
            cca_freqs,
        )?;
        let test_epochs = epochs.select(Axis(0), test);
        if model.n_classes() == 2 {
            let scores = model.scores(test_epochs.view())?;
            let d: Vec<f64> = scores.rows().into_iter().map(|r| r[1] - r[0]).collect();
            roc_auc(&d, &yte)
        } else {
            let hits = model
                .predict(test_epochs.view())?
                .iter()
                .zip(&yte)
                .filter(|(p, t)| p == t)
                .count();
            Ok(hits as f64 / yte.len().max(1) as f64)
        }
    })
    .into_iter()
    .collect()
}
