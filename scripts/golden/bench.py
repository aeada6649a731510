#!/usr/bin/env python3
"""Golden fold assignments for bci-bench: scikit-learn's StratifiedKFold(n_splits, shuffle=True,
random_state=seed) on label vectors of several shapes (two and more classes, unbalanced, string
labels in arbitrary first-appearance order), and numpy's RandomState(seed).permutation(n).

Output: tests/golden/bench/folds.json. Run with the project venv:
    .venv/bin/python scripts/golden/bench.py
"""

import json
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "golden" / "bench" / "folds.json"


def test_folds(y, n_splits, seed):
    skf = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    out = np.empty(len(y), dtype=int)
    for k, (_, te) in enumerate(skf.split(np.zeros(len(y)), y)):
        out[te] = k
    return out.tolist()


def main():
    gen = np.random.default_rng(2026)
    cases = []
    # MOABB's S001 left/right shape: 23 left / 22 right, seed 42.
    for n, k, splits, seed in [(45, 2, 5, 42), (45, 2, 5, 0), (45, 2, 5, 123456789),
                               (24, 3, 5, 42), (32, 4, 5, 7), (100, 2, 10, 42),
                               (768, 2, 5, 42), (61, 3, 4, 2**32 - 1), (13, 2, 2, 1)]:
        y = gen.integers(0, k, size=n)
        while np.bincount(y, minlength=k).min() < splits:
            y = gen.integers(0, k, size=n)
        labels = [f"c{int(v) * 7 % 5}" for v in y]
        cases.append({"labels": labels, "n_splits": splits, "seed": seed,
                      "test_fold": test_folds(labels, splits, seed)})
    perms = [{"n": n, "seed": s, "permutation": np.random.RandomState(s).permutation(n).tolist()}
             for n, s in [(45, 42), (1000, 7), (3, 0), (5000, 2**31)]]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"stratified_kfold": cases, "permutation": perms}) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
