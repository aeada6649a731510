//! `bci train`: fit a decoding pipeline on labelled recordings and save it as one model file.

use std::path::PathBuf;

use anyhow::Context;
use bci_decode::eval::Window;
use bci_decode::{EventClass, Model, PipelineKind, PipelineOptions, TrainSpec};

#[derive(clap::Args)]
pub struct Args {
    /// Recordings to train on (EDF/BDF/GDF...); all must share channels and rate.
    #[arg(long, num_args = 1.., required = true)]
    pub data: Vec<PathBuf>,
    /// Pipeline: csp-lda, ts-lr, mdm (OAS covariances, as MOABB), csp-mne-lda (MNE's CSP),
    /// fbcsp (filter-bank CSP, 8-32 Hz in 4 Hz bands), xdawn-ts-lr, xdawn-mdm, xdawn-lda (P300),
    /// cca or fbcca (SSVEP, training-free).
    #[arg(long)]
    pub pipeline: String,
    /// Event labels to classes, e.g. `T1=left,T2=right` (CCA: `33025=13,33027=17,33026=21`, Hz).
    #[arg(long)]
    pub events: String,
    /// Epoch start relative to the event, seconds.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub tmin: f64,
    /// Epoch end relative to the event, seconds (included).
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true)]
    pub tmax: f64,
    /// Band-pass before epoching (MNE's zero-phase IIR), low and high Hz.
    #[arg(long, num_args = 2, value_names = ["LOW", "HIGH"], default_values_t = [8.0, 32.0])]
    pub band: Vec<f64>,
    /// Skip the band-pass.
    #[arg(long)]
    pub no_filter: bool,
    /// CCA: harmonics in the sine/cosine references.
    #[arg(long, default_value_t = 3)]
    pub harmonics: usize,
    /// Band-pass causally, as `bci run` filters a live stream, instead of MNE's zero-phase IIR:
    /// the model then sees in training exactly what it sees live.
    #[arg(long)]
    pub causal: bool,
    /// Channels to train on, comma-separated (default: the recording's EEG channels).
    #[arg(long, value_delimiter = ',')]
    channels: Option<Vec<String>>,
    /// Where to write the model (JSON).
    #[arg(long)]
    pub out: PathBuf,
}

/// Keeps the named channels (in that order), or by default the EEG channels: a decoder fed
/// accelerometer or trigger lines would learn from movement or codes, not from the brain.
fn pick_channels(rec: &mut bci_core::Recording, names: Option<&[String]>) -> anyhow::Result<()> {
    let idx: Vec<usize> =
        match names {
            Some(names) => {
                names
                    .iter()
                    .map(|n| {
                        rec.channels.iter().position(|c| &c.label == n).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--channels: {n:?} is not a channel of the recording (it has {})",
                        rec.channels.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join(", ")
                    )
                })
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            None => {
                let eeg: Vec<usize> = (0..rec.channels.len())
                    .filter(|&i| rec.channels[i].kind == bci_core::ChannelKind::Eeg)
                    .collect();
                if eeg.is_empty() {
                    (0..rec.channels.len()).collect()
                } else {
                    eeg
                }
            }
        };
    if idx.len() == rec.channels.len() && idx.iter().enumerate().all(|(k, &i)| k == i) {
        return Ok(());
    }
    rec.data = rec.data.select(ndarray::Axis(0), &idx);
    rec.channels = idx.iter().map(|&i| rec.channels[i].clone()).collect();
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let pipeline: PipelineKind = args.pipeline.parse()?;
    let events = EventClass::parse_list(&args.events).context("--events")?;
    let band = if args.no_filter {
        None
    } else {
        match args.band.as_slice() {
            [lo, hi] => Some([*lo, *hi]),
            _ => anyhow::bail!("--band takes two values: LOW HIGH"),
        }
    };
    let mut recs = Vec::new();
    for path in &args.data {
        recs.push(bci_formats::read(path).with_context(|| format!("reading {}", path.display()))?);
    }
    for rec in recs.iter_mut() {
        pick_channels(rec, args.channels.as_deref())?;
    }
    let refs: Vec<&_> = recs.iter().collect();
    let spec = TrainSpec {
        causal: args.causal,
        pipeline,
        events,
        window: Window {
            tmin: args.tmin,
            tmax: args.tmax,
        },
        band,
        options: PipelineOptions {
            harmonics: args.harmonics,
            ..PipelineOptions::default()
        },
    };
    let model = Model::train(&refs, &spec)?;
    model.save(&args.out)?;
    println!(
        "trained {} on {} file(s): {} channels at {} Hz, classes {}; saved {}",
        model.pipeline_name,
        args.data.len(),
        model.channels.len(),
        model.sample_rate,
        model.classes.join(", "),
        args.out.display()
    );
    Ok(())
}
