//! Timing of the decoders on the reference epochs, printed as JSON for
//! `benches/decode_vs_python.py` (which times the Python pipelines on the same epochs in the
//! same run), with the cost and count of the 64 x 64 eigen-decompositions the Riemannian
//! pipelines are made of. Reads `target/golden/decode/mi_S00k.f64` (scripts/golden/decode_inputs.py) and the
//! folds in `tests/golden/decode/pipelines.json`.
//!
//!     cargo run --release -p bci-decode --example decode_timing -- [repeats] [no-cv]

use std::path::{Path, PathBuf};
use std::time::Instant;

use bci_decode::covariance::{Estimator, covariances};
use bci_decode::eval::cross_validate;
use bci_decode::riemann::eigh;
use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions, decompositions};
use ndarray::{Array2, Array3, Axis};

/// Epochs, labels and test folds of one subject.
type Subject = (Array3<f64>, Vec<usize>, Vec<Vec<usize>>);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(name: &str) -> Result<(Array3<f64>, Vec<usize>), String> {
    let dir = root().join("target/golden/decode");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.f64.json")))
            .map_err(|e| format!("{name}: {e}; run scripts/golden/decode_inputs.py"))?,
    )
    .map_err(|e| e.to_string())?;
    let shape: Vec<usize> = meta["shape"]
        .as_array()
        .ok_or("shape")?
        .iter()
        .filter_map(|v| v.as_u64().map(|v| v as usize))
        .collect();
    let bytes = std::fs::read(dir.join(format!("{name}.f64"))).map_err(|e| e.to_string())?;
    let vals: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect();
    let x =
        Array3::from_shape_vec((shape[0], shape[1], shape[2]), vals).map_err(|e| e.to_string())?;
    let y = meta["labels"]
        .as_array()
        .ok_or("labels")?
        .iter()
        .map(|l| usize::from(l.as_str() == Some("right_hand")))
        .collect();
    Ok((x, y))
}

fn fit_predict(kind: PipelineKind, x: &Array3<f64>, y: &[usize]) -> Vec<usize> {
    let m = Fitted::fit(kind, x.view(), y, &PipelineOptions::default(), 160.0, &[]).expect("fit");
    m.predict(x.view()).expect("predict")
}

/// S001's OAS covariances whitened by their arithmetic mean (`W C W`, `W = mean^{-1/2}`): the
/// matrices the first iteration of the Riemannian mean decomposes.
fn whitened(x: &Array3<f64>) -> Result<Vec<Array2<f64>>, String> {
    let covs = covariances(x.view(), Estimator::Oas).map_err(|e| e.to_string())?;
    let mean = covs.mean_axis(Axis(0)).ok_or("no epochs")?;
    let (vals, vecs) = eigh(mean.view()).map_err(|e| e.to_string())?;
    let scaled = &vecs * &vals.mapv(|v| 1.0 / v.sqrt());
    let w = scaled.dot(&vecs.t());
    Ok(covs.axis_iter(Axis(0)).map(|c| w.dot(&c).dot(&w)).collect())
}

/// Eigen-decompositions with eigenvectors done while `f` runs.
fn counted(f: impl FnOnce()) -> u64 {
    let before = decompositions().0;
    f();
    decompositions().0 - before
}

fn best_of(repeats: usize, mut f: impl FnMut()) -> f64 {
    (0..repeats)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), String> {
    let repeats: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let (x1, y1) = load("mi_S001")?;
    let csp = best_of(repeats, || {
        fit_predict(PipelineKind::CspLda, &x1, &y1);
    });
    let tslr = best_of(repeats, || {
        fit_predict(PipelineKind::TsLr, &x1, &y1);
    });
    let tslr_count = counted(|| {
        fit_predict(PipelineKind::TsLr, &x1, &y1);
    });
    let mats = whitened(&x1)?;
    let eigh_s = best_of(repeats, || {
        for m in &mats {
            std::hint::black_box(eigh(m.view()).expect("eigh"));
        }
    }) / mats.len() as f64;
    let mut out = serde_json::json!({
        "csp_lda_fit_predict_45": csp,
        "ts_lr_fit_predict_45": tslr,
        "ts_lr_fit_predict_45_decompositions": tslr_count,
        "eigh_64_s": eigh_s,
        "threads": std::thread::available_parallelism().map_or(1, |t| t.get()),
    });
    if std::env::args().nth(2).as_deref() == Some("no-cv") {
        println!("{out}");
        return Ok(());
    }
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/golden/decode/pipelines.json"))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let subjects: Vec<Subject> = (1..=5)
        .map(|s| {
            let (x, y) = load(&format!("mi_S{s:03}"))?;
            let folds = golden["subjects"][format!("S{s:03}")]["folds"]
                .as_array()
                .ok_or("folds")?
                .iter()
                .map(|f| {
                    f.as_array()
                        .map(|v| {
                            v.iter()
                                .filter_map(|i| i.as_u64().map(|i| i as usize))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect();
            Ok((x, y, folds))
        })
        .collect::<Result<_, String>>()?;
    let mut cv_mean = Vec::new();
    let before = decompositions().0;
    let cv = best_of(1, || {
        cv_mean.clear();
        for (x, y, folds) in &subjects {
            for kind in [PipelineKind::CspLda, PipelineKind::TsLr, PipelineKind::Mdm] {
                let opts = PipelineOptions::default();
                let aucs = cross_validate(kind, x.view(), y, folds, &opts, 160.0, &[])
                    .expect("cross-validation");
                cv_mean.push(aucs.iter().sum::<f64>() / folds.len() as f64);
            }
        }
    });
    out["cv5_S001_S005_3_pipelines"] = cv.into();
    out["cv5_S001_S005_3_pipelines_decompositions"] = (decompositions().0 - before).into();
    out["cv_mean_auc"] = cv_mean.into();
    println!("{out}");
    Ok(())
}
