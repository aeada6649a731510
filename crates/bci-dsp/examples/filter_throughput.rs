//! Throughput of the filters, for benches/filter_vs_scipy.py (which runs scipy and BrainFlow on
//! the same data in the same run) and for quick checks. The streaming filter and Welch run on one
//! thread and are timed in this thread's CPU time; the whole-array `sosfilt` and `sosfiltfilt`
//! filter channel groups on all cores and are timed in wall time.
//!
//! `filter_throughput [DATA.f64 N_CHANNELS FS]`: DATA is channels × samples little-endian f64
//! (channel-first, as numpy writes a C-ordered (channels, samples) array). Without arguments,
//! 64 × 1,000,000 LCG samples at 250 Hz. Prints one JSON object of timings (best of 3).

use std::time::Instant;

use bci_dsp::*;
use ndarray::Array2;

/// CPU time of this thread in seconds (the machine may be shared, so on-CPU time is steadier
/// than wall time).
fn thread_cpu_s() -> Option<f64> {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (rc == 0).then_some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
}

/// Time `f` (CPU time of this thread where available).
fn timed<F: FnOnce()>(f: F) -> f64 {
    let (t, c) = (Instant::now(), thread_cpu_s());
    f();
    match (c, thread_cpu_s()) {
        (Some(a), Some(b)) => b - a,
        _ => t.elapsed().as_secs_f64(),
    }
}

/// Wall time of `f` (for work spread over threads).
fn wall<F: FnOnce()>(f: F) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Best of 3 runs; `run` does its own untimed setup and returns the timed part.
fn best<F: FnMut() -> f64>(mut run: F) -> f64 {
    (0..3).map(|_| run()).fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (x, fs) = if args.len() == 4 {
        let bytes = std::fs::read(&args[1])?;
        let nch: usize = args[2].parse()?;
        let fs: f64 = args[3].parse()?;
        let v: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect();
        let n = v.len() / nch;
        (Array2::from_shape_vec((nch, n), v)?, fs)
    } else {
        let n = std::env::var("BCI_BENCH_SAMPLES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        let nch = 64;
        let mut state = 1u64;
        let v: Vec<f64> = (0..nch * n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect();
        (Array2::from_shape_vec((nch, n), v)?, 250.0)
    };
    let (nch, n) = x.dim();
    let sos = butter(4, Band::Bandpass(8.0, 30.0), fs)?;
    // Interleaved frames, as a stream delivers them.
    let mut frames = vec![0.0f64; nch * n];
    for c in 0..nch {
        for i in 0..n {
            frames[i * nch + c] = x[(c, i)];
        }
    }
    let frames32: Vec<f32> = frames.iter().map(|&v| v as f32).collect();
    let mut work = frames.clone();
    let mut work32 = frames32.clone();
    let mut f64_filter = SosFilter::<f64>::new(&sos, nch)?;
    let mut f32_filter = SosFilter::<f32>::new(&sos, nch)?;
    let t_f64 = best(|| {
        work.copy_from_slice(&frames);
        f64_filter.reset();
        timed(|| f64_filter.process(&mut work).expect("process"))
    });
    let t_f32 = best(|| {
        work32.copy_from_slice(&frames32);
        f32_filter.reset();
        timed(|| f32_filter.process(&mut work32).expect("process"))
    });
    // f32 error against f64 on these data, relative to the f64 output's RMS.
    let rms = (work.iter().map(|v| v * v).sum::<f64>() / work.len() as f64).sqrt();
    let f32_err = work
        .iter()
        .zip(&work32)
        .map(|(a, b)| (a - *b as f64).abs())
        .fold(0.0, f64::max)
        / rms;
    let t_sosfilt = best(|| {
        wall(|| {
            sosfilt(&sos, x.view(), Initial::Zero).expect("sosfilt");
        })
    });
    let t_filtfilt = best(|| {
        wall(|| {
            sosfiltfilt(&sos, x.view(), None).expect("sosfiltfilt");
        })
    });
    let t_filtfilt_inplace = best(|| {
        let mut y = x.clone();
        wall(|| {
            sosfiltfilt_inplace(&sos, y.view_mut(), None).expect("sosfiltfilt_inplace");
        })
    });
    let t_welch = best(|| {
        timed(|| {
            welch(x.view(), fs, Welch::default()).expect("welch");
        })
    });
    let samples = (nch * n) as f64;
    println!(
        "{{\"channels\": {nch}, \"samples\": {n}, \"simd\": {}, \
         \"stream_f64_s\": {}, \"stream_f32_s\": {}, \
         \"stream_f64_Msps\": {:.1}, \"stream_f32_Msps\": {:.1}, \
         \"sosfilt_f64_s\": {}, \"sosfiltfilt_s\": {}, \"sosfiltfilt_inplace_s\": {}, \"offline_threads\": {}, \"welch_s\": {}, \"f32_max_err_rel_rms\": {:e}}}",
        SosFilter::<f64>::new(&sos, nch)?.is_simd(),
        t_f64,
        t_f32,
        samples / t_f64 / 1e6,
        samples / t_f32 / 1e6,
        t_sosfilt,
        t_filtfilt,
        t_filtfilt_inplace,
        std::thread::available_parallelism().map_or(1, |t| t.get()),
        t_welch,
        f32_err
    );
    Ok(())
}
