//! xDAWN against pyRiemann 0.12 (tests/golden/xdawn/xdawn.json from scripts/golden/xdawn.py) on
//! the first 150 real bi2012 P300 epochs: spatial filters and evoked templates equal up to the
//! sign of each filter, `XdawnCovariances` within 1e-8 (after the same sign alignment), tangent
//! vectors, the logistic-regression decision and the MDM distances within 1e-8 / 1e-6.

mod common;

use bci_decode::covariance::Estimator;
use bci_decode::logistic::LogisticRegression;
use bci_decode::riemann::{Mdm, TangentSpace};
use bci_decode::xdawn::{Xdawn, XdawnCovariances};
use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions};
use common::*;
use ndarray::Array2;
use serde_json::Value;

fn golden() -> Value {
    let p = root().join("tests/golden/xdawn/xdawn.json");
    serde_json::from_str(
        &std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/golden/xdawn.py", p.display())),
    )
    .unwrap()
}

/// Sign of each of our filters relative to pyRiemann's (+1 or -1), asserting they are the same
/// direction (|cos| > 1 - 1e-10) and unit norm.
fn filter_signs(ours: &Array2<f64>, theirs: &[Vec<f64>]) -> Vec<f64> {
    assert_eq!(ours.nrows(), theirs.len());
    ours.rows()
        .into_iter()
        .zip(theirs)
        .enumerate()
        .map(|(i, (a, b))| {
            let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let na = a.dot(&a).sqrt();
            assert!((na - 1.0).abs() < 1e-12, "filter {i} norm {na}");
            assert!(
                (dot.abs() - 1.0).abs() < 1e-10,
                "filter {i}: |cos| with pyRiemann = {}",
                dot.abs()
            );
            dot.signum()
        })
        .collect()
}

#[test]
fn xdawn_filters_templates_covariances_and_pipelines_match_pyriemann() {
    let (x, y) = bi2012_epochs();
    let g = golden();
    assert_eq!(usizes(&g["labels"]), y, "golden written from other epochs");

    let xd = Xdawn::fit(x.view(), &y, 4, Estimator::Scm).unwrap();
    let gf = vec2(&g["xdawn_filters"]);
    let signs = filter_signs(&xd.filters, &gf);
    let mut worst_filter = 0.0f64;
    for (i, row) in gf.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            worst_filter = worst_filter.max((xd.filters[[i, j]] * signs[i] - v).abs());
        }
    }
    let ge = vec2(&g["xdawn_evokeds"]);
    let scale_e = ge.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut worst_evoked = 0.0f64;
    for (i, row) in ge.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            worst_evoked = worst_evoked.max((xd.evokeds[[i, j]] * signs[i] - v).abs());
        }
    }
    println!(
        "xDAWN filters max |diff| {worst_filter:e}; evokeds {worst_evoked:e} (scale {scale_e:e})"
    );
    assert!(worst_filter < 1e-8, "filters differ by {worst_filter:e}");
    assert!(
        worst_evoked < 1e-8 * scale_e.max(1.0),
        "evokeds differ by {worst_evoked:e}"
    );

    // Covariances of [templates; filtered epoch]: our signs flip rows/columns k and F + k.
    let xc = XdawnCovariances::fit(x.view(), &y, 4, Estimator::Oas, Estimator::Scm).unwrap();
    let covs = xc.transform(x.view()).unwrap();
    let f = signs.len();
    let d: Vec<f64> = signs.iter().chain(signs.iter()).copied().collect();
    let gc = g["covariances_first5"].as_array().unwrap();
    let mut worst_cov = 0.0f64;
    let mut scale_c = 0.0f64;
    for (e, m) in gc.iter().enumerate() {
        for (i, row) in vec2(m).iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                scale_c = scale_c.max(v.abs());
                worst_cov = worst_cov.max((covs[[e, i, j]] * d[i] * d[j] - v).abs());
            }
        }
    }
    assert_eq!(covs.dim(), (150, 2 * f, 2 * f));
    println!("XdawnCovariances max |diff| {worst_cov:e} (scale {scale_c:e})");
    assert!(
        worst_cov < 1e-10 * scale_c.max(1.0),
        "covariances differ by {worst_cov:e}"
    );

    // Tangent space: the reference is D R D; tangent vectors are upper(D L D).
    let ts = TangentSpace::fit(covs.view()).unwrap();
    let vec = ts.transform(covs.view()).unwrap();
    let m = 2 * f;
    let mut sign_upper = Vec::new();
    for i in 0..m {
        for j in i..m {
            sign_upper.push(d[i] * d[j]);
        }
    }
    let gt = vec2(&g["tangent_first5"]);
    let mut worst_tan = 0.0f64;
    for (e, row) in gt.iter().enumerate() {
        for (k, v) in row.iter().enumerate() {
            worst_tan = worst_tan.max((vec[[e, k]] * sign_upper[k] - v).abs());
        }
    }
    println!("tangent vectors max |diff| {worst_tan:e}");
    assert!(worst_tan < 1e-8, "tangent vectors differ by {worst_tan:e}");

    // Decision functions do not depend on the filter signs.
    let lr = LogisticRegression::fit(vec.view(), &y, 1.0).unwrap();
    let dec = lr.decision_function(vec.view()).unwrap();
    let gd = vec1(&g["lr_tight"]["decision"]);
    let worst_lr = dec
        .iter()
        .zip(&gd)
        .fold(0.0f64, |a, (p, q)| a.max((p - q).abs()));
    println!("TS+LR decision max |diff| {worst_lr:e}");
    assert!(worst_lr < 1e-6, "TS+LR decision differs by {worst_lr:e}");

    let mdm = Mdm::fit(covs.view(), &y).unwrap();
    let dist = mdm.transform(covs.view()).unwrap();
    let gm = vec2(&g["mdm_distances"]);
    let worst_mdm = max_abs_diff(dist.view(), &gm);
    println!("MDM distances max |diff| {worst_mdm:e}");
    assert!(worst_mdm < 1e-8, "MDM distances differ by {worst_mdm:e}");
    assert_eq!(mdm.predict(covs.view()).unwrap(), usizes(&g["mdm_predict"]));

    // The pipeline kinds give the same numbers through Fitted.
    let opts = PipelineOptions::default();
    let p = Fitted::fit(PipelineKind::XdawnMdm, x.view(), &y, &opts, 128.0, &[]).unwrap();
    let s = p.scores(x.view()).unwrap();
    for (i, row) in gm.iter().enumerate() {
        for (k, v) in row.iter().enumerate() {
            assert!(
                (s[[i, k]] + v * v).abs() < 1e-6 * v * v,
                "xdawn-mdm score {i},{k}"
            );
        }
    }
    let p = Fitted::fit(PipelineKind::XdawnTsLr, x.view(), &y, &opts, 128.0, &[]).unwrap();
    let s = p.scores(x.view()).unwrap();
    let gdd = vec1(&g["lr_default_decision"]);
    let worst_pipe =
        (0..gd.len()).fold(0.0f64, |a, i| a.max((s[[i, 1]] - s[[i, 0]] - gd[i]).abs()));
    println!(
        "xdawn-ts-lr pipeline decision max |diff| {worst_pipe:e} (tight LR); default-tol sklearn differs from tight by {:e}",
        gd.iter()
            .zip(&gdd)
            .fold(0.0f64, |a, (p, q)| a.max((p - q).abs()))
    );
    assert!(
        worst_pipe < 1e-6,
        "xdawn-ts-lr pipeline decision differs by {worst_pipe:e}"
    );
}
