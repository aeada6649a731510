//! Downloading with resume and verification.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cache::{dataset_dir, sha256_file};
use crate::{Dataset, DatasetError, FileEntry, Result, Selection, io_err};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How to fetch.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Base URL of a mirror laid out like the cache (`MIRROR/<dataset dir>/<path>`); when unset,
    /// `BCI_DATA_MIRROR` is used, and when that is unset too, each file's official URL.
    pub mirror: Option<String>,
    /// Draw a progress bar on stderr (it is hidden anyway when stderr is not a terminal).
    pub progress: bool,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Files already present and verified.
    pub present: usize,
    /// Files downloaded (or completed from a partial download) and verified.
    pub downloaded: usize,
    /// Bytes transferred.
    pub bytes: u64,
    /// Files whose download resumed from a `.part` file.
    pub resumed: usize,
}

/// Makes the selected files of `dataset` present and verified under the cache root `root`
/// (see [`crate::cache_dir`]).
///
/// A file already present with the right checksum is left alone. Otherwise it is downloaded to
/// `<name>.part` (continuing an existing `.part` with a range request), verified, and renamed.
pub fn fetch(
    root: &Path,
    dataset: &Dataset,
    selection: &Selection,
    opts: &FetchOptions,
) -> Result<FetchReport> {
    let files = dataset.select(selection)?;
    let mirror = opts.mirror.clone().or_else(|| {
        std::env::var("BCI_DATA_MIRROR")
            .ok()
            .filter(|m| !m.is_empty())
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_recv_body(Some(Duration::from_secs(600)))
        .build()
        .into();

    let bar = if opts.progress {
        ProgressBar::with_draw_target(Some(files.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} files, ETA {eta} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(dataset.name.clone());

    let mut report = FetchReport::default();
    for file in files {
        let dest = dataset_dir(root, dataset).join(&file.path);
        bar.set_message(file.path.clone());
        if dest.is_file() && sha256_file(&dest)? == file.sha256 {
            report.present += 1;
            bar.inc(1);
            continue;
        }
        let url = match &mirror {
            Some(m) => format!("{}/{}/{}", m.trim_end_matches('/'), dataset.dir, file.path),
            None => file.url.clone(),
        };
        let (bytes, resumed) = download(&agent, &url, file, &dest, &bar)?;
        report.downloaded += 1;
        report.bytes += bytes;
        report.resumed += usize::from(resumed);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}

fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// Downloads one file into place; returns the bytes transferred and whether it resumed.
fn download(
    agent: &ureq::Agent,
    url: &str,
    file: &FileEntry,
    dest: &Path,
    bar: &ProgressBar,
) -> Result<(u64, bool)> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let part = part_path(dest);
    let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let network = |message: String| DatasetError::Network {
        url: url.to_string(),
        message,
        part: part.clone(),
    };

    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let response = request.call().map_err(|e| network(e.to_string()))?;
    let status = response.status().as_u16();
    // 206: the server continues our partial file; 200: it sends the whole file again;
    // 416: our partial file is already complete (or longer than the file): start over.
    let (mut out, resumed) = match status {
        206 if have > 0 => (
            OpenOptions::new()
                .append(true)
                .open(&part)
                .map_err(io_err(&part))?,
            true,
        ),
        200 => (File::create(&part).map_err(io_err(&part))?, false),
        416 => {
            fs::remove_file(&part).map_err(io_err(&part))?;
            return download(agent, url, file, dest, bar);
        }
        _ => {
            return Err(DatasetError::Http {
                url: url.to_string(),
                status,
            });
        }
    };

    let mut reader = response.into_body().into_reader();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| network(e.to_string()))?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n]).map_err(io_err(&part))?;
        bytes += n as u64;
        bar.set_message(format!("{} ({} kB)", file.path, (have + bytes) / 1000));
    }
    out.sync_all().map_err(io_err(&part))?;
    drop(out);

    let actual = sha256_file(&part)?;
    if actual != file.sha256 {
        fs::remove_file(&part).map_err(io_err(&part))?;
        return Err(DatasetError::Checksum {
            path: dest.to_path_buf(),
            expected: file.sha256.clone(),
            actual,
        });
    }
    fs::rename(&part, dest).map_err(io_err(dest))?;
    Ok((bytes, resumed))
}
