//! The view rendered into ratatui's TestBackend: what a user must see is on screen.

use bci_view::{
    AttentionIndex, BranchStats, ChannelFlag, KeyCode, KeyEvent, KeyModifiers, ViewAction,
    ViewConfig, ViewModel, ViewStats, render,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FS: f64 = 250.0;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Lines of the screen after one draw.
fn screen(model: &ViewModel, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, model)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect()
}

fn is_braille(c: char) -> bool {
    ('\u{2801}'..='\u{28ff}').contains(&c)
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// Four channels, 2 s: Fz a 10 Hz sine, C3 noise-like sum of sines, C4 railed (Cyton limit),
/// O1 flat (constant), plus a prediction, a marker, stats and an attention value.
fn session() -> ViewModel {
    let mut m = ViewModel::new(ViewConfig::new(FS, names(&["Fz", "C3", "C4", "O1"]))).unwrap();
    let n = 500;
    let frames: Vec<f64> = (0..n)
        .flat_map(|i| {
            let t = i as f64 / FS;
            let tau = std::f64::consts::TAU;
            [
                20.0 * (tau * 10.0 * t).sin(),
                8.0 * (tau * 6.0 * t).sin() + 5.0 * (tau * 21.0 * t).cos(),
                -187_000.0 + (i % 3) as f64,
                4.0,
            ]
        })
        .collect();
    // In uneven chunks, as a ring hands them over.
    let mut first = 0u64;
    for chunk in frames.chunks(4 * 37) {
        m.push_frames(first, 4, chunk).unwrap();
        first += (chunk.len() / 4) as u64;
    }
    m.set_class_names(names(&["left", "right"]));
    m.push_prediction(499, "left", &[0.82, 0.18]);
    m.push_marker(300, "stim");
    m.set_stats(ViewStats {
        branches: vec![
            BranchStats {
                name: "rec".into(),
                drops: 0,
            },
            BranchStats {
                name: "dec".into(),
                drops: 3,
            },
            BranchStats {
                name: "view".into(),
                drops: 12,
            },
        ],
        latency_p50_us: Some(212.0),
        latency_p99_us: Some(987.0),
        latency_max_us: None,
        predictions: 1,
    });
    m.push_attention(AttentionIndex {
        sample_index_end: 499,
        theta_beta: 1.25,
        alpha_rel: 0.4,
        engagement: 0.5,
        theta: 1.0,
        alpha: 2.0,
        beta: 1.25,
        total: 5.0,
    });
    m.update_spectra();
    m
}

fn row_of<'a>(lines: &'a [String], label: &str) -> &'a String {
    lines
        .iter()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no row starts with {label}:\n{}", lines.join("\n")))
}

#[test]
fn screen_shows_channels_traces_flags_decoder_markers_and_stats() {
    let m = session();
    assert_eq!(m.channel_flag(0), ChannelFlag::Ok);
    assert_eq!(m.channel_flag(2), ChannelFlag::Railed);
    assert_eq!(m.channel_flag(3), ChannelFlag::Flat);
    for (w, h) in [(80u16, 24u16), (120, 40), (200, 60)] {
        let lines = screen(&m, w, h);
        let all = lines.join("\n");
        let ctx = format!("at {w}x{h}:\n{all}");
        for name in ["Fz", "C3", "C4", "O1"] {
            row_of(&lines, name);
        }
        assert!(row_of(&lines, "Fz").contains(" ok "), "{ctx}");
        assert!(row_of(&lines, "C4").contains("RAIL"), "{ctx}");
        assert!(row_of(&lines, "O1").contains("FLAT"), "{ctx}");
        assert!(!row_of(&lines, "C3").contains("RAIL"), "{ctx}");
        // A trace: braille dots on the rows of Fz's band.
        let traced = lines.iter().filter(|l| l.chars().any(is_braille)).count();
        assert!(traced >= 4, "{ctx}");
        assert!(
            row_of(&lines, "Fz")
                .chars()
                .filter(|&c| is_braille(c))
                .count()
                > 10,
            "{ctx}"
        );
        assert!(
            all.contains("left @499") || all.contains("left @ 499") || all.contains("left"),
            "{ctx}"
        );
        assert!(all.contains("@499"), "prediction's sample index {ctx}");
        assert!(all.contains("0.82"), "{ctx}");
        assert!(all.contains("stim @ 300"), "{ctx}");
        assert!(all.contains("▲stim"), "marker in the trace lane {ctx}");
        assert!(
            all.contains("dec 3") && all.contains("view 12") && all.contains("rec 0"),
            "{ctx}"
        );
        assert!(
            all.contains("p50 212 µs") && all.contains("p99 987 µs"),
            "{ctx}"
        );
        assert!(
            all.contains("250 Hz") && all.contains("500 samples"),
            "{ctx}"
        );
        assert!(
            all.contains("θ/β 1.25") && all.contains("engage 0.50"),
            "{ctx}"
        );
        assert!(all.contains("alpha"), "band bars {ctx}");
    }
}

#[test]
fn tiny_terminal_does_not_panic() {
    let m = session();
    for (w, h) in [(1u16, 1u16), (20, 5), (39, 30), (40, 8), (45, 9), (300, 3)] {
        let lines = screen(&m, w, h);
        assert_eq!(lines.len(), h as usize);
    }
}

#[test]
fn one_sample_spike_survives_decimation() {
    // 20 s of a flat-ish channel with one 190 µV sample: 5000 samples onto ~100 dot columns.
    let draw = |spike: bool| -> Vec<String> {
        let mut cfg = ViewConfig::new(FS, names(&["Cz"]));
        cfg.display_seconds = 20.0;
        let mut m = ViewModel::new(cfg).unwrap();
        let frames: Vec<f64> = (0..5000)
            .map(|i| {
                if spike && i == 2345 {
                    190.0
                } else {
                    (i % 2) as f64
                }
            })
            .collect();
        m.push_frames(0, 1, &frames).unwrap();
        // Fix the scale at ±200 µV: auto off, then step from 100 µV up one.
        m.handle_key(key('a'));
        while m.scale_uv() < 200.0 {
            m.handle_key(key('-'));
        }
        while m.scale_uv() > 200.0 {
            m.handle_key(key('+'));
        }
        screen(&m, 80, 24)
    };
    let with = draw(true);
    let without = draw(false);
    // The band's first row (one above the label row for 4-row bands) holds the peak.
    let label_row = with.iter().position(|l| l.starts_with("Cz")).unwrap();
    let top = label_row - 1;
    let dots = |lines: &[String]| lines[top].chars().filter(|&c| is_braille(c)).count();
    assert_eq!(dots(&without), 0, "{}", without.join("\n"));
    assert!(dots(&with) >= 1, "{}", with.join("\n"));
}

#[test]
fn keys_report_markers_and_change_the_view() {
    let mut m = ViewModel::new(ViewConfig::new(
        FS,
        (1..=16).map(|i| format!("Ch{i}")).collect(),
    ))
    .unwrap();
    let frames: Vec<f64> = (0..16 * 250).map(|i| ((i * 7) % 13) as f64).collect();
    m.push_frames(0, 16, &frames).unwrap();
    assert_eq!(m.handle_key(key('1')), ViewAction::Marker("1".into()));
    assert_eq!(m.handle_key(key('9')), ViewAction::Marker("9".into()));
    assert_eq!(m.handle_key(key('m')), ViewAction::Marker("mark".into()));
    assert_eq!(m.handle_key(key('q')), ViewAction::Quit);
    assert_eq!(
        m.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        ViewAction::Quit
    );
    assert_eq!(
        m.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        ViewAction::Quit
    );
    // Paging: 16 channels do not fit 80x24 at two rows each.
    let first = screen(&m, 80, 24).join("\n");
    assert!(
        first.contains("page 1/2") && first.contains("Ch1 ") && !first.contains("Ch16"),
        "{first}"
    );
    assert_eq!(m.handle_key(key('n')), ViewAction::None);
    let second = screen(&m, 80, 24).join("\n");
    assert!(
        second.contains("page 2/2") && second.contains("Ch16"),
        "{second}"
    );
    // Scale keys leave auto mode and move the scale.
    assert!(first.lines().next().unwrap().contains("auto"), "{first}");
    let before = m.scale_uv();
    m.handle_key(key('+'));
    assert!(m.scale_uv() < before || before == 1.0);
    assert!(!screen(&m, 80, 24)[0].contains("auto"));
    // Band bars <-> PSD.
    m.handle_key(key('p'));
    assert!(screen(&m, 80, 24).join("\n").contains("psd 1-45 Hz"));
    // Time span.
    let span = m.display_seconds();
    m.handle_key(key('<'));
    assert_eq!(m.display_seconds(), span / 2.0);
}

#[test]
fn gaps_are_counted_and_old_frames_ignored() {
    let mut m = ViewModel::new(ViewConfig::new(FS, names(&["A", "B"]))).unwrap();
    m.push_frames(0, 2, &[1.0; 200]).unwrap();
    m.push_frames(150, 2, &[2.0; 100]).unwrap();
    assert_eq!(m.missed_samples(), 50);
    assert_eq!(m.total_samples(), 150);
    m.push_frames(10, 2, &[3.0; 20]).unwrap();
    assert_eq!(m.total_samples(), 150);
    assert_eq!(m.next_sample(), 200);
    assert!(m.push_frames(200, 3, &[0.0; 3]).is_err());
    assert!(m.push_frames(200, 2, &[0.0; 3]).is_err());
    let top = &screen(&m, 80, 24)[0];
    assert!(top.contains("missed 50"), "{top}");
}

#[test]
fn memory_stays_bounded_over_an_hour_of_16_channels() {
    let n_ch = 16;
    let mut m = ViewModel::new(ViewConfig::new(
        FS,
        (0..n_ch).map(|i| format!("E{i}")).collect(),
    ))
    .unwrap();
    let chunk_frames = 25;
    let mut chunk = vec![0.0; n_ch * chunk_frames];
    let mut first = 0u64;
    let hour = (3600.0 * FS) as u64;
    let mut after_warmup = 0usize;
    while first < hour {
        for (k, v) in chunk.iter_mut().enumerate() {
            *v = ((first as usize * 31 + k * 17) % 101) as f64 - 50.0;
        }
        m.push_frames(first, n_ch, &chunk).unwrap();
        first += chunk_frames as u64;
        if first.is_multiple_of(250) {
            m.push_marker(first, "tick");
            m.push_prediction(first, "right", &[0.3, 0.7]);
        }
        if first.is_multiple_of(63) {
            m.push_attention(AttentionIndex {
                sample_index_end: first,
                theta_beta: 1.0,
                alpha_rel: 0.2,
                engagement: 0.4,
                theta: 1.0,
                alpha: 1.0,
                beta: 1.0,
                total: 4.0,
            });
        }
        if first.is_multiple_of(2500) {
            m.update_spectra();
        }
        if first == 120 * 250 {
            after_warmup = m.memory_bytes();
        }
    }
    assert_eq!(m.total_samples(), hour);
    let end = m.memory_bytes();
    assert_eq!(
        end, after_warmup,
        "memory grew from {after_warmup} to {end} bytes"
    );
    assert!(end < 4 << 20, "{end} bytes for 16 channels");
    assert_eq!(m.markers().count(), bci_view::model::MARKERS_KEPT);
    // The newest data are what the screen shows.
    let s = screen(&m, 120, 40).join("\n");
    assert!(s.contains(&format!("{hour} samples")), "{s}");
}

#[test]
fn display_filter_hides_offset_and_drift_but_flags_see_raw_values() {
    // Raw Cyton-like channel: 30 mV offset, 500 µV/s drift, a 20 µV 10 Hz rhythm.
    let raw = |i: u64| {
        let t = i as f64 / FS;
        30_000.0 + 500.0 * t + 20.0 * (std::f64::consts::TAU * 10.0 * t).sin()
    };
    let mut m = ViewModel::new(ViewConfig::new(FS, names(&["Cz", "Rail"]))).unwrap();
    let push = |m: &mut ViewModel, from: u64, n: u64| {
        let frames: Vec<f64> = (from..from + n)
            .flat_map(|i| [raw(i), 170_000.0 + raw(i) * 1e-3])
            .collect();
        for (k, chunk) in frames.chunks(2 * 25).enumerate() {
            m.push_frames(from + 25 * k as u64, 2, chunk).unwrap();
        }
    };
    push(&mut m, 0, 2500);
    assert!(m.display_filter_on());
    // The filtered rhythm sets the scale: ±20 µV fits in ±50 µV with the 1.5x headroom.
    assert!(
        m.scale_uv() <= 50.0,
        "scale {} with the display filter",
        m.scale_uv()
    );
    assert_eq!(m.channel_flag(0), ChannelFlag::Ok);
    // The second channel is at 170 mV raw: railed, though its filtered trace is near zero.
    assert_eq!(m.channel_flag(1), ChannelFlag::Railed);
    let s = screen(&m, 80, 24);
    assert!(s[0].contains("hp 1 Hz"), "{}", s[0]);
    assert!(row_of(&s, "Cz").chars().filter(|&c| is_braille(c)).count() > 10);
    // Raw display: the drift dominates the scale.
    m.handle_key(key('f'));
    push(&mut m, 2500, 2500);
    assert!(!m.display_filter_on());
    assert!(m.scale_uv() >= 200.0, "scale {} on raw drift", m.scale_uv());
    assert!(screen(&m, 80, 24)[0].contains("raw"));
}

#[test]
fn model_and_monitor_move_to_the_view_thread() {
    fn send<T: Send>() {}
    send::<ViewModel>();
    send::<bci_dsp::attention::AttentionMonitor>();
}
