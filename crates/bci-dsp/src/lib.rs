//! Signal processing for EEG: filter design, streaming and zero-phase filtering, spectra,
//! re-referencing and decimation.
//!
//! What it promises:
//! - **Design equal to scipy.** [`butter`], [`cheby1`], [`bessel`] (phase-normalised),
//!   [`iirnotch`] give the second-order sections of `scipy.signal` row for row (same pole/zero
//!   pairing and order) within 1e-10; [`notch_comb`] cascades notches at a mains frequency and
//!   its harmonics.
//! - **Streaming with state.** [`SosFilter`] filters interleaved chunks (f64 or f32) and keeps
//!   each channel's state: any chunking gives bit-identical output to one call. It allocates
//!   nothing after construction and picks AVX2+FMA at run time when the CPU has them.
//! - **Offline equal to scipy and MNE.** [`sosfilt`] and [`sosfiltfilt`] (odd padding, scipy's
//!   padlen rule, `sosfilt_zi` starts) on channels × samples arrays; [`MneIir`] reproduces
//!   `raw.filter(l, h, method="iir")`: its design, its `reflect_limited` padding and its filtering.
//! - **Spectra.** [`welch`] as `scipy.signal.welch` (periodic Hann, 50% overlap, constant
//!   detrend, one-sided, density or spectrum), [`band_power`], [`relative_band_power`],
//!   [`detrend`].
//! - Invalid parameters are [`bci_core::Error::InvalidParameter`] naming the value; no NaN output
//!   without an error.
//!
//! ```
//! use bci_dsp::{Band, SosFilter, butter};
//! let sos = butter(4, Band::Bandpass(8.0, 30.0), 250.0)?;
//! let mut filter = SosFilter::<f32>::new(&sos, 8)?;
//! let mut chunk = vec![1.0f32; 8 * 25]; // 25 frames of 8 channels
//! filter.process(&mut chunk)?;
//! # Ok::<(), bci_core::Error>(())
//! ```

pub mod attention;
mod decimate;
mod design;
mod offline;
mod reference;
mod spectral;
mod stream;

pub use attention::{AttentionConfig, AttentionIndex, AttentionMonitor, FreqBand};
pub use decimate::{Decimator, anti_alias, decimate};
pub use design::{
    Band, MAX_ORDER, Prototype, Sos, bessel, butter, cheby1, iirfilter, iirnotch, notch_comb,
};
pub use offline::{
    Initial, MneIir, all_finite, estimate_ringing_samples, sosfilt, sosfilt_with, sosfiltfilt,
    sosfiltfilt_inplace, sosfiltfilt_with,
};
pub use reference::{common_average, rereference};
pub use spectral::{
    Detrend, Scaling, Spectrum, Welch, WelchPlan, band_power, detrend, hann_periodic,
    relative_band_power, welch,
};
pub use stream::{Kernel, Sample, SosFilter};
