"""Side-by-side timing: bci-decode against pyRiemann + scikit-learn on the same epochs, same run.

    .venv/bin/python scripts/golden/decode_inputs.py     # epochs into target/golden/decode/
    cargo build --release -p bci-decode --example decode_timing
    .venv/bin/python benches/decode_vs_python.py [repeats] [--no-cv]

Times (best of N): fit+predict of CSP+LDA and of TS+LR on S001's 45 epochs (64 channels,
481 samples), and the 5-fold CV of CSP+LDA, TS+LR and MDM on S001-S005 with MOABB's folds
(one run). The Python side runs twice: with numpy's default BLAS threads (what a plain install
does; on this 2-core machine OpenBLAS's threads slow these small matrices down) and with one BLAS
thread (its fastest here). Prints both sides and the ratios Python / Rust.

Then the floor of the Riemannian tasks: one 64 x 64 eigen-decomposition with eigenvectors (the
first mean iteration's whitened matrices) by bci and by LAPACK's dsyevd (numpy, one BLAS thread,
its fastest here), how many of them each task needs (counted by bci while it runs them: the
pyRiemann iteration fixes the count), and what those alone take on all cores at bci's speed,
against the time a 20x ratio would allow.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "golden"))
from decode import pipelines  # noqa: E402
from sklearn.metrics import get_scorer  # noqa: E402


def load(name):
    meta = json.loads((ROOT / "target/golden/decode" / f"{name}.f64.json").read_text())
    x = np.fromfile(ROOT / "target/golden/decode" / f"{name}.f64").reshape(meta["shape"])
    y = np.array([int(lab == "right_hand") for lab in meta["labels"]])
    return x, y


def best_of(n, f):
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def lapack_eigh_seconds(x, repeats):
    """Seconds per numpy.linalg.eigh (LAPACK dsyevd) of S001's whitened 64 x 64 covariances."""
    from pyriemann.estimation import Covariances
    from threadpoolctl import threadpool_limits
    covs = Covariances("oas").fit_transform(x)
    vals, vecs = np.linalg.eigh(covs.mean(axis=0))
    w = (vecs / np.sqrt(vals)) @ vecs.T
    mats = w @ covs @ w
    with threadpool_limits(limits=1, user_api="blas"):
        return best_of(max(repeats, 5), lambda: np.linalg.eigh(mats)) / len(mats)


def main():
    args = [a for a in sys.argv[1:] if a != "--no-cv"]
    no_cv = "--no-cv" in sys.argv
    repeats = int(args[0]) if args else 3
    x, y = load("mi_S001")
    golden = json.loads((ROOT / "tests/golden/decode/pipelines.json").read_text())
    data = [load(f"mi_S{s:03d}") for s in range(1, 6)]
    auc = get_scorer("roc_auc")

    def cv():
        for s, (xs, ys) in enumerate(data, start=1):
            folds = golden["subjects"][f"S{s:03d}"]["folds"]
            for pipe in pipelines().values():
                for te in folds:
                    tr = np.setdiff1d(np.arange(len(ys)), te)
                    pipe.fit(xs[tr], ys[tr])
                    auc(pipe, xs[te], ys[te])

    def python_side():
        p = pipelines()
        t = {
            "csp_lda_fit_predict_45": best_of(repeats, lambda: p["csp_lda"].fit(x, y).predict(x)),
            "ts_lr_fit_predict_45": best_of(repeats, lambda: p["ts_lr"].fit(x, y).predict(x)),
        }
        if not no_cv:
            t["cv5_S001_S005_3_pipelines"] = best_of(1, cv)
        return t

    from threadpoolctl import threadpool_limits
    py = python_side()
    with threadpool_limits(limits=1, user_api="blas"):
        py1 = python_side()
    eigh_lapack = lapack_eigh_seconds(x, repeats)
    exe = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release/examples/decode_timing"
    if not exe.exists():
        sys.exit(f"{exe} missing: cargo build --release -p bci-decode --example decode_timing")
    cmd = [str(exe), str(max(repeats, 5))] + (["no-cv"] if no_cv else [])
    out = subprocess.run(cmd, check=True, capture_output=True,
                         text=True).stdout
    rs = json.loads(out)
    print(f"{'task':30} {'python s':>9} {'ratio':>7} {'python 1 BLAS thread':>21} {'ratio':>7} "
          f"{'rust s':>8}")
    for k, v in py.items():
        print(f"{k:30} {v:9.4f} {v / rs[k]:6.1f}x {py1[k]:21.4f} {py1[k] / rs[k]:6.1f}x "
              f"{rs[k]:8.4f}")
    print(f"\n64 x 64 eigen-decomposition with vectors: bci {rs['eigh_64_s'] * 1e6:.0f} us, "
          f"LAPACK dsyevd (numpy, 1 thread) {eigh_lapack * 1e6:.0f} us")
    cores = rs["threads"]
    for k in ("ts_lr_fit_predict_45", "cv5_S001_S005_3_pipelines"):
        if k in rs:
            n = rs[f"{k}_decompositions"]
            print(f"{k}: {n} decompositions; alone on {cores} cores at bci's speed "
                  f"{n * rs['eigh_64_s'] / cores:.3f} s (LAPACK's {n * eigh_lapack / cores:.3f} s); "
                  f"a 20x ratio allows {py[k] / 20:.3f} s ({py1[k] / 20:.3f} s against one "
                  f"BLAS thread)")


if __name__ == "__main__":
    main()
