//! Issue #7, acceptance 5: a stalled sink drops on its own branch only (counted); every other
//! branch and the recording stay complete.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use bci_acquire::replay::FileSource;
use bci_pipeline::{Session, SessionConfig, Tap};
use common::{Counter, Staller, datasets};

#[test]
fn stalled_sink_drops_on_its_branch_only_and_the_recording_is_complete() {
    let rec = bci_formats::read(&datasets().join("eegmmidb/S001/S001R04.edf")).unwrap();
    let n_total = rec.n_samples() as u64;
    let expected = rec.data.clone();
    // 25 x real time: 4,000 frames/s of 64 channels, live semantics (nothing waits).
    let source = FileSource::new("S001R04", rec, Some(25.0)).unwrap();
    let dir = tempfile_dir();
    let out = dir.join("rec.bdf");
    let mut session = Session::new(SessionConfig {
        record: Some(out.clone()),
        bandpass: Some((8.0, 30.0, 4)),
        ring_seconds: 0.5,
        attention: true,
        ..SessionConfig::default()
    });
    let raw = Counter::new(Tap::Raw);
    let filtered = Counter::new(Tap::Filtered);
    let (raw_frames, raw_holes) = (raw.frames.clone(), raw.holes.clone());
    let (filt_frames, filt_holes) = (filtered.frames.clone(), filtered.holes.clone());
    session.add_sink(Box::new(raw));
    session.add_sink(Box::new(Staller(Duration::from_millis(50))));
    session.add_sink(Box::new(filtered));
    let summary = session.run(Box::new(source), &mut |_| {}).unwrap();
    assert_eq!(summary.error, None);
    assert_eq!(summary.samples_received, n_total);

    let branch = |name: &str| {
        summary
            .branches
            .iter()
            .find(|b| b.name == name)
            .unwrap_or_else(|| panic!("no branch {name}: {:?}", summary.branches))
            .clone()
    };
    let stalled = branch("sink staller");
    assert!(stalled.frames_dropped > 0, "{stalled:?}");
    assert_eq!(stalled.frames_in + stalled.frames_dropped, n_total);
    for name in ["recorder", "preprocess", "sink counter"] {
        let b = branch(name);
        assert_eq!(b.frames_dropped, 0, "{b:?}");
    }
    // Both counters saw every frame, in order.
    assert_eq!(raw_frames.load(Ordering::Relaxed), n_total);
    assert_eq!(filt_frames.load(Ordering::Relaxed), n_total);
    assert_eq!(raw_holes.load(Ordering::Relaxed), 0);
    assert_eq!(filt_holes.load(Ordering::Relaxed), 0);
    let s = summary.sinks.iter().find(|s| s.name == "staller").unwrap();
    assert!(s.error.is_none());

    // The recording has every frame, within one digital step of the file's values.
    assert_eq!(summary.frames_recorded, n_total);
    let back = bci_formats::read(&out).unwrap();
    assert_eq!(back.n_samples() as u64, n_total);
    let step = |c: usize| {
        let ch = &back.channels[c];
        (ch.physical_max - ch.physical_min) / (ch.digital_max - ch.digital_min) as f64
    };
    for c in 0..expected.nrows() {
        for t in (0..expected.ncols()).step_by(7) {
            let d = (back.data[[c, t]] - expected[[c, t]]).abs();
            assert!(d <= step(c), "channel {c} sample {t}: {d} > one step");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("bci-pipeline-stall-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
