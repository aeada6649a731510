//! `bci replay`: a recording through the very same pipeline as `bci run`, in real time, N times
//! faster, or as fast as the CPU allows.

use std::path::PathBuf;

use anyhow::{Context, bail};
use bci_acquire::replay::FileSource;

use super::live::{LiveArgs, run_session};
use super::run::with_model;

#[derive(clap::Args)]
pub struct Args {
    /// The recording (any format `bci inspect` reads).
    pub file: PathBuf,
    /// Model file written by `bci train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// N times real time, or `max` for as fast as possible.
    #[arg(long, default_value = "max")]
    pub speed: String,
    /// Seconds between decoded windows.
    #[arg(long, value_name = "S", default_value_t = 0.04)]
    pub step: f64,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let speed = match args.speed.as_str() {
        "max" | "fast" => None,
        s => match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Some(v),
            _ => bail!("--speed {s}: must be a positive number or `max`"),
        },
    };
    let mut config = args.live.config()?;
    with_model(&mut config, &args.model, args.step)?;
    // Nothing is lost by waiting for a file: every window is decoded.
    config.lossless = true;
    let rec = bci_formats::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let source = FileSource::new(format!("file {}", args.file.display()), rec, speed)?;
    run_session(&args.live, config, Box::new(source))?;
    Ok(())
}
