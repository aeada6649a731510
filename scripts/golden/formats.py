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


RAILED_UV = 187000.0


def railed_runs(x, min_run):
    """Runs of |x| >= RAILED_UV of at least min_run samples, merging runs < min_run apart."""
    mask = np.abs(x) >= RAILED_UV
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    starts, ends = np.where(edges == 1)[0], np.where(edges == -1)[0]
    runs = []
    for s0, e0 in zip(starts, ends):
        if runs and s0 - runs[-1][1] < min_run:
            runs[-1][1] = e0
        else:
            runs.append([s0, e0])
    return [(a, b - a) for a, b in runs if b - a >= min_run]


def openbci_summary(path):
    lines = path.read_text().splitlines()
    rate = None
    legacy = True
    for ln in lines:
        if ln.startswith("%"):
            if "Raw EXG Data" in ln:
                legacy = False
            if "Sample Rate =" in ln:
                rate = float(ln.split("=")[1].replace("Hz", "").strip())
    body = [ln for ln in lines if not ln.startswith("%") and ln.strip()]
    if legacy:
        ncol = len(body[0].split(","))
        names = [f"EXG Channel {i}" for i in range(ncol - 4)] + [f"Accel Channel {i}" for i in range(3)]
        cols = list(range(1, ncol))
        table = np.genfromtxt(body, delimiter=",", invalid_raise=False)
        counter = table[:, 0]
        data = table[:, cols]
        marker = None
    else:
        header = [h.strip() for h in body[0].split(",")]
        keep = [i for i, h in enumerate(header)
                if h.startswith(("EXG Channel", "Accel Channel", "Digital Channel", "Analog Channel"))]
        names = [header[i] for i in keep]
        mcol = [i for i, h in enumerate(header) if h.startswith("Marker")]
        table = np.genfromtxt(body[1:], delimiter=",", usecols=[0] + keep + mcol, invalid_raise=False)
        counter = table[:, 0]
        data = table[:, 1:1 + len(keep)]
        marker = table[:, -1] if mcol else None
    events = []
    steps = np.diff(counter.astype(int)) % 256
    step = np.bincount(steps[steps > 0], minlength=256)[1:].argmax() + 1 if len(steps) else 1
    for i in np.where(steps != step)[0]:
        d = steps[i]
        missing = (d - step) // step if d > step else (d + 256 - step) // step
        events.append((i + 1, missing, "gap"))
    if marker is not None:
        for i in np.where(marker != 0)[0]:
            v = marker[i]
            events.append((i, 0, str(int(v)) if v == int(v) else str(v)))
    min_run = max(int(round(rate)), 1)
    for c, name in enumerate(names):
        if name.startswith("EXG"):
            for on, ln in railed_runs(data[:, c], min_run):
                events.append((on, ln, f"railed {name}"))
    ev = [(on / rate, du / rate, lab) for on, du, lab in events]
    return summary(names, rate, data.T.astype(np.float64), ev, f"numpy {np.__version__} genfromtxt")


def counter_gaps(counter):
    steps = np.diff(counter.astype(np.int64)) % 256
    if len(steps) == 0:
        return []
    step = np.bincount(steps[steps > 0], minlength=256)[1:].argmax() + 1
    out = []
    for i in np.where(steps != step)[0]:
        d = steps[i]
        out.append((i + 1, (d - step) // step if d > step else (d + 256 - step) // step, "gap"))
    return out


def npz_summary(path):
    arrays = np.load(path)
    data = arrays["data"].astype(np.float64)  # samples x channels
    stim = arrays["stim"]
    # The sidecar, read with a few lines of text handling (no YAML package in the venv).
    lines = path.with_suffix(".yml").read_text().splitlines()
    rate = next(float(ln.split(":")[1]) for ln in lines if ln.strip().startswith("samplingrate:"))
    i = next(k for k, ln in enumerate(lines) if ln.strip() == "sensors:")
    sensors = []
    for ln in lines[i + 1:]:
        if not ln.strip().startswith("- "):
            break
        sensors.append(ln.strip()[2:].strip())
    j = next(k for k, ln in enumerate(lines) if ln.strip() == "labels:")
    labels = {}
    indent = len(lines[j]) - len(lines[j].lstrip())
    for ln in lines[j + 1:]:
        if len(ln) - len(ln.lstrip()) <= indent:
            break
        k, v = ln.split(":")
        labels[int(v)] = k.strip()
    names = sensors + [f"col{c + 1}" for c in range(len(sensors), data.shape[1])]
    ev = [(s / rate, 0.0, labels.get(int(stim[s]), str(int(stim[s])))) for s in np.nonzero(stim)[0]]
    return summary(names, rate, data.T, ev, f"numpy {np.__version__} np.load")


def brainflow_file():
    """A real BrainFlow file: 1.2 s of the synthetic board with two markers, via write_file."""
    import time

    from brainflow.board_shim import BoardIds, BoardShim, BrainFlowInputParams
    from brainflow.data_filter import DataFilter

    BoardShim.disable_board_logger()
    board_id = BoardIds.SYNTHETIC_BOARD.value
    board = BoardShim(board_id, BrainFlowInputParams())
    board.prepare_session()
    board.start_stream()
    time.sleep(0.5)
    board.insert_marker(7)
    time.sleep(0.4)
    board.insert_marker(3)
    time.sleep(0.3)
    raw = board.get_board_data()
    board.stop_stream()
    board.release_session()
    out = OUT / "brainflow" / "synthetic.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    DataFilter.write_file(raw, str(out), "w")
    rows = DataFilter.read_file(str(out))  # BrainFlow's own reader is the reference
    rate = BoardShim.get_sampling_rate(board_id)
    eeg = BoardShim.get_eeg_channels(board_id)
    accel = BoardShim.get_accel_channels(board_id)
    names = BoardShim.get_eeg_names(board_id) + [f"Accel {k}" for k in range(len(accel))]
    data = rows[eeg + accel, :]
    events = counter_gaps(rows[BoardShim.get_package_num_channel(board_id)])
    marker = rows[BoardShim.get_marker_channel(board_id)]
    events += [(s, 0, str(int(marker[s]))) for s in np.nonzero(marker)[0]]
    ev = [(on / rate, du / rate, lab) for on, du, lab in events]
    write("brainflow/synthetic.csv", summary(names, rate, data, ev,
                                             "brainflow DataFilter.read_file", {"board": "synthetic"}))


def main_numpy():
    for f in sorted((DATASETS / "openbci_gui_samples").glob("*.txt")):
        write(str(f.relative_to(DATASETS)), openbci_summary(f))
    for f in sorted(DATASETS.rglob("*.npz")):
        write(str(f.relative_to(DATASETS)), npz_summary(f))
    brainflow_file()


if __name__ == "__main__":
    main()
    main_numpy()
