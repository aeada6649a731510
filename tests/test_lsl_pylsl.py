"""pylsl as the outside LSL client of our Rust liblsl bindings (crates/bci-lsl).

The Rust side is the `lsl_probe` example (crates/bci-lsl/examples/lsl_probe.rs), built here with
`cargo build --release -p bci-lsl --examples` (env BCI_LSL_PROBE names a prebuilt one). It runs with
the crate's built-in loopback configuration; pylsl in this process reads the same settings from a
file given by LSLAPICFG, so no discovery packet leaves the machine.

Checked: pylsl resolves our EEG, prediction and marker streams and sees the channel count, rate,
format, labels, units, values and time stamps we published; our MarkerInlet receives the markers
pylsl sends, with their labels and time stamps.
"""
import os
import pathlib
import queue
import subprocess
import tempfile
import threading
import time

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# liblsl reads its configuration once per process, at the first outlet or resolve: set it at
# import (collection) time, before any test creates one. pylsl plays an outside client on this
# machine: discovery limited to the machine (queries to 127.0.0.1 and to liblsl's multicast
# group with TTL 0), its responder on liblsl's default address so our multicast queries reach it.
_CFG_DIR = tempfile.mkdtemp(prefix="bci-lsl-test-")
_CFG = pathlib.Path(_CFG_DIR) / "lsl_api.cfg"
_CFG.write_text(
    "[ports]\nIPv6 = disable\n\n[multicast]\nResolveScope = machine\n"
    "MachineAddresses = {127.0.0.1, 239.255.172.215}\nTTL = 0\n\n"
    "[lab]\nKnownPeers = {127.0.0.1}\n\n[log]\nlevel = -2\n"
)
os.environ.setdefault("LSLAPICFG", str(_CFG))

import pylsl  # noqa: E402  (after LSLAPICFG is set)


@pytest.fixture(scope="module")
def probe_bin():
    """The lsl_probe example, built in release mode (respects CARGO_TARGET_DIR)."""
    if os.environ.get("BCI_LSL_PROBE"):
        path = pathlib.Path(os.environ["BCI_LSL_PROBE"])
        if not path.exists():
            pytest.fail(f"BCI_LSL_PROBE={path} does not exist")
        return path
    proc = subprocess.run(
        ["cargo", "build", "--release", "-p", "bci-lsl", "--examples"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        pytest.fail(f"cargo build of the lsl_probe example failed:\n{proc.stderr[-4000:]}")
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    path = target / "release" / "examples" / "lsl_probe"
    if not path.exists():
        pytest.fail(f"{path} not found after cargo build --release -p bci-lsl --examples")
    return path


class Probe:
    """lsl_probe running with the crate's own (built-in) network configuration."""

    def __init__(self, probe_bin, *args):
        env = dict(os.environ)
        env.pop("LSLAPICFG", None)
        self.proc = subprocess.Popen(
            [str(probe_bin), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix, timeout=10.0):
        """The next stdout line starting with `prefix` (fails on EOF or timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"lsl_probe printed no {prefix!r} within {timeout} s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                err = self.proc.stderr.read()
                pytest.fail(f"lsl_probe ended before {prefix!r}: {err}")
            if line.startswith(prefix):
                return line

    def finish(self, timeout=15.0):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("lsl_probe did not exit")
        err = self.proc.stderr.read()
        assert "panicked" not in err, err
        return rc, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _unique(tag):
    return f"bci-pytest-{tag}-{os.getpid()}-{time.monotonic_ns() % 10**9}"


def _open_inlet(name):
    found = pylsl.resolve_byprop("name", name, 1, 5.0)
    assert len(found) == 1, f"pylsl resolved {len(found)} streams named {name}"
    inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=False)
    inlet.open_stream(timeout=5.0)
    return inlet


def _pull_all(inlet, frames, n_channels):
    data, stamps = [], []
    deadline = time.monotonic() + 10.0
    while len(stamps) < frames and time.monotonic() < deadline:
        chunk, ts = inlet.pull_chunk(timeout=0.2, max_samples=frames)
        data.extend(chunk)
        stamps.extend(ts)
    assert len(stamps) == frames, f"pylsl received {len(stamps)} of {frames} frames"
    return np.asarray(data, dtype=np.float64).reshape(frames, n_channels), np.asarray(stamps)


def test_pylsl_receives_our_eeg_stream(probe_bin):
    name = _unique("eeg")
    labels = ["Fp1", "Fp2", "C3", "Cz", "C4", "P3", "O1", "O2"]
    frames, rate, n = 1000, 250.0, len(labels)
    probe = Probe(probe_bin, "publish", "--name", name, "--type", "EEG", "--channels", n,
                  "--rate", rate, "--format", "float32", "--frames", frames, "--chunk", 25,
                  "--labels", ",".join(labels))
    try:
        probe.expect("READY")
        inlet = _open_inlet(name)
        info = inlet.info(timeout=5.0)
        assert info.name() == name
        assert info.type() == "EEG"
        assert info.channel_count() == n
        assert info.nominal_srate() == rate
        assert info.channel_format() == pylsl.cf_float32
        assert info.source_id() == f"lsl_probe-{name}"
        assert info.get_channel_labels() == labels
        assert info.get_channel_units() == ["microvolts"] * n
        assert info.get_channel_types() == ["EEG"] * n
        assert info.desc().child_value("manufacturer") == "bci lsl_probe"

        t0 = float(probe.expect("T0").split()[1])
        data, stamps = _pull_all(inlet, frames, n)
        f = np.arange(frames)[:, None]
        c = np.arange(n)[None, :]
        expected = ((f * n + c) * 0.25 - 50.0).astype(np.float32).astype(np.float64)
        np.testing.assert_array_equal(data, expected)
        # Each chunk was stamped with its last frame's time; liblsl spreads the rest at the rate.
        np.testing.assert_allclose(stamps, t0 + np.arange(frames) / rate, rtol=0, atol=1e-6)
        del inlet
        probe.expect("DONE")
        rc, err = probe.finish()
        assert rc == 0, err
    finally:
        probe.kill()


def test_pylsl_receives_our_irregular_prediction_stream(probe_bin):
    name = _unique("pred")
    frames, n = 50, 3
    probe = Probe(probe_bin, "publish", "--name", name, "--type", "Predictions", "--channels", n,
                  "--rate", 0, "--format", "double64", "--frames", frames, "--chunk", 1,
                  "--labels", "left,right,confidence")
    try:
        probe.expect("READY")
        inlet = _open_inlet(name)
        info = inlet.info(timeout=5.0)
        assert info.type() == "Predictions"
        assert info.channel_count() == n
        assert info.nominal_srate() == pylsl.IRREGULAR_RATE
        assert info.channel_format() == pylsl.cf_double64
        assert info.get_channel_labels() == ["left", "right", "confidence"]
        t0 = float(probe.expect("T0").split()[1])
        data, stamps = _pull_all(inlet, frames, n)
        f = np.arange(frames)[:, None]
        c = np.arange(n)[None, :]
        np.testing.assert_array_equal(data, (f * n + c) * 0.25 - 50.0)
        np.testing.assert_allclose(stamps, t0 + np.arange(frames) * 0.01, rtol=0, atol=1e-9)
        del inlet
        probe.expect("DONE")
        rc, err = probe.finish()
        assert rc == 0, err
    finally:
        probe.kill()


def test_pylsl_receives_our_string_samples(probe_bin):
    name = _unique("strings")
    probe = Probe(probe_bin, "publish", "--name", name, "--type", "Markers", "--channels", 2,
                  "--rate", 0, "--format", "string", "--frames", 5, "--chunk", 1)
    try:
        probe.expect("READY")
        inlet = _open_inlet(name)
        assert inlet.info(timeout=5.0).channel_format() == pylsl.cf_string
        t0 = float(probe.expect("T0").split()[1])
        for f in range(5):
            sample, ts = inlet.pull_sample(timeout=5.0)
            assert sample == [f"m{f}c0", f"m{f}c1"]
            assert abs(ts - (t0 + f * 0.01)) < 1e-9
        del inlet
        probe.expect("DONE")
        rc, err = probe.finish()
        assert rc == 0, err
    finally:
        probe.kill()


def test_our_marker_inlet_receives_pylsl_markers(probe_bin):
    name = _unique("markers")
    info = pylsl.StreamInfo(name, "Markers", 1, pylsl.IRREGULAR_RATE, "string", f"{name}-src")
    outlet = pylsl.StreamOutlet(info)
    labels = ["left", "right", "rest", "feet ✓", "T=769"]
    probe = Probe(probe_bin, "markers", "--name", name, "--count", len(labels), "--timeout", 10)
    try:
        opened = probe.expect("OPEN")
        assert opened.split() == ["OPEN", name, "1"]
        assert outlet.wait_for_consumers(10.0), "our MarkerInlet never subscribed"
        # Stamped in the recent past, as a stimulus program stamps the event it just showed.
        t0 = pylsl.local_clock() - 0.1
        for i, label in enumerate(labels):
            outlet.push_sample([label], t0 + i * 0.01)
        for i, label in enumerate(labels):
            _, got_label, got_ts = probe.expect("MARKER").split("\t")
            assert got_label == label
            # Our inlet applies LSL's clock correction: on one machine it is within a millisecond.
            assert abs(float(got_ts) - (t0 + i * 0.01)) < 1e-3, (got_ts, t0 + i * 0.01)
        probe.expect("DONE")
        rc, err = probe.finish()
        assert rc == 0, err
    finally:
        probe.kill()
        del outlet
