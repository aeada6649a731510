"""End to end acquisition: the firmware simulator on a real pseudo-terminal, `bci record`, BrainFlow.

Values are compared exactly in the BDF file's integer domain: a recording of a Cyton stores each ADC
count as one digital step, so the file's samples must equal the counts the simulator sent.
"""
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np
import pyedflib
import pytest

from conftest import run_bci

SCALE24 = 4.5 / 24 / (2**23 - 1) * 1e6


class Sim:
    """A firmware-sim process publishing its port at `link`."""

    def __init__(self, sim_bin, tmp_path, *args, name="ttySim"):
        self.link = tmp_path / name
        self.proc = subprocess.Popen([str(sim_bin), "--link", str(self.link), "--reset-delay", "0.2", *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if line != str(self.link):
            self.stop()
            pytest.fail(f"firmware-sim did not start: {line!r} {self.proc.stderr.read()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        err = self.proc.stderr.read()
        assert "panicked" not in err, err
        return err


def counts(uv):
    """ADC counts at gain 24 the simulator sends for `uv` (round to nearest, 24-bit clip)."""
    return np.clip(np.round(np.asarray(uv) / SCALE24), -2**23, 2**23 - 1)


def file_digital(path, n_ch):
    f = pyedflib.EdfReader(str(path))
    try:
        dig = np.array([f.readSignal(i, digital=True) for i in range(n_ch)])
        hdr = [(f.getPhysicalMinimum(i), f.getPhysicalMaximum(i), f.getDigitalMinimum(i), f.getDigitalMaximum(i))
               for i in range(n_ch)]
        ann = f.readAnnotations()
        sfreq = f.getSampleFrequency(0)
    finally:
        f.close()
    return dig, hdr, ann, sfreq


def expected_digital(uv, hdr):
    """What the writer stores for µV values `uv` (channels × samples), from the header strings."""
    out = np.empty_like(uv)
    for i, (pmin, pmax, dmin, dmax) in enumerate(hdr):
        gain = (pmax - pmin) / (dmax - dmin)
        offset = pmin - dmin * gain
        out[i] = np.clip(np.round((uv[i] - offset) / gain), dmin, dmax)
    return out


def summary(proc):
    return json.loads(proc.stdout.strip().splitlines()[-1])


def source_s001r04(shared_datasets):
    f = pyedflib.EdfReader(str(shared_datasets / "eegmmidb/S001/S001R04.edf"))
    try:
        return np.array([f.readSignal(i) for i in range(8)])
    finally:
        f.close()


def test_record_replay_over_pty_equals_quantized_source(bci_bin, sim_bin, shared_datasets, tmp_path):
    src = source_s001r04(shared_datasets)
    n_src = src.shape[1]
    sim = Sim(sim_bin, tmp_path, "--replay", shared_datasets / "eegmmidb/S001/S001R04.edf", "--speed", 25)
    try:
        out = tmp_path / "rec.bdf"
        # 20 000 file samples at 25 × 250 packets/s take 3.2 s.
        s = summary(run_bci(bci_bin, "record", "--source", f"cyton:{sim.link}?speed=25", "--out", out,
                            "--duration", 4.5, "--json", timeout=60))
    finally:
        sim.stop()
    assert s["lost_samples"] == 0 and s["gaps"] == 0, s
    assert s["frames_written"] >= n_src, s
    dig, hdr, ann, sfreq = file_digital(out, 8)
    assert sfreq == 250
    n = dig.shape[1]
    assert n == s["frames_written"]
    idx = np.arange(n) % n_src
    # One file step is one ADC count: the header spans ±187500 µV over ±(2^23 - 1).
    for pmin, pmax, dmin, dmax in hdr:
        assert (pmin, pmax, dmin, dmax) == (-187500, 187500, -(2**23 - 1), 2**23 - 1)
    want = np.clip(counts(src[:, idx]), -(2**23 - 1), 2**23 - 1)
    bad = np.argwhere(dig != want)
    assert bad.size == 0, f"{len(bad)} samples differ, first {bad[:5]}"
    assert len(ann[0]) == 0


BRAINFLOW_SCRIPT = r"""
import sys, time, json
import numpy as np
from brainflow.board_shim import BoardShim, BrainFlowInputParams
BoardShim.disable_board_logger()
p = BrainFlowInputParams(); p.serial_port = sys.argv[1]
b = BoardShim(0, p)
b.prepare_session(); b.start_stream(); time.sleep(float(sys.argv[2]))
d = b.get_board_data(); b.stop_stream(); b.release_session()
np.save(sys.argv[3], d)
"""


def test_brainflow_cyton_driver_agrees_with_ours(bci_bin, sim_bin, tmp_path):
    # Two simulators with the same seed send the same packets: BrainFlow reads one, we the other.
    args = ("--signal", "ssvep:12", "--line-noise", 40, "--seed", 11)
    sim = Sim(sim_bin, tmp_path, *args, name="ttyBF")
    try:
        script = tmp_path / "bf.py"
        script.write_text(BRAINFLOW_SCRIPT)
        npy = tmp_path / "bf.npy"
        proc = subprocess.run([sys.executable, str(script), str(sim.link), "2.5", str(npy)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    finally:
        sim.stop()
    bf = np.load(npy)
    assert bf.shape[0] == 24 and bf.shape[1] > 500, bf.shape
    # BrainFlow's package numbers run 0, 1, 2 ... with no gap.
    assert bf[0, 0] == 0
    assert np.all(np.diff(bf[0]) % 256 == 1)
    sim2 = Sim(sim_bin, tmp_path, *args, name="ttyOurs")
    try:
        out = tmp_path / "ours.bdf"
        s = summary(run_bci(bci_bin, "record", "--source", f"cyton:{sim2.link}", "--out", out,
                            "--duration", 3.0, "--json", timeout=60))
    finally:
        sim2.stop()
    assert s["lost_samples"] == 0, s
    dig, hdr, _, _ = file_digital(out, 11)
    n = min(dig.shape[1], bf.shape[1])
    assert n > 500
    # BrainFlow's µV are whole ADC counts times the gain-24 scale...
    bf_counts = bf[1:9, :n] / SCALE24
    assert np.max(np.abs(bf_counts - np.round(bf_counts))) < 1e-6
    # ... and our file holds exactly those values.
    want = expected_digital(bf[1:9, :n], hdr[:8])
    assert np.array_equal(dig[:8, :n], want)
    # Accelerometer (g) agrees to the file's resolution where BrainFlow had a reading.
    acc_gain = np.array([(h[1] - h[0]) / (h[3] - h[2]) for h in hdr[8:11]])
    f = pyedflib.EdfReader(str(out))
    ours_acc = np.array([f.readSignal(8 + i)[:n] for i in range(3)])
    f.close()
    held = np.arange(n) >= 13  # after the first fresh reading (packet 3) on both sides
    assert np.max(np.abs(ours_acc[:, held] - bf[9:12, :n][:, held])) <= acc_gain.max()


def test_faults_lost_count_equals_fault_log(bci_bin, sim_bin, shared_datasets, tmp_path):
    """--corrupt 0.001 --drop 0.001 over five minutes of stream (at 25 × speed)."""
    src = source_s001r04(shared_datasets)
    n_src = src.shape[1]
    log = tmp_path / "faults.jsonl"
    sim = Sim(sim_bin, tmp_path, "--replay", shared_datasets / "eegmmidb/S001/S001R04.edf", "--speed", 25,
              "--corrupt", 0.001, "--drop", 0.001, "--seed", 3, "--fault-log", log)
    try:
        out = tmp_path / "faults.bdf"
        s = summary(run_bci(bci_bin, "record", "--source", f"cyton:{sim.link}?speed=25", "--out", out,
                            "--duration", 12.5, "--json", timeout=90))
    finally:
        sim.stop()
    n = s["frames_written"]
    assert n >= 75_000, s  # five minutes at 250 Hz
    faults = [json.loads(l) for l in log.read_text().splitlines()]
    faults = [f for f in faults if f.get("packet", 0) < n]
    lost_packets = {f["packet"] for f in faults if f.get("samples_lost", 0) > 0}
    assert len(lost_packets) > 60, len(lost_packets)
    # Counter wraps inside the faulted range: the run spans ~290 laps of the one-byte counter.
    assert s["lost_samples"] == sum(f["samples_lost"] for f in faults), s
    assert s["samples_received"] == n - s["lost_samples"]
    dig, hdr, ann, _ = file_digital(out, 8)
    idx = np.arange(n) % n_src
    want = expected_digital(counts(src[:, idx]) * SCALE24, hdr)
    # Every intact packet is in the file with its values; corrupted data bytes spoil one channel.
    spoiled = {(f["packet"], (f["offset"] - 2) // 3) for f in faults
               if f["fault"] == "corrupt" and 2 <= f["offset"] <= 25}
    intact = np.ones(n, bool)
    intact[list(lost_packets)] = False
    mismatch = [(int(i), c) for c in range(8) for i in np.flatnonzero(intact & (dig[c] != want[c]))]
    assert set(mismatch) <= spoiled, sorted(set(mismatch) - spoiled)[:10]
    # Lost packets are zero-filled and covered by BAD_ACQ_SKIP annotations.
    zero_digital = expected_digital(np.zeros((8, 1)), hdr)[:, 0]
    assert np.all(dig[:, ~intact] == zero_digital[:, None])
    onsets, durations, labels = ann
    skips = [(round(o * 250), round(d * 250)) for o, d, l in zip(onsets, durations, labels)
             if l.startswith("BAD_ACQ_SKIP")]
    covered = set()
    for o, d in skips:
        covered.update(range(o, o + d))
    assert covered == lost_packets


def test_unplug_replug_same_file_with_gap(bci_bin, sim_bin, tmp_path):
    sim = Sim(sim_bin, tmp_path, "--speed", 4, "--unplug-after", 1.0, "--replug-after", 1.0)
    try:
        out = tmp_path / "unplug.bdf"
        proc = run_bci(bci_bin, "record", "--source", f"cyton:{sim.link}?speed=4", "--out", out,
                       "--duration", 5.0, "--json", timeout=60)
    finally:
        sim.stop()
    s = summary(proc)
    assert s["reconnects"] == 1, (s, proc.stderr)
    assert "disconnected" in proc.stderr and "reconnected" in proc.stderr
    dig, hdr, ann, _ = file_digital(out, 8)
    skips = [(o, d) for o, d, l in zip(*ann) if l.startswith("BAD_ACQ_SKIP")]
    assert len(skips) == 1, ann
    onset, dur = skips[0]
    # At 4 × speed, one wall-clock second unplugged is 1000 samples (4 s of signal).
    assert 1.0 * 250 * 4 <= dur * 250 <= 3.0 * 250 * 4, skips
    assert onset > 0.5 * 1000 / 250
    # Data after the gap: the file goes on past it.
    assert dig.shape[1] / 250 > onset + dur + 1


def test_record_brainflow_synthetic(bci_bin, tmp_path, repo_root):
    out = tmp_path / "bf.bdf"
    env = dict(os.environ)
    env.setdefault("BCI_PYTHON", str(repo_root / ".venv/bin/python"))
    s = summary(run_bci(bci_bin, "record", "--source", "brainflow:synthetic", "--out", out,
                        "--duration", 3, "--json", env=env, timeout=60))
    from brainflow.board_shim import BoardShim
    names = BoardShim.get_eeg_names(-1)
    f = pyedflib.EdfReader(str(out))
    try:
        assert f.getSignalLabels() == names
        assert f.getSampleFrequency(0) == BoardShim.get_sampling_rate(-1) == 250
        n = f.getNSamples()[0]
    finally:
        f.close()
    assert 700 <= n <= 800, n
    assert n == s["frames_written"]


def test_brainflow_board_names_and_missing_library(bci_bin, tmp_path):
    p = run_bci(bci_bin, "record", "--source", "brainflow:no_such_board", "--out", tmp_path / "x.bdf", check=False)
    assert p.returncode != 0 and "known boards" in p.stderr and "cyton_daisy" in p.stderr
    env = dict(os.environ, BRAINFLOW_LIB_DIR=str(tmp_path))
    p = run_bci(bci_bin, "record", "--source", "brainflow:synthetic", "--out", tmp_path / "y.bdf",
                check=False, env=env)
    assert p.returncode != 0 and "pip install brainflow" in p.stderr, p.stderr


def _timed_fail(bci_bin, tmp_path, spec, needle):
    out = tmp_path / "bad.bdf"
    t0 = time.monotonic()
    p = run_bci(bci_bin, "record", "--source", spec, "--out", out, "--duration", 10, check=False, timeout=30)
    took = time.monotonic() - t0
    assert p.returncode != 0, p.stdout
    assert needle in p.stderr, p.stderr
    assert took < 5.0, took
    return out


def test_bad_port_nonexistent(bci_bin, tmp_path):
    out = _timed_fail(bci_bin, tmp_path, "cyton:/dev/ttyUSB_nonexistent_42", "does not exist")
    assert not out.exists()


def _pty():
    master, slave = os.openpty()
    import tty
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def test_bad_port_silent(bci_bin, tmp_path):
    m, s, path = _pty()
    try:
        _timed_fail(bci_bin, tmp_path, f"cyton:{path}", "no reply to v")
    finally:
        os.close(m)
        os.close(s)


def _serve(master, stop, handler):
    os.set_blocking(master, False)
    while not stop.is_set():
        try:
            data = os.read(master, 64)
        except BlockingIOError:
            data = b""
        except OSError:
            return
        out = handler(data)
        if out:
            try:
                os.write(master, out)
            except OSError:
                pass
        time.sleep(0.003)


def _with_device(handler, fn):
    m, s, path = _pty()
    stop = threading.Event()
    t = threading.Thread(target=_serve, args=(m, stop, handler), daemon=True)
    t.start()
    try:
        return fn(path)
    finally:
        stop.set()
        t.join()
        os.close(m)
        os.close(s)


def test_bad_port_garbage(bci_bin, tmp_path):
    rng = np.random.default_rng(1)
    _with_device(lambda _: rng.integers(0, 256, 16, dtype=np.uint8).tobytes().replace(b"$", b"#"),
                 lambda path: _timed_fail(bci_bin, tmp_path, f"cyton:{path}", "never with the end marker"))


def test_banner_but_never_streams(bci_bin, tmp_path):
    banner = (b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\n"
              b"Firmware: v3.1.2\n$$$")

    def board(data):
        out = b""
        for c in data:
            if c == ord("v"):
                out += banner
            elif c == ord("d"):
                out += b"updating channel settings to default$$$"
        return out

    _with_device(board, lambda path: _timed_fail(bci_bin, tmp_path, f"cyton:{path}", "no data packets"))


def test_dongle_without_board(bci_bin, sim_bin, tmp_path):
    sim = Sim(sim_bin, tmp_path, "--board-off")
    try:
        _timed_fail(bci_bin, tmp_path, f"cyton:{sim.link}", "Communications timeout")
    finally:
        sim.stop()


def test_devices_lists_ports(bci_bin):
    p = run_bci(bci_bin, "devices", "--json")
    for line in p.stdout.splitlines():
        d = json.loads(line)
        assert d["path"].startswith("/dev/")
        assert d["likely_openbci_dongle"] == (d["vid"] == 0x0403 and d["pid"] == 0x6015)


def test_simulator_help(sim_bin):
    p = subprocess.run([str(sim_bin), "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0
    for flag in ("--link", "--speed", "--replay", "--corrupt", "--drop", "--burst", "--stall",
                 "--unplug-after", "--replug-after", "--fault-log", "--seed", "--daisy"):
        assert flag in p.stdout, flag


def test_record_file_replay_fast_and_synthetic(bci_bin, shared_datasets, tmp_path):
    edf = shared_datasets / "eegmmidb/S001/S001R04.edf"
    out = tmp_path / "replay.bdf"
    s = summary(run_bci(bci_bin, "record", "--source", f"file:{edf}?speed=fast", "--out", out, "--json", timeout=60))
    f = pyedflib.EdfReader(str(edf))
    src = np.array([f.readSignal(i) for i in range(f.signals_in_file)])
    src_labels = list(f.readAnnotations()[2])
    f.close()
    assert s["samples_received"] == src.shape[1] and s["lost_samples"] == 0
    assert s["events"] == len(src_labels) > 0
    dig, hdr, ann, sfreq = file_digital(out, src.shape[0])
    assert sfreq == 160
    got = np.array([d * (h[1] - h[0]) / (h[3] - h[2]) + h[0] - h[2] * (h[1] - h[0]) / (h[3] - h[2])
                    for d, h in zip(dig, hdr)])
    steps = np.array([(h[1] - h[0]) / (h[3] - h[2]) for h in hdr])
    assert np.all(np.abs(got[:, :src.shape[1]] - src) <= steps[:, None] / 2 + 1e-9)
    assert list(ann[2]) == src_labels
    out2 = tmp_path / "synth.bdf"
    s = summary(run_bci(bci_bin, "record", "--source", "synthetic?channels=4&rate=500", "--out", out2,
                        "--duration", 1.0, "--json", timeout=30))
    assert s["channels"] == 4 and s["sample_rate"] == 500 and 400 <= s["frames_written"] <= 600, s
