"""Golden values for MNE's CSP (issue 5): `mne.decoding.CSP(n_components=6, reg=None, log=True,
norm_trace=False)` (MNE 1.13) on real epochs, and the CSP + LDA pipeline built on it.

Epochs: eegmmidb S001 runs R04/R08/R12, left/right imagery, 8-32 Hz MNE IIR, 0-3 s, 64 channels, µV
(decode_common.load_mi_subject, the same epochs the other decode goldens use). Two cases:
- "raw":     the epochs as they are (full rank, 64 channels);
- "car":     the same epochs re-referenced to the common average (rank 63): MNE restricts the
             class covariances to the 63-dimensional principal subspace of their mean first.

Written to tests/golden/decode/csp_mne.json: labels, per case the first six filters, their
generalized eigenvalues, the log-power features of all 45 epochs, and the LDA (svd) decision
values of `make_pipeline(CSP(...), LDA())` fitted on all 45 epochs.

    .venv/bin/python scripts/golden/csp_mne.py
"""

import json
import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decode_common as dc  # noqa: E402

import mne  # noqa: E402
from mne.decoding import CSP  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import LabelEncoder  # noqa: E402

N_COMPONENTS = 6


def csp():
    return CSP(n_components=N_COMPONENTS, reg=None, log=True, norm_trace=False)


def case(x, y):
    c = csp().fit(x, y)
    pipe = make_pipeline(csp(), LDA(solver="svd")).fit(x, y)
    return {
        "n_filters_total": int(c.filters_.shape[0]),
        "filters": c.filters_[:N_COMPONENTS].tolist(),
        "eigenvalues": np.asarray(c.evals_[:N_COMPONENTS]).tolist(),
        "features": c.transform(x).tolist(),
        "lda_decision": pipe.decision_function(x).tolist(),
    }


def main():
    mne.set_log_level("error")
    x, labels, _, _ = dc.load_mi_subject(1)
    y = LabelEncoder().fit_transform(labels)
    car = x - x.mean(axis=1, keepdims=True)
    doc = {
        "what": f"MNE {mne.__version__} CSP(n_components={N_COMPONENTS}, reg=None, log=True, "
                "norm_trace=False) on eegmmidb S001 left/right epochs (45 x 64 x 481); "
                "+ LDA(svd) decision",
        "labels": y.tolist(),
        "raw": case(x, y),
        "car": case(car, y),
    }
    dc.GOLDEN.mkdir(parents=True, exist_ok=True)
    out = dc.GOLDEN / "csp_mne.json"
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {out}: raw {doc['raw']['n_filters_total']} filters, "
          f"car {doc['car']['n_filters_total']} filters")


if __name__ == "__main__":
    main()
