//! TRCA and ensemble TRCA (Nakanishi et al. 2018, filter-bank variant) against a numpy/scipy
//! implementation of the same definition (scripts/golden/trca.py → tests/golden/decode/trca.json)
//! on every ssvep_exoskeleton session, with the golden script's 4-fold stratified split per
//! session (train on 6 trials per class, test on the other 2): filters equal up to sign
//! (|corr| > 0.999999), per-trial correlations within 1e-8, identical predictions. Accuracy is
//! printed next to FBCCA's on the same trials (not asserted: it depends on the data).
//! Bad input: too few trials per class, NaN, mismatched shapes give typed errors.

mod common;

use bci_decode::DecodeError;
use bci_decode::pipeline::default_fbcca_bands;
use bci_decode::trca::{FilterBankTrca, Trca};
use common::*;
use ndarray::{Array3, Axis};
use serde_json::Value;

fn arr3(v: &Value) -> Vec<Vec<Vec<f64>>> {
    v.as_array().expect("array").iter().map(vec2).collect()
}

#[test]
fn trca_matches_python_reference() {
    let g = golden("trca.json");
    let bands: Vec<[f64; 2]> = vec2(&g["bands"]).iter().map(|b| [b[0], b[1]]).collect();
    assert_eq!(bands, default_fbcca_bands(), "golden bands");
    let freqs = vec1(&g["freqs"]);
    let sessions = g["sessions"].as_object().expect("sessions");
    assert_eq!(
        sessions.len(),
        8,
        "expected the 8 ssvep_exoskeleton sessions"
    );
    let fbcca: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/golden/fbcca/fbcca.json"))
            .expect("tests/golden/fbcca/fbcca.json"),
    )
    .expect("fbcca json");
    let (mut hits_t, mut hits_e, mut hits_fb, mut total) = (0usize, 0usize, 0usize, 0usize);
    let (mut worst_r, mut worst_filter) = (0.0f64, 1.0f64);
    for (stem, s) in sessions {
        let e = epochs(&format!("ssvep_{stem}"));
        let sfreq = e.meta["sfreq"].as_f64().expect("sfreq");
        let target: Vec<usize> = vec1(&e.meta["freqs"])
            .iter()
            .map(|f| freqs.iter().position(|g| g == f).expect("known frequency"))
            .collect();
        let y = usizes(&s["labels"]);
        assert_eq!(y, target, "{stem}: golden labels are the epochs' classes");
        let (mut st, mut se) = (0usize, 0usize);
        for (fi, f) in s["folds"].as_array().expect("folds").iter().enumerate() {
            let train = usizes(&f["train"]);
            let test = usizes(&f["test"]);
            let xtr = e.x.select(Axis(0), &train);
            let ytr: Vec<usize> = train.iter().map(|&i| y[i]).collect();
            let xte = e.x.select(Axis(0), &test);
            let model =
                FilterBankTrca::fit(xtr.view(), &ytr, &bands, sfreq, false).expect("fit TRCA");
            let gw = arr3(&f["filters"]);
            for (b, gb) in gw.iter().enumerate() {
                for (k, gk) in gb.iter().enumerate() {
                    let w: Vec<f64> = model.trca.filters[b].row(k).to_vec();
                    let c = abs_corr(&w, gk);
                    worst_filter = worst_filter.min(c);
                    assert!(
                        c > 0.999999,
                        "{stem} fold {fi} band {b} class {k}: filter |corr| {c}"
                    );
                }
            }
            let sub = model.filter(xte.view()).expect("sub-bands");
            let views: Vec<_> = sub.iter().map(|x| x.view()).collect();
            let mut ens = model.trca.clone();
            ens.ensemble = true;
            for (which, m, key, pkey) in [
                ("TRCA", &model.trca, "r_trca", "pred_trca"),
                ("ensemble TRCA", &ens, "r_ensemble", "pred_ensemble"),
            ] {
                let r = m.correlations(&views).expect("correlations");
                let want = arr3(&f[key]);
                for (t, wt) in want.iter().enumerate() {
                    for (b, wb) in wt.iter().enumerate() {
                        for (k, v) in wb.iter().enumerate() {
                            let d = (r[[t, b, k]] - v).abs();
                            worst_r = worst_r.max(d);
                            assert!(
                                d < 1e-8,
                                "{stem} fold {fi} {which}: trial {} band {b} class {k}: {} vs {v}",
                                test[t],
                                r[[t, b, k]]
                            );
                        }
                    }
                }
                let pred = m.predict(&views).expect("predict");
                assert_eq!(
                    pred,
                    usizes(&f[pkey]),
                    "{stem} fold {fi} {which} predictions"
                );
                let hits = pred
                    .iter()
                    .zip(&test)
                    .filter(|(p, i)| **p == y[**i])
                    .count();
                if m.ensemble {
                    se += hits;
                } else {
                    st += hits;
                }
            }
        }
        let fb_pred = vec1(&fbcca["files"][stem.as_str()]["predicted"]);
        let fb = fb_pred
            .iter()
            .zip(&target)
            .filter(|(p, t)| **p == freqs[**t])
            .count();
        let n = y.len();
        println!(
            "{stem}: TRCA {:.3}, ensemble TRCA {:.3}, FBCCA {:.3} ({n} trials)",
            st as f64 / n as f64,
            se as f64 / n as f64,
            fb as f64 / n as f64
        );
        hits_t += st;
        hits_e += se;
        hits_fb += fb;
        total += n;
    }
    println!(
        "all sessions ({total} trials, 4-fold per session): TRCA {:.3}, ensemble TRCA {:.3}, FBCCA {:.3}; worst |r - r_py| {worst_r:.1e}, worst filter |corr| {worst_filter}",
        hits_t as f64 / total as f64,
        hits_e as f64 / total as f64,
        hits_fb as f64 / total as f64
    );
}

fn session() -> (Array3<f64>, Vec<usize>, f64) {
    let e = epochs("ssvep_subject01_2012-07-06-19-02-16");
    let freqs = [13.0, 17.0, 21.0];
    let y = vec1(&e.meta["freqs"])
        .iter()
        .map(|f| freqs.iter().position(|g| g == f).expect("known frequency"))
        .collect();
    (e.x, y, e.meta["sfreq"].as_f64().expect("sfreq"))
}

#[test]
fn bad_input_gives_typed_errors() {
    let (x, y, sf) = session();
    let bands = default_fbcca_bands();
    // One trial of class 2 only.
    let keep: Vec<usize> = {
        let mut seen2 = false;
        (0..y.len())
            .filter(|&i| {
                if y[i] != 2 {
                    return true;
                }
                let first = !seen2;
                seen2 = true;
                first
            })
            .collect()
    };
    let ys: Vec<usize> = keep.iter().map(|&i| y[i]).collect();
    let err = FilterBankTrca::fit(x.select(Axis(0), &keep).view(), &ys, &bands, sf, false)
        .expect_err("one trial of a class");
    assert!(
        matches!(&err, DecodeError::InvalidParameter { name, value, .. } if name.contains("class 2") && value == "1"),
        "{err}"
    );
    // A single class.
    let ones = vec![0usize; y.len()];
    let err = FilterBankTrca::fit(x.view(), &ones, &bands, sf, false).expect_err("one class");
    assert!(matches!(err, DecodeError::SingleClass { .. }), "{err}");
    // NaN in training and in test epochs.
    let mut bad = x.clone();
    bad[[3, 2, 100]] = f64::NAN;
    let err = FilterBankTrca::fit(bad.view(), &y, &bands, sf, true).expect_err("NaN");
    assert!(
        matches!(
            err,
            DecodeError::NonFinite {
                epoch: 3,
                channel: 2,
                sample: 100,
                ..
            }
        ),
        "{err}"
    );
    let model = FilterBankTrca::fit(x.view(), &y, &bands, sf, true).expect("fit");
    let err = model.predict(bad.view()).expect_err("NaN at predict");
    assert!(matches!(err, DecodeError::NonFinite { .. }), "{err}");
    // Labels of the wrong length; epochs of another channel count or length.
    let err = FilterBankTrca::fit(x.view(), &y[1..], &bands, sf, false).expect_err("label length");
    assert!(matches!(err, DecodeError::Shape(_)), "{err}");
    let fewer_ch = x.slice(ndarray::s![.., ..4, ..]).to_owned();
    let err = model.predict(fewer_ch.view()).expect_err("channels");
    assert!(matches!(err, DecodeError::Shape(_)), "{err}");
    let shorter = x.slice(ndarray::s![.., .., ..256]).to_owned();
    let err = model.predict(shorter.view()).expect_err("samples");
    assert!(matches!(err, DecodeError::Shape(_)), "{err}");
    // Sub-bands that disagree in shape, and a wrong number of sub-bands.
    let sub = model.filter(x.view()).expect("filter");
    let mut views: Vec<_> = sub.iter().map(|a| a.view()).collect();
    let err = model.trca.predict(&views[..2]).expect_err("band count");
    assert!(matches!(err, DecodeError::Shape(_)), "{err}");
    let cut = sub[1].slice(ndarray::s![..3, .., ..]).to_owned();
    views[1] = cut.view();
    let err = model.trca.predict(&views).expect_err("band shapes");
    assert!(matches!(err, DecodeError::Shape(_)), "{err}");
    let err = Trca::fit(&[], &y, false).expect_err("no bands");
    assert!(matches!(err, DecodeError::InvalidParameter { .. }), "{err}");
    // A flat channel: the within-trial covariance is singular.
    let mut flat = x.clone();
    flat.index_axis_mut(Axis(1), 5).fill(0.0);
    let err = FilterBankTrca::fit(flat.view(), &y, &bands, sf, false).expect_err("flat channel");
    assert!(
        matches!(err, DecodeError::SingularCovariance { .. }),
        "{err}"
    );
    // A flat test epoch has no correlation to speak of.
    let zero = Array3::<f64>::zeros((1, x.dim().1, x.dim().2));
    let err = model.predict(zero.view()).expect_err("flat epoch");
    assert!(
        matches!(err, DecodeError::SingularCovariance { .. }),
        "{err}"
    );
    // And the model round-trips through JSON unchanged.
    let json = serde_json::to_string(&model).expect("serialize");
    let back: FilterBankTrca = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, model);
    assert_eq!(
        back.predict(x.view()).expect("predict"),
        model.predict(x.view()).expect("predict")
    );
}
