//! MOABB's xDAWN + LDA (`Xdawn(nfilter=4)` + MNE `Vectorizer` + `LinearDiscriminantAnalysis()`)
//! against tests/golden/xdawn/xdawn.json (scripts/golden/xdawn.py): fitted on the first 100 of the
//! 150 real bi2012 P300 epochs, decision values on all 150 (the last 50 held out) within 1e-8 of
//! scikit-learn's, and the same predictions.

mod common;

use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions};
use common::*;
use ndarray::s;
use serde_json::Value;

#[test]
fn xdawn_lda_matches_moabb_xdawn_lda() {
    let (x, y) = bi2012_epochs();
    let p = root().join("tests/golden/xdawn/xdawn.json");
    let g: Value = serde_json::from_str(
        &std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/golden/xdawn.py", p.display())),
    )
    .unwrap();
    assert_eq!(usizes(&g["labels"]), y, "golden written from other epochs");
    let n_train = g["xdawn_lda_train"].as_u64().unwrap() as usize;
    let opts = PipelineOptions::default();
    let train = x.slice(s![..n_train, .., ..]);
    let model = Fitted::fit(
        PipelineKind::XdawnLda,
        train,
        &y[..n_train],
        &opts,
        128.0,
        &[],
    )
    .unwrap();
    let scores = model.scores(x.view()).unwrap();
    let gd = vec1(&g["xdawn_lda_decision"]);
    let scale = gd.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let worst = gd.iter().enumerate().fold(0.0f64, |a, (i, v)| {
        a.max((scores[[i, 1]] - scores[[i, 0]] - v).abs())
    });
    println!("xdawn-lda decision max |diff| {worst:e} (largest |decision| {scale:e})");
    assert!(
        worst < 1e-8 * scale.max(1.0),
        "xdawn-lda decision differs by {worst:e}"
    );
    let ours = model.predict(x.view()).unwrap();
    let theirs: Vec<usize> = gd.iter().map(|&v| usize::from(v > 0.0)).collect();
    assert_eq!(ours, theirs, "predictions differ");
}
