//! `bci demo`: a whole live session on a machine with no hardware.
//!
//! The firmware simulator (in this process, on a real pseudo-terminal) plays a bundled real
//! motor-imagery recording as an OpenBCI Cyton+Daisy would: 16 channels, one frame per file
//! sample. The demo records a calibration block through the live pipeline (runs 4 and 8 of
//! PhysioNet subject 1, the cues landing at their sample indices as a stimulus program's markers
//! would), trains CSP+LDA on that recording, then decodes run 12 live through the serial driver
//! — the live view when stdout is a terminal — and ends with the accuracy against the file's
//! labels, the latency percentiles and the loss report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bci_acquire::cyton::{CytonOptions, CytonSource};
use bci_acquire::{BoardKind, Source, SourceStats};
use bci_core::{Chunk, Event, Recording, Result as CoreResult, StreamInfo};
use bci_decode::eval::Window;
use bci_decode::model::{EventClass, Model, TrainSpec};
use bci_decode::pipeline::{PipelineKind, PipelineOptions};
use bci_pipeline::{Block, Output, Session, SessionConfig, SessionSummary, Sink, Tap, ViewSink};
use firmware_sim::board::BoardConfig;
use firmware_sim::signal::SignalSource;
use firmware_sim::sim::{Faults, SimConfig};

#[derive(clap::Args)]
pub struct Args {
    /// Folder holding the bundled recordings (default: ./datasets, else the source tree's).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The simulator's clock, times real time (1 = a real session, about 6 minutes).
    #[arg(long, default_value_t = 16.0)]
    speed: f64,
    /// Keep the calibration recording and the model in this folder.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

const CALIBRATION: [&str; 2] = ["S001R04.edf", "S001R08.edf"];
const ONLINE: &str = "S001R12.edf";
/// Motor-strip channels the 16 board channels carry.
const CHANNELS: [&str; 16] = [
    "Fc3.", "Fc1.", "Fcz.", "Fc2.", "Fc4.", "C5..", "C3..", "C1..", "Cz..", "C2..", "C4..", "C6..",
    "Cp3.", "Cp1.", "Cpz.", "Cp2.",
];
/// The recording's own rate; the board plays one file sample per frame at its 125 Hz, so
/// frequencies and times of the original scale by 125/160 in stream units.
const FILE_RATE: f64 = 160.0;
const BOARD_RATE: f64 = 125.0;

fn data_dir(arg: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let candidates = match arg {
        Some(dir) => vec![dir],
        None => vec![
            PathBuf::from("datasets"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets"),
        ],
    };
    for dir in &candidates {
        if dir.join("eegmmidb/S001").join(ONLINE).is_file() {
            return Ok(dir.clone());
        }
    }
    bail!(
        "the bundled recordings were not found (looked for eegmmidb/S001/{ONLINE} under {}); run from the repository root or pass --data DIR",
        candidates
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Runs joined end to end, events shifted to their place in the whole.
fn concat(runs: &[Recording]) -> anyhow::Result<Recording> {
    let mut out = runs[0].clone();
    for r in &runs[1..] {
        let offset = out.n_samples() as u64;
        out.data = ndarray::concatenate(ndarray::Axis(1), &[out.data.view(), r.data.view()])?;
        out.events.extend(r.events.iter().map(|e| Event {
            onset: e.onset + offset,
            ..e.clone()
        }));
    }
    Ok(out)
}

/// The simulator on its own thread, replaying `rec` on a pty linked at `link`.
struct Board {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    link: PathBuf,
}

impl Board {
    fn start(rec: &Recording, link: PathBuf, speed: f64) -> anyhow::Result<Board> {
        let map = CHANNELS
            .iter()
            .map(|name| {
                rec.channels
                    .iter()
                    .position(|c| c.label == *name)
                    .map(Some)
                    .with_context(|| format!("channel {name} missing from the bundled recording"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let cfg = SimConfig {
            board: BoardConfig {
                daisy: true,
                reset_delay: 0.2,
                ..BoardConfig::default()
            },
            signal: SignalSource::Replay {
                rec: Box::new(rec.clone()),
                map,
            },
            speed,
            link: Some(link.clone()),
            seed: 0,
            faults: Faults::default(),
            fault_log: None,
            ftdi_bursts: false,
            duration: None,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            if let Err(e) = firmware_sim::sim::run(&cfg, &flag) {
                eprintln!("firmware simulator: {e}");
            }
        });
        let t0 = Instant::now();
        while !link.exists() {
            if t0.elapsed() > Duration::from_secs(10) {
                bail!("the firmware simulator did not open {}", link.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Board {
            stop,
            thread: Some(thread),
            link,
        })
    }

    fn source(&self, speed: f64) -> anyhow::Result<CytonSource> {
        let opts = CytonOptions {
            kind: BoardKind::CytonDaisy,
            packet_rate: 250.0 * speed,
            reconnect: false,
            ..CytonOptions::default()
        };
        Ok(CytonSource::open(&self.link, opts)?)
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The file's cues, added to the chunks at their sample indices (what a stimulus program's
/// markers do in a real session), until `end`.
struct Cued {
    inner: CytonSource,
    cues: Vec<Event>,
    next: usize,
}

impl Source for Cued {
    fn info(&self) -> StreamInfo {
        self.inner.info()
    }
    fn start(&mut self) -> CoreResult<()> {
        self.inner.start()
    }
    fn next_chunk(&mut self, timeout: Duration) -> CoreResult<Option<Chunk>> {
        let mut chunk = self.inner.next_chunk(timeout)?;
        if let Some(c) = chunk.as_mut() {
            while let Some(e) = self.cues.get(self.next) {
                if e.onset >= c.end_sample() {
                    break;
                }
                c.events.push(e.clone());
                self.next += 1;
            }
        }
        Ok(chunk)
    }
    fn stop(&mut self) -> CoreResult<()> {
        self.inner.stop()
    }
    fn stats(&self) -> SourceStats {
        self.inner.stats()
    }
    fn take_notices(&mut self) -> Vec<String> {
        self.inner.take_notices()
    }
}

/// Ends the session once the stream has passed a sample index.
struct StopAt(u64, bool);

impl Sink for StopAt {
    fn name(&self) -> String {
        "end of run".into()
    }
    fn tap(&self) -> Tap {
        Tap::Raw
    }
    fn frames(&mut self, block: &Block) -> CoreResult<()> {
        self.1 |= block.end_sample() >= self.0;
        Ok(())
    }
    fn output(&mut self, _o: &Output) -> CoreResult<()> {
        Ok(())
    }
    fn tick(&mut self, _last: bool) -> CoreResult<bool> {
        Ok(!self.1)
    }
}

/// Collects predictions for the accuracy report.
struct Collect(Arc<std::sync::Mutex<Vec<(u64, String)>>>);

impl Sink for Collect {
    fn name(&self) -> String {
        "demo report".into()
    }
    fn output(&mut self, o: &Output) -> CoreResult<()> {
        if let Output::Prediction(p) = o
            && let Ok(mut v) = self.0.lock()
        {
            v.push((p.sample_index, p.label.to_string()));
        }
        Ok(())
    }
}

fn session(
    config: SessionConfig,
    source: Cued,
    end: u64,
    view: bool,
    extra: Vec<Box<dyn Sink>>,
) -> anyhow::Result<SessionSummary> {
    let info = source.info();
    let classes = config.model.as_ref().map(|m| m.classes.clone());
    let mut s = Session::new(config);
    s.add_sink(Box::new(StopAt(end, false)));
    if view {
        s.add_sink(Box::new(ViewSink::new(
            &format!("bci demo: {}", info.name),
            info.sample_rate,
            info.channels.iter().map(|c| c.label.clone()).collect(),
            classes,
            s.marker_inbox(),
            s.live_counters(),
        )?));
    }
    for e in extra {
        s.add_sink(e);
    }
    let summary = s.run(Box::new(source), &mut |m| eprintln!("{m}"))?;
    if let Some(e) = &summary.error {
        bail!("the session failed: {e}");
    }
    Ok(summary)
}

fn loss_line(s: &SessionSummary) -> String {
    let dropped: u64 = s.branches.iter().map(|b| b.frames_dropped).sum();
    format!(
        "{} frames received, {} lost by the link, {} dropped in the pipeline, {} recorded",
        s.samples_received, s.samples_lost_by_source, dropped, s.frames_recorded
    )
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 50.0) {
        bail!("--speed {}: must be in (0, 50]", args.speed);
    }
    let dir = data_dir(args.data)?.join("eegmmidb/S001");
    let work = match &args.keep {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("--keep {}", d.display()))?;
            d.clone()
        }
        None => std::env::temp_dir().join(format!("bci-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work)?;
    let view = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let t0 = Instant::now();
    println!(
        "bci demo: a live motor-imagery session with a simulated OpenBCI Cyton+Daisy (no hardware)\n\
         data: PhysioNet eegmmidb subject 1, imagined left/right fist (bundled in datasets/)\n\
         board: firmware simulator on a pseudo-terminal, 16 channels ({}), one file sample per\n\
         frame at {}x speed (the 160 Hz recording plays at the board's 125 Hz: bands and times below\n\
         are the original's, scaled by 125/160 in stream units)\n",
        CHANNELS.join(" "),
        args.speed
    );

    let read = |name: &str| -> anyhow::Result<Recording> {
        let p = dir.join(name);
        bci_formats::read(&p).with_context(|| format!("reading {}", p.display()))
    };
    let cal_runs = CALIBRATION
        .iter()
        .map(|n| read(n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let cal = concat(&cal_runs)?;
    let online = read(ONLINE)?;

    // 1. Calibration: stream and record, the cues landing in the recording.
    let cal_file = work.join("calibration.bdf");
    println!(
        "1. calibration: streaming runs 4 and 8 ({} frames) through the live pipeline into {}",
        cal.n_samples(),
        cal_file.display()
    );
    let board = Board::start(&cal, work.join("tty-calibration"), args.speed)?;
    let source = Cued {
        inner: board.source(args.speed)?,
        cues: cal.events.clone(),
        next: 0,
    };
    let config = SessionConfig {
        record: Some(cal_file.clone()),
        ..SessionConfig::default()
    };
    let s1 = session(config, source, cal.n_samples() as u64, false, Vec::new())?;
    drop(board);
    println!("   {}", loss_line(&s1));

    // 2. Train CSP+LDA on the recording just made.
    let scale = BOARD_RATE / FILE_RATE;
    let rec = bci_formats::read(&cal_file)?;
    let mut rec = rec;
    let eeg: Vec<usize> = (0..rec.channels.len())
        .filter(|&i| rec.channels[i].kind == bci_core::ChannelKind::Eeg)
        .collect();
    rec.data = rec.data.select(ndarray::Axis(0), &eeg);
    rec.channels = eeg.iter().map(|&i| rec.channels[i].clone()).collect();
    let spec = TrainSpec {
        causal: true,
        pipeline: PipelineKind::CspLda,
        events: EventClass::parse_list("T1=left,T2=right")?,
        // 0.5-2.5 s after the cue and 8-32 Hz, in the original recording's units.
        window: Window {
            tmin: 0.5 / scale,
            tmax: 2.5 / scale,
        },
        band: Some([8.0 * scale, 32.0 * scale]),
        options: PipelineOptions::default(),
    };
    let model = Model::train(&[&rec], &spec)?;
    let model_file = work.join("model.json");
    model.save(&model_file)?;
    let n_cues = rec
        .events
        .iter()
        .filter(|e| e.label == "T1" || e.label == "T2")
        .count();
    println!(
        "\n2. train: CSP (6 filters) + LDA on {n_cues} cued epochs of the calibration recording, band-passed\n   causally as the live pipeline does -> {}",
        model_file.display()
    );

    // 3. Decode run 12 live.
    println!(
        "\n3. online: run 12 ({} frames) through the serial driver, a decision every 40 ms{}",
        online.n_samples(),
        if view {
            " (live view; q ends early)"
        } else {
            ""
        }
    );
    let board = Board::start(&online, work.join("tty-online"), args.speed)?;
    let source = Cued {
        inner: board.source(args.speed)?,
        cues: online.events.clone(),
        next: 0,
    };
    let window_len = model.window.samples(model.sample_rate)?.1 as u64;
    let config = SessionConfig {
        model: Some(model),
        step_seconds: 0.04,
        record: Some(work.join("online.bdf")),
        ..SessionConfig::default()
    };
    let predictions = Arc::new(std::sync::Mutex::new(Vec::new()));
    let collect: Box<dyn Sink> = Box::new(Collect(predictions.clone()));
    let s2 = session(
        config,
        source,
        online.n_samples() as u64,
        view,
        vec![collect],
    )?;
    drop(board);

    // 4. Report.
    let preds = predictions.lock().map(|p| p.clone()).unwrap_or_default();
    let offset = (0.5 / scale * BOARD_RATE).round() as u64;
    let (mut right, mut total) = (0, 0);
    for e in online
        .events
        .iter()
        .filter(|e| e.label == "T1" || e.label == "T2")
    {
        // The decision whose window is the trained epoch (or the first one after it).
        let end = e.onset + offset + window_len - 1;
        if let Some((_, label)) = preds.iter().find(|(s, _)| *s >= end) {
            total += 1;
            let truth = if e.label == "T1" { "left" } else { "right" };
            right += usize::from(label == truth);
        }
    }
    println!("   {}", loss_line(&s2));
    println!(
        "\nresult: accuracy {right}/{total} = {:.0}% on run 12's cues (chance 50%); {} decisions in all",
        if total > 0 {
            100.0 * right as f64 / total as f64
        } else {
            0.0
        },
        s2.predictions
    );
    let lat = s2
        .sinks
        .iter()
        .find(|k| k.name == "demo report")
        .and_then(|k| k.latency.clone());
    if let Some(l) = lat {
        println!(
            "latency, window's last sample received -> decision emitted: p50 {:.0} us, p90 {:.0} us, p99 {:.0} us, max {:.0} us ({} decisions)",
            l.p50_us, l.p90_us, l.p99_us, l.max_us, l.count
        );
    }
    println!(
        "loss: calibration {} lost, online {} lost; analysis drops {}; recordings complete: {}",
        s1.samples_lost_by_source,
        s2.samples_lost_by_source,
        s1.analysis_drops() + s2.analysis_drops(),
        s1.frames_recorded >= s1.samples_received && s2.frames_recorded >= s2.samples_received
    );
    println!("total {:.1} s", t0.elapsed().as_secs_f64());
    if args.keep.is_none() {
        let _ = std::fs::remove_dir_all(&work);
    }
    Ok(())
}
