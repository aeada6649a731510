//! An online attention / mental-state index from EEG band-power ratios.
//!
//! # Definition
//!
//! Every `step` samples, once `window` samples have arrived, the monitor takes the last
//! `window` samples (default 2 s) of each chosen channel and estimates its power spectral density
//! with Welch's method exactly as [`crate::welch`] (`scipy.signal.welch`): periodic Hann
//! segments of `segment` samples (default 1 s, i.e. 1 Hz bins; clipped to the window), 50%
//! overlap, constant detrend, one-sided density in µV²/Hz. The spectra of the chosen channels
//! are averaged bin by bin (the mean PSD), and band powers are integrated from the mean PSD by
//! the trapezoidal rule over the bins whose frequency lies inside the closed band, as
//! [`crate::band_power`] does:
//!
//! | symbol | band (default) |
//! |---|---|
//! | θ (theta) | 4–8 Hz |
//! | α (alpha) | 8–13 Hz |
//! | β (beta)  | 13–30 Hz |
//! | total     | 1–40 Hz |
//!
//! From these the monitor reports three indices:
//!
//! - **θ/β ratio** `theta_beta = θ / β`. Higher values go with drowsiness and lower sustained
//!   attention; the ratio was proposed as an EEG marker of attention (Lubar, 1991, *Biofeedback
//!   and Self-Regulation* 16(3):201–225; Monastra et al., 1999, *Neuropsychology* 13(3):424–433)
//!   and is the classic neurofeedback target. Its diagnostic value for ADHD is disputed
//!   (Arns et al., 2013, *J. Attention Disorders* 17(5):374–383); here it is a state index
//!   only.
//! - **relative α** `alpha_rel = α / total`. Posterior alpha rises with relaxed wakefulness and
//!   eyes closed and falls with visual attention and mental effort (Berger, 1929;
//!   Klimesch, 1999, *Brain Research Reviews* 29:169–195).
//! - **engagement index** `engagement = β / (α + θ)` (Pope, Bogart & Bartolome, 1995,
//!   *Biological Psychology* 40:187–195): higher means more task engagement; it was built to
//!   drive adaptive automation from the operator's EEG.
//!
//! Averaging the PSD over channels before taking ratios (rather than averaging per-channel
//! ratios) keeps one quiet channel from blowing a ratio up. A ratio whose denominator band holds
//! no power (a flat or all-constant window) is undefined and reported as `NaN`; the inputs never
//! make the monitor fail.
//!
//! # Streaming
//!
//! [`AttentionMonitor`] takes interleaved frames in chunks of any size and reports an
//! [`AttentionIndex`] whenever one becomes due; any chunking gives the same values, and after
//! construction `push` allocates nothing (the window ring, the Welch plan and the PSD buffers
//! are preallocated; `out` only grows if the caller gave it less capacity than needed).
//!
//! ```
//! use bci_dsp::attention::{AttentionConfig, AttentionMonitor};
//! let fs = 250.0;
//! let mut monitor = AttentionMonitor::new(fs, 2, AttentionConfig::default())?;
//! let frames: Vec<f64> = (0..1000)
//!     .flat_map(|i| {
//!         let v = 10.0 * (2.0 * std::f64::consts::PI * 10.0 * i as f64 / fs).sin();
//!         [v, v]
//!     })
//!     .collect();
//! let mut out = Vec::with_capacity(16);
//! monitor.push(&frames, &mut out)?;
//! // 4 s of data, 2 s windows every 0.25 s (63 samples at 250 Hz, rounded): windows end at
//! // samples 499, 562, ..., 940.
//! assert_eq!(out.len(), 8);
//! assert_eq!(out[1].sample_index_end, 562);
//! assert_eq!(out[0].sample_index_end, 499);
//! assert!(out[0].alpha_rel > 0.9); // a 10 Hz sine is all alpha
//! # Ok::<(), bci_core::Error>(())
//! ```

use bci_core::{Error, Result};

use crate::spectral::{Detrend, Scaling, Welch, WelchPlan};

/// A frequency band in Hz, both edges included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FreqBand {
    pub lo: f64,
    pub hi: f64,
}

impl FreqBand {
    pub const fn new(lo: f64, hi: f64) -> Self {
        FreqBand { lo, hi }
    }
}

/// Parameters of the attention monitor; [`Default`] gives the documented definition.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionConfig {
    /// Length of the analysed window in seconds (default 2 s).
    pub window_seconds: f64,
    /// Time between two indices in seconds (default 0.25 s).
    pub step_seconds: f64,
    /// Welch segment length in seconds (default 1 s; clipped to the window).
    pub segment_seconds: f64,
    /// Channels (indices into the frame) whose PSDs are averaged; `None` = all channels.
    pub channels: Option<Vec<usize>>,
    /// θ band (default 4–8 Hz).
    pub theta: FreqBand,
    /// α band (default 8–13 Hz).
    pub alpha: FreqBand,
    /// β band (default 13–30 Hz).
    pub beta: FreqBand,
    /// Band of the total power that `alpha_rel` divides by (default 1–40 Hz).
    pub total: FreqBand,
}

impl Default for AttentionConfig {
    fn default() -> Self {
        AttentionConfig {
            window_seconds: 2.0,
            step_seconds: 0.25,
            segment_seconds: 1.0,
            channels: None,
            theta: FreqBand::new(4.0, 8.0),
            alpha: FreqBand::new(8.0, 13.0),
            beta: FreqBand::new(13.0, 30.0),
            total: FreqBand::new(1.0, 40.0),
        }
    }
}

/// One value of the index, for the window ending at `sample_index_end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionIndex {
    /// Sample index of the window's last sample (inclusive).
    pub sample_index_end: u64,
    /// θ / β.
    pub theta_beta: f64,
    /// α / total.
    pub alpha_rel: f64,
    /// β / (α + θ) (Pope et al., 1995).
    pub engagement: f64,
    /// θ band power of the channel-mean PSD, µV².
    pub theta: f64,
    /// α band power, µV².
    pub alpha: f64,
    /// β band power, µV².
    pub beta: f64,
    /// Total (1–40 Hz by default) band power, µV².
    pub total: f64,
}

/// Bin range `[first, last]` (inclusive) of a band, chosen as [`crate::band_power`] chooses
/// bins: those with `lo <= f <= hi`.
#[derive(Debug, Clone, Copy)]
struct Bins {
    first: usize,
    last: usize,
}

fn bins_of(name: &str, band: FreqBand, freqs: &[f64]) -> Result<Bins> {
    if !(band.lo.is_finite() && band.hi.is_finite()) || band.lo < 0.0 || band.lo >= band.hi {
        return Err(Error::invalid(
            format!("{name} band"),
            format!("{}-{} Hz", band.lo, band.hi),
            "need 0 <= low < high, both finite",
        ));
    }
    let inside: Vec<usize> = (0..freqs.len())
        .filter(|&k| freqs[k] >= band.lo && freqs[k] <= band.hi)
        .collect();
    match (inside.first(), inside.last()) {
        (Some(&first), Some(&last)) if last > first => Ok(Bins { first, last }),
        _ => Err(Error::invalid(
            format!("{name} band"),
            format!("{}-{} Hz", band.lo, band.hi),
            format!(
                "holds fewer than two frequency bins (bin width {:.3} Hz); widen the band or \
                 lengthen segment_seconds",
                freqs.get(1).copied().unwrap_or(f64::NAN)
            ),
        )),
    }
}

fn integrate(freqs: &[f64], psd: &[f64], b: Bins) -> f64 {
    let mut acc = 0.0;
    for k in b.first..b.last {
        acc += 0.5 * (psd[k] + psd[k + 1]) * (freqs[k + 1] - freqs[k]);
    }
    acc
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { f64::NAN }
}

/// Streaming attention index over interleaved frames (see the module documentation).
pub struct AttentionMonitor {
    n_channels: usize,
    channels: Vec<usize>,
    window: usize,
    step: usize,
    /// Chosen channels' last `window` samples, channel-major rings sharing one write position.
    ring: Vec<f64>,
    pos: usize,
    /// Samples seen since the start (or the last reset).
    seen: u64,
    first_sample: u64,
    plan: WelchPlan,
    freqs: Vec<f64>,
    linear: Vec<f64>,
    psd: Vec<f64>,
    psd_mean: Vec<f64>,
    theta: Bins,
    alpha: Bins,
    beta: Bins,
    total: Bins,
}

impl AttentionMonitor {
    /// A monitor for `n_channels`-channel frames at `sample_rate` Hz.
    pub fn new(sample_rate: f64, n_channels: usize, cfg: AttentionConfig) -> Result<Self> {
        if !sample_rate.is_finite() || sample_rate <= 0.0 {
            return Err(Error::invalid(
                "sample rate",
                sample_rate,
                "must be a finite number above 0 Hz",
            ));
        }
        if n_channels == 0 {
            return Err(Error::invalid(
                "channel count",
                0,
                "need at least one channel",
            ));
        }
        let samples = |name: &str, secs: f64| -> Result<usize> {
            let n = secs * sample_rate;
            if !n.is_finite() || n.round() < 1.0 || n > 1e9 {
                return Err(Error::invalid(
                    name,
                    secs,
                    format!("must be at least one sample at {sample_rate} Hz"),
                ));
            }
            Ok(n.round() as usize)
        };
        let window = samples("window_seconds", cfg.window_seconds)?;
        let step = samples("step_seconds", cfg.step_seconds)?;
        let segment = samples("segment_seconds", cfg.segment_seconds)?.min(window);
        if segment < 2 {
            return Err(Error::invalid(
                "segment_seconds",
                cfg.segment_seconds,
                "a Welch segment needs at least two samples",
            ));
        }
        let channels = match &cfg.channels {
            None => (0..n_channels).collect(),
            Some(c) => c.clone(),
        };
        if channels.is_empty() {
            return Err(Error::invalid(
                "attention channels",
                "[]",
                "choose at least one channel",
            ));
        }
        if let Some(&bad) = channels.iter().find(|&&c| c >= n_channels) {
            return Err(Error::invalid(
                "attention channel",
                bad,
                format!("the stream has {n_channels} channels (indices 0..{n_channels})"),
            ));
        }
        let params = Welch {
            nperseg: segment,
            noverlap: None,
            detrend: Detrend::Constant,
            scaling: Scaling::Density,
        };
        let plan = WelchPlan::new(params, sample_rate, window)?;
        let freqs = plan.freqs();
        let theta = bins_of("theta", cfg.theta, &freqs)?;
        let alpha = bins_of("alpha", cfg.alpha, &freqs)?;
        let beta = bins_of("beta", cfg.beta, &freqs)?;
        let total = bins_of("total", cfg.total, &freqs)?;
        let nbins = freqs.len();
        Ok(AttentionMonitor {
            n_channels,
            ring: vec![0.0; channels.len() * window],
            channels,
            window,
            step,
            pos: 0,
            seen: 0,
            first_sample: 0,
            plan,
            freqs,
            linear: vec![0.0; window],
            psd: vec![0.0; nbins],
            psd_mean: vec![0.0; nbins],
            theta,
            alpha,
            beta,
            total,
        })
    }

    /// Window length in samples.
    pub fn window_len(&self) -> usize {
        self.window
    }

    /// Samples between two indices.
    pub fn step_len(&self) -> usize {
        self.step
    }

    /// The channel-mean PSD of the last index computed (µV²/Hz), and its bin frequencies.
    pub fn last_psd(&self) -> (&[f64], &[f64]) {
        (&self.freqs, &self.psd_mean)
    }

    /// Forget the buffered window; the next sample pushed gets index `first_sample`.
    pub fn reset(&mut self, first_sample: u64) {
        self.seen = 0;
        self.pos = 0;
        self.first_sample = first_sample;
        self.ring.iter_mut().for_each(|v| *v = 0.0);
    }

    /// Push interleaved frames (`frames.len()` a multiple of the channel count) and append every
    /// index that became due to `out`. Returns how many were appended.
    pub fn push(&mut self, frames: &[f64], out: &mut Vec<AttentionIndex>) -> Result<usize> {
        let before = out.len();
        self.push_with(frames, |v| out.push(v))?;
        Ok(out.len() - before)
    }

    /// Push interleaved frames and call `emit` with every index that became due, in order.
    pub fn push_with(
        &mut self,
        frames: &[f64],
        mut emit: impl FnMut(AttentionIndex),
    ) -> Result<()> {
        if !frames.len().is_multiple_of(self.n_channels) {
            return Err(Error::invalid(
                "chunk length",
                frames.len(),
                format!(
                    "must be a multiple of the channel count {} (interleaved frames)",
                    self.n_channels
                ),
            ));
        }
        let w = self.window;
        for frame in frames.chunks_exact(self.n_channels) {
            for (i, &c) in self.channels.iter().enumerate() {
                self.ring[i * w + self.pos] = frame[c];
            }
            self.pos += 1;
            if self.pos == w {
                self.pos = 0;
            }
            self.seen += 1;
            let w64 = w as u64;
            if self.seen >= w64 && (self.seen - w64).is_multiple_of(self.step as u64) {
                emit(self.compute()?);
            }
        }
        Ok(())
    }

    fn compute(&mut self) -> Result<AttentionIndex> {
        let w = self.window;
        self.psd_mean.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..self.channels.len() {
            // Oldest sample sits at `pos` once the ring is full.
            let ring = &self.ring[i * w..(i + 1) * w];
            let (newer, older) = ring.split_at(self.pos);
            self.linear[..older.len()].copy_from_slice(older);
            self.linear[older.len()..].copy_from_slice(newer);
            self.plan.run(&self.linear, &mut self.psd)?;
            for (m, p) in self.psd_mean.iter_mut().zip(&self.psd) {
                *m += p;
            }
        }
        let n = self.channels.len() as f64;
        self.psd_mean.iter_mut().for_each(|v| *v /= n);
        let theta = integrate(&self.freqs, &self.psd_mean, self.theta);
        let alpha = integrate(&self.freqs, &self.psd_mean, self.alpha);
        let beta = integrate(&self.freqs, &self.psd_mean, self.beta);
        let total = integrate(&self.freqs, &self.psd_mean, self.total);
        Ok(AttentionIndex {
            sample_index_end: self.first_sample + self.seen - 1,
            theta_beta: ratio(theta, beta),
            alpha_rel: ratio(alpha, total),
            engagement: ratio(beta, alpha + theta),
            theta,
            alpha,
            beta,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sines(fs: f64, n: usize, parts: &[(f64, f64)]) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let t = i as f64 / fs;
                parts
                    .iter()
                    .map(|(f, a)| a * (2.0 * PI * f * t).sin())
                    .sum()
            })
            .collect()
    }

    #[test]
    fn ten_hz_sine_is_alpha() {
        let fs = 250.0;
        let x = sines(fs, 1000, &[(10.0, 20.0)]);
        let mut m = AttentionMonitor::new(fs, 1, AttentionConfig::default()).unwrap();
        let mut out = Vec::new();
        m.push(&x, &mut out).unwrap();
        assert_eq!(out.len(), 8);
        for v in &out {
            assert!(v.alpha_rel > 0.95, "{v:?}");
            assert!(v.engagement < 0.01, "{v:?}");
        }
        // Noise-free 20 Hz: engagement huge, alpha tiny.
        let y = sines(fs, 1000, &[(20.0, 20.0)]);
        m.reset(0);
        out.clear();
        m.push(&y, &mut out).unwrap();
        assert!(
            out.iter()
                .all(|v| v.alpha_rel < 0.01 && v.engagement > 100.0)
        );
    }

    #[test]
    fn theta_beta_ratio_of_two_sines() {
        // 6 Hz (theta) and 20 Hz (beta) on exact 1 Hz bins with a periodic Hann window: each
        // sine's power lands within its band and leaks nowhere else, so θ/β = (a6/a20)².
        let fs = 250.0;
        let (a6, a20) = (30.0, 10.0);
        let x = sines(fs, 750, &[(6.0, a6), (20.0, a20)]);
        let mut m = AttentionMonitor::new(fs, 1, AttentionConfig::default()).unwrap();
        let mut out = Vec::new();
        m.push(&x, &mut out).unwrap();
        assert_eq!(out.len(), 4);
        let want = (a6 / a20).powi(2);
        for v in &out {
            assert!(
                (v.theta_beta - want).abs() < 1e-9 * want,
                "{v:?} want {want}"
            );
            // Power of a sine of amplitude a is a²/2 µV².
            assert!((v.theta - a6 * a6 / 2.0).abs() < 1e-9 * a6 * a6);
            assert!((v.beta - a20 * a20 / 2.0).abs() < 1e-9 * a20 * a20);
        }
    }

    #[test]
    fn chunking_and_channel_choice() {
        let fs = 160.0;
        let n = 800;
        let a = sines(fs, n, &[(6.0, 5.0), (11.0, 3.0), (22.0, 2.0)]);
        let b = sines(fs, n, &[(9.0, 4.0), (17.0, 6.0)]);
        let frames: Vec<f64> = (0..n).flat_map(|i| [a[i], 1e6, b[i]]).collect();
        let cfg = AttentionConfig {
            channels: Some(vec![0, 2]),
            ..Default::default()
        };
        let mut whole = AttentionMonitor::new(fs, 3, cfg.clone()).unwrap();
        let mut want = Vec::new();
        whole.push(&frames, &mut want).unwrap();
        let mut split = AttentionMonitor::new(fs, 3, cfg).unwrap();
        let mut got = Vec::new();
        for chunk in frames.chunks(3 * 7) {
            split.push(chunk, &mut got).unwrap();
        }
        assert_eq!(got, want);
        assert!(!want.is_empty());
        assert!(
            AttentionMonitor::new(fs, 3, AttentionConfig::default())
                .unwrap()
                .push(&frames[..4], &mut got)
                .is_err()
        );
    }

    #[test]
    fn flat_window_is_nan_not_error_and_bad_config_is_error() {
        let mut m = AttentionMonitor::new(250.0, 2, AttentionConfig::default()).unwrap();
        let mut out = Vec::new();
        m.push(&vec![5.0; 2 * 500], &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].theta_beta.is_nan() && out[0].alpha_rel.is_nan());
        let bad = AttentionConfig {
            channels: Some(vec![2]),
            ..Default::default()
        };
        let e = AttentionMonitor::new(250.0, 2, bad).err().unwrap();
        assert!(e.to_string().contains("attention channel"), "{e}");
        let narrow = AttentionConfig {
            segment_seconds: 0.1,
            ..Default::default()
        };
        let e = AttentionMonitor::new(250.0, 2, narrow).err().unwrap();
        assert!(e.to_string().contains("fewer than two"), "{e}");
        assert!(AttentionMonitor::new(0.0, 2, AttentionConfig::default()).is_err());
    }
}
