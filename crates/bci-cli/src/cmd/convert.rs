//! `bci convert IN OUT [--anonymize]`: convert a recording; the output format follows OUT's
//! extension (`.bdf` = BDF+ 24-bit, `.edf` = EDF+ 16-bit, `.csv` = CSV with an events sidecar).
//!
//! For EDF/BDF output, `--flush-every N` flushes (records + header count) every N data records
//! and prints `flushed <records> records` on stdout after each flush; `--realtime` replays the
//! input at its own sampling rate, as a live recording would arrive. Together they exercise the
//! crash-safe writer: kill the process at any time and the file holds at least every record it
//! reported flushed.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bci_formats::{EdfWriter, WriteFormat, WriterOptions};

#[derive(clap::Args)]
pub struct Args {
    /// Input recording (any format `bci inspect` reads).
    pub input: PathBuf,
    /// Output file: .bdf, .edf or .csv.
    pub output: PathBuf,
    /// Blank patient and recording identification and the start date (EDF+ anonymous form).
    #[arg(long)]
    pub anonymize: bool,
    /// Duration of one EDF/BDF data record in seconds [default: 1 s, or the nearest shorter
    /// duration that divides the recording into whole records, so no padding is added].
    #[arg(long, value_name = "SECONDS")]
    pub record_duration: Option<f64>,
    /// Flush to disk every N data records (EDF/BDF output), printing progress on stdout.
    #[arg(long, value_name = "N")]
    pub flush_every: Option<u64>,
    /// Write at the recording's own rate (replay as if live).
    #[arg(long)]
    pub realtime: bool,
    /// Board that wrote a BrainFlow CSV input (cyton, cyton-daisy, synthetic, ganglion).
    #[arg(long, value_name = "BOARD")]
    pub board: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let rec = super::inspect::read_with_board(&args.input, args.board.as_deref())?;
    let ext = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = match ext.as_str() {
        "bdf" => WriteFormat::Bdf,
        "edf" => WriteFormat::Edf,
        "csv" => {
            bci_formats::write_csv(&args.output, &rec)?;
            eprintln!(
                "wrote {} ({} channels x {} samples{})",
                args.output.display(),
                rec.n_channels(),
                rec.n_samples(),
                if rec.events.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} events in {}",
                        rec.events.len(),
                        bci_formats::csv::events_sidecar(&args.output).display()
                    )
                }
            );
            return Ok(());
        }
        other => bail!(
            "{}: unknown output extension {other:?}; use .bdf, .edf or .csv",
            args.output.display()
        ),
    };
    let record_duration = args
        .record_duration
        .unwrap_or_else(|| bci_formats::record_duration_for(rec.n_samples(), rec.sample_rate, 1.0));
    let opts = WriterOptions {
        format,
        record_duration,
        anonymize: args.anonymize,
    };
    let space = bci_formats::annotation_space_for(&rec, record_duration);
    let mut w = EdfWriter::create_with_annotation_space(
        &args.output,
        &rec.channels,
        rec.sample_rate,
        &rec.subject,
        &opts,
        space,
    )?;
    let spr = (rec.sample_rate * record_duration).round() as usize;
    let nch = rec.n_channels();
    let n = rec.n_samples();
    let mut events = rec.events.clone();
    events.sort_by_key(|e| e.onset);
    let mut next_event = 0;
    let mut frames = Vec::with_capacity(spr * nch);
    let started = Instant::now();
    let mut records = 0u64;
    let mut s = 0;
    let mut stdout = std::io::stdout();
    while s < n {
        let end = (s + spr).min(n);
        while next_event < events.len() && events[next_event].onset < end as u64 {
            w.write_event(&events[next_event])?;
            next_event += 1;
        }
        frames.clear();
        for f in s..end {
            frames.extend(rec.data.column(f).iter());
        }
        w.write_frames(&frames)?;
        records += 1;
        if let Some(every) = args.flush_every
            && every > 0
            && records.is_multiple_of(every)
        {
            w.flush()?;
            writeln!(stdout, "flushed {} records", w.records_on_disk())?;
            stdout.flush()?;
        }
        if args.realtime {
            let due = Duration::from_secs_f64(end as f64 / rec.sample_rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        s = end;
    }
    for e in &events[next_event..] {
        w.write_event(e)?;
    }
    let report = w
        .finish_report()
        .with_context(|| format!("finishing {}", args.output.display()))?;
    let clipped: u64 = report.clipped.iter().sum();
    eprintln!(
        "wrote {} ({} records of {} s, {} channels, {} events{})",
        args.output.display(),
        report.records,
        record_duration,
        nch,
        rec.events.len(),
        if clipped > 0 {
            format!("; {clipped} samples clipped to the physical range")
        } else {
            String::new()
        }
    );
    Ok(())
}
