"""Golden values for TRCA and ensemble TRCA (issue 5): a numpy/scipy implementation written from
Nakanishi et al. 2018 ("Enhancing detection of SSVEPs for a high-speed brain speller using
task-related component analysis", IEEE TBME 65(1)), filter-bank variant, run on real SSVEP epochs
of every ssvep_exoskeleton session with a per-session train/test split.

Definition (the same as bci-decode's `trca` module):
- epochs: as scripts/golden/fbcca.py (each GDF band-passed 5-45 Hz with MNE's IIR, 2-4 s after the
  class event, 512 samples at 256 Hz, 8 channels, µV); classes 13/17/21 Hz = indices 0/1/2;
- sub-bands n = 1..5: [7n, 45] Hz, each epoch filtered on its own with
  `mne.filter.filter_data(epoch, sfreq, 7n, 45, method="iir")` (as FBCCA);
- training, per sub-band and class, on that class's training trials X_i (channels x samples),
  each centred (channel means removed): S = sum over ordered pairs i != j of X_i X_j^T,
  Q = sum_i X_i X_i^T; the spatial filter w is the eigenvector of the largest eigenvalue of
  S w = lambda Q w (scipy.linalg.eigh(S, Q): w^T Q w = 1), its sign chosen so that its entry of
  largest magnitude is positive; the template is the mean of the class's (uncentred) training
  trials;
- test, per sub-band and class k: TRCA r_k = Pearson correlation of X^T w_k and template_k^T w_k;
  ensemble TRCA r_k = Pearson correlation of the flattened X^T W and template_k^T W, W = all
  classes' filters side by side (n_channels x n_classes);
- score rho_k = sum_n a(n) r_k(n), a(n) = n^-1.25 + 0.25 (the FBCCA weights; a weighted sum of the
  correlations themselves, as the authors' reference code test_trca.m does); prediction = argmax.
- split: per session, StratifiedKFold(4, shuffle=True, random_state=42) on the class labels:
  each fold trains on 6 trials per class and tests on the other 2, every trial is tested once.

Writes tests/golden/decode/trca.json: per session the folds, per fold the filters
[band][class][channel], and per test trial the TRCA and ensemble correlations [band][class],
scores and predictions; plus per-session accuracies (and FBCCA's on the same trials, from
tests/golden/fbcca/fbcca.json when present).

    .venv/bin/python scripts/golden/trca.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decode_common as dc  # noqa: E402

import mne  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

FREQS = [13.0, 17.0, 21.0]
BANDS = [(7.0 * n, 45.0) for n in range(1, 6)]
N_FOLDS = 4


def weight(n):
    return n ** -1.25 + 0.25


def trca_filter(trials):
    """Top TRCA spatial filter of one class's trials (n_trials, channels, samples)."""
    xs = [x - x.mean(axis=1, keepdims=True) for x in trials]
    n_ch = xs[0].shape[0]
    s = np.zeros((n_ch, n_ch))
    q = np.zeros((n_ch, n_ch))
    for i, xi in enumerate(xs):
        q += xi @ xi.T
        for j, xj in enumerate(xs):
            if i != j:
                s += xi @ xj.T
    _, vecs = scipy.linalg.eigh(s, q)
    w = vecs[:, -1]
    if w[np.argmax(np.abs(w))] < 0:
        w = -w
    return w


def pearson(a, b):
    a = a.ravel() - a.mean()
    b = b.ravel() - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def subbands(x, sf):
    """(n_bands, n_epochs, channels, samples), each epoch filtered on its own."""
    return np.stack([np.stack([mne.filter.filter_data(ep, sf, lo, hi, method="iir",
                                                      verbose="error") for ep in x])
                     for lo, hi in BANDS])


def fold_result(xb, y, train, test):
    n_classes = len(FREQS)
    filters = np.zeros((len(BANDS), n_classes, xb.shape[2]))
    templates = []
    for b in range(len(BANDS)):
        tb = []
        for k in range(n_classes):
            idx = [i for i in train if y[i] == k]
            filters[b, k] = trca_filter(xb[b, idx])
            tb.append(xb[b, idx].mean(axis=0))
        templates.append(tb)
    weights = np.array([weight(n) for n in range(1, len(BANDS) + 1)])
    r_trca = np.zeros((len(test), len(BANDS), n_classes))
    r_ens = np.zeros_like(r_trca)
    for t, i in enumerate(test):
        for b in range(len(BANDS)):
            w_all = filters[b].T
            for k in range(n_classes):
                x, tmpl = xb[b, i], templates[b][k]
                r_trca[t, b, k] = pearson(x.T @ filters[b, k], tmpl.T @ filters[b, k])
                r_ens[t, b, k] = pearson(x.T @ w_all, tmpl.T @ w_all)
    s_trca = np.einsum("b,tbk->tk", weights, r_trca)
    s_ens = np.einsum("b,tbk->tk", weights, r_ens)
    return {
        "train": [int(i) for i in train], "test": [int(i) for i in test],
        "filters": filters.tolist(),
        "r_trca": r_trca.tolist(), "r_ensemble": r_ens.tolist(),
        "scores_trca": s_trca.tolist(), "scores_ensemble": s_ens.tolist(),
        "pred_trca": [int(v) for v in s_trca.argmax(axis=1)],
        "pred_ensemble": [int(v) for v in s_ens.argmax(axis=1)],
    }


def main():
    fb_path = dc.ROOT / "tests" / "golden" / "fbcca" / "fbcca.json"
    fbcca = json.loads(fb_path.read_text())["files"] if fb_path.exists() else {}
    sessions = {}
    tot = {"trca": 0, "ensemble": 0, "fbcca": 0, "n": 0}
    for name in dc.SSVEP_FILES:
        stem = Path(name).stem
        x, freqs, _, sf, _ = dc.load_ssvep_file(name)
        y = np.array([FREQS.index(f) for f in freqs])
        xb = subbands(x, sf)
        skf = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=42)
        folds = [fold_result(xb, y, tr, te) for tr, te in skf.split(np.zeros(len(y)), y)]
        hits = {"trca": 0, "ensemble": 0}
        for f in folds:
            for t, i in enumerate(f["test"]):
                hits["trca"] += f["pred_trca"][t] == y[i]
                hits["ensemble"] += f["pred_ensemble"][t] == y[i]
        n = len(y)
        acc = {k: v / n for k, v in hits.items()}
        line = f"{stem}: {n} trials, TRCA {acc['trca']:.3f}, ensemble TRCA {acc['ensemble']:.3f}"
        if stem in fbcca:
            fb_hits = sum(p == t for p, t in zip(fbcca[stem]["predicted"], freqs))
            acc["fbcca"] = fb_hits / n
            tot["fbcca"] += fb_hits
            line += f", FBCCA {acc['fbcca']:.3f}"
        tot["trca"] += hits["trca"]
        tot["ensemble"] += hits["ensemble"]
        tot["n"] += n
        print(line)
        sessions[stem] = {"labels": y.tolist(), "folds": folds, "accuracy": acc}
    n = max(tot["n"], 1)
    print(f"all sessions: TRCA {tot['trca'] / n:.3f}, ensemble TRCA {tot['ensemble'] / n:.3f}, "
          f"FBCCA {tot['fbcca'] / n:.3f} ({tot['n']} trials)")
    doc = {"freqs": FREQS, "bands": BANDS,
           "weights": [weight(n) for n in range(1, len(BANDS) + 1)],
           "n_folds": N_FOLDS, "sessions": sessions}
    dc.GOLDEN.mkdir(parents=True, exist_ok=True)
    out = dc.GOLDEN / "trca.json"
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
