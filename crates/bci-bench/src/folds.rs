//! MOABB's fold assignment, bit for bit: scikit-learn's `StratifiedKFold(n_splits, shuffle=True,
//! random_state=seed)` and numpy's legacy `RandomState` (MT19937 seeded with `init_genrand`,
//! Fisher-Yates `shuffle` drawing bounded integers by masked rejection).
//!
//! Having the same folds as MOABB means a score here and a score there come from the same
//! train/test splits, so they can be compared subject by subject.

use crate::{BenchError, Result};

/// numpy's legacy MT19937 (`np.random.RandomState(seed)` with an integer seed).
#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; 624],
    pos: usize,
}

impl Mt19937 {
    /// `RandomState(seed)`: the reference `init_genrand`.
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; 624];
        state[0] = seed;
        for i in 1..624 {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, pos: 624 }
    }

    fn generate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..624 {
            let y = (self.state[i] & UPPER) | (self.state[(i + 1) % 624] & LOWER);
            let mut v = self.state[(i + 397) % 624] ^ (y >> 1);
            if y & 1 == 1 {
                v ^= MATRIX_A;
            }
            self.state[i] = v;
        }
        self.pos = 0;
    }

    /// Next 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= 624 {
            self.generate();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// numpy's `random_interval(max)`: uniform in `0..=max` by masked rejection.
    pub fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        loop {
            let v = self.next_u32() & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `RandomState.shuffle` of a 1-d array (Fisher-Yates from the end).
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            // Lengths here are epoch counts, far below u32::MAX.
            let j = self.interval(i as u32) as usize;
            x.swap(i, j);
        }
    }
}

/// Test-fold index of every sample, as `StratifiedKFold(n_splits, shuffle=True,
/// random_state=seed)._make_test_folds(X, y)`; `y` are class labels of any kind (only equality and
/// first appearance matter, as in scikit-learn).
pub fn stratified_kfold<T: PartialEq>(y: &[T], n_splits: usize, seed: u32) -> Result<Vec<usize>> {
    if n_splits < 2 {
        return Err(BenchError::invalid(
            "folds",
            n_splits,
            "need at least 2 folds",
        ));
    }
    // Classes numbered in order of first appearance (scikit-learn's `y_encoded`).
    let mut classes: Vec<&T> = Vec::new();
    let encoded: Vec<usize> = y
        .iter()
        .map(|v| match classes.iter().position(|c| *c == v) {
            Some(k) => k,
            None => {
                classes.push(v);
                classes.len() - 1
            }
        })
        .collect();
    let n_classes = classes.len();
    let mut counts = vec![0usize; n_classes];
    for &k in &encoded {
        counts[k] += 1;
    }
    if let Some(min) = counts.iter().min()
        && *min < n_splits
    {
        // scikit-learn only warns when every class is smaller than n_splits but raises when
        // n_splits exceeds the largest class; a fold without a class makes ROC-AUC undefined, so
        // refuse either way.
        return Err(BenchError::invalid(
            "folds",
            n_splits,
            &format!("the smallest class has only {min} epochs; use fewer folds"),
        ));
    }
    let mut order = encoded.clone();
    order.sort_unstable();
    // allocation[i][k]: how many epochs of class k go to fold i.
    let mut allocation = vec![vec![0usize; n_classes]; n_splits];
    for (i, row) in allocation.iter_mut().enumerate() {
        for &k in order.iter().skip(i).step_by(n_splits) {
            row[k] += 1;
        }
    }
    let mut rng = Mt19937::new(seed);
    let mut test_folds = vec![0usize; y.len()];
    for k in 0..n_classes {
        let mut folds_for_class: Vec<usize> = Vec::with_capacity(counts[k]);
        for (i, row) in allocation.iter().enumerate() {
            folds_for_class.extend(std::iter::repeat_n(i, row[k]));
        }
        rng.shuffle(&mut folds_for_class);
        let mut it = folds_for_class.into_iter();
        for (slot, &e) in test_folds.iter_mut().zip(&encoded) {
            if e == k {
                // The allocation holds exactly counts[k] entries for class k.
                *slot = it.next().unwrap_or(0);
            }
        }
    }
    Ok(test_folds)
}

/// Test indices of each fold from a fold-per-sample assignment.
pub fn test_sets(assignment: &[usize], n_folds: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); n_folds];
    for (i, &f) in assignment.iter().enumerate() {
        if let Some(set) = out.get_mut(f) {
            set.push(i);
        }
    }
    out
}

/// A permutation of `0..n` from numpy's `RandomState(seed).permutation(n)`.
pub fn permutation(n: usize, seed: u32) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    Mt19937::new(seed).shuffle(&mut p);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_matches_reference_first_output() {
        // The reference implementation's well-known first output for seed 5489.
        let mut rng = Mt19937::new(5489);
        assert_eq!(rng.next_u32(), 3_499_211_612);
    }

    #[test]
    fn too_many_folds_is_an_error() {
        let y = [0, 0, 1, 1, 1];
        assert!(stratified_kfold(&y, 3, 42).is_err());
    }
}
