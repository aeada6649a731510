//! Helpers shared by the benchmarks in this folder.
