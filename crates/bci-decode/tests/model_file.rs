//! Acceptance 4: train, save, load, predict gives identical predictions; a 64-channel model
//! applied to an 8-channel stream fails with a message naming both. Real recordings, read with
//! bci-formats and filtered with bci-dsp.

mod common;

use bci_decode::eval::Window;
use bci_decode::{DecodeError, EventClass, Model, PipelineKind, PipelineOptions, TrainSpec};
use common::*;

fn spec(kind: PipelineKind) -> TrainSpec {
    TrainSpec {
        pipeline: kind,
        events: vec![
            EventClass {
                event: "T1".into(),
                class: "left".into(),
            },
            EventClass {
                event: "T2".into(),
                class: "right".into(),
            },
        ],
        window: Window {
            tmin: 0.0,
            tmax: 3.0,
        },
        band: Some([8.0, 32.0]),
        options: PipelineOptions::default(),
    }
}

fn read(rel: &str) -> bci_core::Recording {
    let p = datasets().join(rel);
    bci_formats::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn round_trip_gives_identical_predictions() {
    let r04 = read("eegmmidb/S001/S001R04.edf");
    let r08 = read("eegmmidb/S001/S001R08.edf");
    let r12 = read("eegmmidb/S001/S001R12.edf");
    let dir = std::env::temp_dir().join(format!("bci-decode-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for kind in [PipelineKind::CspLda, PipelineKind::TsLr, PipelineKind::Mdm] {
        let model = Model::train(&[&r04, &r08], &spec(kind)).unwrap();
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
    let model = Model::train(&[&r04], &spec(PipelineKind::Mdm)).unwrap();
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
    let model = Model::train(&[&r04], &spec(PipelineKind::CspLda)).unwrap();
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
