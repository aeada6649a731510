//! Data parallelism over epochs for the batch operations (covariances, Riemannian means,
//! tangent vectors, distances), without a thread pool: scoped threads over contiguous runs.

use crate::error::Result;

/// `f(0), …, f(n - 1)` computed on up to `available_parallelism` scoped threads, each taking a
/// contiguous run of indices, returned in index order — so what callers sum or report does not
/// depend on the number of threads.
pub(crate) fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> Result<T> + Sync) -> Vec<Result<T>> {
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
