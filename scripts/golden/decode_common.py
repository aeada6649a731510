"""Shared loaders for the decode golden scripts: real epochs the way MOABB builds them.

Motor imagery (eegmmidb, MOABB PhysionetMI left/right): runs R04, R08, R12 read with MNE, each run
band-passed 8-32 Hz with `raw.filter(8, 32, method='iir')` (MNE's zero-phase Butterworth order 4),
epochs from the T1/T2 annotation onset to +3.0 s inclusive (481 samples at 160 Hz), all 64 EEG
channels in file order, µV. Labels: T1 = left_hand, T2 = right_hand.

SSVEP (ssvep_exoskeleton, MOABB SSVEPExo): each GDF file band-passed 5-45 Hz with the same MNE IIR,
epochs 2-4 s after the class event (33025 = 13 Hz, 33027 = 17 Hz, 33026 = 21 Hz; rest left out),
512 samples at 256 Hz (end exclusive), 8 channels, µV.
"""

import json
import os
from pathlib import Path

import mne
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
GOLDEN = ROOT / "tests" / "golden" / "decode"
INPUTS = ROOT / "target" / "golden" / "decode"

MI_RUNS = (4, 8, 12)
MI_SUBJECTS = (1, 2, 3, 4, 5)
MI_EVENTS = {"T1": "left_hand", "T2": "right_hand"}
MI_TMIN, MI_TMAX = 0.0, 3.0
MI_BAND = (8.0, 32.0)

SSVEP_FILES = sorted(p.name for p in (DATASETS / "ssvep_exoskeleton").glob("*.gdf")) if (
    DATASETS / "ssvep_exoskeleton").is_dir() else []
SSVEP_CLASSES = {"33025": 13.0, "33027": 17.0, "33026": 21.0}
SSVEP_BAND = (5.0, 45.0)
SSVEP_WINDOW = (2.0, 4.0)


def mi_run_path(subject, run):
    return DATASETS / "eegmmidb" / f"S{subject:03d}" / f"S{subject:03d}R{run:02d}.edf"


def load_mi_subject(subject):
    """Epochs (n, 64, 481) in µV, labels (str), onsets (sample index in its run), run numbers."""
    if not DATASETS.is_dir():
        raise SystemExit(f"datasets folder {DATASETS} missing: set BCI_SHARED_DATASETS")
    xs, labels, onsets, runs = [], [], [], []
    for run in MI_RUNS:
        raw = mne.io.read_raw_edf(mi_run_path(subject, run), preload=True, verbose="error")
        events, _ = mne.events_from_annotations(raw, event_id={"T1": 1, "T2": 2}, verbose="error")
        raw.filter(*MI_BAND, method="iir", verbose="error")
        epochs = mne.Epochs(raw, events, event_id={"left_hand": 1, "right_hand": 2},
                            tmin=MI_TMIN, tmax=MI_TMAX, baseline=None, proj=False,
                            preload=True, verbose="error")
        xs.append(epochs.get_data(copy=True) * 1e6)
        inv = {1: "left_hand", 2: "right_hand"}
        labels += [inv[c] for c in epochs.events[:, 2]]
        onsets += [int(s) for s in epochs.events[:, 0]]
        runs += [run] * len(epochs)
    return np.concatenate(xs), labels, onsets, runs


def load_ssvep_file(name):
    """Epochs (n, 8, 512) in µV, target frequencies, onsets (window start sample)."""
    raw = mne.io.read_raw_gdf(DATASETS / "ssvep_exoskeleton" / name, preload=True, verbose="error")
    raw.filter(*SSVEP_BAND, method="iir", verbose="error")
    sf = raw.info["sfreq"]
    data = raw.get_data() * 1e6
    n = int(round((SSVEP_WINDOW[1] - SSVEP_WINDOW[0]) * sf))
    xs, freqs, onsets = [], [], []
    for onset, desc in zip(raw.annotations.onset, raw.annotations.description):
        if desc not in SSVEP_CLASSES:
            continue
        start = int(round(onset * sf)) + int(round(SSVEP_WINDOW[0] * sf))
        if start + n > data.shape[1]:
            continue
        xs.append(data[:, start:start + n])
        freqs.append(SSVEP_CLASSES[desc])
        onsets.append(start)
    return np.stack(xs), freqs, onsets, sf, list(raw.ch_names)


def write_array(path, x, meta):
    """Raw little-endian f64 in C order plus a JSON header beside it (`<path>.json`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    np.ascontiguousarray(x, dtype="<f8").tofile(tmp)
    os.replace(tmp, path)
    meta = dict(meta, shape=list(x.shape))
    tmpj = path.with_suffix(path.suffix + f".json.tmp{os.getpid()}")
    tmpj.write_text(json.dumps(meta))
    os.replace(tmpj, Path(str(path) + ".json"))


def folds_for(y):
    """MOABB's within-session split: StratifiedKFold(5, shuffle=True, random_state=42)."""
    from sklearn.model_selection import StratifiedKFold
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    return [(tr.tolist(), te.tolist()) for tr, te in skf.split(np.zeros(len(y)), y)]
