//! P300 on Brain Invaders bi2012 (subject 1) as MOABB's P300 paradigm: our epochs, labels and
//! folds equal the Python side's (scripts/golden/p300.py writes tests/golden/p300/scores.json
//! with pyRiemann 0.12 + scikit-learn), and the per-subject ROC-AUC of every pipeline is within
//! 0.02 of pyRiemann's on the same folds. This also pins down the finding that the
//! covariance-only pipelines (csp-lda, ts-lr, mdm) score *below* chance on these overlapping
//! P300 epochs in pyRiemann too, while the xDAWN pipelines are far above it.

use std::path::PathBuf;

use bci_bench::{BenchConfig, Evaluation, FilterMode, Paradigm, PipelineSpec};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn datasets() -> PathBuf {
    std::env::var_os("BCI_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/datasets"))
}

fn nums(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn p300_bi2012_scores_match_pyriemann_on_the_same_folds() {
    let path = root().join("tests/golden/p300/scores.json");
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run scripts/golden/p300.py --golden",
                path.display()
            )
        }))
        .expect("golden JSON");
    let data = datasets();
    assert!(
        data.join("bi2012_p300").is_dir(),
        "{} missing: set BCI_SHARED_DATASETS to the shared datasets folder",
        data.join("bi2012_p300").display()
    );
    let names = ["xdawn-ts-lr", "xdawn-mdm", "csp-lda", "ts-lr", "mdm"];
    let cfg = BenchConfig {
        paradigm: Paradigm::by_name("p300").expect("paradigm"),
        subjects: vec![1],
        pipelines: names
            .iter()
            .map(|n| PipelineSpec::builtin(n).expect("pipeline"))
            .collect(),
        evaluation: Evaluation::WithinSession,
        n_folds: 5,
        seed: 42,
        filters: vec![FilterMode::ZeroPhase],
        control: false,
        shard: None,
        threads: 0,
        data_root: data,
        progress: false,
    };
    let out = bci_bench::run(&cfg).expect("bench run");

    // Same epochs (onsets, labels) and folds as the Python side, for one pipeline's rows.
    let mut rows: Vec<_> = out
        .folds
        .iter()
        .filter(|r| r.pipeline == "xdawn-ts-lr" && r.control == "none")
        .collect();
    rows.sort_by_key(|r| r.epoch);
    let onsets: Vec<u64> = rows.iter().map(|r| r.onset).collect();
    let want_onsets: Vec<u64> = g["onsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(
        onsets, want_onsets,
        "epoch onsets differ from the Python epoching"
    );
    let labels: Vec<u64> = rows
        .iter()
        .map(|r| u64::from(r.label == "Target"))
        .collect();
    let want_labels: Vec<u64> = g["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(labels, want_labels, "target/non-target labels differ");
    assert_eq!(
        labels.iter().sum::<u64>(),
        128,
        "bi2012 S1 has 128 target flashes"
    );
    let folds: Vec<u64> = rows.iter().map(|r| r.fold as u64).collect();
    let want_folds: Vec<u64> = g["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(
        folds, want_folds,
        "folds differ from StratifiedKFold(5, shuffle, 42)"
    );

    for name in names {
        let row = out
            .results
            .iter()
            .find(|r| r.pipeline == name && r.control == "none")
            .expect("result row");
        let py = nums(&g["fold_scores"][name]);
        let py_mean = py.iter().sum::<f64>() / py.len() as f64;
        println!(
            "{name:>12}: ours {:.4} pyRiemann {py_mean:.4} (diff {:+.2e}); folds ours {:?} python {:?}",
            row.score,
            row.score - py_mean,
            row.fold_scores,
            py
        );
        assert!(
            (row.score - py_mean).abs() <= 0.02,
            "{name}: {} vs pyRiemann {py_mean}",
            row.score
        );
    }
    let score = |n: &str| out.results.iter().find(|r| r.pipeline == n).unwrap().score;
    assert!(score("xdawn-ts-lr") > 0.85 && score("xdawn-mdm") > 0.75);
}
