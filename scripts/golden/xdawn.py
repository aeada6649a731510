"""Golden values for xDAWN (issue 5): pyRiemann 0.12 `Xdawn`, `XdawnCovariances`, and the
pipelines XdawnCovariances + TangentSpace + LogisticRegression, XdawnCovariances + MDM and
MOABB's xDAWN + LDA (`Xdawn(nfilter=4)` + MNE `Vectorizer` + `LinearDiscriminantAnalysis()`), on
real P300 epochs of Brain Invaders bi2012 (subject 1, session 1).

Epochs: the .npz is read with numpy; its 16 EEG columns (the .yml sensors; the undocumented 17th
is left out) are band-passed 1-24 Hz with MNE's `filter_data(method='iir')` (zero-phase
Butterworth order 4, as MOABB's P300 paradigm filters), and cut from each flash onset to +1 s
inclusive (129 samples at 128 Hz); label 1 = Target (stim code 2), 0 = NonTarget (code 1). The
first N_EPOCHS flashes in time order are used, so the Rust test stays fast.

The epochs are written to target/golden/xdawn/ (not committed; the Rust test runs
`xdawn.py --inputs-only` when they are missing); the pyRiemann outputs go to
tests/golden/xdawn/xdawn.json (committed).

    .venv/bin/python scripts/golden/xdawn.py [--inputs-only]
"""

import json
import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import mne  # noqa: E402
import numpy as np  # noqa: E402
from pyriemann.classification import MDM  # noqa: E402
from pyriemann.estimation import XdawnCovariances  # noqa: E402
from pyriemann.spatialfilters import Xdawn  # noqa: E402
from pyriemann.tangentspace import TangentSpace  # noqa: E402
from mne.decoding import Vectorizer  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
GOLDEN = ROOT / "tests" / "golden" / "xdawn"
INPUTS = ROOT / "target" / "golden" / "xdawn"
NPZ = DATASETS / "bi2012_p300" / "subject_01_session_01.npz"
N_EPOCHS = 150
N_EEG = 16
BAND = (1.0, 24.0)
SFREQ = 128.0
N_SAMPLES = 129


def load_bi2012():
    """All epochs (n, 16, 129), labels (1 = Target), onsets (sample index)."""
    if not NPZ.is_file():
        raise SystemExit(f"{NPZ} missing: set BCI_SHARED_DATASETS")
    z = np.load(NPZ)
    data = z["data"][:, :N_EEG].T.astype(np.float64)
    stim = z["stim"]
    data = mne.filter.filter_data(data, SFREQ, *BAND, method="iir", verbose="error")
    onsets = [int(o) for o in np.nonzero(stim)[0] if o + N_SAMPLES <= data.shape[1]]
    x = np.stack([data[:, o:o + N_SAMPLES] for o in onsets])
    y = np.array([1 if stim[o] == 2 else 0 for o in onsets])
    return x, y, onsets


def write_inputs(x, y, onsets):
    INPUTS.mkdir(parents=True, exist_ok=True)
    path = INPUTS / "bi2012_epochs.f64"
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    np.ascontiguousarray(x, dtype="<f8").tofile(tmp)
    os.replace(tmp, path)
    meta = {"shape": list(x.shape), "labels": y.tolist(), "onsets": onsets, "sfreq": SFREQ}
    tmpj = INPUTS / f"bi2012_epochs.json.tmp{os.getpid()}"
    tmpj.write_text(json.dumps(meta))
    os.replace(tmpj, INPUTS / "bi2012_epochs.f64.json")


def tolist(a):
    return np.asarray(a).tolist()


def main():
    x, y, onsets = load_bi2012()
    x, y, onsets = x[:N_EPOCHS], y[:N_EPOCHS], onsets[:N_EPOCHS]
    write_inputs(x, y, onsets)
    if "--inputs-only" in sys.argv:
        print(f"wrote {INPUTS}")
        return
    xd = Xdawn(nfilter=4, estimator="scm").fit(x, y)
    xc = XdawnCovariances(nfilter=4, estimator="oas", xdawn_estimator="scm").fit(x, y)
    covs = xc.transform(x)
    ts = TangentSpace(metric="riemann").fit(covs)
    vec = ts.transform(covs)
    lr = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(vec, y)
    lr_default = LogisticRegression(C=1.0).fit(vec, y)
    mdm = MDM(metric="riemann").fit(covs, y)
    # MOABB's xDAWN_LDA.yml; fitted on the first 100 epochs, decision on all 150 (the last 50
    # held out).
    xlda = make_pipeline(Xdawn(nfilter=4), Vectorizer(), LDA()).fit(x[:100], y[:100])
    GOLDEN.mkdir(parents=True, exist_ok=True)
    doc = {
        "what": "pyRiemann 0.12 Xdawn / XdawnCovariances(oas, xdawn scm) + TS + LR / MDM on the "
                f"first {N_EPOCHS} bi2012 epochs",
        "n_epochs": int(len(y)),
        "n_targets": int(y.sum()),
        "labels": y.tolist(),
        "onsets": onsets,
        "xdawn_filters": tolist(xd.filters_),
        "xdawn_evokeds": tolist(xd.evokeds_),
        "covariances_first5": tolist(covs[:5]),
        "ts_reference": tolist(ts.reference_),
        "tangent_first5": tolist(vec[:5]),
        "lr_tight": {"coef": tolist(lr.coef_[0]), "intercept": float(lr.intercept_[0]),
                     "decision": tolist(lr.decision_function(vec))},
        "lr_default_decision": tolist(lr_default.decision_function(vec)),
        "mdm_distances": tolist(mdm.transform(covs)),
        "mdm_predict": tolist(mdm.predict(covs)),
        "xdawn_lda_train": 100,
        "xdawn_lda_decision": tolist(xlda.decision_function(x)),
    }
    (GOLDEN / "xdawn.json").write_text(json.dumps(doc) + "\n")
    print(f"wrote {GOLDEN / 'xdawn.json'} ({len(y)} epochs, {int(y.sum())} targets)")


if __name__ == "__main__":
    main()
