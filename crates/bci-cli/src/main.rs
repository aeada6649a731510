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

#[derive(Subcommand)]
enum Command {
    /// Run the main job end to end on bundled real data, no hardware needed.
    Demo(cmd::demo::Args),
    /// Describe a recording: format, channels, rate, duration, events.
    Inspect(cmd::inspect::Args),
    /// Convert a recording to another format (chosen by the output's extension).
    Convert(cmd::convert::Args),
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
