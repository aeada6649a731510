//! Filter-bank CSP (Ang et al. 2008) as MOABB's `FBCSP.py` builds it: per sub-band, OAS
//! covariances → pyRiemann `CSP(nfilter=4)` log-variances; the features of all bands side by side;
//! scikit-learn `SelectKBest(mutual_info_classif, k=10)`; then a linear classifier. MOABB's
//! classifier is a grid-searched linear SVM; here it is LDA with Ledoit-Wolf shrinkage (scikit-learn
//! `LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")`), deterministic and without an
//! inner search.
//!
//! [`mutual_info_classif`] is scikit-learn's estimator for a continuous feature and a discrete
//! target (Ross 2014, k = 3 nearest neighbours within the class, counts within that radius over all
//! samples). scikit-learn adds noise of relative size 1e-10 to break ties in distances; this one
//! adds none, so it is deterministic and agrees with scikit-learn's except when two distances lie
//! within that noise of each other.
//!
//! The sub-band epochs are given by the caller: the model pipeline filters each epoch per band
//! (MNE IIR, as FBCCA); the benchmark filters the continuous recording per band, as MOABB's
//! `FilterBankMotorImagery` does.

use ndarray::{Array2, ArrayView2, ArrayView3, Axis, concatenate};
use serde::{Deserialize, Serialize};

use crate::covariance::{Estimator, check_features, covariances};
use crate::csp::Csp;
use crate::error::{DecodeError, Result};
use crate::labels::{check_labels, class_indices};
use crate::lda::{Lda, LdaSolver};

/// CSP filters per band (MOABB's FBCSP: `CSP(nfilter=4)`).
pub const FBCSP_FILTERS: usize = 4;
/// Features kept by mutual information (MOABB's FBCSP: `SelectKBest(k=10)`).
pub const FBCSP_SELECT: usize = 10;
/// Neighbours of the mutual-information estimator (scikit-learn's default).
pub const MI_NEIGHBORS: usize = 3;

/// The bands MOABB's `FilterBankLeftRightImagery` uses: 8-12, 12-16, ..., 28-32 Hz.
pub fn default_fbcsp_bands() -> Vec<[f64; 2]> {
    (0..6)
        .map(|i| [8.0 + 4.0 * i as f64, 12.0 + 4.0 * i as f64])
        .collect()
}

/// A fitted FBCSP: one CSP per band, the selected feature columns, the classifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fbcsp {
    pub covariance: Estimator,
    /// One CSP per band, in band order.
    pub csps: Vec<Csp>,
    /// Columns of the concatenated band features fed to the classifier (ascending).
    pub selected: Vec<usize>,
    pub lda: Lda,
}

impl Fbcsp {
    /// Fits on the epochs of each band (each n × channels × samples, same epochs in the same
    /// order) and class indices. `select` is the number of features kept by mutual information
    /// (0 or more than there are: keep all).
    pub fn fit(
        bands: &[ArrayView3<f64>],
        y: &[usize],
        nfilter: usize,
        covariance: Estimator,
        select: usize,
        solver: LdaSolver,
    ) -> Result<Self> {
        let first = bands.first().ok_or_else(|| {
            DecodeError::invalid("FBCSP bands", "[]", "give at least one sub-band")
        })?;
        check_labels(y, first.dim().0)?;
        let mut csps = Vec::with_capacity(bands.len());
        let mut parts = Vec::with_capacity(bands.len());
        for band in bands {
            let covs = covariances(*band, covariance)?;
            let csp = Csp::fit(covs.view(), y, nfilter)?;
            parts.push(csp.transform(covs.view())?);
            csps.push(csp);
        }
        let feats = stack(&parts)?;
        let p = feats.ncols();
        let selected = if select == 0 || select >= p {
            (0..p).collect()
        } else {
            let mi = mutual_info_classif(feats.view(), y, MI_NEIGHBORS)?;
            select_k_best(&mi, select)
        };
        let lda = Lda::fit(feats.select(Axis(1), &selected).view(), y, solver)?;
        Ok(Fbcsp {
            covariance,
            csps,
            selected,
            lda,
        })
    }

    /// Log-variance features of every band side by side (n × Σ filters), before selection.
    pub fn features(&self, bands: &[ArrayView3<f64>]) -> Result<Array2<f64>> {
        if bands.len() != self.csps.len() {
            return Err(DecodeError::Shape(format!(
                "FBCSP fitted on {} bands, given {}",
                self.csps.len(),
                bands.len()
            )));
        }
        let mut parts = Vec::with_capacity(bands.len());
        for (csp, band) in self.csps.iter().zip(bands) {
            let covs = covariances(*band, self.covariance)?;
            parts.push(csp.transform(covs.view())?);
        }
        stack(&parts)
    }

    /// LDA decision values on the selected features: (n × 1) for two classes.
    pub fn decision_function(&self, bands: &[ArrayView3<f64>]) -> Result<Array2<f64>> {
        let f = self.features(bands)?;
        if let Some(&bad) = self.selected.iter().find(|&&j| j >= f.ncols()) {
            return Err(DecodeError::Shape(format!(
                "FBCSP selects feature {bad} of {}",
                f.ncols()
            )));
        }
        self.lda
            .decision_function(f.select(Axis(1), &self.selected).view())
    }
}

fn stack(parts: &[Array2<f64>]) -> Result<Array2<f64>> {
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    concatenate(Axis(1), &views).map_err(|e| DecodeError::Shape(format!("FBCSP features: {e}")))
}

/// Indices of the `k` highest scores, ascending, as scikit-learn's `SelectKBest`: a stable sort of
/// the scores, the last `k` taken (among equal scores the later columns win).
pub fn select_k_best(scores: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // NaN scores rank lowest, as scikit-learn's _clean_nans makes them.
    let key = |i: usize| {
        if scores[i].is_nan() {
            f64::MIN
        } else {
            scores[i]
        }
    };
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    let mut keep: Vec<usize> = order[order.len().saturating_sub(k)..].to_vec();
    keep.sort_unstable();
    keep
}

/// ψ(n) for a positive integer: `−γ + Σ_{j<n} 1/j`.
fn digamma_int(n: usize) -> f64 {
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    -EULER_GAMMA + (1..n).map(|j| 1.0 / j as f64).sum::<f64>()
}

/// scikit-learn's `mutual_info_classif(x, y, n_neighbors)` for continuous features, without the
/// tie-breaking noise: each column is scaled to unit standard deviation, then Ross's estimator
/// `ψ(N) + ⟨ψ(k)⟩ − ⟨ψ(N_c)⟩ − ⟨ψ(m)⟩`, clipped at 0 (nats).
pub fn mutual_info_classif(
    x: ArrayView2<f64>,
    y: &[usize],
    n_neighbors: usize,
) -> Result<Vec<f64>> {
    let (n, p) = x.dim();
    let n_classes = check_labels(y, n)?;
    if n_neighbors == 0 {
        return Err(DecodeError::invalid("n_neighbors", 0, "must be at least 1"));
    }
    check_features(x)?;
    let classes: Vec<Vec<usize>> = (0..n_classes).map(|c| class_indices(y, c)).collect();
    let mut out = Vec::with_capacity(p);
    for col in x.columns() {
        let std = col.std(0.0);
        let scale = if std == 0.0 { 1.0 } else { std };
        let c: Vec<f64> = col.iter().map(|v| v / scale).collect();
        out.push(mi_continuous_discrete(&c, &classes, n_neighbors));
    }
    Ok(out)
}

fn mi_continuous_discrete(c: &[f64], classes: &[Vec<usize>], n_neighbors: usize) -> f64 {
    // Points of single-member classes are left out, as scikit-learn does.
    let mut radius = Vec::new();
    let mut members = Vec::new();
    let (mut sum_k, mut sum_count) = (0.0, 0.0);
    for idx in classes.iter().filter(|idx| idx.len() > 1) {
        let k = n_neighbors.min(idx.len() - 1);
        let mut d = Vec::with_capacity(idx.len() - 1);
        for &i in idx {
            d.clear();
            d.extend(
                idx.iter()
                    .filter(|&&j| j != i)
                    .map(|&j| (c[i] - c[j]).abs()),
            );
            d.select_nth_unstable_by(k - 1, f64::total_cmp);
            // The k-th neighbour itself is not inside the radius (numpy nextafter toward 0).
            let r = d[k - 1];
            radius.push(if r > 0.0 {
                f64::from_bits(r.to_bits() - 1)
            } else {
                0.0
            });
            members.push(i);
            sum_k += digamma_int(k);
            sum_count += digamma_int(idx.len());
        }
    }
    let m = members.len();
    if m == 0 {
        return 0.0;
    }
    let mut sum_m = 0.0;
    for (&i, &r) in members.iter().zip(&radius) {
        let within = members
            .iter()
            .filter(|&&j| (c[i] - c[j]).abs() <= r)
            .count();
        sum_m += digamma_int(within);
    }
    let mf = m as f64;
    let mi = digamma_int(m) + sum_k / mf - sum_count / mf - sum_m / mf;
    mi.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_k_best_breaks_ties_toward_later_columns() {
        assert_eq!(select_k_best(&[0.0, 0.5, 0.0, 0.2, 0.0], 3), vec![1, 3, 4]);
        assert_eq!(select_k_best(&[1.0, 2.0], 5), vec![0, 1]);
    }

    #[test]
    fn digamma_of_integers() {
        assert!((digamma_int(1) + 0.5772156649015329).abs() < 1e-15);
        assert!((digamma_int(10) - 2.251752589066721).abs() < 1e-14);
    }

    #[test]
    fn mutual_information_separates_an_informative_feature() {
        let y: Vec<usize> = (0..40).map(|i| i % 2).collect();
        let x = Array2::from_shape_fn((40, 2), |(i, j)| {
            let noise = ((i * 7919) % 97) as f64 / 97.0;
            if j == 0 {
                y[i] as f64 * 3.0 + noise
            } else {
                noise
            }
        });
        let mi = mutual_info_classif(x.view(), &y, 3).unwrap();
        assert!(mi[0] > 0.5 && mi[1] < 0.1, "{mi:?}");
    }
}
