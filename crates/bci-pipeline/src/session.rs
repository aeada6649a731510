//! A live session: one source, the recorder branch, preprocessing, decoding and sinks, each on
//! its own thread, joined by the rings of [`crate::ring`].
//!
//! ```text
//! source ─┬─ring (lossless)──> recorder (BDF+)
//!         ├─ring──> preprocess (+ attention) ─┬─ring──> decode ──> outputs ─┐
//!         │                                   └─ring──> sinks tapping filtered frames
//!         └─ring──> sinks tapping raw frames                                  └──> every sink
//! ```
//!
//! The source thread never blocks on a consumer: a full analysis ring drops the block (counted
//! on that branch; downstream stages see a gap and restart their state), and a full recorder ring
//! ends the session with an error after the file has been closed cleanly.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bci_acquire::{Source, monotonic_ns};
use bci_core::{Chunk, Error, Event, Result, StreamInfo};
use bci_decode::model::Model;
use bci_dsp::{AttentionConfig, AttentionMonitor, Sos};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::decode::WindowDecoder;
use crate::markers::{MarkerIn, MarkerInput, place};
use crate::ring::{Block, Consumer, Producer, RingMonitor, ValueRing, ring};
use crate::sink::{Output, Sink, Tap};
use crate::stage::{ChannelPick, CommonAverage, FilterStage, Stage};

/// What a session does besides reading its source.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Seconds of data each analysis ring holds before it drops.
    pub ring_seconds: f64,
    /// Seconds of data the recorder's ring holds before the session fails.
    pub recorder_ring_seconds: f64,
    /// Record every frame of the source to this BDF+ file.
    pub record: Option<PathBuf>,
    /// Flush the recording at least this often (a crash loses at most this much).
    pub flush_every: Duration,
    /// Channels to analyse, by name (all when `None`; the model's when a model is given).
    pub channels: Option<Vec<String>>,
    /// Causal Butterworth band-pass `(lo, hi, order)` (a model brings its own).
    pub bandpass: Option<(f64, f64, usize)>,
    /// Notch at 50 or 60 Hz and harmonics.
    pub notch: Option<f64>,
    /// Common average reference after the filters.
    pub car: bool,
    /// The decoder (channels, filter, window, pipeline), from `bci train`.
    pub model: Option<Model>,
    /// Seconds between decoded windows.
    pub step_seconds: f64,
    /// Compute the attention index (theta/beta, relative alpha, engagement) on the raw frames.
    pub attention: bool,
    /// Stop after this much wall-clock time.
    pub duration: Option<Duration>,
    /// End the session with an error when the source delivers nothing for this long (a board
    /// unplugged and not coming back); `None` waits for ever.
    pub stall_timeout: Option<Duration>,
    /// Wait for room in every ring instead of dropping: for file replay, where nothing is lost
    /// by waiting. Live devices keep this off so the source never blocks.
    pub lossless: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            ring_seconds: 2.0,
            recorder_ring_seconds: 10.0,
            record: None,
            flush_every: Duration::from_secs(1),
            channels: None,
            bandpass: None,
            notch: None,
            car: false,
            model: None,
            step_seconds: 0.04,
            attention: false,
            duration: None,
            lossless: false,
            stall_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// Percentiles of a latency distribution, in microseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl LatencySummary {
    fn of(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        let us = |ns: u64| ns as f64 / 1e3;
        Some(LatencySummary {
            count: h.len(),
            mean_us: h.mean() / 1e3,
            p50_us: us(h.value_at_quantile(0.5)),
            p90_us: us(h.value_at_quantile(0.9)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
        })
    }
}

/// One ring's account at the end.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BranchSummary {
    pub name: String,
    pub capacity_frames: u64,
    pub frames_in: u64,
    pub frames_dropped: u64,
    pub drop_events: u64,
    pub high_water_frames: u64,
}

impl BranchSummary {
    fn of(m: &RingMonitor) -> Self {
        BranchSummary {
            name: m.name().to_string(),
            capacity_frames: m.capacity_frames(),
            frames_in: m.frames_in(),
            frames_dropped: m.frames_dropped(),
            drop_events: m.drop_events(),
            high_water_frames: m.high_water(),
        }
    }
}

/// One sink's account at the end.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SinkSummary {
    pub name: String,
    pub outputs: u64,
    pub outputs_dropped: u64,
    /// From a window's last sample being received to this sink having emitted its prediction.
    pub latency: Option<LatencySummary>,
    pub error: Option<String>,
}

/// What a session did: the loss report, the latency report, the recording.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionSummary {
    pub source: String,
    pub channels: usize,
    pub sample_rate: f64,
    pub wall_seconds: f64,
    /// Frames received from the source.
    pub samples_received: u64,
    /// Frames the device lost (gaps in its counter), filled with zeros in the recording.
    pub samples_lost_by_source: u64,
    pub reconnects: u64,
    pub recording: Option<PathBuf>,
    /// Frames in the recording (gap fill included).
    pub frames_recorded: u64,
    pub branches: Vec<BranchSummary>,
    pub sinks: Vec<SinkSummary>,
    pub predictions: u64,
    /// Windows not decoded because frames were missing inside them.
    pub windows_skipped: u64,
    /// From a window's last sample being received to the decoder's result.
    pub decode_latency: Option<LatencySummary>,
    pub markers: u64,
    pub preprocessing: Vec<String>,
    /// What ended the session early, if anything (everything recorded before it is in the file).
    pub error: Option<String>,
}

impl SessionSummary {
    /// Frames dropped on analysis branches and sinks (never the recorder's).
    pub fn analysis_drops(&self) -> u64 {
        self.branches
            .iter()
            .filter(|b| b.name != "recorder")
            .map(|b| b.frames_dropped)
            .sum()
    }
}

/// Counters the live view shows while the session runs.
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub samples: AtomicU64,
    pub dropped: AtomicU64,
    pub latency_p50_ns: AtomicU64,
    pub latency_p99_ns: AtomicU64,
    pub predictions: AtomicU64,
}

/// A session being put together: configuration, sinks, marker inputs.
pub struct Session {
    config: SessionConfig,
    sinks: Vec<Box<dyn Sink>>,
    marker_inputs: Vec<Box<dyn MarkerInput>>,
    stop: Arc<AtomicBool>,
    inbox: Arc<ValueRing<MarkerIn>>,
    live: Arc<LiveCounters>,
}

struct SinkLane {
    outputs: Arc<ValueRing<Output>>,
    frames: Option<(Tap, Producer)>,
}

/// Outputs go to every sink's queue; a full queue drops for that sink only.
#[derive(Clone)]
struct Fanout {
    queues: Vec<Arc<ValueRing<Output>>>,
    lossless: bool,
    stop: Arc<AtomicBool>,
}

impl Fanout {
    fn send(&self, o: &Output) {
        for q in &self.queues {
            if self.lossless {
                q.push_wait(o.clone(), &self.stop);
            } else {
                q.push(o.clone());
            }
        }
    }
}

/// Hands frames to a ring: dropping when full (live), or waiting (lossless replay).
struct Push<'a> {
    lossless: bool,
    stop: &'a AtomicBool,
}

impl Push<'_> {
    fn send(
        &self,
        tx: &Producer,
        first: u64,
        n_ch: usize,
        frames: &[f64],
        host_ns: u64,
        events: &[Event],
    ) -> std::result::Result<(), crate::ring::Refused> {
        if self.lossless {
            tx.push_frames_wait(first, n_ch, frames, host_ns, events, self.stop)
        } else {
            tx.push_frames(first, n_ch, frames, host_ns, events)
        }
    }
}

/// Splits a chunk's frames into blocks of at most `max` frames.
fn blocks_of(chunk: &Chunk, max: usize) -> impl Iterator<Item = (u64, &[f64])> {
    let n = chunk.n_channels.max(1);
    chunk
        .data
        .chunks(max * n)
        .enumerate()
        .map(move |(k, d)| (chunk.first_sample + (k * max) as u64, d))
}

impl Session {
    pub fn new(config: SessionConfig) -> Self {
        Session {
            config,
            sinks: Vec::new(),
            marker_inputs: Vec::new(),
            stop: Arc::new(AtomicBool::new(false)),
            inbox: ValueRing::new(1024),
            live: Arc::new(LiveCounters::default()),
        }
    }

    pub fn add_sink(&mut self, sink: Box<dyn Sink>) {
        self.sinks.push(sink);
    }

    pub fn add_marker_input(&mut self, input: Box<dyn MarkerInput>) {
        self.marker_inputs.push(input);
    }

    /// Setting this flag ends the session cleanly (Ctrl-C handlers set it).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Where markers typed in the live view go (placed like every other marker).
    pub fn marker_inbox(&self) -> Arc<ValueRing<MarkerIn>> {
        self.inbox.clone()
    }

    /// Counters for a live display.
    pub fn live_counters(&self) -> Arc<LiveCounters> {
        self.live.clone()
    }

    /// Runs until the source ends, the duration passes, the stop flag is set or something
    /// fails. `notice` receives the source's messages. A failure still returns a summary (with
    /// `error` set) once the recording is closed; `Err` is only for a session that could not
    /// start.
    pub fn run(
        self,
        mut source: Box<dyn Source>,
        notice: &mut dyn FnMut(&str),
    ) -> Result<SessionSummary> {
        let Session {
            config,
            mut sinks,
            marker_inputs,
            stop,
            inbox,
            live,
        } = self;
        let info: StreamInfo = source.info();
        let rate = info.sample_rate;
        let n_ch = info.channels.len();
        let names: Vec<String> = info.channels.iter().map(|c| c.label.clone()).collect();
        if let Some(m) = &config.model {
            m.check_stream(&names, rate)
                .map_err(|e| Error::Mismatch(e.to_string()))?;
        }
        let block_frames = ((rate * 0.01).round() as usize).clamp(1, 4096);
        let frames_for = |secs: f64| ((secs * rate).ceil() as u64).max(block_frames as u64 * 2);
        let blocks_for = |frames: u64| (frames as usize).clamp(16, 8192);

        // The preprocessing chain.
        let (pick, mut stages): (ChannelPick, Vec<Box<dyn Stage>>) = match &config.model {
            Some(m) => {
                let pick = ChannelPick::by_name(&m.channels, &names)?;
                let mut st: Vec<Box<dyn Stage>> = Vec::new();
                if let Some(f) = &m.filter {
                    let sos = Sos::new(f.sos.clone())?;
                    st.push(Box::new(FilterStage::new(
                        format!(
                            "model band-pass {}-{} Hz (order {}, applied causally)",
                            f.band[0], f.band[1], f.order
                        ),
                        &sos,
                        pick.len(),
                    )?));
                }
                (pick, st)
            }
            None => {
                let pick = match &config.channels {
                    Some(c) => ChannelPick::by_name(c, &names)?,
                    None => ChannelPick::all(n_ch),
                };
                let mut st: Vec<Box<dyn Stage>> = Vec::new();
                if let Some((lo, hi, order)) = config.bandpass {
                    st.push(Box::new(FilterStage::bandpass(
                        lo,
                        hi,
                        order,
                        rate,
                        pick.len(),
                    )?));
                }
                (pick, st)
            }
        };
        if let Some(base) = config.notch {
            stages.push(Box::new(FilterStage::notch(base, rate, pick.len())?));
        }
        if config.car {
            stages.push(Box::new(CommonAverage));
        }

        let mut decoder = match &config.model {
            Some(m) => {
                let step = ((config.step_seconds * rate).round() as u64).max(1);
                Some(WindowDecoder::new(m.clone(), step)?)
            }
            None => None,
        };
        let mut attention = if config.attention {
            Some(AttentionMonitor::new(
                rate,
                n_ch,
                AttentionConfig::default(),
            )?)
        } else {
            None
        };

        // Rings.
        let mut monitors: Vec<RingMonitor> = Vec::new();
        let (rec_tx, rec_rx) = match &config.record {
            Some(_) => {
                let f = frames_for(config.recorder_ring_seconds);
                let (p, c) = ring("recorder", f, blocks_for(f), block_frames * n_ch);
                monitors.push(p.monitor());
                (Some(p), Some(c))
            }
            None => (None, None),
        };
        let analysis_frames = frames_for(config.ring_seconds);
        let needs_pre = decoder.is_some()
            || attention.is_some()
            || sinks.iter().any(|s| s.tap() == Tap::Filtered);
        // Only what actually runs is reported.
        let preprocessing: Vec<String> = if needs_pre {
            stages.iter().map(|s| s.describe()).collect()
        } else {
            Vec::new()
        };
        let (pre_tx, pre_rx) = if needs_pre {
            let (p, c) = ring(
                "preprocess",
                analysis_frames,
                blocks_for(analysis_frames),
                block_frames * n_ch,
            );
            monitors.push(p.monitor());
            (Some(p), Some(c))
        } else {
            (None, None)
        };
        let (dec_tx, dec_rx) = if decoder.is_some() {
            let (p, c) = ring(
                "decode",
                analysis_frames,
                blocks_for(analysis_frames),
                block_frames * pick.len(),
            );
            monitors.push(p.monitor());
            (Some(p), Some(c))
        } else {
            (None, None)
        };
        let mut lanes: Vec<SinkLane> = Vec::new();
        let mut lane_rx: Vec<(Arc<ValueRing<Output>>, Option<Consumer>)> = Vec::new();
        for s in &sinks {
            let outputs = ValueRing::new(4096);
            let (frames, rx) = match s.tap() {
                Tap::None => (None, None),
                tap => {
                    let name = format!("sink {}", s.name());
                    let width = if tap == Tap::Raw { n_ch } else { pick.len() };
                    let (p, c) = ring(
                        &name,
                        analysis_frames,
                        blocks_for(analysis_frames),
                        block_frames * width,
                    );
                    monitors.push(p.monitor());
                    (Some((tap, p)), Some(c))
                }
            };
            lane_rx.push((outputs.clone(), rx));
            lanes.push(SinkLane { outputs, frames });
        }
        let fanout = Fanout {
            queues: lanes.iter().map(|l| l.outputs.clone()).collect(),
            lossless: config.lossless,
            stop: stop.clone(),
        };
        let (raw_taps, filtered_taps): (Vec<SinkLane>, Vec<SinkLane>) = lanes
            .into_iter()
            .partition(|l| matches!(l.frames, Some((Tap::Raw, _)) | None));
        let raw_taps: Vec<Producer> = raw_taps
            .into_iter()
            .filter_map(|l| l.frames.map(|(_, p)| p))
            .collect();
        let filtered_taps: Vec<Producer> = filtered_taps
            .into_iter()
            .filter_map(|l| l.frames.map(|(_, p)| p))
            .collect();

        let fatal: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let fail = |fatal: &Mutex<Option<String>>, stop: &AtomicBool, msg: String| {
            if let Ok(mut f) = fatal.lock()
                && f.is_none()
            {
                *f = Some(msg);
            }
            stop.store(true, Ordering::Release);
        };

        // The recorder writes its file before the source starts, so a bad path fails early.
        let writer = match &config.record {
            Some(path) => Some(bci_acquire::record::create_bdf(path, &info)?),
            None => None,
        };
        source.start()?;
        let t0 = Instant::now();

        let summary = std::thread::scope(|scope| {
            // Recorder.
            let recorder = writer.zip(rec_rx).map(|((mut writer, _spr), rx)| {
                let fatal = fatal.clone();
                let stop = stop.clone();
                let flush_every = config.flush_every;
                let path = config.record.clone().unwrap_or_default();
                spawn(scope, "bci-recorder", move || {
                        let zeros = vec![0.0f64; n_ch * 1024];
                        let mut written: u64 = 0;
                        let mut last_flush = Instant::now();
                        let mut failed = false;
                        let write = |writer: &mut bci_formats::EdfWriter,
                                     b: &Block,
                                     written: &mut u64|
                         -> Result<()> {
                            while *written < b.first_sample {
                                let n = (b.first_sample - *written).min(1024) as usize;
                                writer.write_frames(&zeros[..n * n_ch])?;
                                *written += n as u64;
                            }
                            for e in &b.events {
                                writer.write_event(e)?;
                            }
                            writer.write_frames(&b.data)?;
                            *written = (*written).max(b.end_sample());
                            Ok(())
                        };
                        loop {
                            match rx.pop(Duration::from_millis(100)) {
                                Ok(Some(b)) => {
                                    if !failed && let Err(e) = write(&mut writer, &b, &mut written) {
                                        failed = true;
                                        fail(
                                            &fatal,
                                            &stop,
                                            format!(
                                                "recording to {} failed at sample {written}: {e}; the file keeps what was flushed before",
                                                path.display()
                                            ),
                                        );
                                    }
                                    rx.recycle(b);
                                }
                                Ok(None) => {}
                                Err(crate::ring::Ended) => break,
                            }
                            if !failed && last_flush.elapsed() >= flush_every {
                                if let Err(e) = writer.flush() {
                                    failed = true;
                                    fail(
                                        &fatal,
                                        &stop,
                                        format!(
                                            "recording to {} failed at sample {written}: {e}; the file keeps what was flushed before",
                                            path.display()
                                        ),
                                    );
                                }
                                last_flush = Instant::now();
                            }
                        }
                        if let Err(e) = writer.finish() {
                            fail(
                                &fatal,
                                &stop,
                                format!("closing the recording {} failed: {e}", path.display()),
                            );
                        }
                        written
                    })
            });

            // Preprocess (+ attention).
            let preprocess = pre_rx.map(|rx| {
                let fanout = fanout.clone();
                let fatal = fatal.clone();
                let stop = stop.clone();
                let pick = pick.clone();
                let dec_tx = dec_tx;
                let filtered_taps = filtered_taps;
                let mut stages = stages;
                let mut attention = attention.take();
                let lossless = config.lossless;
                spawn(scope, "bci-preprocess", move || {
                    let mut work = Block::default();
                    let mut next: Option<u64> = None;
                    let mut indices = Vec::with_capacity(16);
                    loop {
                        let b = match rx.pop(Duration::from_millis(100)) {
                            Ok(Some(b)) => b,
                            Ok(None) => continue,
                            Err(crate::ring::Ended) => break,
                        };
                        if next.is_some_and(|n| n != b.first_sample) {
                            for s in stages.iter_mut() {
                                s.reset();
                            }
                            if let Some(a) = attention.as_mut() {
                                a.reset(b.first_sample);
                            }
                        }
                        next = Some(b.end_sample());
                        if let Some(a) = attention.as_mut() {
                            indices.clear();
                            if let Err(e) = a.push(&b.data, &mut indices) {
                                fail(&fatal, &stop, format!("attention index: {e}"));
                            }
                            for ix in indices.drain(..) {
                                fanout.send(&Output::Attention(ix));
                            }
                        }
                        pick.copy(&b, &mut work);
                        rx.recycle(b);
                        for s in stages.iter_mut() {
                            if let Err(e) = s.process(&mut work) {
                                fail(&fatal, &stop, format!("{}: {e}", s.describe()));
                            }
                        }
                        let push = Push {
                            lossless,
                            stop: &stop,
                        };
                        if let Some(tx) = &dec_tx {
                            let _ = push.send(
                                tx,
                                work.first_sample,
                                work.n_channels,
                                &work.data,
                                work.host_time_ns,
                                &work.events,
                            );
                        }
                        for tx in &filtered_taps {
                            let _ = push.send(
                                tx,
                                work.first_sample,
                                work.n_channels,
                                &work.data,
                                work.host_time_ns,
                                &work.events,
                            );
                        }
                    }
                })
            });

            // Decode.
            let decode = dec_rx.zip(decoder.take()).map(|(rx, mut decoder)| {
                let fanout = fanout.clone();
                let fatal = fatal.clone();
                let stop = stop.clone();
                let live = live.clone();
                spawn(scope, "bci-decode", move || {
                    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)
                        .expect("static histogram bounds");
                    let mut count = 0u64;
                    loop {
                        let b = match rx.pop(Duration::from_millis(100)) {
                            Ok(Some(b)) => b,
                            Ok(None) => continue,
                            Err(crate::ring::Ended) => break,
                        };
                        let res = decoder.push(&b, &mut |p| {
                            let _ = hist.record(p.decoded_ns.saturating_sub(p.received_ns).max(1));
                            count += 1;
                            live.predictions.store(count, Ordering::Relaxed);
                            fanout.send(&Output::Prediction(p));
                        });
                        rx.recycle(b);
                        if let Err(e) = res {
                            fail(&fatal, &stop, format!("decoder: {e}"));
                            break;
                        }
                    }
                    (count, decoder.skipped_windows, LatencySummary::of(&hist))
                })
            });

            // Sinks.
            let mut sink_threads = Vec::new();
            for (mut sink, (outputs, frames)) in sinks.drain(..).zip(lane_rx) {
                let stop = stop.clone();
                let live = live.clone();
                let name = sink.name();
                sink_threads.push(spawn(scope, "bci-sink", move || {
                    run_sink(
                        sink.as_mut(),
                        &outputs,
                        frames.as_ref(),
                        &stop,
                        &live,
                        &name,
                    )
                }));
            }

            // Marker inputs.
            let markers_done = Arc::new(AtomicBool::new(false));
            let mut marker_threads = Vec::new();
            for mut input in marker_inputs {
                let inbox = inbox.clone();
                let done = markers_done.clone();
                marker_threads.push(spawn(scope, "bci-markers", move || -> Option<String> {
                    while !done.load(Ordering::Acquire) {
                        match input.next(Duration::from_millis(50)) {
                            Ok(Some(m)) => {
                                inbox.push(m);
                            }
                            Ok(None) => {}
                            Err(e) => return Some(format!("marker input {}: {e}", input.name())),
                        }
                    }
                    None
                }));
            }

            // The source loop, on this thread.
            let mut received: u64 = 0;
            let mut markers: u64 = 0;
            let mut placed: Vec<Event> = Vec::new();
            let mut last_data = Instant::now();
            let mut received_end: u64 = 0;
            let mut chunk = Chunk {
                first_sample: 0,
                n_channels: n_ch,
                data: Vec::new(),
                host_time_ns: 0,
                events: Vec::new(),
            };
            let mut source_error: Option<String> = None;
            loop {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                if config.duration.is_some_and(|d| t0.elapsed() >= d) {
                    break;
                }
                // One chunk whose buffers the source refills: nothing allocated per chunk by
                // sources that fill in place.
                let res = source.next_chunk_into(&mut chunk, Duration::from_millis(20));
                for n in source.take_notices() {
                    notice(&n);
                }
                match res {
                    Ok(true) => {}
                    Ok(false) => {
                        if source.finished() {
                            break;
                        }
                        if let Some(limit) = config.stall_timeout
                            && last_data.elapsed() >= limit
                        {
                            source_error = Some(format!(
                                "no data from the source for {:.1} s (last sample {}); giving up",
                                limit.as_secs_f64(),
                                received_end
                            ));
                            break;
                        }
                        continue;
                    }
                    Err(e) => {
                        source_error = Some(format!("the source failed: {e}"));
                        break;
                    }
                }
                if chunk.n_channels != n_ch {
                    source_error = Some(format!(
                        "the source changed its channel count from {n_ch} to {}",
                        chunk.n_channels
                    ));
                    break;
                }
                last_data = Instant::now();
                let last_end = chunk.end_sample();
                received_end = last_end;
                let last_host = chunk.host_time_ns;
                received += chunk.n_frames() as u64;
                live.samples.store(last_end, Ordering::Relaxed);
                // Markers that came in, placed at the sample their arrival time points to.
                placed.clear();
                while let Some(m) = inbox.try_pop() {
                    placed.push(Event {
                        onset: place(m.host_time_ns, last_end, last_host, rate),
                        duration: 0,
                        label: m.label,
                    });
                }
                for e in chunk.events.iter().chain(placed.iter()) {
                    markers += 1;
                    fanout.send(&Output::Marker(e.clone()));
                }
                for (k, (first, frames)) in blocks_of(&chunk, block_frames).enumerate() {
                    let events: &[Event] = if k == 0 { &chunk.events } else { &[] };
                    let extra: &[Event] = if k == 0 { &placed } else { &[] };
                    let push = Push {
                        lossless: config.lossless,
                        stop: &stop,
                    };
                    if let Some(tx) = &rec_tx {
                        let ok = push.send(tx, first, n_ch, frames, chunk.host_time_ns, events);
                        // Markers placed here ride on a second, empty block so the common
                        // path needs no concatenation.
                        let ok2 = if extra.is_empty() {
                            Ok(())
                        } else {
                            push.send(tx, first, n_ch, &[], chunk.host_time_ns, extra)
                        };
                        if ok.is_err() || ok2.is_err() {
                            fail(
                                &fatal,
                                &stop,
                                format!(
                                    "the recorder fell behind: its ring of {} s is full at sample {first} (the disk is too slow or stalled); recording stopped",
                                    config.recorder_ring_seconds
                                ),
                            );
                            break;
                        }
                    }
                    if let Some(tx) = &pre_tx {
                        let _ = push.send(tx, first, n_ch, frames, chunk.host_time_ns, events);
                    }
                    for tx in &raw_taps {
                        let _ = push.send(tx, first, n_ch, frames, chunk.host_time_ns, events);
                    }
                }
                let dropped: u64 = monitors
                    .iter()
                    .filter(|m| m.name() != "recorder")
                    .map(|m| m.frames_dropped())
                    .sum();
                live.dropped.store(dropped, Ordering::Relaxed);
            }
            let source_stats = source.stats();
            let _ = source.stop();
            for n in source.take_notices() {
                notice(&n);
            }
            // Closing the rings ends every stage once it has drained.
            drop(rec_tx);
            drop(pre_tx);
            drop(raw_taps);
            markers_done.store(true, Ordering::Release);
            let frames_recorded = recorder.map(|h| h.join().unwrap_or(0)).unwrap_or(0);
            if let Some(h) = preprocess {
                let _ = h.join();
            }
            let (predictions, windows_skipped, decode_latency) =
                decode.and_then(|h| h.join().ok()).unwrap_or((0, 0, None));
            for q in &fanout.queues {
                q.close();
            }
            let sinks: Vec<SinkSummary> = sink_threads
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| SinkSummary {
                        name: "?".into(),
                        outputs: 0,
                        outputs_dropped: 0,
                        latency: None,
                        error: Some("the sink's thread panicked".into()),
                    })
                })
                .collect();
            let mut error = source_error;
            for h in marker_threads {
                if let Ok(Some(e)) = h.join() {
                    error.get_or_insert(e);
                }
            }
            if let Ok(f) = fatal.lock()
                && let Some(f) = f.clone()
            {
                error = Some(match error {
                    Some(e) => format!("{f}; {e}"),
                    None => f,
                });
            }
            SessionSummary {
                source: info.name.clone(),
                channels: n_ch,
                sample_rate: rate,
                wall_seconds: t0.elapsed().as_secs_f64(),
                samples_received: received,
                samples_lost_by_source: source_stats.lost_samples,
                reconnects: source_stats.reconnects,
                recording: config.record.clone(),
                frames_recorded,
                branches: monitors.iter().map(BranchSummary::of).collect(),
                sinks,
                predictions,
                windows_skipped,
                decode_latency,
                markers,
                preprocessing,
                error,
            }
        });
        Ok(summary)
    }
}

/// Spawns a named pipeline thread. Failing to get a thread from the OS (resource exhaustion)
/// is the one condition the session does not survive.
fn spawn<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    name: &str,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn_scoped(scope, f)
        .expect("the OS refused to start a pipeline thread")
}

fn run_sink(
    sink: &mut dyn Sink,
    outputs: &ValueRing<Output>,
    frames: Option<&Consumer>,
    stop: &AtomicBool,
    live: &LiveCounters,
    name: &str,
) -> SinkSummary {
    let mut hist =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("static histogram bounds");
    let mut count = 0u64;
    let mut error = None;
    let mut frames_open = frames.is_some();
    let mut last_tick = Instant::now();
    let mut run = || -> Result<()> {
        loop {
            let mut busy = false;
            while let Some(o) = outputs.try_pop() {
                busy = true;
                sink.output(&o)?;
                count += 1;
                if let Output::Prediction(p) = &o {
                    let _ = hist.record(monotonic_ns().saturating_sub(p.received_ns).max(1));
                    if hist.len() % 8 == 1 {
                        live.latency_p50_ns
                            .store(hist.value_at_quantile(0.5), Ordering::Relaxed);
                        live.latency_p99_ns
                            .store(hist.value_at_quantile(0.99), Ordering::Relaxed);
                    }
                }
            }
            if let Some(rx) = frames.filter(|_| frames_open) {
                loop {
                    match rx.try_pop() {
                        Ok(Some(b)) => {
                            busy = true;
                            let r = sink.frames(&b);
                            rx.recycle(b);
                            r?;
                        }
                        Ok(None) => break,
                        Err(crate::ring::Ended) => {
                            frames_open = false;
                            break;
                        }
                    }
                }
            }
            if last_tick.elapsed() >= Duration::from_millis(50) {
                last_tick = Instant::now();
                if !sink.tick(false)? {
                    stop.store(true, Ordering::Release);
                }
            }
            if outputs.is_closed() && !frames_open && !busy {
                // Drained: everything upstream has ended.
                sink.tick(true)?;
                return Ok(());
            }
            if !busy {
                std::thread::park_timeout(Duration::from_millis(20));
            }
        }
    };
    if let Err(e) = run() {
        error = Some(e.to_string());
    }
    // Producers waiting for room (lossless replay) must not wait for a sink that has gone.
    outputs.close();
    SinkSummary {
        name: name.to_string(),
        outputs: count,
        outputs_dropped: outputs.dropped(),
        latency: LatencySummary::of(&hist),
        error,
    }
}
