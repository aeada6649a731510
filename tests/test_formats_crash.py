"""Acceptance 3: SIGKILL the real `bci` binary in the middle of a long BDF+ write; the file must
open in MNE with at least every record the writer reported flushed, values equal to the source."""
import os
import signal
import subprocess
import time

import numpy as np

from conftest import run_bci

import mne

mne.set_log_level("ERROR")


def test_sigkill_mid_write_leaves_a_readable_file(bci_bin, shared_datasets, tmp_path):
    src_path = shared_datasets / "eegmmidb/S001/S001R04.edf"
    out = tmp_path / "killed.bdf"
    # 0.1 s records, flushed one by one, written at the recording's own pace (125 s in all).
    proc = subprocess.Popen(
        [str(bci_bin), "convert", str(src_path), str(out), "--record-duration", "0.1",
         "--flush-every", "1", "--realtime"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    flushed = 0
    deadline = time.monotonic() + 30
    try:
        while flushed < 12 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"bci exited early: {proc.stderr.read()}"
            if line.startswith("flushed "):
                flushed = int(line.split()[1])
        assert flushed >= 12, "the writer never reported 12 flushed records"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the process was not killed mid-write"
    assert "panicked" not in proc.stderr.read()

    head = out.read_bytes()[:256]
    ns = int(head[252:256])
    header_count = int(head[236:244])
    header_bytes = int(head[184:192])
    spr = [int(out.read_bytes()[256 + ns * 216 + 8 * i: 256 + ns * 216 + 8 * i + 8]) for i in range(ns)]
    record_bytes = 3 * sum(spr)
    data_bytes = out.stat().st_size - header_bytes
    on_disk = data_bytes // record_bytes
    # The count is written after the records it counts: never more than the records on disk,
    # never fewer than what was reported flushed before the kill.
    assert flushed <= header_count <= on_disk, (flushed, header_count, on_disk)
    assert header_count < 1250, "the write finished before the kill; nothing was tested"

    raw = mne.io.read_raw_bdf(out, preload=True)
    src = mne.io.read_raw_edf(src_path, preload=True)
    n = raw.n_times
    assert n >= flushed * 16
    assert raw.ch_names == src.ch_names
    x = src.get_data()[:, :n]
    y = raw.get_data()
    step = (raw._raw_extras[0]["physical_max"] - raw._raw_extras[0]["physical_min"]) / (
        raw._raw_extras[0]["digital_max"] - raw._raw_extras[0]["digital_min"]) * raw._raw_extras[0]["units"]
    assert (np.abs(x - y).max(axis=1) <= step * (1 + 1e-9)).all()
    # Events written so far come back at the same samples.
    sf = src.info["sfreq"]
    src_on = np.round(src.annotations.onset * sf)
    got_on = np.round(raw.annotations.onset * sf)
    assert len(got_on) >= 1
    np.testing.assert_array_equal(got_on, src_on[: len(got_on)])

    # Our own reader opens it when the count matches the records on disk, and otherwise names
    # both numbers.
    proc = run_bci(bci_bin, "inspect", out, check=False)
    if header_count == on_disk:
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode != 0 and str(header_count) in proc.stderr and str(on_disk) in proc.stderr
