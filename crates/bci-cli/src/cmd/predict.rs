//! `bci predict`: apply a saved model to a recording; one CSV row per epoch.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use bci_decode::Model;

#[derive(clap::Args)]
pub struct Args {
    /// Model file written by `bci train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Recording to decode (epochs at the model's events).
    pub file: PathBuf,
    /// Write the CSV here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let model = Model::load(&args.model)?;
    let rec = bci_formats::read(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let preds = model.predict_recording(&rec).with_context(|| {
        format!(
            "applying {} to {}",
            args.model.display(),
            args.file.display()
        )
    })?;
    let mut text = String::from("onset_sample,label,predicted");
    for c in &model.classes {
        text.push_str(&format!(",score_{c}"));
    }
    text.push('\n');
    for p in &preds {
        text.push_str(&format!(
            "{},{},{}",
            p.onset,
            p.label.as_deref().unwrap_or(""),
            p.predicted
        ));
        for s in &p.scores {
            // Shortest round-trip representation: the CSV carries the exact scores.
            text.push_str(&format!(",{s:?}"));
        }
        text.push('\n');
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}
