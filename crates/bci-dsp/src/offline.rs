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

/// Samples per block when channels-first data go through the frame-major kernel: a block of
/// frames is gathered into a small buffer that stays in cache, filtered, and scattered back.
const BLOCK: usize = 256;

/// Channels-first signals in one flat buffer (`data[c * n + i]`).
struct Rows {
    data: Vec<f64>,
    nch: usize,
    n: usize,
}

impl Rows {
    fn from_view(x: &ArrayView2<f64>, pre: usize, post: usize) -> Rows {
        let (nch, n) = x.dim();
        let len = n + pre + post;
        let mut data = vec![0.0; nch * len];
        for (c, row) in x.outer_iter().enumerate() {
            for (d, v) in data[c * len + pre..c * len + pre + n]
                .iter_mut()
                .zip(row.iter())
            {
                *d = *v;
            }
        }
        Rows { data, nch, n: len }
    }

    fn column(&self, i: usize) -> Vec<f64> {
        (0..self.nch).map(|c| self.data[c * self.n + i]).collect()
    }

    fn into_array(self, start: usize, len: usize) -> Array2<f64> {
        if start == 0 && len == self.n {
            return Array2::from_shape_vec((self.nch, self.n), self.data)
                .unwrap_or_else(|_| Array2::zeros((0, 0)));
        }
        let mut out = Array2::zeros((self.nch, len));
        for (c, mut row) in out.outer_iter_mut().enumerate() {
            let src = &self.data[c * self.n + start..c * self.n + start + len];
            row.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
        }
        out
    }

    /// Run `f` over the whole signal in place, forward or backward in time, in cache-sized
    /// blocks of frames.
    fn filter(&mut self, f: &mut SosFilter<f64>, backward: bool) -> Result<()> {
        let (nch, n) = (self.nch, self.n);
        let mut buf = vec![0.0; BLOCK * nch];
        for b in 0..n.div_ceil(BLOCK) {
            let (i0, i1) = if backward {
                (n.saturating_sub((b + 1) * BLOCK), n - b * BLOCK)
            } else {
                (b * BLOCK, ((b + 1) * BLOCK).min(n))
            };
            let len = i1 - i0;
            let block = &mut buf[..len * nch];
            for c in 0..nch {
                let src = &self.data[c * n + i0..c * n + i1];
                let frames = block.chunks_exact_mut(nch);
                if backward {
                    frames.zip(src.iter().rev()).for_each(|(fr, v)| fr[c] = *v);
                } else {
                    frames.zip(src).for_each(|(fr, v)| fr[c] = *v);
                }
            }
            f.process(block)?;
            for c in 0..nch {
                let dst = &mut self.data[c * n + i0..c * n + i1];
                let frames = block.chunks_exact(nch);
                if backward {
                    frames
                        .zip(dst.iter_mut().rev())
                        .for_each(|(fr, v)| *v = fr[c]);
                } else {
                    frames.zip(dst.iter_mut()).for_each(|(fr, v)| *v = fr[c]);
                }
            }
        }
        Ok(())
    }
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
    let mut rows = Rows::from_view(&x, 0, 0);
    let mut f = SosFilter::<f64>::with_kernel(sos, nch, kernel)?;
    if initial == Initial::Steady {
        f.set_steady_state(&rows.column(0))?;
    }
    rows.filter(&mut f, false)?;
    Ok(rows.into_array(0, n))
}

/// Forward then backward pass over already padded rows, each pass starting from the steady
/// state of its first sample (what `sosfiltfilt` does after padding).
fn filtfilt_rows(sos: &Sos, rows: &mut Rows, kernel: Kernel) -> Result<()> {
    let mut f = SosFilter::<f64>::with_kernel(sos, rows.nch, kernel)?;
    f.set_steady_state(&rows.column(0))?;
    rows.filter(&mut f, false)?;
    f.set_steady_state(&rows.column(rows.n - 1))?;
    rows.filter(&mut f, true)
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
    let n = x.ncols();
    let edge = padlen.unwrap_or_else(|| sos.default_padlen());
    if n <= edge {
        return Err(Error::invalid(
            "signal length",
            n,
            format!("must be greater than the zero-phase padding of {edge} samples"),
        ));
    }
    let mut rows = Rows::from_view(&x, edge, edge);
    odd_extend(&mut rows, edge, n, edge);
    filtfilt_rows(sos, &mut rows, kernel)?;
    Ok(rows.into_array(edge, n))
}

/// Fill `pre` frames before and `post` frames after the `n` data frames (which start at frame
/// `pre`) with odd reflection `2 x[0] - x[k]` / `2 x[-1] - x[-1-k]`; where the reflection would
/// run past the data (MNE's `reflect_limited`), zeros are left at the outer end.
fn odd_extend(rows: &mut Rows, pre: usize, n: usize, post: usize) {
    let len = rows.n;
    for c in 0..rows.nch {
        let row = &mut rows.data[c * len..(c + 1) * len];
        let (x0, xl) = (row[pre], row[pre + n - 1]);
        for k in 1..=pre.min(n - 1) {
            row[pre - k] = 2.0 * x0 - row[pre + k];
        }
        for k in 1..=post.min(n - 1) {
            row[pre + n - 1 + k] = 2.0 * xl - row[pre + n - 1 - k];
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
        let mut rows = Rows::from_view(&x, pad, pad);
        odd_extend(&mut rows, pad, n, pad);
        filtfilt_rows(&self.sos, &mut rows, Kernel::Auto)?;
        Ok(rows.into_array(pad, n))
    }
}
