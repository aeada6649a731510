//! What the live benchmarks (`live_latency`, `live_scale`) share: argument parsing, the load
//! average, and per-thread CPU time read from /proc while a session runs.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// `--key value` from the command line (cargo adds `--bench`, which is ignored), else the
/// environment variable `env`, else `default`.
pub fn arg(key: &str, env: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    let flag = format!("--{key}");
    for w in args.windows(2) {
        if w[0] == flag {
            return w[1].clone();
        }
    }
    std::env::var(env).unwrap_or_else(|_| default.to_string())
}

pub fn arg_f64(key: &str, env: &str, default: f64) -> f64 {
    let v = arg(key, env, &default.to_string());
    v.parse()
        .unwrap_or_else(|_| panic!("--{key} / {env}: {v:?} is not a number"))
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Clock ticks per second of /proc's CPU times (100 on Linux x86-64).
const TICKS: f64 = 100.0;

/// (user + system) CPU seconds of this process so far.
pub fn process_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| cpu_of_stat(&s))
        .unwrap_or(0.0)
}

fn cpu_of_stat(stat: &str) -> Option<f64> {
    // Fields after the command name (which may contain spaces, in parentheses).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS)
}

fn comm_of_stat(stat: &str) -> Option<String> {
    Some(stat[stat.find('(')? + 1..stat.rfind(')')?].to_string())
}

/// Samples every thread's CPU time twice a second; threads that end keep their last reading.
pub struct ThreadCpu {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<BTreeMap<u64, (String, f64)>>>,
}

impl ThreadCpu {
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::Builder::new()
            .name("bench-cpu-probe".into())
            .spawn(move || {
                let mut seen: BTreeMap<u64, (String, f64)> = BTreeMap::new();
                loop {
                    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
                        for e in dir.flatten() {
                            let Ok(tid) = e.file_name().to_string_lossy().parse::<u64>() else {
                                continue;
                            };
                            if let Ok(st) = std::fs::read_to_string(e.path().join("stat"))
                                && let (Some(c), Some(cpu)) = (comm_of_stat(&st), cpu_of_stat(&st))
                            {
                                seen.insert(tid, (c, cpu));
                            }
                        }
                    }
                    if s.load(Ordering::Acquire) {
                        return seen;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            })
            .expect("probe thread");
        ThreadCpu {
            stop,
            handle: Some(handle),
        }
    }

    /// CPU seconds per thread name (threads of one name summed), highest first.
    pub fn finish(mut self) -> Vec<(String, f64)> {
        self.stop.store(true, Ordering::Release);
        let seen = self
            .handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let mut by_name: BTreeMap<String, f64> = BTreeMap::new();
        for (_, (name, cpu)) in seen {
            *by_name.entry(name).or_default() += cpu;
        }
        let mut v: Vec<(String, f64)> = by_name.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

/// One line per latency summary.
pub fn show_latency(what: &str, l: Option<&bci_pipeline::LatencySummary>) {
    match l {
        Some(l) => println!(
            "  {what:<34} n={:<7} p50={:>8.1} µs  p90={:>8.1} µs  p99={:>8.1} µs  p99.9={:>8.1} µs  max={:>9.1} µs  mean={:>7.1} µs",
            l.count, l.p50_us, l.p90_us, l.p99_us, l.p999_us, l.max_us, l.mean_us
        ),
        None => println!("  {what:<34} (no predictions)"),
    }
}
