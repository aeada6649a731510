"""Issue #7, acceptance 7: bad input to a live session gives a clear error, a non-zero exit and
never a panic, and what was recorded before a failure stays readable (MNE opens it)."""
import resource
import signal

import mne

from conftest import ROOT, run_bci
from test_acquire_e2e import Sim

RUN = ROOT / "datasets/eegmmidb/S001"


def _model(bci_bin, tmp_path):
    model = tmp_path / "m.json"
    run_bci(bci_bin, "train", "--data", RUN / "S001R04.edf", "--pipeline", "csp-lda",
            "--events", "T1=left,T2=right", "--tmin", "0.5", "--tmax", "2.5", "--out", model)
    return model


def test_model_of_other_channels_and_rate_is_refused(bci_bin, tmp_path):
    model = _model(bci_bin, tmp_path)
    proc = run_bci(bci_bin, "run", "--source", "synthetic?channels=8&rate=250", "--model", model,
                   "--duration", "2", check=False)
    assert proc.returncode != 0
    err = proc.stderr
    assert "model expects 64 channels (Fc5., Fc3." in err and "at 160 Hz" in err, err
    assert "stream has 8 channels (EEG 1" in err and "at 250 Hz" in err, err


def test_damaged_model_file_names_the_field(bci_bin, tmp_path):
    model = _model(bci_bin, tmp_path)
    text = model.read_text().replace('"sample_rate": 160.0', '"sample_rate": -1.0')
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    proc = run_bci(bci_bin, "replay", RUN / "S001R12.edf", "--model", bad, check=False)
    assert proc.returncode != 0
    assert "sample_rate" in proc.stderr and str(bad) in proc.stderr, proc.stderr


def test_source_gone_mid_run_ends_with_error_and_keeps_the_recording(bci_bin, sim_bin, tmp_path):
    sim = Sim(sim_bin, tmp_path, "--speed", 4, "--unplug-after", 1.0)
    out = tmp_path / "rec.bdf"
    try:
        proc = run_bci(bci_bin, "stream", "--source", f"cyton:{sim.link}?speed=4", "--record", out,
                       "--quiet", "--stall-timeout", "2", "--duration", "30", check=False,
                       timeout=60)
    finally:
        sim.stop()
    assert proc.returncode != 0
    assert "device disconnected" in proc.stderr, proc.stderr
    assert "no data from the source for 2.0 s" in proc.stderr, proc.stderr
    assert f"what was recorded is in {out}" in proc.stderr, proc.stderr
    raw = mne.io.read_raw_bdf(out, verbose="error")
    # About one wall-clock second at 4x speed (1,000 frames) arrived before the unplug.
    assert 500 <= raw.n_times <= 1500, raw.n_times


def test_full_disk_while_recording_keeps_what_was_flushed(bci_bin, tmp_path):
    out = tmp_path / "rec.bdf"
    limit = 400_000  # bytes: a few seconds of 8 channels at 250 Hz in 24-bit samples

    def small_disk():
        # The file-size limit stands in for a full disk: writes past it fail (EFBIG) instead of
        # killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = run_bci(bci_bin, "stream", "--source", "synthetic?channels=8&rate=250&speed=20",
                   "--record", out, "--quiet", "--duration", "20", check=False,
                   preexec_fn=small_disk, timeout=60)
    assert proc.returncode != 0
    err = proc.stderr
    assert f"recording to {out} failed" in err, err
    assert "the file keeps what was flushed before" in err, err
    raw = mne.io.read_raw_bdf(out, preload=True, verbose="error")
    assert raw.n_times > 1000, raw.n_times
    assert out.stat().st_size <= limit
