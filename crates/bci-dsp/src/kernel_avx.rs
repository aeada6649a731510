//! AVX2 + FMA kernels of the streaming filter (x86-64, chosen at run time).
//!
//! Channels are split into vectors of 8 (f32) or 4 (f64) lanes. For each block of frames and
//! each group of up to `K` sections, a channel vector's section states stay in registers while
//! the block's frames stream through (time-major within the vector, reading and writing the
//! interleaved frames with a stride of one frame). The operation sequence per channel, the same
//! in the vector lanes and in the scalar tail, is
//! - [`Form::General`]: `y = fma(b0, x, z0); z0 = fma(-a1, y, fma(b1, x, z1));
//!   z1 = fma(-a2, y, b2 * x)`;
//! - [`Form::Sym`] (b0 = b2 = 1 after moving the gains to the input, `x *= gain` before the
//!   first section): `y = x + z0; z0 = fma(-a1, y, fma(b1, x, z1)); z1 = fma(-a2, y, x)`;
//! - [`Form::Band`] (every section's zeros regrouped to `1 - z^-2`, gains at the input):
//!   `y = x + z0; z0 = fma(-a1, y, z1); z1 = fma(-a2, y, -x)`: two fused operations and one
//!   add per section and sample, the fewest a second-order pole pair allows.
//!
//! Why this shape on the CPUs we run on (Zen 1: a 256-bit operation is two 128-bit uops, two
//! FMA/multiply pipes, two add pipes, one 128-bit store per cycle): the multiply pipes are the
//! bottleneck, so the kernel minimises fused operations; loads and stores happen once per frame
//! and channel vector for the whole group of sections, so the store port stays idle most of
//! the time; each frame's line of the next block is prefetched while the block is computed;
//! the recurrence latency (add + FMA, about 8 cycles) is hidden by running `K`
//! sections (and, for small `K`, two channel vectors) in the same loop, which are independent
//! within a frame except through `y`, so consecutive frames overlap in the out-of-order core.

use super::Form;
use std::arch::x86_64::*;

/// Frames per block: one block of 64 interleaved channels stays in L1 while every channel
/// vector and section group passes over it.
const BLOCK_BYTES: usize = 16 * 1024;

macro_rules! kernel {
    ($name:ident, $group:ident, $tail:ident, $t:ty, $v:ty, $lanes:expr,
     $load:ident, $store:ident, $set1:ident, $fmadd:ident, $fmsub:ident, $mul:ident,
     $add:ident) => {
        /// # Safety
        /// The CPU must support AVX2 and FMA; `state.len() == coef.len() * 2 * nch`,
        /// `data.len()` a multiple of `nch`.
        #[target_feature(enable = "avx2,fma")]
        pub(super) unsafe fn $name(
            coef: &[[$t; 5]],
            gain: $t,
            form: Form,
            state: &mut [$t],
            data: &mut [$t],
            nch: usize,
        ) {
            let n_frames = data.len() / nch;
            let n_vec = nch / $lanes;
            let block = (BLOCK_BYTES / (nch * std::mem::size_of::<$t>())).max(8);
            // Sections per register-resident group: the band form keeps all four sections of
            // an order-4 band-pass in registers (2 state vectors each) for one channel vector;
            // the forms with more multiplies run two sections over two channel vectors.
            let (k_max, group) = match form {
                Form::Band => (4, 1),
                _ => (2, 2),
            };
            let mut f0 = 0;
            while f0 < n_frames {
                let f1 = (f0 + block).min(n_frames);
                let mut s0 = 0;
                while s0 < coef.len() {
                    let k = (coef.len() - s0).min(k_max);
                    let g = if s0 == 0 && form != Form::General {
                        Some(gain)
                    } else {
                        None
                    };
                    let mut v = 0;
                    while v < n_vec {
                        let ch0 = v * $lanes;
                        let pair = group == 2 && v + 2 <= n_vec;
                        // SAFETY: caller guarantees the features and the slice shapes.
                        unsafe {
                            macro_rules! call {
                                ($k:literal, $form:literal) => {
                                    if pair {
                                        $group::<$k, $form, 2>(
                                            coef, g, state, data, nch, s0, ch0, f0, f1, block,
                                        )
                                    } else {
                                        $group::<$k, $form, 1>(
                                            coef, g, state, data, nch, s0, ch0, f0, f1, block,
                                        )
                                    }
                                };
                            }
                            match (k, form) {
                                (4, Form::Band) => call!(4, 2),
                                (3, Form::Band) => call!(3, 2),
                                (2, Form::Band) => call!(2, 2),
                                (_, Form::Band) => call!(1, 2),
                                (4, Form::Sym) => call!(4, 1),
                                (3, Form::Sym) => call!(3, 1),
                                (2, Form::Sym) => call!(2, 1),
                                (_, Form::Sym) => call!(1, 1),
                                (4, Form::General) => call!(4, 0),
                                (3, Form::General) => call!(3, 0),
                                (2, Form::General) => call!(2, 0),
                                (_, Form::General) => call!(1, 0),
                            }
                        }
                        v += if pair { 2 } else { 1 };
                    }
                    for ch in n_vec * $lanes..nch {
                        // SAFETY: as above.
                        unsafe { $tail(coef, g, form, state, data, nch, s0, s0 + k, ch, f0, f1) };
                    }
                    s0 += k;
                }
                f0 = f1;
            }
        }

        /// `FORM`: 0 general, 1 sym, 2 band (see the module docs).
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $group<const K: usize, const FORM: u8, const G: usize>(
            coef: &[[$t; 5]],
            gain: Option<$t>,
            state: &mut [$t],
            data: &mut [$t],
            nch: usize,
            s0: usize,
            ch0: usize,
            f0: usize,
            f1: usize,
            block: usize,
        ) {
            let n_frames = data.len() / nch;
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
                    // The same channels one block ahead: the next block's lines arrive while
                    // this one is computed (the hardware prefetcher alone left the 64 x 1e6
                    // case at ~70 % of this). Only inside the data: prefetching past the end
                    // (small chunks) costs page walks for nothing.
                    if f + block < n_frames {
                        _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(block * nch) as *const i8);
                    }
                    let mut x: [$v; G] = [$set1(0.0); G];
                    for g in 0..G {
                        x[g] = $load(p.add(g * $lanes));
                        if scale {
                            x[g] = $mul(x[g], gv);
                        }
                    }
                    for j in 0..K {
                        for g in 0..G {
                            let xi = x[g];
                            let y;
                            if FORM == 2 {
                                y = $add(xi, z0[j][g]);
                                z0[j][g] = $fmadd(na1[j], y, z1[j][g]);
                                z1[j][g] = $fmsub(na2[j], y, xi);
                            } else if FORM == 1 {
                                y = $add(xi, z0[j][g]);
                                z0[j][g] = $fmadd(na1[j], y, $fmadd(b1[j], xi, z1[j][g]));
                                z1[j][g] = $fmadd(na2[j], y, xi);
                            } else {
                                y = $fmadd(b0[j], xi, z0[j][g]);
                                z0[j][g] = $fmadd(na1[j], y, $fmadd(b1[j], xi, z1[j][g]));
                                z1[j][g] = $fmadd(na2[j], y, $mul(b2[j], xi));
                            }
                            x[g] = y;
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

        /// One channel that does not fill a vector: the same operations, one lane.
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $tail(
            coef: &[[$t; 5]],
            gain: Option<$t>,
            form: Form,
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
                    match form {
                        Form::Band => {
                            y = x + z0;
                            z0 = c[3].mul_add(y, z1);
                            z1 = c[4].mul_add(y, -x);
                        }
                        Form::Sym => {
                            y = x + z0;
                            z0 = c[3].mul_add(y, c[1].mul_add(x, z1));
                            z1 = c[4].mul_add(y, x);
                        }
                        Form::General => {
                            y = c[0].mul_add(x, z0);
                            z0 = c[3].mul_add(y, c[1].mul_add(x, z1));
                            z1 = c[4].mul_add(y, c[2] * x);
                        }
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
    _mm256_fmsub_pd,
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
    _mm256_fmsub_ps,
    _mm256_mul_ps,
    _mm256_add_ps
);

/// Interleave samples `i0..i1` of `nch` channels-first rows of `len` samples (row `c` at
/// `src[c * len..]`) into frames: frame `k` of `block` holds sample `i0 + k`, or `i1 - 1 - k`
/// when `backward`. Tiles of 4 channels x 4 samples are transposed in registers. Pure data
/// movement: the numbers are the same as with the scalar loops.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gather_f64(
    src: &[f64],
    len: usize,
    nch: usize,
    i0: usize,
    i1: usize,
    backward: bool,
    block: &mut [f64],
) {
    let m = i1.saturating_sub(i0);
    if src.len() < nch * len || i1 > len || block.len() < m * nch {
        return;
    }
    let frame = |j: usize| if backward { m - 1 - j } else { j };
    let (c4, t4) = (nch / 4 * 4, m / 4 * 4);
    let sp = src.as_ptr();
    let bp = block.as_mut_ptr();
    for c in (0..c4).step_by(4) {
        // SAFETY: rows c..c+4 exist and every index below stays within i0..i1 of its row;
        // frames stay below m and channels below nch.
        unsafe {
            let r: [*const f64; 4] = std::array::from_fn(|q| sp.add((c + q) * len + i0));
            let pair = |lo: *const f64, hi: *const f64| {
                _mm256_insertf128_pd(
                    _mm256_castpd128_pd256(_mm_loadu_pd(lo)),
                    _mm_loadu_pd(hi),
                    1,
                )
            };
            for t in (0..t4).step_by(4) {
                let a = pair(r[0].add(t), r[2].add(t));
                let b = pair(r[1].add(t), r[3].add(t));
                let e = pair(r[0].add(t + 2), r[2].add(t + 2));
                let d = pair(r[1].add(t + 2), r[3].add(t + 2));
                _mm256_storeu_pd(bp.add(frame(t) * nch + c), _mm256_unpacklo_pd(a, b));
                _mm256_storeu_pd(bp.add(frame(t + 1) * nch + c), _mm256_unpackhi_pd(a, b));
                _mm256_storeu_pd(bp.add(frame(t + 2) * nch + c), _mm256_unpacklo_pd(e, d));
                _mm256_storeu_pd(bp.add(frame(t + 3) * nch + c), _mm256_unpackhi_pd(e, d));
            }
            for t in t4..m {
                for (q, row) in r.iter().enumerate() {
                    *bp.add(frame(t) * nch + c + q) = *row.add(t);
                }
            }
        }
    }
    for c in c4..nch {
        for t in 0..m {
            block[frame(t) * nch + c] = src[c * len + i0 + t];
        }
    }
}

/// The inverse of [`gather_f64`]: frames of `block` back into samples `i0..i1` of the rows of
/// `dst`.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn scatter_f64(
    block: &[f64],
    dst: &mut [f64],
    len: usize,
    nch: usize,
    i0: usize,
    i1: usize,
    backward: bool,
) {
    let m = i1.saturating_sub(i0);
    if dst.len() < nch * len || i1 > len || block.len() < m * nch {
        return;
    }
    let frame = |j: usize| if backward { m - 1 - j } else { j };
    let (c4, t4) = (nch / 4 * 4, m / 4 * 4);
    let dp = dst.as_mut_ptr();
    let bp = block.as_ptr();
    for c in (0..c4).step_by(4) {
        // SAFETY: as in gather_f64, with the roles of the buffers swapped.
        unsafe {
            let r: [*mut f64; 4] = std::array::from_fn(|q| dp.add((c + q) * len + i0));
            let put = |lo: *mut f64, hi: *mut f64, v: __m256d| {
                _mm_storeu_pd(lo, _mm256_castpd256_pd128(v));
                _mm_storeu_pd(hi, _mm256_extractf128_pd(v, 1));
            };
            for t in (0..t4).step_by(4) {
                let y0 = _mm256_loadu_pd(bp.add(frame(t) * nch + c));
                let y1 = _mm256_loadu_pd(bp.add(frame(t + 1) * nch + c));
                let y2 = _mm256_loadu_pd(bp.add(frame(t + 2) * nch + c));
                let y3 = _mm256_loadu_pd(bp.add(frame(t + 3) * nch + c));
                put(r[0].add(t), r[2].add(t), _mm256_unpacklo_pd(y0, y1));
                put(r[1].add(t), r[3].add(t), _mm256_unpackhi_pd(y0, y1));
                put(r[0].add(t + 2), r[2].add(t + 2), _mm256_unpacklo_pd(y2, y3));
                put(r[1].add(t + 2), r[3].add(t + 2), _mm256_unpackhi_pd(y2, y3));
            }
            for t in t4..m {
                for (q, row) in r.iter().enumerate() {
                    *row.add(t) = *bp.add(frame(t) * nch + c + q);
                }
            }
        }
    }
    for c in c4..nch {
        for t in 0..m {
            dst[c * len + i0 + t] = block[frame(t) * nch + c];
        }
    }
}
