"""Issue #7, acceptance 4: an outside LSL client (pylsl) receives `bci run --lsl`'s EEG and
prediction streams with the right channel count, rate and values, and our marker inlet receives
the markers pylsl sends (they land in the recording and the outputs)."""
import json
import subprocess
import time

import mne
import numpy as np
import pylsl
import pytest

from conftest import ROOT, run_bci

RUN = ROOT / "datasets/eegmmidb/S001"


def _resolve(name, timeout=20.0):
    found = pylsl.resolve_byprop("name", name, timeout=timeout)
    assert found, f"pylsl did not find the stream {name!r} within {timeout} s"
    return found[0]


def test_pylsl_receives_eeg_and_predictions_and_sends_markers(bci_bin, tmp_path):
    model = tmp_path / "m.json"
    run_bci(bci_bin, "train", "--data", RUN / "S001R04.edf", RUN / "S001R08.edf",
            "--pipeline", "csp-lda", "--events", "T1=left,T2=right", "--tmin", "0.5",
            "--tmax", "2.5", "--out", model)
    name = f"bcitest{int(time.time() * 1000) % 100000}"
    cue_stream = f"{name}-cues"
    # The sender appears before the session so our inlet finds it at once.
    cues = pylsl.StreamOutlet(pylsl.StreamInfo(cue_stream, "Markers", 1, 0, "string", cue_stream))
    preds = tmp_path / "p.jsonl"
    rec = tmp_path / "rec.bdf"
    proc = subprocess.Popen(
        [str(bci_bin), "run", "--source", f"file:{RUN / 'S001R12.edf'}?speed=4", "--model", model,
         "--lsl", "--lsl-name", name, "--markers-lsl", cue_stream, "--predictions", preds,
         "--record", rec, "--quiet", "--duration", "14"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        eeg_info = _resolve(f"{name} EEG")
        pred_info = _resolve(f"{name} predictions")
        eeg = pylsl.StreamInlet(eeg_info, max_buflen=60)
        pred = pylsl.StreamInlet(pred_info, max_buflen=60)
        full = eeg.info(timeout=10)
        assert full.channel_count() == 64
        assert full.nominal_srate() == 160
        assert full.channel_format() == pylsl.cf_double64
        ch = full.desc().child("channels").child("channel")
        labels = []
        while not ch.empty():
            labels.append(ch.child_value("label"))
            ch = ch.next_sibling()
        raw = mne.io.read_raw_edf(RUN / "S001R12.edf", preload=True, verbose="error")
        assert labels == raw.ch_names
        assert pred.info(timeout=10).channel_count() == 4  # 2 scores, class, confidence
        # An LSL inlet gets what is pushed after it connects: wait for ours.
        assert cues.wait_for_consumers(10), "bci's marker inlet did not connect within 10 s"
        sent = [f"cue-{k}" for k in range(5)]
        for label in sent:
            cues.push_sample([label])
            time.sleep(0.3)
        frames, stamps = [], []
        rows = []
        deadline = time.time() + 6
        while time.time() < deadline:
            chunk, ts = eeg.pull_chunk(timeout=0.2)
            frames.extend(chunk)
            stamps.extend(ts)
            pchunk, _ = pred.pull_chunk(timeout=0.0)
            rows.extend(pchunk)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "panicked" not in err

    # EEG: a contiguous run of the file's frames (µV), as MNE reads them (our reader agrees with
    # MNE to ~1e-9 µV, not to the last bit).
    frames = np.asarray(frames)
    assert frames.shape[0] > 500 and frames.shape[1] == 64
    data_uv = raw.get_data().T * 1e6
    start = int(np.argmin(np.abs(data_uv - frames[0]).sum(axis=1)))
    np.testing.assert_allclose(frames, data_uv[start:start + len(frames)], rtol=0, atol=1e-6)

    # Predictions: every row pylsl got is one the session wrote, values exact.
    lines = [json.loads(l) for l in preds.read_text().splitlines()]
    written = {tuple(l["scores"] + [l["class_index"], l["confidence"]])
               for l in lines if l["type"] == "prediction"}
    assert len(rows) > 20
    for r in rows:
        assert tuple(r) in written

    # Markers from pylsl: in the outputs and in the recording, in order.
    got = [l["label"] for l in lines if l["type"] == "marker" and l["label"].startswith("cue-")]
    assert got == sent
    ann = mne.io.read_raw_bdf(rec, verbose="error").annotations
    assert [d for d in ann.description if d.startswith("cue-")] == sent
