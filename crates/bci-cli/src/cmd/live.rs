//! What `bci stream`, `bci run` and `bci replay` share: the output and marker options, wiring
//! them into a `bci_pipeline::Session`, and the summary at the end.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use bci_acquire::Source;
use bci_acquire::record::stop_on_signals;
use bci_pipeline::lsl::channels_named;
use bci_pipeline::{
    JsonLines, LslMarkers, LslSink, Session, SessionConfig, SessionSummary, Tap, UdpJson,
    UdpMarkers, ViewSink,
};

/// Options every live command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct LiveArgs {
    /// Record every frame of the source to this BDF+ file (lossless branch).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Send predictions, markers and the attention index as JSON lines over UDP to HOST:PORT
    /// (a bare PORT means 127.0.0.1:PORT).
    #[arg(long, value_name = "ADDR")]
    pub udp: Option<String>,
    /// Listen for markers on UDP 127.0.0.1:PORT (or HOST:PORT): one line = one label.
    #[arg(long, value_name = "ADDR")]
    pub markers_udp: Option<String>,
    /// Write predictions, markers and attention values as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
    /// Write the session summary (loss, latency percentiles, branches) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Compute the attention index (theta/beta, relative alpha, engagement) and stream it.
    #[arg(long)]
    pub attention: bool,
    /// Stop after S seconds (default: Ctrl-C, or the end of a file).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Print nothing per output on stdout (the summary still goes to stderr).
    #[arg(long)]
    pub quiet: bool,
    /// Show the live view in the terminal (traces, spectra, decoder output, drops, latency;
    /// q quits, 1-9 and m send markers). Without a terminal, a plain summary is printed.
    #[arg(long)]
    pub view: bool,
    /// Publish LSL streams: EEG (raw), predictions, attention index, markers.
    #[arg(long)]
    pub lsl: bool,
    /// Publish the preprocessed (analysed) channels on the LSL EEG stream instead of the raw ones.
    #[arg(long)]
    pub lsl_filtered: bool,
    /// Prefix of the LSL stream names.
    #[arg(long, value_name = "NAME", default_value = "bci")]
    pub lsl_name: String,
    /// Take markers from the LSL stream of this name (looked for until it appears).
    #[arg(long, value_name = "STREAM")]
    pub markers_lsl: Option<String>,
    /// End with an error after S seconds without data from the source (0: wait for ever, e.g.
    /// for a board that may be plugged back in).
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    pub stall_timeout: f64,
    /// Seconds of data each analysis ring holds before it drops.
    #[arg(long, value_name = "S", default_value_t = 2.0)]
    pub ring_seconds: f64,
}

/// `127.0.0.1:PORT` from a bare port; a full address as given.
pub fn local_addr(spec: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(port) = spec.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    spec.parse::<SocketAddr>()
        .with_context(|| format!("{spec:?} is not a port or HOST:PORT address"))
}

impl LiveArgs {
    /// The session config these options describe (the caller adds preprocessing or a model).
    pub fn config(&self) -> anyhow::Result<SessionConfig> {
        let duration = match self.duration {
            Some(d) if d.is_finite() && d > 0.0 => Some(Duration::from_secs_f64(d)),
            Some(d) => bail!("--duration {d}: must be a positive number of seconds"),
            None => None,
        };
        if !(self.ring_seconds.is_finite() && self.ring_seconds > 0.0) {
            bail!(
                "--ring-seconds {}: must be a positive number of seconds",
                self.ring_seconds
            );
        }
        if !(self.stall_timeout.is_finite() && self.stall_timeout >= 0.0) {
            bail!(
                "--stall-timeout {}: must be 0 or a positive number of seconds",
                self.stall_timeout
            );
        }
        Ok(SessionConfig {
            stall_timeout: (self.stall_timeout > 0.0)
                .then(|| Duration::from_secs_f64(self.stall_timeout)),
            record: self.record.clone(),
            attention: self.attention,
            duration,
            ring_seconds: self.ring_seconds,
            ..SessionConfig::default()
        })
    }
}

/// Adds the sinks and marker inputs, runs, prints the summary; an error if the session ended on
/// one.
pub fn run_session(
    args: &LiveArgs,
    config: SessionConfig,
    source: Box<dyn Source>,
) -> anyhow::Result<SessionSummary> {
    let rate = source.info().sample_rate;
    let mut session_sinks: Vec<Box<dyn bci_pipeline::Sink>> = Vec::new();
    let mut session_markers: Vec<Box<dyn bci_pipeline::MarkerInput>> = Vec::new();
    let view = args.view && std::io::IsTerminal::is_terminal(&std::io::stdout());
    if args.view && !view {
        eprintln!("--view: stdout is not a terminal; printing a summary at the end instead");
    }
    if !args.quiet && !view {
        let mut out = JsonLines::stdout(rate);
        out.attention = args.attention;
        session_sinks.push(Box::new(out));
    }
    if let Some(path) = &args.predictions {
        session_sinks
            .push(Box::new(JsonLines::file(path, rate).with_context(
                || format!("--predictions {}", path.display()),
            )?));
    }
    if let Some(spec) = &args.udp {
        session_sinks.push(Box::new(UdpJson::new(local_addr(spec)?, rate)?));
    }
    if args.lsl || args.lsl_filtered || args.markers_lsl.is_some() {
        let lsl = bci_lsl::Lsl::load()?;
        if args.lsl || args.lsl_filtered {
            let info = source.info();
            let (tap, channels) = if args.lsl_filtered {
                let names: Vec<String> = match (&config.model, &config.channels) {
                    (Some(m), _) => m.channels.clone(),
                    (None, Some(c)) => c.clone(),
                    (None, None) => info.channels.iter().map(|c| c.label.clone()).collect(),
                };
                (Tap::Filtered, channels_named(&info, &names))
            } else {
                (Tap::Raw, info.channels.clone())
            };
            let classes = config.model.as_ref().map(|m| m.classes.clone());
            session_sinks.push(Box::new(LslSink::new(
                &lsl,
                &args.lsl_name,
                &info,
                &channels,
                tap,
                classes.as_deref(),
            )?));
        }
        if let Some(stream) = &args.markers_lsl {
            session_markers.push(Box::new(LslMarkers::new(&lsl, stream)));
        }
    }
    if let Some(spec) = &args.markers_udp {
        let m = UdpMarkers::bind(local_addr(spec)?)?;
        eprintln!("listening for markers on udp {}", m.local_addr());
        session_markers.push(Box::new(m));
    }
    let classes = config.model.as_ref().map(|m| m.classes.clone());
    let mut session = Session::new(config);
    if view {
        let info = source.info();
        session_sinks.push(Box::new(ViewSink::new(
            &info.name,
            info.sample_rate,
            info.channels.iter().map(|c| c.label.clone()).collect(),
            classes,
            session.marker_inbox(),
            session.live_counters(),
        )?));
    }
    for s in session_sinks {
        session.add_sink(s);
    }
    for m in session_markers {
        session.add_marker_input(m);
    }
    // Ctrl-C ends the session cleanly: the recording is closed, the summary printed.
    let signalled = stop_on_signals();
    let stop = session.stop_flag();
    let watcher_stop = Arc::clone(&stop);
    std::thread::spawn(move || {
        loop {
            if signalled.load(Ordering::Relaxed) {
                watcher_stop.store(true, Ordering::Release);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let mut notice = |m: &str| eprintln!("{m}");
    let summary = session.run(source, &mut notice)?;
    print_summary(&summary);
    if let Some(path) = &args.metrics {
        let text = serde_json::to_string_pretty(&summary)?;
        std::fs::write(path, text).with_context(|| format!("--metrics {}", path.display()))?;
    }
    if let Some(e) = &summary.error {
        match &summary.recording {
            Some(p) => bail!("{e} (what was recorded is in {})", p.display()),
            None => bail!("{e}"),
        }
    }
    Ok(summary)
}

fn print_summary(s: &SessionSummary) {
    eprintln!(
        "session: {} ({} channels at {} Hz), {:.2} s",
        s.source, s.channels, s.sample_rate, s.wall_seconds
    );
    eprintln!(
        "  received {} samples; the source lost {}; {} reconnects; {} markers",
        s.samples_received, s.samples_lost_by_source, s.reconnects, s.markers
    );
    if let Some(p) = &s.recording {
        eprintln!("  recorded {} frames to {}", s.frames_recorded, p.display());
    }
    for p in &s.preprocessing {
        eprintln!("  preprocessing: {p}");
    }
    for b in &s.branches {
        eprintln!(
            "  branch {:<20} {} frames in, {} dropped (ring {} frames, peak {})",
            b.name, b.frames_in, b.frames_dropped, b.capacity_frames, b.high_water_frames
        );
    }
    if s.predictions > 0 || s.windows_skipped > 0 {
        eprintln!(
            "  {} predictions, {} windows skipped over gaps",
            s.predictions, s.windows_skipped
        );
    }
    if let Some(l) = &s.decode_latency {
        eprintln!(
            "  latency received->decoded: p50 {:.0} us, p99 {:.0} us, max {:.0} us",
            l.p50_us, l.p99_us, l.max_us
        );
    }
    for k in &s.sinks {
        let lat = k
            .latency
            .as_ref()
            .map(|l| {
                format!(
                    ", received->emitted p50 {:.0} us p99 {:.0} us",
                    l.p50_us, l.p99_us
                )
            })
            .unwrap_or_default();
        eprintln!(
            "  sink {}: {} outputs, {} dropped{lat}{}",
            k.name,
            k.outputs,
            k.outputs_dropped,
            k.error
                .as_ref()
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default()
        );
    }
}
