"""`bci demo`, the README's first command, runs to the end on the bundled recordings."""
import re

from conftest import run_bci


def test_demo_runs_offline_on_the_bundled_recordings(bci_bin, repo_root):
    proc = run_bci(bci_bin, "demo", cwd=repo_root, timeout=120)
    out = proc.stdout
    for run in ("S001R04.edf", "S001R08.edf", "S001R12.edf"):
        assert f"{run}: EDF+C, 64 channels at 160 Hz, 125.0 s" in out, out
    assert "45 epochs of 481 samples" in out, out
    assert "23 left (T1), 22 right (T2)" in out, out
    auc = float(re.search(r"mean ROC-AUC ([0-9.]+)", out).group(1))
    # Subject 1 decodes well above chance (MOABB: 0.85); a broken filter or epoching drops to ~0.5.
    assert auc > 0.7, out


def test_demo_says_where_the_data_is_missing(bci_bin, tmp_path):
    proc = run_bci(bci_bin, "demo", "--data", tmp_path, check=False)
    assert proc.returncode != 0
    assert "bundled recordings were not found" in proc.stderr, proc.stderr
