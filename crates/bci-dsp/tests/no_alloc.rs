//! After construction, the streaming filter allocates nothing per call (counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bci_dsp::{Band, SosFilter, butter};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn streaming_filter_does_not_allocate_per_call() {
    let sos = butter(4, Band::Bandpass(8.0, 30.0), 250.0).unwrap();
    let mut f64_filter = SosFilter::<f64>::new(&sos, 16).unwrap();
    let mut f32_filter = SosFilter::<f32>::new(&sos, 16).unwrap();
    let mut a = vec![1.0f64; 16 * 250];
    let mut b = vec![1.0f32; 16 * 250];
    let first_a = a[..16].to_vec();
    let first_b = b[..16].to_vec();
    let before = ALLOCS.load(Ordering::SeqCst);
    for size in [1usize, 7, 250, 33] {
        for chunk in a.chunks_mut(16 * size) {
            f64_filter.process(chunk).unwrap();
        }
        for chunk in b.chunks_mut(16 * size) {
            f32_filter.process(chunk).unwrap();
        }
    }
    f64_filter.set_steady_state(&first_a).unwrap();
    f32_filter.set_steady_state(&first_b).unwrap();
    f64_filter.reset();
    let after = ALLOCS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "allocations during streaming");
    // The counter does count: a Vec allocates.
    let v: Vec<u8> = Vec::with_capacity(10);
    assert!(ALLOCS.load(Ordering::SeqCst) > after);
    drop(v);
}
