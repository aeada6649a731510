//! BrainFlow CSV files (as written by `DataFilter.write_file`) and bci's own CSV.
//!
//! What it promises:
//! - BrainFlow's file is tab-separated numbers, no header, one line per sample, one column per
//!   BrainFlow board row. Which rows are EEG depends on the board, so a [`BoardLayout`] is
//!   needed: the default is the OpenBCI Cyton (24 rows, 250 Hz); choose another with
//!   [`BrainFlowReader::with_board`] (CLI: `bci inspect --board cyton-daisy|synthetic|ganglion`).
//!   A file whose column count does not match the layout is refused with both numbers.
//! - Channels: the board's EEG rows (µV, named as BrainFlow names them), accelerometer rows
//!   (kind Accel, g) and analog rows (misc). The package-number row is checked like the Cyton's
//!   counter (wraps after 255): jumps become `gap` events at the first row after the jump, duration
//!   = missing samples. Non-zero marker-row values become events labelled by the value.
//! - A comma-separated file whose first line is not all numbers is bci's own CSV
//!   ([`crate::write_csv`]): channel labels in the header, µV values. That CSV carries no rate,
//!   so the layout's rate is assumed and the `format` string says so.

use std::path::Path;

use bci_core::{Channel, ChannelKind, Error, Event, Location, Recording, Result, Subject};
use ndarray::Array2;

use crate::util::{counter_gaps, whole_err};

/// Which BrainFlow row holds what, for one board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardLayout {
    pub name: &'static str,
    pub rows: usize,
    pub sample_rate: f64,
    pub eeg_rows: Vec<usize>,
    pub eeg_names: Vec<&'static str>,
    pub accel_rows: Vec<usize>,
    pub analog_rows: Vec<usize>,
    pub package_row: usize,
    pub marker_row: usize,
}

impl BoardLayout {
    /// OpenBCI Cyton (BrainFlow board id 0).
    pub fn cyton() -> Self {
        BoardLayout {
            name: "cyton",
            rows: 24,
            sample_rate: 250.0,
            eeg_rows: (1..=8).collect(),
            eeg_names: vec!["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"],
            accel_rows: vec![9, 10, 11],
            analog_rows: vec![19, 20, 21],
            package_row: 0,
            marker_row: 23,
        }
    }

    /// OpenBCI Cyton + Daisy (board id 2).
    pub fn cyton_daisy() -> Self {
        BoardLayout {
            name: "cyton-daisy",
            rows: 32,
            sample_rate: 125.0,
            eeg_rows: (1..=16).collect(),
            eeg_names: vec![
                "Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2", "F7", "F8", "F3", "F4", "T7",
                "T8", "P3", "P4",
            ],
            accel_rows: vec![17, 18, 19],
            analog_rows: vec![27, 28, 29],
            package_row: 0,
            marker_row: 31,
        }
    }

    /// BrainFlow's synthetic board (board id -1).
    pub fn synthetic() -> Self {
        BoardLayout {
            name: "synthetic",
            rows: 32,
            sample_rate: 250.0,
            eeg_rows: (1..=16).collect(),
            eeg_names: vec![
                "Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "PO8", "F5", "F7", "F3", "F1", "F2",
                "F4", "F6", "F8",
            ],
            accel_rows: vec![17, 18, 19],
            analog_rows: vec![],
            package_row: 0,
            marker_row: 31,
        }
    }

    /// OpenBCI Ganglion (board id 1).
    pub fn ganglion() -> Self {
        BoardLayout {
            name: "ganglion",
            rows: 15,
            sample_rate: 200.0,
            eeg_rows: (1..=4).collect(),
            eeg_names: vec!["1", "2", "3", "4"],
            accel_rows: vec![5, 6, 7],
            analog_rows: vec![],
            package_row: 0,
            marker_row: 14,
        }
    }

    /// Layout by name (`cyton`, `cyton-daisy`, `synthetic`, `ganglion`) or BrainFlow board id.
    pub fn by_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "cyton" | "0" => Some(Self::cyton()),
            "cyton-daisy" | "cyton_daisy" | "daisy" | "2" => Some(Self::cyton_daisy()),
            "synthetic" | "-1" => Some(Self::synthetic()),
            "ganglion" | "1" => Some(Self::ganglion()),
            _ => None,
        }
    }
}

fn line_err(path: &Path, line: usize, column: Option<String>, msg: impl Into<String>) -> Error {
    Error::malformed(
        path,
        Location::Line {
            line: line as u64,
            column,
        },
        msg,
    )
}

/// Read a BrainFlow CSV (or bci CSV) from memory with `layout`.
pub fn read_brainflow_bytes(bytes: &[u8], path: &Path, layout: &BoardLayout) -> Result<Recording> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        crate::util::byte_err(
            path,
            e.valid_up_to() as u64,
            "not UTF-8 text; a CSV file is text",
        )
    })?;
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| whole_err(path, "no data lines; the file is empty"))?;
    let is_bci_csv = first.contains(',')
        && first
            .split(',')
            .any(|f| !f.trim().is_empty() && f.trim().parse::<f64>().is_err());
    if is_bci_csv {
        return read_bci_csv(text, path, layout.sample_rate);
    }
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut rows: Vec<f64> = Vec::new();
    let mut n = 0usize;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let fields: Vec<&str> = t.split(['\t', ',']).collect();
        let is_last = i + 1 == lines.len();
        if fields.len() != layout.rows {
            if is_last && !ends_with_newline && fields.len() < layout.rows {
                break;
            }
            return Err(line_err(
                path,
                i + 1,
                None,
                format!(
                    "{} columns, but the {} layout has {} BrainFlow rows; choose the board that wrote the file (cyton, cyton-daisy, synthetic, ganglion)",
                    fields.len(),
                    layout.name,
                    layout.rows
                ),
            ));
        }
        let start = rows.len();
        for (k, f) in fields.iter().enumerate() {
            match f.trim().parse::<f64>() {
                Ok(v) => rows.push(v),
                Err(_) if is_last && !ends_with_newline => {
                    rows.truncate(start);
                    break;
                }
                Err(_) => {
                    return Err(line_err(
                        path,
                        i + 1,
                        Some(format!("row {k}")),
                        format!("{f:?} is not a number"),
                    ));
                }
            }
        }
        if rows.len() > start {
            n += 1;
        }
    }
    if n == 0 {
        return Err(whole_err(path, "no data lines"));
    }
    let cell = |s: usize, r: usize| rows[s * layout.rows + r];
    let mut specs: Vec<(String, ChannelKind, &str, usize)> = Vec::new();
    for (k, &r) in layout.eeg_rows.iter().enumerate() {
        let name = layout.eeg_names.get(k).copied().unwrap_or("EEG");
        specs.push((name.to_string(), ChannelKind::Eeg, "uV", r));
    }
    for (k, &r) in layout.accel_rows.iter().enumerate() {
        specs.push((format!("Accel {k}"), ChannelKind::Accel, "g", r));
    }
    for (k, &r) in layout.analog_rows.iter().enumerate() {
        specs.push((format!("Analog {k}"), ChannelKind::Misc, "", r));
    }
    let mut data = Array2::<f64>::zeros((specs.len(), n));
    for (c, spec) in specs.iter().enumerate() {
        for s in 0..n {
            data[[c, s]] = cell(s, spec.3);
        }
    }
    let counters: Vec<i64> = (0..n).map(|s| cell(s, layout.package_row) as i64).collect();
    let mut events = counter_gaps(&counters);
    for s in 0..n {
        let v = cell(s, layout.marker_row);
        if v != 0.0 {
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
    }
    events.sort_by_key(|e| e.onset);
    let channels = specs
        .iter()
        .map(|(label, kind, unit, _)| {
            let (lo, hi) = match kind {
                ChannelKind::Eeg => crate::util::cyton_range_uv(),
                ChannelKind::Accel => (-4.0, 4.0),
                _ => (0.0, 0.0),
            };
            Channel {
                label: label.clone(),
                kind: *kind,
                unit: (*unit).into(),
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
        sample_rate: layout.sample_rate,
        data,
        events,
        subject: Subject::default(),
        format: format!("BrainFlow CSV ({} layout)", layout.name),
    })
}

/// bci's own CSV: a header of labels, then µV values; the rate is not in the file.
fn read_bci_csv(text: &str, path: &Path, rate: f64) -> Result<Recording> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| whole_err(path, "empty CSV"))?;
    let labels: Vec<String> = header
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect();
    let nch = labels.len();
    let mut values = Vec::new();
    for (i, line) in lines {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != nch {
            return Err(line_err(
                path,
                i + 1,
                None,
                format!("{} values, expected {nch}", fields.len()),
            ));
        }
        for (k, f) in fields.iter().enumerate() {
            let v: f64 = f.trim().parse().map_err(|_| {
                line_err(
                    path,
                    i + 1,
                    Some(labels[k].clone()),
                    format!("{f:?} is not a number"),
                )
            })?;
            values.push(v);
        }
    }
    let n = values.len() / nch.max(1);
    let mut data = Array2::<f64>::zeros((nch, n));
    for (s, frame) in values.chunks_exact(nch.max(1)).enumerate() {
        for (c, &v) in frame.iter().enumerate() {
            data[[c, s]] = v;
        }
    }
    let channels = labels
        .into_iter()
        .map(|l| {
            let (lo, hi) = crate::util::cyton_range_uv();
            let mut ch = Channel::eeg(l, lo, hi);
            ch.kind = crate::util::kind_from_label(&ch.label, true);
            ch
        })
        .collect();
    Ok(Recording {
        channels,
        sample_rate: rate,
        data,
        events: Vec::new(),
        subject: Subject::default(),
        format: format!("CSV (bci; no rate in the file, {rate} Hz assumed)"),
    })
}

/// [`crate::FormatReader`] for BrainFlow CSV files with a chosen board layout.
#[derive(Debug, Clone)]
pub struct BrainFlowReader {
    pub layout: BoardLayout,
}

impl Default for BrainFlowReader {
    fn default() -> Self {
        BrainFlowReader {
            layout: BoardLayout::cyton(),
        }
    }
}

impl BrainFlowReader {
    /// A reader for files written from `layout`'s board.
    pub fn with_board(layout: BoardLayout) -> Self {
        BrainFlowReader { layout }
    }
}

impl crate::FormatReader for BrainFlowReader {
    fn name(&self) -> &'static str {
        "brainflow-csv"
    }
    fn sniff(&self, _head: &[u8]) -> bool {
        false // no magic: chosen by extension
    }
    fn extension_matches(&self, ext: &str) -> bool {
        matches!(ext, "csv" | "tsv")
    }
    fn read_bytes(&self, bytes: &[u8], path: &Path) -> Result<Recording> {
        read_brainflow_bytes(bytes, path, &self.layout)
    }
}
