//! Every recording in the shared datasets, read by bci-formats, against the outside reference
//! readers' values committed under tests/golden/formats (made by scripts/golden/formats.py):
//! channel names, rate, sample count, events, strided data values (1e-6 relative) and
//! per-channel sums over all samples.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn golden_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("golden dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            golden_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn check(golden: &Path, data_file: &Path) -> Result<(), String> {
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(golden).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let rec = match g["board"].as_str() {
        // BrainFlow CSV needs the board that wrote it.
        Some(board) => {
            let layout =
                bci_formats::brainflow::BoardLayout::by_name(board).ok_or("unknown board")?;
            bci_formats::FormatReader::read(
                &bci_formats::brainflow::BrainFlowReader::with_board(layout),
                data_file,
            )
        }
        None => bci_formats::read(data_file),
    }
    .map_err(|e| format!("read failed: {e}"))?;
    let names: Vec<&str> = g["ch_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ours: Vec<&str> = rec.channels.iter().map(|c| c.label.as_str()).collect();
    if names != ours {
        return Err(format!(
            "channel names differ: reference {names:?}, ours {ours:?}"
        ));
    }
    let sfreq = g["sfreq"].as_f64().unwrap();
    if (sfreq - rec.sample_rate).abs() > 1e-9 * sfreq {
        return Err(format!("rate: reference {sfreq}, ours {}", rec.sample_rate));
    }
    let n = g["n_samples"].as_u64().unwrap() as usize;
    if n != rec.n_samples() {
        return Err(format!("samples: reference {n}, ours {}", rec.n_samples()));
    }
    // Events: onsets and durations in samples, labels.
    let mut want: Vec<(u64, u64, String)> = g["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let on = e[0].as_f64().unwrap();
            let du = e[1].as_f64().unwrap();
            (
                (on * sfreq).round() as u64,
                (du * sfreq).round() as u64,
                e[2].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut got: Vec<(u64, u64, String)> = rec
        .events
        .iter()
        .map(|e| (e.onset, e.duration, e.label.clone()))
        .collect();
    want.sort();
    got.sort();
    if want != got {
        let first = want.iter().zip(&got).position(|(a, b)| a != b);
        return Err(format!(
            "events differ: reference {} events, ours {}; first difference at {first:?}: {:?} vs {:?}",
            want.len(),
            got.len(),
            first.and_then(|i| want.get(i)),
            first.and_then(|i| got.get(i))
        ));
    }
    let idx: Vec<usize> = g["indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    for (c, row) in g["data"].as_array().unwrap().iter().enumerate() {
        for (k, v) in row.as_array().unwrap().iter().enumerate() {
            let want = v.as_f64().unwrap();
            let got = rec.data[[c, idx[k]]];
            if (got - want).abs() > 1e-6 * want.abs() + 1e-9 {
                return Err(format!(
                    "channel {} sample {}: reference {want}, ours {got}",
                    names[c], idx[k]
                ));
            }
        }
    }
    let sums = g["sums"].as_array().unwrap();
    let abs_sums = g["abs_sums"].as_array().unwrap();
    for c in 0..rec.n_channels() {
        let s: f64 = rec.data.row(c).sum();
        let want = sums[c].as_f64().unwrap();
        let scale = abs_sums[c].as_f64().unwrap();
        if (s - want).abs() > 1e-6 * scale + 1e-9 {
            return Err(format!(
                "channel {} sum: reference {want}, ours {s}",
                names[c]
            ));
        }
    }
    Ok(())
}

#[test]
fn every_dataset_recording_matches_its_reference_reader() {
    let golden_root = common::root().join("tests/golden/formats");
    let datasets = common::datasets();
    let mut files = Vec::new();
    golden_files(&golden_root, &mut files);
    files.sort();
    assert!(
        files.len() >= 49,
        "expected golden files for every recording, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for g in &files {
        let rel = g
            .strip_prefix(&golden_root)
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".json")
            .to_string();
        let data_file = if rel.starts_with("brainflow/") {
            golden_root.join(&rel)
        } else {
            datasets.join(&rel)
        };
        assert!(
            data_file.exists(),
            "recording {} for golden {} is missing",
            data_file.display(),
            g.display()
        );
        if let Err(e) = check(g, &data_file) {
            failures.push(format!("{rel}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
