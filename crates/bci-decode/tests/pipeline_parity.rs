//! Acceptance 2 on the reference epochs: for S001-S005 left/right imagery, CSP+LDA, TS+LR and
//! MDM fitted per fold on MOABB's folds (read from tests/golden/decode/pipelines.json, written by
//! the Python side) give per-subject mean ROC-AUC within 0.02 of the Python pipelines.
//! The epochs here come from MNE (scripts/golden/decode_inputs.py); `rust_path_parity.rs` runs the
//! same check on epochs read and filtered by our own crates.

mod common;

use bci_decode::eval::cross_validate;
use bci_decode::{PipelineKind, PipelineOptions};
use common::*;

#[test]
fn pipelines_match_python_per_subject() {
    let g = golden("pipelines.json");
    let mut report = Vec::new();
    let mut worst = 0.0f64;
    for s in 1..=5 {
        let name = format!("S{s:03}");
        let gs = &g["subjects"][&name];
        let e = epochs(&format!("mi_{name}"));
        let y = usizes(&gs["labels"]);
        assert_eq!(y.len(), e.x.dim().0);
        let folds: Vec<Vec<usize>> = gs["folds"].as_array().unwrap().iter().map(usizes).collect();
        for (key, kind) in [
            ("csp_lda", PipelineKind::CspLda),
            ("ts_lr", PipelineKind::TsLr),
            ("mdm", PipelineKind::Mdm),
        ] {
            let opts = PipelineOptions::default();
            let aucs = cross_validate(kind, e.x.view(), &y, &folds, &opts, 160.0, &[]).unwrap();
            let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
            let py = gs["pipelines"][key]["mean_auc"].as_f64().unwrap();
            report.push(format!(
                "{name} {key}: rust {mean:.3} python {py:.3} folds {aucs:?}"
            ));
            worst = worst.max((mean - py).abs());
        }
    }
    let text = report.join("\n");
    println!("{text}");
    assert!(
        worst <= 0.02 + 1e-12,
        "ROC-AUC differs by {worst} > 0.02:\n{text}"
    );
}
