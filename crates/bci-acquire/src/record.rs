//! Recording a [`Source`] to BDF+: what `bci record` runs.
//!
//! Gaps (lost samples) are filled with 0 µV so the file's time axis stays true, and each gap is
//! an annotation `BAD_ACQ_SKIP n samples lost` spanning it (MNE treats `BAD…` annotations as bad
//! segments). Markers and file events become annotations too. The file is flushed at least every
//! `flush_every`, so a crash loses at most that much; on a source error the data recorded so far
//! is kept and the file is finished before the error is returned.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bci_core::{Error, Result, Subject};
use bci_formats::{EdfWriter, WriteFormat, WriterOptions};

use crate::spec::SourceSpec;
use crate::{Source, SourceStats};

/// Open the source a spec names (the handshake or session setup happens here).
pub fn open_source(spec: &SourceSpec) -> Result<Box<dyn Source>> {
    Ok(match spec {
        SourceSpec::Cyton { kind, path, speed } => {
            let opts = crate::cyton::CytonOptions {
                kind: *kind,
                packet_rate: 250.0 * speed,
                ..Default::default()
            };
            Box::new(crate::cyton::CytonSource::open(path, opts)?)
        }
        SourceSpec::BrainFlow { board, params } => {
            Box::new(crate::brainflow::BrainFlowSource::open(board, params)?)
        }
        SourceSpec::File { path, speed } => {
            let rec = bci_formats::read(path)?;
            let name = format!("file {}", path.display());
            Box::new(crate::replay::FileSource::new(name, rec, *speed)?)
        }
        SourceSpec::Synthetic {
            channels,
            rate,
            speed,
        } => Box::new(crate::synthetic::SyntheticSource::with_speed(
            *channels, *rate, *speed,
        )?),
    })
}

/// Creates the BDF+ file a live stream is recorded into: short records (so a stop pads or waits
/// for at most a fraction of a second), the stream's channel declarations, the source's name as
/// the recording field. Returns the writer and its samples per record.
pub fn create_bdf(path: &std::path::Path, info: &bci_core::StreamInfo) -> Result<(EdfWriter, u64)> {
    let rate = info.sample_rate;
    let record_duration = [0.04, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|d| {
            let spr = rate * d;
            spr >= 1.0 && (spr - spr.round()).abs() < 1e-9
        })
        .ok_or_else(|| {
            Error::invalid(
                "sample rate",
                rate,
                "BDF records need a whole number of samples per record",
            )
        })?;
    let spr = (rate * record_duration).round() as u64;
    let subject = Subject {
        patient: String::new(),
        recording: info.name.clone(),
        start: None,
    };
    let wopts = WriterOptions {
        format: WriteFormat::Bdf,
        record_duration,
        anonymize: false,
    };
    let writer = EdfWriter::create(path, &info.channels, rate, &subject, &wopts)?;
    Ok((writer, spr))
}

/// Options of [`record`].
#[derive(Debug, Clone)]
pub struct RecordOptions {
    pub out: PathBuf,
    /// Stop after this much wall-clock time (otherwise at the stop flag or the source's end).
    pub duration: Option<Duration>,
    pub flush_every: Duration,
}

/// What [`record`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSummary {
    pub out: PathBuf,
    pub source: String,
    pub channels: usize,
    pub sample_rate: f64,
    /// Frames in the file, gap fill included.
    pub frames_written: u64,
    /// Frames received from the source.
    pub samples_received: u64,
    pub lost_samples: u64,
    pub gaps: u64,
    pub reconnects: u64,
    pub skipped_bytes: u64,
    pub events: u64,
    pub wall_seconds: f64,
    /// Samples (received + lost) per second of wall-clock time.
    pub measured_rate: f64,
    /// The source error that ended the recording, if any (the file is complete up to it).
    pub error: Option<String>,
}

/// Record `source` into a BDF+ file. `notice` receives the source's messages as they come.
pub fn record(
    mut source: Box<dyn Source>,
    opts: &RecordOptions,
    stop: &AtomicBool,
    notice: &mut dyn FnMut(&str),
) -> Result<RecordSummary> {
    let info = source.info();
    let rate = info.sample_rate;
    let (mut writer, spr) = create_bdf(&opts.out, &info)?;
    let n_ch = info.channels.len();
    source.start()?;
    let t0 = Instant::now();
    let mut last_flush = Instant::now();
    let mut written: u64 = 0;
    let mut received: u64 = 0;
    let mut events: u64 = 0;
    let mut error = None;
    let zeros = vec![0.0f64; n_ch * 1024];
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if opts.duration.is_some_and(|d| t0.elapsed() >= d) {
            break;
        }
        let res = source.next_chunk(Duration::from_millis(50));
        for n in source.take_notices() {
            notice(&n);
        }
        match res {
            Ok(Some(chunk)) => {
                if chunk.n_channels != n_ch {
                    error = Some(format!(
                        "source changed its channel count from {n_ch} to {}",
                        chunk.n_channels
                    ));
                    break;
                }
                // Fill a gap with 0 µV so sample indices stay file positions.
                while written < chunk.first_sample {
                    let n = (chunk.first_sample - written).min(1024) as usize;
                    writer.write_frames(&zeros[..n * n_ch])?;
                    written += n as u64;
                }
                for e in &chunk.events {
                    writer.write_event(e)?;
                    events += 1;
                }
                writer.write_frames(&chunk.data)?;
                received += chunk.n_frames() as u64;
                written = written.max(chunk.end_sample());
            }
            Ok(None) => {
                if source.finished() {
                    break;
                }
            }
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
        if last_flush.elapsed() >= opts.flush_every {
            writer.flush()?;
            last_flush = Instant::now();
        }
    }
    // Stopped on purpose: read on to the end of the current record rather than pad it with
    // zeros (at most one record, bounded in time).
    if error.is_none() && !source.finished() && !written.is_multiple_of(spr) {
        let t_end = Instant::now();
        while !written.is_multiple_of(spr) && t_end.elapsed() < Duration::from_millis(500) {
            match source.next_chunk(Duration::from_millis(50)) {
                Ok(Some(chunk)) if chunk.n_channels == n_ch => {
                    let need = (spr - written % spr) as usize;
                    if chunk.first_sample > written {
                        break;
                    }
                    let take = chunk.n_frames().min(need);
                    for e in chunk
                        .events
                        .iter()
                        .filter(|e| e.onset < written + take as u64)
                    {
                        writer.write_event(e)?;
                        events += 1;
                    }
                    writer.write_frames(&chunk.data[..take * n_ch])?;
                    received += take as u64;
                    written += take as u64;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    let stats: SourceStats = source.stats();
    let _ = source.stop();
    for n in source.take_notices() {
        notice(&n);
    }
    writer.finish()?;
    let wall = t0.elapsed().as_secs_f64();
    Ok(RecordSummary {
        out: opts.out.clone(),
        source: info.name,
        channels: n_ch,
        sample_rate: rate,
        frames_written: written,
        samples_received: received,
        lost_samples: stats.lost_samples,
        gaps: stats.gaps,
        reconnects: stats.reconnects,
        skipped_bytes: stats.skipped_bytes,
        events,
        wall_seconds: wall,
        measured_rate: if wall > 0.0 {
            (received + stats.lost_samples) as f64 / wall
        } else {
            0.0
        },
        error,
    })
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: nix::libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Make SIGINT (Ctrl-C) and SIGTERM set the returned flag instead of killing the process, so a
/// recording ends with a complete file.
pub fn stop_on_signals() -> &'static AtomicBool {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let h = nix::sys::signal::SigHandler::Handler(on_stop_signal);
        let _ = nix::sys::signal::signal(nix::sys::signal::Signal::SIGINT, h);
        let _ = nix::sys::signal::signal(nix::sys::signal::Signal::SIGTERM, h);
    }
    &STOP
}
