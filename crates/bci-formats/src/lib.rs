//! Reading and writing EEG recordings.
//!
//! One entry point, [`read`], sniffs a file's format from its content (magic bytes), then from
//! its extension, and returns a [`Recording`](bci_core::Recording): channels with names, units
//! and physical ranges, one sampling rate, data in µV (channels × samples), and one event list
//! (onset sample, duration in samples, label). Every reader also reads from memory
//! ([`read_bytes`], [`FormatReader::read_bytes`]) so fuzzing needs no files.
//!
//! | format | reader | notes |
//! |---|---|---|
//! | EDF, EDF+, BDF, BDF+ | [`edf`] | TAL annotations; EDF+D with gaps and mixed rates refused |
//! | GDF 1.x / 2.x | [`gdf`] | event table mode 1 and 3, events labelled by their numeric code |
//! | OpenBCI GUI text logs | [`openbci`] | v5/v6 "Raw EXG" and 2016 "Raw EEG"; gaps and railed channels |
//! | BrainFlow CSV | [`brainflow`] | `DataFilter.write_file` output; Cyton row layout by default |
//! | EEGLAB .set/.fdt | [`eeglab`] | MATLAB v5, own parser; `EEG.event` type/latency |
//! | numpy .npz + .yml | [`npz`] | the bi2012 "NY" layout (`data`, `stim`) |
//!
//! Writing: [`EdfWriter`] / [`write_recording`] (EDF+/BDF+, crash-safe appends) and
//! [`write_csv`].
//!
//! Errors never panic on bad input: they name the file and the header field (with its byte
//! range), the byte offset, or the line.

use std::path::Path;

use bci_core::{Error, Recording, Result};

pub mod brainflow;
pub mod csv;
pub mod edf;
mod edf_write;
pub mod eeglab;
pub mod gdf;
mod mat5;
pub mod npz;
pub mod openbci;
mod util;

pub use csv::write_csv;
pub use edf_write::{
    EdfWriter, WriteFormat, WriteReport, WriterOptions, annotation_space_for, record_duration_for,
    write_recording, write_recording_report,
};

/// One file format's reader: sniffing and reading from memory or from a path.
pub trait FormatReader {
    /// Short name (`"edf"`, `"gdf"`, ...).
    fn name(&self) -> &'static str;
    /// True when `head` (the first bytes of the file, up to 512) is this format's content.
    fn sniff(&self, head: &[u8]) -> bool;
    /// True when the extension (lower case, no dot) is this format's.
    fn extension_matches(&self, ext: &str) -> bool;
    /// Parse the whole file content; `path` names the file in messages and locates sidecar
    /// files (EEGLAB `.fdt`, the `.yml` beside an `.npz`).
    fn read_bytes(&self, bytes: &[u8], path: &Path) -> Result<Recording>;
    /// Read the file at `path`.
    fn read(&self, path: &Path) -> Result<Recording> {
        let bytes = read_file(path)?;
        self.read_bytes(&bytes, path)
    }
}

/// Every reader, in sniffing order.
pub fn readers() -> Vec<Box<dyn FormatReader>> {
    vec![
        Box::new(edf::EdfReader),
        Box::new(gdf::GdfReader),
        Box::new(eeglab::EeglabReader),
        Box::new(npz::NpzReader),
        Box::new(openbci::OpenBciReader),
        Box::new(brainflow::BrainFlowReader::default()),
    ]
}

/// Read a file whole, refusing directories with a clear message.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::malformed(
            path,
            bci_core::Location::Whole,
            "is a directory, not a recording file",
        ));
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// The reader for `bytes` (content first, then `path`'s extension).
pub fn detect(bytes: &[u8], path: &Path) -> Result<Box<dyn FormatReader>> {
    if bytes.is_empty() {
        return Err(Error::malformed(
            path,
            bci_core::Location::Whole,
            "the file is empty (0 bytes)",
        ));
    }
    let head = &bytes[..bytes.len().min(512)];
    let mut all = readers();
    if let Some(i) = all.iter().position(|r| r.sniff(head)) {
        return Ok(all.swap_remove(i));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if let Some(i) = all.iter().position(|r| r.extension_matches(&ext)) {
        return Ok(all.swap_remove(i));
    }
    Err(Error::Unsupported {
        path: path.to_path_buf(),
        message: format!(
            "unknown format: the first bytes {:?} match no known magic (EDF \"0       \", BDF \"\\xffBIOSEMI\", GDF \"GDF \", MATLAB \"MATLAB 5.0\", zip \"PK\", OpenBCI \"%OpenBCI\") and the extension {ext:?} is not one of edf, bdf, gdf, set, npz, txt, csv",
            util::latin1(&head[..head.len().min(16)])
        ),
    })
}

/// Read any supported recording, sniffing the format by content then by extension.
pub fn read(path: &Path) -> Result<Recording> {
    let bytes = read_file(path)?;
    read_bytes(&bytes, path)
}

/// [`read`] from memory; `path` names the input in messages and locates sidecar files.
pub fn read_bytes(bytes: &[u8], path: &Path) -> Result<Recording> {
    detect(bytes, path)?.read_bytes(bytes, path)
}
