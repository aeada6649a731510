"""`bci convert` output read back by MNE and pyedflib (acceptance 2 and the anonymize check)."""
import numpy as np
import pytest

from conftest import run_bci

import mne  # noqa: E402
mne.set_log_level("ERROR")


@pytest.fixture(scope="module")
def source(shared_datasets):
    path = shared_datasets / "eegmmidb/S001/S001R04.edf"
    assert path.exists(), f"{path} missing"
    return path


def _compare(src_raw, out_raw):
    assert out_raw.ch_names == src_raw.ch_names
    assert out_raw.info["sfreq"] == src_raw.info["sfreq"]
    assert out_raw.n_times == src_raw.n_times
    a, b = src_raw.annotations, out_raw.annotations
    assert list(a.description) == list(b.description)
    sf = src_raw.info["sfreq"]
    np.testing.assert_array_equal(np.round(a.onset * sf), np.round(b.onset * sf))
    np.testing.assert_array_equal(np.round(a.duration * sf), np.round(b.duration * sf))
    x = src_raw.get_data()
    y = out_raw.get_data()
    # The source's 16-bit digital range fits both output formats, so the writer keeps it and the
    # samples are stored step for step: far inside one quantization step of the written file.
    src_x, out_x = src_raw._raw_extras[0], out_raw._raw_extras[0]
    for ch in range(len(src_raw.ch_names)):
        lo, hi = out_x["physical_min"][ch], out_x["physical_max"][ch]
        dlo, dhi = out_x["digital_min"][ch], out_x["digital_max"][ch]
        assert (dlo, dhi) == (src_x["digital_min"][ch], src_x["digital_max"][ch])
        step_v = (hi - lo) / (dhi - dlo) * out_x["units"][ch]
        err = np.abs(x[ch] - y[ch]).max()
        assert err <= step_v * 1e-6, (ch, err, step_v)


def test_convert_to_bdf_mne_reads_it(bci_bin, source, tmp_path):
    out = tmp_path / "out.bdf"
    run_bci(bci_bin, "convert", source, out)
    src = mne.io.read_raw_edf(source, preload=True)
    got = mne.io.read_raw_bdf(out, preload=True)
    _compare(src, got)


def test_convert_to_edf_mne_reads_it(bci_bin, source, tmp_path):
    out = tmp_path / "out.edf"
    run_bci(bci_bin, "convert", source, out)
    src = mne.io.read_raw_edf(source, preload=True)
    got = mne.io.read_raw_edf(out, preload=True)
    _compare(src, got)


def test_convert_to_csv_round_trips_values(bci_bin, source, tmp_path):
    out = tmp_path / "out.csv"
    run_bci(bci_bin, "convert", source, out)
    src = mne.io.read_raw_edf(source, preload=True)
    header = out.read_text().split("\n", 1)[0].split(",")
    assert header == src.ch_names
    vals = np.loadtxt(out, delimiter=",", skiprows=1)
    np.testing.assert_allclose(vals.T, src.get_data() * 1e6, rtol=1e-12, atol=1e-9)
    events = (tmp_path / "out.csv.events.csv").read_text().splitlines()
    assert len(events) == 1 + len(src.annotations)


@pytest.mark.parametrize("ext", ["bdf", "edf"])
def test_anonymize_blanks_identification(bci_bin, source, tmp_path, ext):
    import pyedflib

    out = tmp_path / f"anon.{ext}"
    run_bci(bci_bin, "convert", source, out, "--anonymize")
    raw = out.read_bytes()[:256]
    assert raw[8:88].decode().rstrip() == "X X X X"
    assert raw[88:168].decode().rstrip() == "Startdate X X X X"
    assert raw[168:184].decode() == "01.01.8500.00.00"
    f = pyedflib.EdfReader(str(out))
    try:
        assert f.getPatientCode() in ("", "X")
        assert f.getStartdatetime().year == 1985
        assert f.signals_in_file == 64
    finally:
        f.close()
    # MNE still reads the anonymized file with all its events.
    got = mne.io.read_raw_bdf(out) if ext == "bdf" else mne.io.read_raw_edf(out)
    assert len(got.annotations) == 30
