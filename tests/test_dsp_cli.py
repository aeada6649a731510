"""`bci filter` and `bci psd` against scipy on real EEG (PhysioNet eegmmidb S001R04, 64 ch, 160 Hz).

The reference reads the EDF with MNE (µV) and filters with scipy in this same process.
"""
import json

import mne
import numpy as np
import pytest
from scipy import signal

from conftest import run_bci

EDF = "eegmmidb/S001/S001R04.edf"


@pytest.fixture(scope="module")
def eeg(shared_datasets):
    path = shared_datasets / EDF
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    return path, raw.get_data() * 1e6, raw.info["sfreq"], raw.ch_names


def read_csv(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return header, data.T


def rel_to_rms(got, want, x):
    rms = np.sqrt(np.mean(x ** 2, axis=1))
    return np.max(np.abs(got - want), axis=1) / rms


@pytest.mark.parametrize("zero_phase", [False, True])
def test_filter_bandpass_equals_scipy(bci_bin, eeg, tmp_path, zero_phase):
    path, x, fs, names = eeg
    out = tmp_path / "out.csv"
    args = ["filter", path, out, "--bandpass", "8", "30", "--order", "4"]
    if zero_phase:
        args.append("--zero-phase")
    run_bci(bci_bin, *args)
    header, y = read_csv(out)
    assert len(header) == 64 and y.shape == x.shape
    sos = signal.butter(4, [8, 30], "bandpass", fs=fs, output="sos")
    want = signal.sosfiltfilt(sos, x, axis=-1) if zero_phase else signal.sosfilt(sos, x, axis=-1)
    err = rel_to_rms(y, want, x)
    assert err.max() < 1e-6, f"worst channel {names[int(err.argmax())]}: {err.max():.3e}"


def test_filter_notch_and_types_run_and_match_scipy(bci_bin, eeg, tmp_path):
    path, x, fs, _ = eeg
    out = tmp_path / "out.csv"
    run_bci(bci_bin, "filter", path, out, "--bandpass", "1", "40", "--order", "3",
            "--type", "cheby1", "--notch", "60")
    _, y = read_csv(out)
    sos = signal.cheby1(3, 0.5, [1, 40], "bandpass", fs=fs, output="sos")
    notches = [np.concatenate(signal.iirnotch(f, 30.0, fs)) for f in (60.0,)]
    want = signal.sosfilt(np.vstack([sos, *notches]), x, axis=-1)
    assert rel_to_rms(y, want, x).max() < 1e-6


@pytest.mark.parametrize("bad, needle", [
    (["--bandpass", "30", "8"], "low cut-off frequency"),
    (["--bandpass", "8", "100"], "100 Hz"),
    (["--bandpass", "8", "30", "--order", "0"], "order"),
    (["--notch", "55"], "--notch = 55"),
    ([], "nothing to do"),
])
def test_filter_bad_parameters_are_clear_errors(bci_bin, eeg, tmp_path, bad, needle):
    path = eeg[0]
    proc = run_bci(bci_bin, "filter", path, tmp_path / "o.csv", *bad, check=False)
    assert proc.returncode != 0
    assert needle in proc.stderr, proc.stderr
    assert not (tmp_path / "o.csv").exists()


def test_psd_json_equals_scipy_welch(bci_bin, eeg):
    path, x, fs, names = eeg
    proc = run_bci(bci_bin, "psd", path, "--channels", "C3,Cz,C4", "--json")
    got = json.loads(proc.stdout)
    idx = [names.index(n) for n in ("C3..", "Cz..", "C4..")]
    f, p = signal.welch(x[idx], fs=fs)
    np.testing.assert_allclose(got["freqs"], f, rtol=1e-12)
    assert [c["label"] for c in got["channels"]] == ["C3..", "Cz..", "C4.."]
    for i, c in enumerate(got["channels"]):
        np.testing.assert_allclose(c["psd"], p[i], rtol=1e-9)


def test_psd_png_and_table(bci_bin, eeg, tmp_path):
    path = eeg[0]
    png = tmp_path / "psd.png"
    run_bci(bci_bin, "psd", path, "--channels", "C3", "--channels", "C4", "--png", png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000
    table = run_bci(bci_bin, "psd", path, "--channels", "Oz").stdout
    assert "alpha" in table and "Oz" in table
    proc = run_bci(bci_bin, "psd", path, "--channels", "XYZ", check=False)
    assert proc.returncode != 0 and "XYZ" in proc.stderr
