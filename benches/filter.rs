//! Filter throughput, one thread: causal band-pass (butter order 4 = 4 sections, 8-30 Hz at
//! 250 Hz) over 64 interleaved channels x 1,000,000 samples in f32 and f64 (the streaming
//! kernel, AVX2+FMA when the CPU has it), and zero-phase `sosfiltfilt` on channels x samples.
//!
//! Two reference points in the same run say what bounds the causal figures: the same kernel
//! over 256 frames that stay in L1 (compute only), and the cheapest possible in-place pass over
//! the 1,000,000-frame buffers (each value multiplied by a constant: memory bandwidth only).
//!
//! `cargo bench -p bci-benches --bench filter -- --noplot`
//! Throughput is reported in elements = samples x channels.

use bci_dsp::{Band, SosFilter, butter, sosfiltfilt};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;

const CHANNELS: usize = 64;
const SAMPLES: usize = 1_000_000;

fn lcg(n: usize) -> Vec<f64> {
    let mut state = 1u64;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 100.0
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let sos = butter(4, Band::Bandpass(8.0, 30.0), 250.0).expect("design");
    let frames = lcg(CHANNELS * SAMPLES);
    let frames32: Vec<f32> = frames.iter().map(|&v| v as f32).collect();
    let mut g = c.benchmark_group("filter_causal_64ch_1e6");
    g.sample_size(10);
    g.throughput(Throughput::Elements((CHANNELS * SAMPLES) as u64));
    // In place on the same buffer: the filter state carries on, so every iteration is a
    // continuation of one long stream (no copy in the timed loop).
    let mut work = frames.clone();
    let mut f64_filter = SosFilter::<f64>::new(&sos, CHANNELS).expect("filter");
    g.bench_function("f64", |b| {
        b.iter(|| f64_filter.process(&mut work).expect("process"))
    });
    let mut work32 = frames32.clone();
    let mut f32_filter = SosFilter::<f32>::new(&sos, CHANNELS).expect("filter");
    g.bench_function("f32", |b| {
        b.iter(|| f32_filter.process(&mut work32).expect("process"))
    });
    g.finish();

    let mut g = c.benchmark_group("memory_bound_64ch_1e6");
    g.sample_size(10);
    g.throughput(Throughput::Elements((CHANNELS * SAMPLES) as u64));
    g.bench_function("scale_in_place_f64", |b| {
        b.iter(|| work.iter_mut().for_each(|v| *v *= 0.999_999))
    });
    g.bench_function("scale_in_place_f32", |b| {
        b.iter(|| work32.iter_mut().for_each(|v| *v *= 0.999_999))
    });
    g.finish();

    const IN_CACHE: usize = 256;
    let mut g = c.benchmark_group("filter_causal_64ch_in_cache");
    g.throughput(Throughput::Elements((CHANNELS * IN_CACHE) as u64));
    let mut small = frames[..CHANNELS * IN_CACHE].to_vec();
    g.bench_function("f64", |b| {
        b.iter(|| f64_filter.process(&mut small).expect("process"))
    });
    let mut small32 = frames32[..CHANNELS * IN_CACHE].to_vec();
    g.bench_function("f32", |b| {
        b.iter(|| f32_filter.process(&mut small32).expect("process"))
    });
    g.finish();

    let x = Array2::from_shape_vec((CHANNELS, SAMPLES), frames).expect("shape");
    let mut g = c.benchmark_group("filter_zero_phase_64ch_1e6");
    g.sample_size(10);
    g.throughput(Throughput::Elements((CHANNELS * SAMPLES) as u64));
    g.bench_function("sosfiltfilt_f64", |b| {
        b.iter(|| sosfiltfilt(&sos, x.view(), None).expect("filtfilt"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
