//! Where datasets live on disk, and checking what is there.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Dataset, Result, Selection, io_err};

/// The cache root: `BCI_DATA` if set, else the platform cache folder (`~/.cache/bci` on Linux).
///
/// Pointing `BCI_DATA` at a folder laid out like the cache (one sub-folder per dataset, e.g. a
/// lab's shared copy) makes every command use those files without downloading.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("BCI_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("bci"),
    }
}

/// The folder of one dataset under the cache root `root`.
pub fn dataset_dir(root: &Path, dataset: &Dataset) -> PathBuf {
    root.join(&dataset.dir)
}

/// The state of one file in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyStatus {
    Ok,
    Missing,
    /// Present with other content; holds the actual sha256.
    Mismatch(String),
}

/// Checks the selected files of `dataset` under the cache root `root` against their checksums.
pub fn verify(
    root: &Path,
    dataset: &Dataset,
    selection: &Selection,
) -> Result<Vec<(PathBuf, VerifyStatus)>> {
    let dir = dataset_dir(root, dataset);
    let mut out = Vec::new();
    for file in dataset.select(selection)? {
        let path = dir.join(&file.path);
        let status = if !path.is_file() {
            VerifyStatus::Missing
        } else {
            let actual = sha256_file(&path)?;
            if actual == file.sha256 {
                VerifyStatus::Ok
            } else {
                VerifyStatus::Mismatch(actual)
            }
        };
        out.push((path, status));
    }
    Ok(out)
}

pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut f = File::open(path).map_err(io_err(path))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
