"""Issue #7, acceptance 6: `bci demo` under tmux shows the live view — channel traces and the
decoder's output — during the online run, and still ends with its report."""
import re
import shutil
import subprocess
import time

import pytest

from conftest import ROOT

BRAILLE = re.compile("[\u2801-\u28ff]")


def _pane(name):
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True,
                          text=True).stdout


def test_demo_live_view_under_tmux(bci_bin, tmp_path):
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (scripts/test.sh installs it)")
    name = f"bcidemo{int(time.time() * 1000) % 100000}"
    status = tmp_path / "status"
    cmd = f"'{bci_bin}' demo > /dev/tty 2> '{tmp_path / 'err.txt'}'; echo $? > '{status}'; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c",
                    str(ROOT), cmd], check=True)
    seen = None
    try:
        deadline = time.time() + 100
        while time.time() < deadline and not status.exists():
            screen = _pane(name)
            if ("decoder" in screen and re.search(r"(left|right) @\s*\d+", screen)
                    and len(BRAILLE.findall(screen)) > 200):
                seen = screen
                break
            time.sleep(0.5)
        assert seen, f"the live view never showed traces and a decision:\n{_pane(name)}"
        # The board's channels are listed by name.
        assert "EEG 1" in seen, seen
        deadline = time.time() + 100
        while time.time() < deadline and not status.exists():
            time.sleep(0.5)
        assert status.exists(), "the demo did not finish"
        assert status.read_text().strip() == "0", (tmp_path / "err.txt").read_text()
        err = (tmp_path / "err.txt").read_text()
        assert "panicked" not in err, err
        # The terminal is back and the report follows the view.
        assert "result: accuracy" in _pane(name), _pane(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
