//! The EDF+/BDF+ writer read back by our reader: values within one quantization step, events at
//! the same samples, record count in the header after every flush, clipping counted, chunking
//! invariance, anonymization, and the reader's refusals (EDF+D gaps, mixed rates).

use std::path::Path;

use bci_core::{Channel, Event, Recording, Subject};
use bci_formats::{EdfWriter, WriteFormat, WriterOptions, write_recording};
use ndarray::Array2;

fn test_recording(n: usize, rate: f64) -> Recording {
    let channels = vec![
        Channel::eeg("C3", -500.0, 500.0),
        Channel::eeg("C4", -500.0, 500.0),
        Channel::eeg("Cz", -500.0, 500.0),
    ];
    let data = Array2::from_shape_fn((3, n), |(c, s)| {
        let t = s as f64 / rate;
        100.0 * (2.0 * std::f64::consts::PI * (5.0 + c as f64) * t).sin() + 7.25 * c as f64
    });
    Recording {
        channels,
        sample_rate: rate,
        data,
        events: vec![
            Event {
                onset: 3,
                duration: 0,
                label: "start".into(),
            },
            Event {
                onset: 100,
                duration: 50,
                label: "T1".into(),
            },
            Event {
                onset: 101,
                duration: 0,
                label: "T2 with ünïcode".into(),
            },
            Event {
                onset: 102,
                duration: 0,
                label: "T3".into(),
            },
        ],
        subject: Subject {
            patient: "P01 M 01-JAN-1990 Doe".into(),
            recording: String::new(),
            start: Some("2024-03-05T10:20:30".into()),
        },
        format: String::new(),
    }
}

fn step(rec: &Recording, c: usize) -> f64 {
    let ch = &rec.channels[c];
    (ch.physical_max - ch.physical_min) / (ch.digital_max - ch.digital_min) as f64
}

fn round_trip(format: WriteFormat, ext: &str) {
    let dir = tempdir();
    let path = dir.join(format!("rt.{ext}"));
    let rec = test_recording(1000, 250.0);
    write_recording(
        &path,
        &rec,
        &WriterOptions {
            format,
            record_duration: 1.0,
            anonymize: false,
        },
    )
    .unwrap();
    let back = bci_formats::read(&path).unwrap();
    assert_eq!(back.sample_rate, 250.0);
    assert_eq!(back.n_samples(), 1000);
    assert_eq!(
        back.channels
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>(),
        ["C3", "C4", "Cz"]
    );
    for c in 0..3 {
        let q = step(&back, c);
        for s in 0..1000 {
            let e = (back.data[[c, s]] - rec.data[[c, s]]).abs();
            assert!(
                e <= q / 2.0 + 1e-9,
                "{ext} ch {c} sample {s}: error {e} > half step {q}"
            );
        }
    }
    assert_eq!(back.events, rec.events);
    assert_eq!(back.subject.start.as_deref(), Some("2024-03-05T10:20:30"));
    assert!(back.subject.patient.starts_with("P01"));
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "bci-formats-test-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

#[test]
fn bdf_round_trip() {
    round_trip(WriteFormat::Bdf, "bdf");
}

#[test]
fn edf_round_trip() {
    round_trip(WriteFormat::Edf, "edf");
}

fn header_count(path: &Path) -> i64 {
    let b = std::fs::read(path).unwrap();
    String::from_utf8_lossy(&b[236..244])
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn count_matches_records_after_every_flush_and_chunking_does_not_matter() {
    let dir = tempdir();
    let rec = test_recording(2500, 250.0);
    let frames: Vec<f64> = (0..rec.n_samples())
        .flat_map(|s| rec.data.column(s).to_vec())
        .collect();
    let opts = WriterOptions {
        format: WriteFormat::Bdf,
        record_duration: 0.5,
        anonymize: false,
    };
    let one = dir.join("one.bdf");
    let mut w = EdfWriter::create(&one, &rec.channels, 250.0, &rec.subject, &opts).unwrap();
    assert_eq!(header_count(&one), 0);
    w.write_frames(&frames).unwrap();
    w.finish().unwrap();

    let many = dir.join("many.bdf");
    let mut w = EdfWriter::create(&many, &rec.channels, 250.0, &rec.subject, &opts).unwrap();
    let mut pos = 0;
    let mut k = 1;
    while pos < frames.len() {
        let take = ((k * 37 % 301) * 3).min(frames.len() - pos);
        w.write_frames(&frames[pos..pos + take]).unwrap();
        pos += take;
        k += 1;
        w.flush().unwrap();
        let len = std::fs::metadata(&many).unwrap().len() as i64;
        let header = 256 * 5;
        let record = (125 * 3 + w_annotation_samples(&many)) * 3;
        assert_eq!(
            header_count(&many),
            (len - header) / record,
            "count after flush"
        );
        assert_eq!((len - header) % record, 0, "only whole records on disk");
        assert_eq!(header_count(&many) as u64, w.records_on_disk());
    }
    w.finish().unwrap();
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&many).unwrap());
}

fn w_annotation_samples(path: &Path) -> i64 {
    let b = std::fs::read(path).unwrap();
    let ns = 4;
    let off = 256 + ns * 216 + 8 * 3;
    String::from_utf8_lossy(&b[off..off + 8])
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn clipping_is_counted_and_values_pinned_to_the_range() {
    let dir = tempdir();
    let p = dir.join("clip.edf");
    let ch = vec![Channel::eeg("A", -100.0, 100.0)];
    let opts = WriterOptions {
        format: WriteFormat::Edf,
        record_duration: 1.0,
        anonymize: false,
    };
    let mut w = EdfWriter::create(&p, &ch, 10.0, &Subject::default(), &opts).unwrap();
    w.write_frames(&[0.0, 150.0, -1000.0, 99.0, f64::NAN, 1.0, 2.0, 3.0, 4.0, 5.0])
        .unwrap();
    assert_eq!(w.clipped(), &[3]);
    w.finish().unwrap();
    let r = bci_formats::read(&p).unwrap();
    assert!((r.data[[0, 1]] - 100.0).abs() < 0.01);
    assert!((r.data[[0, 2]] + 100.0).abs() < 0.01);
}

#[test]
fn anonymize_blanks_identification() {
    let dir = tempdir();
    let p = dir.join("anon.bdf");
    let rec = test_recording(500, 250.0);
    write_recording(
        &p,
        &rec,
        &WriterOptions {
            format: WriteFormat::Bdf,
            record_duration: 1.0,
            anonymize: true,
        },
    )
    .unwrap();
    let b = std::fs::read(&p).unwrap();
    assert_eq!(String::from_utf8_lossy(&b[8..88]).trim_end(), "X X X X");
    assert_eq!(
        String::from_utf8_lossy(&b[88..168]).trim_end(),
        "Startdate X X X X"
    );
    assert_eq!(&b[168..184], b"01.01.8500.00.00");
    assert!(!String::from_utf8_lossy(&b).contains("Doe"));
}

#[test]
fn many_annotations_spill_into_later_records() {
    let dir = tempdir();
    let p = dir.join("spill.bdf");
    let mut rec = test_recording(1000, 250.0);
    rec.events = (0..200)
        .map(|i| Event {
            onset: i,
            duration: 0,
            label: format!("marker number {i}"),
        })
        .collect();
    let opts = WriterOptions {
        format: WriteFormat::Bdf,
        record_duration: 1.0,
        anonymize: false,
    };
    let mut w = EdfWriter::create(&p, &rec.channels, 250.0, &rec.subject, &opts).unwrap();
    for e in &rec.events {
        w.write_event(e).unwrap();
    }
    let frames: Vec<f64> = (0..1000)
        .flat_map(|s| rec.data.column(s).to_vec())
        .collect();
    w.write_frames(&frames).unwrap();
    let report = w.finish_report().unwrap();
    assert!(
        report.extra_annotation_records > 0,
        "200 markers cannot fit in 4 records of 512 bytes"
    );
    let back = bci_formats::read(&p).unwrap();
    assert_eq!(back.events.len(), 200);
    assert_eq!(back.events, rec.events);
}

#[test]
fn rate_and_record_duration_must_give_whole_samples() {
    let dir = tempdir();
    let ch = vec![Channel::eeg("A", -1.0, 1.0)];
    let opts = WriterOptions {
        format: WriteFormat::Bdf,
        record_duration: 0.3,
        anonymize: false,
    };
    let err = EdfWriter::create(&dir.join("x.bdf"), &ch, 125.0, &Subject::default(), &opts)
        .err()
        .unwrap();
    assert!(err.to_string().contains("record_duration"), "{err}");
}

/// Hand-made EDF+ bytes for the reader's refusals.
fn edf_bytes(plus: &str, spr: &[usize], tals: &[Vec<u8>], n_records: usize) -> Vec<u8> {
    let ns = spr.len();
    let mut h = Vec::new();
    let pad = |s: &str, w: usize| {
        let mut v = s.as_bytes().to_vec();
        v.resize(w, b' ');
        v
    };
    h.extend(pad("0", 8));
    h.extend(pad("X X X X", 80));
    h.extend(pad("Startdate X X X X", 80));
    h.extend(pad("01.01.85", 8));
    h.extend(pad("00.00.00", 8));
    h.extend(pad(&(256 * (ns + 1)).to_string(), 8));
    h.extend(pad(plus, 44));
    h.extend(pad(&n_records.to_string(), 8));
    h.extend(pad("1", 8));
    h.extend(pad(&ns.to_string(), 4));
    let labels: Vec<String> = (0..ns)
        .map(|i| {
            if i == ns - 1 {
                "EDF Annotations".into()
            } else {
                format!("S{i}")
            }
        })
        .collect();
    for l in &labels {
        h.extend(pad(l, 16));
    }
    for _ in 0..ns {
        h.extend(pad("", 80));
    }
    for _ in 0..ns {
        h.extend(pad("uV", 8));
    }
    for _ in 0..ns {
        h.extend(pad("-100", 8));
    }
    for _ in 0..ns {
        h.extend(pad("100", 8));
    }
    for _ in 0..ns {
        h.extend(pad("-32768", 8));
    }
    for _ in 0..ns {
        h.extend(pad("32767", 8));
    }
    for _ in 0..ns {
        h.extend(pad("", 80));
    }
    for s in spr {
        h.extend(pad(&s.to_string(), 8));
    }
    for _ in 0..ns {
        h.extend(pad("", 32));
    }
    for tal in tals.iter().take(n_records) {
        for (i, &s) in spr.iter().enumerate() {
            if i == ns - 1 {
                let mut t = tal.clone();
                t.resize(s * 2, 0);
                h.extend(t);
            } else {
                h.extend(vec![0u8; s * 2]);
            }
        }
    }
    h
}

#[test]
fn multiple_tals_per_record_are_all_read() {
    let tals = vec![
        b"+0\x14\x14\x00+0.5\x15\x31.5\x14A\x14B\x14\x00".to_vec(),
        b"+1\x14\x14\x00+1.25\x14C\x14\x00+1.75\x14D\x14\x00".to_vec(),
    ];
    let b = edf_bytes("EDF+C", &[4, 30], &tals, 2);
    let r = bci_formats::read_bytes(&b, Path::new("mem.edf")).unwrap();
    let ev: Vec<(u64, u64, &str)> = r
        .events
        .iter()
        .map(|e| (e.onset, e.duration, e.label.as_str()))
        .collect();
    assert_eq!(ev, [(2, 6, "A"), (2, 6, "B"), (5, 0, "C"), (7, 0, "D")]);
}

#[test]
fn discontinuous_edf_with_a_gap_is_refused() {
    let tals = vec![b"+0\x14\x14\x00".to_vec(), b"+5\x14\x14\x00".to_vec()];
    let b = edf_bytes("EDF+D", &[4, 30], &tals, 2);
    let err = bci_formats::read_bytes(&b, Path::new("gap.edf"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("discontinuous") && err.contains("record 2"),
        "{err}"
    );
    // The same records, contiguous, are read.
    let tals = vec![b"+0\x14\x14\x00".to_vec(), b"+1\x14\x14\x00".to_vec()];
    let b = edf_bytes("EDF+D", &[4, 30], &tals, 2);
    assert_eq!(
        bci_formats::read_bytes(&b, Path::new("ok.edf"))
            .unwrap()
            .n_samples(),
        8
    );
}

#[test]
fn mixed_rates_are_refused_with_the_channels_named() {
    let tals = vec![b"+0\x14\x14\x00".to_vec()];
    let b = edf_bytes("EDF+C", &[4, 8, 30], &tals, 1);
    let err = bci_formats::read_bytes(&b, Path::new("mixed.edf"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("S0") && err.contains("S1") && err.contains("different sampling rates"),
        "{err}"
    );
}

#[test]
fn record_duration_for_avoids_padding() {
    use bci_formats::record_duration_for;
    assert_eq!(record_duration_for(20_000, 160.0, 1.0), 1.0);
    // 57024 samples at 256 Hz: 216 is its largest divisor up to 256 (0.84375 s records).
    let d = record_duration_for(57_024, 256.0, 1.0);
    assert_eq!(d, 216.0 / 256.0);
    assert_eq!(57_024 % (d * 256.0) as usize, 0);
    // A prime count has no divisor in range: keep 1 s (and pad).
    assert_eq!(record_duration_for(10_007, 250.0, 1.0), 1.0);
}

#[test]
fn railed_cyton_values_fit_the_default_range_without_clipping() {
    let dir = tempdir();
    let p = dir.join("railed.bdf");
    let mut ch = Channel::eeg("A", f64::NAN, f64::NAN); // no declared range: the default is used
    ch.physical_min = f64::NAN;
    let opts = WriterOptions {
        format: WriteFormat::Bdf,
        record_duration: 1.0,
        anonymize: false,
    };
    let mut w = EdfWriter::create(&p, &[ch], 4.0, &Subject::default(), &opts).unwrap();
    w.write_frames(&[-187_500.022_351_744, 187_500.0, 0.0, 1.0])
        .unwrap();
    assert_eq!(w.clipped(), &[0]);
    w.finish().unwrap();
}

#[test]
fn gdf_with_empty_records_and_a_huge_count_returns_at_once() {
    // Found by the gdf fuzz target: 0 signals and 2^62 records looped 2^62 times.
    let mut h = vec![b' '; 256];
    h[..8].copy_from_slice(b"GDF 1.25");
    h[184..192].copy_from_slice(&256i64.to_le_bytes());
    h[236..244].copy_from_slice(&(1i64 << 62).to_le_bytes());
    h[244..248].copy_from_slice(&1u32.to_le_bytes());
    h[248..252].copy_from_slice(&1u32.to_le_bytes());
    h[252..256].copy_from_slice(&0u32.to_le_bytes());
    let t = std::time::Instant::now();
    let r = bci_formats::read_bytes(&h, Path::new("empty.gdf")).unwrap();
    assert_eq!(r.n_samples(), 0);
    assert!(t.elapsed().as_secs() < 5);
}
