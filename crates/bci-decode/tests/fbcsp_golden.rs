//! FBCSP against tests/golden/decode/fbcsp.json (scripts/golden/fbcsp.py: MOABB's FBCSP.py with
//! shrinkage LDA, pyRiemann 0.12 + scikit-learn 1.9) on the 45 real eegmmidb S001 epochs:
//! per-band log-variance features within 1e-8, mutual information within 1e-9 (scikit-learn adds
//! 1e-10 noise, we add none), the same ten selected features, and the pipeline's decision values
//! within 1e-6 — through `Fitted::fit(PipelineKind::Fbcsp, ...)`, i.e. with our own per-epoch
//! band-pass filters.

mod common;

use bci_decode::fbcsp::mutual_info_classif;
use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions};
use common::*;
use ndarray::Array2;

#[test]
fn fbcsp_matches_moabb_fbcsp_with_shrinkage_lda() {
    let (x, y) = s001();
    let g = golden("fbcsp.json");
    assert_eq!(usizes(&g["labels"]), y, "golden written from other epochs");

    let opts = PipelineOptions::default();
    let bands: Vec<[f64; 2]> = vec2(&g["bands"]).iter().map(|b| [b[0], b[1]]).collect();
    assert_eq!(opts.fbcsp_bands, bands, "default bands are MOABB's");
    let p = Fitted::fit(PipelineKind::Fbcsp, x.view(), &y, &opts, 160.0, &[]).unwrap();
    let Fitted::Fbcsp { subbands, fbcsp } = &p else {
        panic!("not an fbcsp pipeline");
    };
    let filtered: Vec<_> = subbands
        .iter()
        .map(|b| b.apply(x.view()).unwrap())
        .collect();
    let views: Vec<_> = filtered.iter().map(|x| x.view()).collect();
    let feats = fbcsp.features(&views).unwrap();
    let gf = vec2(&g["features"]);
    let worst_f = max_abs_diff(feats.view(), &gf);
    println!("FBCSP features max |diff| {worst_f:e}");
    assert!(worst_f < 1e-8, "features differ by {worst_f:e}");

    // Mutual information on the golden features (isolates the estimator).
    let gx = Array2::from_shape_vec((gf.len(), gf[0].len()), gf.concat()).unwrap();
    let mi = mutual_info_classif(gx.view(), &y, 3).unwrap();
    let gmi = vec1(&g["mutual_info"]);
    let worst_mi = mi
        .iter()
        .zip(&gmi)
        .fold(0.0f64, |a, (p, q)| a.max((p - q).abs()));
    println!("mutual information max |diff| {worst_mi:e}");
    assert!(
        worst_mi < 1e-9,
        "mutual information differs by {worst_mi:e}: {mi:?} vs {gmi:?}"
    );
    assert_eq!(fbcsp.selected, usizes(&g["selected"]), "selected features");

    let s = p.scores(x.view()).unwrap();
    let gd = vec1(&g["decision"]);
    let worst_d = gd
        .iter()
        .enumerate()
        .fold(0.0f64, |a, (i, v)| a.max((s[[i, 1]] - s[[i, 0]] - v).abs()));
    println!("fbcsp pipeline decision max |diff| {worst_d:e}");
    assert!(worst_d < 1e-6, "decision differs by {worst_d:e}");
}
