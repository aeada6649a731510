//! `bci inspect FILE [--json]`: describe a recording.
//!
//! The JSON form (`--json`) is stable; its fields are:
//! `file` (string), `format` (e.g. `"EDF+C"`, `"GDF 1.25"`), `sample_rate` (Hz), `n_channels`,
//! `n_samples`, `duration_s`, `channels` (array of `{label, kind, unit, physical_min,
//! physical_max, digital_min, digital_max, min, max}` where `min`/`max` are the observed data
//! range in `unit`), `n_events`, `events` (object: label → count), `subject` (`{patient,
//! recording, start}`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Result;
use serde_json::json;

/// `writeln!` into a String cannot fail.
macro_rules! w {
    ($o:expr, $($t:tt)*) => {
        let _ = writeln!($o, $($t)*);
    };
}

#[derive(clap::Args)]
pub struct Args {
    /// Recording to describe (EDF/BDF, GDF, EEGLAB .set, OpenBCI .txt, BrainFlow .csv, .npz).
    pub file: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Board that wrote a BrainFlow CSV (cyton, cyton-daisy, synthetic, ganglion or a BrainFlow
    /// board id); BrainFlow files have no header, so the default is the Cyton layout.
    #[arg(long, value_name = "BOARD")]
    pub board: Option<String>,
}

/// Read `file`, with an explicit BrainFlow board layout when `board` is given.
pub fn read_with_board(file: &std::path::Path, board: Option<&str>) -> Result<bci_core::Recording> {
    match board {
        Some(name) => {
            let layout = bci_formats::brainflow::BoardLayout::by_name(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown board {name:?}; use cyton, cyton-daisy, synthetic or ganglion"
                )
            })?;
            let reader = bci_formats::brainflow::BrainFlowReader::with_board(layout);
            Ok(bci_formats::FormatReader::read(&reader, file)?)
        }
        None => Ok(bci_formats::read(file)?),
    }
}

pub fn run(args: Args) -> Result<()> {
    let rec = read_with_board(&args.file, args.board.as_deref())?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &rec.events {
        *counts.entry(e.label.as_str()).or_default() += 1;
    }
    let ranges: Vec<(f64, f64)> = rec
        .data
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                })
        })
        .collect();
    if args.json {
        let channels: Vec<_> = rec
            .channels
            .iter()
            .zip(&ranges)
            .map(|(c, &(lo, hi))| {
                json!({
                    "label": c.label, "kind": c.kind, "unit": c.unit,
                    "physical_min": c.physical_min, "physical_max": c.physical_max,
                    "digital_min": c.digital_min, "digital_max": c.digital_max,
                    "min": if lo.is_finite() { json!(lo) } else { json!(null) },
                    "max": if hi.is_finite() { json!(hi) } else { json!(null) },
                })
            })
            .collect();
        let out = json!({
            "file": args.file.display().to_string(),
            "format": rec.format,
            "sample_rate": rec.sample_rate,
            "n_channels": rec.n_channels(),
            "n_samples": rec.n_samples(),
            "duration_s": rec.duration(),
            "channels": channels,
            "n_events": rec.events.len(),
            "events": counts,
            "subject": rec.subject,
        });
        return emit(&(serde_json::to_string_pretty(&out)? + "\n"));
    }
    let mut o = String::new();
    w!(o, "file:      {}", args.file.display());
    w!(o, "format:    {}", rec.format);
    w!(o, "rate:      {} Hz", rec.sample_rate);
    w!(
        o,
        "samples:   {} ({:.3} s)",
        rec.n_samples(),
        rec.duration()
    );
    if !rec.subject.patient.is_empty() {
        w!(o, "patient:   {}", rec.subject.patient);
    }
    if !rec.subject.recording.is_empty() {
        w!(o, "recording: {}", rec.subject.recording);
    }
    if let Some(s) = &rec.subject.start {
        w!(o, "start:     {s}");
    }
    w!(o, "channels:  {}", rec.n_channels());
    w!(
        o,
        "  {:>3}  {:<16} {:<6} {:<5} {:>24}  {:>24}",
        "#",
        "label",
        "kind",
        "unit",
        "physical range",
        "data range"
    );
    for (i, (c, &(lo, hi))) in rec.channels.iter().zip(&ranges).enumerate() {
        let kind = serde_json::to_value(c.kind)?
            .as_str()
            .unwrap_or("")
            .to_string();
        w!(
            o,
            "  {:>3}  {:<16} {:<6} {:<5} {:>24}  {:>24}",
            i + 1,
            c.label,
            kind,
            c.unit,
            format!("{:.6} .. {:.6}", c.physical_min, c.physical_max),
            format!("{lo:.3} .. {hi:.3}")
        );
    }
    w!(o, "events:    {}", rec.events.len());
    for (label, n) in &counts {
        w!(o, "  {label:<24} {n}");
    }
    emit(&o)
}

/// Print to stdout; a closed pipe (`bci inspect f | head`) is not an error.
fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
