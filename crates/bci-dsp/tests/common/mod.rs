//! Shared helpers for the bci-dsp integration tests: golden files, the LCG the golden script
//! also implements, and a minimal EDF reader (the tests need the signals only).
#![allow(dead_code)]

use std::path::PathBuf;

use ndarray::Array2;
use serde_json::Value;

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn golden(name: &str) -> Value {
    let path = workspace_root().join("tests/golden/dsp").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `.venv/bin/python scripts/golden/dsp.py`",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("golden JSON parses")
}

pub fn datasets() -> PathBuf {
    match std::env::var_os("BCI_SHARED_DATASETS") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("../shared/datasets"),
    }
}

/// Same generator as `lcg_signal` in scripts/golden/dsp.py.
pub fn lcg_signal(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn field(h: &[u8], start: usize, len: usize) -> String {
    String::from_utf8_lossy(&h[start..start + len])
        .trim()
        .to_string()
}

/// The ordinary (non-annotation) signals of an EDF file in physical units, scaled to µV when
/// the file says uV/mV/V, as channels × samples. Assumes one rate for those signals.
pub fn read_edf_uv(path: &std::path::Path) -> (Array2<f64>, f64) {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e} (set BCI_SHARED_DATASETS)", path.display()));
    let ns: usize = field(&bytes, 252, 4).parse().unwrap();
    let n_rec: usize = field(&bytes, 236, 8).parse().unwrap();
    let dur: f64 = field(&bytes, 244, 8).parse().unwrap();
    let base = 256;
    let col = |off: usize, w: usize, i: usize| field(&bytes, base + off * ns + w * i, w);
    let labels: Vec<String> = (0..ns).map(|i| col(0, 16, i)).collect();
    let units: Vec<String> = (0..ns).map(|i| col(96, 8, i)).collect();
    let num = |off: usize, i: usize| -> f64 { col(off, 8, i).parse().unwrap() };
    let pmin: Vec<f64> = (0..ns).map(|i| num(104, i)).collect();
    let pmax: Vec<f64> = (0..ns).map(|i| num(112, i)).collect();
    let dmin: Vec<f64> = (0..ns).map(|i| num(120, i)).collect();
    let dmax: Vec<f64> = (0..ns).map(|i| num(128, i)).collect();
    let nsamp: Vec<usize> = (0..ns).map(|i| col(216, 8, i).parse().unwrap()).collect();
    let keep: Vec<usize> = (0..ns)
        .filter(|&i| !labels[i].contains("Annotations"))
        .collect();
    let per = nsamp[keep[0]];
    let mut data = Array2::zeros((keep.len(), per * n_rec));
    let rec_len: usize = nsamp.iter().sum::<usize>() * 2;
    let data_start = 256 * (ns + 1);
    for r in 0..n_rec {
        let mut off = data_start + r * rec_len;
        for i in 0..ns {
            if let Some(row) = keep.iter().position(|&k| k == i) {
                // MNE's calibration: value = digital * cal + (pmin - dmin * cal).
                let cal = (pmax[i] - pmin[i]) / (dmax[i] - dmin[i]);
                let offset = pmin[i] - dmin[i] * cal;
                let scale = match units[i].as_str() {
                    "uV" => 1.0,
                    "mV" => 1e3,
                    "V" => 1e6,
                    _ => 1.0,
                };
                for s in 0..nsamp[i] {
                    let d = i16::from_le_bytes([bytes[off + 2 * s], bytes[off + 2 * s + 1]]);
                    data[(row, r * per + s)] = (d as f64 * cal + offset) * scale;
                }
            }
            off += nsamp[i] * 2;
        }
    }
    (data, per as f64 / dur)
}

/// Largest |a - b| over the strided positions, divided by `scale`.
pub fn max_rel(got: &[f64], want: &[f64], scale: f64) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs() / scale)
        .fold(0.0, f64::max)
}
