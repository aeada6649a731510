//! The Rust side of benches/attention_vs_scipy.py: the streaming attention index over a whole
//! recording given as a raw little-endian f64 file (channels × samples, row-major).
//!
//! ```text
//! attention_throughput FILE N_CHANNELS SAMPLE_RATE
//! ```
//! Prints JSON: the best of 3 wall times (s) for pushing the whole file in 10-frame chunks
//! with the default configuration (2 s windows every 0.25 s over all channels), the number of
//! indices and the mean of each index (so the script can check both sides agree).

use std::time::Instant;

use bci_dsp::attention::{AttentionConfig, AttentionMonitor};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: attention_throughput FILE N_CHANNELS SAMPLE_RATE");
        std::process::exit(2);
    }
    let bytes = match std::fs::read(&args[1]) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", args[1]);
            std::process::exit(1);
        }
    };
    let (Ok(nch), Ok(fs)) = (args[2].parse::<usize>(), args[3].parse::<f64>()) else {
        eprintln!("N_CHANNELS must be an integer and SAMPLE_RATE a number");
        std::process::exit(2);
    };
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect();
    if nch == 0 || !values.len().is_multiple_of(nch) {
        eprintln!("{} values do not split into {nch} channels", values.len());
        std::process::exit(1);
    }
    let n = values.len() / nch;
    let mut frames = vec![0.0; values.len()];
    for c in 0..nch {
        for i in 0..n {
            frames[i * nch + c] = values[c * n + i];
        }
    }
    let mut best = f64::INFINITY;
    let mut out = Vec::with_capacity(n / 10 + 16);
    for _ in 0..3 {
        let mut m = match AttentionMonitor::new(fs, nch, AttentionConfig::default()) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        out.clear();
        let t = Instant::now();
        for chunk in frames.chunks(nch * 10) {
            if let Err(e) = m.push(chunk, &mut out) {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mean = |f: fn(&bci_dsp::AttentionIndex) -> f64| {
        out.iter().map(f).sum::<f64>() / out.len().max(1) as f64
    };
    println!(
        "{{\"seconds\": {best}, \"indices\": {}, \"theta_beta\": {}, \"alpha_rel\": {}, \"engagement\": {}}}",
        out.len(),
        mean(|a| a.theta_beta),
        mean(|a| a.alpha_rel),
        mean(|a| a.engagement)
    );
}
