"""The live view in a real terminal: tmux runs crates/bci-view/examples/view_demo.rs.

The example feeds the view from a synthetic 8-channel 250 Hz signal (Fp2 railed, P4 flat) on a
producer thread, as the pipeline does. The test reads the screen with `tmux capture-pane`, sends
a marker key and `q`, and checks the process exits 0 with the terminal restored (normal screen,
canonical mode and echo back on).
"""
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import ROOT


def _target_dir():
    return os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))


@pytest.fixture(scope="module")
def view_demo():
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: apt-get install tmux")
    proc = subprocess.run(["cargo", "build", "--release", "-p", "bci-view", "--examples"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        pytest.fail(f"building the view_demo example failed:\n{proc.stderr[-4000:]}")
    path = os.path.join(_target_dir(), "release", "examples", "view_demo")
    if not os.path.exists(path):
        pytest.fail(f"{path} not found after the build (CARGO_TARGET_DIR={_target_dir()})")
    return path


class Tmux:
    """A private tmux server (own socket), so the test never touches the user's sessions."""

    def __init__(self):
        self.socket = f"bci-view-test-{os.getpid()}"
        self.session = "view"

    def run(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              timeout=20, check=check)

    def capture(self):
        return self.run("capture-pane", "-p", "-t", self.session).stdout

    def wait_for(self, predicate, what, timeout=20.0):
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}; screen:\n{screen}")

    def kill(self):
        self.run("kill-server", check=False)


def braille(text):
    return sum(1 for c in text if "\u2801" <= c <= "\u28ff")


def start(tmux, view_demo, *args):
    """Starts the demo in a 120x40 pane; after it exits, the pane shows its status and the
    terminal modes raw mode turns off (canonical input, echo)."""
    cmd = " ".join([f"'{view_demo}'", *args])
    script = (f"{cmd}; echo VIEW_EXIT=$?; "
              "echo STTY $(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo); "
              "sleep 120")
    tmux.run("new-session", "-d", "-s", tmux.session, "-x", "120", "-y", "40", script)


def assert_restored(tmux, screen):
    stty = next(l for l in screen.splitlines() if l.startswith("STTY"))
    assert sorted(stty.split()[1:]) == ["echo", "icanon"], f"terminal left in raw mode: {stty}"
    alt = tmux.run("display-message", "-p", "-t", tmux.session, "#{alternate_on}").stdout
    assert alt.strip() == "0", "still on the alternate screen"
    assert braille(screen) == 0, f"the view's drawing remains on the normal screen:\n{screen}"


def test_view_demo_renders_and_quits_cleanly(view_demo):
    tmux = Tmux()
    try:
        start(tmux, view_demo)
        screen = tmux.wait_for(
            lambda s: re.search(r"(relaxed|focused) @\d+", s) and braille(s) > 200
            and "cue @" in s,
            "traces, a decoder output and a marker")
        lines = screen.splitlines()
        for name in ("Fp1", "Fp2", "C3", "C4", "P3", "P4", "O1", "O2"):
            row = next((l for l in lines if l.startswith(name + " ")), None)
            assert row is not None, f"channel {name} missing:\n{screen}"
            if name == "Fp2":
                assert "RAIL" in row, screen
            elif name == "P4":
                assert "FLAT" in row, screen
            else:
                assert " ok " in row, screen
                # Its trace: braille dots on the label row.
                assert braille(row) > 20, f"no trace for {name}:\n{screen}"
        assert "250 Hz" in lines[0] and "8 ch" in lines[0], screen
        assert re.search(r"lat p50 \d+ µs p99 \d+ µs", screen), screen
        assert re.search(r"θ/β [0-9.]+", screen), screen
        assert "drops rec 0" in screen, screen

        # A key marker goes to the producer, which places it and feeds it back.
        tmux.run("send-keys", "-t", tmux.session, "m")
        tmux.wait_for(lambda s: re.search(r"mark @ \d+", s), "the key marker 'mark @ N'")

        tmux.run("send-keys", "-t", tmux.session, "q")
        screen = tmux.wait_for(lambda s: "STTY" in s, "the process to exit after q")
        assert "VIEW_EXIT=0" in screen, screen
        assert "view_demo: quit after" in screen, screen
        assert_restored(tmux, screen)
    finally:
        tmux.kill()


def test_terminal_restored_after_a_panic_in_the_view_loop(view_demo):
    tmux = Tmux()
    try:
        start(tmux, view_demo, "--panic-after", "1.5")
        screen = tmux.wait_for(lambda s: "STTY" in s, "the process to exit after its panic")
        assert "VIEW_EXIT=101" in screen, screen
        # The panic message lands on the normal screen, readable.
        assert "deliberate panic" in screen, screen
        assert_restored(tmux, screen)
    finally:
        tmux.kill()


def test_session_end_returns_and_restores(view_demo):
    tmux = Tmux()
    try:
        start(tmux, view_demo, "--seconds", "1.5")
        screen = tmux.wait_for(lambda s: "STTY" in s, "the process to exit at the end")
        assert "VIEW_EXIT=0" in screen, screen
        m = re.search(r"view_demo: finished after (\d+) samples", screen)
        assert m and int(m.group(1)) > 250, screen
        assert_restored(tmux, screen)
    finally:
        tmux.kill()
