//! MNE's CSP (`mne.decoding.CSP(n_components=6, reg=None, log=True, norm_trace=False)`, MNE
//! 1.13) against tests/golden/decode/csp_mne.json (scripts/golden/csp_mne.py) on the 45 real
//! eegmmidb S001 left/right epochs: as they are (full rank) and re-referenced to the common
//! average (rank 63, MNE's subspace restriction). Filters equal up to sign and scale
//! (|correlation| > 0.999999), log-power features equal up to that and within 1e-8, and the
//! CSP + LDA(svd) decision values within 1e-6.

mod common;

use bci_decode::csp::MneCsp;
use bci_decode::lda::{Lda, LdaSolver};
use common::*;
use ndarray::{Array3, Axis};
use serde_json::Value;

fn check_case(name: &str, x: &Array3<f64>, y: &[usize], g: &Value) {
    let csp = MneCsp::fit(x.view(), y, 6).unwrap();
    assert_eq!(
        csp.rank,
        g["n_filters_total"].as_u64().unwrap() as usize,
        "{name}: data rank"
    );
    let gf = vec2(&g["filters"]);
    assert_eq!(csp.filters.nrows(), gf.len());
    for (k, gfk) in gf.iter().enumerate() {
        let r = abs_corr(&csp.filters.row(k).to_vec(), gfk);
        assert!(r > 0.999999, "{name}: filter {k}: |corr| {r}");
    }
    let ge = vec1(&g["eigenvalues"]);
    for (k, (a, b)) in csp.eigenvalues.iter().zip(&ge).enumerate() {
        // MNE's class order may be the reverse pencil (λ ↔ 1 − λ) in other versions; here both
        // use (C₀, C₀ + C₁).
        assert!((a - b).abs() < 1e-9, "{name}: eigenvalue {k}: {a} vs {b}");
    }
    let feats = csp.transform(x.view()).unwrap();
    let gfeat = vec2(&g["features"]);
    let mut worst = 0.0f64;
    for k in 0..6 {
        let col: Vec<f64> = feats.column(k).to_vec();
        let gcol: Vec<f64> = gfeat.iter().map(|r| r[k]).collect();
        let r = abs_corr(&col, &gcol);
        assert!(r > 0.999999, "{name}: feature {k}: |corr| {r}");
        worst = col
            .iter()
            .zip(&gcol)
            .map(|(a, b)| (a - b).abs())
            .fold(worst, f64::max);
    }
    println!("{name}: log-power features max |diff| {worst:e}");
    assert!(worst < 1e-8, "{name}: features differ by {worst:e}");

    let lda = Lda::fit(feats.view(), y, LdaSolver::Svd).unwrap();
    let d = lda.decision_function(feats.view()).unwrap();
    let gd = vec1(&g["lda_decision"]);
    let worst_d = gd
        .iter()
        .enumerate()
        .fold(0.0f64, |a, (i, v)| a.max((d[[i, 0]] - v).abs()));
    println!("{name}: CSP + LDA decision max |diff| {worst_d:e}");
    assert!(worst_d < 1e-6, "{name}: decision differs by {worst_d:e}");
}

#[test]
fn mne_csp_matches_mne_full_rank_and_average_referenced() {
    let (x, y) = s001();
    let g = golden("csp_mne.json");
    assert_eq!(usizes(&g["labels"]), y, "golden written from other epochs");
    check_case("raw", &x, &y, &g["raw"]);
    let mean = x.mean_axis(Axis(1)).unwrap().insert_axis(Axis(1));
    let car = &x - &mean;
    check_case("car", &car, &y, &g["car"]);
}

#[test]
fn csp_mne_lda_pipeline_gives_mne_sklearn_decisions() {
    use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions};
    let (x, y) = s001();
    let g = golden("csp_mne.json");
    let opts = PipelineOptions::default();
    let p = Fitted::fit(PipelineKind::CspMneLda, x.view(), &y, &opts, 160.0, &[]).unwrap();
    let s = p.scores(x.view()).unwrap();
    let gd = vec1(&g["raw"]["lda_decision"]);
    let worst = gd
        .iter()
        .enumerate()
        .fold(0.0f64, |a, (i, v)| a.max((s[[i, 1]] - s[[i, 0]] - v).abs()));
    println!("csp-mne-lda pipeline decision max |diff| {worst:e}");
    assert!(worst < 1e-6, "csp-mne-lda decision differs by {worst:e}");
}
