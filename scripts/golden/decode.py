"""Golden values for bci-decode, computed with pyRiemann 0.12, scikit-learn 1.9 and MNE 1.13.

    .venv/bin/python scripts/golden/decode.py          # writes tests/golden/decode/*.json

Inputs are real epochs (see decode_common.py); the Rust tests read the same epochs from
target/golden/decode/ (written by decode_inputs.py) and compare against these files:
- covariances.json   SCM / Ledoit-Wolf / OAS / np.cov of S001 epochs 0 and 1 (64 x 64)
- csp_lda.json       pyRiemann CSP(nfilter=6) on OAS covariances of all 45 S001 epochs, its
                     log-variance features, LDA svd and lsqr+auto shrinkage on those features
- riemann.json       Riemannian mean of the 45 OAS covariances, distances to it, tangent vectors,
                     numpy.linalg.eigh of the first covariance
- lr.json            LogisticRegression(C=1) on the 45 tangent vectors (tight tolerance and default)
- mdm.json           MDM(metric='riemann') distances and predictions (fit on all 45)
- pipelines.json     S001-S005: MOABB folds, per-fold ROC-AUC of CSP+LDA, TS+LR, MDM
- cca.json           SSVEP CCA correlations and predictions on every ssvep_exoskeleton file
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decode_common as dc  # noqa: E402

from pyriemann.classification import MDM  # noqa: E402
from pyriemann.estimation import Covariances  # noqa: E402
from pyriemann.spatialfilters import CSP  # noqa: E402
from pyriemann.tangentspace import TangentSpace  # noqa: E402
from pyriemann.utils.distance import distance_riemann  # noqa: E402
from pyriemann.utils.mean import mean_riemann  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import get_scorer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import LabelEncoder  # noqa: E402


def dump(name, obj):
    dc.GOLDEN.mkdir(parents=True, exist_ok=True)
    (dc.GOLDEN / name).write_text(json.dumps(obj, separators=(",", ":")))
    print("wrote", dc.GOLDEN / name)


def tolist(a):
    return np.asarray(a).tolist()


def pipelines():
    return {
        "csp_lda": make_pipeline(Covariances("oas"), CSP(nfilter=6), LDA(solver="svd")),
        "ts_lr": make_pipeline(Covariances("oas"), TangentSpace(metric="riemann"),
                               LogisticRegression(C=1.0)),
        "mdm": make_pipeline(Covariances("oas"), MDM(metric="riemann")),
    }


def cca_corr(x, y):
    """Largest canonical correlation between the columns of x (n, p) and y (n, q): QR of the
    centred blocks, then the top singular value of Qx' Qy."""
    xc = x - x.mean(axis=0)
    yc = y - y.mean(axis=0)
    qx, _ = np.linalg.qr(xc)
    qy, _ = np.linalg.qr(yc)
    return float(np.linalg.svd(qx.T @ qy, compute_uv=False)[0])


def cca_reference(freq, n, sfreq, harmonics):
    t = np.arange(n) / sfreq
    cols = []
    for h in range(1, harmonics + 1):
        cols += [np.sin(2 * np.pi * h * freq * t), np.cos(2 * np.pi * h * freq * t)]
    return np.stack(cols, axis=1)


def main():
    x, labels, onsets, runs = dc.load_mi_subject(1)
    y = LabelEncoder().fit_transform(labels)

    # --- covariances
    ep = [0, 1]
    cov = {"epochs": ep}
    for est in ("scm", "lwf", "oas", "cov"):
        cov[est] = tolist(Covariances(est).fit_transform(x[ep]))
    dump("covariances.json", cov)

    covs = Covariances("oas").fit_transform(x)

    # --- CSP + LDA
    csp = CSP(nfilter=6).fit(covs, y)
    feats = csp.transform(covs)
    lda = LDA(solver="svd").fit(feats, y)
    lda_s = LDA(solver="lsqr", shrinkage="auto").fit(feats, y)
    dump("csp_lda.json", {
        "labels": y.tolist(),
        "filters": tolist(csp.filters_),
        "features": tolist(feats),
        "lda_svd": {"coef": tolist(lda.coef_[0]), "intercept": float(lda.intercept_[0]),
                    "decision": tolist(lda.decision_function(feats))},
        "lda_lsqr_auto": {"coef": tolist(lda_s.coef_[0]), "intercept": float(lda_s.intercept_[0]),
                          "decision": tolist(lda_s.decision_function(feats))},
    })

    # --- Riemannian mean, distances, tangent space
    mean = mean_riemann(covs)
    ts = TangentSpace(metric="riemann").fit(covs)
    assert np.allclose(ts.reference_, mean)
    vec = ts.transform(covs)
    dump("riemann.json", {
        "mean": tolist(mean),
        "dist_to_mean": [float(distance_riemann(c, mean)) for c in covs],
        "dist_0_1": float(distance_riemann(covs[0], covs[1])),
        "tangent_epochs": [0, 1, 2],
        "tangent": tolist(vec[[0, 1, 2]]),
        "eigh_cov0": {"values": tolist(np.linalg.eigh(covs[0])[0]),
                      "vectors": tolist(np.linalg.eigh(covs[0])[1])},
    })

    # --- logistic regression on tangent vectors
    tight = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(vec, y)
    default = LogisticRegression(C=1.0).fit(vec, y)
    dump("lr.json", {
        "labels": y.tolist(),
        "tight": {"coef": tolist(tight.coef_[0]), "intercept": float(tight.intercept_[0]),
                  "decision": tolist(tight.decision_function(vec))},
        "default": {"decision": tolist(default.decision_function(vec))},
    })

    # --- MDM
    mdm = MDM(metric="riemann").fit(covs, y)
    dump("mdm.json", {
        "labels": y.tolist(),
        "distances": tolist(mdm.transform(covs)),
        "predictions": tolist(mdm.predict(covs)),
    })

    # --- pipelines on S001-S005 with MOABB's folds
    auc = get_scorer("roc_auc")
    out = {"subjects": {}}
    for s in dc.MI_SUBJECTS:
        xs, lab, ons, rn = (x, labels, onsets, runs) if s == 1 else dc.load_mi_subject(s)
        le = LabelEncoder().fit(lab)
        ys = le.transform(lab)
        folds = dc.folds_for(ys)
        subj = {"classes": le.classes_.tolist(), "labels": ys.tolist(), "onsets": ons,
                "runs": rn, "folds": [te for _, te in folds], "pipelines": {}}
        for name, pipe in pipelines().items():
            aucs, scores = [], []
            for tr, te in folds:
                pipe.fit(xs[tr], ys[tr])
                aucs.append(float(auc(pipe, xs[te], ys[te])))
                if hasattr(pipe, "decision_function") and name != "mdm":
                    scores.append(tolist(pipe.decision_function(xs[te])))
                else:
                    scores.append(tolist(pipe.predict_proba(xs[te])[:, 1]))
            subj["pipelines"][name] = {"fold_auc": aucs, "mean_auc": float(np.mean(aucs)),
                                       "test_scores": scores}
            print(f"S{s:03d} {name}: {np.mean(aucs):.3f}")
        out["subjects"][f"S{s:03d}"] = subj
    dump("pipelines.json", out)

    # --- SSVEP CCA (training-free)
    harmonics = 3
    freqs = sorted(dc.SSVEP_CLASSES.values())
    cca = {"harmonics": harmonics, "freqs": freqs, "files": {}}
    for name in dc.SSVEP_FILES:
        xe, target, ons, sf, chs = dc.load_ssvep_file(name)
        n = xe.shape[2]
        refs = [cca_reference(f, n, sf, harmonics) for f in freqs]
        corr = [[cca_corr(e.T, r) for r in refs] for e in xe]
        pred = [freqs[int(np.argmax(c))] for c in corr]
        acc = float(np.mean(np.array(pred) == np.array(target)))
        cca["files"][Path(name).stem] = {"target": target, "onsets": ons, "corr": corr,
                                         "predicted": pred, "accuracy": acc}
        print(f"CCA {name}: accuracy {acc:.3f}")
    dump("cca.json", cca)


if __name__ == "__main__":
    main()
