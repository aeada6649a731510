//! Paradigms: which dataset, which runs and events, which band, which epoch window, which metric.
//!
//! Each paradigm reproduces MOABB's preprocessing for its dataset: every file (run) is band-passed
//! on its own before epoching — zero-phase as MNE's `raw.filter(l, h, method="iir")` (MOABB), or
//! causal (`sosfilt` of the same Butterworth from a zero state, what a live session does) — then
//! epochs are cut at the class events (all EEG channels in file order, µV), runs concatenated in
//! run order, events in time order.

use std::path::{Path, PathBuf};

use bci_core::{ChannelKind, Recording};
use bci_dsp::{Band, Initial, MneIir, butter, sosfilt};
use ndarray::{Array3, Axis, s};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{BenchError, Result};

/// How a paradigm's score is computed (MOABB: ROC-AUC for two classes, accuracy otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    RocAuc,
    Accuracy,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::RocAuc => "roc-auc",
            Metric::Accuracy => "accuracy",
        }
    }

    /// Axis label for plots.
    pub fn label(self) -> &'static str {
        match self {
            Metric::RocAuc => "ROC-AUC (0-1)",
            Metric::Accuracy => "accuracy (fraction correct)",
        }
    }
}

/// Zero-phase (MOABB, offline) or causal (what a live session can do) band-pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilterMode {
    ZeroPhase,
    Causal,
}

impl FilterMode {
    pub fn name(self) -> &'static str {
        match self {
            FilterMode::ZeroPhase => "zero-phase",
            FilterMode::Causal => "causal",
        }
    }

    /// Parses `zero-phase`, `causal`, or `both`.
    pub fn parse_list(text: &str) -> Result<Vec<FilterMode>> {
        let mut out = Vec::new();
        for part in text.split(',') {
            match part.trim() {
                "zero-phase" => out.push(FilterMode::ZeroPhase),
                "causal" => out.push(FilterMode::Causal),
                "both" => out.extend([FilterMode::ZeroPhase, FilterMode::Causal]),
                other => {
                    return Err(BenchError::invalid(
                        "--filter",
                        other,
                        "expected zero-phase, causal or both",
                    ));
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// One paradigm as MOABB defines it for its dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paradigm {
    pub name: &'static str,
    /// Registry name of the dataset it runs on.
    pub dataset: &'static str,
    /// Runs to use (eegmmidb); `None` means every file of the subject.
    pub runs: Option<Vec<u32>>,
    /// Event label in the file → class name.
    pub events: Vec<(&'static str, &'static str)>,
    /// Band-pass edges in Hz.
    pub band: (f64, f64),
    /// Epoch window in seconds relative to the event, both ends included (MNE `Epochs`).
    pub tmin: f64,
    pub tmax: f64,
    /// Stimulus frequency of each class (SSVEP), in class order.
    pub stim_freqs: Vec<f64>,
    /// Seconds per selection for the information transfer rate (SSVEP), the epoch length.
    pub trial_seconds: f64,
}

/// Every paradigm name, for messages.
pub const PARADIGMS: &[&str] = &["left-right-imagery", "hands-feet-imagery", "ssvep", "p300"];

impl Paradigm {
    /// The paradigm called `name`.
    pub fn by_name(name: &str) -> Result<Paradigm> {
        let p = match name {
            "left-right-imagery" => Paradigm {
                name: "left-right-imagery",
                dataset: "eegmmidb",
                runs: Some(vec![4, 8, 12]),
                events: vec![("T1", "left_hand"), ("T2", "right_hand")],
                band: (8.0, 32.0),
                tmin: 0.0,
                tmax: 3.0,
                stim_freqs: vec![],
                trial_seconds: 3.0,
            },
            "hands-feet-imagery" => Paradigm {
                name: "hands-feet-imagery",
                dataset: "eegmmidb",
                runs: Some(vec![6, 10, 14]),
                events: vec![("T1", "hands"), ("T2", "feet")],
                band: (8.0, 32.0),
                tmin: 0.0,
                tmax: 3.0,
                stim_freqs: vec![],
                trial_seconds: 3.0,
            },
            // MOABB SSVEP on SSVEPExo: 7-45 Hz, epochs 2-4 s after the class cue. Rest is left
            // out: CCA/FBCCA have no reference for it (MOABB's examples use n_classes=3).
            "ssvep" => Paradigm {
                name: "ssvep",
                dataset: "ssvep-exo",
                runs: None,
                events: vec![("33025", "13"), ("33027", "17"), ("33026", "21")],
                band: (7.0, 45.0),
                tmin: 2.0,
                tmax: 4.0,
                stim_freqs: vec![13.0, 17.0, 21.0],
                trial_seconds: 2.0,
            },
            // MOABB P300 on bi2012: 1-24 Hz, 0-1 s after each flash, Target vs NonTarget.
            "p300" => Paradigm {
                name: "p300",
                dataset: "bi2012",
                runs: None,
                events: vec![("target", "Target"), ("nontarget", "NonTarget")],
                band: (1.0, 24.0),
                tmin: 0.0,
                tmax: 1.0,
                stim_freqs: vec![],
                trial_seconds: 1.0,
            },
            other => {
                return Err(BenchError::invalid(
                    "--paradigm",
                    other,
                    &format!("known paradigms: {}", PARADIGMS.join(", ")),
                ));
            }
        };
        Ok(p)
    }

    /// Class names sorted alphabetically (scikit-learn's `LabelEncoder`, as MOABB encodes them).
    pub fn classes(&self) -> Vec<String> {
        let mut c: Vec<String> = self.events.iter().map(|(_, c)| c.to_string()).collect();
        c.sort();
        c.dedup();
        c
    }

    /// MOABB's metric: ROC-AUC with two classes, accuracy otherwise.
    pub fn metric(&self) -> Metric {
        if self.classes().len() == 2 {
            Metric::RocAuc
        } else {
            Metric::Accuracy
        }
    }

    /// Chance level of the metric (0.5 for ROC-AUC, 1/k for balanced accuracy).
    pub fn chance(&self) -> f64 {
        match self.metric() {
            Metric::RocAuc => 0.5,
            Metric::Accuracy => 1.0 / self.classes().len() as f64,
        }
    }
}

/// One file of a subject, with its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path under the dataset folder (no machine-specific prefix, so results compare across hosts).
    pub path: String,
    pub sha256: String,
    /// The registry's checksum matched.
    pub verified: bool,
}

/// Epochs of one session of one subject, possibly in several bands.
#[derive(Debug, Clone)]
pub struct SessionData {
    pub session: String,
    /// `bands[0]` is the paradigm band; further entries are the filter-bank bands asked for.
    pub bands: Vec<Array3<f64>>,
    /// Class index of each epoch (into `classes`).
    pub y: Vec<usize>,
    /// Run of each epoch (file index within the session, or the eegmmidb run number).
    pub runs: Vec<u32>,
    /// Onset sample of each epoch's event within its run.
    pub onsets: Vec<u64>,
}

/// Everything loaded for one subject under one filter mode.
#[derive(Debug, Clone)]
pub struct SubjectData {
    pub subject: u32,
    pub sample_rate: f64,
    pub channels: Vec<String>,
    pub classes: Vec<String>,
    pub sessions: Vec<SessionData>,
    pub files: Vec<FileRecord>,
}

/// Where the subject's files are and which ones: registry entries resolved under the cache root.
pub fn subject_files(
    paradigm: &Paradigm,
    root: &Path,
    subject: u32,
) -> Result<Vec<(PathBuf, String, String)>> {
    let registry = bci_datasets::Registry::bundled().map_err(BenchError::dataset)?;
    let dataset = registry
        .get(paradigm.dataset)
        .map_err(BenchError::dataset)?;
    let dir = bci_datasets::dataset_dir(root, dataset);
    let mut out = Vec::new();
    for f in &dataset.files {
        if f.subject != Some(subject) {
            continue;
        }
        if let (Some(runs), Some(run)) = (&paradigm.runs, f.run)
            && !runs.contains(&run)
        {
            continue;
        }
        // bi2012: the .yml is a sidecar of the .npz, read by the .npz reader.
        if f.path.ends_with(".yml") {
            continue;
        }
        out.push((dir.join(&f.path), f.path.clone(), f.sha256.clone()));
    }
    if out.is_empty() {
        return Err(BenchError::Data(format!(
            "dataset {} has no files for subject {subject} (it has {} subjects)",
            paradigm.dataset, dataset.subjects
        )));
    }
    let missing: Vec<&PathBuf> = out
        .iter()
        .map(|(p, _, _)| p)
        .filter(|p| !p.is_file())
        .collect();
    if let Some(first) = missing.first() {
        return Err(BenchError::Data(format!(
            "{} is missing ({} of {} files of subject {subject} missing under {}); run `bci datasets fetch {} --subjects {subject}` or point BCI_DATA at a folder holding {}",
            first.display(),
            missing.len(),
            out.len(),
            root.display(),
            paradigm.dataset,
            dataset.dir
        )));
    }
    Ok(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Band-passes every EEG row of a recording as `mode` asks.
fn band_pass(
    rec: &Recording,
    eeg: &[usize],
    band: (f64, f64),
    mode: FilterMode,
) -> Result<ndarray::Array2<f64>> {
    let x = rec.data.select(Axis(0), eeg);
    let out = match mode {
        FilterMode::ZeroPhase => {
            let f = MneIir::design(Some(band.0), Some(band.1), rec.sample_rate, 4)?;
            f.apply(x.view())?
        }
        FilterMode::Causal => {
            let sos = butter(4, Band::Bandpass(band.0, band.1), rec.sample_rate)?;
            sosfilt(&sos, x.view(), Initial::Zero)?
        }
    };
    Ok(out)
}

/// Loads, filters and epochs one subject. `extra_bands` are the filter-bank bands (FBCSP, FBCCA)
/// filtered the same way from the raw data.
pub fn load_subject(
    paradigm: &Paradigm,
    root: &Path,
    subject: u32,
    mode: FilterMode,
    extra_bands: &[(f64, f64)],
) -> Result<SubjectData> {
    let files = subject_files(paradigm, root, subject)?;
    let classes = paradigm.classes();
    let mut bands_all: Vec<Vec<Array3<f64>>> = vec![Vec::new(); 1 + extra_bands.len()];
    let mut y = Vec::new();
    let mut runs = Vec::new();
    let mut onsets = Vec::new();
    let mut records = Vec::new();
    let mut sample_rate = None;
    let mut channels: Option<Vec<String>> = None;
    for (file_index, (path, rel, expected)) in files.iter().enumerate() {
        let bytes =
            std::fs::read(path).map_err(|e| BenchError::Core(bci_core::Error::io(path, e)))?;
        let sha = sha256_hex(&bytes);
        let verified = sha == *expected;
        let rec = bci_formats::read_bytes(&bytes, path)?;
        drop(bytes);
        records.push(FileRecord {
            path: rel.clone(),
            sha256: sha,
            verified,
        });
        let eeg: Vec<usize> = rec
            .channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == ChannelKind::Eeg)
            .map(|(i, _)| i)
            .collect();
        if eeg.is_empty() {
            return Err(BenchError::Data(format!(
                "{}: no EEG channels",
                path.display()
            )));
        }
        let names: Vec<String> = eeg.iter().map(|&i| rec.channels[i].label.clone()).collect();
        match &channels {
            None => channels = Some(names),
            Some(c) if *c != names => {
                return Err(BenchError::Data(format!(
                    "{}: EEG channels differ from the subject's first file ({} vs {} channels)",
                    path.display(),
                    names.len(),
                    c.len()
                )));
            }
            _ => {}
        }
        match sample_rate {
            None => sample_rate = Some(rec.sample_rate),
            Some(r) if r != rec.sample_rate => {
                return Err(BenchError::Data(format!(
                    "{}: sampling rate {} Hz differs from the subject's first file ({r} Hz)",
                    path.display(),
                    rec.sample_rate
                )));
            }
            _ => {}
        }
        let sf = rec.sample_rate;
        let start = (paradigm.tmin * sf).round() as i64;
        let n = ((paradigm.tmax - paradigm.tmin) * sf).round() as usize + 1;
        let len = rec.n_samples() as i64;
        // Events of the paradigm's classes, in time order, whose window fits in the run (MNE
        // drops epochs that run off the end).
        let mut picked: Vec<(u64, usize)> = Vec::new();
        for ev in &rec.events {
            if let Some((_, class)) = paradigm.events.iter().find(|(l, _)| *l == ev.label) {
                let first = ev.onset as i64 + start;
                if first < 0 || first + n as i64 > len {
                    continue;
                }
                let k = classes.iter().position(|c| c == class).unwrap_or(0);
                picked.push((ev.onset, k));
            }
        }
        picked.sort_by_key(|(o, _)| *o);
        let run = match &paradigm.runs {
            Some(_) => rel
                .rsplit('R')
                .next()
                .and_then(|t| t.trim_end_matches(".edf").parse::<u32>().ok())
                .unwrap_or(file_index as u32),
            None => file_index as u32,
        };
        let all_bands: Vec<(f64, f64)> = std::iter::once(paradigm.band)
            .chain(extra_bands.iter().copied())
            .collect();
        for (b, band) in all_bands.iter().enumerate() {
            let filtered = band_pass(&rec, &eeg, *band, mode)?;
            let mut ep = Array3::zeros((picked.len(), eeg.len(), n));
            for (i, (onset, _)) in picked.iter().enumerate() {
                let first = (*onset as i64 + start) as usize;
                ep.index_axis_mut(Axis(0), i)
                    .assign(&filtered.slice(s![.., first..first + n]));
            }
            bands_all[b].push(ep);
        }
        for (onset, k) in picked {
            y.push(k);
            runs.push(run);
            onsets.push(onset);
        }
    }
    if y.is_empty() {
        return Err(BenchError::Data(format!(
            "subject {subject} of {}: no events {:?} in its files",
            paradigm.dataset,
            paradigm.events.iter().map(|(l, _)| *l).collect::<Vec<_>>()
        )));
    }
    let mut bands = Vec::new();
    for parts in bands_all {
        let views: Vec<_> = parts.iter().map(|a| a.view()).collect();
        let cat = ndarray::concatenate(Axis(0), &views)
            .map_err(|e| BenchError::Data(format!("subject {subject}: {e}")))?;
        bands.push(cat);
    }
    Ok(SubjectData {
        subject,
        sample_rate: sample_rate.unwrap_or(0.0),
        channels: channels.unwrap_or_default(),
        classes,
        sessions: vec![SessionData {
            session: "0".into(),
            bands,
            y,
            runs,
            onsets,
        }],
        files: records,
    })
}
