//! The numeric pushes allocate nothing on the Rust side in steady state: the caller's slice goes
//! straight to liblsl. (liblsl's own C++ buffers are outside Rust's allocator and not counted;
//! liblsl recycles its samples from a pool.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bci_lsl::{ChannelFormat, Lsl, NumericInlet, Outlet, StreamDef, StreamQuery};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn numeric_pushes_allocate_nothing_in_steady_state() {
    let lsl = Lsl::load().expect("liblsl (scripts/test.sh creates .venv)");
    let name = format!("bci-lsl-noalloc-{}", std::process::id());
    let f32_out = Outlet::new(
        &lsl,
        &StreamDef::new(&name, "EEG", 16, 250.0, ChannelFormat::Float32),
    )
    .expect("outlet");
    let f64_out = Outlet::new(
        &lsl,
        &StreamDef::new(
            format!("{name}-d"),
            "Predictions",
            2,
            0.0,
            ChannelFormat::Double64,
        ),
    )
    .expect("outlet");
    // A consumer, so the pushes really travel.
    let mut inlet = NumericInlet::resolve(
        &lsl,
        &StreamQuery::Name(name.clone()),
        Duration::from_secs(5),
    )
    .expect("inlet");
    assert!(f32_out.wait_for_consumers(Duration::from_secs(5)));

    let frames32 = vec![1.5f32; 16 * 10];
    let frames64 = vec![0.25f64; 2];
    let stamps = vec![0.0f64; 1];
    // Warm-up: first pushes may size liblsl's pools and Rust's thread-locals.
    for _ in 0..10 {
        f32_out.push_chunk_f32(&frames32, 0.0).expect("push");
        f64_out.push_chunk_f64(&frames64, 0.0).expect("push");
    }
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..1000 {
        f32_out.push_chunk_f32(&frames32, 0.0).expect("push");
        f64_out.push_chunk_f64(&frames64, 0.0).expect("push");
        f64_out
            .push_chunk_f64_stamped(&frames64, &stamps)
            .expect("push");
        let _ = f32_out.have_consumers();
    }
    COUNTING.store(false, Ordering::SeqCst);
    let n = ALLOCS.load(Ordering::SeqCst);
    assert_eq!(n, 0, "Rust allocations during 3000 numeric pushes");
    // The counter does count (so the zero above is not vacuous): a string push allocates.
    let marker = Outlet::new(&lsl, &StreamDef::markers(format!("{name}-m"))).expect("outlet");
    COUNTING.store(true, Ordering::SeqCst);
    marker.push_sample_str(&["x"], 0.0).expect("push");
    COUNTING.store(false, Ordering::SeqCst);
    assert!(
        ALLOCS.load(Ordering::SeqCst) > 0,
        "the counting allocator saw nothing"
    );

    // The frames did arrive.
    let mut data = vec![0.0f32; 16 * 64];
    let mut ts = vec![0.0; 64];
    let got = inlet
        .pull_chunk_f32(&mut data, &mut ts, Duration::from_secs(2))
        .expect("pull");
    assert!(got > 0);
    assert!(data[..got * 16].iter().all(|&v| v == 1.5));
}
