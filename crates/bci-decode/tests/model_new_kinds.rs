//! Model-file round trip for csp-mne-lda, fbcsp and xdawn-lda on real recordings (eegmmidb S001
//! R04 + R08 to train, R12 to predict, read with bci-formats and filtered with bci-dsp):
//! train, save, load, predict gives identical predictions and scores; the loaded model is
//! validated (a damaged part is refused at load with the field named).

mod common;

use bci_decode::{DecodeError, Model, PipelineKind};
use common::*;

#[test]
fn new_kinds_round_trip_and_refuse_damaged_parts() {
    let r04 = read("eegmmidb/S001/S001R04.edf");
    let r08 = read("eegmmidb/S001/S001R08.edf");
    let r12 = read("eegmmidb/S001/S001R12.edf");
    let dir = std::env::temp_dir().join(format!("bci-decode-newkinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // xDAWN + LDA flattens the filtered epochs: a 1 s window keeps it to 8 x 161 features.
    let cases: [(PipelineKind, f64, &str, serde_json::Value, &str); 3] = [
        (
            PipelineKind::CspMneLda,
            3.0,
            "/pipeline/csp/rank",
            serde_json::json!(65),
            "csp.rank is 65",
        ),
        (
            PipelineKind::Fbcsp,
            3.0,
            "/pipeline/fbcsp/selected",
            serde_json::json!([3, 1]),
            "fbcsp.selected must list at least one feature, in increasing order",
        ),
        (
            PipelineKind::XdawnLda,
            1.0,
            "/pipeline/lda/coef",
            serde_json::json!({"v": 1, "dim": [1, 3], "data": [1.0, 0.0, 2.0]}),
            "lda.coef is 1 x 3; expected 1 x 1288",
        ),
    ];
    for (kind, tmax, pointer, value, want) in cases {
        let model = Model::train(&[&r04, &r08], &left_right_spec(kind, tmax)).unwrap();
        assert_eq!(model.pipeline_name, kind.name());
        let path = dir.join(format!("{}.json", kind.name()));
        model.save(&path).unwrap();
        let loaded = Model::load(&path).unwrap();
        let a = model.predict_recording(&r12).unwrap();
        let b = loaded.predict_recording(&r12).unwrap();
        assert_eq!(a.len(), 15, "R12 has 15 T1/T2 events");
        assert_eq!(a, b, "{kind:?}: predictions after save/load differ");
        let correct = a
            .iter()
            .filter(|p| p.label.as_deref() == Some(p.predicted.as_str()))
            .count();
        println!("{kind:?}: {correct}/15 correct on held-out R12");

        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        *v.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{kind:?}: no {pointer}")) = value;
        let err = Model::from_json(&v.to_string()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, DecodeError::ModelFile { .. }), "{err:?}");
        assert!(
            msg.contains(want),
            "{kind:?}: message lacks {want:?}: {msg}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The fuzz seeds of the new kinds load and score epochs of their shape; damaged copies are
/// refused at load with the field named.
#[test]
fn new_kind_seeds_load_score_and_refuse_damage() {
    assert_seeds_load_and_score(&["csp-mne-lda", "fbcsp", "xdawn-lda"]);
    let cases: Vec<(&str, &str, serde_json::Value, &str)> = vec![
        (
            "csp-mne-lda",
            "/pipeline/csp/eigenvalues",
            serde_json::json!([0.5]),
            "csp.eigenvalues has 1 values for 2 filters",
        ),
        (
            "fbcsp",
            "/pipeline/fbcsp/selected",
            serde_json::json!([0, 9]),
            "fbcsp.selected names feature 9; the bands give 4",
        ),
        (
            "fbcsp",
            "/pipeline/subbands",
            serde_json::json!([]),
            "fbcsp lists 0 sub-bands",
        ),
        (
            "fbcsp",
            "/pipeline/fbcsp/csps/1/filters",
            serde_json::json!({"v": 1, "dim": [1, 2], "data": [1.0, 0.0]}),
            "fbcsp.csps[1].filters is 1 x 2; expected k x 3",
        ),
        (
            "fbcsp",
            "/pipeline/fbcsp/lda/coef",
            serde_json::json!({"v": 1, "dim": [1, 2], "data": [1.0, 0.0]}),
            "lda.coef is 1 x 2; expected 1 x 3",
        ),
        (
            "xdawn-lda",
            "/pipeline/xdawn/evokeds",
            serde_json::json!({"v": 1, "dim": [2, 2], "data": [1.0, 0.0, 0.0, 1.0]}),
            "xdawn.evokeds is 2 x 2; expected 2 x 81",
        ),
        (
            "xdawn-lda",
            "/pipeline/lda/n_classes",
            serde_json::json!(3),
            "lda.n_classes is 3 but the model has 2 classes",
        ),
    ];
    assert_damaged_models_refused(cases);
}
