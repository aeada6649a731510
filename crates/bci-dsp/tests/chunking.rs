//! Chunk invariance: any chunking of a stream gives bit-identical output to one call.

mod common;

use bci_dsp::{Band, Kernel, Sample, SosFilter, bessel, butter, notch_comb};
use common::lcg_signal;
use proptest::prelude::*;

fn run_chunks<T: Sample>(
    kernel: Kernel,
    nch: usize,
    x: &[T],
    cuts: &[usize],
    steady: bool,
) -> Vec<T> {
    run_chunks_with(kernel, nch, x, cuts, steady, false)
}

/// `general`: a design whose sections do not all have b2 = b0 (an odd-order low-pass has a
/// section with b2 = 0), which takes the general SIMD path.
fn run_chunks_with<T: Sample>(
    kernel: Kernel,
    nch: usize,
    x: &[T],
    cuts: &[usize],
    steady: bool,
    general: bool,
) -> Vec<T> {
    let sos = if general {
        bessel(5, Band::Lowpass(30.0), 250.0).unwrap()
    } else {
        butter(4, Band::Bandpass(8.0, 30.0), 250.0)
            .unwrap()
            .then(&notch_comb(50.0, 30.0, 250.0).unwrap())
    };
    let mut f = SosFilter::<T>::with_kernel(&sos, nch, kernel).unwrap();
    if steady {
        f.set_steady_state(&x[..nch]).unwrap();
    }
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

fn signal(nch: usize, n_frames: usize, seed: u64) -> Vec<f64> {
    lcg_signal(seed, nch * n_frames)
        .into_iter()
        .map(|v| v * 100.0)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_chunking_is_bit_identical(
        nch in 1usize..=21,
        n_frames in 1usize..700,
        cuts in prop::collection::vec(0usize..300, 0..12),
        seed in any::<u64>(),
        steady in any::<bool>(),
        general in any::<bool>(),
    ) {
        let x = signal(nch, n_frames, seed);
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        for kernel in [Kernel::Auto, Kernel::Portable] {
            let whole = run_chunks_with(kernel, nch, &x, &[], steady, general);
            let chunked = run_chunks_with(kernel, nch, &x, &cuts, steady, general);
            prop_assert!(whole.iter().zip(&chunked).all(|(a, b)| a.to_bits() == b.to_bits()));
            let whole = run_chunks_with(kernel, nch, &x32, &[], steady, general);
            let chunked = run_chunks_with(kernel, nch, &x32, &cuts, steady, general);
            prop_assert!(whole.iter().zip(&chunked).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}

#[test]
fn fixed_chunk_sizes_1_7_250_are_bit_identical() {
    let nch = 64;
    let x = signal(nch, 2000, 7);
    let whole = run_chunks(Kernel::Auto, nch, &x, &[], false);
    for size in [1usize, 7, 250] {
        let cuts = vec![size; 2000 / size + 1];
        let chunked = run_chunks(Kernel::Auto, nch, &x, &cuts, false);
        assert!(
            whole
                .iter()
                .zip(&chunked)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "chunk size {size}"
        );
    }
}

#[test]
fn a_channel_does_not_depend_on_its_lane() {
    // The same signal in channel 0 of a 64-channel stream (a vector lane) and in a 3-channel
    // stream (the scalar tail) gives bit-identical output.
    let n = 1000;
    let one = signal(1, n, 11);
    let mut wide = vec![0.0; 64 * n];
    let mut narrow = vec![0.0; 3 * n];
    for i in 0..n {
        wide[i * 64] = one[i];
        narrow[i * 3 + 2] = one[i];
    }
    let a = run_chunks(Kernel::Auto, 64, &wide, &[], false);
    let b = run_chunks(Kernel::Auto, 3, &narrow, &[], false);
    for i in 0..n {
        assert_eq!(a[i * 64].to_bits(), b[i * 3 + 2].to_bits(), "frame {i}");
    }
}

#[test]
fn simd_and_portable_agree_to_rounding() {
    let nch = 19;
    let x = signal(nch, 3000, 3);
    let a = run_chunks(Kernel::Auto, nch, &x, &[], true);
    let b = run_chunks(Kernel::Portable, nch, &x, &[], true);
    let rms = (b.iter().map(|v| v * v).sum::<f64>() / b.len() as f64).sqrt();
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(worst / rms < 1e-12, "{worst} vs rms {rms}");
}

#[test]
fn wrong_chunk_length_is_an_error() {
    let sos = butter(2, Band::Lowpass(10.0), 100.0).unwrap();
    let mut f = SosFilter::<f64>::new(&sos, 4).unwrap();
    let e = f.process(&mut [0.0; 7]).unwrap_err();
    assert!(e.to_string().contains("chunk length = 7"), "{e}");
    assert!(SosFilter::<f64>::new(&sos, 0).is_err());
}
