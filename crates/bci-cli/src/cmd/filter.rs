//! `bci filter IN OUT`: band-pass / high-pass / low-pass and mains notch filtering of a
//! recording's voltage channels, causal (as a live stream sees it) or zero-phase (scipy
//! `sosfiltfilt`). OUT's extension picks the format: `.csv` (one column per channel, µV, full
//! f64 precision), `.bdf` (BDF+) or `.edf` (EDF+).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use bci_core::{ChannelKind, Recording};
use bci_dsp::{Band, Initial, Prototype, Sos, iirfilter, notch_comb, sosfilt, sosfiltfilt};
use bci_formats::{WriteFormat, WriterOptions};
use ndarray::Array2;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum FilterType {
    Butter,
    Cheby1,
    Bessel,
}

#[derive(clap::Args)]
pub struct Args {
    /// Input recording (any format `bci inspect` reads).
    pub input: PathBuf,
    /// Output file: .csv, .bdf or .edf.
    pub output: PathBuf,
    /// Band-pass edges in Hz.
    #[arg(long, num_args = 2, value_names = ["LO", "HI"])]
    pub bandpass: Option<Vec<f64>>,
    /// High-pass cut-off in Hz (instead of --bandpass).
    #[arg(long, value_name = "HZ", conflicts_with = "bandpass")]
    pub highpass: Option<f64>,
    /// Low-pass cut-off in Hz (instead of --bandpass).
    #[arg(long, value_name = "HZ", conflicts_with = "bandpass")]
    pub lowpass: Option<f64>,
    /// Filter order as scipy counts it (a band-pass of order N has N second-order sections).
    #[arg(long, default_value_t = 4)]
    pub order: usize,
    /// Prototype: Butterworth, Chebyshev type I or Bessel (phase-normalised).
    #[arg(long = "type", value_enum, default_value_t = FilterType::Butter)]
    pub filter_type: FilterType,
    /// Pass-band ripple in dB for --type cheby1.
    #[arg(long, default_value_t = 0.5)]
    pub ripple: f64,
    /// Mains frequency to remove with notches (Q = 30) at it and its harmonics: 50 or 60.
    #[arg(long, value_name = "HZ")]
    pub notch: Option<f64>,
    /// Zero-phase: forward and backward with scipy sosfiltfilt's padding (squares the magnitude
    /// response, no delay). Default: causal, from zero state, like scipy sosfilt.
    #[arg(long)]
    pub zero_phase: bool,
}

fn design(args: &Args, fs: f64) -> Result<Sos> {
    let prototype = match args.filter_type {
        FilterType::Butter => Prototype::Butterworth,
        FilterType::Cheby1 => Prototype::Chebyshev1 {
            ripple_db: args.ripple,
        },
        FilterType::Bessel => Prototype::Bessel,
    };
    let band = match (&args.bandpass, args.highpass, args.lowpass) {
        (Some(b), _, _) => Some(Band::Bandpass(b[0], b[1])),
        (None, Some(h), Some(l)) => Some(Band::Bandpass(h, l)),
        (None, Some(h), None) => Some(Band::Highpass(h)),
        (None, None, Some(l)) => Some(Band::Lowpass(l)),
        (None, None, None) => None,
    };
    let mut sos = match band {
        Some(band) => Some(iirfilter(args.order, band, prototype, fs)?),
        None => None,
    };
    if let Some(mains) = args.notch {
        if mains != 50.0 && mains != 60.0 {
            bail!("invalid --notch = {mains}: use 50 or 60 (Hz)");
        }
        let comb = notch_comb(mains, 30.0, fs)?;
        sos = Some(match sos {
            Some(s) => s.then(&comb),
            None => comb,
        });
    }
    match sos {
        Some(s) => Ok(s),
        None => bail!("nothing to do: give --bandpass LO HI, --highpass, --lowpass or --notch"),
    }
}

fn is_voltage(kind: ChannelKind) -> bool {
    matches!(
        kind,
        ChannelKind::Eeg | ChannelKind::Eog | ChannelKind::Emg | ChannelKind::Ecg
    )
}

/// Filter the voltage channels of `rec` in place; other channels (triggers, counters,
/// accelerometer) pass through unchanged.
fn apply(rec: &mut Recording, sos: &Sos, zero_phase: bool) -> Result<usize> {
    let rows: Vec<usize> = (0..rec.n_channels())
        .filter(|&c| is_voltage(rec.channels[c].kind))
        .collect();
    if rows.is_empty() {
        bail!("the recording has no voltage (EEG/EOG/EMG/ECG) channels to filter");
    }
    let mut x = Array2::zeros((rows.len(), rec.n_samples()));
    for (i, &c) in rows.iter().enumerate() {
        x.row_mut(i).assign(&rec.data.row(c));
    }
    let y = if zero_phase {
        sosfiltfilt(sos, x.view(), None)?
    } else {
        sosfilt(sos, x.view(), Initial::Zero)?
    };
    for (i, &c) in rows.iter().enumerate() {
        rec.data.row_mut(c).assign(&y.row(i));
    }
    Ok(rows.len())
}

fn write(path: &Path, rec: &Recording) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = match ext.as_str() {
        "csv" => return Ok(bci_formats::write_csv(path, rec)?),
        "bdf" => WriteFormat::Bdf,
        "edf" => WriteFormat::Edf,
        other => bail!(
            "{}: unknown output extension {other:?}; use .csv, .bdf or .edf",
            path.display()
        ),
    };
    let opts = WriterOptions {
        format,
        ..WriterOptions::default()
    };
    Ok(bci_formats::write_recording(path, rec, &opts)?)
}

pub fn run(args: Args) -> Result<()> {
    let mut rec = bci_formats::read(&args.input)?;
    let sos = design(&args, rec.sample_rate)?;
    let n = apply(&mut rec, &sos, args.zero_phase)?;
    write(&args.output, &rec)?;
    eprintln!(
        "filtered {n} channels x {} samples ({} sections, {}) -> {}",
        rec.n_samples(),
        sos.len(),
        if args.zero_phase {
            "zero-phase"
        } else {
            "causal"
        },
        args.output.display()
    );
    Ok(())
}
