//! The test vectors of the protocol spec (shared/docs/openbci-protocol.md §8), TV1..TV9.

use bci_acquire::decoder::{BoardKind, BoardMode, CytonDecoder};
use bci_acquire::framer::Framer;
use bci_acquire::packet::{ACCEL_G_PER_COUNT, Aux, Packet, uv_per_count};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .filter(|t| !t.ends_with(':'))
        .map(|t| u8::from_str_radix(t, 16).unwrap())
        .collect()
}

fn packet(s: &str) -> Packet {
    let b = hex(s);
    Packet::decode(&b.try_into().unwrap())
}

const TV1: &str = "A0 05 00 00 01 FF FF FF 7F FF FF 80 00 00 12 34 56 ED CB AA 00 00 00 00 FF 00 00 10 FF F0 1F 40 C0";
const TV2: &str = "A0 06 FF FF FE 00 00 02 FF FC 18 00 03 E8 FF F0 00 00 10 00 80 00 01 7F FF 00 00 00 00 00 00 00 C0";
const TV3: &str = "A0 2A 00 00 64 FF FF 9C 00 00 C8 FF FF 38 00 01 2C FF FE D4 00 01 90 FF FE 70 02 00 03 FF 00 00 C1";
const TV4A: &str = "A0 07 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 0F A0 00 01 E2 40 C4";
const TV4B: &str = "A0 08 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 F0 60 00 01 E2 44 C3";
const TV5: &str = "A0 63 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 41 00 00 00 00 C1";
const TV6: &str = "A0 02 FF FC 18 FF F8 30 FF F4 48 FF F0 60 FF EC 78 FF E8 90 FF E4 A8 FF E0 C0 03 20 FC E0 1F 40 C0";
const TV7: &str = "A0 03 00 03 E8 00 07 D0 00 0B B8 00 0F A0 00 13 88 00 17 70 00 1B 58 00 1F 40 00 00 00 00 00 00 C0";
const TV9: &str = "
000: 24 24 24 A0 10 A0 12 34 00 00 05 00 00 06 00 00
016: 07 00 00 08 00 00 09 A0 11 00 00 01 00 00 02 00
032: 00 03 00 00 04 00 00 05 00 00 06 00 00 07 00 00
048: 08 00 00 00 00 00 00 C0 A0 12 00 00 00 00 00 00
064: 00 A0 00 00 00 00 00 00 00 00 00 00 00 00 00 00
080: 00 00 00 00 00 00 00 00 C0 A0 14 FF FF FF FF FF
096: FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF
112: FF FF FF 00 00 00 00 00 00 C0";

const S24: f64 = 4.5 / 24.0 / 8_388_607.0 * 1e6;

#[test]
fn scale_factors() {
    assert_eq!(uv_per_count(24), S24);
    assert!((uv_per_count(24) - 0.022351744455307063).abs() < 1e-15);
    assert!((uv_per_count(1) * 8_388_607.0 - 4_500_000.0).abs() < 1e-6);
    assert!((8_388_607.0 * uv_per_count(24) - 187_500.0).abs() < 1e-9);
    assert_eq!(ACCEL_G_PER_COUNT, 0.000125);
}

#[test]
fn tv1_extremes() {
    let p = packet(TV1);
    assert_eq!(p.sample_number, 5);
    assert_eq!(
        p.counts,
        [
            1, -1, 8_388_607, -8_388_608, 1_193_046, -1_193_046, 0, 65_280
        ]
    );
    assert_eq!(p.footer, 0xC0);
    assert_eq!(p.aux(), Aux::Accel(Some([16, -16, 8000])));
    assert!((f64::from(p.counts[4]) * S24 - 26_666.659315).abs() < 1e-6);
    assert!((f64::from(p.counts[3]) * S24 + 187_500.022352).abs() < 1e-6);
    assert!((f64::from(p.counts[7]) * S24 - 1_459.121878).abs() < 1e-6);
    // The encoder is the inverse.
    assert_eq!(p.encode().to_vec(), hex(TV1));
}

#[test]
fn tv2_held_accel_and_no_loss() {
    let p = packet(TV2);
    assert_eq!(
        p.counts,
        [-2, 2, -1000, 1000, -4096, 4096, -8_388_607, 8_388_352]
    );
    assert_eq!(p.aux(), Aux::Accel(None));
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    let mut bytes = hex(TV1);
    bytes.extend(hex(TV2));
    d.push(&bytes, 1_000_000);
    d.flush();
    let c = d.take_chunk().unwrap();
    assert_eq!(c.n_frames(), 2);
    assert_eq!(c.n_channels, 11);
    // Accel held from TV1 in the TV2 frame.
    assert_eq!(&c.frame(1)[8..11], &[0.002, -0.002, 1.0]);
    assert!((c.frame(1)[6] + 187_500.0).abs() < 1e-6);
    assert_eq!(d.stats().lost_packets, 0);
}

#[test]
fn tv3_raw_aux_not_accel() {
    let p = packet(TV3);
    assert_eq!(p.sample_number, 42);
    assert_eq!(p.counts, [100, -100, 200, -200, 300, -300, 400, -400]);
    assert_eq!(p.aux(), Aux::Raw([512, 1023, 0]));
}

#[test]
fn tv4_time_stamps() {
    let a = packet(TV4A);
    let b = packet(TV4B);
    assert_eq!(
        a.aux(),
        Aux::AccelTime {
            axis_word: 4000,
            board_ms: 123_456
        }
    );
    assert_eq!(
        b.aux(),
        Aux::AccelTime {
            axis_word: -4000,
            board_ms: 123_460
        }
    );
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    let mut bytes = hex(TV4A);
    bytes.extend(hex(TV4B));
    d.push(&bytes, 0);
    d.flush();
    let c = d.take_chunk().unwrap();
    assert_eq!(c.n_frames(), 2);
    assert_eq!(c.frame(0)[8], 0.5);
    assert_eq!(c.frame(1)[9], -0.5);
}

#[test]
fn tv5_marker() {
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.set_board_mode(BoardMode::Marker);
    d.push(&hex(TV5), 0);
    d.flush();
    let c = d.take_chunk().unwrap();
    assert!((c.frame(0)[0] - 5.722047).abs() < 1e-6);
    assert_eq!(c.events.len(), 1);
    assert_eq!(c.events[0].label, "marker A");
    assert_eq!(c.events[0].onset, 0);
}

#[test]
fn tv6_tv7_daisy_pair() {
    let mut d = CytonDecoder::new(BoardKind::CytonDaisy, 250.0);
    let mut bytes = hex(TV6);
    bytes.extend(hex(TV7));
    d.push(&bytes, 0);
    d.flush();
    let c = d.take_chunk().unwrap();
    assert_eq!(c.n_channels, 19);
    assert_eq!(c.n_frames(), 1);
    let f = c.frame(0);
    for i in 0..8 {
        let k = (i as f64 + 1.0) * 1000.0;
        assert!((f[i] - k * S24).abs() < 1e-9, "ch {}", i + 1);
        assert!((f[8 + i] + k * S24).abs() < 1e-9, "ch {}", i + 9);
    }
    assert_eq!(&f[16..19], &[0.1, -0.1, 1.0]);
    assert_eq!(d.sample_rate(), 125.0);
}

fn stream(counters: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &c in counters {
        let p = Packet {
            sample_number: c,
            counts: [i32::from(c); 8],
            aux_bytes: [0; 6],
            footer: 0xC0,
        };
        out.extend(p.encode());
    }
    out
}

fn run(kind: BoardKind, counters: &[u8]) -> (CytonDecoder, Vec<bci_core::Chunk>) {
    let mut d = CytonDecoder::new(kind, 250.0);
    // One packet every 4 ms, pushed packet by packet.
    for (i, &c) in counters.iter().enumerate() {
        d.push(&stream(&[c]), (i as u64 + 1) * 4_000_000);
    }
    d.flush();
    let mut chunks = Vec::new();
    while let Some(c) = d.take_chunk() {
        chunks.push(c);
    }
    (d, chunks)
}

#[test]
fn tv8_rollover_and_gaps() {
    let (d, _) = run(BoardKind::Cyton, &[0xFD, 0xFE, 0xFF, 0x00, 0x01]);
    assert_eq!(d.stats().lost_packets, 0);
    assert_eq!(d.stats().samples, 5);
    let (d, chunks) = run(BoardKind::Cyton, &[0xFE, 0x01]);
    assert_eq!(d.stats().lost_packets, 2);
    assert_eq!(d.stats().lost_samples, 2);
    let gap: Vec<_> = chunks.iter().flat_map(|c| &c.events).collect();
    assert_eq!(gap.len(), 1);
    assert_eq!((gap[0].onset, gap[0].duration), (1, 2));
    assert_eq!(chunks.last().unwrap().first_sample, 3);
    let (d, _) = run(BoardKind::Cyton, &[0x12, 0x14]);
    assert_eq!(d.stats().lost_packets, 1);
    let (d, _) = run(BoardKind::Cyton, &[0x57, 0x57]);
    assert_eq!(
        (
            d.stats().lost_packets,
            d.stats().duplicates,
            d.stats().samples
        ),
        (0, 1, 1)
    );
    let (d, chunks) = run(BoardKind::CytonDaisy, &[0xFE, 0xFF, 0x00, 0x01]);
    assert_eq!((d.stats().samples, d.stats().lost_packets), (2, 0));
    assert_eq!(chunks.len(), 1);
}

#[test]
fn tv9_resync_slides_one_byte() {
    let bytes = hex(TV9);
    assert_eq!(bytes.len(), 122);
    let mut f = Framer::new();
    f.push(&bytes);
    let mut frames = Vec::new();
    while let Some(fr) = f.next_frame() {
        frames.push(fr);
    }
    while let Some(fr) = f.next_frame_idle() {
        frames.push(fr);
    }
    let counters: Vec<u8> = frames.iter().map(|f| f.bytes[1]).collect();
    assert_eq!(counters, [0x11, 0x12, 0x14]);
    assert_eq!(f.stats.skipped_bytes, 23);
    let p11 = Packet::decode(&frames[0].bytes);
    assert_eq!(p11.counts, [1, 2, 3, 4, 5, 6, 7, 8]);
    let p12 = Packet::decode(&frames[1].bytes);
    assert_eq!(p12.counts, [0, 0, 40_960, 0, 0, 0, 0, 0]);
    let p14 = Packet::decode(&frames[2].bytes);
    assert_eq!(p14.counts, [-1; 8]);
    // Through the decoder: 3 samples, 1 packet lost.
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.push(&bytes, 0);
    d.flush();
    assert_eq!(d.stats().samples, 3);
    assert_eq!(d.stats().lost_packets, 1);
    assert_eq!(d.stats().framer.skipped_bytes, 23);
}

#[test]
fn tv9_byte_by_byte_gives_the_same() {
    let bytes = hex(TV9);
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    for (i, b) in bytes.iter().enumerate() {
        d.push(std::slice::from_ref(b), i as u64 * 100_000);
    }
    d.flush();
    assert_eq!(
        (
            d.stats().samples,
            d.stats().lost_packets,
            d.stats().framer.skipped_bytes
        ),
        (3, 1, 23)
    );
}

#[test]
fn corrupted_counter_is_repaired_not_a_lap() {
    let mut bytes = stream(&[10, 11, 12, 13, 14]);
    bytes[33 * 2 + 1] = 0x93; // counter 12 damaged in transit
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.push(&bytes, 20_000_000);
    d.flush();
    let s = d.stats();
    assert_eq!((s.samples, s.lost_packets, s.counter_repairs), (5, 0, 1));
}

#[test]
fn whole_lost_laps_from_arrival_time() {
    // 10, 11, then 2.5 s later 12: 625 packets were sent in between (2 laps + 112).
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.push(&stream(&[10]), 4_000_000);
    d.push(&stream(&[11]), 8_000_000);
    let c3 = (11u32 + 1 + 625) as u8;
    d.push(&stream(&[c3]), 8_000_000 + 626 * 4_000_000);
    d.push(&stream(&[c3.wrapping_add(1)]), 8_000_000 + 627 * 4_000_000);
    d.flush();
    assert_eq!(d.stats().lost_packets, 625);
    // A reader 2 s late finds 2 s of packets buffered: not a lap.
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.push(&stream(&[10]), 4_000_000);
    let late: Vec<u8> = (0..500u32).map(|i| (11 + i) as u8).collect();
    d.push(&stream(&late), 2_004_000_000);
    d.flush();
    assert_eq!(d.stats().lost_packets, 0);
}

#[test]
fn restart_after_settings_is_not_loss() {
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.push(&stream(&[100, 101, 102]), 12_000_000);
    d.expect_restart();
    d.push(&stream(&[103, 0, 1, 2]), 40_000_000);
    d.flush();
    let s = d.stats();
    assert_eq!((s.samples, s.lost_packets, s.restarts), (7, 0, 1));
    // Without the command, a jump to 0 is loss.
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.push(&stream(&[100, 101, 102, 0, 1]), 20_000_000);
    d.flush();
    assert_eq!(d.stats().lost_packets, 153);
}

#[test]
fn daisy_pairs_only_adjacent_packets() {
    // Even 4 is lost: odd 5 must not pair with even 2.
    let (d, chunks) = run(BoardKind::CytonDaisy, &[2, 3, 5, 6, 7]);
    let s = d.stats();
    assert_eq!(s.samples, 2);
    assert_eq!(s.lost_packets, 1);
    assert_eq!(s.lost_samples, 1);
    let ev: Vec<_> = chunks.iter().flat_map(|c| &c.events).collect();
    assert_eq!((ev[0].onset, ev[0].duration), (1, 1));
}

#[test]
fn footers_c0_to_cf_accepted_for_framing() {
    let mut bytes = Vec::new();
    for (i, footer) in (0xC0u8..=0xCF).enumerate() {
        let p = Packet {
            sample_number: i as u8,
            counts: [7; 8],
            aux_bytes: [0; 6],
            footer,
        };
        bytes.extend(p.encode());
    }
    let mut d = CytonDecoder::new(BoardKind::Cyton, 250.0);
    d.push(&bytes, 0);
    d.flush();
    assert_eq!((d.stats().samples, d.stats().lost_packets), (16, 0));
}

#[test]
fn garbage_never_panics() {
    let mut d = CytonDecoder::new(BoardKind::CytonDaisy, 250.0);
    let mut x: u32 = 12345;
    let mut buf = Vec::new();
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        buf.push(if x.is_multiple_of(7) {
            0xA0
        } else if x.is_multiple_of(11) {
            0xC0
        } else {
            (x >> 16) as u8
        });
    }
    for (i, part) in buf.chunks(37).enumerate() {
        d.push(part, i as u64 * 1000);
        while d.take_chunk().is_some() {}
    }
    d.flush();
}
