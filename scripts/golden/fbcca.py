"""Golden values for FBCCA (issue 5): a numpy/MNE implementation of filter-bank CCA as Chen et al.
(2015) define it, run on real SSVEP epochs of every ssvep_exoskeleton session.

Definition (the same as bci-decode's `fbcca` pipeline):
- epochs: each GDF file band-passed 5-45 Hz with MNE's IIR filter, 2-4 s after the class event
  (33025 = 13 Hz, 33027 = 17 Hz, 33026 = 21 Hz), 512 samples at 256 Hz, µV (decode_common.py; the
  arrays are the ones scripts/golden/decode_inputs.py writes for the Rust tests);
- sub-bands n = 1..5: [7n, 45] Hz, each epoch filtered on its own with
  `mne.filter.filter_data(epoch, sfreq, 7n, 45, method="iir")` (Butterworth order 4, zero phase);
- per sub-band and stimulus frequency f: the largest canonical correlation rho_n(f) between the
  epoch (samples x channels) and sin/cos references at f, 2f, 3f (t = i / sfreq), computed by QR
  of both centred blocks and the largest singular value of Q_x^T Q_y;
- score(f) = sum_n w(n) rho_n(f)^2 with w(n) = n^-1.25 + 0.25; the prediction is the argmax.

Writes tests/golden/fbcca/fbcca.json: per file, the scores (n_epochs x 3), the predictions, the
targets, accuracy and ITR.

    .venv/bin/python scripts/golden/fbcca.py
"""

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decode_common as dc  # noqa: E402

import mne  # noqa: E402
import numpy as np  # noqa: E402

GOLDEN = dc.ROOT / "tests" / "golden" / "fbcca"
FREQS = [13.0, 17.0, 21.0]
HARMONICS = 3
BANDS = [(7.0 * n, 45.0) for n in range(1, 6)]


def weight(n):
    return n ** -1.25 + 0.25


def references(freq, n, sfreq):
    t = np.arange(n) / sfreq
    cols = []
    for h in range(1, HARMONICS + 1):
        cols += [np.sin(2 * np.pi * h * freq * t), np.cos(2 * np.pi * h * freq * t)]
    return np.stack(cols, axis=1)


def canonical_correlation(x, y):
    qx, _ = np.linalg.qr(x - x.mean(axis=0))
    qy, _ = np.linalg.qr(y - y.mean(axis=0))
    return float(np.linalg.svd(qx.T @ qy, compute_uv=False)[0])


def fbcca_scores(epoch, sfreq):
    n = epoch.shape[1]
    refs = [references(f, n, sfreq) for f in FREQS]
    scores = np.zeros(len(FREQS))
    for b, (lo, hi) in enumerate(BANDS, start=1):
        sub = mne.filter.filter_data(epoch, sfreq, lo, hi, method="iir", verbose="error")
        for k, r in enumerate(refs):
            scores[k] += weight(b) * canonical_correlation(sub.T, r) ** 2
    return scores


def itr(n, p, t):
    if p >= 1.0:
        bits = math.log2(n)
    elif p <= 1.0 / n:
        bits = 0.0
    else:
        bits = math.log2(n) + p * math.log2(p) + (1 - p) * math.log2((1 - p) / (n - 1))
    return bits * 60.0 / t


def main():
    files = {}
    for name in dc.SSVEP_FILES:
        x, freqs, onsets, sf, _ = dc.load_ssvep_file(name)
        scores = np.stack([fbcca_scores(ep, sf) for ep in x])
        pred = [FREQS[k] for k in scores.argmax(axis=1)]
        acc = float(np.mean([p == t for p, t in zip(pred, freqs)]))
        files[Path(name).stem] = {"scores": scores.tolist(), "predicted": pred, "target": freqs,
                                  "accuracy": acc, "itr_bits_per_min": itr(3, acc, 2.0)}
        print(f"{Path(name).stem}: {len(freqs)} trials, FBCCA accuracy {acc:.3f}, "
              f"ITR {itr(3, acc, 2.0):.1f} bits/min")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    doc = {"freqs": FREQS, "harmonics": HARMONICS, "bands": BANDS,
           "weights": [weight(n) for n in range(1, len(BANDS) + 1)], "files": files}
    (GOLDEN / "fbcca.json").write_text(json.dumps(doc) + "\n")
    print(f"wrote {GOLDEN / 'fbcca.json'}")


if __name__ == "__main__":
    main()
