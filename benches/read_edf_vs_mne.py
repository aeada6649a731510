"""Reading S001R04.edf (64 channels x 20,000 samples, EDF+): bci-formats vs MNE, same file, same run.

    .venv/bin/python benches/read_edf_vs_mne.py

Runs the criterion bench `read_edf` (cargo bench -p bci-benches --bench read_edf), takes its
median from target/criterion/.../estimates.json, times `mne.io.read_raw_edf(preload=True)` on the
same file (median of repeated runs after a warm-up), and prints both and the ratio.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
EDF = DATASETS / "eegmmidb/S001/S001R04.edf"


def rust_median_s():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(["cargo", "bench", "-p", "bci-benches", "--bench", "read_edf", "--",
                    "--noplot", "--measurement-time", "5"], cwd=ROOT, check=True)
    est = json.loads((target / "criterion/read_edf_S001R04/new/estimates.json").read_text())
    return est["median"]["point_estimate"] / 1e9


def mne_median_s(repeats=20):
    import mne

    mne.set_log_level("ERROR")
    mne.io.read_raw_edf(EDF, preload=True)  # warm-up: imports, page cache
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        raw = mne.io.read_raw_edf(EDF, preload=True)
        times.append(time.perf_counter() - t0)
    assert raw.get_data().shape == (64, 20000)
    return statistics.median(times), mne.__version__


def main():
    if not EDF.exists():
        sys.exit(f"{EDF} not found (set BCI_SHARED_DATASETS)")
    rust = rust_median_s()
    mne_s, version = mne_median_s()
    print(f"\nS001R04.edf, 64 ch x 20000 samples, preload into memory:")
    print(f"  bci-formats read      : {rust * 1e3:8.3f} ms (criterion median)")
    print(f"  MNE {version} read_raw_edf: {mne_s * 1e3:8.3f} ms (median of 20)")
    print(f"  ratio MNE / bci       : {mne_s / rust:8.1f}x")


if __name__ == "__main__":
    main()
