"""Golden values for FBCSP (issue 5): MOABB's FBCSP.py pipeline with shrinkage LDA in place of
its grid-searched SVM, on real epochs.

Epochs: eegmmidb S001 left/right (decode_common.load_mi_subject: 8-32 Hz MNE IIR on each run,
0-3 s, 64 channels, µV). Each epoch is then band-passed into 8-12, 12-16, ..., 28-32 Hz with
`mne.filter.filter_data(method='iir')` on the epoch array (zero-phase Butterworth order 4 on each
epoch, as bci-decode's `fbcsp` pipeline filters), then per band pyRiemann 0.12
`Covariances("oas")` + `CSP(nfilter=4)`, the 24 log-variances side by side,
`SelectKBest(mutual_info_classif, k=10)` and `LinearDiscriminantAnalysis(solver="lsqr",
shrinkage="auto")`, fitted on all 45 epochs.

scikit-learn's mutual_info_classif adds 1e-10-sized noise (random_state=0 here); bci-decode adds
none, so the scores agree unless two neighbour distances lie within that noise.

Written to tests/golden/decode/fbcsp.json.

    .venv/bin/python scripts/golden/fbcsp.py
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
from pyriemann.estimation import Covariances  # noqa: E402
from pyriemann.spatialfilters import CSP  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA  # noqa: E402
from sklearn.feature_selection import SelectKBest, mutual_info_classif  # noqa: E402
from sklearn.preprocessing import LabelEncoder  # noqa: E402

BANDS = [(8.0 + 4 * i, 12.0 + 4 * i) for i in range(6)]
SFREQ = 160.0


def main():
    x, labels, _, _ = dc.load_mi_subject(1)
    y = LabelEncoder().fit_transform(labels)
    feats = []
    for lo, hi in BANDS:
        xb = mne.filter.filter_data(x, SFREQ, lo, hi, method="iir", verbose="error")
        covs = Covariances("oas").fit_transform(xb)
        feats.append(CSP(nfilter=4).fit(covs, y).transform(covs))
    feats = np.concatenate(feats, axis=1)
    mi = mutual_info_classif(feats, y, random_state=0)
    sel = SelectKBest(lambda a, b: mutual_info_classif(a, b, random_state=0), k=10).fit(feats, y)
    selected = np.nonzero(sel.get_support())[0]
    lda = LDA(solver="lsqr", shrinkage="auto").fit(feats[:, selected], y)
    doc = {
        "what": "MOABB FBCSP (OAS + pyRiemann CSP(nfilter=4) per 4 Hz band 8-32 Hz, "
                "SelectKBest(mutual_info_classif, k=10)) + LDA(lsqr, auto) on eegmmidb S001",
        "bands": BANDS,
        "labels": y.tolist(),
        "features": feats.tolist(),
        "mutual_info": mi.tolist(),
        "selected": selected.tolist(),
        "decision": lda.decision_function(feats[:, selected]).tolist(),
    }
    dc.GOLDEN.mkdir(parents=True, exist_ok=True)
    out = dc.GOLDEN / "fbcsp.json"
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {out}: selected {selected.tolist()}")


if __name__ == "__main__":
    main()
