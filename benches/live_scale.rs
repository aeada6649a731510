//! Live pipeline at scale (issue #7, acceptance 3): a synthetic source of many channels at a high
//! rate, band-passed (causal Butterworth) and recorded to BDF+, for a fixed time; reports frames
//! received / recorded / filtered, drops per branch, wall time and CPU per pipeline thread.
//!
//!     cargo bench -p bci-benches --bench live_scale                       # 1024 ch x 30 kHz, 60 s
//!     cargo bench -p bci-benches --bench live_scale -- --channels 2048 --rate 30000 --seconds 15
//!     cargo bench -p bci-benches --bench live_scale -- --search 256,512,1024,2048 --search-seconds 15
//!
//! Options (or env): `--channels` (SCALE_CHANNELS, 1024), `--rate` (SCALE_RATE, 30000),
//! `--seconds` (SCALE_SECONDS, 60), `--band lo,hi` (SCALE_BAND, `1,40`, order 4), `--dir`
//! (SCALE_DIR, where the BDF goes: `<workspace>/target/live_scale`; it is deleted afterwards),
//! `--record 0` / `--filter 0` to leave a stage out (profiling), `--search LIST` to run each
//! channel count of LIST at the rate for `--search-seconds` and print the table.
//!
//! The source is `SyntheticSource` paced in real time (`speed` 1): the full data rate, delivered
//! in ~1 ms chunks (30 frames at 30 kHz) as a USB acquisition board would. Unpaced (`speed=max`)
//! the source outruns any consumer by design and the analysis branches drop; the question here is
//! whether the pipeline keeps up with a device, so the device's pace is the right one. The
//! session is live (not lossless): a consumer that falls behind shows up as drops, and a
//! recorder that falls behind as an error.

#[path = "live_common.rs"]
mod live_common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bci_acquire::synthetic::SyntheticSource;
use bci_pipeline::{Block, Output, Session, SessionConfig, SessionSummary, Sink, Tap};
use live_common::{ThreadCpu, arg, arg_f64, loadavg, process_cpu_seconds};

/// Counts the filtered frames and checks that they are consecutive.
struct FilteredCount {
    frames: u64,
    next: Option<u64>,
    gaps: u64,
    /// Touches the data so the hand-over cannot be optimised into nothing.
    checksum: f64,
}

impl Sink for FilteredCount {
    fn name(&self) -> String {
        "filtered-count".into()
    }
    fn tap(&self) -> Tap {
        Tap::Filtered
    }
    fn frames(&mut self, b: &Block) -> bci_core::Result<()> {
        if self.next.is_some_and(|n| n != b.first_sample) {
            self.gaps += 1;
        }
        self.next = Some(b.end_sample());
        self.frames += b.n_frames() as u64;
        self.checksum += b.data.first().copied().unwrap_or(0.0);
        Ok(())
    }
    fn output(&mut self, _output: &Output) -> bci_core::Result<()> {
        Ok(())
    }
}

struct Outcome {
    channels: usize,
    rate: f64,
    seconds: f64,
    summary: SessionSummary,
    file_bytes: u64,
    cpu: f64,
    wall: f64,
    threads: Vec<(String, f64)>,
    load: (String, String),
}

impl Outcome {
    /// Frames the source delivered over frames a device would have sent in the run's time. A
    /// paced synthetic source that is read late delivers late instead of losing frames (a
    /// device's buffer would overflow), so falling behind real time counts as a failure too.
    fn pace(&self) -> f64 {
        self.summary.samples_received as f64 / (self.seconds * self.rate)
    }

    /// Seconds the stages needed after the source stopped to drain their rings. A stage slower
    /// than the stream hides in a large ring for a short run; more than a second of backlog
    /// means it would not keep up for long.
    fn backlog_seconds(&self) -> f64 {
        (self.summary.wall_seconds - self.seconds).max(0.0)
    }

    fn zero_drops(&self) -> bool {
        let s = &self.summary;
        self.pace() >= 0.99
            && self.backlog_seconds() <= 1.0
            && s.error.is_none()
            && s.branches.iter().all(|b| b.frames_dropped == 0)
            && s.sinks.iter().all(|k| k.error.is_none())
            && (s.recording.is_none() || s.frames_recorded == s.samples_received)
    }
}

fn run_one(channels: usize, rate: f64, seconds: f64, record: bool, filter: bool) -> Outcome {
    let band: Vec<f64> = arg("band", "SCALE_BAND", "1,40")
        .split(',')
        .map(|v| v.trim().parse().expect("--band lo,hi"))
        .collect();
    let dir = PathBuf::from(arg(
        "dir",
        "SCALE_DIR",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/live_scale"),
    ));
    let path = dir.join(format!("live_scale_{channels}x{rate}.bdf"));
    if record {
        std::fs::create_dir_all(&dir).expect("recording directory");
        let need = (channels as f64 * rate * seconds * 3.0 * 1.1) as u64;
        if let Some(free) = free_bytes(&dir)
            && free < need + (2u64 << 30)
        {
            panic!(
                "{}: {:.1} GB free, the recording needs {:.1} GB (+2 GB margin); shorten --seconds or pick another --dir",
                dir.display(),
                free as f64 / 1e9,
                need as f64 / 1e9
            );
        }
    }
    let config = SessionConfig {
        record: record.then(|| path.clone()),
        bandpass: filter.then(|| (band[0], band[1], 4)),
        duration: Some(Duration::from_secs_f64(seconds)),
        ..Default::default()
    };
    let mut session = Session::new(config);
    if filter {
        session.add_sink(Box::new(FilteredCount {
            frames: 0,
            next: None,
            gaps: 0,
            checksum: 0.0,
        }));
    }
    let source = SyntheticSource::new(channels, rate).expect("synthetic source");
    let load0 = loadavg();
    let probe = ThreadCpu::start();
    let cpu0 = process_cpu_seconds();
    let t0 = Instant::now();
    // The source loop runs on the calling thread: give it a name the CPU probe can report.
    let summary = std::thread::Builder::new()
        .name("bci-source".into())
        .spawn(move || session.run(Box::new(source), &mut |n| eprintln!("  source: {n}")))
        .expect("session thread")
        .join()
        .expect("session thread panicked")
        .expect("session");
    let wall = t0.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu0;
    let threads = probe.finish();
    let file_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if record {
        let _ = std::fs::remove_file(&path);
    }
    Outcome {
        channels,
        rate,
        seconds,
        summary,
        file_bytes,
        cpu,
        wall,
        threads,
        load: (load0, loadavg()),
    }
}

fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    let out = std::process::Command::new("df")
        .arg("-B1")
        .arg("--output=avail")
        .arg(dir)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

fn report(o: &Outcome) {
    let s = &o.summary;
    println!(
        "{} ch x {} Hz: {} in {:.1} s (wall {:.1} s, {:.1} s to drain), load average before {} / after {}",
        o.channels,
        o.rate,
        if o.zero_drops() {
            "ZERO DROPS, kept pace"
        } else if o.pace() < 0.99 {
            "FELL BEHIND REAL TIME"
        } else if o.backlog_seconds() > 1.0 {
            "NOT SUSTAINED (backlog left when the source stopped)"
        } else {
            "DROPPED / FAILED"
        },
        s.wall_seconds,
        o.wall,
        o.backlog_seconds(),
        o.load.0,
        o.load.1
    );
    println!(
        "  frames received {} ({:.1} % of the {:.0} a device sends in {} s), recorded {} ({:.2} GB BDF), preprocessing {:?}",
        s.samples_received,
        100.0 * o.pace(),
        o.seconds * o.rate,
        o.seconds,
        s.frames_recorded,
        o.file_bytes as f64 / 1e9,
        s.preprocessing
    );
    for b in &s.branches {
        println!(
            "  branch {:<22} in {:>10} dropped {:>9} ({} events)  high water {:>8} / {} frames",
            b.name,
            b.frames_in,
            b.frames_dropped,
            b.drop_events,
            b.high_water_frames,
            b.capacity_frames
        );
    }
    for k in &s.sinks {
        if let Some(e) = &k.error {
            println!("  sink {}: error {e}", k.name);
        }
    }
    if let Some(e) = &s.error {
        println!("  error: {e}");
    }
    println!(
        "  CPU {:.1} s in {:.1} s = {:.2} cores; per thread: {}",
        o.cpu,
        o.wall,
        o.cpu / o.wall,
        o.threads
            .iter()
            .filter(|(_, c)| *c >= 0.05)
            .map(|(n, c)| format!("{n} {:.1} s ({:.0} %)", c, 100.0 * c / o.wall))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // CPU per frame does not depend on how much of the machine we got: it says what the stage
    // needs at full rate on an idle core.
    if s.samples_received > 0 {
        println!(
            "  CPU per frame (and cores needed at {} Hz): {}",
            o.rate,
            o.threads
                .iter()
                .filter(|(n, _)| n.starts_with("bci-"))
                .map(|(n, c)| {
                    let per = c / s.samples_received as f64;
                    format!("{n} {:.2} µs ({:.2})", per * 1e6, per * o.rate)
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

fn main() {
    let rate = arg_f64("rate", "SCALE_RATE", 30_000.0);
    let record = arg("record", "SCALE_RECORD", "1") != "0";
    let filter = arg("filter", "SCALE_FILTER", "1") != "0";
    println!(
        "live_scale: synthetic source paced in real time, band-pass {}, record {record}; load average at start {}",
        if filter {
            arg("band", "SCALE_BAND", "1,40") + " Hz order 4"
        } else {
            "off".into()
        },
        loadavg()
    );
    let search = arg("search", "SCALE_SEARCH", "");
    if search.is_empty() {
        let channels = arg_f64("channels", "SCALE_CHANNELS", 1024.0) as usize;
        let seconds = arg_f64("seconds", "SCALE_SECONDS", 60.0);
        let o = run_one(channels, rate, seconds, record, filter);
        report(&o);
        return;
    }
    let seconds = arg_f64("search-seconds", "SCALE_SEARCH_SECONDS", 15.0);
    let mut table = Vec::new();
    // Each run is reported as it ends; the table sums them up.
    for ch in search.split(',') {
        let channels: usize = ch.trim().parse().expect("--search: channel counts");
        let o = run_one(channels, rate, seconds, record, filter);
        report(&o);
        table.push((
            channels,
            o.zero_drops(),
            o.pace(),
            o.cpu / o.wall,
            o.summary.analysis_drops(),
        ));
    }
    println!("search at {rate} Hz, {seconds} s each:");
    for (ch, ok, pace, cores, drops) in &table {
        println!(
            "  {ch:>5} ch: {} ({:.1} M values/s, source at {:.1} % of real time, {cores:.2} cores used, analysis drops {drops})",
            if *ok {
                "zero drops"
            } else {
                "drops/fell behind"
            },
            *ch as f64 * rate / 1e6,
            100.0 * pace
        );
    }
    if let Some((ch, ..)) = table.iter().filter(|t| t.1).max_by_key(|t| t.0) {
        println!("  highest sustained: {ch} ch x {rate} Hz");
    }
}
