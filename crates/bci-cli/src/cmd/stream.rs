//! `bci stream`: a source through the live pipeline — preprocessing, outputs, recording — with
//! no decoder (check the signal, record a calibration run with markers).

use anyhow::{Context, bail};
use bci_acquire::record::open_source;
use bci_acquire::spec::SourceSpec;

use super::live::{LiveArgs, run_session};

#[derive(clap::Args)]
pub struct Args {
    /// cyton:PATH, cyton-daisy:PATH, brainflow:BOARD[?..], file:PATH[?speed=N|max],
    /// synthetic[?channels=N&rate=R&speed=max].
    #[arg(long, value_name = "SPEC")]
    pub source: String,
    /// Causal Butterworth band-pass LO HI (Hz) on the analysed channels.
    #[arg(long, num_args = 2, value_names = ["LO", "HI"])]
    pub bandpass: Option<Vec<f64>>,
    /// Band-pass order.
    #[arg(long, default_value_t = 4)]
    pub order: usize,
    /// Notch at 50 or 60 Hz and harmonics.
    #[arg(long, value_name = "HZ")]
    pub notch: Option<f64>,
    /// Common average reference.
    #[arg(long)]
    pub car: bool,
    /// Analyse only these channels (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    pub channels: Option<Vec<String>>,
    #[command(flatten)]
    pub live: LiveArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let spec = SourceSpec::parse(&args.source)?;
    let mut config = args.live.config()?;
    config.bandpass = match args.bandpass.as_deref() {
        Some([lo, hi]) => Some((*lo, *hi, args.order)),
        Some(_) => bail!("--bandpass takes two frequencies: LO HI"),
        None => None,
    };
    if let Some(n) = args.notch
        && n != 50.0
        && n != 60.0
    {
        bail!("--notch {n}: must be 50 or 60 (Hz)");
    }
    config.notch = args.notch;
    config.car = args.car;
    config.channels = args.channels.clone();
    config.lossless = matches!(spec, SourceSpec::File { .. });
    let source =
        open_source(&spec).with_context(|| format!("cannot open source {}", args.source))?;
    run_session(&args.live, config, source)?;
    Ok(())
}
