"""bci-dsp filters vs scipy and BrainFlow on the same data, in the same run.

    .venv/bin/python benches/filter_vs_scipy.py [--samples 1000000]

Data: 64 channels x N samples (default 1,000,000) of Gaussian noise at 250 Hz; filter
butter(4, [8, 30], 'bandpass') = 4 sections. The data go to a temporary file that the Rust side
(`cargo build --release -p bci-dsp --example filter_throughput`) reads, so both sides see the
same numbers; the Rust side also reports its own f32-vs-f64 error. Times are the best of 3 in
thread CPU time on both sides (steady on a shared machine; equal to wall time when idle), except
zero-phase: bci's whole-array sosfiltfilt filters channel groups on all cores, so it and scipy's
sosfiltfilt are timed in wall time (run it on an idle machine).
Prints a table of throughputs in M samples x channels per second and the ratios.
"""
import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

import numpy as np
from scipy import signal

ROOT = pathlib.Path(__file__).resolve().parents[1]


def best(fn, repeats=3, clock=time.thread_time):
    """Best of `repeats`, by default in thread CPU time as the Rust side measures its one-thread
    paths (fair on a shared machine); `clock=time.perf_counter` for wall time, which is how the
    Rust side times its multi-threaded whole-array sosfilt/sosfiltfilt."""
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def rust_side(path, nch, fs):
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(["cargo", "build", "--release", "-p", "bci-dsp", "--example",
                    "filter_throughput"], cwd=ROOT, check=True)
    exe = target / "release/examples/filter_throughput"
    out = subprocess.run([str(exe), str(path), str(nch), str(fs)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--channels", type=int, default=64)
    args = ap.parse_args()
    nch, n, fs = args.channels, args.samples, 250.0
    load_start = os.getloadavg()[0]
    x = np.random.default_rng(0).standard_normal((nch, n)) * 10.0
    sos = signal.butter(4, [8, 30], "bandpass", fs=fs, output="sos")
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "x.f64"
        x.astype("<f8").tofile(path)
        ours = rust_side(path, nch, fs)

    total = nch * n
    res = {}
    res["scipy sosfilt f64 (channels-first)"] = best(lambda: signal.sosfilt(sos, x, axis=-1))
    x32 = x.astype(np.float32)
    res["scipy sosfilt f32 (channels-first)"] = best(lambda: signal.sosfilt(sos, x32, axis=-1))
    res["scipy sosfiltfilt (wall)"] = best(lambda: signal.sosfiltfilt(sos, x, axis=-1),
                                           clock=time.perf_counter)
    res["scipy welch"] = best(lambda: signal.welch(x, fs=fs, axis=-1))
    try:
        from brainflow.data_filter import DataFilter, FilterTypes

        def bf():
            for c in range(nch):
                row = np.ascontiguousarray(x[c])
                DataFilter.perform_bandpass(row, int(fs), 8.0, 30.0, 4,
                                            FilterTypes.BUTTERWORTH.value, 0.0)
        res["brainflow perform_bandpass"] = best(bf)
    except ImportError:
        print("brainflow not installed: pip install brainflow (scripts/requirements.txt)")

    def m(t):
        return total / t / 1e6

    print(f"data: {nch} channels x {n} samples, butter(4, [8, 30]) = 4 sections; "
          f"bci SIMD kernel: {ours['simd']}")
    print(f"{'':42s} {'time s':>9s} {'M samp*ch/s':>12s}")
    rows = [
        ("bci stream f32 (interleaved, in place)", ours["stream_f32_s"]),
        ("bci stream f64 (interleaved, in place)", ours["stream_f64_s"]),
        (f"bci sosfilt f64 (channels-first, {ours['offline_threads']} thr)", ours["sosfilt_f64_s"]),
        (f"bci sosfiltfilt f64 ({ours['offline_threads']} threads)", ours["sosfiltfilt_s"]),
        (f"bci sosfiltfilt f64 in place ({ours['offline_threads']} thr)", ours["sosfiltfilt_inplace_s"]),
        ("bci welch f64", ours["welch_s"]),
    ] + list(res.items())
    for name, t in rows:
        print(f"{name:42s} {t:9.3f} {m(t):12.1f}")
    sp = res["scipy sosfilt f64 (channels-first)"]
    print("ratios (higher = bci faster):")
    print(f"  causal f32 stream vs scipy sosfilt f64:  {sp / ours['stream_f32_s']:.1f}x")
    print(f"  causal f64 stream vs scipy sosfilt f64:  {sp / ours['stream_f64_s']:.1f}x")
    print(f"  causal f64 array  vs scipy sosfilt f64:  {sp / ours['sosfilt_f64_s']:.1f}x "
          f"(bci wall time on {ours['offline_threads']} threads)")
    if "brainflow perform_bandpass" in res:
        bf = res["brainflow perform_bandpass"]
        print(f"  causal f32 stream vs BrainFlow:          {bf / ours['stream_f32_s']:.1f}x")
        print(f"  causal f64 stream vs BrainFlow:          {bf / ours['stream_f64_s']:.1f}x")
    ff = res["scipy sosfiltfilt (wall)"]
    print(f"  zero-phase vs scipy sosfiltfilt:         {ff / ours['sosfiltfilt_s']:.1f}x new array, "
          f"{ff / ours['sosfiltfilt_inplace_s']:.1f}x in place "
          f"(wall time; bci on {ours['offline_threads']} threads, scipy on one)")
    print(f"  welch vs scipy welch:                    {res['scipy welch'] / ours['welch_s']:.1f}x")
    print(f"f32 stream max error vs f64, relative to output RMS: {ours['f32_max_err_rel_rms']:.2e}")
    # Other jobs on the machine slow both sides; say how loaded it was next to the figures.
    print(f"load average (1 min): {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
