"""bci bench on P300 (bi2012, issue 6): the xDAWN pipelines through the CLI, checked against
pyRiemann run on the same epochs and the same folds by scripts/golden/p300.py; xDAWN scores far
above chance, and the summary flags the covariance-only pipeline that anti-predicts."""
import csv
import os
import subprocess
import sys

from conftest import ROOT, run_bci


def test_p300_xdawn_matches_pyriemann_on_same_folds(bci_bin, shared_datasets, tmp_path):
    out = tmp_path / "p300"
    run_bci(bci_bin, "bench", "--paradigm", "p300", "--dataset", "bi2012", "--subjects", "1",
            "--pipelines", "xdawn-ts-lr,xdawn-mdm,mdm", "--evaluation", "within-session",
            "--out", out, "--seed", "42", "--quiet", "--no-control",
            env=dict(os.environ, BCI_DATA=str(shared_datasets)), timeout=600)
    with open(out / "results.csv", newline="") as f:
        scores = {r["pipeline"]: float(r["score"]) for r in csv.DictReader(f)
                  if r["control"] == "none"}
    assert scores["xdawn-ts-lr"] > 0.85 and scores["xdawn-mdm"] > 0.75, scores
    summary = (out / "summary.md").read_text()
    assert "below chance" in summary
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "golden" / "p300.py"), str(out),
                           "--data", str(shared_datasets), "--tol", "0.02"],
                          capture_output=True, text=True, timeout=900)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len([l for l in proc.stdout.splitlines() if "zero-phase" in l]) == 3, proc.stdout
