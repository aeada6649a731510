"""`bci demo`, the README's first command: a whole live session with the simulated board."""
import re
import time

from conftest import run_bci


def test_demo_runs_a_live_session_end_to_end(bci_bin, repo_root):
    t0 = time.time()
    proc = run_bci(bci_bin, "demo", cwd=repo_root, timeout=120)
    wall = time.time() - t0
    out = proc.stdout
    assert wall < 120, f"the demo took {wall:.0f} s"
    # Calibration and online runs streamed over the pty: nothing lost, everything recorded.
    assert out.count("0 lost by the link, 0 dropped in the pipeline") == 2, out
    assert "recordings complete: true" in out, out
    assert "on 30 cued epochs of the calibration recording" in out, out
    m = re.search(r"accuracy (\d+)/(\d+) = \d+% on run 12's cues", out)
    assert m, out
    right, total = int(m.group(1)), int(m.group(2))
    assert total == 15, out  # run 12 has 15 left/right cues
    # Subject 1 decodes above chance; a broken filter, window or label mapping gives ~50%.
    assert right / total > 0.55, out
    lat = re.search(r"p50 (\d+) us, p90 (\d+) us, p99 (\d+) us", out)
    assert lat and int(lat.group(1)) > 0, out


def test_demo_says_where_the_data_is_missing(bci_bin, tmp_path):
    proc = run_bci(bci_bin, "demo", "--data", tmp_path, check=False)
    assert proc.returncode != 0
    assert "bundled recordings were not found" in proc.stderr, proc.stderr
