//! Welch PSD (scipy defaults: nperseg 256, Hann, 50% overlap) of 64 channels x 1,000,000
//! samples at 250 Hz, one thread.
//!
//! `cargo bench -p bci-benches --bench psd -- --noplot`

use bci_dsp::{Welch, welch};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;

fn bench(c: &mut Criterion) {
    let (nch, n) = (64, 1_000_000);
    let mut state = 7u64;
    let v: Vec<f64> = (0..nch * n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect();
    let x = Array2::from_shape_vec((nch, n), v).expect("shape");
    let mut g = c.benchmark_group("welch_64ch_1e6");
    g.sample_size(10);
    g.throughput(Throughput::Elements((nch * n) as u64));
    g.bench_function("f64", |b| {
        b.iter(|| welch(x.view(), 250.0, Welch::default()).expect("welch"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
