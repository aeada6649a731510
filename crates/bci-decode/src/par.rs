//! Data parallelism over epochs for the batch operations (covariances, Riemannian means,
//! tangent vectors, distances), without a thread pool: scoped threads over contiguous runs.

use std::cell::Cell;

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

/// `f(0), …, f(n - 1)` computed on up to `available_parallelism` scoped threads, each taking a
/// contiguous run of indices, returned in index order — so what callers sum or report does not
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
    let per = n.div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || (t * per..((t + 1) * per).min(n)).map(f).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|h| -> Vec<Result<T>> {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
