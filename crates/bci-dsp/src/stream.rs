//! Causal multi-channel SOS filtering that keeps its state between chunks.
//!
//! Data are frame-major interleaved (`data[frame * n_channels + channel]`), as chunks travel
//! through a live stream. Each section is a transposed direct form II, as in scipy's `sosfilt`.
//!
//! Promises:
//! - Filtering a stream in chunks of any sizes gives bit-identical output to one call over the
//!   whole stream: every channel goes through the same operations in the same order whatever the
//!   chunk boundaries (the state between chunks is exactly the state between two frames).
//! - No allocation after construction.
//! - The kernel is chosen once at construction by run-time CPU detection: on x86-64 with AVX2
//!   and FMA, channels are processed 8 (f32) or 4 (f64) at a time with fused multiply-adds; a
//!   channel's numbers do not depend on which lane or tail it falls in (the tail uses the same
//!   fused operations). Elsewhere (or with [`Kernel::Portable`]) plain multiply and add in
//!   scipy's order are used. The two kernels differ only in rounding (about 1e-16 relative in f64).

use bci_core::{Error, Result};

use crate::design::Sos;

/// Frames processed per pass over a group of sections; keeps the working block in L1/L2 while
/// several sections run over it.
const BLOCK_FRAMES: usize = 64;

/// Which arithmetic kernel a filter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// The fastest the CPU offers (AVX2 + FMA when detected, else portable).
    Auto,
    /// Plain multiply and add, scipy's operation order, any CPU.
    Portable,
}

/// The kernel a filter settled on (implementation detail of [`Sample`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    Portable,
    /// AVX2 + FMA in one of the realisations of [`Form`].
    #[cfg(target_arch = "x86_64")]
    Avx2Fma {
        form: Form,
    },
}

/// How the sections are realised for the SIMD kernel (implementation detail of [`Sample`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// scipy's sections as they are.
    General,
    /// Every section normalised to `b0 = 1` with the gains moved to the input has `b2 = 1`
    /// (Butterworth/Chebyshev/Bessel band sections, notches): `y = x + z0` is an add and
    /// `z1 = x - a2 y` one fused operation.
    Sym,
    /// Every numerator is `b0 (1 + z^-1)^2`, `b0 (1 - z^-1)^2` or `b0 (1 - z^-2)`, with as many
    /// zeros at z = 1 as at z = -1 overall (Butterworth, Chebyshev I and Bessel band-passes):
    /// the zeros are regrouped so that every section's numerator is `1 - z^-2` (the same
    /// transfer function, only rounding differs) and each section costs one add and two fused
    /// operations.
    Band,
}

fn choose(kernel: Kernel) -> Chosen {
    match kernel {
        Kernel::Portable => Chosen::Portable,
        Kernel::Auto => {
            #[cfg(target_arch = "x86_64")]
            {
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    return Chosen::Avx2Fma {
                        form: Form::General,
                    };
                }
            }
            Chosen::Portable
        }
    }
}

/// Whether every section's zeros sit at z = +1 and z = -1, as many at each overall (checked
/// exactly on the coefficients; `b0 != 0`).
fn band_zeros(rows: &[[f64; 6]]) -> bool {
    let (mut at_plus, mut at_minus) = (0usize, 0usize);
    for r in rows {
        let (b0, b1, b2) = (r[0], r[1], r[2]);
        if b0 == 0.0 || !b0.is_finite() {
            return false;
        }
        if b2 == b0 && b1 == 2.0 * b0 {
            at_minus += 2;
        } else if b2 == b0 && b1 == -2.0 * b0 {
            at_plus += 2;
        } else if b2 == -b0 && b1 == 0.0 {
            at_plus += 1;
            at_minus += 1;
        } else {
            return false;
        }
    }
    at_plus == at_minus
}

/// Sample types the streaming filter runs on: `f64` (offline, reference-exact) and `f32`
/// (streaming, twice the lanes).
pub trait Sample: Copy + Default + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// Convert a coefficient.
    fn from_f64(v: f64) -> Self;
    /// Widen for checks and output.
    fn to_f64(self) -> f64;
    #[doc(hidden)]
    fn run(
        kernel: Chosen,
        coef: &[[Self; 5]],
        gain: Self,
        state: &mut [Self],
        data: &mut [Self],
        nch: usize,
    );
}

/// A causal SOS cascade over `n_channels` interleaved channels, with per-channel state.
#[derive(Debug, Clone)]
pub struct SosFilter<T: Sample> {
    /// Per section `[b0, b1, b2, -a1, -a2]` of the realised cascade (see [`Chosen`]).
    coef: Vec<[T; 5]>,
    /// Input gain of the realised cascade (1 unless the gains were moved to the input).
    gain: T,
    zi: Vec<[f64; 2]>,
    /// Layout `[section][2][channel]`.
    state: Vec<T>,
    n_channels: usize,
    kernel: Chosen,
}

impl<T: Sample> SosFilter<T> {
    /// A filter over `n_channels` channels starting from zero state (scipy's default).
    pub fn new(sos: &Sos, n_channels: usize) -> Result<Self> {
        Self::with_kernel(sos, n_channels, Kernel::Auto)
    }

    /// As [`SosFilter::new`] with an explicit kernel choice.
    pub fn with_kernel(sos: &Sos, n_channels: usize, kernel: Kernel) -> Result<Self> {
        if n_channels == 0 {
            return Err(Error::invalid(
                "number of channels",
                0,
                "need at least one channel",
            ));
        }
        let mut chosen = choose(kernel);
        let rows = sos.sections();
        let mut realised: Vec<[f64; 6]> = rows.to_vec();
        let mut gain = 1.0;
        #[cfg(target_arch = "x86_64")]
        if chosen != Chosen::Portable
            && rows.iter().all(|r| r[0] != 0.0 && r[2].abs() == r[0].abs())
            && rows.iter().map(|r| r[0].abs()).product::<f64>() > 1e-30
        {
            // Move each section's b0 to one input gain: scipy's own layout for band filters,
            // where only the first section carries the gain.
            gain = rows.iter().map(|r| r[0]).product();
            if band_zeros(rows) {
                realised = rows
                    .iter()
                    .map(|r| [1.0, 0.0, -1.0, 1.0, r[4], r[5]])
                    .collect();
                chosen = Chosen::Avx2Fma { form: Form::Band };
            } else if rows.iter().all(|r| r[2] == r[0]) {
                realised = rows
                    .iter()
                    .map(|r| [1.0, r[1] / r[0], 1.0, 1.0, r[4], r[5]])
                    .collect();
                chosen = Chosen::Avx2Fma { form: Form::Sym };
            } else {
                gain = 1.0;
            }
        }
        let coef = realised
            .iter()
            .map(|s| {
                [
                    T::from_f64(s[0]),
                    T::from_f64(s[1]),
                    T::from_f64(s[2]),
                    T::from_f64(-s[4]),
                    T::from_f64(-s[5]),
                ]
            })
            .collect();
        // Steady state of the realised cascade: its input is the signal times `gain`.
        let zi = Sos::new(realised)?
            .zi()
            .into_iter()
            .map(|[a, b]| [a * gain, b * gain])
            .collect();
        Ok(SosFilter {
            coef,
            gain: T::from_f64(gain),
            zi,
            state: vec![T::default(); sos.len() * 2 * n_channels],
            n_channels,
            kernel: chosen,
        })
    }

    /// Number of channels per frame.
    pub fn n_channels(&self) -> usize {
        self.n_channels
    }

    /// Whether the SIMD (AVX2 + FMA) kernel is in use.
    pub fn is_simd(&self) -> bool {
        self.kernel != Chosen::Portable
    }

    /// Back to zero state.
    pub fn reset(&mut self) {
        self.state.iter_mut().for_each(|v| *v = T::default());
    }

    /// Steady-state start for a signal that has been at `frame` forever (`sosfilt_zi * x[0]`):
    /// no transient at the start of a stream.
    pub fn set_steady_state(&mut self, frame: &[T]) -> Result<()> {
        if frame.len() != self.n_channels {
            return Err(Error::invalid(
                "frame length",
                frame.len(),
                format!("expected one value per channel ({})", self.n_channels),
            ));
        }
        let nch = self.n_channels;
        for (s, zi) in self.zi.iter().enumerate() {
            for (c, x) in frame.iter().enumerate() {
                let x = x.to_f64();
                self.state[(2 * s) * nch + c] = T::from_f64(zi[0] * x);
                self.state[(2 * s + 1) * nch + c] = T::from_f64(zi[1] * x);
            }
        }
        Ok(())
    }

    /// Filter interleaved frames in place, continuing from the state the previous call left.
    /// `data.len()` must be a multiple of the channel count.
    pub fn process(&mut self, data: &mut [T]) -> Result<()> {
        if !data.len().is_multiple_of(self.n_channels) {
            return Err(Error::invalid(
                "chunk length",
                data.len(),
                format!(
                    "must be a multiple of the channel count {}",
                    self.n_channels
                ),
            ));
        }
        T::run(
            self.kernel,
            &self.coef,
            self.gain,
            &mut self.state,
            data,
            self.n_channels,
        );
        Ok(())
    }

    /// Filter `input` into `output` (same length), continuing from the current state.
    pub fn process_into(&mut self, input: &[T], output: &mut [T]) -> Result<()> {
        if input.len() != output.len() {
            return Err(Error::invalid(
                "output length",
                output.len(),
                format!("must equal the input length {}", input.len()),
            ));
        }
        output.copy_from_slice(input);
        self.process(output)
    }
}

/// Portable kernel: scipy's operation order, section by section over a block of frames.
fn run_portable<T>(coef: &[[T; 5]], state: &mut [T], data: &mut [T], nch: usize)
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    let n_frames = data.len() / nch;
    let mut f0 = 0;
    while f0 < n_frames {
        let f1 = (f0 + BLOCK_FRAMES).min(n_frames);
        let block = &mut data[f0 * nch..f1 * nch];
        for (s, c) in coef.iter().enumerate() {
            let (z0s, rest) = state[2 * s * nch..].split_at_mut(nch);
            let z1s = &mut rest[..nch];
            for frame in block.chunks_exact_mut(nch) {
                for ((x, z0), z1) in frame.iter_mut().zip(z0s.iter_mut()).zip(z1s.iter_mut()) {
                    let xi = *x;
                    let y = c[0] * xi + *z0;
                    // scipy: z0 = b1*x - a1*y + z1; z1 = b2*x - a2*y (here -a stored).
                    *z0 = c[1] * xi + c[3] * y + *z1;
                    *z1 = c[2] * xi + c[4] * y;
                    *x = y;
                }
            }
        }
        f0 = f1;
    }
}

impl Sample for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn run(
        kernel: Chosen,
        coef: &[[f64; 5]],
        gain: f64,
        state: &mut [f64],
        data: &mut [f64],
        nch: usize,
    ) {
        match kernel {
            Chosen::Portable => run_portable(coef, state, data, nch),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: Avx2Fma is only chosen after detecting avx2 and fma at run time.
            Chosen::Avx2Fma { form } => unsafe { avx::run_f64(coef, gain, form, state, data, nch) },
        }
    }
}

impl Sample for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn run(
        kernel: Chosen,
        coef: &[[f32; 5]],
        gain: f32,
        state: &mut [f32],
        data: &mut [f32],
        nch: usize,
    ) {
        match kernel {
            Chosen::Portable => run_portable(coef, state, data, nch),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: Avx2Fma is only chosen after detecting avx2 and fma at run time.
            Chosen::Avx2Fma { form } => unsafe { avx::run_f32(coef, gain, form, state, data, nch) },
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[path = "kernel_avx.rs"]
pub(crate) mod avx;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{Band, bessel, butter, cheby1};
    use proptest::prelude::*;

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed
            .wrapping_mul(2862933555777941757)
            .wrapping_add(3037000493);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 200.0
            })
            .collect()
    }

    #[test]
    fn band_zeros_are_recognised_exactly() {
        for order in 1..=10 {
            let bp = butter(order, Band::Bandpass(8.0, 30.0), 250.0).unwrap();
            assert!(band_zeros(bp.sections()), "butter band-pass order {order}");
        }
        let c = cheby1(4, 1.0, Band::Bandpass(1.0, 40.0), 250.0).unwrap();
        assert!(band_zeros(c.sections()));
        // Low-pass and high-pass have all their zeros on one side: not the band form.
        let lp = butter(4, Band::Lowpass(30.0), 250.0).unwrap();
        let hp = butter(4, Band::Highpass(1.0), 250.0).unwrap();
        assert!(!band_zeros(lp.sections()) && !band_zeros(hp.sections()));
        let bessel_lp = bessel(5, Band::Lowpass(30.0), 250.0).unwrap();
        assert!(!band_zeros(bessel_lp.sections()));
    }

    #[test]
    fn band_form_equals_portable_kernel_to_rounding() {
        let nch = 11;
        let x = noise(nch * 3000, 7);
        for (lo, hi, fs, order) in [
            (8.0, 30.0, 250.0, 4),
            (0.5, 45.0, 250.0, 2),
            (1.0, 3.0, 1000.0, 6),
            (100.0, 7000.0, 16000.0, 3),
        ] {
            let sos = butter(order, Band::Bandpass(lo, hi), fs).unwrap();
            let mut auto = SosFilter::<f64>::new(&sos, nch).unwrap();
            #[cfg(target_arch = "x86_64")]
            if auto.is_simd() {
                assert_eq!(auto.kernel, Chosen::Avx2Fma { form: Form::Band });
            }
            let mut portable = SosFilter::<f64>::with_kernel(&sos, nch, Kernel::Portable).unwrap();
            let (mut a, mut p) = (x.clone(), x.clone());
            auto.set_steady_state(&x[..nch]).unwrap();
            portable.set_steady_state(&x[..nch]).unwrap();
            auto.process(&mut a).unwrap();
            portable.process(&mut p).unwrap();
            let rms = (p.iter().map(|v| v * v).sum::<f64>() / p.len() as f64).sqrt();
            let err = a
                .iter()
                .zip(&p)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                err <= 1e-11 * rms,
                "{lo}-{hi} Hz order {order}: {err:e} (rms {rms})"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The band form (a pure band-pass, no notch) is chunk invariant, in both precisions.
        #[test]
        fn band_form_any_chunking_is_bit_identical(
            nch in 1usize..=21,
            n_frames in 1usize..600,
            cuts in prop::collection::vec(0usize..300, 0..10),
            seed in any::<u64>(),
            order in 1usize..=5,
        ) {
            let sos = butter(order, Band::Bandpass(8.0, 30.0), 250.0).unwrap();
            let x = noise(nch * n_frames, seed);
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            fn run<T: Sample>(sos: &Sos, nch: usize, x: &[T], cuts: &[usize]) -> Vec<T> {
                let mut f = SosFilter::<T>::new(sos, nch).unwrap();
                f.set_steady_state(&x[..nch]).unwrap();
                let mut out = x.to_vec();
                let n_frames = x.len() / nch;
                let mut start = 0;
                for &c in cuts {
                    let end = (start + c).min(n_frames);
                    f.process(&mut out[start * nch..end * nch]).unwrap();
                    start = end;
                }
                f.process(&mut out[start * nch..]).unwrap();
                out
            }
            let (w, c) = (run(&sos, nch, &x, &[]), run(&sos, nch, &x, &cuts));
            prop_assert!(w.iter().zip(&c).all(|(a, b)| a.to_bits() == b.to_bits()));
            let (w, c) = (run(&sos, nch, &x32, &[]), run(&sos, nch, &x32, &cuts));
            prop_assert!(w.iter().zip(&c).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}
