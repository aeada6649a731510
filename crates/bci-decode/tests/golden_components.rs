//! Component golden tests against pyRiemann 0.12 / scikit-learn 1.9 on real S001 epochs
//! (values from scripts/golden/decode.py, committed in tests/golden/decode/).

mod common;

use bci_decode::covariance::{Estimator, covariances};
use bci_decode::csp::Csp;
use bci_decode::lda::{Lda, LdaSolver};
use bci_decode::logistic::LogisticRegression;
use bci_decode::riemann::{Mdm, TangentSpace, distance_riemann, eigh, mean_riemann};
use common::*;
use ndarray::{Array2, Axis};

#[test]
fn covariances_match_pyriemann() {
    let (x, _) = s001();
    let g = golden("covariances.json");
    let idx = usizes(&g["epochs"]);
    let sel = x.select(Axis(0), &idx);
    for (name, est) in [
        ("scm", Estimator::Scm),
        ("cov", Estimator::Cov),
        ("lwf", Estimator::LedoitWolf),
        ("oas", Estimator::Oas),
    ] {
        let c = covariances(sel.view(), est).unwrap();
        for (k, gm) in g[name].as_array().unwrap().iter().enumerate() {
            let d = max_abs_diff(c.index_axis(Axis(0), k), &vec2(gm));
            assert!(d < 1e-10, "{name} epoch {k}: max abs diff {d:e}");
        }
    }
}

#[test]
fn csp_and_lda_match_pyriemann_sklearn() {
    let (x, y) = s001();
    let g = golden("csp_lda.json");
    assert_eq!(usizes(&g["labels"]), y);
    let covs = covariances(x.view(), Estimator::Oas).unwrap();
    let csp = Csp::fit(covs.view(), &y, 6).unwrap();
    let gf = vec2(&g["filters"]);
    for (k, gfk) in gf.iter().enumerate() {
        let r = abs_corr(&csp.filters.row(k).to_vec(), gfk);
        assert!(r > 0.999999, "CSP filter {k}: |corr| {r}");
    }
    let feats = csp.transform(covs.view()).unwrap();
    let gfeat = vec2(&g["features"]);
    for k in 0..6 {
        let col: Vec<f64> = feats.column(k).to_vec();
        let gcol: Vec<f64> = gfeat.iter().map(|r| r[k]).collect();
        let r = abs_corr(&col, &gcol);
        assert!(r > 0.999999, "CSP feature {k}: |corr| {r}");
        // scipy normalises vᵀ(C0+C1)v = 1 as we do, so the features agree exactly too.
        let d = col
            .iter()
            .zip(&gcol)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(d < 1e-8, "CSP feature {k}: max abs diff {d:e}");
    }
    // LDA on the golden features (so its test isolates LDA).
    let gx = Array2::from_shape_vec((gfeat.len(), 6), gfeat.concat()).unwrap();
    for (name, solver) in [
        ("lda_svd", LdaSolver::Svd),
        ("lda_lsqr_auto", LdaSolver::LsqrAuto),
    ] {
        let lda = Lda::fit(gx.view(), &y, solver).unwrap();
        let gc = vec1(&g[name]["coef"]);
        for (a, b) in lda.coef.row(0).iter().zip(&gc) {
            assert!((a - b).abs() < 1e-8, "{name} coef {a} vs {b}");
        }
        let gi = g[name]["intercept"].as_f64().unwrap();
        assert!(
            (lda.intercept[0] - gi).abs() < 1e-8,
            "{name} intercept {} vs {gi}",
            lda.intercept[0]
        );
        let dec = lda.decision_function(gx.view()).unwrap();
        let gd = vec1(&g[name]["decision"]);
        for (a, b) in dec.column(0).iter().zip(&gd) {
            assert!((a - b).abs() < 1e-8, "{name} decision {a} vs {b}");
        }
    }
}

#[test]
fn riemannian_mean_distance_tangent_match_pyriemann() {
    let (x, _) = s001();
    let g = golden("riemann.json");
    let covs = covariances(x.view(), Estimator::Oas).unwrap();
    let mean = mean_riemann(covs.view()).unwrap();
    let d = max_abs_diff(mean.view(), &vec2(&g["mean"]));
    assert!(d < 1e-8, "Riemannian mean: max abs diff {d:e}");
    let gd = vec1(&g["dist_to_mean"]);
    for (i, c) in covs.axis_iter(Axis(0)).enumerate() {
        let di = distance_riemann(c, mean.view()).unwrap();
        assert!((di - gd[i]).abs() < 1e-8, "distance {i}: {di} vs {}", gd[i]);
    }
    let d01 = distance_riemann(covs.index_axis(Axis(0), 0), covs.index_axis(Axis(0), 1)).unwrap();
    assert!((d01 - g["dist_0_1"].as_f64().unwrap()).abs() < 1e-8);
    let ts = TangentSpace::fit(covs.view()).unwrap();
    let idx = usizes(&g["tangent_epochs"]);
    let v = ts.transform(covs.select(Axis(0), &idx).view()).unwrap();
    let d = max_abs_diff(v.view(), &vec2(&g["tangent"]));
    assert!(d < 1e-8, "tangent vectors: max abs diff {d:e}");
}

#[test]
fn eigh_matches_numpy() {
    let (x, _) = s001();
    let g = &golden("riemann.json")["eigh_cov0"];
    let covs = covariances(x.view(), Estimator::Oas).unwrap();
    let (vals, vecs) = eigh(covs.index_axis(Axis(0), 0)).unwrap();
    let want = vec1(&g["values"]);
    let top = want.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    for (i, (v, w)) in vals.iter().zip(&want).enumerate() {
        assert!((v - w).abs() < 1e-12 * top, "eigenvalue {i}: {v} vs {w}");
    }
    let gv = vec2(&g["vectors"]);
    for k in 0..vals.len() {
        let ours: Vec<f64> = vecs.column(k).to_vec();
        let theirs: Vec<f64> = gv.iter().map(|row| row[k]).collect();
        let c = abs_corr(&ours, &theirs);
        assert!(c > 1.0 - 1e-9, "eigenvector {k}: |corr| {c}");
    }
    let bad = Array2::from_shape_fn(
        (3, 3),
        |(i, j)| if i == j && i == 1 { f64::NAN } else { 0.0 },
    );
    let err = eigh(bad.view()).unwrap_err().to_string();
    assert!(err.contains("(1, 1)") && err.contains("NaN"), "{err}");
    let err = eigh(Array2::<f64>::zeros((2, 3)).view())
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 x 3"), "{err}");
}

#[test]
fn logistic_regression_matches_sklearn_optimum() {
    let (x, y) = s001();
    let g = golden("lr.json");
    let covs = covariances(x.view(), Estimator::Oas).unwrap();
    let v = TangentSpace::fit(covs.view())
        .unwrap()
        .transform(covs.view())
        .unwrap();
    let lr = LogisticRegression::fit(v.view(), &y, 1.0).unwrap();
    let gc = vec1(&g["tight"]["coef"]);
    let scale = gc.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    let d = lr
        .coef
        .iter()
        .zip(&gc)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        d < 1e-6 * scale.max(1.0),
        "LR coef max abs diff {d:e} (scale {scale:e})"
    );
    let gi = g["tight"]["intercept"].as_f64().unwrap();
    assert!(
        (lr.intercept - gi).abs() < 1e-6,
        "LR intercept {} vs {gi}",
        lr.intercept
    );
    // The default-tolerance sklearn fit ranks the epochs the same way.
    let dec = lr.decision_function(v.view()).unwrap();
    let gd = vec1(&g["default"]["decision"]);
    for (i, (a, b)) in dec.iter().zip(&gd).enumerate() {
        assert_eq!(
            a.signum(),
            b.signum(),
            "epoch {i}: {a} vs default sklearn {b}"
        );
    }
}

#[test]
fn mdm_matches_pyriemann() {
    let (x, y) = s001();
    let g = golden("mdm.json");
    let covs = covariances(x.view(), Estimator::Oas).unwrap();
    let mdm = Mdm::fit(covs.view(), &y).unwrap();
    let d = mdm.transform(covs.view()).unwrap();
    let diff = max_abs_diff(d.view(), &vec2(&g["distances"]));
    assert!(diff < 1e-8, "MDM distances: max abs diff {diff:e}");
    assert_eq!(mdm.predict(covs.view()).unwrap(), usizes(&g["predictions"]));
    // Matrices of another size than the class means: a typed error naming both, not a panic.
    let small = covs.slice(ndarray::s![.., ..8, ..8]);
    let err = mdm.predict(small).unwrap_err().to_string();
    assert!(err.contains("64 x 64") && err.contains("8 x 8"), "{err}");
}
