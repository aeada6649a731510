"""The streaming attention index (bci_dsp::attention) vs the same definition in scipy, on the
same real recording, in the same run.

    .venv/bin/python benches/attention_vs_scipy.py

Data: PhysioNet EEGMMIDB S001R04 (64 channels, 160 Hz, 125 s) read with MNE, written to a
temporary raw f64 file that the Rust side
(`cargo build --release -p bci-view --example attention_throughput`) reads. Both sides compute
the default index (2 s windows every 0.25 s, Welch with 1 s Hann segments, channel-mean PSD,
theta/beta, alpha/total, beta/(alpha+theta)) over all 64 channels; the Rust side pushes the
file in 10-frame chunks as a live stream would. Times are the best of 3 wall-clock runs.
Prints both times, the real-time factor of each, the ratio, and checks the means agree.
"""
import json
import math
import os
import pathlib
import subprocess
import tempfile
import time

import mne
import numpy as np
from scipy import signal

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = pathlib.Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared/datasets"))


def scipy_side(x, fs):
    window, step, seg = round(2 * fs), math.floor(0.25 * fs + 0.5), round(fs)
    out = []
    for end in range(window, x.shape[1] + 1, step):
        f, p = signal.welch(x[:, end - window:end], fs=fs, window="hann", nperseg=seg,
                            noverlap=seg // 2, detrend="constant")
        pm = p.mean(axis=0)

        def band(lo, hi):
            m = (f >= lo) & (f <= hi)
            return np.trapezoid(pm[m], f[m])

        th, al, be, to = band(4, 8), band(8, 13), band(13, 30), band(1, 40)
        out.append((th / be, al / to, be / (al + th)))
    return np.array(out)


def main():
    raw = mne.io.read_raw_edf(DATA / "eegmmidb/S001/S001R04.edf", preload=True, verbose="error")
    x = raw.get_data() * 1e6
    fs = float(raw.info["sfreq"])
    nch, n = x.shape
    times = []
    for _ in range(3):
        t = time.perf_counter()
        ref = scipy_side(x, fs)
        times.append(time.perf_counter() - t)
    t_py = min(times)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(["cargo", "build", "--release", "-p", "bci-view", "--example",
                    "attention_throughput"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "x.f64"
        x.astype("<f8").tofile(path)
        ours = json.loads(subprocess.run(
            [str(target / "release/examples/attention_throughput"), str(path), str(nch), str(fs)],
            check=True, capture_output=True, text=True).stdout)
    assert ours["indices"] == len(ref), (ours["indices"], len(ref))
    for k, col in (("theta_beta", 0), ("alpha_rel", 1), ("engagement", 2)):
        assert abs(ours[k] - ref[:, col].mean()) <= 1e-9 * abs(ref[:, col].mean()), k
    dur = n / fs
    print(f"S001R04: {nch} channels x {n} samples ({dur:.0f} s), {len(ref)} indices")
    print(f"scipy   {t_py * 1e3:8.1f} ms  ({dur / t_py:8.0f}x real time)")
    print(f"bci     {ours['seconds'] * 1e3:8.1f} ms  ({dur / ours['seconds']:8.0f}x real time)")
    print(f"ratio   {t_py / ours['seconds']:.1f}x faster; per index "
          f"{ours['seconds'] / len(ref) * 1e6:.0f} µs (bci) vs {t_py / len(ref) * 1e6:.0f} µs (scipy)")


if __name__ == "__main__":
    main()
