//! `bci psd IN`: Welch power spectral density of a recording's channels (scipy `welch`
//! defaults: periodic Hann, 50% overlap, constant detrend, one-sided density in µV²/Hz).
//! Prints band powers per channel, or the whole spectra as JSON, or draws them to a PNG.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use bci_core::Recording;
use bci_dsp::{Spectrum, Welch, band_power, relative_band_power, welch};
use ndarray::Array2;
use plotters::prelude::*;

/// The classic EEG bands (Hz).
const BANDS: [(&str, f64, f64); 5] = [
    ("delta", 1.0, 4.0),
    ("theta", 4.0, 8.0),
    ("alpha", 8.0, 13.0),
    ("beta", 13.0, 30.0),
    ("gamma", 30.0, 45.0),
];

#[derive(clap::Args)]
pub struct Args {
    /// Input recording (any format `bci inspect` reads).
    pub input: PathBuf,
    /// Channel labels to analyse (comma separated or repeated); default all.
    #[arg(long, value_delimiter = ',')]
    pub channels: Vec<String>,
    /// Welch segment length in samples (scipy's default 256; clipped to the signal length).
    #[arg(long, default_value_t = 256)]
    pub nperseg: usize,
    /// Print the spectra as JSON.
    #[arg(long, conflicts_with = "png")]
    pub json: bool,
    /// Draw the spectra (log scale) to this PNG file.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
}

fn pick(rec: &Recording, wanted: &[String]) -> Result<Vec<usize>> {
    if wanted.is_empty() {
        return Ok((0..rec.n_channels()).collect());
    }
    wanted
        .iter()
        .map(|w| {
            rec.channel_index(w)
                .or_else(|| {
                    // PhysioNet labels carry dots ("C3.."); accept the bare name too.
                    rec.channels
                        .iter()
                        .position(|c| c.label.trim_end_matches('.').eq_ignore_ascii_case(w))
                })
                .with_context(|| {
                    let all: Vec<&str> = rec.channels.iter().map(|c| c.label.as_str()).collect();
                    format!("no channel {w:?}; channels are {}", all.join(", "))
                })
        })
        .collect()
}

fn draw(path: &PathBuf, labels: &[String], s: &Spectrum) -> Result<()> {
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let fmax = s.freqs.last().copied().unwrap_or(1.0);
    let positive = s.power.iter().copied().filter(|v| *v > 0.0);
    let lo = positive.clone().fold(f64::INFINITY, f64::min).max(1e-12);
    let hi = positive.fold(0.0, f64::max).max(lo * 10.0);
    let mut chart = ChartBuilder::on(&root)
        .caption("Welch PSD", ("sans-serif", 24))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..fmax, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("frequency (Hz)")
        .y_desc("PSD (µV²/Hz)")
        .draw()?;
    for (i, label) in labels.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let pts: Vec<(f64, f64)> = s
            .freqs
            .iter()
            .zip(s.power.row(i).iter())
            .map(|(f, p)| (*f, p.max(lo)))
            .collect();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(1)))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], color));
    }
    if labels.len() <= 16 {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    let rec = bci_formats::read(&args.input)?;
    let idx = pick(&rec, &args.channels)?;
    if idx.is_empty() {
        bail!("{}: no channels", args.input.display());
    }
    let mut x = Array2::zeros((idx.len(), rec.n_samples()));
    for (i, &c) in idx.iter().enumerate() {
        x.row_mut(i).assign(&rec.data.row(c));
    }
    let params = Welch {
        nperseg: args.nperseg,
        ..Welch::default()
    };
    let s = welch(x.view(), rec.sample_rate, params)?;
    let labels: Vec<String> = idx.iter().map(|&c| rec.channels[c].label.clone()).collect();
    if args.json {
        let channels: Vec<serde_json::Value> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| serde_json::json!({"label": l, "psd": s.power.row(i).to_vec()}))
            .collect();
        let out = serde_json::json!({
            "sample_rate": rec.sample_rate,
            "nperseg": args.nperseg.min(rec.n_samples()),
            "unit": "uV^2/Hz",
            "freqs": s.freqs,
            "channels": channels,
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    if let Some(png) = &args.png {
        draw(png, &labels, &s)?;
        eprintln!("wrote {}", png.display());
        return Ok(());
    }
    let nyq = rec.sample_rate / 2.0;
    let bands: Vec<_> = BANDS.iter().filter(|b| b.2 <= nyq).collect();
    print!("{:<10}", "channel");
    for b in &bands {
        print!(" {:>14}", format!("{} µV²", b.0));
    }
    println!(" {:>10}", "alpha rel");
    for (i, l) in labels.iter().enumerate() {
        let row = s.power.row(i).to_vec();
        print!("{l:<10}");
        for b in &bands {
            match band_power(&s.freqs, &row, b.1, b.2) {
                Ok(p) => print!(" {p:>14.4}"),
                Err(_) => print!(" {:>14}", "-"),
            }
        }
        match relative_band_power(&s.freqs, &row, 8.0, 13.0) {
            Ok(r) => println!(" {r:>10.4}"),
            Err(_) => println!(" {:>10}", "-"),
        }
    }
    Ok(())
}
