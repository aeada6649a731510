//! The live view fed from a synthetic 8-channel, 250 Hz signal, as the pipeline would feed it:
//! a producer thread generates chunks in real time, runs the attention monitor and a toy
//! "decoder", and hands everything to the view over a bounded channel it never blocks on
//! (`try_send`; what does not fit is dropped and counted). The view thread drains it at 20 fps.
//!
//! Fp2 is railed (near the Cyton ADC limit) and P4 is flat, so both flags show.
//!
//! ```text
//! cargo run --release -p bci-view --example view_demo [-- --seconds N] [--panic-after N]
//! ```
//! Keys: q quits; 1-9 and m send markers (placed by the producer at its current sample index).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::thread;
use std::time::{Duration, Instant};

use bci_dsp::attention::{AttentionConfig, AttentionMonitor};
use bci_view::{
    AttentionIndex, BranchStats, Exit, Feed, RunOptions, ViewConfig, ViewModel, ViewStats,
    run_terminal,
};

const FS: f64 = 250.0;
const NAMES: [&str; 8] = ["Fp1", "Fp2", "C3", "C4", "P3", "P4", "O1", "O2"];
const CHUNK: usize = 10;

enum Msg {
    Frames {
        first: u64,
        data: Vec<f64>,
    },
    Prediction {
        index: u64,
        label: &'static str,
        scores: [f64; 2],
    },
    Marker {
        index: u64,
        label: String,
    },
    Attention(AttentionIndex),
    Stats(ViewStats),
}

/// A small deterministic noise source (64-bit LCG), uniform in [-0.5, 0.5).
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied()
}

fn producer(
    tx: SyncSender<Msg>,
    key_markers: Receiver<String>,
    stop: Arc<AtomicBool>,
    dropped: Arc<AtomicU64>,
) {
    let n = NAMES.len();
    let mut monitor = AttentionMonitor::new(
        FS,
        n,
        AttentionConfig {
            channels: Some(vec![4, 6, 7]),
            ..Default::default()
        },
    )
    .expect("valid attention config");
    let mut noise = Noise(42);
    let mut brown = [0.0f64; 8];
    let mut indices = Vec::with_capacity(16);
    let mut latencies: Vec<f64> = Vec::with_capacity(512);
    let start = Instant::now();
    let mut next = 0u64;
    let send = |msg: Msg| {
        if let Err(TrySendError::Full(_)) = tx.try_send(msg) {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    };
    while !stop.load(Ordering::Relaxed) {
        // Real time: wait until this chunk's last sample is "due".
        let due = Duration::from_secs_f64((next + CHUNK as u64) as f64 / FS);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            thread::sleep(wait);
        }
        let mut data = Vec::with_capacity(n * CHUNK);
        for i in 0..CHUNK as u64 {
            let t = (next + i) as f64 / FS;
            let tau = std::f64::consts::TAU;
            // Alpha waxes and wanes every 8 s: the attention index follows it.
            let alpha_gain = 0.5 + 0.5 * (tau * t / 8.0).sin();
            for (c, b) in brown.iter_mut().enumerate() {
                *b = 0.98 * *b + 4.0 * noise.next();
                let posterior = if c >= 4 { 1.0 } else { 0.3 };
                let v = *b
                    + 3.0 * noise.next()
                    + posterior * 25.0 * alpha_gain * (tau * 10.0 * t + c as f64).sin()
                    + 4.0 * (tau * 20.0 * t).sin()
                    + if c % 2 == 0 { 6.0 } else { 3.0 } * (tau * 6.0 * t).sin();
                data.push(match c {
                    1 => 168_900.0 + v, // railed: over 90% of 187,500 µV
                    5 => 2.0,           // flat
                    _ => v,
                });
            }
        }
        let t0 = Instant::now();
        indices.clear();
        let _ = monitor.push(&data, &mut indices);
        for a in &indices {
            // Toy decoder: "relaxed" when relative alpha is high.
            let p = (a.alpha_rel * 2.0).clamp(0.0, 1.0);
            let (label, scores) = if p > 0.5 {
                ("relaxed", [p, 1.0 - p])
            } else {
                ("focused", [p, 1.0 - p])
            };
            latencies.push(t0.elapsed().as_secs_f64() * 1e6);
            send(Msg::Attention(*a));
            send(Msg::Prediction {
                index: a.sample_index_end,
                label,
                scores,
            });
        }
        send(Msg::Frames { first: next, data });
        next += CHUNK as u64;
        if next % (4 * FS as u64) < CHUNK as u64 {
            send(Msg::Marker {
                index: next - 1,
                label: "cue".into(),
            });
        }
        loop {
            match key_markers.try_recv() {
                Ok(label) => send(Msg::Marker {
                    index: next - 1,
                    label,
                }),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        if next.is_multiple_of(50) {
            if latencies.len() > 400 {
                latencies.drain(..200);
            }
            let mut sorted = latencies.clone();
            sorted.sort_by(f64::total_cmp);
            send(Msg::Stats(ViewStats {
                branches: vec![
                    BranchStats {
                        name: "rec".into(),
                        drops: 0,
                    },
                    BranchStats {
                        name: "view".into(),
                        drops: dropped.load(Ordering::Relaxed),
                    },
                ],
                latency_p50_us: percentile(&sorted, 0.5),
                latency_p99_us: percentile(&sorted, 0.99),
                latency_max_us: sorted.last().copied(),
                predictions: latencies.len() as u64,
            }));
        }
    }
}

fn main() {
    let mut seconds: Option<f64> = None;
    // For the tmux test: panic inside the view loop after this many seconds, to show the
    // terminal is restored on a panic too.
    let mut panic_after: Option<f64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|v| v.parse().ok()),
            "--panic-after" => panic_after = args.next().and_then(|v| v.parse().ok()),
            "-h" | "--help" => {
                println!(
                    "view_demo [--seconds N] [--panic-after N]: the live view on a synthetic \
                     signal; q quits"
                );
                return;
            }
            other => {
                eprintln!("view_demo: unknown argument {other:?} (try --help)");
                std::process::exit(2);
            }
        }
    }
    let (tx, rx) = sync_channel::<Msg>(512);
    let (key_tx, key_rx) = sync_channel::<String>(64);
    let stop = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicU64::new(0));
    let worker = {
        let (stop, dropped) = (stop.clone(), dropped.clone());
        thread::spawn(move || producer(tx, key_rx, stop, dropped))
    };
    let names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    let mut model = ViewModel::new(ViewConfig::new(FS, names)).expect("valid view config");
    model.set_title("view_demo (synthetic)");
    model.set_class_names(vec!["relaxed".into(), "focused".into()]);
    let started = Instant::now();
    let result = run_terminal(
        &mut model,
        RunOptions::default(),
        |m| {
            loop {
                match rx.try_recv() {
                    Ok(Msg::Frames { first, data }) => {
                        let _ = m.push_frames(first, NAMES.len(), &data);
                    }
                    Ok(Msg::Prediction {
                        index,
                        label,
                        scores,
                    }) => m.push_prediction(index, label, &scores),
                    Ok(Msg::Marker { index, label }) => m.push_marker(index, &label),
                    Ok(Msg::Attention(a)) => m.push_attention(a),
                    Ok(Msg::Stats(s)) => m.set_stats(s),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return Feed::Finished,
                }
            }
            if panic_after.is_some_and(|s| started.elapsed().as_secs_f64() >= s) {
                panic!("view_demo: deliberate panic (--panic-after)");
            }
            match seconds {
                Some(s) if started.elapsed().as_secs_f64() >= s => Feed::Finished,
                _ => Feed::Continue,
            }
        },
        |label| {
            let _ = key_tx.try_send(label.to_string());
        },
    );
    stop.store(true, Ordering::Relaxed);
    let _ = worker.join();
    match result {
        Ok(Exit::Quit) => println!("view_demo: quit after {} samples", model.total_samples()),
        Ok(Exit::Finished) => {
            println!(
                "view_demo: finished after {} samples",
                model.total_samples()
            )
        }
        Err(e) => {
            eprintln!("view_demo: {e}");
            std::process::exit(1);
        }
    }
}
