//! Whole within-session evaluations through bci-bench (reading, filtering, epoching, 5-fold CV),
//! on the real eegmmidb recordings (`BCI_SHARED_DATASETS`, else ../shared/datasets).
//! The side-by-side comparison with the Python pipelines is benches/bench_eval_vs_moabb.py.

use std::path::PathBuf;

use bci_bench::{BenchConfig, Evaluation, FilterMode, Paradigm, PipelineSpec};
use criterion::{Criterion, criterion_group, criterion_main};

fn data_root() -> PathBuf {
    let root = std::env::var_os("BCI_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets"));
    assert!(
        root.join("eegmmidb").is_dir(),
        "{} has no eegmmidb folder: set BCI_SHARED_DATASETS",
        root.display()
    );
    root
}

fn config(pipeline: &str, subjects: Vec<u32>) -> BenchConfig {
    BenchConfig {
        paradigm: Paradigm::by_name("left-right-imagery").expect("paradigm"),
        subjects,
        pipelines: vec![PipelineSpec::builtin(pipeline).expect("pipeline")],
        evaluation: Evaluation::WithinSession,
        n_folds: 5,
        seed: 42,
        filters: vec![FilterMode::ZeroPhase],
        control: false,
        shard: None,
        threads: 1,
        data_root: data_root(),
        progress: false,
    }
}

fn evaluation(c: &mut Criterion) {
    let mut g = c.benchmark_group("within_session_s001_one_thread");
    g.sample_size(10);
    for p in ["csp-lda", "ts-lr", "mdm"] {
        let cfg = config(p, vec![1]);
        g.bench_function(p, |b| b.iter(|| bci_bench::run(&cfg).expect("run")));
    }
    g.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
