//! Live decoding latency (issue #7, acceptance 2): 16 channels, CSP+LDA every 40 ms, from a
//! window's last sample being received to its prediction being emitted by a sink.
//!
//!     cargo bench -p bci-benches --bench live_latency
//!     cargo bench -p bci-benches --bench live_latency -- --seconds 60 --path synthetic|serial|both
//!
//! (or env `LIVE_SECONDS`, `LIVE_PATH`). Not a criterion benchmark: one session per path runs in
//! real time and the session's own latency histograms (hdrhistogram) are printed.
//!
//! The model is a genuine CSP+LDA (6 CSP filters, OAS covariance, 8–30 Hz band-pass, 2 s
//! window) fitted by `Model::train` on real data: 16 sensorimotor channels of PhysioNet
//! EEGMMIDB S001, imagery runs R04/R08/R12 (T1 = left fist, T2 = right fist), resampled from
//! 160 Hz to the stream's rate by linear interpolation, channels renamed to the stream's.
//!
//! Paths:
//! - `synthetic`: `SyntheticSource` 16 ch × 250 Hz paced in real time, one frame per chunk (as
//!   a Cyton delivers them);
//! - `serial`: the firmware simulator (Cyton + Daisy, 16 ch) on a real pseudo-terminal, read by
//!   `CytonSource` in Daisy mode. A Daisy board pairs packets, so its stream is 125 Hz; the
//!   model for this path is trained at 125 Hz (a 40 ms step is 5 samples).
//!
//! Two sinks receive every prediction: `null` (does nothing: the pipeline's own latency) and
//! `udp` (one JSON datagram to 127.0.0.1, the real output path of `bci run --udp`).

#[path = "live_common.rs"]
mod live_common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bci_acquire::Source;
use bci_acquire::synthetic::SyntheticSource;
use bci_core::{Event, Recording};
use bci_decode::eval::Window;
use bci_decode::model::{EventClass, Model, TrainSpec};
use bci_decode::{PipelineKind, PipelineOptions};
use bci_pipeline::{Output, Session, SessionConfig, Sink, UdpJson};
use live_common::{arg, arg_f64, loadavg, process_cpu_seconds, show_latency};
use ndarray::Array2;

fn datasets() -> PathBuf {
    match std::env::var_os("BCI_SHARED_DATASETS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets"),
    }
}

/// Sensorimotor channels of the 64 (EDF order Fc5 Fc3 Fc1 Fcz Fc2 Fc4 Fc6 C5 C3 C1 Cz C2 C4 C6
/// Cp5 Cp3 Cp1 Cpz Cp2 Cp4 Cp6 ...): Fc3..Fc4, C5..C6, Cp3 Cp1 Cp2 Cp4.
const PICK: [usize; 16] = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 15, 16, 18, 19];

/// Linear interpolation of every row from `from` Hz to `to` Hz.
fn resample(data: &Array2<f64>, from: f64, to: f64) -> Array2<f64> {
    let n_in = data.ncols();
    let n_out = ((n_in as f64 - 1.0) * to / from).floor() as usize + 1;
    let mut out = Array2::zeros((data.nrows(), n_out));
    for j in 0..n_out {
        let x = j as f64 * from / to;
        let i = (x.floor() as usize).min(n_in - 2);
        let w = x - i as f64;
        for c in 0..data.nrows() {
            out[[c, j]] = data[[c, i]] * (1.0 - w) + data[[c, i + 1]] * w;
        }
    }
    out
}

/// A CSP+LDA model for 16 channels named `names` at `rate` Hz, fitted on S001's imagery runs.
fn train(names: &[String], rate: f64) -> Model {
    assert_eq!(names.len(), PICK.len());
    let recs: Vec<Recording> = ["R04", "R08", "R12"]
        .iter()
        .map(|run| {
            let path = datasets().join(format!("eegmmidb/S001/S001{run}.edf"));
            let rec = bci_formats::read(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (the PhysioNet recordings are needed; set BCI_SHARED_DATASETS)",
                    path.display()
                )
            });
            let from = rec.sample_rate;
            let picked = rec.data.select(ndarray::Axis(0), &PICK);
            let data = resample(&picked, from, rate);
            let scale = rate / from;
            Recording {
                channels: names
                    .iter()
                    .map(|n| bci_core::Channel::eeg(n.clone(), -187_500.0, 187_500.0))
                    .collect(),
                sample_rate: rate,
                data,
                events: rec
                    .events
                    .iter()
                    .map(|e| Event {
                        onset: (e.onset as f64 * scale).round() as u64,
                        duration: (e.duration as f64 * scale).round() as u64,
                        label: e.label.clone(),
                    })
                    .collect(),
                subject: rec.subject.clone(),
                format: rec.format.clone(),
            }
        })
        .collect();
    let spec = TrainSpec {
        causal: false,
        pipeline: PipelineKind::CspLda,
        events: EventClass::parse_list("T1=left,T2=right").expect("event classes"),
        window: Window {
            tmin: 0.5,
            tmax: 2.5,
        },
        band: Some([8.0, 30.0]),
        options: PipelineOptions::default(),
    };
    let refs: Vec<&Recording> = recs.iter().collect();
    let model = Model::train(&refs, &spec).expect("CSP+LDA training on S001");
    println!(
        "  model: {} on {} channels at {rate} Hz, {} classes, window {} s, band {:?} Hz ({} epochs' worth of S001 R04/R08/R12)",
        model.pipeline_name,
        model.channels.len(),
        model.classes.len(),
        spec.window.tmax - spec.window.tmin,
        spec.band.unwrap_or_default(),
        recs.iter()
            .map(|r| r
                .events
                .iter()
                .filter(|e| e.label == "T1" || e.label == "T2")
                .count())
            .sum::<usize>()
    );
    model
}

/// A sink that only lets the session time the hand-over.
struct Null;

impl Sink for Null {
    fn name(&self) -> String {
        "null".into()
    }
    fn output(&mut self, _output: &Output) -> bci_core::Result<()> {
        Ok(())
    }
}

fn run(label: &str, source: Box<dyn Source>, model: Model, seconds: f64) {
    let rate = source.info().sample_rate;
    let config = SessionConfig {
        model: Some(model),
        step_seconds: 0.04,
        duration: Some(Duration::from_secs_f64(seconds)),
        ..Default::default()
    };
    let mut session = Session::new(config);
    session.add_sink(Box::new(Null));
    // Nobody listens on this port: the datagram is still built and sent.
    let udp = UdpJson::new("127.0.0.1:9".parse().expect("address"), rate).expect("udp socket");
    session.add_sink(Box::new(udp));
    let load0 = loadavg();
    let cpu0 = process_cpu_seconds();
    let t0 = Instant::now();
    let summary = session
        .run(source, &mut |n| eprintln!("  source: {n}"))
        .expect("session");
    let wall = t0.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu0;
    println!(
        "{label}: {} ch x {} Hz, {:.1} s, {} frames, {} predictions, {} windows skipped, analysis drops {}, error {:?}",
        summary.channels,
        summary.sample_rate,
        summary.wall_seconds,
        summary.samples_received,
        summary.predictions,
        summary.windows_skipped,
        summary.analysis_drops(),
        summary.error
    );
    println!(
        "  load average before {load0} / after {}; process CPU {:.2} s in {wall:.1} s ({:.1} % of one core)",
        loadavg(),
        cpu,
        100.0 * cpu / wall
    );
    show_latency("received -> decoded", summary.decode_latency.as_ref());
    for s in &summary.sinks {
        show_latency(
            &format!("received -> emitted ({})", s.name),
            s.latency.as_ref(),
        );
        if s.outputs_dropped > 0 || s.error.is_some() {
            println!(
                "    sink {}: {} outputs dropped, error {:?}",
                s.name, s.outputs_dropped, s.error
            );
        }
    }
}

fn synthetic(seconds: f64) {
    let source = SyntheticSource::new(16, 250.0).expect("synthetic source");
    let names: Vec<String> = source
        .info()
        .channels
        .iter()
        .map(|c| c.label.clone())
        .collect();
    let model = train(&names, 250.0);
    run(
        "synthetic 16 x 250 Hz, one frame per chunk",
        Box::new(source),
        model,
        seconds,
    );
}

fn serial(seconds: f64) {
    use bci_acquire::BoardKind;
    use bci_acquire::cyton::{CytonOptions, CytonSource};
    use firmware_sim::board::BoardConfig;
    use firmware_sim::signal::{SignalSource, Synthetic};
    use firmware_sim::sim::{Faults, SimConfig};

    let dir = std::env::temp_dir().join(format!("bci-live-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let link = dir.join("ttySim");
    let cfg = SimConfig {
        board: BoardConfig {
            daisy: true,
            reset_delay: 0.2,
            ..Default::default()
        },
        signal: SignalSource::Synthetic {
            scene: Synthetic::MotorImagery,
            line_uv: 10.0,
            line_hz: 50.0,
            railed: vec![],
            seed: 3,
        },
        speed: 1.0,
        link: Some(link.clone()),
        seed: 7,
        faults: Faults::default(),
        fault_log: None,
        ftdi_bursts: false,
        duration: None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let sim = std::thread::Builder::new()
        .name("firmware-sim".into())
        .spawn(move || firmware_sim::sim::run(&cfg, &s2))
        .expect("simulator thread");
    let t0 = Instant::now();
    while !link.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the simulator did not publish its port"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let source = CytonSource::open(
        &link,
        CytonOptions {
            kind: BoardKind::CytonDaisy,
            ..Default::default()
        },
    )
    .expect("open the simulated Cyton+Daisy");
    let info = source.info();
    // The 16 EEG channels (the stream may also carry auxiliary channels).
    let names: Vec<String> = info
        .channels
        .iter()
        .filter(|c| c.kind == bci_core::ChannelKind::Eeg)
        .take(16)
        .map(|c| c.label.clone())
        .collect();
    let model = train(&names, info.sample_rate);
    run(
        "serial: firmware-sim Cyton+Daisy on a pty -> CytonSource, 16 ch x 125 Hz",
        Box::new(source),
        model,
        seconds,
    );
    stop.store(true, Ordering::Release);
    let _ = sim.join();
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let seconds = arg_f64("seconds", "LIVE_SECONDS", 60.0);
    let path = arg("path", "LIVE_PATH", "both");
    println!(
        "live_latency: CSP+LDA every 40 ms, {seconds} s per path; load average at start {}",
        loadavg()
    );
    if path == "synthetic" || path == "both" {
        synthetic(seconds);
    }
    if path == "serial" || path == "both" {
        serial(seconds);
    }
}
