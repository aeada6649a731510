//! Whole-recording filtering on channels × samples arrays (f64): causal (`sosfilt`),
//! zero-phase with scipy's padding (`sosfiltfilt`), and MNE's IIR zero-phase variant.
//!
//! Internally the data are transposed into interleaved frames and run through the same kernel
//! as the streaming [`SosFilter`], so offline and live filtering give the same numbers.

use bci_core::{Error, Result};
use ndarray::{Array2, ArrayView2};

use crate::design::{Band, Sos, butter};
use crate::stream::{Kernel, SosFilter};

/// How a causal filter starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initial {
    /// Zero state (scipy `sosfilt` default).
    Zero,
    /// Steady state for the first sample (`sosfilt_zi(sos) * x[:, 0]`): no start transient.
    Steady,
}

fn check_input(x: &ArrayView2<f64>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::invalid(
            "number of channels",
            0,
            "need at least one channel",
        ));
    }
    if x.iter().any(|v| !v.is_finite()) {
        let (c, s) = x
            .indexed_iter()
            .find(|(_, v)| !v.is_finite())
            .map(|(i, _)| i)
            .unwrap_or((0, 0));
        return Err(Error::invalid(
            format!("sample {s} of channel {c}"),
            x[(c, s)],
            "input must be finite",
        ));
    }
    Ok(())
}

/// Samples per tile in the channel-first ⇄ frame-major transposes.
const TILE: usize = 64;

fn to_frames(x: &ArrayView2<f64>, pre: usize, post: usize) -> Vec<f64> {
    let (nch, n) = x.dim();
    let mut buf = vec![0.0; (n + pre + post) * nch];
    // Tiles of samples keep the strided writes inside the cache.
    for i0 in (0..n).step_by(TILE) {
        let i1 = (i0 + TILE).min(n);
        for (c, row) in x.outer_iter().enumerate() {
            for i in i0..i1 {
                buf[(pre + i) * nch + c] = row[i];
            }
        }
    }
    buf
}

fn from_frames(buf: &[f64], nch: usize, start: usize, n: usize) -> Array2<f64> {
    let mut out = Array2::zeros((nch, n));
    for i0 in (0..n).step_by(TILE) {
        let i1 = (i0 + TILE).min(n);
        for (c, mut row) in out.outer_iter_mut().enumerate() {
            for i in i0..i1 {
                row[i] = buf[(start + i) * nch + c];
            }
        }
    }
    out
}

/// Causal filtering of every row of `x` (channels × samples), like `scipy.signal.sosfilt`.
pub fn sosfilt(sos: &Sos, x: ArrayView2<f64>, initial: Initial) -> Result<Array2<f64>> {
    sosfilt_with(sos, x, initial, Kernel::Auto)
}

/// [`sosfilt`] with an explicit kernel.
pub fn sosfilt_with(
    sos: &Sos,
    x: ArrayView2<f64>,
    initial: Initial,
    kernel: Kernel,
) -> Result<Array2<f64>> {
    check_input(&x)?;
    let (nch, n) = x.dim();
    if n == 0 {
        return Ok(Array2::zeros((nch, 0)));
    }
    let mut buf = to_frames(&x, 0, 0);
    let mut f = SosFilter::<f64>::with_kernel(sos, nch, kernel)?;
    if initial == Initial::Steady {
        let first = buf[..nch].to_vec();
        f.set_steady_state(&first)?;
    }
    f.process(&mut buf)?;
    Ok(from_frames(&buf, nch, 0, n))
}

fn reverse_frames(buf: &mut [f64], nch: usize) {
    let n = buf.len() / nch;
    for i in 0..n / 2 {
        let j = n - 1 - i;
        let (a, b) = buf.split_at_mut(j * nch);
        a[i * nch..(i + 1) * nch].swap_with_slice(&mut b[..nch]);
    }
}

/// Forward then backward pass over an already padded frame buffer, each pass starting from the
/// steady state of its first frame (what `sosfiltfilt` does after padding).
fn filtfilt_frames(sos: &Sos, buf: &mut [f64], nch: usize, kernel: Kernel) -> Result<()> {
    let mut f = SosFilter::<f64>::with_kernel(sos, nch, kernel)?;
    let first = buf[..nch].to_vec();
    f.set_steady_state(&first)?;
    f.process(buf)?;
    reverse_frames(buf, nch);
    let first = buf[..nch].to_vec();
    f.set_steady_state(&first)?;
    f.process(buf)?;
    reverse_frames(buf, nch);
    Ok(())
}

/// Zero-phase filtering like `scipy.signal.sosfiltfilt(sos, x, padtype="odd", padlen=padlen)`;
/// `padlen = None` uses scipy's default ([`Sos::default_padlen`]). The signal must be longer
/// than the padding.
pub fn sosfiltfilt(sos: &Sos, x: ArrayView2<f64>, padlen: Option<usize>) -> Result<Array2<f64>> {
    sosfiltfilt_with(sos, x, padlen, Kernel::Auto)
}

/// [`sosfiltfilt`] with an explicit kernel.
pub fn sosfiltfilt_with(
    sos: &Sos,
    x: ArrayView2<f64>,
    padlen: Option<usize>,
    kernel: Kernel,
) -> Result<Array2<f64>> {
    check_input(&x)?;
    let (nch, n) = x.dim();
    let edge = padlen.unwrap_or_else(|| sos.default_padlen());
    if n <= edge {
        return Err(Error::invalid(
            "signal length",
            n,
            format!("must be greater than the zero-phase padding of {edge} samples"),
        ));
    }
    let mut buf = to_frames(&x, edge, edge);
    odd_extend(&mut buf, nch, edge, n, edge);
    filtfilt_frames(sos, &mut buf, nch, kernel)?;
    Ok(from_frames(&buf, nch, edge, n))
}

/// Fill `pre` frames before and `post` frames after the `n` data frames (which start at frame
/// `pre`) with odd reflection `2 x[0] - x[k]` / `2 x[-1] - x[-1-k]`; where the reflection would
/// run past the data (MNE's `reflect_limited`), zeros are left at the outer end.
fn odd_extend(buf: &mut [f64], nch: usize, pre: usize, n: usize, post: usize) {
    for c in 0..nch {
        let x0 = buf[pre * nch + c];
        let xl = buf[(pre + n - 1) * nch + c];
        for k in 1..=pre.min(n - 1) {
            buf[(pre - k) * nch + c] = 2.0 * x0 - buf[(pre + k) * nch + c];
        }
        for k in 1..=post.min(n - 1) {
            buf[(pre + n - 1 + k) * nch + c] = 2.0 * xl - buf[(pre + n - 1 - k) * nch + c];
        }
    }
}

/// Length of a filter's impulse response until it stays below 0.1% of its running peak, as
/// MNE's `estimate_ringing_samples` measures it (chunks of 1000 samples, up to 100,000).
pub fn estimate_ringing_samples(sos: &Sos) -> usize {
    const CHUNK: usize = 1000;
    const MAX_TRY: usize = 100_000;
    let mut f = match SosFilter::<f64>::with_kernel(sos, 1, Kernel::Portable) {
        Ok(f) => f,
        Err(_) => return 0,
    };
    let mut h = vec![0.0; CHUNK];
    let mut thresh = 0.0f64;
    let mut last_good = CHUNK;
    for ii in 0..MAX_TRY.div_ceil(CHUNK) {
        h.iter_mut().for_each(|v| *v = 0.0);
        if ii == 0 {
            h[0] = 1.0;
        }
        // The single channel always divides the length: no error possible here.
        let _ = f.process(&mut h);
        let peak = h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        thresh = thresh.max(0.001 * peak);
        match h.iter().rposition(|v| v.abs() > thresh) {
            Some(i) => last_good = i,
            None => return (ii.saturating_sub(1)) * CHUNK + last_good,
        }
    }
    CHUNK * MAX_TRY.div_ceil(CHUNK)
}

/// An IIR filter as MNE's `raw.filter(l_freq, h_freq, method="iir")` builds it with default
/// `iir_params` (Butterworth order 4, SOS) and the padding it applies.
#[derive(Debug, Clone)]
pub struct MneIir {
    pub sos: Sos,
    /// Samples of `reflect_limited` padding on each side (`estimate_ringing_samples`).
    pub padlen: usize,
}

impl MneIir {
    /// MNE's design for `l_freq`/`h_freq` (either may be `None` for a high-pass or low-pass) at
    /// `sfreq`, Butterworth of `order` (MNE's default is 4).
    pub fn design(
        l_freq: Option<f64>,
        h_freq: Option<f64>,
        sfreq: f64,
        order: usize,
    ) -> Result<Self> {
        let band = match (l_freq, h_freq) {
            (Some(l), Some(h)) => Band::Bandpass(l, h),
            (Some(l), None) => Band::Highpass(l),
            (None, Some(h)) => Band::Lowpass(h),
            (None, None) => {
                return Err(Error::invalid(
                    "l_freq/h_freq",
                    "None/None",
                    "give at least one cut-off frequency",
                ));
            }
        };
        let sos = butter(order, band, sfreq)?;
        let padlen = estimate_ringing_samples(&sos);
        Ok(MneIir { sos, padlen })
    }

    /// Zero-phase filtering of each row as MNE does it: `reflect_limited` padding of
    /// `min(padlen, n - 1)` samples per side, `sosfiltfilt(padlen=0)`, then the padding removed.
    pub fn apply(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        check_input(&x)?;
        let (nch, n) = x.dim();
        if n == 0 {
            return Ok(Array2::zeros((nch, 0)));
        }
        let pad = self.padlen.min(n - 1);
        let mut buf = to_frames(&x, pad, pad);
        odd_extend(&mut buf, nch, pad, n, pad);
        filtfilt_frames(&self.sos, &mut buf, nch, Kernel::Auto)?;
        Ok(from_frames(&buf, nch, pad, n))
    }
}
