//! Acceptance 2 on our own code path: EDF read by bci-formats, each run band-passed 8-32 Hz by
//! bci-dsp's MNE-style IIR, epochs 0-3 s after T1/T2, then CSP+LDA, TS+LR and MDM on MOABB's
//! folds; per-subject mean ROC-AUC within 0.02 of the Python pipelines (pipelines.json).

mod common;

use bci_decode::eval::{Window, check_folds, cross_validate};
use bci_decode::model::collect_epochs;
use bci_decode::{EventClass, FilterSpec, PipelineKind, PipelineOptions};
use common::*;

#[test]
fn rust_path_matches_python_pipelines() {
    let g = golden("pipelines.json");
    let events = vec![
        EventClass {
            event: "T1".into(),
            class: "left_hand".into(),
        },
        EventClass {
            event: "T2".into(),
            class: "right_hand".into(),
        },
    ];
    let mut worst = 0.0f64;
    let mut report = Vec::new();
    for s in 1..=5 {
        let name = format!("S{s:03}");
        let recs: Vec<_> = [4, 8, 12]
            .iter()
            .map(|r| {
                let p = datasets().join(format!("eegmmidb/{name}/{name}R{r:02}.edf"));
                bci_formats::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            })
            .collect();
        let refs: Vec<&_> = recs.iter().collect();
        let channels: Vec<String> = recs[0].channels.iter().map(|c| c.label.clone()).collect();
        let filter = FilterSpec::mne_bandpass(8.0, 32.0, recs[0].sample_rate).unwrap();
        let window = Window {
            tmin: 0.0,
            tmax: 3.0,
        };
        let (x, labels, _) =
            collect_epochs(&refs, &channels, Some(&filter), &events, window).unwrap();
        let gs = &g["subjects"][&name];
        let y: Vec<usize> = labels
            .iter()
            .map(|l| usize::from(l == "right_hand"))
            .collect();
        assert_eq!(y, usizes(&gs["labels"]), "{name}: labels in load order");
        // The epochs themselves agree with MNE's.
        let py = epochs(&format!("mi_{name}"));
        let d = (&x - &py.x).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(d < 1e-6, "{name}: epochs differ from MNE's by {d:e} µV");
        let folds: Vec<Vec<usize>> = gs["folds"].as_array().unwrap().iter().map(usizes).collect();
        check_folds(y.len(), &folds).unwrap();
        for (key, kind) in [
            ("csp_lda", PipelineKind::CspLda),
            ("ts_lr", PipelineKind::TsLr),
            ("mdm", PipelineKind::Mdm),
        ] {
            let opts = PipelineOptions::default();
            let aucs = cross_validate(kind, x.view(), &y, &folds, &opts, 160.0, &[]).unwrap();
            let mean = aucs.iter().sum::<f64>() / 5.0;
            let pyv = gs["pipelines"][key]["mean_auc"].as_f64().unwrap();
            report.push(format!("{name} {key}: rust {mean:.3} python {pyv:.3}"));
            worst = worst.max((mean - pyv).abs());
        }
    }
    let text = report.join("\n");
    println!("{text}");
    assert!(worst <= 0.02 + 1e-12, "ROC-AUC differs by {worst}:\n{text}");
}
