//! OpenBCI GUI text logs: the v5/v6 "OpenBCI Raw EXG Data" format and the 2016 legacy
//! "OpenBCI Raw EEG Data" format.
//!
//! What it promises:
//! - `%` lines are the header; the rate comes from `%Sample Rate = 250 Hz` (an error naming the
//!   line if it is missing). v5/v6 files then have a column-header line; legacy files do not
//!   (their columns are: sample index, N EXG channels, 3 accelerometer/aux values).
//! - Channels: `EXG Channel i` (EEG, µV as written), `Accel Channel i` (kind Accel, g), and in
//!   v5/v6 the digital/analog columns as misc channels. `Not Used`, timestamp and marker columns
//!   are not channels; non-zero `Marker Channel` values become events labelled by the value.
//! - The sample counter (column 0, wrapping after 255) is checked: a jump means lost samples.
//!   Each jump becomes an event `gap` at the first row after it, whose duration is the number of
//!   missing samples (they are not in the data: rows are kept as recorded, nothing is invented).
//!   The expected step is the most common counter step (1; 2 for Daisy logs).
//! - Railed channels: runs of at least one second where an EXG channel sits at the Cyton's
//!   full scale (|v| ≥ 187000 µV, the GUI's default gain 24) become events `railed <label>`
//!   (runs less than a second apart are merged).
//! - An incomplete last line without a final newline (the GUI stopped mid-write) is dropped;
//!   a short or non-numeric line anywhere else is an error naming the line and column.

use std::path::Path;

use bci_core::{Channel, ChannelKind, Error, Event, Location, Recording, Result, Subject};
use ndarray::Array2;

use crate::util::{counter_gaps, whole_err};

/// Full-scale value of the Cyton at gain 24, in µV; samples at or beyond it are railed.
pub const RAILED_UV: f64 = 187_000.0;

#[derive(Clone, Copy, PartialEq)]
enum Col {
    Counter,
    Channel(usize),
    Marker,
    Skip,
}

fn line_err(path: &Path, line: usize, column: Option<&str>, msg: impl Into<String>) -> Error {
    Error::malformed(
        path,
        Location::Line {
            line: line as u64,
            column: column.map(str::to_string),
        },
        msg,
    )
}

/// Read an OpenBCI GUI text log from memory; `path` is used in messages.
pub fn read_openbci_bytes(bytes: &[u8], path: &Path) -> Result<Recording> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        crate::util::byte_err(
            path,
            e.valid_up_to() as u64,
            "not UTF-8 text; an OpenBCI GUI log is a text file",
        )
    })?;
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut rate = None;
    let mut legacy = true;
    let mut first_data = lines.len();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if let Some(h) = t.strip_prefix('%') {
            if h.contains("Raw EXG Data") {
                legacy = false;
            }
            if let Some(v) = h.trim().strip_prefix("Sample Rate =") {
                let num = v.trim().trim_end_matches("Hz").trim();
                let r: f64 = num.parse().map_err(|_| {
                    line_err(
                        path,
                        i + 1,
                        None,
                        format!("sample rate {num:?} is not a number"),
                    )
                })?;
                if !(r.is_finite() && r > 0.0) {
                    return Err(line_err(
                        path,
                        i + 1,
                        None,
                        format!("sample rate {r} is not positive"),
                    ));
                }
                rate = Some(r);
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        first_data = i;
        break;
    }
    let rate = rate.ok_or_else(|| {
        whole_err(
            path,
            "no \"%Sample Rate = ... Hz\" header line; is this an OpenBCI GUI log?",
        )
    })?;

    // Column layout.
    let mut labels = Vec::new();
    let mut kinds = Vec::new();
    let mut cols = Vec::new();
    let mut start = first_data;
    if !legacy && first_data < lines.len() {
        let header = lines[first_data];
        for (k, name) in header.split(',').map(str::trim).enumerate() {
            let col = if k == 0 || name == "Sample Index" {
                Col::Counter
            } else if name.starts_with("EXG Channel") {
                labels.push(name.to_string());
                kinds.push(ChannelKind::Eeg);
                Col::Channel(labels.len() - 1)
            } else if name.starts_with("Accel Channel") {
                labels.push(name.to_string());
                kinds.push(ChannelKind::Accel);
                Col::Channel(labels.len() - 1)
            } else if name.starts_with("Digital Channel") || name.starts_with("Analog Channel") {
                labels.push(name.to_string());
                kinds.push(ChannelKind::Misc);
                Col::Channel(labels.len() - 1)
            } else if name.starts_with("Marker") {
                Col::Marker
            } else {
                Col::Skip
            };
            cols.push(col);
        }
        start = first_data + 1;
    } else if first_data < lines.len() {
        let n = lines[first_data].split(',').count();
        if n < 5 {
            return Err(line_err(
                path,
                first_data + 1,
                None,
                format!(
                    "{n} columns; a legacy OpenBCI log has the counter, EXG channels and 3 aux columns"
                ),
            ));
        }
        cols.push(Col::Counter);
        for i in 0..n - 4 {
            labels.push(format!("EXG Channel {i}"));
            kinds.push(ChannelKind::Eeg);
            cols.push(Col::Channel(labels.len() - 1));
        }
        for i in 0..3 {
            labels.push(format!("Accel Channel {i}"));
            kinds.push(ChannelKind::Accel);
            cols.push(Col::Channel(labels.len() - 1));
        }
    }
    let nch = labels.len();
    if nch == 0 || start >= lines.len() {
        return Err(whole_err(
            path,
            "no data rows after the header; the file is empty or truncated",
        ));
    }

    let column_name = |k: usize| -> String {
        match cols.get(k) {
            Some(Col::Channel(c)) => labels[*c].clone(),
            Some(Col::Counter) => "Sample Index".into(),
            Some(Col::Marker) => "Marker Channel".into(),
            _ => format!("column {}", k + 1),
        }
    };
    let mut values: Vec<f64> = Vec::with_capacity((lines.len() - start) * nch);
    let mut counters: Vec<i64> = Vec::with_capacity(lines.len() - start);
    let mut markers: Vec<(usize, f64)> = Vec::new();
    let mut row_vals = vec![0.0; nch];
    let data_lines = &lines[start..];
    for (j, line) in data_lines.iter().enumerate() {
        let lineno = start + j + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with('%') {
            continue;
        }
        let fields: Vec<&str> = t.split(',').map(str::trim).collect();
        let is_last = j + 1 == data_lines.len();
        let needed = cols
            .iter()
            .rposition(|c| *c != Col::Skip)
            .map(|p| p + 1)
            .unwrap_or(0);
        if fields.len() < needed {
            if is_last && !ends_with_newline {
                break; // cut off mid-write
            }
            return Err(line_err(
                path,
                lineno,
                None,
                format!("{} columns, expected at least {needed}", fields.len()),
            ));
        }
        let mut counter = 0i64;
        let mut cut = false;
        for (k, col) in cols.iter().enumerate() {
            if *col == Col::Skip {
                continue;
            }
            let f = fields[k];
            let v: f64 = match f.parse() {
                Ok(v) => v,
                Err(_) if is_last && !ends_with_newline => {
                    cut = true;
                    break;
                }
                Err(_) => {
                    return Err(line_err(
                        path,
                        lineno,
                        Some(&column_name(k)),
                        format!("{f:?} is not a number"),
                    ));
                }
            };
            match *col {
                Col::Counter => counter = v as i64,
                Col::Channel(c) => row_vals[c] = v,
                Col::Marker => {
                    if v != 0.0 {
                        markers.push((counters.len(), v));
                    }
                }
                Col::Skip => {}
            }
        }
        if cut {
            break; // the last line was cut off mid-number
        }
        counters.push(counter);
        values.extend_from_slice(&row_vals);
    }
    let n = counters.len();
    let mut data = Array2::<f64>::zeros((nch, n));
    for (s, frame) in values.chunks_exact(nch).enumerate() {
        for (c, &v) in frame.iter().enumerate() {
            data[[c, s]] = v;
        }
    }

    let mut events = counter_gaps(&counters);
    for (s, v) in markers {
        let label = if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        };
        events.push(Event {
            onset: s as u64,
            duration: 0,
            label,
        });
    }
    let min_run = rate.round().max(1.0) as usize;
    for c in 0..nch {
        if kinds[c] != ChannelKind::Eeg {
            continue;
        }
        let row = data.row(c);
        for (on, len) in railed_runs(row.iter().copied(), min_run) {
            events.push(Event {
                onset: on as u64,
                duration: len as u64,
                label: format!("railed {}", labels[c]),
            });
        }
    }
    events.sort_by(|a, b| a.onset.cmp(&b.onset).then_with(|| a.label.cmp(&b.label)));

    let channels = labels
        .iter()
        .zip(&kinds)
        .enumerate()
        .map(|(c, (label, &kind))| {
            let (unit, lo, hi) = match kind {
                ChannelKind::Eeg => {
                    let (lo, hi) = crate::util::cyton_range_uv();
                    ("uV", lo, hi)
                }
                ChannelKind::Accel => ("g", -4.0, 4.0),
                _ => {
                    let r = data.row(c);
                    let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    (
                        "",
                        if lo.is_finite() { lo } else { 0.0 },
                        if hi.is_finite() { hi } else { 0.0 },
                    )
                }
            };
            Channel {
                label: label.clone(),
                kind,
                unit: unit.into(),
                physical_min: lo,
                physical_max: hi,
                digital_min: 0,
                digital_max: 0,
                transducer: String::new(),
                prefilter: String::new(),
            }
        })
        .collect();
    Ok(Recording {
        channels,
        sample_rate: rate,
        data,
        events,
        subject: Subject::default(),
        format: if legacy {
            "OpenBCI GUI 2016 (Raw EEG Data)".into()
        } else {
            "OpenBCI GUI v5/v6 (Raw EXG Data)".into()
        },
    })
}

/// Runs (start, length) where |v| ≥ [`RAILED_UV`] lasting at least `min_run` samples, after
/// merging runs separated by less than `min_run` samples.
pub fn railed_runs(values: impl Iterator<Item = f64>, min_run: usize) -> Vec<(usize, usize)> {
    let mut raw: Vec<(usize, usize)> = Vec::new();
    let mut cur: Option<usize> = None;
    let mut n = 0;
    for (i, v) in values.enumerate() {
        n = i + 1;
        let railed = v.abs() >= RAILED_UV;
        match (railed, cur) {
            (true, None) => cur = Some(i),
            (false, Some(s)) => {
                raw.push((s, i - s));
                cur = None;
            }
            _ => {}
        }
    }
    if let Some(s) = cur {
        raw.push((s, n - s));
    }
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, l) in raw {
        if let Some(last) = merged.last_mut()
            && s - (last.0 + last.1) < min_run
        {
            last.1 = s + l - last.0;
            continue;
        }
        merged.push((s, l));
    }
    merged.retain(|&(_, l)| l >= min_run);
    merged
}

/// [`crate::FormatReader`] for OpenBCI GUI text logs.
pub struct OpenBciReader;

impl crate::FormatReader for OpenBciReader {
    fn name(&self) -> &'static str {
        "openbci"
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"%OpenBCI")
    }
    fn extension_matches(&self, ext: &str) -> bool {
        ext == "txt"
    }
    fn read_bytes(&self, bytes: &[u8], path: &Path) -> Result<Recording> {
        read_openbci_bytes(bytes, path)
    }
}
