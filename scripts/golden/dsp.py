"""Golden values for bci-dsp, computed with scipy and MNE.

Run from the repository root with the reference venv:

    .venv/bin/python scripts/golden/dsp.py

Writes tests/golden/dsp/{design,filter,eeg}.json. Random inputs are not stored: both this script
and the Rust tests generate them with the same 64-bit LCG (see `lcg_signal`). Real EEG is read
from ../shared/datasets (or $BCI_SHARED_DATASETS) with MNE; the Rust tests read the same EDF.
"""
import json
import os
import pathlib

import mne
import numpy as np
from scipy import signal

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/golden/dsp"
DATA = pathlib.Path(os.environ.get("BCI_SHARED_DATASETS", ROOT.parent / "shared/datasets"))
MASK = (1 << 64) - 1


def lcg_signal(seed, n):
    """Uniform values in [-0.5, 0.5): state = state * 6364136223846793005 + 1442695040888963407
    (mod 2^64), value = (state >> 11) / 2^53 - 0.5. The Rust tests implement the same."""
    state = seed & MASK
    out = np.empty(n)
    for i in range(n):
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK
        out[i] = (state >> 11) / float(1 << 53) - 0.5
    return out


def design(kind, order, btype, freqs, fs, rp):
    wn = freqs[0] if btype in ("lowpass", "highpass") else list(freqs)
    if kind == "butter":
        return signal.butter(order, wn, btype, fs=fs, output="sos")
    if kind == "cheby1":
        return signal.cheby1(order, rp, wn, btype, fs=fs, output="sos")
    if kind == "bessel":
        return signal.bessel(order, wn, btype, fs=fs, output="sos", norm="phase")
    raise ValueError(kind)


def design_cases(rng):
    """Orders 1-10, rates 125-30000 Hz, edges near 0, mid-band and near Nyquist."""
    rates = [125.0, 160.0, 250.0, 256.0, 500.0, 1000.0, 2048.0, 8000.0, 30000.0]
    cases = []
    for kind in ("butter", "cheby1", "bessel"):
        for btype in ("lowpass", "highpass", "bandpass", "bandstop"):
            for order in range(1, 11):
                fs = rates[rng.integers(len(rates))]
                nyq = fs / 2
                where = ["low", "mid", "high"][order % 3]
                if where == "low":
                    lo = nyq * rng.uniform(0.002, 0.01)
                    hi = nyq * rng.uniform(0.02, 0.05)
                elif where == "high":
                    lo = nyq * rng.uniform(0.85, 0.93)
                    hi = nyq * rng.uniform(0.95, 0.99)
                else:
                    lo = nyq * rng.uniform(0.05, 0.3)
                    hi = nyq * rng.uniform(0.4, 0.8)
                if btype == "lowpass":
                    freqs = [hi]
                elif btype == "highpass":
                    freqs = [lo]
                else:
                    freqs = [lo, hi]
                rp = float(rng.choice([0.05, 0.5, 1.0, 3.0]))
                sos = design(kind, order, btype, freqs, fs, rp)
                cases.append(dict(kind=kind, order=order, btype=btype, freqs=freqs, fs=fs,
                                  rp=rp, sos=sos.tolist()))
    notches = []
    for f0, q, fs in [(50.0, 30.0, 250.0), (60.0, 30.0, 250.0), (50.0, 10.0, 1000.0),
                      (60.0, 35.0, 160.0), (1.0, 2.0, 125.0), (14000.0, 50.0, 30000.0)]:
        b, a = signal.iirnotch(f0, q, fs)
        notches.append(dict(freq=f0, q=q, fs=fs, b=b.tolist(), a=a.tolist()))
    return cases, notches


def filter_cases(rng, design_list):
    """sosfilt / sosfilt with zi / sosfiltfilt / welch on LCG signals, on a subset of designs."""
    out = []
    n = 3000
    for i, case in enumerate(design_list[::4]):
        sos = np.array(case["sos"])
        seed = 1000 + i
        x = lcg_signal(seed, n)
        y = signal.sosfilt(sos, x)
        zi = signal.sosfilt_zi(sos)
        y_zi, _ = signal.sosfilt(sos, x, zi=zi * x[0])
        entry = dict(design_index=i * 4, seed=seed, n=n, stride=7,
                     sosfilt=y[::7].tolist(), sosfilt_zi=y_zi[::7].tolist(),
                     rms=float(np.sqrt(np.mean(x ** 2))))
        if n > 3 * (2 * len(sos) + 1):
            entry["sosfiltfilt"] = signal.sosfiltfilt(sos, x)[::7].tolist()
        out.append(entry)
    welch_cases = []
    for j, (fs, nperseg, noverlap, scaling, detrend, n) in enumerate([
            (250.0, 256, None, "density", "constant", 5000),
            (160.0, 160, None, "spectrum", "constant", 4001),
            (1000.0, 255, 100, "density", "linear", 3000),
            (125.0, 512, None, "density", False, 300)]):
        seed = 5000 + j
        x = lcg_signal(seed, n)
        f, p = signal.welch(x, fs=fs, nperseg=nperseg, noverlap=noverlap, scaling=scaling,
                            detrend=detrend)
        welch_cases.append(dict(seed=seed, n=n, fs=fs, nperseg=nperseg, noverlap=noverlap,
                                scaling=scaling, detrend=str(detrend), freqs=f.tolist(),
                                psd=p.tolist()))
    dec = []
    for j, (q, fs, n) in enumerate([(2, 250.0, 1000), (4, 160.0, 2000), (5, 1000.0, 999)]):
        seed = 7000 + j
        x = lcg_signal(seed, n)
        y = signal.decimate(x, q)
        dec.append(dict(seed=seed, n=n, q=q, fs=fs, y=y.tolist()))
    return out, welch_cases, dec


def eeg_cases():
    path = DATA / "eegmmidb/S001/S001R04.edf"
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    x = raw.get_data() * 1e6  # µV, 64 × 20000
    fs = raw.info["sfreq"]
    sos = signal.butter(4, [8, 30], "bandpass", fs=fs, output="sos")
    chans = [0, 9, 31, 63]
    stride = 10
    y = signal.sosfilt(sos, x, axis=-1)
    yy = signal.sosfiltfilt(sos, x, axis=-1)
    raw_f = raw.copy().filter(8.0, 32.0, method="iir", verbose="error")
    mne_y = raw_f.get_data() * 1e6
    iir = mne.filter.construct_iir_filter(dict(order=4, ftype="butter", output="sos"),
                                          [8.0, 32.0], None, fs, "bandpass", verbose="error")
    f, p = signal.welch(x, fs=fs)
    return dict(
        path="eegmmidb/S001/S001R04.edf", fs=fs, channels=chans, stride=stride,
        n=int(x.shape[1]),
        x_check=[x[c, ::stride].tolist() for c in chans],
        sosfilt=[y[c, ::stride].tolist() for c in chans],
        sosfiltfilt=[yy[c, ::stride].tolist() for c in chans],
        mne_iir=[mne_y[c, ::stride].tolist() for c in chans],
        mne_sos=np.asarray(iir["sos"]).tolist(), mne_padlen=int(iir["padlen"]),
        rms=[float(np.sqrt(np.mean(x[c] ** 2))) for c in chans],
        welch_freqs=f.tolist(), welch_psd=[p[c].tolist() for c in chans],
    )


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261124)
    cases, notches = design_cases(rng)
    filt, welch_cases, dec = filter_cases(rng, cases)
    (OUT / "design.json").write_text(json.dumps(dict(cases=cases, notches=notches)))
    (OUT / "filter.json").write_text(json.dumps(dict(filter=filt, welch=welch_cases,
                                                     decimate=dec)))
    (OUT / "eeg.json").write_text(json.dumps(eeg_cases()))
    for name in ("design", "filter", "eeg"):
        print(name, (OUT / f"{name}.json").stat().st_size, "bytes")


if __name__ == "__main__":
    main()
