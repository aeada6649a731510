//! `bci`: parses arguments and hands each subcommand to the library crate that does the work.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// EEG acquisition, filtering and decoding for brain-computer-interface research.
#[derive(Parser)]
#[command(name = "bci", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up, so the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the main job end to end on bundled real data, no hardware needed.
    Demo(cmd::demo::Args),
    /// Describe a recording: format, channels, rate, duration, events.
    Inspect(cmd::inspect::Args),
    /// Convert a recording to another format (chosen by the output's extension).
    Convert(cmd::convert::Args),
    /// Filter a recording (band-pass, notch; causal or zero-phase) and write the result.
    Filter(cmd::filter::Args),
    /// Power spectral density (Welch) of a recording's channels.
    Psd(cmd::psd::Args),
    /// List serial ports and likely OpenBCI dongles.
    Devices(cmd::devices::Args),
    /// Record from a source (board, BrainFlow, file, synthetic) to BDF+.
    Record(cmd::record::Args),
    /// Stream a source through the live pipeline: filters, outputs, recording, markers.
    Stream(cmd::stream::Args),
    /// Decode a live source with a trained model.
    Run(cmd::run::Args),
    /// Replay a recording through the live pipeline with a model (real time, N x, or max).
    Replay(cmd::replay::Args),
    /// Train a decoding pipeline on labelled recordings and save it as one model file.
    Train(cmd::train::Args),
    /// Apply a saved model to a recording: per-epoch predictions and scores.
    Predict(cmd::predict::Args),
    /// MOABB-style evaluation of pipelines on datasets (`bci bench merge DIR...` joins shards).
    Bench(cmd::bench::Args),
    /// Download, verify and locate open datasets.
    #[command(subcommand)]
    Datasets(cmd::datasets::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cmd::demo::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Convert(args) => cmd::convert::run(args),
        Command::Filter(args) => cmd::filter::run(args),
        Command::Psd(args) => cmd::psd::run(args),
        Command::Devices(args) => cmd::devices::run(args),
        Command::Record(args) => cmd::record::run(args),
        Command::Stream(args) => cmd::stream::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Replay(args) => cmd::replay::run(args),
        Command::Train(args) => cmd::train::run(args),
        Command::Predict(args) => cmd::predict::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Datasets(command) => cmd::datasets::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
