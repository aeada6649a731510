"""Shared fixtures for the end-to-end tests: where the real binaries and recordings are.

Nothing here skips: a missing binary or dataset fails the test with a message saying how to get it.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _must_exist(path, hint):
    path = pathlib.Path(path)
    if not path.exists():
        pytest.fail(f"{path} not found: {hint}")
    return path


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


@pytest.fixture(scope="session")
def bci_bin():
    """The release `bci` binary (env BCI_BIN, else target/release/bci)."""
    return _must_exist(os.environ.get("BCI_BIN", ROOT / "target/release/bci"),
                       "run `cargo build --release` (scripts/test.sh does)")


@pytest.fixture(scope="session")
def sim_bin():
    """The release `firmware-sim` binary (env BCI_SIM_BIN, else target/release/firmware-sim)."""
    return _must_exist(os.environ.get("BCI_SIM_BIN", ROOT / "target/release/firmware-sim"),
                       "run `cargo build --release` (scripts/test.sh does)")


@pytest.fixture(scope="session")
def shared_datasets():
    """The real recordings (env BCI_SHARED_DATASETS, else ../shared/datasets beside the repo)."""
    return _must_exist(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared/datasets"),
                       "set BCI_SHARED_DATASETS to the folder holding MANIFEST.md")


def run_bci(bci_bin, *args, check=True, **kwargs):
    """Runs `bci ARGS`, returning the CompletedProcess; fails the test on a panic message."""
    proc = subprocess.run([str(bci_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", 300), **kwargs)
    assert "panicked" not in proc.stderr, proc.stderr
    if check and proc.returncode != 0:
        pytest.fail(f"bci {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc
