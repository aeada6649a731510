//! Welch power spectral density (as `scipy.signal.welch`), band power and detrending.

use std::sync::Arc;

use bci_core::{Error, Result};
use ndarray::{Array2, ArrayView2};
use realfft::{RealFftPlanner, RealToComplex};

/// Trend removed from each segment (or signal) before analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detrend {
    /// Leave the data as they are.
    None,
    /// Subtract the mean (scipy's default).
    Constant,
    /// Subtract the least-squares line.
    Linear,
}

/// Units of the Welch estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// Power spectral density, µV²/Hz (scipy `scaling="density"`).
    Density,
    /// Power spectrum, µV² (scipy `scaling="spectrum"`).
    Spectrum,
}

/// Welch parameters; the defaults are scipy's (`nperseg=256`, 50% overlap, periodic Hann,
/// constant detrend, one-sided density).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// Segment length; clipped to the signal length as scipy does.
    pub nperseg: usize,
    /// Overlap between segments; `None` = `nperseg / 2`.
    pub noverlap: Option<usize>,
    pub detrend: Detrend,
    pub scaling: Scaling,
}

impl Default for Welch {
    fn default() -> Self {
        Welch {
            nperseg: 256,
            noverlap: None,
            detrend: Detrend::Constant,
            scaling: Scaling::Density,
        }
    }
}

/// A one-sided spectrum per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// Bin frequencies in Hz, `k * fs / nperseg`.
    pub freqs: Vec<f64>,
    /// Channels × frequencies.
    pub power: Array2<f64>,
}

/// Subtract the mean or the least-squares line from `x` in place.
pub fn detrend(x: &mut [f64], kind: Detrend) {
    let n = x.len();
    if n == 0 {
        return;
    }
    match kind {
        Detrend::None => {}
        Detrend::Constant => {
            let m = x.iter().sum::<f64>() / n as f64;
            x.iter_mut().for_each(|v| *v -= m);
        }
        Detrend::Linear => {
            // Fit against t centred on its mean so the normal equations decouple.
            let tm = (n as f64 - 1.0) / 2.0;
            let xm = x.iter().sum::<f64>() / n as f64;
            let (mut stt, mut stx) = (0.0, 0.0);
            for (i, v) in x.iter().enumerate() {
                let t = i as f64 - tm;
                stt += t * t;
                stx += t * (v - xm);
            }
            let slope = if stt > 0.0 { stx / stt } else { 0.0 };
            for (i, v) in x.iter_mut().enumerate() {
                *v -= xm + slope * (i as f64 - tm);
            }
        }
    }
}

/// The periodic Hann window of length `n` (`scipy.signal.get_window("hann", n)`).
pub fn hann_periodic(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect()
}

/// A Welch estimator with its FFT plan and buffers, reusable across calls and channels.
pub struct WelchPlan {
    params: Welch,
    fs: f64,
    nperseg: usize,
    step: usize,
    window: Vec<f64>,
    fft: Arc<dyn RealToComplex<f64>>,
    seg: Vec<f64>,
    spec: Vec<realfft::num_complex::Complex<f64>>,
    scratch: Vec<realfft::num_complex::Complex<f64>>,
    scale: f64,
}

impl WelchPlan {
    /// Plan for signals of `n_samples` samples at `fs` Hz.
    pub fn new(params: Welch, fs: f64, n_samples: usize) -> Result<Self> {
        if !fs.is_finite() || fs <= 0.0 {
            return Err(Error::invalid(
                "sampling rate",
                fs,
                "must be a finite number above 0 Hz",
            ));
        }
        if n_samples == 0 {
            return Err(Error::invalid(
                "signal length",
                0,
                "need at least one sample",
            ));
        }
        if params.nperseg == 0 {
            return Err(Error::invalid("nperseg", 0, "must be at least 1"));
        }
        let nperseg = params.nperseg.min(n_samples);
        let noverlap = params.noverlap.unwrap_or(nperseg / 2);
        if noverlap >= nperseg {
            return Err(Error::invalid(
                "noverlap",
                noverlap,
                format!("must be less than nperseg ({nperseg})"),
            ));
        }
        let window = hann_periodic(nperseg);
        let scale = match params.scaling {
            Scaling::Density => 1.0 / (fs * window.iter().map(|w| w * w).sum::<f64>()),
            Scaling::Spectrum => 1.0 / window.iter().sum::<f64>().powi(2),
        };
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(nperseg);
        let spec = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Ok(WelchPlan {
            params,
            fs,
            nperseg,
            step: nperseg - noverlap,
            window,
            fft,
            seg: vec![0.0; nperseg],
            spec,
            scratch,
            scale,
        })
    }

    /// Bin frequencies in Hz.
    pub fn freqs(&self) -> Vec<f64> {
        (0..self.nperseg / 2 + 1)
            .map(|k| k as f64 * self.fs / self.nperseg as f64)
            .collect()
    }

    /// The estimate for one signal into `out` (length `nperseg / 2 + 1`).
    pub fn run(&mut self, x: &[f64], out: &mut [f64]) -> Result<()> {
        let nbins = self.nperseg / 2 + 1;
        if out.len() != nbins {
            return Err(Error::invalid(
                "output length",
                out.len(),
                format!("must be nperseg/2 + 1 = {nbins}"),
            ));
        }
        if x.len() < self.nperseg {
            return Err(Error::invalid(
                "signal length",
                x.len(),
                format!("must be at least nperseg = {}", self.nperseg),
            ));
        }
        out.iter_mut().for_each(|v| *v = 0.0);
        let n_seg = (x.len() - self.nperseg) / self.step + 1;
        for s in 0..n_seg {
            let start = s * self.step;
            self.seg.copy_from_slice(&x[start..start + self.nperseg]);
            detrend(&mut self.seg, self.params.detrend);
            for (v, w) in self.seg.iter_mut().zip(&self.window) {
                *v *= w;
            }
            self.fft
                .process_with_scratch(&mut self.seg, &mut self.spec, &mut self.scratch)
                .map_err(|e| Error::invalid("fft", self.nperseg, e.to_string()))?;
            for (o, c) in out.iter_mut().zip(&self.spec) {
                *o += c.norm_sqr();
            }
        }
        // One-sided: double every bin except DC and, for even nperseg, Nyquist.
        let last = if self.nperseg.is_multiple_of(2) {
            nbins - 1
        } else {
            nbins
        };
        for (k, o) in out.iter_mut().enumerate() {
            let mut v = *o * self.scale;
            if k > 0 && k < last {
                v *= 2.0;
            }
            *o = v / n_seg as f64;
        }
        Ok(())
    }
}

/// Welch PSD of every row of `x` (channels × samples) at `fs` Hz.
pub fn welch(x: ArrayView2<f64>, fs: f64, params: Welch) -> Result<Spectrum> {
    let (nch, n) = x.dim();
    let mut plan = WelchPlan::new(params, fs, n)?;
    let freqs = plan.freqs();
    let mut power = Array2::zeros((nch, freqs.len()));
    let mut row_buf = vec![0.0; n];
    for (c, mut out) in power.outer_iter_mut().enumerate() {
        let row = x.row(c);
        let xs: &[f64] = match row.as_slice() {
            Some(s) => s,
            None => {
                row_buf
                    .iter_mut()
                    .zip(row.iter())
                    .for_each(|(d, s)| *d = *s);
                &row_buf
            }
        };
        if let Some(o) = out.as_slice_mut() {
            plan.run(xs, o)?;
        }
    }
    Ok(Spectrum { freqs, power })
}

/// Power in `[lo, hi]` Hz of one PSD row, by the trapezoidal rule over the bins inside the band
/// (µV² for a density).
pub fn band_power(freqs: &[f64], psd: &[f64], lo: f64, hi: f64) -> Result<f64> {
    if !(lo.is_finite() && hi.is_finite()) || lo >= hi || lo < 0.0 {
        return Err(Error::invalid(
            "band",
            format!("{lo}-{hi} Hz"),
            "need 0 <= low < high, both finite",
        ));
    }
    if freqs.len() != psd.len() {
        return Err(Error::Mismatch(format!(
            "{} frequencies but {} PSD values",
            freqs.len(),
            psd.len()
        )));
    }
    let idx: Vec<usize> = (0..freqs.len())
        .filter(|&i| freqs[i] >= lo && freqs[i] <= hi)
        .collect();
    if idx.len() < 2 {
        return Err(Error::invalid(
            "band",
            format!("{lo}-{hi} Hz"),
            "holds fewer than two frequency bins; widen it or use longer segments",
        ));
    }
    Ok(idx
        .windows(2)
        .map(|w| 0.5 * (psd[w[0]] + psd[w[1]]) * (freqs[w[1]] - freqs[w[0]]))
        .sum())
}

/// Band power divided by the power over all bins (trapezoidal rule over the whole spectrum).
pub fn relative_band_power(freqs: &[f64], psd: &[f64], lo: f64, hi: f64) -> Result<f64> {
    let band = band_power(freqs, psd, lo, hi)?;
    let (first, last) = match (freqs.first(), freqs.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => return Err(Error::invalid("spectrum", "empty", "no bins")),
    };
    let total = band_power(freqs, psd, first, last)?;
    if total <= 0.0 {
        return Err(Error::invalid(
            "spectrum",
            "total power 0",
            "relative power undefined for a flat-zero signal",
        ));
    }
    Ok(band / total)
}
