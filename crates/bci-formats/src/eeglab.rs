//! EEGLAB `.set` (+ `.fdt`) reading.
//!
//! What it promises:
//! - The `.set` is a MATLAB v5 file holding the `EEG` structure (or its fields as top-level
//!   variables, as newer EEGLAB saves); parsed by our own MAT reader (compressed elements too).
//! - Data: when `EEG.data` is a file name, the float32 `.fdt` beside the `.set` (channels ×
//!   samples, column-major, so frame-major on disk); otherwise the numeric matrix embedded in the
//!   `.set`. Values are µV, as EEGLAB keeps them.
//! - Channel labels from `EEG.chanlocs.labels` (`"1"`, `"2"`, ... when absent), rate `EEG.srate`.
//! - Events from `EEG.event`: label = `type` (text, or an integer-valued number printed as an
//!   integer), onset sample = `round(latency - 1)` (EEGLAB latencies are 1-based samples),
//!   duration = `round(duration)` samples when the field exists, else 0; events outside the data
//!   are dropped (as MNE does).
//! - Epoched datasets (`EEG.trials > 1`) are refused: a recording is continuous.

use std::path::{Path, PathBuf};

use bci_core::{Channel, ChannelKind, Event, Recording, Result, Subject};
use ndarray::Array2;

use crate::mat5::{MatValue, read_mat};
use crate::util::{field_err, kind_from_label, unsupported, whole_err};

/// Read an EEGLAB `.set`; an external `.fdt` is looked up beside `path`.
pub fn read_set_bytes(bytes: &[u8], path: &Path) -> Result<Recording> {
    read_set_with(bytes, path, |name| {
        let dir = path.parent().unwrap_or(Path::new("."));
        // Only the base name counts: EEGLAB stores the name relative to the .set's folder.
        let base = Path::new(name)
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_default();
        let p = dir.join(base);
        crate::read_file(&p).map(|b| (b, p))
    })
}

/// Read an EEGLAB `.set` whose `.fdt` bytes (if any) are given; for fuzzing and tests.
pub fn read_set_with_fdt(set: &[u8], fdt: Option<&[u8]>, path: &Path) -> Result<Recording> {
    read_set_with(set, path, |name| match fdt {
        Some(b) => Ok((b.to_vec(), PathBuf::from(name))),
        None => Err(whole_err(path, format!("data file {name:?} not given"))),
    })
}

fn read_set_with(
    bytes: &[u8],
    path: &Path,
    load: impl Fn(&str) -> Result<(Vec<u8>, PathBuf)>,
) -> Result<Recording> {
    let mut vars = read_mat(bytes, path)?;
    // Either one EEG struct, or its fields as variables; taken by value (no copy of the data).
    let eeg_at = vars
        .iter()
        .position(|(n, v)| n == "EEG" && matches!(v, MatValue::Struct { .. }));
    let eeg = match eeg_at {
        Some(i) => vars.swap_remove(i).1,
        None => {
            let (fields, values): (Vec<String>, Vec<MatValue>) = vars.into_iter().unzip();
            MatValue::Struct {
                dims: vec![1, 1],
                fields,
                items: vec![values],
            }
        }
    };
    let get = |name: &str| eeg.field(0, name);
    let num = |name: &str| -> Result<f64> {
        get(name)
            .and_then(|v| v.scalar())
            .ok_or_else(|| field_err(path, format!("EEG.{name}"), "missing or not a number"))
    };
    let nbchan = num("nbchan")?;
    let pnts = num("pnts")?;
    let srate = num("srate")?;
    let trials = get("trials").and_then(|v| v.scalar()).unwrap_or(1.0);
    if !((1.0..=65_536.0).contains(&nbchan) && (0.0..1e12).contains(&pnts)) {
        return Err(field_err(
            path,
            "EEG.nbchan / EEG.pnts",
            format!("{nbchan} channels x {pnts} samples is not a valid size"),
        ));
    }
    if !(srate.is_finite() && srate > 0.0) {
        return Err(field_err(
            path,
            "EEG.srate",
            format!("{srate} is not a positive rate"),
        ));
    }
    if trials > 1.0 {
        return Err(unsupported(
            path,
            format!("epoched dataset (EEG.trials = {trials}); only continuous recordings are read"),
        ));
    }
    let nch = nbchan as usize;
    let n = pnts as usize;
    let total = nch
        .checked_mul(n)
        .ok_or_else(|| field_err(path, "EEG.nbchan / EEG.pnts", "size overflows"))?;

    let mut data: Array2<f64>;
    match get("data") {
        Some(MatValue::Char(name)) => {
            let (fdt, fdt_path) = load(name)?;
            let need = total as u128 * 4;
            if fdt.len() as u128 != need {
                return Err(whole_err(
                    &fdt_path,
                    format!(
                        "holds {} bytes but EEG.nbchan x EEG.pnts = {nch} x {n} float32 values need {need} bytes",
                        fdt.len()
                    ),
                ));
            }
            data = Array2::zeros((nch, n));
            for (k, c) in fdt.chunks_exact(4).enumerate() {
                let v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64;
                data[[k % nch, k / nch]] = v;
            }
        }
        Some(MatValue::Num { data: d, .. }) => {
            if d.len() != total {
                return Err(field_err(
                    path,
                    "EEG.data",
                    format!(
                        "holds {} values but EEG.nbchan x EEG.pnts = {total}",
                        d.len()
                    ),
                ));
            }
            data = Array2::zeros((nch, n));
            for (k, &v) in d.iter().enumerate() {
                data[[k % nch, k / nch]] = v;
            }
        }
        _ => {
            if let Some(MatValue::Char(name)) = get("datfile") {
                let (fdt, fdt_path) = load(name)?;
                if fdt.len() as u128 != total as u128 * 4 {
                    return Err(whole_err(
                        &fdt_path,
                        format!("holds {} bytes, expected {}", fdt.len(), total * 4),
                    ));
                }
                data = Array2::zeros((nch, n));
                for (k, c) in fdt.chunks_exact(4).enumerate() {
                    data[[k % nch, k / nch]] = f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64;
                }
            } else {
                return Err(field_err(
                    path,
                    "EEG.data",
                    "neither a data file name nor a numeric matrix",
                ));
            }
        }
    }

    let chanlocs = get("chanlocs");
    let mut channels = Vec::with_capacity(nch);
    for c in 0..nch {
        let label = chanlocs
            .and_then(|cl| cl.field(c, "labels"))
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| (c + 1).to_string());
        let typ = chanlocs
            .and_then(|cl| cl.field(c, "type"))
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let kind = match typ.to_ascii_uppercase().as_str() {
            "EEG" => ChannelKind::Eeg,
            "EOG" => ChannelKind::Eog,
            "ECG" => ChannelKind::Ecg,
            "EMG" => ChannelKind::Emg,
            _ => kind_from_label(&label, true),
        };
        let row = data.row(c);
        let (lo, hi) = row
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        channels.push(Channel {
            label,
            kind,
            unit: "uV".into(),
            physical_min: if lo.is_finite() { lo } else { 0.0 },
            physical_max: if hi.is_finite() { hi } else { 0.0 },
            digital_min: 0,
            digital_max: 0,
            transducer: String::new(),
            prefilter: String::new(),
        });
    }

    let mut events = Vec::new();
    if let Some(ev) = get("event") {
        for i in 0..ev.len() {
            let label = match ev.field(i, "type") {
                Some(MatValue::Char(s)) => s.trim().to_string(),
                Some(MatValue::Num { data, .. }) => match data.first() {
                    Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", *v as i64),
                    Some(v) => format!("{v}"),
                    None => continue,
                },
                _ => continue,
            };
            let Some(lat) = ev.field(i, "latency").and_then(|v| v.scalar()) else {
                continue;
            };
            let onset = (lat - 1.0).round();
            if !(onset >= 0.0 && onset < n as f64) {
                continue;
            }
            let duration = ev
                .field(i, "duration")
                .and_then(|v| v.scalar())
                .filter(|d| d.is_finite() && *d > 0.0 && *d < 1e15)
                .map(|d| d.round() as u64)
                .unwrap_or(0);
            events.push(Event {
                onset: onset as u64,
                duration,
                label,
            });
        }
    }
    events.sort_by_key(|e| e.onset);
    let setname = get("setname")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let subject = get("subject")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    Ok(Recording {
        channels,
        sample_rate: srate,
        data,
        events,
        subject: Subject {
            patient: subject,
            recording: setname,
            start: None,
        },
        format: "EEGLAB".into(),
    })
}

/// [`crate::FormatReader`] for EEGLAB `.set` files.
pub struct EeglabReader;

impl crate::FormatReader for EeglabReader {
    fn name(&self) -> &'static str {
        "eeglab"
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"MATLAB 5.0")
    }
    fn extension_matches(&self, ext: &str) -> bool {
        ext == "set"
    }
    fn read_bytes(&self, bytes: &[u8], path: &Path) -> Result<Recording> {
        read_set_bytes(bytes, path)
    }
}
