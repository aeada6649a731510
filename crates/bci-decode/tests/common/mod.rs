//! Test helpers: the workspace root, the venv python, golden JSON, and the epoch arrays
//! `scripts/golden/decode_inputs.py` writes into `target/golden/decode/` (run here if missing).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ndarray::Array3;
use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

pub fn python() -> PathBuf {
    std::env::var_os("BCI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"))
}

pub fn datasets() -> PathBuf {
    std::env::var_os("BCI_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/datasets"))
}

pub fn golden(name: &str) -> Value {
    let p = root().join("tests/golden/decode").join(name);
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/golden/decode.py", p.display()));
    serde_json::from_str(&text).expect("golden json")
}

fn ensure_inputs() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let marker = root().join("target/golden/decode/mi_S005.f64.json");
        if marker.exists() {
            return;
        }
        run_reference_script("scripts/golden/decode_inputs.py", &[]);
    });
}

/// Runs a reference script (path from the workspace root) with the venv's Python; panics with
/// the script's name if it fails.
fn run_reference_script(script: &str, args: &[&str]) {
    let py = python();
    assert!(
        py.exists(),
        "python {} not found: create the venv (scripts/test.sh) or set BCI_PYTHON",
        py.display()
    );
    let status = Command::new(&py)
        .arg(root().join(script))
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(status.success(), "{script} {} failed", args.join(" "));
}

pub struct Epochs {
    pub x: Array3<f64>,
    pub meta: Value,
}

/// Epochs written by decode_inputs.py, e.g. `mi_S001` or `ssvep_subject01_...`.
pub fn epochs(name: &str) -> Epochs {
    ensure_inputs();
    let dir = root().join("target/golden/decode");
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.f64.json"))).expect("input header"),
    )
    .expect("json");
    let shape: Vec<usize> = meta["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|v| v.as_u64().expect("dim") as usize)
        .collect();
    let bytes = std::fs::read(dir.join(format!("{name}.f64"))).expect("input array");
    let vals: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let x = Array3::from_shape_vec((shape[0], shape[1], shape[2]), vals).expect("shape");
    Epochs { x, meta }
}

pub fn vec1(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

pub fn vec2(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().expect("array").iter().map(vec1).collect()
}

pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("int") as usize)
        .collect()
}

/// Largest absolute difference between a matrix and golden rows.
pub fn max_abs_diff(a: ndarray::ArrayView2<f64>, g: &[Vec<f64>]) -> f64 {
    assert_eq!(a.nrows(), g.len(), "row count");
    let mut m = 0.0f64;
    for (i, row) in g.iter().enumerate() {
        assert_eq!(a.ncols(), row.len(), "column count");
        for (j, v) in row.iter().enumerate() {
            m = m.max((a[[i, j]] - v).abs());
        }
    }
    m
}

/// |Pearson correlation| of two vectors (filters equal up to sign and scale).
pub fn abs_corr(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (sab / (saa * sbb).sqrt()).abs()
}

/// PhysioNet S001's left/right epochs (`mi_S001`) with their labels as class indices.
pub fn s001() -> (Array3<f64>, Vec<usize>) {
    let e = epochs("mi_S001");
    let labels: Vec<String> = e.meta["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let (_, y) = bci_decode::labels::encode(&labels);
    (e.x, y)
}

/// The real bi2012 P300 epochs and labels `scripts/golden/xdawn.py --inputs-only` writes into
/// `target/golden/xdawn/` (run here if missing).
pub fn bi2012_epochs() -> (Array3<f64>, Vec<usize>) {
    let dir = root().join("target/golden/xdawn");
    let header = dir.join("bi2012_epochs.f64.json");
    if !header.exists() {
        run_reference_script("scripts/golden/xdawn.py", &["--inputs-only"]);
    }
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(&header).unwrap()).unwrap();
    let shape = usizes(&meta["shape"]);
    let bytes = std::fs::read(dir.join("bi2012_epochs.f64")).unwrap();
    let vals: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let x = Array3::from_shape_vec((shape[0], shape[1], shape[2]), vals).unwrap();
    (x, usizes(&meta["labels"]))
}

/// A recording under ../shared/datasets, read with our own reader.
pub fn read(rel: &str) -> bci_core::Recording {
    let p = datasets().join(rel);
    bci_formats::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The model file `crates/bci-decode/fuzz/seeds/{name}.json` (a valid model of each kind).
pub fn seed(name: &str) -> Value {
    let p = root().join(format!("crates/bci-decode/fuzz/seeds/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("fuzz seed")).expect("seed json")
}

/// Each case damages one seed model (the value at a JSON pointer replaced) and expects loading
/// to fail with a model-file error whose message contains the given text.
pub fn assert_damaged_models_refused(cases: Vec<(&str, &str, Value, &str)>) {
    use bci_decode::{DecodeError, Model};
    for (name, pointer, value, want) in cases {
        let mut v = seed(name);
        *v.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{name}: no {pointer}")) = value;
        let err = Model::from_json(&v.to_string()).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, DecodeError::ModelFile { .. }),
            "{name} {pointer}: {err:?}"
        );
        assert!(
            msg.contains(want),
            "{name} {pointer}: message lacks {want:?}: {msg}"
        );
    }
}

/// Training spec of the left/right imagery models: T1 = left, T2 = right, epochs 0 to `tmax` s,
/// 8-32 Hz zero-phase band-pass, default options.
pub fn left_right_spec(kind: bci_decode::PipelineKind, tmax: f64) -> bci_decode::TrainSpec {
    use bci_decode::eval::Window;
    use bci_decode::{EventClass, PipelineOptions, TrainSpec};
    TrainSpec {
        causal: false,
        pipeline: kind,
        events: EventClass::parse_list("T1=left,T2=right").unwrap(),
        window: Window { tmin: 0.0, tmax },
        band: Some([8.0, 32.0]),
        options: PipelineOptions::default(),
    }
}

/// Each seed model loads and scores three epochs of its own shape: one finite score per class.
pub fn assert_seeds_load_and_score(names: &[&str]) {
    use bci_decode::{Decoder, Model};
    for name in names {
        let model = Model::from_json(&seed(name).to_string())
            .unwrap_or_else(|e| panic!("seed {name}: {e}"));
        let (_, n) = model.window.samples(model.sample_rate).unwrap();
        let x = ndarray::Array3::from_shape_fn((3, model.channels.len(), n), |(e, c, t)| {
            ((t as f64) * 0.3 * (c as f64 + 1.0) + e as f64).sin() + (c * t % 5) as f64 * 0.1
        });
        let s = model
            .pipeline
            .scores(x.view())
            .unwrap_or_else(|e| panic!("seed {name}: {e}"));
        assert_eq!(s.dim(), (3, model.classes.len()), "seed {name}");
        assert!(s.iter().all(|v| v.is_finite()), "seed {name}: {s:?}");
    }
}
