"""Acceptance 1 through the CLI: `bci inspect` reads every recording in the shared datasets, and
its JSON agrees with the reference readers' goldens (tests/golden/formats, scripts/golden/formats.py)."""
import collections
import json

import pytest

from conftest import ROOT, run_bci

SUFFIXES = {".edf", ".bdf", ".gdf", ".set", ".npz", ".txt"}
GOLDEN = ROOT / "tests/golden/formats"


def recordings(root):
    return sorted(p for p in root.rglob("*")
                  if p.suffix in SUFFIXES and p.is_file() and not p.name.startswith("SHA256SUMS"))


def test_every_recording_is_covered(shared_datasets):
    files = recordings(shared_datasets)
    assert len(files) >= 48, f"expected the 48 recordings of MANIFEST.md, found {len(files)}"
    missing = [f for f in files if not (GOLDEN / (str(f.relative_to(shared_datasets)) + ".json")).exists()]
    assert not missing, f"recordings without golden values: {missing}"


def test_inspect_json_matches_reference(bci_bin, shared_datasets):
    failures = []
    for f in recordings(shared_datasets):
        proc = run_bci(bci_bin, "inspect", "--json", f, check=False)
        if proc.returncode != 0:
            failures.append(f"{f}: exit {proc.returncode}: {proc.stderr.strip()}")
            continue
        got = json.loads(proc.stdout)
        want = json.loads((GOLDEN / (str(f.relative_to(shared_datasets)) + ".json")).read_text())
        counts = dict(collections.Counter(e[2] for e in want["events"]))
        checks = {
            "channels": ([c["label"] for c in got["channels"]], want["ch_names"]),
            "n_samples": (got["n_samples"], want["n_samples"]),
            "sample_rate": (got["sample_rate"], want["sfreq"]),
            "events": (got["events"], counts),
            "n_events": (got["n_events"], len(want["events"])),
            "duration": (round(got["duration_s"], 9), round(want["n_samples"] / want["sfreq"], 9)),
        }
        for key, (a, b) in checks.items():
            if a != b:
                failures.append(f"{f}: {key}: bci {a!r} != reference {b!r}")
        for key in ("file", "format", "subject"):
            if key not in got:
                failures.append(f"{f}: JSON lacks {key!r}")
    assert not failures, "\n".join(failures)


def test_inspect_text_mode(bci_bin, shared_datasets):
    proc = run_bci(bci_bin, "inspect", shared_datasets / "eegmmidb/S001/S001R04.edf")
    assert "EDF+C" in proc.stdout and "160 Hz" in proc.stdout
    assert "T1" in proc.stdout and "Fc5." in proc.stdout


def test_inspect_brainflow_csv_with_board(bci_bin):
    f = GOLDEN / "brainflow/synthetic.csv"
    proc = run_bci(bci_bin, "inspect", "--json", "--board", "synthetic", f)
    got = json.loads(proc.stdout)
    want = json.loads((GOLDEN / "brainflow/synthetic.csv.json").read_text())
    assert [c["label"] for c in got["channels"]] == want["ch_names"]
    assert got["n_samples"] == want["n_samples"]
    # Without --board the Cyton layout (24 rows) is assumed and the 32-column file is refused.
    proc = run_bci(bci_bin, "inspect", f, check=False)
    assert proc.returncode != 0 and "32 columns" in proc.stderr and "line 1" in proc.stderr
