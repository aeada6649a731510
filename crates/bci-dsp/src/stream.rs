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
    /// AVX2 + FMA; `sym` when every section, normalised to `b0 = 1` with the gains moved to the
    /// input, has `b2 = 1` (all Butterworth/Chebyshev/Bessel band sections and notches do): then
    /// `y = x + z0` is an add and `z1 = x - a2 y` one fused op.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma {
        sym: bool,
    },
}

fn choose(kernel: Kernel) -> Chosen {
    match kernel {
        Kernel::Portable => Chosen::Portable,
        Kernel::Auto => {
            #[cfg(target_arch = "x86_64")]
            {
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    return Chosen::Avx2Fma { sym: false };
                }
            }
            Chosen::Portable
        }
    }
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
            && rows.iter().all(|r| r[0] != 0.0 && r[2] == r[0])
            && rows.iter().map(|r| r[0].abs()).product::<f64>() > 1e-30
        {
            // Move each section's b0 to one input gain: scipy's own layout for band filters,
            // where only the first section carries the gain.
            realised = rows
                .iter()
                .map(|r| [1.0, r[1] / r[0], 1.0, 1.0, r[4], r[5]])
                .collect();
            gain = rows.iter().map(|r| r[0]).product();
            chosen = Chosen::Avx2Fma { sym: true };
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
            Chosen::Avx2Fma { sym } => unsafe { avx::run_f64(coef, gain, sym, state, data, nch) },
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
            Chosen::Avx2Fma { sym } => unsafe { avx::run_f32(coef, gain, sym, state, data, nch) },
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    //! AVX2 + FMA kernels. Channels are split into groups of one vector; for each block of
    //! frames and each group of up to `K` sections, a channel group's section states stay in
    //! registers while the frames stream through. The operation sequence per channel, the same
    //! in the vector lanes and in the scalar tail, is
    //! - general: `y = fma(b0, x, z0); z0 = fma(-a1, y, fma(b1, x, z1)); z1 = fma(-a2, y, b2 * x)`
    //! - `sym` (b0 = b2 = 1 after moving the gains to the input, `x *= gain` before the first
    //!   section): `y = x + z0; z0 = fma(-a1, y, fma(b1, x, z1)); z1 = fma(-a2, y, x)`.

    use super::BLOCK_FRAMES;
    use std::arch::x86_64::*;

    /// Sections per register-resident group.
    const K_MAX: usize = 2;
    /// Channel vectors per inner loop.
    const GROUP: usize = 2;

    macro_rules! kernel {
        ($name:ident, $group:ident, $tail:ident, $t:ty, $v:ty, $lanes:expr,
         $load:ident, $store:ident, $set1:ident, $fmadd:ident, $mul:ident, $add:ident) => {
            /// # Safety
            /// The CPU must support AVX2 and FMA; `state.len() == coef.len() * 2 * nch`,
            /// `data.len()` a multiple of `nch`.
            #[target_feature(enable = "avx2,fma")]
            pub(super) unsafe fn $name(
                coef: &[[$t; 5]],
                gain: $t,
                sym: bool,
                state: &mut [$t],
                data: &mut [$t],
                nch: usize,
            ) {
                let n_frames = data.len() / nch;
                let n_vec = nch / $lanes;
                let mut f0 = 0;
                while f0 < n_frames {
                    let f1 = (f0 + BLOCK_FRAMES).min(n_frames);
                    let mut s0 = 0;
                    while s0 < coef.len() {
                        let k = (coef.len() - s0).min(K_MAX);
                        let g = if s0 == 0 && sym { Some(gain) } else { None };
                        let mut v = 0;
                        while v < n_vec {
                            let ch0 = v * $lanes;
                            let pair = v + GROUP <= n_vec;
                            // SAFETY: caller guarantees the features and the slice shapes.
                            unsafe {
                                macro_rules! call {
                                    ($k:literal, $sym:literal) => {
                                        if pair {
                                            $group::<$k, $sym, GROUP>(
                                                coef, g, state, data, nch, s0, ch0, f0, f1,
                                            )
                                        } else {
                                            $group::<$k, $sym, 1>(
                                                coef, g, state, data, nch, s0, ch0, f0, f1,
                                            )
                                        }
                                    };
                                }
                                match (k, sym) {
                                    (4, true) => call!(4, true),
                                    (3, true) => call!(3, true),
                                    (2, true) => call!(2, true),
                                    (_, true) => call!(1, true),
                                    (4, false) => call!(4, false),
                                    (3, false) => call!(3, false),
                                    (2, false) => call!(2, false),
                                    (_, false) => call!(1, false),
                                }
                            }
                            v += if pair { GROUP } else { 1 };
                        }
                        for ch in n_vec * $lanes..nch {
                            // SAFETY: as above.
                            unsafe {
                                $tail(coef, g, sym, state, data, nch, s0, s0 + k, ch, f0, f1)
                            };
                        }
                        s0 += k;
                    }
                    f0 = f1;
                }
            }

            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn $group<const K: usize, const SYM: bool, const G: usize>(
                coef: &[[$t; 5]],
                gain: Option<$t>,
                state: &mut [$t],
                data: &mut [$t],
                nch: usize,
                s0: usize,
                ch0: usize,
                f0: usize,
                f1: usize,
            ) {
                let mut b0 = [$set1(0.0); K];
                let mut b1 = [$set1(0.0); K];
                let mut b2 = [$set1(0.0); K];
                let mut na1 = [$set1(0.0); K];
                let mut na2 = [$set1(0.0); K];
                let mut z0 = [[$set1(0.0); G]; K];
                let mut z1 = [[$set1(0.0); G]; K];
                let sp = state.as_mut_ptr();
                for j in 0..K {
                    let c = coef[s0 + j];
                    b0[j] = $set1(c[0]);
                    b1[j] = $set1(c[1]);
                    b2[j] = $set1(c[2]);
                    na1[j] = $set1(c[3]);
                    na2[j] = $set1(c[4]);
                    for g in 0..G {
                        let ch = ch0 + g * $lanes;
                        // SAFETY: (2*(s0+j)+1)*nch + ch + lanes <= state.len() by the layout.
                        unsafe {
                            z0[j][g] = $load(sp.add(2 * (s0 + j) * nch + ch));
                            z1[j][g] = $load(sp.add((2 * (s0 + j) + 1) * nch + ch));
                        }
                    }
                }
                let gv = $set1(gain.unwrap_or(1.0));
                let scale = gain.is_some();
                let dp = data.as_mut_ptr();
                for f in f0..f1 {
                    // SAFETY: f < n_frames and ch0 + G * lanes <= nch.
                    unsafe {
                        let p = dp.add(f * nch + ch0);
                        let mut x: [$v; G] = [$set1(0.0); G];
                        for g in 0..G {
                            x[g] = $load(p.add(g * $lanes));
                            if scale {
                                x[g] = $mul(x[g], gv);
                            }
                        }
                        for j in 0..K {
                            for g in 0..G {
                                if SYM {
                                    let y = $add(x[g], z0[j][g]);
                                    z0[j][g] = $fmadd(na1[j], y, $fmadd(b1[j], x[g], z1[j][g]));
                                    z1[j][g] = $fmadd(na2[j], y, x[g]);
                                    x[g] = y;
                                } else {
                                    let y = $fmadd(b0[j], x[g], z0[j][g]);
                                    z0[j][g] = $fmadd(na1[j], y, $fmadd(b1[j], x[g], z1[j][g]));
                                    z1[j][g] = $fmadd(na2[j], y, $mul(b2[j], x[g]));
                                    x[g] = y;
                                }
                            }
                        }
                        for g in 0..G {
                            $store(p.add(g * $lanes), x[g]);
                        }
                    }
                }
                for j in 0..K {
                    for g in 0..G {
                        let ch = ch0 + g * $lanes;
                        // SAFETY: as for the loads.
                        unsafe {
                            $store(sp.add(2 * (s0 + j) * nch + ch), z0[j][g]);
                            $store(sp.add((2 * (s0 + j) + 1) * nch + ch), z1[j][g]);
                        }
                    }
                }
            }

            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            unsafe fn $tail(
                coef: &[[$t; 5]],
                gain: Option<$t>,
                sym: bool,
                state: &mut [$t],
                data: &mut [$t],
                nch: usize,
                s0: usize,
                s1: usize,
                ch: usize,
                f0: usize,
                f1: usize,
            ) {
                if let Some(g) = gain {
                    for f in f0..f1 {
                        data[f * nch + ch] *= g;
                    }
                }
                for s in s0..s1 {
                    let c = coef[s];
                    let mut z0 = state[2 * s * nch + ch];
                    let mut z1 = state[(2 * s + 1) * nch + ch];
                    for f in f0..f1 {
                        let x = data[f * nch + ch];
                        let y;
                        if sym {
                            y = x + z0;
                            z0 = c[3].mul_add(y, c[1].mul_add(x, z1));
                            z1 = c[4].mul_add(y, x);
                        } else {
                            y = c[0].mul_add(x, z0);
                            z0 = c[3].mul_add(y, c[1].mul_add(x, z1));
                            z1 = c[4].mul_add(y, c[2] * x);
                        }
                        data[f * nch + ch] = y;
                    }
                    state[2 * s * nch + ch] = z0;
                    state[(2 * s + 1) * nch + ch] = z1;
                }
            }
        };
    }

    kernel!(
        run_f64,
        group_f64,
        tail_f64,
        f64,
        __m256d,
        4,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_mul_pd,
        _mm256_add_pd
    );
    kernel!(
        run_f32,
        group_f32,
        tail_f32,
        f32,
        __m256,
        8,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_mul_ps,
        _mm256_add_ps
    );
}
