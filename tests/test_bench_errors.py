"""bci bench on bad input: clear errors, non-zero exit, no panic."""
import os

from conftest import run_bci


def test_missing_dataset_names_fetch_command(bci_bin, tmp_path):
    proc = run_bci(bci_bin, "bench", "--paradigm", "left-right-imagery", "--subjects", "1",
                   "--pipelines", "csp-lda", "--out", tmp_path / "o", "--quiet",
                   env=dict(os.environ, BCI_DATA=str(tmp_path / "empty")), check=False)
    assert proc.returncode != 0
    assert "bci datasets fetch eegmmidb --subjects 1" in proc.stderr, proc.stderr


def test_unknown_names_and_bad_shard(bci_bin, shared_datasets, tmp_path):
    env = dict(os.environ, BCI_DATA=str(shared_datasets))
    base = ["bench", "--subjects", "1", "--out", tmp_path / "o", "--quiet"]
    cases = [
        (["--paradigm", "nope", "--pipelines", "csp-lda"], "known paradigms"),
        (["--paradigm", "left-right-imagery", "--pipelines", "svm9"], "known pipelines"),
        (["--paradigm", "left-right-imagery", "--pipelines", "csp-lda", "--shard", "5/4"],
         "--shard"),
        (["--paradigm", "left-right-imagery", "--pipelines", "csp-lda", "--filter", "acausal"],
         "zero-phase, causal or both"),
        (["--paradigm", "left-right-imagery", "--pipelines", "csp-lda",
          "--evaluation", "cross-session"], "at least 2 sessions"),
        (["--paradigm", "left-right-imagery", "--pipelines", "cca"], "ssvep paradigm"),
    ]
    for extra, message in cases:
        proc = run_bci(bci_bin, *base, *extra, env=env, check=False)
        assert proc.returncode != 0, extra
        assert message in proc.stderr, (extra, proc.stderr)


def test_pipeline_file(bci_bin, shared_datasets, tmp_path):
    env = dict(os.environ, BCI_DATA=str(shared_datasets))
    good = tmp_path / "p.toml"
    good.write_text('[[pipeline]]\nname = "csp4-shrink"\nkind = "csp-lda"\nnfilter = 4\n'
                    'lda = "lsqr-auto"\n')
    out = tmp_path / "o"
    run_bci(bci_bin, "bench", "--paradigm", "left-right-imagery", "--subjects", "1",
            "--pipeline-file", good, "--out", out, "--quiet", "--no-control", env=env)
    assert "csp4-shrink" in (out / "results.csv").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text('[[pipeline]]\nname = "x"\nkind = "csp-lda"\nnfilters = 4\n')
    proc = run_bci(bci_bin, "bench", "--paradigm", "left-right-imagery", "--subjects", "1",
                   "--pipeline-file", bad, "--out", out, "--quiet", env=env, check=False)
    assert proc.returncode != 0 and "bad.toml" in proc.stderr and "nfilters" in proc.stderr
