//! Our StratifiedKFold and permutation equal scikit-learn's and numpy's (golden file written by
//! scripts/golden/bench.py).

use std::path::PathBuf;

use bci_bench::folds::{permutation, stratified_kfold};

fn golden() -> serde_json::Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/bench/folds.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/golden/bench.py", path.display()));
    serde_json::from_str(&text).expect("golden JSON")
}

#[test]
fn stratified_kfold_equals_scikit_learn() {
    let g = golden();
    let cases = g["stratified_kfold"].as_array().expect("cases");
    assert!(cases.len() >= 5);
    for case in cases {
        let labels: Vec<String> = case["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|v| v.as_str().expect("str").to_string())
            .collect();
        let splits = case["n_splits"].as_u64().expect("n_splits") as usize;
        let seed = case["seed"].as_u64().expect("seed") as u32;
        let want: Vec<usize> = case["test_fold"]
            .as_array()
            .expect("folds")
            .iter()
            .map(|v| v.as_u64().expect("fold") as usize)
            .collect();
        let got = stratified_kfold(&labels, splits, seed).expect("folds");
        assert_eq!(got, want, "n={} splits={splits} seed={seed}", labels.len());
    }
}

#[test]
fn permutation_equals_numpy() {
    let g = golden();
    for case in g["permutation"].as_array().expect("perms") {
        let n = case["n"].as_u64().expect("n") as usize;
        let seed = case["seed"].as_u64().expect("seed") as u32;
        let want: Vec<usize> = case["permutation"]
            .as_array()
            .expect("perm")
            .iter()
            .map(|v| v.as_u64().expect("i") as usize)
            .collect();
        assert_eq!(permutation(n, seed), want, "n={n} seed={seed}");
    }
}
