"""Golden values for bci_dsp::attention, computed with scipy on a real recording.

Run from the repository root with the reference venv:

    .venv/bin/python scripts/golden/attention.py

Writes tests/golden/attention/s001r04.json. The definition reproduced here (see the module
documentation of crates/bci-dsp/src/attention.rs): every `step` samples, once `window` samples
have arrived, take the last `window` samples of each chosen channel, estimate each channel's PSD
with scipy.signal.welch (periodic Hann, nperseg = segment, 50% overlap, constant detrend,
density), average the PSDs over channels, integrate theta 4-8, alpha 8-13, beta 13-30 and total
1-40 Hz by the trapezoidal rule over the bins inside each closed band, and report
theta/beta, alpha/total and beta/(alpha+theta) (Pope et al., 1995).
The EEG is PhysioNet EEGMMIDB S001R04 read with MNE (µV); the Rust test reads the same EDF.
"""
import json
import math
import os
import pathlib

import mne
import numpy as np
from scipy import signal

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/golden/attention"
DATA = pathlib.Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared/datasets"))
BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "total": (1.0, 40.0)}


def samples(seconds, fs):
    # Rust's f64::round: half away from zero.
    return int(math.floor(seconds * fs + 0.5))


def band(freqs, psd, lo, hi):
    m = (freqs >= lo) & (freqs <= hi)
    return float(np.trapezoid(psd[m], freqs[m]))


def run(x, fs, window_s, step_s, segment_s, channels):
    window, step = samples(window_s, fs), samples(step_s, fs)
    segment = min(samples(segment_s, fs), window)
    n = x.shape[1]
    out = {k: [] for k in ["sample_index_end", "theta_beta", "alpha_rel", "engagement", *BANDS]}
    for end in range(window, n + 1, step):
        seg = x[channels, end - window:end]
        f, p = signal.welch(seg, fs=fs, window="hann", nperseg=segment,
                            noverlap=segment // 2, detrend="constant", scaling="density")
        pm = p.mean(axis=0)
        bp = {k: band(f, pm, *v) for k, v in BANDS.items()}
        out["sample_index_end"].append(end - 1)
        out["theta_beta"].append(bp["theta"] / bp["beta"])
        out["alpha_rel"].append(bp["alpha"] / bp["total"])
        out["engagement"].append(bp["beta"] / (bp["alpha"] + bp["theta"]))
        for k in BANDS:
            out[k].append(bp[k])
    return {"window_seconds": window_s, "step_seconds": step_s, "segment_seconds": segment_s,
            "window": window, "step": step, "segment": segment,
            "channels": [int(c) for c in channels], **out}


def main():
    rel = "eegmmidb/S001/S001R04.edf"
    raw = mne.io.read_raw_edf(DATA / rel, preload=True, verbose="error")
    x = raw.get_data() * 1e6
    fs = float(raw.info["sfreq"])
    names = [c.strip(".") for c in raw.ch_names]
    midline = [names.index(c) for c in ("Fz", "Cz", "Pz", "Oz")]
    cases = [
        {"name": "default_midline", **run(x, fs, 2.0, 0.25, 1.0, midline)},
        {"name": "long_all_channels", **run(x, fs, 4.0, 0.5, 2.0, list(range(x.shape[0])))},
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    doc = {"path": rel, "fs": fs, "n": int(x.shape[1]), "n_channels": int(x.shape[0]),
           "bands": BANDS, "cases": cases}
    (OUT / "s001r04.json").write_text(json.dumps(doc))
    for c in cases:
        print(c["name"], len(c["sample_index_end"]), "windows; mean theta/beta",
              np.mean(c["theta_beta"]), "alpha_rel", np.mean(c["alpha_rel"]),
              "engagement", np.mean(c["engagement"]))


if __name__ == "__main__":
    main()
