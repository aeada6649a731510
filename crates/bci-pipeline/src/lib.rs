//! The threaded live runtime (work in progress).
