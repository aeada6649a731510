"""Golden values for the bci-formats readers.

Run with the project venv:  .venv/bin/python scripts/golden/formats.py
It reads every recording in the shared datasets folder (env BCI_SHARED_DATASETS, else
<repo>/../shared/datasets) with the outside reference reader and writes one JSON per file under
tests/golden/formats/, mirroring the dataset tree:

- EDF/EDF+ : mne.io.read_raw_edf(preload=True)
- GDF      : mne.io.read_raw_gdf(preload=True)
- EEGLAB   : mne.io.read_raw_eeglab(preload=True)
- OpenBCI GUI .txt, bi2012 .npz : numpy (np.loadtxt / np.load) on the same file
- BrainFlow CSV : a file written here by BrainFlow's synthetic board + DataFilter.write_file,
  read back with DataFilter.read_file

Each JSON holds channel names, sampling rate, sample count, events (onset s, duration s, label),
values in µV at strided sample indices, and per-channel sums / sums of |x| over all samples.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
OUT = ROOT / "tests" / "golden" / "formats"
N_STRIDED = 48  # sample indices per file (plus first and last) keeps the output small


def strided(n):
    if n == 0:
        return []
    idx = set(np.linspace(0, n - 1, N_STRIDED).round().astype(int).tolist())
    idx |= {0, 1, n - 2, n - 1} if n > 2 else {0, n - 1}
    return sorted(i for i in idx if 0 <= i < n)


def summary(names, sfreq, data_uv, events, reader, extra=None):
    """data_uv: channels x samples float64 array in the units bci reports (µV for voltages)."""
    n = data_uv.shape[1]
    idx = strided(n)
    out = {
        "reader": reader,
        "ch_names": list(names),
        "sfreq": float(sfreq),
        "n_samples": int(n),
        "events": [[float(o), float(d), str(t)] for o, d, t in events],
        "indices": idx,
        "data": [[float(v) for v in data_uv[c, idx]] for c in range(data_uv.shape[0])],
        "sums": [float(s) for s in data_uv.sum(axis=1)],
        "abs_sums": [float(s) for s in np.abs(data_uv).sum(axis=1)],
    }
    if extra:
        out.update(extra)
    return out


def mne_summary(raw, reader):
    import mne  # noqa: F401

    data = raw.get_data()  # volts for voltage channels
    scale = np.array(
        [1e6 if ch["unit"] == 107 else 1.0 for ch in raw.info["chs"]]  # FIFF_UNIT_V
    )
    data_uv = data * scale[:, None]
    ann = raw.annotations
    events = list(zip(ann.onset, ann.duration, ann.description))
    return summary(raw.ch_names, raw.info["sfreq"], data_uv, events, reader)


def write(rel, obj):
    path = OUT / (rel + ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=None, separators=(",", ":")) + "\n")
    print(f"{path.relative_to(ROOT)}: {obj['n_samples']} samples, {len(obj['ch_names'])} ch, "
          f"{len(obj['events'])} events")


def main():
    import mne

    mne.set_log_level("ERROR")
    if not DATASETS.is_dir():
        sys.exit(f"datasets folder not found: {DATASETS} (set BCI_SHARED_DATASETS)")
    for f in sorted(DATASETS.rglob("*.edf")):
        raw = mne.io.read_raw_edf(f, preload=True)
        write(str(f.relative_to(DATASETS)), mne_summary(raw, f"mne {mne.__version__} read_raw_edf"))
    for f in sorted(DATASETS.rglob("*.gdf")):
        raw = mne.io.read_raw_gdf(f, preload=True)
        write(str(f.relative_to(DATASETS)), mne_summary(raw, f"mne {mne.__version__} read_raw_gdf"))
    for f in sorted(DATASETS.rglob("*.set")):
        raw = mne.io.read_raw_eeglab(f, preload=True)
        write(str(f.relative_to(DATASETS)), mne_summary(raw, f"mne {mne.__version__} read_raw_eeglab"))


if __name__ == "__main__":
    main()
