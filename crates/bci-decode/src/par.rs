//! Data parallelism over epochs for the batch operations (covariances, Riemannian means,
//! tangent vectors, distances), without a thread pool: scoped threads taking the next index as they finish one.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Result;

thread_local! {
    static SEQUENTIAL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with this crate's batch operations kept on the calling thread: for callers that
/// already spread their work over threads (the benchmark runs folds in parallel) or promise to
/// use one core.
pub fn sequential<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SEQUENTIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SEQUENTIAL.with(|s| s.replace(true)));
    f()
}

/// `f(0), …, f(n - 1)` computed on up to `available_parallelism` scoped threads, each taking the
/// next index as it finishes one, returned in index order — so what callers sum or report does not
/// depend on the number of threads.
pub(crate) fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> Result<T> + Sync) -> Vec<Result<T>> {
    if SEQUENTIAL.with(Cell::get) {
        return (0..n).map(f).collect();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(n / 2);
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    // Indices are handed out one at a time (the cost per epoch varies: eigen-decompositions
    // take more or fewer QL sweeps), then put back in index order.
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<T>)> = std::thread::scope(|scope| {
        let (f, next) = (&f, &next);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break out;
                        }
                        out.push((i, f(i)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
