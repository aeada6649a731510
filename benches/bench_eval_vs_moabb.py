#!/usr/bin/env python3
"""Side by side: the whole MOABB-style evaluation of eegmmidb S001-S005 left/right imagery
(read the 15 EDF files, band-pass 8-32 Hz zero-phase per run, epoch 0-3 s, 5-fold stratified CV
with seed 42, CSP+LDA, TS+LR and MDM on OAS covariances) done by `bci bench` and by the Python
pipelines (MNE + pyRiemann + scikit-learn, exactly as scripts/bench_compare.py runs them), in one
run on one machine. Prints both wall times and the ratio.

    .venv/bin/python benches/bench_eval_vs_moabb.py [--bci target/release/bci] [--threads N]

`bci bench` runs without the shuffled-label control here (--no-control) so both sides do the same
work; --threads 1 compares one core against one core (the Python side is single-threaded apart
from BLAS).
"""
import argparse
import importlib.util
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "scripts" / "bench_compare.py")
bc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bc)


def python_side(data_root):
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import LabelEncoder
    pipes = bc.mi_pipelines()
    scores = {}
    for subject in range(1, 6):
        x, labels, _, _ = bc.load_mi(data_root, "left-right-imagery", subject, "zero-phase")
        y = LabelEncoder().fit_transform(labels)
        folds = np.empty(len(y), dtype=int)
        skf = StratifiedKFold(5, shuffle=True, random_state=42)
        for k, (_, te) in enumerate(skf.split(np.zeros(len(y)), y)):
            folds[te] = k
        for name, fold_scores in bc.evaluate_mi(x, y, list(folds), pipes, list(pipes)).items():
            scores[(subject, name)] = float(np.mean(fold_scores))
    return scores


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bci", default=os.environ.get("BCI_BIN", ROOT / "target" / "release" / "bci"))
    ap.add_argument("--data", type=Path, default=bc.DEFAULT_DATA)
    ap.add_argument("--threads", type=int, default=0, help="bci worker threads (0 = all cores)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run([str(args.bci), "bench", "--paradigm", "left-right-imagery",
                        "--subjects", "1-5", "--pipelines", "csp-lda,ts-lr,mdm", "--no-control",
                        "--threads", str(args.threads), "--out", tmp, "--quiet"],
                       check=True, env=dict(os.environ, BCI_DATA=str(args.data)))
        t_bci = time.perf_counter() - t0
        ours = {(int(r["subject"]), r["pipeline"]): float(r["score"])
                for r in bc.read_results(Path(tmp))}
    t0 = time.perf_counter()
    theirs = python_side(args.data)
    t_py = time.perf_counter() - t0
    worst = max(abs(ours[k] - theirs[k]) for k in theirs)
    print(f"bci bench (threads={args.threads or 'all'}): {t_bci:.2f} s")
    print(f"python (MNE + pyRiemann + scikit-learn):   {t_py:.2f} s")
    print(f"speed-up: {t_py / t_bci:.1f}x; largest per-subject score difference {worst:.3f}")


if __name__ == "__main__":
    main()
