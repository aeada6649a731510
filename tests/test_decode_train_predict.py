"""bci train / bci predict with the pipelines csp-mne-lda, fbcsp and xdawn-lda (issue 5): trained
on eegmmidb S001 R04 + R08 (left/right imagery), applied to the held-out R12: one CSV row per
T1/T2 event with finite per-class scores whose sign gives the prediction; a model whose fitted
part was damaged is refused at load with the field named and a non-zero exit, never a panic."""
import csv
import json
import math

import pytest

from conftest import run_bci


@pytest.mark.parametrize("pipeline,tmax", [("csp-mne-lda", 3), ("fbcsp", 3), ("xdawn-lda", 1)])
def test_train_predict_new_pipelines(bci_bin, shared_datasets, tmp_path, pipeline, tmax):
    d = shared_datasets / "eegmmidb" / "S001"
    model = tmp_path / f"{pipeline}.json"
    out = run_bci(bci_bin, "train", "--data", d / "S001R04.edf", d / "S001R08.edf",
                  "--pipeline", pipeline, "--events", "T1=left,T2=right", "--tmax", tmax,
                  "--out", model)
    assert f"trained {pipeline}" in out.stdout
    csv_path = tmp_path / "pred.csv"
    run_bci(bci_bin, "predict", "--model", model, d / "S001R12.edf", "--out", csv_path)
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 15, rows
    for r in rows:
        assert r["label"] in ("left", "right") and r["predicted"] in ("left", "right")
        left, right = float(r["score_left"]), float(r["score_right"])
        assert math.isfinite(left) and math.isfinite(right)
        assert r["predicted"] == ("right" if right > left else "left"), r

    doc = json.loads(model.read_text())
    lda = doc["pipeline"]["fbcsp"]["lda"] if pipeline == "fbcsp" else doc["pipeline"]["lda"]
    lda["coef"] = {"v": 1, "dim": [1, 2], "data": [1.0, 2.0]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    proc = run_bci(bci_bin, "predict", "--model", bad, d / "S001R12.edf", check=False)
    assert proc.returncode != 0
    assert str(bad) in proc.stderr and f"({pipeline}): lda.coef is 1 x 2" in proc.stderr, \
        proc.stderr
