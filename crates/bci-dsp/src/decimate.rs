//! Down-sampling by an integer factor behind an anti-alias filter.
//!
//! The filter is scipy's `decimate(ftype="iir")` choice: Chebyshev type I, order 8, 0.05 dB
//! ripple, cut-off at 0.8 × the new Nyquist frequency. Offline ([`decimate`]) it runs zero-phase
//! like `scipy.signal.decimate(x, q)` (default `zero_phase=True`) and equals it; streaming
//! ([`Decimator`]) it runs causally and keeps its state and its phase (which input sample is
//! kept) across chunks.

use bci_core::{Error, Result};
use ndarray::{Array2, ArrayView2, s};

use crate::design::{Band, Sos, cheby1};
use crate::offline::sosfiltfilt;
use crate::stream::SosFilter;

/// The anti-alias filter for decimation by `q` (`cheby1(8, 0.05, 0.8 / q)`), for any `fs`.
pub fn anti_alias(q: usize, fs: f64) -> Result<Sos> {
    if q < 2 {
        return Err(Error::invalid("decimation factor", q, "must be at least 2"));
    }
    cheby1(8, 0.05, Band::Lowpass(0.8 / q as f64 * fs / 2.0), fs)
}

/// Zero-phase anti-alias filtering then every `q`-th sample, as `scipy.signal.decimate(x, q)`.
pub fn decimate(x: ArrayView2<f64>, q: usize, fs: f64) -> Result<Array2<f64>> {
    let sos = anti_alias(q, fs)?;
    let y = sosfiltfilt(&sos, x, None)?;
    Ok(y.slice(s![.., ..;q]).to_owned())
}

/// Causal streaming decimator over interleaved frames.
pub struct Decimator {
    filter: SosFilter<f64>,
    q: usize,
    /// Input frames to skip before the next kept one (carried across chunks).
    phase: usize,
}

impl Decimator {
    /// Decimate `n_channels` channels at `fs` by `q`; the first input frame is kept.
    pub fn new(q: usize, fs: f64, n_channels: usize) -> Result<Self> {
        Ok(Decimator {
            filter: SosFilter::new(&anti_alias(q, fs)?, n_channels)?,
            q,
            phase: 0,
        })
    }

    /// Filter `chunk` in place and append the kept frames to `out` (which the caller can
    /// reuse, so steady state allocates nothing once `out` has grown).
    pub fn process(&mut self, chunk: &mut [f64], out: &mut Vec<f64>) -> Result<()> {
        self.filter.process(chunk)?;
        let nch = self.filter.n_channels();
        let n = chunk.len() / nch;
        let mut f = self.phase;
        while f < n {
            out.extend_from_slice(&chunk[f * nch..(f + 1) * nch]);
            f += self.q;
        }
        self.phase = f - n;
        Ok(())
    }
}
