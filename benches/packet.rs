//! Cyton packet decoding: throughput on one core, and the latency from a packet's last byte
//! being readable on the serial port to its chunk being handed on by `CytonSource::next_chunk`.
//!
//! Run: `cargo bench -p bci-benches --bench packet -- --noplot`
//! The latency group also prints p50/p99/max over 5000 packets written one by one to a real
//! pseudo-terminal (the full path: the reader thread's read, the hand-over, framing, loss
//! accounting, scaling).

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bci_acquire::Source;
use bci_acquire::cyton::{CytonOptions, CytonSource};
use bci_acquire::decoder::{BoardKind, CytonDecoder};
use bci_acquire::packet::Packet;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn packets(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 33);
    let mut x: u32 = 1;
    for k in 0..n {
        let mut counts = [0i32; 8];
        for c in counts.iter_mut() {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *c = (x >> 12) as i32 - (1 << 19);
        }
        let aux = if k % 10 == 3 {
            [0, 16, 255, 240, 31, 64]
        } else {
            [0; 6]
        };
        out.extend(
            Packet {
                sample_number: k as u8,
                counts,
                aux_bytes: aux,
                footer: 0xC0,
            }
            .encode(),
        );
    }
    out
}

fn throughput(c: &mut Criterion) {
    let n = 25_000;
    let bytes = packets(n);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(n as u64));
    for (name, kind) in [
        ("cyton_8ch", BoardKind::Cyton),
        ("cyton_daisy_16ch", BoardKind::CytonDaisy),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut d = CytonDecoder::new(kind, 250.0);
                // Reads of 528 bytes (16 packets), as a reader with a 1 ms FTDI timer sees them.
                for (i, part) in bytes.chunks(528).enumerate() {
                    d.push(part, i as u64 * 64_000_000);
                    while let Some(ch) = d.take_chunk() {
                        std::hint::black_box(ch);
                    }
                }
                d.flush();
                std::hint::black_box(d.stats())
            })
        });
    }
    g.finish();
}

/// A pty with a responder that completes the handshake, then stays out of the way.
fn fake_board() -> (
    std::fs::File,
    std::path::PathBuf,
    std::fs::File,
    Arc<AtomicBool>,
    std::thread::JoinHandle<std::fs::File>,
) {
    let pair = nix::pty::openpty(None, None).expect("openpty");
    let path = nix::unistd::ttyname(&pair.slave).expect("ttyname");
    let mut t = nix::sys::termios::tcgetattr(&pair.slave).expect("tcgetattr");
    nix::sys::termios::cfmakeraw(&mut t);
    nix::sys::termios::tcsetattr(&pair.slave, nix::sys::termios::SetArg::TCSANOW, &t).expect("raw");
    let master = std::fs::File::from(pair.master);
    let slave = std::fs::File::from(pair.slave);
    let writer = master.try_clone().expect("clone");
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    let h = std::thread::spawn(move || {
        let mut m = master;
        let mut buf = [0u8; 64];
        nix::fcntl::fcntl(
            &m,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )
        .expect("nonblock");
        while !d2.load(Ordering::Relaxed) {
            if let Ok(n) = m.read(&mut buf) {
                for &b in &buf[..n] {
                    let reply: &[u8] = match b {
                        b'v' => b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$",
                        b'd' => b"updating channel settings to default$$$",
                        b'b' => {
                            d2.store(true, Ordering::Relaxed);
                            b""
                        }
                        _ => b"",
                    };
                    let _ = m.write_all(reply);
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        m
    });
    (writer, path, slave, done, h)
}

fn latency(c: &mut Criterion) {
    let (mut w, path, _slave, _done, h) = fake_board();
    let mut src = CytonSource::open(&path, CytonOptions::default()).expect("handshake");
    src.start().expect("start");
    let _m = h.join().expect("responder");
    let all = packets(6000);
    let mut k = 0usize;
    let mut added: Vec<Duration> = Vec::new();
    let mut one =
        |w: &mut std::fs::File, src: &mut CytonSource, added: &mut Vec<Duration>| -> Duration {
            let p = &all[(k % 6000) * 33..(k % 6000 + 1) * 33];
            let mut pkt = [0u8; 33];
            pkt.copy_from_slice(p);
            pkt[1] = k as u8;
            k += 1;
            let t0 = Instant::now();
            w.write_all(&pkt).expect("write");
            match src.next_chunk(Duration::from_millis(50)) {
                Ok(Some(ch)) => {
                    // The reader thread stamped the bytes when its read returned them.
                    let handed = bci_acquire::monotonic_ns();
                    added.push(Duration::from_nanos(handed.saturating_sub(ch.host_time_ns)));
                    t0.elapsed()
                }
                Ok(None) => panic!("packet {k} not handed on within 50 ms"),
                Err(e) => panic!("{e}"),
            }
        };
    // Warm up, then a fixed sample for the percentiles.
    for _ in 0..200 {
        one(&mut w, &mut src, &mut added);
    }
    added.clear();
    let mut lat: Vec<Duration> = (0..5000)
        .map(|_| one(&mut w, &mut src, &mut added))
        .collect();
    let report = |what: &str, v: &mut Vec<Duration>| {
        v.sort();
        let pct = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
        println!(
            "{what}, {} packets: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
            v.len(),
            pct(0.5),
            pct(0.9),
            pct(0.99),
            v[v.len() - 1]
        );
    };
    report(
        "added latency (bytes read by the reader thread -> chunk handed on)",
        &mut added,
    );
    report(
        "end to end over a pty (write to master -> chunk handed on)",
        &mut lat,
    );
    c.bench_function("latency/pty_packet_to_chunk", |b| {
        b.iter_custom(|iters| {
            let mut sink = Vec::new();
            (0..iters).map(|_| one(&mut w, &mut src, &mut sink)).sum()
        })
    });
    let _ = src.stop();
}

fn config() -> Criterion {
    Criterion::default()
        .without_plots()
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1))
}

criterion_group! { name = benches; config = config(); targets = throughput, latency }
criterion_main!(benches);
