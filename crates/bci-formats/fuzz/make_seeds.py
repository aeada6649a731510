"""Seed corpora for the fuzz targets, cut from the shared recordings (run with the project venv):

    .venv/bin/python crates/bci-formats/fuzz/make_seeds.py

Writes crates/bci-formats/fuzz/corpus/<target>/ (git-ignored): short valid files of every format,
so libFuzzer starts from inputs that reach deep into each parser.
"""
import io
import os
import pathlib
import struct

import numpy as np
import scipy.io as sio

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
D = pathlib.Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared" / "datasets"))
C = HERE / "corpus"


def put(target, name, data):
    for t in (target, "sniff"):
        (C / t).mkdir(parents=True, exist_ok=True)
        (C / t / name).write_bytes(data)


def edf_records(b, keep, bps):
    ns = int(b[252:256])
    hb = 256 * (ns + 1)
    spr = [int(b[256 + ns * 216 + 8 * i:256 + ns * 216 + 8 * i + 8]) for i in range(ns)]
    rec = bps * sum(spr)
    return b[:236] + f"{keep:<8}".encode() + b[244:hb] + b[hb:hb + keep * rec]


def main():
    put("edf", "eegmmidb2.edf", edf_records((D / "eegmmidb/S001/S001R04.edf").read_bytes(), 2, 2))
    g = (D / "ssvep_exoskeleton/subject01_2012-07-06-19-02-16.gdf").read_bytes()
    hl = struct.unpack("<q", g[184:192])[0]
    n = struct.unpack("<q", g[236:244])[0]
    recb = 8 * struct.unpack("<I", g[252:256])[0]
    et = g[hl + n * recb:]
    ne = struct.unpack("<I", et[4:8])[0]
    pos, typ = et[8:8 + 4 * ne], et[8 + 4 * ne:8 + 6 * ne]
    et5 = et[:4] + struct.pack("<I", 5) + pos[:20] + typ[:10]
    put("gdf", "ssvep20.gdf", g[:236] + struct.pack("<q", 20) + g[244:hl] + g[hl:hl + 20 * recb] + et5)
    eeg = {"nbchan": 2.0, "pnts": 4.0, "srate": 128.0, "trials": 1.0,
           "data": np.arange(8, dtype=float).reshape(2, 4),
           "chanlocs": np.array([("Fz",), ("Cz",)], dtype=[("labels", "O")]),
           "event": np.array([("square", 1.5), ("rt", 3.0)], dtype=[("type", "O"), ("latency", "O")])}
    for comp in (False, True):
        bio = io.BytesIO()
        sio.savemat(bio, {"EEG": eeg}, do_compression=comp)
        put("eeglab", f"small{int(comp)}.set", bio.getvalue())
    for comp in (False, True):
        bio = io.BytesIO()
        (np.savez_compressed if comp else np.savez)(
            bio, data=np.arange(34, dtype=np.float32).reshape(2, 17, order="F"),
            stim=np.array([0, 1], dtype=np.int16))
        put("npz", f"small{int(comp)}.npz", bio.getvalue())
    for f in (D / "openbci_gui_samples").glob("*.txt"):
        put("openbci", f.name, b"\n".join(f.read_bytes().split(b"\n")[:40]) + b"\n")
    bf = (ROOT / "tests/golden/formats/brainflow/synthetic.csv").read_bytes()
    put("brainflow", "synthetic.csv", b"\n".join(bf.split(b"\n")[:20]) + b"\n")
    put("brainflow", "bci.csv", b"C3,C4\n1.5,2\n-3,4e-3\n")
    print(f"seeds in {C}")


if __name__ == "__main__":
    main()
