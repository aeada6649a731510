//! `firmware-sim`: an OpenBCI Cyton (or Cyton+Daisy) on a pseudo-terminal.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use clap::Parser;
use firmware_sim::board::BoardConfig;
use firmware_sim::signal::{SignalSource, Synthetic};
use firmware_sim::sim::{Faults, SimConfig, run};

/// Emulates OpenBCI Cyton / Cyton+Daisy firmware v3.1 and its dongle on a pseudo-terminal.
/// Prints the port path (the --link path if given) on stdout when ready; runs until killed.
#[derive(Parser, Debug)]
#[command(name = "firmware-sim", version)]
struct Args {
    /// Emulate a Daisy module (16 channels, 125 Hz per channel).
    #[arg(long)]
    daisy: bool,
    /// Make PATH a symlink to the pty slave (replaced atomically on replug).
    #[arg(long, value_name = "PATH")]
    link: Option<PathBuf>,
    /// Run the board clock N times faster than real time.
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    speed: f64,
    /// Seed of every random choice (noise, faults).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Synthetic scene: alpha, ssvep:F (Hz), mi (motor imagery ERD), noise.
    #[arg(long, default_value = "alpha")]
    signal: String,
    /// Mains interference amplitude in µV (0: none).
    #[arg(long, default_value_t = 0.0, value_name = "UV")]
    line_noise: f64,
    /// Mains frequency in Hz.
    #[arg(long, default_value_t = 50.0, value_name = "HZ")]
    line_freq: f64,
    /// Channels (1-based, comma-separated) stuck at full scale.
    #[arg(long, value_delimiter = ',', value_name = "CH,..")]
    railed: Vec<usize>,
    /// Replay a recording (any format bci reads) instead of a synthetic scene: one packet per
    /// file sample (no resampling), looping at the end.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// File channels (1-based) feeding board channels 1.. (default: the first 8 or 16).
    #[arg(long, value_delimiter = ',', value_name = "CH,..")]
    channels: Vec<usize>,
    /// Seconds between `v` and the reset banner.
    #[arg(long, default_value_t = 1.0, value_name = "S")]
    reset_delay: f64,
    /// Send binary junk (packets in flight) before the reset banner.
    #[arg(long)]
    garbage_on_reset: bool,
    /// The board is off: the dongle answers every command with its communications-timeout failure.
    #[arg(long)]
    board_off: bool,
    /// Probability per packet of one corrupted byte.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    corrupt: f64,
    /// Probability per packet of losing the packet.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    drop: f64,
    /// Lost packets come in bursts of 1 to 32.
    #[arg(long)]
    burst: bool,
    /// Stop sending for S seconds (the board keeps sampling) ...
    #[arg(long, value_name = "S")]
    stall: Option<f64>,
    /// ... starting T seconds after streaming first starts.
    #[arg(long, default_value_t = 1.0, value_name = "T")]
    stall_at: f64,
    /// The device vanishes S seconds after streaming first starts.
    #[arg(long, value_name = "S")]
    unplug_after: Option<f64>,
    /// ... and comes back S seconds later on the same --link path.
    #[arg(long, value_name = "S")]
    replug_after: Option<f64>,
    /// Write every injected fault as a JSON line with the packets/samples affected.
    #[arg(long, value_name = "FILE")]
    fault_log: Option<PathBuf>,
    /// Deliver packets in bursts every 16 ms like an FTDI chip with its default latency timer.
    #[arg(long)]
    ftdi_bursts: bool,
    /// Exit after S seconds.
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: nix::libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn probability(name: &str, p: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&p) {
        bail!("--{name} {p}: a probability must be in [0, 1]");
    }
    Ok(p)
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("firmware-sim: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<()> {
    let a = Args::parse();
    if !(a.speed.is_finite() && a.speed > 0.0 && a.speed <= 1000.0) {
        bail!("--speed {}: must be in (0, 1000]", a.speed);
    }
    let n_board = if a.daisy { 16 } else { 8 };
    let signal = match &a.replay {
        Some(path) => {
            let rec = bci_formats::read(path)
                .with_context(|| format!("cannot replay {}", path.display()))?;
            let picks: Vec<usize> = if a.channels.is_empty() {
                (0..rec.n_channels().min(n_board)).collect()
            } else {
                let mut v = Vec::new();
                for &c in &a.channels {
                    if c == 0 || c > rec.n_channels() {
                        bail!(
                            "--channels: {c} is not a channel of {} (it has {})",
                            path.display(),
                            rec.n_channels()
                        );
                    }
                    v.push(c - 1);
                }
                v
            };
            if picks.len() > n_board {
                bail!(
                    "--channels: {} channels given, the board has {n_board}",
                    picks.len()
                );
            }
            let board_rate = if a.daisy { 125.0 } else { 250.0 };
            if (rec.sample_rate - board_rate).abs() > 1e-9 {
                eprintln!(
                    "firmware-sim: note: {} is sampled at {} Hz; it is replayed one sample per packet at {board_rate} Hz (no resampling)",
                    path.display(),
                    rec.sample_rate
                );
            }
            let map = (0..n_board).map(|i| picks.get(i).copied()).collect();
            SignalSource::Replay {
                rec: Box::new(rec),
                map,
            }
        }
        None => {
            let scene = Synthetic::parse(&a.signal).map_err(anyhow::Error::msg)?;
            for &r in &a.railed {
                if r == 0 || r > n_board {
                    bail!("--railed: channel {r} does not exist (1..={n_board})");
                }
            }
            SignalSource::Synthetic {
                scene,
                line_uv: a.line_noise,
                line_hz: a.line_freq,
                railed: a.railed.iter().map(|r| r - 1).collect(),
                seed: a.seed,
            }
        }
    };
    let cfg = SimConfig {
        board: BoardConfig {
            daisy: a.daisy,
            reset_delay: a.reset_delay.max(0.0),
            garbage_on_reset: a.garbage_on_reset,
            board_off: a.board_off,
        },
        signal,
        speed: a.speed,
        link: a.link,
        seed: a.seed,
        faults: Faults {
            corrupt: probability("corrupt", a.corrupt)?,
            drop: probability("drop", a.drop)?,
            burst: a.burst,
            stall: a.stall.map(|s| (a.stall_at, s)),
            unplug_after: a.unplug_after,
            replug_after: a.replug_after,
        },
        fault_log: a.fault_log,
        ftdi_bursts: a.ftdi_bursts,
        duration: a.duration,
    };
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        let h = nix::sys::signal::SigHandler::Handler(on_signal);
        let _ = nix::sys::signal::signal(nix::sys::signal::Signal::SIGTERM, h);
        let _ = nix::sys::signal::signal(nix::sys::signal::Signal::SIGINT, h);
    }
    run(&cfg, &STOP)
}
