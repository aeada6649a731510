//! The streaming attention index against scipy on real EEG (golden from
//! scripts/golden/attention.py, tests/golden/attention/), and no allocation per push.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bci_dsp::attention::{AttentionConfig, AttentionIndex, AttentionMonitor};
use common::*;
use serde_json::Value;

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Only the thread under test counts: the other test in this binary runs concurrently.
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn note_alloc() {
    if COUNTING.with(|c| c.get()) {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn golden_attention() -> Value {
    let path = workspace_root().join("tests/golden/attention/s001r04.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `.venv/bin/python scripts/golden/attention.py`",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("golden JSON parses")
}

/// S001R04 as interleaved frames, its rate and channel count.
fn frames_of_s001r04(g: &Value) -> (Vec<f64>, f64, usize) {
    let (x, fs) = read_edf_uv(&datasets().join(g["path"].as_str().unwrap()));
    assert_eq!(fs, g["fs"].as_f64().unwrap());
    let (nch, n) = x.dim();
    assert_eq!(n, g["n"].as_u64().unwrap() as usize);
    let mut frames = vec![0.0; nch * n];
    for c in 0..nch {
        for i in 0..n {
            frames[i * nch + c] = x[(c, i)];
        }
    }
    (frames, fs, nch)
}

fn config_of(case: &Value) -> AttentionConfig {
    AttentionConfig {
        window_seconds: case["window_seconds"].as_f64().unwrap(),
        step_seconds: case["step_seconds"].as_f64().unwrap(),
        segment_seconds: case["segment_seconds"].as_f64().unwrap(),
        channels: Some(
            case["channels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap() as usize)
                .collect(),
        ),
        ..Default::default()
    }
}

#[test]
fn attention_index_equals_scipy_on_s001r04() {
    let g = golden_attention();
    let (frames, fs, nch) = frames_of_s001r04(&g);
    for case in g["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut m = AttentionMonitor::new(fs, nch, config_of(case)).unwrap();
        assert_eq!(m.window_len(), case["window"].as_u64().unwrap() as usize);
        assert_eq!(m.step_len(), case["step"].as_u64().unwrap() as usize);
        // Irregular chunk sizes: the schedule and values must not depend on them.
        let mut out: Vec<AttentionIndex> = Vec::new();
        let sizes = [1usize, 7, 33, 250, 13];
        let mut start = 0;
        let mut k = 0;
        while start < frames.len() {
            let len = (sizes[k % sizes.len()] * nch).min(frames.len() - start);
            m.push(&frames[start..start + len], &mut out).unwrap();
            start += len;
            k += 1;
        }
        let ends: Vec<u64> = case["sample_index_end"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(out.len(), ends.len(), "{name}: number of windows");
        let mut worst = 0.0f64;
        for key in [
            "theta_beta",
            "alpha_rel",
            "engagement",
            "theta",
            "alpha",
            "beta",
            "total",
        ] {
            let want = f64s(&case[key]);
            for (i, (v, w)) in out.iter().zip(&want).enumerate() {
                assert_eq!(v.sample_index_end, ends[i], "{name}: window {i} end");
                let got = match key {
                    "theta_beta" => v.theta_beta,
                    "alpha_rel" => v.alpha_rel,
                    "engagement" => v.engagement,
                    "theta" => v.theta,
                    "alpha" => v.alpha,
                    "beta" => v.beta,
                    _ => v.total,
                };
                let err = (got - w).abs() / w.abs();
                worst = worst.max(err);
                assert!(err < 1e-10, "{name} {key} window {i}: {got} vs scipy {w}");
            }
        }
        eprintln!(
            "{name}: {} windows, worst relative difference to scipy {worst:e}",
            out.len()
        );
    }
}

#[test]
fn attention_push_does_not_allocate() {
    let g = golden_attention();
    let (frames, fs, nch) = frames_of_s001r04(&g);
    let mut m = AttentionMonitor::new(fs, nch, AttentionConfig::default()).unwrap();
    let mut out = Vec::with_capacity(4096);
    let mut count = 0usize;
    COUNTING.with(|c| c.set(true));
    let before = ALLOCS.load(Ordering::SeqCst);
    for chunk in frames.chunks(nch * 16) {
        m.push(chunk, &mut out).unwrap();
        m.push_with(&[], |_| count += 1).unwrap();
    }
    m.reset(100);
    m.push_with(&frames[..nch * 400], |_| count += 1).unwrap();
    let after = ALLOCS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "allocations while pushing");
    assert!(out.len() > 400, "{} indices", out.len());
    assert_eq!(count, 3, "indices after the reset (ends 419, 459, 499)");
    // The counter does count.
    let v: Vec<u8> = Vec::with_capacity(10);
    assert!(ALLOCS.load(Ordering::SeqCst) > after);
    drop(v);
    COUNTING.with(|c| c.set(false));
}
