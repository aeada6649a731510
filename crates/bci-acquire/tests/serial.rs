//! The serial source against real pseudo-terminals: the firmware simulator (run in-process on
//! its own thread) and hand-made bad devices.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bci_acquire::Source;
use bci_acquire::cyton::{CytonOptions, CytonSource};
use firmware_sim::board::{BoardConfig, counts_for};
use firmware_sim::signal::{SignalSource, Synthetic};
use firmware_sim::sim::{Faults, SimConfig};

fn datasets() -> PathBuf {
    match std::env::var_os("BCI_SHARED_DATASETS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
    }
}

struct Sim {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    link: PathBuf,
    _dir: TempDir,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "bci-acq-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start_sim(tag: &str, mut cfg: SimConfig) -> Sim {
    let dir = TempDir::new(tag);
    let link = dir.0.join("ttySim");
    cfg.link = Some(link.clone());
    if let Some(f) = cfg.fault_log.take() {
        cfg.fault_log = Some(dir.0.join(f));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let handle = std::thread::spawn(move || firmware_sim::sim::run(&cfg, &s2).unwrap());
    let t0 = Instant::now();
    while !link.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "simulator did not publish its link"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Sim {
        stop,
        handle: Some(handle),
        link,
        _dir: dir,
    }
}

fn sim_config(signal: SignalSource, speed: f64) -> SimConfig {
    SimConfig {
        board: BoardConfig {
            reset_delay: 0.2,
            ..Default::default()
        },
        signal,
        speed,
        link: None,
        seed: 7,
        faults: Faults::default(),
        fault_log: None,
        ftdi_bursts: false,
        duration: None,
    }
}

fn collect(src: &mut CytonSource, n: u64, limit: Duration) -> Vec<bci_core::Chunk> {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut got = 0;
    while got < n {
        assert!(
            t0.elapsed() < limit,
            "only {got} of {n} samples in {limit:?}"
        );
        if let Some(c) = src.next_chunk(Duration::from_millis(100)).unwrap() {
            got = c.end_sample();
            out.push(c);
        }
    }
    out
}

#[test]
fn replay_over_pty_is_exact() {
    let path = datasets().join("eegmmidb/S001/S001R04.edf");
    let rec = bci_formats::read(&path)
        .unwrap_or_else(|e| panic!("dataset missing: {e} (set BCI_SHARED_DATASETS)"));
    let n_file = rec.n_samples() as u64;
    let map = (0..8).map(Some).collect();
    let speed = 20.0;
    let sim = start_sim(
        "replay",
        sim_config(
            SignalSource::Replay {
                rec: Box::new(rec.clone()),
                map,
            },
            speed,
        ),
    );
    let opts = CytonOptions {
        packet_rate: 250.0 * speed,
        ..Default::default()
    };
    let mut src = CytonSource::open(&sim.link, opts).unwrap();
    assert!(!src.banner().daisy);
    assert_eq!(src.banner().firmware.as_deref(), Some("v3.1.2"));
    src.start().unwrap();
    let chunks = collect(&mut src, n_file, Duration::from_secs(30));
    src.stop().unwrap();
    let s = src.decoder_stats();
    assert_eq!(s.lost_packets, 0, "{s:?}");
    let scale = bci_acquire::packet::uv_per_count(24);
    let mut checked = 0u64;
    for c in &chunks {
        assert!(c.events.is_empty());
        for f in 0..c.n_frames() {
            let idx = c.first_sample + f as u64;
            if idx >= n_file {
                break;
            }
            for ch in 0..8 {
                let want = f64::from(counts_for(rec.data[(ch, idx as usize)], scale)) * scale;
                assert_eq!(c.frame(f)[ch], want, "sample {idx} channel {}", ch + 1);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, n_file);
}

#[test]
fn corrupt_and_drop_losses_match_the_fault_log() {
    let speed = 25.0;
    let mut cfg = sim_config(
        SignalSource::Synthetic {
            scene: Synthetic::Alpha,
            line_uv: 10.0,
            line_hz: 50.0,
            railed: vec![],
            seed: 3,
        },
        speed,
    );
    cfg.faults = Faults {
        corrupt: 0.01,
        drop: 0.01,
        ..Default::default()
    };
    cfg.fault_log = Some("faults.jsonl".into());
    let sim = start_sim("faults", cfg);
    let log = sim._dir.0.join("faults.jsonl");
    let opts = CytonOptions {
        packet_rate: 250.0 * speed,
        ..Default::default()
    };
    let mut src = CytonSource::open(&sim.link, opts).unwrap();
    src.start().unwrap();
    let n = 30_000;
    let chunks = collect(&mut src, n, Duration::from_secs(30));
    src.stop().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    sim.stop.store(true, Ordering::Relaxed);
    let s = src.decoder_stats();
    let end = chunks.last().unwrap().end_sample();
    // Faults logged for packets up to the last one received.
    let text = std::fs::read_to_string(&log).unwrap();
    let expected: u64 = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["packet"].as_u64().is_some_and(|p| p < end))
        .map(|v| v["samples_lost"].as_u64().unwrap_or(0))
        .sum();
    assert!(expected > 100, "too few faults injected: {expected}");
    assert_eq!(s.lost_samples, expected, "{s:?}");
    assert_eq!(s.samples + s.lost_samples, end);
}

fn pty_pair() -> (std::fs::File, PathBuf, std::fs::File) {
    let pair = nix::pty::openpty(None, None).unwrap();
    let path = nix::unistd::ttyname(&pair.slave).unwrap();
    let mut t = nix::sys::termios::tcgetattr(&pair.slave).unwrap();
    nix::sys::termios::cfmakeraw(&mut t);
    nix::sys::termios::tcsetattr(&pair.slave, nix::sys::termios::SetArg::TCSANOW, &t).unwrap();
    (
        std::fs::File::from(pair.master),
        path,
        std::fs::File::from(pair.slave),
    )
}

fn open_err(path: &Path) -> (String, Duration) {
    let t0 = Instant::now();
    let r = CytonSource::open(path, CytonOptions::default());
    let err = match r {
        Ok(_) => panic!("opening {} succeeded", path.display()),
        Err(e) => e.to_string(),
    };
    (err, t0.elapsed())
}

#[test]
fn nonexistent_port() {
    let (e, t) = open_err(Path::new("/dev/ttyUSB_does_not_exist"));
    assert!(e.contains("does not exist"), "{e}");
    assert!(t < Duration::from_secs(1));
}

#[test]
fn silent_port() {
    let (_m, path, _s) = pty_pair();
    let (e, t) = open_err(&path);
    assert!(e.contains("no reply to v"), "{e}");
    assert!(t < Duration::from_secs(5), "{t:?}");
}

#[test]
fn garbage_port() {
    use std::io::Write;
    let (mut m, path, _s) = pty_pair();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let h = std::thread::spawn(move || {
        let mut x = 1u32;
        while !s2.load(Ordering::Relaxed) {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let _ = m.write_all(&x.to_le_bytes());
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let (e, t) = open_err(&path);
    stop.store(true, Ordering::Relaxed);
    h.join().unwrap();
    assert!(e.contains("never with the end marker"), "{e}");
    assert!(t < Duration::from_secs(5), "{t:?}");
}

#[test]
fn board_off_behind_dongle() {
    let mut cfg = sim_config(
        SignalSource::Synthetic {
            scene: Synthetic::Noise,
            line_uv: 0.0,
            line_hz: 50.0,
            railed: vec![],
            seed: 1,
        },
        1.0,
    );
    cfg.board.board_off = true;
    let sim = start_sim("off", cfg);
    let (e, t) = open_err(&sim.link);
    assert!(e.contains("board did not"), "{e}");
    assert!(t < Duration::from_secs(5));
}

#[test]
fn banner_but_never_streams() {
    use std::io::{Read, Write};
    let (mut m, path, _s) = pty_pair();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let h = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        nix::fcntl::fcntl(
            &m,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )
        .unwrap();
        while !s2.load(Ordering::Relaxed) {
            if let Ok(n) = m.read(&mut buf) {
                for &b in &buf[..n] {
                    let reply: &[u8] = match b {
                        b'v' => b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$",
                        b'd' => b"updating channel settings to default$$$",
                        _ => b"",
                    };
                    let _ = m.write_all(reply);
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let t0 = Instant::now();
    let mut src = CytonSource::open(&path, CytonOptions::default()).unwrap();
    src.start().unwrap();
    let err = loop {
        match src.next_chunk(Duration::from_millis(100)) {
            Ok(Some(_)) => panic!("data from a board that sends none"),
            Ok(None) => assert!(t0.elapsed() < Duration::from_secs(6)),
            Err(e) => break e.to_string(),
        }
    };
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(err.contains("no data packets"), "{err}");
    stop.store(true, Ordering::Relaxed);
    drop(src);
    h.join().unwrap();
}

fn alpha() -> SignalSource {
    SignalSource::Synthetic {
        scene: Synthetic::Alpha,
        line_uv: 0.0,
        line_hz: 50.0,
        railed: vec![],
        seed: 5,
    }
}

#[test]
fn stall_longer_than_a_counter_lap_is_counted_from_time() {
    // 1.3 s of silence at 250 packets/s = 325 packets: one whole lap plus 69.
    let mut cfg = sim_config(alpha(), 1.0);
    cfg.faults = Faults {
        stall: Some((0.5, 1.3)),
        ..Default::default()
    };
    cfg.fault_log = Some("faults.jsonl".into());
    let sim = start_sim("stall", cfg);
    let mut src = CytonSource::open(&sim.link, CytonOptions::default()).unwrap();
    src.start().unwrap();
    let chunks = collect(&mut src, 600, Duration::from_secs(10));
    src.stop().unwrap();
    let text = std::fs::read_to_string(sim._dir.0.join("faults.jsonl")).unwrap();
    let stall: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(stall["fault"], "stall");
    let lost = stall["samples_lost"].as_u64().unwrap();
    assert!(lost > 256, "stall too short to test laps: {lost}");
    let s = src.decoder_stats();
    assert_eq!(s.lost_samples, lost, "{s:?}");
    let gaps: Vec<_> = chunks.iter().flat_map(|c| &c.events).collect();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].duration, lost);
    assert_eq!(gaps[0].onset, stall["packet"].as_u64().unwrap());
}

#[test]
fn unplug_and_replug_continue_with_a_gap() {
    let speed = 4.0;
    let mut cfg = sim_config(alpha(), speed);
    cfg.faults = Faults {
        unplug_after: Some(0.8),
        replug_after: Some(0.8),
        ..Default::default()
    };
    let sim = start_sim("unplug", cfg);
    let opts = CytonOptions {
        packet_rate: 250.0 * speed,
        ..Default::default()
    };
    let mut src = CytonSource::open(&sim.link, opts).unwrap();
    src.start().unwrap();
    let t0 = Instant::now();
    let mut chunks = Vec::new();
    let mut notices = Vec::new();
    while src.stats().reconnects == 0
        || chunks
            .iter()
            .map(|c: &bci_core::Chunk| c.n_frames())
            .sum::<usize>()
            < 4000
    {
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "no reconnect: {notices:?}"
        );
        if let Some(c) = src.next_chunk(Duration::from_millis(100)).unwrap() {
            chunks.push(c);
        }
        notices.extend(src.take_notices());
    }
    src.stop().unwrap();
    assert!(
        notices.iter().any(|n| n.contains("disconnected")),
        "{notices:?}"
    );
    assert!(
        notices.iter().any(|n| n.contains("reconnected")),
        "{notices:?}"
    );
    let gaps: Vec<_> = chunks.iter().flat_map(|c| &c.events).collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    // 0.8 s unplugged plus the handshake, at 1000 packets/s: well over 800 samples.
    assert!(gaps[0].duration > 800, "{gaps:?}");
    // Sample indices keep counting across the gap.
    for w in chunks.windows(2) {
        assert!(w[1].first_sample >= w[0].end_sample());
    }
}

#[test]
fn daisy_over_pty() {
    let speed = 10.0;
    let mut cfg = sim_config(alpha(), speed);
    cfg.board.daisy = true;
    let sim = start_sim("daisy", cfg);
    let opts = CytonOptions {
        kind: bci_acquire::BoardKind::CytonDaisy,
        packet_rate: 250.0 * speed,
        ..Default::default()
    };
    let mut src = CytonSource::open(&sim.link, opts).unwrap();
    assert!(src.banner().daisy);
    assert_eq!(src.info().sample_rate, 125.0);
    assert_eq!(src.info().channels.len(), 19);
    src.start().unwrap();
    let chunks = collect(&mut src, 2000, Duration::from_secs(10));
    src.stop().unwrap();
    let s = src.decoder_stats();
    assert_eq!((s.lost_packets, s.lost_samples), (0, 0), "{s:?}");
    assert!(chunks.iter().all(|c| c.n_channels == 19));
}

#[test]
fn cyton_spec_on_a_daisy_board_detaches_it() {
    let mut cfg = sim_config(alpha(), 10.0);
    cfg.board.daisy = true;
    let sim = start_sim("detach", cfg);
    let opts = CytonOptions {
        packet_rate: 2500.0,
        ..Default::default()
    };
    let mut src = CytonSource::open(&sim.link, opts).unwrap();
    src.start().unwrap();
    let chunks = collect(&mut src, 1000, Duration::from_secs(10));
    src.stop().unwrap();
    assert!(chunks.iter().all(|c| c.n_channels == 11));
    assert_eq!(src.decoder_stats().lost_samples, 0);
}

#[test]
fn gain_setting_changes_the_scale() {
    let path = datasets().join("eegmmidb/S001/S001R04.edf");
    let rec = bci_formats::read(&path).unwrap_or_else(|e| panic!("dataset missing: {e}"));
    let map = (0..8).map(Some).collect();
    let speed = 10.0;
    let sim = start_sim(
        "gain",
        sim_config(
            SignalSource::Replay {
                rec: Box::new(rec.clone()),
                map,
            },
            speed,
        ),
    );
    let opts = CytonOptions {
        packet_rate: 250.0 * speed,
        ..Default::default()
    };
    let mut src = CytonSource::open(&sim.link, opts).unwrap();
    let set = bci_acquire::cyton::ChannelSettings {
        gain: 2,
        ..Default::default()
    };
    src.set_channel(1, &set).unwrap();
    // The reply arrives while idle; read it back with a query of the default string.
    assert_eq!(src.query(b"D").unwrap().trim(), "060110");
    assert!(src.set_channel(9, &set).is_err());
    assert!(
        src.set_channel(
            1,
            &bci_acquire::cyton::ChannelSettings {
                gain: 3,
                ..Default::default()
            }
        )
        .is_err()
    );
    src.start().unwrap();
    let chunks = collect(&mut src, 500, Duration::from_secs(10));
    src.stop().unwrap();
    let s2 = bci_acquire::packet::uv_per_count(2);
    let s24 = bci_acquire::packet::uv_per_count(24);
    for c in &chunks {
        for f in 0..c.n_frames() {
            let idx = (c.first_sample + f as u64) as usize;
            assert_eq!(
                c.frame(f)[0],
                f64::from(counts_for(rec.data[(0, idx)], s2)) * s2
            );
            assert_eq!(
                c.frame(f)[1],
                f64::from(counts_for(rec.data[(1, idx)], s24)) * s24
            );
        }
    }
}
