//! `bci record`: stream from a source into a BDF+ file.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use bci_acquire::record::{RecordOptions, open_source, record, stop_on_signals};
use bci_acquire::spec::SourceSpec;

#[derive(clap::Args)]
pub struct Args {
    /// cyton:PATH, cyton-daisy:PATH, brainflow:BOARD[?serial_port=..&..], file:PATH[?speed=N|fast],
    /// synthetic[?channels=N&rate=R]. Serial specs take ?speed=N for the firmware simulator.
    #[arg(long, value_name = "SPEC")]
    pub source: String,
    /// Output BDF+ file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Stop after S seconds (default: Ctrl-C, or the end of a file source).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let duration = match args.duration {
        Some(d) if d.is_finite() && d > 0.0 => Some(Duration::from_secs_f64(d)),
        Some(d) => bail!("--duration {d}: must be a positive number of seconds"),
        None => None,
    };
    let spec = SourceSpec::parse(&args.source)?;
    let stop = stop_on_signals();
    let source =
        open_source(&spec).with_context(|| format!("cannot open source {}", args.source))?;
    let opts = RecordOptions {
        out: args.out.clone(),
        duration,
        flush_every: Duration::from_millis(500),
    };
    let mut notice = |m: &str| eprintln!("{m}");
    let s = record(source, &opts, stop, &mut notice)
        .with_context(|| format!("recording to {}", args.out.display()))?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "out": s.out, "source": s.source, "channels": s.channels,
                "sample_rate": s.sample_rate, "frames_written": s.frames_written,
                "samples_received": s.samples_received, "lost_samples": s.lost_samples,
                "gaps": s.gaps, "reconnects": s.reconnects, "skipped_bytes": s.skipped_bytes,
                "events": s.events, "wall_seconds": s.wall_seconds,
                "measured_rate": s.measured_rate, "error": s.error,
            })
        );
    } else {
        println!("recorded {} to {}", s.source, s.out.display());
        println!(
            "  {} channels at {} Hz: {} samples received, {} written ({:.2} s of signal)",
            s.channels,
            s.sample_rate,
            s.samples_received,
            s.frames_written,
            s.frames_written as f64 / s.sample_rate
        );
        println!(
            "  lost {} samples in {} gaps; {} reconnects; {} bytes skipped; {} annotations",
            s.lost_samples, s.gaps, s.reconnects, s.skipped_bytes, s.events
        );
        println!(
            "  measured rate {:.2} samples/s over {:.2} s",
            s.measured_rate, s.wall_seconds
        );
    }
    if let Some(e) = s.error {
        bail!(
            "the recording stopped early: {e} (the data up to that point is in {})",
            s.out.display()
        );
    }
    Ok(())
}
