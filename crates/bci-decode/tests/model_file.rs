//! Acceptance 4: train, save, load, predict gives identical predictions; a 64-channel model
//! applied to an 8-channel stream fails with a message naming both. Real recordings, read with
//! bci-formats and filtered with bci-dsp.

mod common;

use bci_decode::{DecodeError, Model, PipelineKind};
use common::*;

#[test]
fn round_trip_gives_identical_predictions() {
    let r04 = read("eegmmidb/S001/S001R04.edf");
    let r08 = read("eegmmidb/S001/S001R08.edf");
    let r12 = read("eegmmidb/S001/S001R12.edf");
    let dir = std::env::temp_dir().join(format!("bci-decode-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for kind in [PipelineKind::CspLda, PipelineKind::TsLr, PipelineKind::Mdm] {
        let model = Model::train(&[&r04, &r08], &left_right_spec(kind, 3.0)).unwrap();
        assert_eq!(model.channels.len(), 64);
        assert_eq!(model.classes, vec!["left", "right"]);
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
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn model_refuses_a_stream_with_other_channels_or_rate() {
    let r04 = read("eegmmidb/S001/S001R04.edf");
    let model = Model::train(&[&r04], &left_right_spec(PipelineKind::Mdm, 3.0)).unwrap();
    let ssvep = read("ssvep_exoskeleton/subject01_2012-07-06-19-02-16.gdf");
    let err = model.predict_recording(&ssvep).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DecodeError::Mismatch(_)), "{err:?}");
    for want in [
        "64 channels",
        "160 Hz",
        "8 channels",
        "256 Hz",
        "Oz",
        &model.channels[0],
    ] {
        assert!(msg.contains(want), "message lacks {want:?}: {msg}");
    }
    // Same channels at another rate also fails.
    let labels: Vec<String> = r04.channels.iter().map(|c| c.label.clone()).collect();
    let e = model.check_stream(&labels, 250.0).unwrap_err().to_string();
    assert!(e.contains("160 Hz") && e.contains("250 Hz"), "{e}");
    assert!(model.check_stream(&labels, 160.0).is_ok());
}

#[test]
fn model_file_version_and_format_are_checked() {
    let r04 = read("eegmmidb/S001/S001R04.edf");
    let model = Model::train(&[&r04], &left_right_spec(PipelineKind::CspLda, 3.0)).unwrap();
    let text = serde_json::to_string(&model).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut bumped = v.clone();
    bumped["version"] = serde_json::json!(99);
    let e = Model::from_json(&bumped.to_string())
        .unwrap_err()
        .to_string();
    assert!(e.contains("version") && e.contains("99"), "{e}");
    let mut other = v;
    other["format"] = serde_json::json!("something-else");
    assert!(Model::from_json(&other.to_string()).is_err());
    assert!(Model::from_json("not json").is_err());
}

const SEEDS: &[&str] = &[
    "csp-lda",
    "ts-lr",
    "mdm",
    "cca",
    "fbcca",
    "xdawn-mdm",
    "xdawn-ts-lr",
];

#[test]
fn fuzz_seeds_load_and_score_epochs_of_their_shape() {
    assert_seeds_load_and_score(SEEDS);
}

/// Each damaged model names the field that is wrong when it is loaded (not at predict time).
#[test]
fn malformed_models_are_refused_at_load_with_the_field_named() {
    let cases: Vec<(&str, &str, serde_json::Value, &str)> = vec![
        // CSP filters for 2 channels in a 3-channel model.
        (
            "csp-lda",
            "/pipeline/csp/filters",
            serde_json::json!({"v": 1, "dim": [2, 2], "data": [1.0, 0.0, 0.0, 1.0]}),
            "csp.filters is 2 x 2; expected k x 3",
        ),
        (
            "csp-lda",
            "/pipeline/lda/coef",
            serde_json::json!({"v": 1, "dim": [1, 3], "data": [1.0, 0.0, 2.0]}),
            "lda.coef is 1 x 3; expected 1 x 2",
        ),
        (
            "ts-lr",
            "/pipeline/logistic_regression/coef",
            serde_json::json!({"v": 1, "dim": [3], "data": [1.0, 0.0, 2.0]}),
            "logistic_regression.coef has 3 values; expected 6",
        ),
        (
            "ts-lr",
            "/pipeline/tangent_space/reference",
            serde_json::json!({"v": 1, "dim": [3, 3], "data": [1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0]}),
            "tangent_space.reference",
        ),
        (
            "mdm",
            "/classes",
            serde_json::json!(["left", "right", "feet"]),
            "mdm.means holds 2 class means for 3 classes",
        ),
        (
            "mdm",
            "/channels",
            serde_json::json!(["C3", "C3", "C4"]),
            "listed twice",
        ),
        (
            "mdm",
            "/sample_rate",
            serde_json::json!(-5.0),
            "sample_rate",
        ),
        (
            "mdm",
            "/window",
            serde_json::json!({"tmin": 0.0, "tmax": 1e30}),
            "window",
        ),
        (
            "mdm",
            "/pipeline_name",
            serde_json::json!("ts-lr"),
            "pipeline_name",
        ),
        (
            "cca",
            "/pipeline/cca/sfreq",
            serde_json::json!(250.0),
            "cca.sfreq is 250 Hz but the model's rate is 256 Hz",
        ),
        (
            "cca",
            "/pipeline/cca/harmonics",
            serde_json::json!(0),
            "cca.harmonics",
        ),
        (
            "xdawn-mdm",
            "/pipeline/xdawn_covariances/xdawn/evokeds",
            serde_json::json!({"v": 1, "dim": [2, 2], "data": [1.0, 0.0, 0.0, 1.0]}),
            "xdawn.evokeds is 2 x 2; expected 2 x 81",
        ),
        (
            "xdawn-ts-lr",
            "/pipeline/xdawn_covariances/xdawn/filters_per_class",
            serde_json::json!(2),
            "xdawn.filters is 2 x 3; expected 4 x 3",
        ),
        (
            "fbcca",
            "/pipeline/subbands/0/band",
            serde_json::json!([7.0, 200.0]),
            "subbands[0].band",
        ),
        (
            "csp-lda",
            "/filter/padlen",
            serde_json::json!(1u64 << 40),
            "filter.padlen",
        ),
        (
            "csp-lda",
            "/events/0/class",
            serde_json::json!("up"),
            "not in \"classes\"",
        ),
        // A value of the wrong JSON type: the message names the field's path.
        (
            "ts-lr",
            "/sample_rate",
            serde_json::json!("fast"),
            "field sample_rate: invalid type: string \"fast\", expected f64",
        ),
        (
            "ts-lr",
            "/window/tmax",
            serde_json::json!([0.5]),
            "field window.tmax: invalid type: sequence, expected f64",
        ),
        // Inside the pipeline (a tagged union) serde keeps no path: the part is named.
        (
            "ts-lr",
            "/pipeline/logistic_regression/intercept",
            serde_json::json!([1.0]),
            "field pipeline: invalid type: sequence, expected f64",
        ),
    ];
    assert_damaged_models_refused(cases);
}
