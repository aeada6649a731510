"""SSVEP benchmark (issue 6, item 2): cca and fbcca on ssvep_exoskeleton subjects 1-7, accuracy
and ITR per subject, and a Python CCA reference (numpy, MNE filtering) agreeing trial by trial
(scripts/bench_compare.py)."""
import csv
import os
import subprocess
import sys

from conftest import ROOT, run_bci


def test_ssvep_cca_fbcca_agree_with_python_per_trial(bci_bin, shared_datasets, tmp_path):
    out = tmp_path / "ssvep"
    run_bci(bci_bin, "bench", "--paradigm", "ssvep", "--subjects", "1-7",
            "--pipelines", "cca,fbcca", "--out", out, "--quiet",
            env=dict(os.environ, BCI_DATA=str(shared_datasets)))
    with open(out / "results.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["control"] == "none"]
    assert len(rows) == 14
    for r in rows:
        assert r["metric"] == "accuracy" and r["n_classes"] == "3"
        assert float(r["itr_bits_per_min"]) >= 0.0
    # CCA on this dataset is well above chance (1/3) on average.
    for p in ("cca", "fbcca"):
        acc = [float(r["score"]) for r in rows if r["pipeline"] == p]
        assert sum(acc) / len(acc) > 0.5, (p, acc)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_compare.py"), str(out),
                           "--data", str(shared_datasets)],
                          capture_output=True, text=True, timeout=600)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(" yes") == 14, proc.stdout
