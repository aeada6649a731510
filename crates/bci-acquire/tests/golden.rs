//! Our decoder against BrainFlow's own Cyton and Cyton+Daisy drivers on the spec's test vectors
//! (golden file made by scripts/golden/acquire.py).

use bci_acquire::decoder::{BoardKind, CytonDecoder};

fn golden() -> serde_json::Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/golden/acquire/brainflow_vectors.json");
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/golden/acquire.py", p.display()));
    serde_json::from_str(&text).unwrap()
}

fn frames(kind: BoardKind, packets: &[serde_json::Value]) -> Vec<Vec<f64>> {
    let mut bytes = Vec::new();
    for p in packets {
        for t in p.as_str().unwrap().split_whitespace() {
            bytes.push(u8::from_str_radix(t, 16).unwrap());
        }
    }
    let mut d = CytonDecoder::new(kind, 250.0);
    d.push(&bytes, 0);
    d.flush();
    let mut out = Vec::new();
    while let Some(c) = d.take_chunk() {
        for f in 0..c.n_frames() {
            out.push(c.frame(f).to_vec());
        }
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

fn check(kind: BoardKind, g: &serde_json::Value) {
    let ours = frames(kind, g["packets"].as_array().unwrap());
    let rows = g["rows"].as_array().unwrap();
    assert_eq!(ours.len(), rows.len());
    let n_eeg = kind.n_eeg();
    for (i, (f, r)) in ours.iter().zip(rows).enumerate() {
        let eeg: Vec<f64> = r["eeg_uv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let acc: Vec<f64> = r["accel_g"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(eeg.len(), n_eeg);
        for c in 0..n_eeg {
            assert!(
                close(f[c], eeg[c]),
                "row {i} channel {}: ours {} BrainFlow {}",
                c + 1,
                f[c],
                eeg[c]
            );
        }
        for a in 0..3 {
            assert!(
                close(f[n_eeg + a], acc[a]),
                "row {i} accel {a}: ours {} BrainFlow {}",
                f[n_eeg + a],
                acc[a]
            );
        }
    }
}

#[test]
fn cyton_matches_brainflow() {
    check(BoardKind::Cyton, &golden()["cyton"]);
}

#[test]
fn cyton_daisy_matches_brainflow() {
    check(BoardKind::CytonDaisy, &golden()["cyton_daisy"]);
}
