//! What the live view costs its own thread: feeding one second of 16 channels at 250 Hz,
//! refreshing the spectra, drawing a 120x40 frame; and the attention index per push.
//!
//! ```text
//! cargo bench -p bci-view --bench view
//! ```

use bci_dsp::attention::{AttentionConfig, AttentionMonitor};
use bci_view::{AttentionIndex, ViewConfig, ViewModel, ViewStats, render_into};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::hint::black_box;

const FS: f64 = 250.0;
const NCH: usize = 16;

fn second_of_signal(start: u64) -> Vec<f64> {
    (0..250u64)
        .flat_map(|i| {
            let t = (start + i) as f64 / FS;
            (0..NCH).map(move |c| {
                20.0 * (std::f64::consts::TAU * (8.0 + c as f64) * t).sin() + (c * 3) as f64
            })
        })
        .collect()
}

fn model_with_data() -> ViewModel {
    let names = (0..NCH).map(|c| format!("E{c}")).collect();
    let mut m = ViewModel::new(ViewConfig::new(FS, names)).unwrap();
    for s in 0..30u64 {
        m.push_frames(s * 250, NCH, &second_of_signal(s * 250))
            .unwrap();
        m.push_marker(s * 250, "cue");
    }
    m.set_class_names(vec!["left".into(), "right".into()]);
    m.push_prediction(7499, "left", &[0.7, 0.3]);
    m.push_attention(AttentionIndex {
        sample_index_end: 7499,
        theta_beta: 1.0,
        alpha_rel: 0.3,
        engagement: 0.5,
        theta: 1.0,
        alpha: 1.0,
        beta: 1.0,
        total: 3.0,
    });
    m.set_stats(ViewStats::default());
    m.update_spectra();
    m
}

fn bench(c: &mut Criterion) {
    let second = second_of_signal(0);
    c.bench_function("view/push 1 s of 16 ch x 250 Hz (25 chunks)", |b| {
        let mut m = model_with_data();
        let mut next = m.next_sample();
        b.iter(|| {
            for chunk in second.chunks(NCH * 10) {
                m.push_frames(next, NCH, black_box(chunk)).unwrap();
                next += 10;
            }
        })
    });
    c.bench_function("view/update_spectra 16 ch", |b| {
        let mut m = model_with_data();
        let mut next = m.next_sample();
        b.iter(|| {
            m.push_frames(next, NCH, &second[..NCH]).unwrap();
            next += 1;
            m.update_spectra();
        })
    });
    c.bench_function("view/render 120x40, 16 ch", |b| {
        let m = model_with_data();
        let area = Rect::new(0, 0, 120, 40);
        let mut buf = Buffer::empty(area);
        b.iter(|| {
            buf.reset();
            render_into(&mut buf, area, black_box(&m));
        })
    });
    c.bench_function(
        "attention/push 10 frames of 16 ch (one index per 63 frames)",
        |b| {
            let mut a = AttentionMonitor::new(FS, NCH, AttentionConfig::default()).unwrap();
            let mut out = Vec::with_capacity(64);
            let mut k = 0usize;
            b.iter(|| {
                let s = (k % 25) * NCH * 10;
                a.push(black_box(&second[s..s + NCH * 10]), &mut out)
                    .unwrap();
                out.clear();
                k += 1;
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
