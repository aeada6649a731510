"""Reproducibility of bci bench (issue 6, item 3): two runs with the same seed give byte-identical
result files; four shards merged equal one unsharded run. Uses csp-lda and fbcsp (fast) on four
eegmmidb subjects, both filter modes, hands/feet imagery, with the shuffled-label control."""
import os

import pytest

from conftest import run_bci

IDENTICAL = ("results.csv", "results.json", "folds.csv", "summary.md")
ARGS = ["bench", "--paradigm", "hands-feet-imagery", "--subjects", "1-4",
        "--pipelines", "csp-lda,fbcsp", "--filter", "both", "--seed", "7", "--quiet"]


@pytest.fixture(scope="module")
def env(shared_datasets):
    return dict(os.environ, BCI_DATA=str(shared_datasets))


def test_same_seed_byte_identical_and_shards_merge(bci_bin, env, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_bci(bci_bin, *ARGS, "--out", a, env=env)
    run_bci(bci_bin, *ARGS, "--out", b, "--threads", "1", env=env)
    for name in IDENTICAL:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    shards = []
    for k in range(1, 5):
        d = tmp_path / f"shard{k}"
        run_bci(bci_bin, *ARGS, "--shard", f"{k}/4", "--out", d, env=env)
        shards.append(d)
    merged = tmp_path / "merged"
    run_bci(bci_bin, "bench", "merge", *shards, "--out", merged)
    for name in IDENTICAL:
        assert (merged / name).read_bytes() == (a / name).read_bytes(), name
    # Timings are not byte-identical, but every fold is there.
    assert len((merged / "timings.csv").read_text().splitlines()) == \
        len((a / "timings.csv").read_text().splitlines())
    # A different seed gives different folds.
    c = tmp_path / "c"
    run_bci(bci_bin, *[x if x != "7" else "8" for x in ARGS], "--out", c, env=env)
    assert (c / "folds.csv").read_bytes() != (a / "folds.csv").read_bytes()


def test_merge_refuses_missing_or_foreign_shards(bci_bin, env, tmp_path):
    d1, d2 = tmp_path / "s1", tmp_path / "s2"
    run_bci(bci_bin, *ARGS, "--subjects", "1-2", "--shard", "1/2", "--out", d1, env=env)
    proc = run_bci(bci_bin, "bench", "merge", d1, "--out", tmp_path / "m", check=False)
    assert proc.returncode != 0 and "missing shard(s) 2/2" in proc.stderr
    run_bci(bci_bin, *ARGS, "--subjects", "1-2", "--seed", "9", "--shard", "2/2", "--out", d2,
            env=env)
    proc = run_bci(bci_bin, "bench", "merge", d1, d2, "--out", tmp_path / "m", check=False)
    assert proc.returncode != 0 and "different run" in proc.stderr
