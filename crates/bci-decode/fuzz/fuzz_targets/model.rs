//! Model-file parser: `Model::from_json` on arbitrary bytes must return a model or an error,
//! never panic; and a model it accepts must then score epochs of its own shape and predict a
//! small recording with its own channels and events without panicking (its shapes were checked
//! at load time).
#![no_main]
use bci_core::{Channel, Event, Recording};
use bci_decode::{Decoder, Model};
use libfuzzer_sys::fuzz_target;
use ndarray::{Array2, Array3};

/// Deterministic, non-degenerate test signal (no two channels proportional).
fn signal(c: usize, t: usize) -> f64 {
    let x = (c as f64 + 1.0) * 0.37 + t as f64 * 0.11 * (1.0 + c as f64 * 0.13);
    x.sin() * 10.0 + ((c * 7 + t * 3) % 11) as f64 * 0.5
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = Model::from_json(text) else {
        return;
    };
    let n_ch = model.channels.len();
    let Ok((start, n)) = model.window.samples(model.sample_rate) else {
        panic!("validated model has a bad window");
    };
    // Keep each run small; big-but-valid models are exercised on their first samples only.
    if n_ch * n > 200_000 {
        return;
    }
    let epochs = Array3::from_shape_fn((2, n_ch, n), |(e, c, t)| signal(c + 3 * e, t));
    let _ = model.pipeline.scores(epochs.view());
    let pad = model.filter.as_ref().map_or(0, |f| f.padlen);
    let lead = (-start).max(0) as usize;
    let len = lead + n + start.max(0) as usize + 8;
    if n_ch * (len + pad) > 400_000 {
        return;
    }
    let rec = Recording {
        channels: model
            .channels
            .iter()
            .map(|c| Channel::eeg(c.clone(), -1000.0, 1000.0))
            .collect(),
        sample_rate: model.sample_rate,
        data: Array2::from_shape_fn((n_ch, len), |(c, t)| signal(c, t)),
        events: model
            .events
            .iter()
            .take(4)
            .map(|e| Event {
                onset: lead as u64,
                duration: 0,
                label: e.event.clone(),
            })
            .collect(),
        subject: Default::default(),
        format: String::new(),
    };
    let _ = model.predict_recording(&rec);
});
