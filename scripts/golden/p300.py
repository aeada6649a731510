"""P300 on Brain Invaders bi2012 (issue 6): the Python side of `bci bench --paradigm p300`.

Epochs as MOABB's P300 paradigm makes them for bi2012: the 16 EEG columns of the .npz (the
.yml's sensors; the undocumented 17th column is left out), band-passed 1-24 Hz per file
(zero-phase: MNE `filter_data(method='iir')`, Butterworth order 4; causal: `sosfilt` of the same
Butterworth), cut from each flash onset to +1 s inclusive (129 samples at 128 Hz). Labels:
stim code 2 = Target, 1 = NonTarget; classes sorted (NonTarget = 0, Target = 1) so ROC-AUC
ranks Target as the positive class. Folds: StratifiedKFold(5, shuffle=True, random_state=seed)
over the epochs in time order (MOABB's within-session evaluation); the score is the mean of the
per-fold ROC-AUCs (scikit-learn's "roc_auc" scorer).

Pipelines (pyRiemann 0.12 + scikit-learn):
  xdawn-ts-lr  XdawnCovariances(nfilter=4, estimator="oas", xdawn_estimator="scm")
               + TangentSpace(metric="riemann") + LogisticRegression(C=1)
  xdawn-mdm    XdawnCovariances(nfilter=4, estimator="oas", xdawn_estimator="scm") + MDM
  xdawn-lda    Xdawn(nfilter=4) + MNE Vectorizer + LinearDiscriminantAnalysis() (xDAWN_LDA.yml)
  csp-lda, ts-lr, mdm  as MOABB's CSP.yml / TSLR.yml / MDM.yml on Covariances("oas")

Two modes:
  p300.py --golden            write tests/golden/p300/scores.json (per-fold scores, folds, the
                              epochs' onsets and labels) for the Rust test
                              crates/bci-bench/tests/p300_parity.rs
  p300.py OUT_DIR [--tol T]   compare a `bci bench --paradigm p300` output folder: same epochs,
                              same folds (read back from folds.csv), scores within T (0.02)
"""

import argparse
import csv
import json
import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
GOLDEN = ROOT / "tests" / "golden" / "p300"
N_EEG = 16
SFREQ = 128.0
BAND = (1.0, 24.0)
N_SAMPLES = 129
CLASSES = ["NonTarget", "Target"]


def load_bi2012(data_root, mode="zero-phase"):
    """Epochs (n, 16, 129), labels (0/1), onsets, in time order."""
    import mne
    import scipy.signal as ss
    path = data_root / "bi2012_p300" / "subject_01_session_01.npz"
    z = np.load(path)
    data = z["data"][:, :N_EEG].T.astype(np.float64)
    stim = z["stim"]
    if mode == "zero-phase":
        data = mne.filter.filter_data(data, SFREQ, *BAND, method="iir", verbose="error")
    else:
        sos = ss.butter(4, BAND, "bandpass", fs=SFREQ, output="sos")
        data = ss.sosfilt(sos, data, axis=-1)
    onsets = [int(o) for o in np.nonzero(stim)[0] if o + N_SAMPLES <= data.shape[1]]
    x = np.stack([data[:, o:o + N_SAMPLES] for o in onsets])
    y = np.array([1 if stim[o] == 2 else 0 for o in onsets])
    return x, y, onsets


def pipelines():
    from pyriemann.classification import MDM
    from pyriemann.estimation import Covariances, XdawnCovariances
    from mne.decoding import Vectorizer
    from pyriemann.spatialfilters import CSP, Xdawn
    from pyriemann.tangentspace import TangentSpace
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def xcov():
        return XdawnCovariances(nfilter=4, estimator="oas", xdawn_estimator="scm")

    return {
        "xdawn-ts-lr": lambda: make_pipeline(xcov(), TangentSpace(metric="riemann"),
                                             LogisticRegression(C=1.0)),
        "xdawn-mdm": lambda: make_pipeline(xcov(), MDM(metric="riemann")),
        "xdawn-lda": lambda: make_pipeline(Xdawn(nfilter=4), Vectorizer(), LDA()),
        "csp-lda": lambda: make_pipeline(Covariances("oas"), CSP(nfilter=6), LDA(solver="svd")),
        "ts-lr": lambda: make_pipeline(Covariances("oas"), TangentSpace(metric="riemann"),
                                       LogisticRegression(C=1.0)),
        "mdm": lambda: make_pipeline(Covariances("oas"), MDM(metric="riemann")),
    }


def fold_scores(x, y, folds, make):
    from sklearn.metrics import get_scorer
    scorer = get_scorer("roc_auc")
    folds = np.asarray(folds)
    out = []
    for k in range(folds.max() + 1):
        te, tr = np.where(folds == k)[0], np.where(folds != k)[0]
        out.append(float(scorer(make().fit(x[tr], y[tr]), x[te], y[te])))
    return out


def stratified_folds(y, seed, n_folds=5):
    from sklearn.model_selection import StratifiedKFold
    ref = np.empty(len(y), dtype=int)
    skf = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for k, (_, te) in enumerate(skf.split(np.zeros(len(y)), y)):
        ref[te] = k
    return ref.tolist()


def write_golden(data_root):
    x, y, onsets = load_bi2012(data_root)
    folds = stratified_folds(y, 42)
    scores = {}
    for name, make in pipelines().items():
        scores[name] = fold_scores(x, y, folds, make)
        print(f"{name:>12} {np.mean(scores[name]):.4f}  folds {np.round(scores[name], 4).tolist()}")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    doc = {
        "what": "pyRiemann 0.12 / scikit-learn on bi2012 subject 1, zero-phase 1-24 Hz, 0-1 s, "
                "StratifiedKFold(5, shuffle=True, random_state=42); per-fold ROC-AUC",
        "n_epochs": len(y), "n_targets": int(y.sum()), "onsets": onsets, "labels": y.tolist(),
        "folds": folds, "fold_scores": scores,
    }
    (GOLDEN / "scores.json").write_text(json.dumps(doc) + "\n")
    print(f"wrote {GOLDEN / 'scores.json'}")


def compare(out_dir, data_root, tol):
    meta = json.loads((out_dir / "results.json").read_text())["meta"]
    if meta["paradigm"] != "p300":
        raise SystemExit(f"{out_dir}: paradigm {meta['paradigm']}, not p300")
    groups = {}
    with open(out_dir / "folds.csv", newline="") as f:
        for row in csv.DictReader(f):
            key = (row["pipeline"], row["control"], row["filter"])
            groups.setdefault(key, []).append(row)
    with open(out_dir / "results.csv", newline="") as f:
        results = list(csv.DictReader(f))
    makers = pipelines()
    failures = 0
    print(f"{'filter':>10} {'pipeline':>12} {'ours':>7} {'python':>7} {'diff':>8}")
    for mode in meta["filters"]:
        x, y, onsets = load_bi2012(data_root, mode)
        for spec in meta["pipelines"]:
            name = spec["name"]
            if name not in makers or spec["kind"] != name:
                continue
            rows = sorted(groups.get((name, "none", mode), []), key=lambda r: int(r["epoch"]))
            ours_epochs = [(int(r["onset"]), r["label"]) for r in rows]
            theirs = [(o, CLASSES[c]) for o, c in zip(onsets, y)]
            if ours_epochs != theirs:
                print(f"{mode:>10} {name:>12} epochs differ ({len(ours_epochs)} vs {len(theirs)})")
                failures += 1
                continue
            folds = [int(r["fold"]) for r in rows]
            if folds != stratified_folds(y, meta["seed"], meta["n_folds"]):
                print(f"{mode:>10} {name:>12} folds differ from StratifiedKFold")
                failures += 1
            py = float(np.mean(fold_scores(x, y, folds, makers[name])))
            row = next(r for r in results if r["pipeline"] == name and r["control"] == "none"
                       and r["filter"] == mode)
            ours = float(row["score"])
            bad = abs(ours - py) > tol
            failures += bad
            print(f"{mode:>10} {name:>12} {ours:7.4f} {py:7.4f} {ours - py:+8.4f}"
                  f"{'  FAIL' if bad else ''}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", nargs="?", type=Path)
    ap.add_argument("--golden", action="store_true")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--tol", type=float, default=0.02)
    a = ap.parse_args()
    if a.golden:
        write_golden(a.data)
        return 0
    if a.out_dir is None:
        ap.error("give OUT_DIR or --golden")
    return 1 if compare(a.out_dir, a.data, a.tol) else 0


if __name__ == "__main__":
    sys.exit(main())
