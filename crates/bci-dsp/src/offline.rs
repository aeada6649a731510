//! Whole-recording filtering on channels × samples arrays (f64): causal (`sosfilt`),
//! zero-phase with scipy's padding (`sosfiltfilt`), and MNE's IIR zero-phase variant.
//!
//! Internally the data are transposed into interleaved frames and run through the same kernel
//! as the streaming [`SosFilter`], so offline and live filtering give the same numbers.

use bci_core::{Error, Result};
use ndarray::{Array2, ArrayView2, ArrayViewMut2};

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
    let all_finite = match x.as_slice() {
        Some(s) => s.chunks(4096).all(all_finite),
        None => x.iter().all(|v| v.is_finite()),
    };
    if !all_finite {
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

/// Whether every value is finite: a fast check for the common case, after which a caller looks
/// for the culprit only when something is wrong. `v - v` is NaN exactly for non-finite `v`; eight
/// running sums of it vectorise (one running sum, or a search that stops early, would not).
#[allow(clippy::eq_op)]
pub fn all_finite(values: &[f64]) -> bool {
    let mut acc = [0.0f64; 8];
    let mut lanes = values.chunks_exact(8);
    for c in &mut lanes {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v - v;
        }
    }
    let tail: f64 = lanes.remainder().iter().map(|v| v - v).sum();
    acc.iter().sum::<f64>() + tail == 0.0
}

/// Frames per block when channels-first data go through the frame-major kernel: a block of
/// frames is gathered into a small interleaved buffer that stays in L2 (256 frames of 64 f64
/// channels = 128 KB), filtered, and scattered back. Longer runs per row than a 32-frame block
/// (one 2 KB run per row instead of 256 bytes) made the zero-phase pass ~20 % faster here.
const BLOCK: usize = 256;

/// One pass of `f` over rows of `len` samples (row `c` at `[c * len..(c + 1) * len]`),
/// forward or backward in time, reading `src` (or `dst` itself when `None`) and writing `dst`.
/// Only one block of frames is ever interleaved: no copy of the whole signal.
fn pass(
    f: &mut SosFilter<f64>,
    src: Option<&[f64]>,
    dst: &mut [f64],
    len: usize,
    backward: bool,
    buf: &mut [f64],
) -> Result<()> {
    if len == 0 {
        return Ok(());
    }
    let nch = dst.len() / len;
    // The layout change is pure data movement (the same numbers whatever the kernel): use
    // register transposes whenever the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    let simd = std::is_x86_feature_detected!("avx2");
    for b in 0..len.div_ceil(BLOCK) {
        let (i0, i1) = if backward {
            (len.saturating_sub((b + 1) * BLOCK), len - b * BLOCK)
        } else {
            (b * BLOCK, ((b + 1) * BLOCK).min(len))
        };
        let block = &mut buf[..(i1 - i0) * nch];
        #[cfg(target_arch = "x86_64")]
        if simd {
            // SAFETY: AVX2 was detected above.
            unsafe {
                crate::stream::avx::gather_f64(
                    src.unwrap_or(&*dst),
                    len,
                    nch,
                    i0,
                    i1,
                    backward,
                    block,
                )
            };
            f.process(block)?;
            // SAFETY: as above.
            unsafe { crate::stream::avx::scatter_f64(block, dst, len, nch, i0, i1, backward) };
            continue;
        }
        {
            let src = src.unwrap_or(&*dst);
            for c in 0..nch {
                let row = &src[c * len + i0..c * len + i1];
                let frames = block.chunks_exact_mut(nch);
                if backward {
                    frames.zip(row.iter().rev()).for_each(|(fr, v)| fr[c] = *v);
                } else {
                    frames.zip(row).for_each(|(fr, v)| fr[c] = *v);
                }
            }
        }
        f.process(block)?;
        for c in 0..nch {
            let row = &mut dst[c * len + i0..c * len + i1];
            let frames = block.chunks_exact(nch);
            if backward {
                frames
                    .zip(row.iter_mut().rev())
                    .for_each(|(fr, v)| *v = fr[c]);
            } else {
                frames.zip(row.iter_mut()).for_each(|(fr, v)| *v = fr[c]);
            }
        }
    }
    Ok(())
}

/// Sample `i` of every row of `len` samples.
fn column(rows: &[f64], len: usize, i: usize) -> Vec<f64> {
    rows.chunks_exact(len).map(|r| r[i]).collect()
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
    let x = x.as_standard_layout();
    let src = x.as_slice().unwrap_or(&[]);
    let mut out = vec![0.0; nch * n];
    by_channel_groups(Some(src), &mut out, n, |src, out| {
        let rows = out.len() / n;
        let mut f = SosFilter::<f64>::with_kernel(sos, rows, kernel)?;
        if initial == Initial::Steady {
            f.set_steady_state(&column(src.unwrap_or(out), n, 0))?;
        }
        let mut buf = vec![0.0; BLOCK * rows];
        pass(&mut f, src, out, n, false, &mut buf)
    })?;
    Array2::from_shape_vec((nch, n), out)
        .map_err(|e| Error::invalid("output shape", format!("{nch}x{n}"), e.to_string()))
}

/// Runs `filter(src_rows, out_rows)` over groups of whole rows (channels) of `len` samples
/// (`src` `None`: the rows are filtered in place), on up to `available_parallelism` scoped
/// threads for large arrays. Groups are whole multiples of 8 channels, the kernel's lane groups,
/// so every channel gets the same arithmetic whatever the split; the first error (by channel)
/// is returned.
fn by_channel_groups(
    src: Option<&[f64]>,
    out: &mut [f64],
    len: usize,
    filter: impl Fn(Option<&[f64]>, &mut [f64]) -> Result<()> + Sync,
) -> Result<()> {
    // Below this many samples × channels a thread costs more than it saves.
    const MIN_PARALLEL: usize = 1 << 20;
    let nch = out.len() / len;
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(nch.div_ceil(8));
    if threads <= 1 || out.len() < MIN_PARALLEL {
        return filter(src, out);
    }
    let rows = nch.div_ceil(threads).div_ceil(8) * 8 * len;
    std::thread::scope(|scope| {
        let filter = &filter;
        let workers: Vec<_> = out
            .chunks_mut(rows)
            .enumerate()
            .map(|(k, o)| {
                let s = src.map(|s| &s[k * rows..(k * rows + o.len())]);
                scope.spawn(move || filter(s, o))
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    })
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
    let edge = check_zero_phase(sos, &x, padlen)?;
    filtfilt_padded(sos, x, edge, kernel)
}

/// Zero-phase filtering with `edge` samples of odd reflection (see [`filtfilt_rows`]) into a
/// new array.
fn filtfilt_padded(
    sos: &Sos,
    x: ArrayView2<f64>,
    edge: usize,
    kernel: Kernel,
) -> Result<Array2<f64>> {
    let (nch, n) = x.dim();
    let x = x.as_standard_layout();
    let src = x.as_slice().unwrap_or(&[]);
    let mut out = vec![0.0; nch * n];
    by_channel_groups(Some(src), &mut out, n, |src, out| {
        filtfilt_rows(sos, src, out, n, edge, kernel)
    })?;
    Array2::from_shape_vec((nch, n), out)
        .map_err(|e| Error::invalid("output shape", format!("{nch}x{n}"), e.to_string()))
}

/// [`sosfiltfilt`] in place, as MNE's `Raw.filter` works: no output array is allocated (for a
/// long recording, allocating and first touching the output costs as much as filtering it).
/// `x` must be in standard (C) layout.
pub fn sosfiltfilt_inplace(
    sos: &Sos,
    mut x: ArrayViewMut2<f64>,
    padlen: Option<usize>,
) -> Result<()> {
    let edge = check_zero_phase(sos, &x.view(), padlen)?;
    let n = x.ncols();
    let Some(data) = x.as_slice_mut() else {
        return Err(Error::invalid(
            "array layout",
            "not C-contiguous",
            "in-place filtering needs a standard-layout channels × samples array",
        ));
    };
    by_channel_groups(None, data, n, |src, out| {
        filtfilt_rows(sos, src, out, n, edge, Kernel::Auto)
    })
}

/// Checks the input of a zero-phase filter and returns the padding length.
fn check_zero_phase(sos: &Sos, x: &ArrayView2<f64>, padlen: Option<usize>) -> Result<usize> {
    check_input(x)?;
    let n = x.ncols();
    let edge = padlen.unwrap_or_else(|| sos.default_padlen());
    if n <= edge {
        return Err(Error::invalid(
            "signal length",
            n,
            format!("must be greater than the zero-phase padding of {edge} samples"),
        ));
    }
    Ok(edge)
}

/// Forward then backward pass over the signal extended by `edge` samples of odd reflection
/// (`2 x[0] - x[k]` before, `2 x[-1] - x[-1-k]` after; `edge < n`), each pass starting from
/// the steady state of its first sample: what `sosfiltfilt` does after padding. Rows of `n`
/// samples are read from `src` (from `out` itself when `None`) and the result is written to
/// `out`; only the extensions are held apart.
fn filtfilt_rows(
    sos: &Sos,
    src: Option<&[f64]>,
    out: &mut [f64],
    n: usize,
    edge: usize,
    kernel: Kernel,
) -> Result<()> {
    let nch = out.len() / n;
    let mut pre = vec![0.0; nch * edge];
    let mut post = vec![0.0; nch * edge];
    for (c, row) in src.unwrap_or(out).chunks_exact(n).enumerate() {
        let (x0, xl) = (row[0], row[n - 1]);
        for k in 1..=edge {
            pre[c * edge + edge - k] = 2.0 * x0 - row[k];
            post[c * edge + k - 1] = 2.0 * xl - row[n - 1 - k];
        }
    }
    let mut f = SosFilter::<f64>::with_kernel(sos, nch, kernel)?;
    let mut buf = vec![0.0; BLOCK * nch];
    let first = if edge > 0 {
        column(&pre, edge, 0)
    } else {
        column(src.unwrap_or(out), n, 0)
    };
    f.set_steady_state(&first)?;
    pass(&mut f, None, &mut pre, edge, false, &mut buf)?;
    pass(&mut f, src, out, n, false, &mut buf)?;
    pass(&mut f, None, &mut post, edge, false, &mut buf)?;
    let last = if edge > 0 {
        column(&post, edge, edge - 1)
    } else {
        column(out, n, n - 1)
    };
    f.set_steady_state(&last)?;
    pass(&mut f, None, &mut post, edge, true, &mut buf)?;
    // The backward pass over the leading extension would only produce samples that are cut.
    pass(&mut f, None, out, n, true, &mut buf)
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
        // `reflect_limited` of at most n - 1 samples is the odd reflection.
        filtfilt_padded(&self.sos, x, self.padlen.min(n - 1), Kernel::Auto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many channels go through the register-transposed layout, one channel through the scalar
    /// copies: the results must be the same bits (a channel's numbers do not depend on its
    /// lane), forward, backward and at every block and tile remainder.
    #[test]
    fn layout_change_keeps_every_channel_bit_identical() {
        let sos = butter(4, Band::Bandpass(8.0, 30.0), 250.0).unwrap();
        let mut s = 11u64;
        for (nch, n) in [(7, 103), (8, 64), (13, 37), (4, 1001), (64, 250)] {
            let x = Array2::from_shape_fn((nch, n), |_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            });
            for kernel in [Kernel::Auto, Kernel::Portable] {
                let all = sosfiltfilt_with(&sos, x.view(), None, kernel).unwrap();
                let causal = sosfilt_with(&sos, x.view(), Initial::Steady, kernel).unwrap();
                for c in 0..nch {
                    let row = x.slice(ndarray::s![c..c + 1, ..]);
                    let one = sosfiltfilt_with(&sos, row, None, kernel).unwrap();
                    let one_causal = sosfilt_with(&sos, row, Initial::Steady, kernel).unwrap();
                    for i in 0..n {
                        assert_eq!(
                            all[(c, i)].to_bits(),
                            one[(0, i)].to_bits(),
                            "{nch}x{n} c{c}"
                        );
                        assert_eq!(causal[(c, i)].to_bits(), one_causal[(0, i)].to_bits());
                    }
                }
            }
        }
    }
}
