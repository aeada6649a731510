"""Reproducibility of bci bench (issue 6, item 3): two runs with the same seed give byte-identical
result files; four shards merged equal one unsharded run. Uses csp-lda and fbcsp (fast) on four
eegmmidb subjects, both filter modes, hands/feet imagery, with the shuffled-label control."""
import os

import pytest

from conftest import run_bci

IDENTICAL = ("results.csv", "results.json", "folds.csv", "summary.md")


def bench_args(subjects="1-4", seed="7"):
    return ["bench", "--paradigm", "hands-feet-imagery", "--subjects", subjects,
            "--pipelines", "csp-lda,fbcsp", "--filter", "both", "--seed", seed, "--quiet"]


ARGS = bench_args()


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
    run_bci(bci_bin, *bench_args(seed="8"), "--out", c, env=env)
    assert (c / "folds.csv").read_bytes() != (a / "folds.csv").read_bytes()


def test_merge_refuses_missing_or_foreign_shards(bci_bin, env, tmp_path):
    d1, d2 = tmp_path / "s1", tmp_path / "s2"
    run_bci(bci_bin, *bench_args("1-2"), "--shard", "1/2", "--out", d1, env=env)
    proc = run_bci(bci_bin, "bench", "merge", d1, "--out", tmp_path / "m", check=False)
    assert proc.returncode != 0 and "missing shard(s) 2/2" in proc.stderr
    run_bci(bci_bin, *bench_args("1-2", seed="9"), "--shard", "2/2", "--out", d2, env=env)
    proc = run_bci(bci_bin, "bench", "merge", d1, d2, "--out", tmp_path / "m", check=False)
    assert proc.returncode != 0 and "different run" in proc.stderr


def test_slurm_array_script_shards_and_merges(bci_bin, env, tmp_path):
    """examples/bench-slurm.sh run as two array tasks (the variables Slurm sets), then merged."""
    import subprocess

    from conftest import ROOT
    small = "--paradigm left-right-imagery --subjects 1-2 --pipelines csp-lda --seed 3"
    path = f"{bci_bin.parent}:{os.environ.get('PATH', '')}"
    if bci_bin.name != "bci":
        pytest.fail(f"the Slurm script calls `bci`; BCI_BIN must name a file called bci ({bci_bin})")
    for k in (1, 2):
        proc = subprocess.run(["bash", str(ROOT / "examples" / "bench-slurm.sh")], cwd=tmp_path,
                              env=dict(env, PATH=path, SLURM_ARRAY_TASK_COUNT="2",
                                       SLURM_ARRAY_TASK_ID=str(k), BENCH_ARGS=small,
                                       BENCH_OUT=str(tmp_path / "results")),
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    run_bci(bci_bin, "bench", "merge", tmp_path / "results/shard-1-of-2",
            tmp_path / "results/shard-2-of-2", "--out", tmp_path / "merged")
    whole = tmp_path / "whole"
    run_bci(bci_bin, "bench", *small.split(), "--quiet", "--out", whole, env=env)
    for name in IDENTICAL:
        assert (tmp_path / "merged" / name).read_bytes() == (whole / name).read_bytes(), name
