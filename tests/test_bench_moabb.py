"""bci bench against MOABB's protocol on eegmmidb S001-S005 left/right imagery (issue 6, items 1,
4 and 6): per-subject scores of csp-lda, ts-lr and mdm within 0.02 of the Python pipelines
(pyRiemann + scikit-learn, MNE filtering) on the same folds, checked by the committed
scripts/bench_compare.py; the shuffled-label control near chance; the plots written."""
import csv
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_bci


@pytest.fixture(scope="module")
def lr_run(bci_bin, shared_datasets, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_lr")
    run_bci(bci_bin, "bench", "--paradigm", "left-right-imagery", "--dataset", "eegmmidb",
            "--subjects", "1-5", "--pipelines", "csp-lda,ts-lr,mdm",
            "--evaluation", "within-session", "--out", out, "--seed", "42", "--quiet",
            env=dict(os.environ, BCI_DATA=str(shared_datasets)), timeout=600)
    return out


def results(out):
    with open(out / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_scores_match_python_pipelines_on_same_folds(lr_run, shared_datasets):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_compare.py"), str(lr_run),
                           "--data", str(shared_datasets), "--tol", "0.02"],
                          capture_output=True, text=True, timeout=600)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # 5 subjects x 3 pipelines compared, none failed.
    lines = [l for l in proc.stdout.splitlines() if "zero-phase" in l]
    assert len(lines) == 15, proc.stdout


def test_folds_are_moabbs_for_s001(lr_run):
    # MOABB's StratifiedKFold(5, shuffle=True, random_state=42) test folds for S001 (references.md).
    want = [[0, 6, 17, 18, 20, 24, 30, 38, 43], [4, 5, 10, 11, 12, 19, 32, 36, 44],
            [3, 9, 14, 15, 16, 23, 31, 37, 39], [1, 8, 21, 22, 25, 27, 29, 33, 40],
            [2, 7, 13, 26, 28, 34, 35, 41, 42]]
    with open(lr_run / "folds.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["subject"] == "1" and r["control"] == "none"
                and r["pipeline"] == "csp-lda"]
    got = [sorted(int(r["epoch"]) for r in rows if int(r["fold"]) == k) for k in range(5)]
    assert got == want


def test_shuffled_label_control_is_at_chance(lr_run):
    rows = results(lr_run)
    for pipeline in ("csp-lda", "ts-lr", "mdm"):
        ctrl = [float(r["score"]) for r in rows if r["pipeline"] == pipeline
                and r["control"] == "shuffled"]
        assert len(ctrl) == 5
        mean = sum(ctrl) / len(ctrl)
        assert abs(mean - 0.5) <= 0.1, (pipeline, ctrl)
    summary = (lr_run / "summary.md").read_text()
    assert "shuffled-label control" in summary
    assert "leaks labels" not in summary


def test_results_record_everything(lr_run):
    doc = json.loads((lr_run / "results.json").read_text())
    meta = doc["meta"]
    assert meta["seed"] == 42 and meta["n_folds"] == 5 and meta["filters"] == ["zero-phase"]
    assert meta["tool_version"]
    # Every subject's three runs with their sha256, matching the registry.
    for s in map(str, range(1, 6)):
        files = meta["files"][s]
        assert [f["path"][-7:] for f in files] == ["R04.edf", "R08.edf", "R12.edf"]
        assert all(f["verified"] and len(f["sha256"]) == 64 for f in files)
    rows = results(lr_run)
    assert len(rows) == 5 * 3 * 2
    for r in rows:
        assert r["filter"] == "zero-phase" and r["seed"] == "42" and r["metric"] == "roc-auc"
        assert len(r["fold_scores"].split(";")) == 5
    timings = (lr_run / "timings.csv").read_text().splitlines()
    assert timings[0].startswith("unit,subject,session,pipeline,control,filter,fold,fit_seconds")
    assert len(timings) == 1 + 5 * 3 * 2 * 5


def test_plots_are_pngs(lr_run):
    for name in ("scores_by_pipeline.png", "pipeline_comparison.png"):
        data = (lr_run / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert len(data) > 20_000, name
