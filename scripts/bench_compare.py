#!/usr/bin/env python3
"""Check a `bci bench` output folder against the Python reference pipelines on the same folds.

Motor imagery (left-right-imagery, hands-feet-imagery on eegmmidb): for every subject in the
results, the runs are read with MNE, band-passed per run as MOABB does (`raw.filter(8, 32,
method='iir')` for the zero-phase mode; `scipy.signal.sosfilt` of the same Butterworth for the
causal mode), cut into 0-3 s epochs, and checked to be the very epochs of our `folds.csv` (same run
and onset, same label). Then the MOABB pipelines (pyRiemann + scikit-learn: CSP+LDA, TS+LR, MDM on
OAS covariances) are fitted on OUR folds (read back from folds.csv) and scored with scikit-learn's
"roc_auc" scorer, fold by fold; the subject score is the mean of the fold scores, as MOABB's.
Our folds are also checked against `StratifiedKFold(5, shuffle=True, random_state=seed)`.

SSVEP (ssvep on ssvep-exo): the files are read with MNE and filtered the same way; a numpy CCA
(QR of both centred blocks, largest singular value of Q_x^T Q_y) against sine/cosine references
predicts each trial, and FBCCA sums the weighted squared correlations over the sub-bands; the
per-trial predictions must equal ours exactly. Prints accuracy and ITR per subject.

Exit status 1 when any score differs by more than --tol or any prediction differs.

Usage: .venv/bin/python scripts/bench_compare.py OUT_DIR [--data DATASETS] [--tol 0.02]
"""

import argparse
import csv
import json
import math
import os
import sys
import time
from pathlib import Path

# One BLAS thread: the reference is compared, not raced, and busy-waiting BLAS threads make it
# crawl on a shared machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))

MI = {
    "left-right-imagery": {"runs": (4, 8, 12), "events": {"T1": "left_hand", "T2": "right_hand"}},
    "hands-feet-imagery": {"runs": (6, 10, 14), "events": {"T1": "hands", "T2": "feet"}},
}
SSVEP_EVENTS = {"33025": "13", "33027": "17", "33026": "21"}


def band_pass(raw, lo, hi, mode):
    """MOABB's per-run filter (zero-phase) or the causal equivalent, in place; returns µV data."""
    import scipy.signal as ss
    if mode == "zero-phase":
        raw.filter(lo, hi, method="iir", verbose="error")
        return raw.get_data() * 1e6
    sos = ss.butter(4, [lo, hi], "bandpass", fs=raw.info["sfreq"], output="sos")
    return ss.sosfilt(sos, raw.get_data() * 1e6, axis=-1)


def load_mi(data_root, paradigm, subject, mode, band=(8.0, 32.0), window=(0.0, 3.0)):
    """Epochs (n, 64, 481) µV, labels, runs, onsets — MOABB's PhysionetMI order."""
    import mne
    spec = MI[paradigm]
    xs, labels, runs, onsets = [], [], [], []
    for run in spec["runs"]:
        path = data_root / "eegmmidb" / f"S{subject:03d}" / f"S{subject:03d}R{run:02d}.edf"
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
        sf = raw.info["sfreq"]
        events, _ = mne.events_from_annotations(raw, event_id={"T1": 1, "T2": 2}, verbose="error")
        data = band_pass(raw, *band, mode)
        start = int(round(window[0] * sf))
        n = int(round((window[1] - window[0]) * sf)) + 1
        inv = {1: spec["events"]["T1"], 2: spec["events"]["T2"]}
        for onset, _, code in events:
            a = onset + start
            if a < 0 or a + n > data.shape[1]:
                continue
            xs.append(data[:, a:a + n])
            labels.append(inv[code])
            runs.append(run)
            onsets.append(int(onset))
    return np.stack(xs), labels, runs, onsets


def mi_pipelines():
    from pyriemann.classification import MDM
    from pyriemann.estimation import Covariances
    from pyriemann.spatialfilters import CSP
    from pyriemann.tangentspace import TangentSpace
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    return {
        "csp-lda": lambda: make_pipeline(Covariances("oas"), CSP(nfilter=6), LDA(solver="svd")),
        "ts-lr": lambda: make_pipeline(Covariances("oas"), TangentSpace(metric="riemann"),
                                       LogisticRegression(C=1.0)),
        "mdm": lambda: make_pipeline(Covariances("oas"), MDM(metric="riemann")),
    }


def read_folds(out_dir):
    """folds.csv rows grouped by (subject, session, pipeline, control, filter)."""
    groups = {}
    with open(out_dir / "folds.csv", newline="") as f:
        for row in csv.DictReader(f):
            key = (int(row["subject"]), row["session"], row["pipeline"], row["control"], row["filter"])
            groups.setdefault(key, []).append(row)
    for rows in groups.values():
        rows.sort(key=lambda r: int(r["epoch"]))
    return groups


def read_results(out_dir):
    with open(out_dir / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def evaluate_mi(x, y, folds, pipelines, names):
    """MOABB-style per-fold ROC-AUC on the given fold assignment; {pipeline: [fold scores]}."""
    from sklearn.metrics import get_scorer
    scorer = get_scorer("roc_auc")
    out = {}
    n_folds = max(folds) + 1
    folds = np.asarray(folds)
    for name in names:
        scores = []
        for k in range(n_folds):
            te = np.where(folds == k)[0]
            tr = np.where(folds != k)[0]
            pipe = pipelines[name]().fit(x[tr], y[tr])
            scores.append(float(scorer(pipe, x[te], y[te])))
        out[name] = scores
    return out


def compare_mi(out_dir, data_root, tol, meta):
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import LabelEncoder
    paradigm = meta["paradigm"]
    groups = read_folds(out_dir)
    results = read_results(out_dir)
    pipes = mi_pipelines()
    failures = 0
    print(f"{'subject':>7} {'filter':>10} {'pipeline':>8} {'ours':>7} {'python':>7} {'diff':>7}")
    for mode in meta["filters"]:
        for subject in meta["subjects"]:
            x, labels, runs, onsets = load_mi(data_root, paradigm, subject, mode)
            y = LabelEncoder().fit_transform(labels)
            names = [p["name"] for p in meta["pipelines"] if p["name"] in pipes
                     and p["kind"] == p["name"]]
            for name in names:
                rows = groups.get((subject, "0", name, "none", mode))
                if rows is None:
                    continue
                # Same epochs, same order, same labels.
                ours = [(int(r["run"]), int(r["onset"]), r["label"]) for r in rows]
                theirs = list(zip(runs, onsets, labels))
                if ours != theirs:
                    print(f"S{subject:03d} {name}: epochs differ from MNE's "
                          f"({len(ours)} vs {len(theirs)})")
                    failures += 1
                    continue
                folds = [int(r["fold"]) for r in rows]
                skf = StratifiedKFold(meta["n_folds"], shuffle=True, random_state=meta["seed"])
                ref = np.empty(len(y), dtype=int)
                for k, (_, te) in enumerate(skf.split(np.zeros(len(y)), y)):
                    ref[te] = k
                if list(ref) != folds:
                    print(f"S{subject:03d} {name}: folds differ from StratifiedKFold")
                    failures += 1
                py = evaluate_mi(x, y, folds, pipes, [name])[name]
                py_score = float(np.mean(py))
                row = next(r for r in results if int(r["subject"]) == subject
                           and r["pipeline"] == name and r["control"] == "none"
                           and r["filter"] == mode)
                ours_score = float(row["score"])
                diff = ours_score - py_score
                bad = abs(diff) > tol
                failures += bad
                print(f"{subject:>7} {mode:>10} {name:>8} {ours_score:7.3f} {py_score:7.3f} "
                      f"{diff:+7.3f}{'  FAIL' if bad else ''}")
    return failures


def cca_corr(x, y):
    """Largest canonical correlation of x (n × p) and y (n × q)."""
    qx, _ = np.linalg.qr(x - x.mean(axis=0))
    qy, _ = np.linalg.qr(y - y.mean(axis=0))
    return float(np.linalg.svd(qx.T @ qy, compute_uv=False)[0])


def cca_refs(freq, n, sf, harmonics):
    t = np.arange(n) / sf
    cols = []
    for h in range(1, harmonics + 1):
        cols += [np.sin(2 * np.pi * h * freq * t), np.cos(2 * np.pi * h * freq * t)]
    return np.stack(cols, axis=1)


def load_ssvep(data_root, subject, mode, bands, window=(2.0, 4.0)):
    """Per band: epochs (n, 8, 513) µV; labels; onsets. Files of the subject in registry order."""
    import mne
    files = sorted((data_root / "ssvep_exoskeleton").glob(f"subject{subject:02d}_*.gdf"))
    if not files:
        raise SystemExit(f"no ssvep_exoskeleton files for subject {subject} under {data_root}")
    per_band = [[] for _ in bands]
    labels, onsets = [], []
    for path in files:
        raw0 = mne.io.read_raw_gdf(path, preload=True, verbose="error")
        sf = raw0.info["sfreq"]
        start = int(round(window[0] * sf))
        n = int(round((window[1] - window[0]) * sf)) + 1
        picked = []
        for onset, desc in zip(raw0.annotations.onset, raw0.annotations.description):
            if desc in SSVEP_EVENTS:
                s = int(round(onset * sf))
                if s + start + n <= raw0.n_times:
                    picked.append((s, SSVEP_EVENTS[desc]))
        picked.sort()
        for b, (lo, hi) in enumerate(bands):
            data = band_pass(raw0.copy(), lo, hi, mode)
            per_band[b] += [data[:, s + start:s + start + n] for s, _ in picked]
        labels += [c for _, c in picked]
        onsets += [s for s, _ in picked]
    return [np.stack(b) for b in per_band], labels, onsets, sf


def itr(n, p, t):
    if p >= 1:
        bits = math.log2(n)
    elif p <= 1 / n:
        bits = 0.0
    else:
        bits = math.log2(n) + p * math.log2(p) + (1 - p) * math.log2((1 - p) / (n - 1))
    return bits * 60 / t


def compare_ssvep(out_dir, data_root, tol, meta):
    groups = read_folds(out_dir)
    classes = meta["classes"]
    freqs = [float(c) for c in classes]
    failures = 0
    print(f"{'subject':>7} {'pipeline':>8} {'trials':>6} {'acc ours':>8} {'acc py':>7} "
          f"{'ITR py':>7} {'same predictions':>16}")
    for mode in meta["filters"]:
        for spec in meta["pipelines"]:
            kind, name = spec["kind"], spec["name"]
            if kind not in ("cca", "fbcca"):
                continue
            harmonics = spec["harmonics"]
            bands = [tuple(meta["band_hz"])]
            if kind == "fbcca":
                bands = [tuple(b) for b in spec["bands"]] if spec.get("bands") else \
                    [(7.0 * k, 45.0) for k in range(1, 6)]
            for subject in meta["subjects"]:
                rows = groups.get((subject, "0", name, "none", mode))
                if rows is None:
                    continue
                xb, labels, onsets, sf = load_ssvep(data_root, subject, mode, bands)
                n = xb[0].shape[2]
                refs = [cca_refs(f, n, sf, harmonics) for f in freqs]
                scores = np.zeros((len(labels), len(freqs)))
                for b, x in enumerate(xb):
                    w = (b + 1) ** -1.25 + 0.25 if kind == "fbcca" else 1.0
                    for i, ep in enumerate(x):
                        for k, r in enumerate(refs):
                            c = cca_corr(ep.T, r)
                            scores[i, k] += w * c * c if kind == "fbcca" else c
                pred = [classes[int(np.argmax(s))] for s in scores]
                ours = [r["predicted"] for r in rows]
                ok_epochs = [int(r["onset"]) for r in rows] == onsets and \
                    [r["label"] for r in rows] == labels
                same = ok_epochs and ours == pred
                acc_py = float(np.mean(np.array(pred) == np.array(labels)))
                acc_ours = float(np.mean(np.array(ours) == np.array([r["label"] for r in rows])))
                failures += (not same) or abs(acc_py - acc_ours) > 1e-12
                print(f"{subject:>7} {name:>8} {len(labels):>6} {acc_ours:8.3f} {acc_py:7.3f} "
                      f"{itr(len(freqs), acc_py, meta['window_s'][1] - meta['window_s'][0]):7.1f} "
                      f"{'yes' if same else 'NO'}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--tol", type=float, default=0.02)
    args = ap.parse_args()
    meta = json.loads((args.out_dir / "results.json").read_text())["meta"]
    if not args.data.is_dir():
        raise SystemExit(f"datasets folder {args.data} missing: pass --data or set BCI_SHARED_DATASETS")
    t0 = time.perf_counter()
    if meta["paradigm"] in MI:
        failures = compare_mi(args.out_dir, args.data, args.tol, meta)
    elif meta["paradigm"] == "ssvep":
        failures = compare_ssvep(args.out_dir, args.data, args.tol, meta)
    else:
        raise SystemExit(f"no Python reference for paradigm {meta['paradigm']}")
    print(f"python reference took {time.perf_counter() - t0:.1f} s; "
          f"{'OK' if failures == 0 else f'{failures} FAILURE(S)'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
