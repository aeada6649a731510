//! CSV writing: one header row of channel labels, then one row per sample.
//!
//! Values are the in-memory values (µV for voltage channels) printed with Rust's shortest
//! round-trip formatting, so reading the text back gives the same `f64` bit for bit. CSV has no
//! place for events: when the recording has any, they go to a sidecar `<output>.events.csv`
//! with columns `onset_sample,duration_samples,onset_s,label`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bci_core::{Error, Recording, Result};

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Path of the events sidecar written next to `path`.
pub fn events_sidecar(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".events.csv");
    PathBuf::from(s)
}

/// Write `rec` as CSV (and its events to [`events_sidecar`] if there are any).
pub fn write_csv(path: &Path, rec: &Recording) -> Result<()> {
    let io = |e| Error::io(path, e);
    let mut w = BufWriter::new(File::create(path).map_err(io)?);
    let labels: Vec<String> = rec.channels.iter().map(|c| quote(&c.label)).collect();
    writeln!(w, "{}", labels.join(",")).map_err(io)?;
    let n = rec.n_samples();
    let mut line = String::new();
    for s in 0..n {
        line.clear();
        for (c, v) in rec.data.column(s).iter().enumerate() {
            if c > 0 {
                line.push(',');
            }
            use std::fmt::Write as _;
            let _ = write!(line, "{v}");
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    w.flush().map_err(io)?;
    if !rec.events.is_empty() {
        let side = events_sidecar(path);
        let io2 = |e| Error::io(&side, e);
        let mut w = BufWriter::new(File::create(&side).map_err(io2)?);
        writeln!(w, "onset_sample,duration_samples,onset_s,label").map_err(io2)?;
        for e in &rec.events {
            writeln!(
                w,
                "{},{},{},{}",
                e.onset,
                e.duration,
                e.onset as f64 / rec.sample_rate,
                quote(&e.label)
            )
            .map_err(io2)?;
        }
        w.flush().map_err(io2)?;
    }
    Ok(())
}
