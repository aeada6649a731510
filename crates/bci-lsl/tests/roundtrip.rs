//! Real liblsl, both ends in this process: our outlets read back through our inlets, with the
//! values, the time stamps and the stream metadata checked.

use std::time::{Duration, Instant};

use bci_core::Error;
use bci_lsl::{
    ChannelDesc, ChannelFormat, ClockMap, LoadOptions, Lsl, MarkerInlet, Network, NumericInlet,
    Outlet, StreamDef, StreamQuery,
};

const WAIT: Duration = Duration::from_secs(5);

fn lsl() -> Lsl {
    Lsl::load().unwrap_or_else(|e| panic!("liblsl must load (scripts/test.sh creates .venv): {e}"))
}

/// A stream name no other test or process uses.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("bci-lsl-test-{tag}-{}-{nanos}", std::process::id())
}

#[test]
fn float32_eeg_roundtrip_keeps_values_stamps_and_metadata() {
    let lsl = lsl();
    let name = unique("eeg");
    let channels = vec![
        ChannelDesc::new("C3", "microvolts", "EEG"),
        ChannelDesc::new("Cz", "microvolts", "EEG"),
        ChannelDesc::new("C4", "microvolts", "EEG"),
        ChannelDesc::new("Trig", "", "STIM"),
    ];
    let def = StreamDef::new(&name, "EEG", 4, 250.0, ChannelFormat::Float32)
        .with_source_id(format!("{name}-source"))
        .with_channels(channels.clone())
        .with_desc("manufacturer", "bci tests");
    let outlet = Outlet::new(&lsl, &def).expect("outlet");

    let mut inlet =
        NumericInlet::resolve(&lsl, &StreamQuery::Name(name.clone()), WAIT).expect("inlet");
    let meta = inlet.meta().clone();
    assert_eq!(meta.name, name);
    assert_eq!(meta.stream_type, "EEG");
    assert_eq!(meta.channel_count, 4);
    assert_eq!(meta.nominal_rate, 250.0);
    assert_eq!(meta.format, ChannelFormat::Float32);
    assert_eq!(meta.source_id, format!("{name}-source"));
    assert_eq!(meta.channels, channels);
    assert_eq!(meta.labels(), Some(vec!["C3", "Cz", "C4", "Trig"]));
    assert!(
        meta.desc
            .contains(&("manufacturer".to_string(), "bci tests".to_string())),
        "{:?}",
        meta.desc
    );
    // The outlet reports the same header liblsl published.
    let own = outlet.meta().expect("outlet meta");
    assert_eq!(own.uid, meta.uid);
    assert_eq!(own.channels, channels);

    assert!(
        outlet.wait_for_consumers(WAIT),
        "the inlet never subscribed"
    );
    assert!(outlet.have_consumers());

    // 50 chunks of 10 frames; each chunk is stamped with its LAST frame's time.
    let value = |f: usize, c: usize| (f * 4 + c) as f32 * 0.25 - 50.0;
    let t0 = lsl.local_clock();
    let total = 500;
    let mut chunk = Vec::with_capacity(40);
    for first in (0..total).step_by(10) {
        chunk.clear();
        for f in first..first + 10 {
            for c in 0..4 {
                chunk.push(value(f, c));
            }
        }
        let last = (first + 9) as f64;
        outlet
            .push_chunk_f32(&chunk, t0 + last / 250.0)
            .expect("push");
    }

    let mut data = vec![0.0f32; total * 4];
    let mut stamps = vec![0.0f64; total];
    let mut got = 0;
    let deadline = Instant::now() + WAIT;
    while got < total && Instant::now() < deadline {
        got += inlet
            .pull_chunk_f32(
                &mut data[got * 4..],
                &mut stamps[got..],
                Duration::from_millis(200),
            )
            .expect("pull");
    }
    assert_eq!(got, total, "frames received");
    for f in 0..total {
        for c in 0..4 {
            assert_eq!(data[f * 4 + c], value(f, c), "frame {f} channel {c}");
        }
        // Same machine: the clock correction is tiny; a first-frame reading of the stamp
        // would be 36 ms off.
        let want = t0 + f as f64 / 250.0;
        assert!(
            (stamps[f] - want).abs() < 1e-3,
            "frame {f}: stamp {} want {want}",
            stamps[f]
        );
    }
}

#[test]
fn double64_irregular_stream_with_per_frame_stamps() {
    let lsl = lsl();
    let name = unique("pred");
    let def = StreamDef::new(&name, "Predictions", 3, 0.0, ChannelFormat::Double64);
    let outlet = Outlet::new(&lsl, &def).expect("outlet");
    let mut inlet =
        NumericInlet::resolve(&lsl, &StreamQuery::Name(name.clone()), WAIT).expect("inlet");
    assert_eq!(inlet.meta().nominal_rate, 0.0);
    assert_eq!(inlet.meta().format, ChannelFormat::Double64);
    assert!(inlet.meta().channels.is_empty());
    assert!(outlet.wait_for_consumers(WAIT));

    let t0 = lsl.local_clock();
    let frames: Vec<f64> = (0..30).map(|i| (i as f64).sqrt() * 1e-3 + 1e10).collect();
    let stamps: Vec<f64> = (0..10).map(|i| t0 + i as f64 * 0.037).collect();
    outlet
        .push_chunk_f64_stamped(&frames, &stamps)
        .expect("push");

    let mut data = vec![0.0; 30];
    let mut ts = vec![0.0; 10];
    let mut got = 0;
    let deadline = Instant::now() + WAIT;
    while got < 10 && Instant::now() < deadline {
        got += inlet
            .pull_chunk(
                &mut data[got * 3..],
                &mut ts[got..],
                Duration::from_millis(200),
            )
            .expect("pull");
    }
    assert_eq!(got, 10);
    assert_eq!(data, frames, "double values are exact");
    for (i, (a, b)) in ts.iter().zip(&stamps).enumerate() {
        assert!((a - b).abs() < 1e-3, "stamp {i}: {a} vs {b}");
    }
    // Nothing more is waiting.
    let more = inlet
        .pull_chunk(&mut data, &mut ts, Duration::ZERO)
        .expect("pull");
    assert_eq!(more, 0);
}

#[test]
fn markers_reach_the_marker_inlet_with_labels_and_stamps() {
    let lsl = lsl();
    let name = unique("markers");
    let outlet = Outlet::new(&lsl, &StreamDef::markers(&name)).expect("outlet");
    // Resolved by predicate, as a caller picking among several marker streams would.
    let query = StreamQuery::Predicate(format!("name='{name}' and type='Markers'"));
    let mut inlet = MarkerInlet::resolve(&lsl, &query, WAIT).expect("inlet");
    assert_eq!(inlet.meta().format, ChannelFormat::String);
    assert_eq!(inlet.meta().stream_type, "Markers");
    assert!(outlet.wait_for_consumers(WAIT));

    let labels = ["left", "right", "rest ✓", "with, comma", "T=1"];
    // Stamped in the recent past, as a sender stamping at the event would.
    let t0 = lsl.local_clock() - 0.1;
    for (i, l) in labels.iter().enumerate() {
        outlet
            .push_sample_str(&[l], t0 + i as f64 * 0.01)
            .expect("push");
    }
    for (i, l) in labels.iter().enumerate() {
        let (label, ts) = inlet
            .pull(Duration::from_secs(2))
            .expect("pull")
            .unwrap_or_else(|| panic!("marker {i} ({l}) never arrived"));
        assert_eq!(label, *l);
        let want = t0 + i as f64 * 0.01;
        assert!((ts - want).abs() < 1e-3, "marker {i}: {ts} vs {want}");
        assert!(inlet.local_clock() >= ts - 1e-3, "stamp in the future");
    }
    assert_eq!(inlet.pull(Duration::from_millis(50)).expect("pull"), None);
    let tc = inlet.time_correction(WAIT).expect("time correction");
    assert!(tc.abs() < 0.01, "same machine, correction {tc}");
}

#[test]
fn integer_event_codes_arrive_as_text_labels() {
    let lsl = lsl();
    let name = unique("codes");
    let def = StreamDef::new(&name, "Markers", 1, 0.0, ChannelFormat::Int32);
    let outlet = Outlet::new(&lsl, &def).expect("outlet");
    let mut inlet =
        MarkerInlet::resolve(&lsl, &StreamQuery::Name(name.clone()), WAIT).expect("inlet");
    assert!(outlet.wait_for_consumers(WAIT));
    outlet.push_chunk_f64(&[769.0], 0.0).expect("push");
    let (label, _) = inlet
        .pull(Duration::from_secs(2))
        .expect("pull")
        .expect("marker");
    assert_eq!(label, "769");
}

#[test]
fn resolve_lists_streams_by_type_and_all() {
    let lsl = lsl();
    let name = unique("listed");
    let ty = unique("type");
    let _outlet = Outlet::new(
        &lsl,
        &StreamDef::new(&name, &ty, 2, 100.0, ChannelFormat::Float32),
    )
    .expect("outlet");
    let found = lsl
        .resolve(&StreamQuery::Type(ty.clone()), 1, WAIT)
        .expect("resolve");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].meta().name, name);
    assert_eq!(found[0].meta().channel_count, 2);
    let all = lsl
        .resolve(&StreamQuery::All, 0, Duration::from_millis(1000))
        .expect("resolve all");
    assert!(all.iter().any(|s| s.meta().name == name), "{all:?}");
}

#[test]
fn a_stream_nobody_publishes_is_a_clear_error() {
    let lsl = lsl();
    let name = unique("absent");
    let t = Instant::now();
    let err = MarkerInlet::resolve(
        &lsl,
        &StreamQuery::Name(name.clone()),
        Duration::from_millis(300),
    )
    .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3));
    let msg = err.to_string();
    assert!(matches!(err, Error::Device(_)), "{err:?}");
    assert!(
        msg.contains(&name) && msg.contains("sender running"),
        "{msg}"
    );
}

#[test]
fn wrong_stream_kinds_are_mismatches() {
    let lsl = lsl();
    let eeg = unique("eeg-not-markers");
    let _o1 = Outlet::new(
        &lsl,
        &StreamDef::new(&eeg, "EEG", 2, 250.0, ChannelFormat::Float32),
    )
    .expect("outlet");
    let err = MarkerInlet::resolve(&lsl, &StreamQuery::Name(eeg), WAIT).unwrap_err();
    assert!(matches!(err, Error::Mismatch(_)), "{err:?}");
    assert!(err.to_string().contains("float32"), "{err}");

    let mk = unique("markers-not-numeric");
    let _o2 = Outlet::new(&lsl, &StreamDef::markers(&mk)).expect("outlet");
    let err = NumericInlet::resolve(&lsl, &StreamQuery::Name(mk), WAIT).unwrap_err();
    assert!(matches!(err, Error::Mismatch(_)), "{err:?}");
}

#[test]
fn bad_pushes_and_definitions_are_refused_with_reasons() {
    let lsl = lsl();
    let name = unique("bad");
    let outlet = Outlet::new(
        &lsl,
        &StreamDef::new(&name, "EEG", 3, 250.0, ChannelFormat::Float32),
    )
    .expect("outlet");
    let err = outlet.push_chunk_f32(&[1.0; 7], 0.0).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err:?}");
    assert!(err.to_string().contains("7 values"), "{err}");
    let err = outlet.push_chunk_f64(&[1.0; 4], 0.0).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err:?}");
    let err = outlet
        .push_chunk_f64_stamped(&[1.0; 6], &[0.0])
        .unwrap_err();
    assert!(matches!(err, Error::Mismatch(_)), "{err:?}");
    let err = outlet.push_sample_str(&["a", "b"], 0.0).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err:?}");
    // An empty push is a no-op.
    outlet.push_chunk_f32(&[], 0.0).expect("empty push");

    let def = StreamDef::new(unique("labels"), "EEG", 3, 250.0, ChannelFormat::Float32)
        .with_channels([ChannelDesc::new("C3", "microvolts", "EEG")]);
    let err = Outlet::new(&lsl, &def).unwrap_err();
    assert!(matches!(err, Error::Mismatch(_)), "{err:?}");
    for def in [
        StreamDef::new("", "EEG", 3, 250.0, ChannelFormat::Float32),
        StreamDef::new("x", "EEG", 0, 250.0, ChannelFormat::Float32),
        StreamDef::new("x", "EEG", 3, -1.0, ChannelFormat::Float32),
        StreamDef::new("x", "EEG", 3, f64::NAN, ChannelFormat::Float32),
        StreamDef::new("a\0b", "EEG", 3, 250.0, ChannelFormat::Float32),
    ] {
        let err = Outlet::new(&lsl, &def).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { .. }),
            "{def:?}: {err:?}"
        );
    }
    assert!(ChannelFormat::parse("complex128").is_err());
    assert_eq!(ChannelFormat::parse("f32").unwrap(), ChannelFormat::Float32);
}

#[test]
fn the_first_load_fixes_the_network_settings() {
    let lsl = lsl();
    assert_eq!(
        lsl.network(),
        &Network::Loopback,
        "run the tests without LSLAPICFG set"
    );
    assert!(lsl.library_version() >= 116, "{}", lsl.library_version());
    let again = Lsl::load().expect("same options");
    assert_eq!(again.library_path(), lsl.library_path());
    let other = LoadOptions {
        library: None,
        network: Network::LiblslDefault,
    };
    let err = Lsl::load_with(&other).unwrap_err();
    assert!(err.to_string().contains("already loaded"), "{err}");
}

/// The loopback configuration is in force: the outlet's discovery responder (UDP port 16571)
/// listens on 127.0.0.1 only, never on all interfaces.
#[test]
fn discovery_listens_on_loopback_only() {
    let lsl = lsl();
    let _outlet = Outlet::new(
        &lsl,
        &StreamDef::new(unique("scope"), "EEG", 1, 10.0, ChannelFormat::Float32),
    )
    .expect("outlet");
    // Our process's socket inodes.
    let mut inodes = std::collections::HashSet::new();
    for fd in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
        let Ok(fd) = fd else { continue };
        if let Ok(link) = std::fs::read_link(fd.path()) {
            let link = link.to_string_lossy().into_owned();
            if let Some(inode) = link
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
            {
                inodes.insert(inode.to_string());
            }
        }
    }
    let udp = std::fs::read_to_string("/proc/net/udp").expect("/proc/net/udp");
    let mut responders = Vec::new();
    for line in udp.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() > 9 && inodes.contains(cols[9]) && cols[1].ends_with(":40BB") {
            responders.push(cols[1].to_string());
        }
    }
    assert!(
        !responders.is_empty(),
        "no discovery responder on port 16571"
    );
    assert!(
        responders.iter().all(|a| a == "0100007F:40BB"),
        "responders bound beyond 127.0.0.1: {responders:?}"
    );
    // IPv6 is disabled: no responder of ours in /proc/net/udp6.
    let udp6 = std::fs::read_to_string("/proc/net/udp6").unwrap_or_default();
    for line in udp6.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(
            !(cols.len() > 9 && inodes.contains(cols[9])),
            "an IPv6 socket of ours: {line}"
        );
    }
}

#[test]
fn a_closed_outlet_without_source_id_is_a_lost_stream_error() {
    let lsl = lsl();
    let name = unique("lost");
    let outlet = Outlet::new(&lsl, &StreamDef::markers(&name)).expect("outlet");
    let mut inlet =
        MarkerInlet::resolve(&lsl, &StreamQuery::Name(name.clone()), WAIT).expect("inlet");
    assert!(outlet.wait_for_consumers(WAIT));
    outlet.push_sample_str(&["last"], 0.0).expect("push");
    let first = inlet.pull(Duration::from_secs(2)).expect("pull");
    assert_eq!(first.map(|m| m.0), Some("last".to_string()));
    drop(outlet);
    let deadline = Instant::now() + WAIT;
    let err = loop {
        match inlet.pull(Duration::from_millis(200)) {
            Err(e) => break e,
            Ok(None) if Instant::now() < deadline => continue,
            Ok(other) => panic!("no lost-stream error, got {other:?}"),
        }
    };
    assert!(matches!(err, Error::Device(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("lost") && msg.contains(&name), "{msg}");
}

#[test]
fn clock_map_ties_instant_to_lsl_time() {
    let lsl = lsl();
    let start = Instant::now();
    let host = || start.elapsed().as_nanos() as u64;
    let map = ClockMap::measure(&lsl, host);
    std::thread::sleep(Duration::from_millis(20));
    let (h, l) = (host(), lsl.local_clock());
    assert!((map.to_lsl(h) - l).abs() < 1e-3, "{} vs {l}", map.to_lsl(h));
    let back = map.to_host_ns(map.to_lsl(h)).expect("in range");
    assert!(back.abs_diff(h) < 1_000, "{back} vs {h}");
    assert_eq!(map.to_host_ns(f64::NAN), None);
    assert_eq!(map.to_host_ns(map.offset_seconds() - 1.0), None);
}
