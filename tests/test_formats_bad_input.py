"""Acceptance 4: bad input makes `bci inspect` exit non-zero with a message naming the file and
the field or byte offset; never a panic (run_bci fails the test on "panicked")."""
import pytest

from conftest import run_bci

EDF = "eegmmidb/S001/S001R04.edf"


def _inspect_fails(bci_bin, path, *must_contain):
    proc = run_bci(bci_bin, "inspect", path, check=False)
    assert proc.returncode != 0, f"bci inspect {path} succeeded on bad input"
    assert str(path) in proc.stderr, proc.stderr
    for text in must_contain:
        assert text in proc.stderr, f"{text!r} not in: {proc.stderr}"
    return proc.stderr


@pytest.fixture(scope="module")
def edf_bytes(shared_datasets):
    return (shared_datasets / EDF).read_bytes()


def test_empty_file(bci_bin, tmp_path):
    p = tmp_path / "empty.edf"
    p.write_bytes(b"")
    _inspect_fails(bci_bin, p, "empty")


def test_directory(bci_bin, tmp_path):
    d = tmp_path / "a_dir.edf"
    d.mkdir()
    _inspect_fails(bci_bin, d, "directory")


def test_missing_file(bci_bin, tmp_path):
    _inspect_fails(bci_bin, tmp_path / "nope.edf", "No such file")


def test_wrong_magic(bci_bin, tmp_path, edf_bytes):
    p = tmp_path / "wrong_magic.edf"
    p.write_bytes(b"1       " + edf_bytes[8:])
    _inspect_fails(bci_bin, p, 'header field "version" (bytes 0..8)')


def test_unknown_content_and_extension(bci_bin, tmp_path):
    p = tmp_path / "noise.xyz"
    p.write_bytes(bytes(range(256)) * 4)
    _inspect_fails(bci_bin, p, "unknown format")


def test_truncated_header(bci_bin, tmp_path, edf_bytes):
    p = tmp_path / "cut_header.edf"
    p.write_bytes(edf_bytes[:3000])
    _inspect_fails(bci_bin, p, "truncated", "3000")


def test_truncated_data(bci_bin, tmp_path, edf_bytes):
    p = tmp_path / "cut_data.edf"
    p.write_bytes(edf_bytes[:-5000])
    err = _inspect_fails(bci_bin, p, 'header field "number of data records" (bytes 236..244)')
    assert "125" in err  # the header's count is named


def test_header_count_disagrees_with_size(bci_bin, tmp_path, edf_bytes):
    p = tmp_path / "count.edf"
    p.write_bytes(edf_bytes[:236] + b"200     " + edf_bytes[244:])
    err = _inspect_fails(bci_bin, p, "number of data records", "200")
    assert "125 complete records" in err


def test_non_numeric_header_field(bci_bin, tmp_path, edf_bytes):
    p = tmp_path / "abc.edf"
    p.write_bytes(edf_bytes[:236] + b"abc     " + edf_bytes[244:])
    _inspect_fails(bci_bin, p, 'header field "number of data records" (bytes 236..244)', '"abc" is not a number')


def test_non_numeric_signal_field(bci_bin, tmp_path, edf_bytes):
    ns = 65
    off = 256 + ns * (16 + 80 + 8) + 2 * 8  # physical minimum of signal 3
    p = tmp_path / "pmin.edf"
    p.write_bytes(edf_bytes[:off] + b"-8o92   " + edf_bytes[off + 8:])
    _inspect_fails(bci_bin, p, "physical minimum of signal 3", f"bytes {off}..{off + 8}")


def test_header_bytes_field_wrong(bci_bin, tmp_path, edf_bytes):
    p = tmp_path / "hbytes.edf"
    p.write_bytes(edf_bytes[:184] + b"1000    " + edf_bytes[192:])
    _inspect_fails(bci_bin, p, "number of bytes in header record")


def test_huge_signal_count(bci_bin, tmp_path, edf_bytes):
    p = tmp_path / "ns.edf"
    p.write_bytes(edf_bytes[:252] + b"9999" + edf_bytes[256:])
    _inspect_fails(bci_bin, p, "number of")


@pytest.mark.parametrize("name,cut", [
    ("ssvep_exoskeleton/subject01_2012-07-06-19-02-16.gdf", 200),
    ("ssvep_exoskeleton/subject01_2012-07-06-19-02-16.gdf", 5000),
    ("ssvep_exoskeleton/subject01_2012-07-06-19-02-16.gdf", -100),
    ("eeglab_sample/eeglab_data.set", 1000),
    ("bi2012_p300/subject_01_session_01.npz", 2000),
    ("openbci_gui_samples/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt", 120),
])
def test_other_formats_truncated(bci_bin, tmp_path, shared_datasets, name, cut):
    src = shared_datasets / name
    p = tmp_path / src.name
    p.write_bytes(src.read_bytes()[:cut])
    if name.endswith(".npz"):
        (tmp_path / (src.stem + ".yml")).write_bytes((src.with_suffix(".yml")).read_bytes())
    err = _inspect_fails(bci_bin, p)
    assert any(k in err for k in ("byte", "field", "line", "truncated")), err
