//! Paths shared by the integration tests: the workspace root, the shared datasets, Python.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The shared datasets folder; a missing folder fails the test with a clear message.
pub fn datasets() -> PathBuf {
    let p = std::env::var_os("BCI_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/datasets"));
    assert!(
        p.is_dir(),
        "shared datasets not found at {} (set BCI_SHARED_DATASETS)",
        p.display()
    );
    p
}

pub fn python() -> PathBuf {
    let p = std::env::var_os("BCI_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    assert!(
        p.exists(),
        "Python reference interpreter not found at {} (set BCI_PYTHON or create .venv)",
        p.display()
    );
    p
}
