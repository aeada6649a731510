//! The simulator's main loop: read commands, emit text and packets on time, inject faults.
//!
//! Packets are paced from a monotonic clock at 250 × `speed` per second (the dongle forces
//! 250 Hz). Every fault is decided per packet by a generator seeded with `--seed`, in packet
//! order, so a run is reproducible whatever the timing; each one is written to the fault log as
//! a JSON line naming the packet (index since the last `b`), its counter and the samples lost.

use std::collections::VecDeque;
use std::f64::consts::TAU;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::json;

use crate::board::{Board, BoardConfig, BoardEvent};
use crate::pty::{Pty, relink};
use crate::rng::Rng;
use crate::signal::SignalSource;

/// Faults to inject.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Probability per packet that one byte is corrupted.
    pub corrupt: f64,
    /// Probability per packet that the packet is lost.
    pub drop: f64,
    /// Drops come as bursts of 1..=32 packets.
    pub burst: bool,
    /// (start, duration) in wall-clock seconds after streaming first starts: nothing is sent,
    /// the board keeps sampling (its counter advances).
    pub stall: Option<(f64, f64)>,
    /// Wall-clock seconds after streaming first starts at which the device vanishes.
    pub unplug_after: Option<f64>,
    /// Seconds after the unplug at which it comes back (never, if `None`).
    pub replug_after: Option<f64>,
}

/// Everything the simulator needs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub board: BoardConfig,
    pub signal: SignalSource,
    pub speed: f64,
    pub link: Option<PathBuf>,
    pub seed: u64,
    pub faults: Faults,
    pub fault_log: Option<PathBuf>,
    /// Write packets in groups every 16 ms (÷ speed), as the FTDI latency timer does.
    pub ftdi_bursts: bool,
    /// Exit after this many wall-clock seconds.
    pub duration: Option<f64>,
}

/// Cap on bytes queued for a client that does not read (about 30 s of stream).
const OUTQ_CAP: usize = 256 * 1024;

struct FaultLog(Option<std::io::BufWriter<std::fs::File>>);

impl FaultLog {
    fn write(&mut self, v: serde_json::Value) {
        if let Some(w) = self.0.as_mut() {
            let _ = writeln!(w, "{v}");
            let _ = w.flush();
        }
    }
}

/// Run until `stop` is set (or the configured duration passes). Prints the port path (the link
/// if given) on stdout once the port is ready.
pub fn run(cfg: &SimConfig, stop: &AtomicBool) -> Result<()> {
    let mut log = FaultLog(match &cfg.fault_log {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot create fault log {}", p.display()))?,
        )),
        None => None,
    });
    let mut pty = Some(Pty::open()?);
    let publish = |pty: &Pty| -> Result<PathBuf> {
        match &cfg.link {
            Some(l) => {
                relink(l, &pty.slave_path)?;
                Ok(l.clone())
            }
            None => Ok(pty.slave_path.clone()),
        }
    };
    if let Some(p) = pty.as_ref() {
        let shown = publish(p)?;
        println!("{}", shown.display());
        let _ = std::io::stdout().flush();
    }

    let speed = if cfg.speed > 0.0 { cfg.speed } else { 1.0 };
    let packet_rate = 250.0 * speed;
    let t0 = Instant::now();
    let mut board = Board::new(cfg.board.clone());
    let mut rng = Rng::new(cfg.seed);
    let mut outq: VecDeque<u8> = VecDeque::new();
    let mut inbuf = Vec::new();
    // Stream state.
    let mut stream_no: u64 = 0;
    let mut stream_t0 = 0.0f64;
    let mut k: u64 = 0;
    let mut first_stream_at: Option<f64> = None;
    let mut sig_base: u64 = 0;
    let mut sig_pos: u64 = 0;
    let mut burst_left: u64 = 0;
    let mut stall_logged = false;
    let mut stall_lost: u64 = 0;
    let mut stall_first: Option<u64> = None;
    let mut unplugged_at: Option<f64> = None;
    let mut unplug_done = false;
    let mut pending_group: Vec<u8> = Vec::new();
    let mut last_group_flush = 0.0f64;
    let mut overrun_packets: u64 = 0;

    while !stop.load(Ordering::Relaxed) {
        let now = t0.elapsed().as_secs_f64();
        if cfg.duration.is_some_and(|d| now >= d) {
            break;
        }
        // Unplug / replug.
        if let (Some(after), Some(first)) = (cfg.faults.unplug_after, first_stream_at)
            && !unplug_done
            && now - first >= after
        {
            unplug_done = true;
            unplugged_at = Some(now);
            pty = None;
            if let Some(l) = &cfg.link {
                let _ = std::fs::remove_file(l);
            }
            outq.clear();
            log.write(json!({"fault": "unplug", "time_s": now, "stream": stream_no, "packet": k, "counter": k % 256}));
            eprintln!("firmware-sim: unplugged at {now:.3} s");
        }
        if let (Some(at), Some(after)) = (unplugged_at, cfg.faults.replug_after)
            && now - at >= after
        {
            unplugged_at = None;
            let p = Pty::open()?;
            publish(&p)?;
            pty = Some(p);
            // The dongle restarts; the driver will redo the handshake. The board itself kept
            // running but the link is fresh: not streaming.
            if board.streaming {
                board.streaming = false;
            }
            log.write(json!({"fault": "replug", "time_s": now, "unplugged_s": now - at}));
            eprintln!("firmware-sim: replugged at {now:.3} s");
        }

        // Commands.
        let wait_ms: u16 = if board.streaming { 1 } else { 5 };
        if let Some(p) = pty.as_mut() {
            inbuf.clear();
            p.read(wait_ms, &mut inbuf)?;
            if !inbuf.is_empty() {
                board.input(&inbuf, now);
            }
        } else {
            std::thread::sleep(std::time::Duration::from_millis(u64::from(wait_ms)));
        }
        board.poll(now);
        for ev in std::mem::take(&mut board.events) {
            match ev {
                BoardEvent::StreamStarted => {
                    stream_no += 1;
                    sig_base = sig_pos;
                    stream_t0 = now;
                    k = 0;
                    first_stream_at.get_or_insert(now);
                }
                BoardEvent::StreamStopped => {}
                BoardEvent::Garbage(n) => {
                    log.write(json!({"fault": "garbage_on_reset", "bytes": n}))
                }
            }
        }
        // Text first: it was produced by a command before the packets due now.
        if !board.text_out.is_empty() {
            flush_group(&mut pending_group, &mut outq);
            outq.extend(board.text_out.drain(..));
        }
        // Packets.
        if board.streaming {
            let due = ((now - stream_t0) * packet_rate) as u64;
            let n_ch = board.n_channels();
            let rate = if n_ch == 16 { 125.0 } else { 250.0 };
            while k < due {
                let (s, first_ch) = if n_ch == 16 {
                    (sig_base + k / 2, if k % 2 == 1 { 0 } else { 8 })
                } else {
                    (sig_base + k, 0)
                };
                sig_pos = if n_ch == 16 {
                    sig_base + k / 2 + 1
                } else {
                    sig_base + k + 1
                };
                let mut uv = [0f64; 8];
                for (i, v) in uv.iter_mut().enumerate() {
                    *v = cfg.signal.value(first_ch + i, s, rate);
                }
                let accel = (k % 10 == 3).then(|| {
                    let t = k as f64 / 250.0;
                    [
                        (200.0 * (TAU * 0.1 * t).sin()) as i16,
                        (-150.0 * (TAU * 0.07 * t).cos()) as i16,
                        8000,
                    ]
                });
                let board_ms = (now * 1000.0) as u32;
                let mut pkt = board.packet(k, &uv, first_ch, accel, board_ms);
                let counter = k % 256;
                // Decide faults in a fixed order so the sequence depends only on the seed.
                let u_drop = rng.uniform();
                let u_corrupt = rng.uniform();
                let r_pos = rng.below(33) as usize;
                let r_mask = 1 + rng.below(255) as u8;
                let r_burst = 1 + rng.below(32);
                let since_first = first_stream_at.map_or(0.0, |f| now - f);
                let stalled = cfg
                    .faults
                    .stall
                    .is_some_and(|(at, dur)| since_first >= at && since_first < at + dur);
                k += 1;
                if unplugged_at.is_some() || unplug_done && pty.is_none() {
                    continue;
                }
                if stalled {
                    stall_first.get_or_insert(k - 1);
                    stall_lost += 1;
                    continue;
                }
                if let (Some(first), false) = (stall_first, stall_logged) {
                    stall_logged = true;
                    log.write(json!({"fault": "stall", "stream": stream_no, "packet": first, "counter": first % 256, "samples_lost": stall_lost}));
                }
                if burst_left > 0 || u_drop < cfg.faults.drop {
                    if burst_left == 0 && cfg.faults.burst {
                        burst_left = r_burst;
                    }
                    burst_left = burst_left.saturating_sub(1);
                    log.write(json!({"fault": "drop", "stream": stream_no, "packet": k - 1, "counter": counter, "samples_lost": 1}));
                    continue;
                }
                if outq.len() + pending_group.len() > OUTQ_CAP {
                    // The client stopped reading: the dongle's buffer is full, whole packets are
                    // lost (spec §7.7 models bytes; whole packets keep the log exact).
                    overrun_packets += 1;
                    log.write(json!({"fault": "overrun", "stream": stream_no, "packet": k - 1, "counter": counter, "samples_lost": 1, "total": overrun_packets}));
                    continue;
                }
                if u_corrupt < cfg.faults.corrupt {
                    let from = pkt[r_pos];
                    let to = from ^ r_mask;
                    pkt[r_pos] = to;
                    let lost = (r_pos == 0) || (r_pos == 32 && to & 0xF0 != 0xC0);
                    log.write(json!({"fault": "corrupt", "stream": stream_no, "packet": k - 1, "counter": counter,
                        "offset": r_pos, "from": from, "to": to, "samples_lost": u64::from(lost)}));
                }
                pending_group.extend_from_slice(&pkt);
            }
            let group_due = !cfg.ftdi_bursts || now - last_group_flush >= 0.016 / speed;
            if group_due {
                last_group_flush = now;
                flush_group(&mut pending_group, &mut outq);
            }
        } else {
            flush_group(&mut pending_group, &mut outq);
        }
        // Output.
        if let Some(p) = pty.as_mut()
            && !outq.is_empty()
        {
            let (a, b) = outq.as_slices();
            let mut n = p.write(a);
            if n == a.len() && !b.is_empty() {
                n += p.write(b);
            }
            outq.drain(..n);
        }
    }
    if let Some(l) = &cfg.link {
        let _ = std::fs::remove_file(l);
    }
    Ok(())
}

fn flush_group(group: &mut Vec<u8>, outq: &mut VecDeque<u8>) {
    if !group.is_empty() {
        outq.extend(group.drain(..));
    }
}
