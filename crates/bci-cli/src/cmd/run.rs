//! `bci run`: decode a live source with a model from `bci train`.

use std::path::PathBuf;

use anyhow::Context;
use bci_acquire::record::open_source;
use bci_acquire::spec::SourceSpec;
use bci_decode::model::Model;

use super::live::{LiveArgs, run_session};

#[derive(clap::Args)]
pub struct Args {
    /// cyton:PATH, cyton-daisy:PATH, brainflow:BOARD[?..], file:PATH[?speed=N|max], synthetic.
    #[arg(long, value_name = "SPEC")]
    pub source: String,
    /// Model file written by `bci train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Seconds between decoded windows.
    #[arg(long, value_name = "S", default_value_t = 0.04)]
    pub step: f64,
    #[command(flatten)]
    pub live: LiveArgs,
}

/// Loads the model and fills in the decoding part of the config.
pub fn with_model(
    config: &mut bci_pipeline::SessionConfig,
    model: &std::path::Path,
    step: f64,
) -> anyhow::Result<()> {
    if !(step.is_finite() && step > 0.0) {
        anyhow::bail!("--step {step}: must be a positive number of seconds");
    }
    config.model =
        Some(Model::load(model).with_context(|| format!("--model {}", model.display()))?);
    config.step_seconds = step;
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let spec = SourceSpec::parse(&args.source)?;
    let mut config = args.live.config()?;
    with_model(&mut config, &args.model, args.step)?;
    config.lossless = matches!(spec, SourceSpec::File { .. });
    let source =
        open_source(&spec).with_context(|| format!("cannot open source {}", args.source))?;
    run_session(&args.live, config, source)?;
    Ok(())
}
