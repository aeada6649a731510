"""Writes small valid model files (one per pipeline kind, 3 channels) as fuzz seeds into seeds/.

Run with any python3: `python3 make_seeds.py`. The fuzz target mutates them; the decode tests
load them too (tests/model_file.rs), so a schema change that breaks them is noticed.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def arr(rows):
    if rows and isinstance(rows[0], list):
        return {"v": 1, "dim": [len(rows), len(rows[0])], "data": [v for r in rows for v in r]}
    return {"v": 1, "dim": [len(rows)], "data": rows}


SPD = [[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]]
SPD2 = [[1.0, -0.2, 0.0], [-0.2, 2.0, 0.4], [0.0, 0.4, 1.2]]


def base(kind, pipeline, classes=("left", "right"), events=("T1", "T2"), sfreq=160.0):
    return {
        "format": "bci-decode-model",
        "version": 1,
        "pipeline_name": kind,
        "channels": ["C3", "Cz", "C4"],
        "sample_rate": sfreq,
        "filter": {
            "method": "mne-iir",
            "band": [8.0, 32.0],
            "order": 4,
            "sos": [[0.0186, 0.0371, 0.0186, 1.0, -0.7176, 0.2653],
                    [1.0, 2.0, 1.0, 1.0, -1.4035, 0.5449],
                    [1.0, -2.0, 1.0, 1.0, -0.5431, 0.6183],
                    [1.0, -2.0, 1.0, 1.0, -1.7565, 0.8526]],
            "padlen": 79,
        },
        "window": {"tmin": 0.0, "tmax": 0.5},
        "events": [{"event": e, "class": c} for e, c in zip(events, classes)],
        "classes": sorted(classes),
        "options": {"covariance": "oas", "csp_filters": 6, "lr_c": 1.0,
                    "lda_solver": "svd", "harmonics": 3},
        "pipeline": pipeline,
    }


seeds = {
    "csp-lda": base("csp-lda", {
        "kind": "csp-lda", "covariance": "oas",
        "csp": {"filters": arr([[0.5, -0.2, 0.1], [0.1, 0.4, -0.3]]), "eigenvalues": [0.9, 0.1]},
        "lda": {"solver": "svd", "coef": arr([[1.5, -2.0]]), "intercept": arr([0.25]), "n_classes": 2},
    }),
    "ts-lr": base("ts-lr", {
        "kind": "ts-lr", "covariance": "oas",
        "tangent_space": {"reference": arr(SPD)},
        "logistic_regression": {"c": 1.0, "coef": arr([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]),
                                "intercept": -0.1},
    }),
    "mdm": base("mdm", {"kind": "mdm", "covariance": "oas", "mdm": {"means": [arr(SPD), arr(SPD2)]}}),
    "cca": base("cca", {"kind": "cca", "cca": {"freqs": [13.0, 17.0], "harmonics": 2, "sfreq": 256.0}},
                classes=("13", "17"), events=("33025", "33027"), sfreq=256.0),
}
seeds["cca"]["filter"] = None
SPD4 = [[2.0, 0.3, 0.1, 0.0], [0.3, 1.5, 0.2, 0.1], [0.1, 0.2, 1.0, 0.2], [0.0, 0.1, 0.2, 1.1]]
SPD4B = [[1.0, 0.0, 0.1, 0.2], [0.0, 1.2, 0.0, 0.1], [0.1, 0.0, 0.9, 0.0], [0.2, 0.1, 0.0, 1.3]]
N_SAMPLES = 81  # window 0-0.5 s at 160 Hz, both ends included
XDAWN = {
    "xdawn": {"filters": arr([[0.6, 0.8, 0.0], [0.0, 0.6, -0.8]]),
              "evokeds": arr([[((i * 7) % 5) - 2.0 for i in range(N_SAMPLES)],
                              [((i * 3) % 7) - 3.0 for i in range(N_SAMPLES)]]),
              "filters_per_class": 1},
    "estimator": "oas",
}
seeds["xdawn-mdm"] = base("xdawn-mdm", {"kind": "xdawn-mdm", "xdawn_covariances": XDAWN,
                                        "mdm": {"means": [arr(SPD4), arr(SPD4B)]}},
                          classes=("NonTarget", "Target"), events=("nontarget", "target"))
seeds["xdawn-ts-lr"] = base("xdawn-ts-lr", {
    "kind": "xdawn-ts-lr", "xdawn_covariances": XDAWN,
    "tangent_space": {"reference": arr(SPD4)},
    "logistic_regression": {"c": 1.0, "coef": arr([0.1 * (i - 4) for i in range(10)]), "intercept": 0.2},
}, classes=("NonTarget", "Target"), events=("nontarget", "target"))
seeds["fbcca"] = base("fbcca", {
    "kind": "fbcca", "cca": {"freqs": [13.0, 17.0], "harmonics": 2, "sfreq": 256.0},
    "subbands": [{"band": [7.0, 45.0],
                  "sos": [[0.1, 0.2, 0.1, 1.0, -0.5, 0.2], [1.0, -2.0, 1.0, 1.0, -1.2, 0.5]],
                  "padlen": 30}],
}, classes=("13", "17"), events=("33025", "33027"), sfreq=256.0)
seeds["fbcca"]["filter"] = None
seeds["csp-mne-lda"] = base("csp-mne-lda", {
    "kind": "csp-mne-lda",
    "csp": {"filters": arr([[0.5, -0.2, 0.1], [0.1, 0.4, -0.3]]), "eigenvalues": [0.9, 0.1],
            "rank": 3},
    "lda": {"solver": "svd", "coef": arr([[1.5, -2.0]]), "intercept": arr([0.25]), "n_classes": 2},
})
SUBBAND = {"sos": [[0.1, 0.2, 0.1, 1.0, -0.5, 0.2], [1.0, -2.0, 1.0, 1.0, -1.2, 0.5]], "padlen": 30}
seeds["fbcsp"] = base("fbcsp", {
    "kind": "fbcsp",
    "subbands": [dict(SUBBAND, band=[8.0, 12.0]), dict(SUBBAND, band=[12.0, 16.0])],
    "fbcsp": {
        "covariance": "oas",
        "csps": [{"filters": arr([[0.5, -0.2, 0.1], [0.1, 0.4, -0.3]]), "eigenvalues": [0.9, 0.1]},
                 {"filters": arr([[0.2, 0.3, -0.6], [-0.4, 0.1, 0.2]]), "eigenvalues": [0.8, 0.2]}],
        "selected": [0, 2, 3],
        "lda": {"solver": "lsqr_auto", "coef": arr([[1.5, -2.0, 0.5]]), "intercept": arr([0.25]),
                "n_classes": 2},
    },
})
seeds["xdawn-lda"] = base("xdawn-lda", {
    "kind": "xdawn-lda", "xdawn": XDAWN["xdawn"],
    "lda": {"solver": "svd", "coef": arr([[0.01 * ((i % 9) - 4) for i in range(2 * N_SAMPLES)]]),
            "intercept": arr([-0.1]), "n_classes": 2},
}, classes=("NonTarget", "Target"), events=("nontarget", "target"))

os.makedirs(os.path.join(HERE, "seeds"), exist_ok=True)
for name, model in seeds.items():
    with open(os.path.join(HERE, "seeds", f"{name}.json"), "w") as f:
        json.dump(model, f, indent=1)
        f.write("\n")
print("wrote", ", ".join(sorted(seeds)))
