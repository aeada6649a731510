//! Class labels as indices `0..n_classes` (the encoding scikit-learn's `LabelEncoder` gives:
//! class names sorted), and the checks every fit runs on them.

use crate::error::{DecodeError, Result};

/// Checks labels for `n_epochs` epochs: same length, every class `0..k` present, at least two
/// classes and more epochs than classes. Returns the number of classes.
pub fn check_labels(y: &[usize], n_epochs: usize) -> Result<usize> {
    if y.len() != n_epochs {
        return Err(DecodeError::Shape(format!(
            "{} labels for {n_epochs} epochs",
            y.len()
        )));
    }
    let n_classes = y.iter().max().map_or(0, |m| m + 1);
    if n_epochs == 0 {
        return Err(DecodeError::TooFewEpochs {
            n_epochs,
            n_classes,
        });
    }
    let mut counts = vec![0usize; n_classes];
    for &c in y {
        counts[c] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err(DecodeError::SingleClass {
            label: format!("class {}", y[0]),
        });
    }
    if let Some(missing) = counts.iter().position(|&c| c == 0) {
        return Err(DecodeError::Label(format!(
            "class index {missing} has no epoch (labels must be 0..{n_classes} with each present)"
        )));
    }
    if n_epochs <= n_classes {
        return Err(DecodeError::TooFewEpochs {
            n_epochs,
            n_classes,
        });
    }
    Ok(n_classes)
}

/// Indices of the epochs of class `k`.
pub fn class_indices(y: &[usize], k: usize) -> Vec<usize> {
    y.iter()
        .enumerate()
        .filter(|(_, c)| **c == k)
        .map(|(i, _)| i)
        .collect()
}

/// Encodes string labels as scikit-learn's `LabelEncoder` does (sorted unique names).
pub fn encode(labels: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut classes: Vec<String> = labels.to_vec();
    classes.sort();
    classes.dedup();
    let y = labels
        .iter()
        .map(|l| classes.binary_search(l).unwrap_or(0))
        .collect();
    (classes, y)
}
