//! Decoder fit+predict on one subject's 45 real epochs (S001 left/right imagery, 64 channels,
//! 481 samples, MNE-filtered, from `scripts/golden/decode_inputs.py`).
//! Python side by side: `benches/decode_vs_python.py`.
//!
//!     cargo bench -p bci-benches --bench decode -- --noplot

use std::path::Path;

use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions};
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array3;

fn load() -> (Array3<f64>, Vec<usize>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/golden/decode");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("mi_S001.f64.json"))
            .expect("run scripts/golden/decode_inputs.py first"),
    )
    .expect("json");
    let bytes = std::fs::read(dir.join("mi_S001.f64")).expect("epochs");
    let vals: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let x = Array3::from_shape_vec((45, 64, 481), vals).expect("shape 45x64x481");
    let y = meta["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| usize::from(l.as_str() == Some("right_hand")))
        .collect();
    (x, y)
}

fn bench(c: &mut Criterion) {
    let (x, y) = load();
    let mut g = c.benchmark_group("decode_S001_45_epochs");
    g.sample_size(10);
    for kind in [PipelineKind::CspLda, PipelineKind::TsLr, PipelineKind::Mdm] {
        g.bench_function(format!("{}_fit_predict", kind.name()), |b| {
            b.iter(|| {
                let m = Fitted::fit(kind, x.view(), &y, &PipelineOptions::default(), 160.0, &[])
                    .expect("fit");
                m.predict(x.view()).expect("predict")
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
