//! Re-referencing: common average and arbitrary references, on channels × samples arrays.

use bci_core::{Error, Result};
use ndarray::{Array1, ArrayViewMut2, Axis};

/// Subtract, sample by sample, the mean of all channels from every channel.
pub fn common_average(mut x: ArrayViewMut2<f64>) -> Result<()> {
    let all: Vec<usize> = (0..x.nrows()).collect();
    rereference(x.view_mut(), &all)
}

/// Subtract, sample by sample, the mean of the channels at `reference` (one index = a single
/// reference electrode; several = their average; all = common average) from every channel.
pub fn rereference(mut x: ArrayViewMut2<f64>, reference: &[usize]) -> Result<()> {
    if reference.is_empty() {
        return Err(Error::invalid(
            "reference channels",
            "[]",
            "name at least one channel",
        ));
    }
    if let Some(&bad) = reference.iter().find(|&&c| c >= x.nrows()) {
        return Err(Error::invalid(
            "reference channel index",
            bad,
            format!("recording has {} channels", x.nrows()),
        ));
    }
    let mut mean = Array1::<f64>::zeros(x.ncols());
    for &c in reference {
        mean += &x.row(c);
    }
    mean /= reference.len() as f64;
    for mut row in x.axis_iter_mut(Axis(0)) {
        row -= &mean;
    }
    Ok(())
}
