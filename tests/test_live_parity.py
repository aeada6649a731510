"""Issue #7, acceptance 1: online/offline parity.

A calibration run is recorded from the firmware simulator over a real pseudo-terminal with
`bci stream --record` while markers arrive over UDP, a CSP+LDA model is trained on it, then the
recording (already at the board's resolution) is streamed back through the simulator and the
serial driver under `bci run`, and through `bci replay`: every window both decode has the same
sample index and bit-identical scores.
"""
import json
import socket
import subprocess
import threading
import time

from conftest import ROOT, run_bci
from test_acquire_e2e import Sim

SPEED = 20  # the simulator's clock: 125 Hz Daisy frames x 20


def _predictions(path):
    rows = [json.loads(l) for l in path.read_text().splitlines()]
    return {r["sample"]: r for r in rows if r["type"] == "prediction"}


def _send_markers(port, stop):
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    k = 0
    while not stop.is_set():
        tx.sendto(("left" if k % 2 == 0 else "right").encode() + b"\n", ("127.0.0.1", port))
        k += 1
        time.sleep(0.25)


def _free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_run_over_serial_equals_replay(bci_bin, sim_bin, tmp_path):
    src = ROOT / "datasets/eegmmidb/S001/S001R04.edf"
    cal = tmp_path / "calibration.bdf"
    port = _free_udp_port()
    sim = Sim(sim_bin, tmp_path, "--replay", src, "--daisy", "--speed", SPEED)
    stop = threading.Event()
    sender = threading.Thread(target=_send_markers, args=(port, stop))
    try:
        sender.start()
        run_bci(bci_bin, "stream", "--source", f"cyton-daisy:{sim.link}?speed={SPEED}",
                "--record", cal, "--markers-udp", str(port), "--quiet", "--duration", "10",
                timeout=120)
    finally:
        stop.set()
        sender.join()
        sim.stop()
    model = tmp_path / "model.json"
    run_bci(bci_bin, "train", "--data", cal, "--pipeline", "csp-lda",
            "--events", "left=left,right=right", "--tmin", "0", "--tmax", "1", "--out", model)

    # The same recording, live through the simulator and the serial driver ...
    sim = Sim(sim_bin, tmp_path, "--replay", cal, "--daisy", "--speed", SPEED, name="ttySim2")
    live = tmp_path / "live.jsonl"
    try:
        proc = run_bci(bci_bin, "run", "--source", f"cyton-daisy:{sim.link}?speed={SPEED}",
                       "--model", model, "--predictions", live, "--quiet", "--duration", "5",
                       timeout=120)
    finally:
        sim.stop()
    assert "the source lost 0" in proc.stderr, proc.stderr
    # ... and replayed from the file as fast as it goes.
    offline = tmp_path / "offline.jsonl"
    run_bci(bci_bin, "replay", cal, "--model", model, "--predictions", offline, "--quiet")

    on, off = _predictions(live), _predictions(offline)
    assert len(on) > 100, f"only {len(on)} live predictions"
    assert set(on) <= set(off)
    for sample, p in on.items():
        q = off[sample]
        assert p["scores"] == q["scores"], (sample, p, q)
        assert p["class"] == q["class"]
    # Windows fall every 40 ms of signal (5 samples at 125 Hz), aligned to sample indices.
    assert all((s + 1) % 5 == 0 for s in on)
