//! Compare against scipy/MNE golden values from scripts/golden/dsp.py (tests/golden/dsp/).

mod common;

use bci_dsp::*;
use common::*;
use ndarray::{Array2, Axis};
use serde_json::Value;

fn band_of(case: &Value) -> Band {
    let f = f64s(&case["freqs"]);
    match case["btype"].as_str().unwrap() {
        "lowpass" => Band::Lowpass(f[0]),
        "highpass" => Band::Highpass(f[0]),
        "bandpass" => Band::Bandpass(f[0], f[1]),
        "bandstop" => Band::Bandstop(f[0], f[1]),
        other => panic!("unknown btype {other}"),
    }
}

fn design_of(case: &Value) -> Sos {
    let order = case["order"].as_u64().unwrap() as usize;
    let fs = case["fs"].as_f64().unwrap();
    let band = band_of(case);
    match case["kind"].as_str().unwrap() {
        "butter" => butter(order, band, fs),
        "cheby1" => cheby1(order, case["rp"].as_f64().unwrap(), band, fs),
        "bessel" => bessel(order, band, fs),
        k => panic!("unknown kind {k}"),
    }
    .unwrap_or_else(|e| panic!("{case}: {e}"))
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(f64s).collect()
}

#[test]
fn design_equals_scipy_row_for_row() {
    let g = golden("design.json");
    let cases = g["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 120);
    let mut worst = 0.0f64;
    for case in cases {
        let sos = design_of(case);
        let want = rows(&case["sos"]);
        assert_eq!(sos.len(), want.len(), "section count for {case}");
        for (r, (got, want)) in sos.sections().iter().zip(&want).enumerate() {
            for (j, (a, b)) in got.iter().zip(want).enumerate() {
                let err = (a - b).abs() / b.abs().max(1.0);
                worst = worst.max(err);
                assert!(
                    err < 1e-10,
                    "{} {} order {} {:?} fs {}: row {r} col {j}: {a} vs scipy {b}",
                    case["kind"],
                    case["btype"],
                    case["order"],
                    case["freqs"],
                    case["fs"]
                );
            }
        }
    }
    eprintln!("worst design difference {worst:e}");
}

#[test]
fn notch_equals_scipy_iirnotch() {
    let g = golden("design.json");
    for n in g["notches"].as_array().unwrap() {
        let sos = iirnotch(
            n["freq"].as_f64().unwrap(),
            n["q"].as_f64().unwrap(),
            n["fs"].as_f64().unwrap(),
        )
        .unwrap();
        let s = sos.sections()[0];
        let (b, a) = (f64s(&n["b"]), f64s(&n["a"]));
        for j in 0..3 {
            assert!((s[j] - b[j]).abs() < 1e-12, "{n}: b{j} {}", s[j]);
            assert!((s[3 + j] - a[j]).abs() < 1e-12, "{n}: a{j} {}", s[3 + j]);
        }
    }
}

fn check_filters(kernel: Kernel) {
    let g = golden("filter.json");
    let d = golden("design.json");
    let cases = d["cases"].as_array().unwrap();
    let mut worst = (0.0f64, 0.0f64);
    for f in g["filter"].as_array().unwrap() {
        let case = &cases[f["design_index"].as_u64().unwrap() as usize];
        let sos = design_of(case);
        let n = f["n"].as_u64().unwrap() as usize;
        let stride = f["stride"].as_u64().unwrap() as usize;
        let x = lcg_signal(f["seed"].as_u64().unwrap(), n);
        let xa = Array2::from_shape_vec((1, n), x).unwrap();
        // Outputs are compared relative to their own RMS (at least the input's).
        let scale_of = |w: &[f64]| {
            (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64)
                .sqrt()
                .max(f["rms"].as_f64().unwrap() * 1e-3)
        };
        for (key, initial) in [("sosfilt", Initial::Zero), ("sosfilt_zi", Initial::Steady)] {
            let y = sosfilt_with(&sos, xa.view(), initial, kernel).unwrap();
            let got: Vec<f64> = y.row(0).iter().step_by(stride).copied().collect();
            let want = f64s(&f[key]);
            let e = max_rel(&got, &want, scale_of(&want));
            worst.0 = worst.0.max(e);
            assert!(e < 1e-9, "{key} {case}: relative error {e:e}");
        }
        if let Some(want) = f.get("sosfiltfilt") {
            let y = sosfiltfilt_with(&sos, xa.view(), None, kernel).unwrap();
            let got: Vec<f64> = y.row(0).iter().step_by(stride).copied().collect();
            let want = f64s(want);
            let e = max_rel(&got, &want, scale_of(&want));
            worst.1 = worst.1.max(e);
            assert!(e < 1e-9, "sosfiltfilt {case}: relative error {e:e}");
        }
    }
    eprintln!(
        "{kernel:?}: worst sosfilt {:e}, sosfiltfilt {:e}",
        worst.0, worst.1
    );
}

#[test]
fn filtering_random_signals_equals_scipy_simd() {
    check_filters(Kernel::Auto);
}

#[test]
fn filtering_random_signals_equals_scipy_portable() {
    check_filters(Kernel::Portable);
}

#[test]
fn welch_equals_scipy() {
    let g = golden("filter.json");
    for w in g["welch"].as_array().unwrap() {
        let n = w["n"].as_u64().unwrap() as usize;
        let x = lcg_signal(w["seed"].as_u64().unwrap(), n);
        let xa = Array2::from_shape_vec((1, n), x).unwrap();
        let params = Welch {
            nperseg: w["nperseg"].as_u64().unwrap() as usize,
            noverlap: w["noverlap"].as_u64().map(|v| v as usize),
            detrend: match w["detrend"].as_str().unwrap() {
                "constant" => Detrend::Constant,
                "linear" => Detrend::Linear,
                _ => Detrend::None,
            },
            scaling: match w["scaling"].as_str().unwrap() {
                "density" => Scaling::Density,
                _ => Scaling::Spectrum,
            },
        };
        let s = welch(xa.view(), w["fs"].as_f64().unwrap(), params).unwrap();
        let want_f = f64s(&w["freqs"]);
        let want_p = f64s(&w["psd"]);
        assert_eq!(s.freqs.len(), want_f.len());
        for (a, b) in s.freqs.iter().zip(&want_f) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0));
        }
        for (a, b) in s.power.row(0).iter().zip(&want_p) {
            assert!((a - b).abs() <= 1e-9 * b.abs(), "{}: {a} vs {b}", w["seed"]);
        }
    }
}

#[test]
fn decimate_equals_scipy() {
    let g = golden("filter.json");
    for d in g["decimate"].as_array().unwrap() {
        let n = d["n"].as_u64().unwrap() as usize;
        let x = lcg_signal(d["seed"].as_u64().unwrap(), n);
        let xa = Array2::from_shape_vec((1, n), x).unwrap();
        let y = decimate(
            xa.view(),
            d["q"].as_u64().unwrap() as usize,
            d["fs"].as_f64().unwrap(),
        )
        .unwrap();
        let want = f64s(&d["y"]);
        assert_eq!(y.ncols(), want.len());
        let e = max_rel(y.row(0).as_slice().unwrap(), &want, 0.3);
        assert!(e < 1e-9, "decimate q={}: {e:e}", d["q"]);
    }
}

#[test]
fn real_eeg_s001r04_equals_scipy_and_mne() {
    let g = golden("eeg.json");
    let path = datasets().join(g["path"].as_str().unwrap());
    let (x, fs) = read_edf_uv(&path);
    assert_eq!(fs, g["fs"].as_f64().unwrap());
    assert_eq!(x.ncols(), g["n"].as_u64().unwrap() as usize);
    let stride = g["stride"].as_u64().unwrap() as usize;
    let chans: Vec<usize> = g["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as usize)
        .collect();
    let rms = f64s(&g["rms"]);
    let strided = |a: &Array2<f64>, i: usize| -> Vec<f64> {
        a.row(chans[i]).iter().step_by(stride).copied().collect()
    };
    // Our reading of the EDF matches MNE's.
    for i in 0..chans.len() {
        let e = max_rel(&strided(&x, i), &f64s(&g["x_check"][i]), rms[i]);
        assert!(e < 1e-12, "EDF values channel {}: {e:e}", chans[i]);
    }
    let sos = butter(4, Band::Bandpass(8.0, 30.0), fs).unwrap();
    let y = sosfilt(&sos, x.view(), Initial::Zero).unwrap();
    let yy = sosfiltfilt(&sos, x.view(), None).unwrap();
    let mne = MneIir::design(Some(8.0), Some(32.0), fs, 4).unwrap();
    assert_eq!(mne.padlen, g["mne_padlen"].as_u64().unwrap() as usize);
    for (got, want) in mne.sos.sections().iter().zip(rows(&g["mne_sos"])) {
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12);
        }
    }
    let ym = mne.apply(x.view()).unwrap();
    // 64 channels x ~20,000 samples is large enough to be filtered in channel groups on threads:
    // in place gives the same array, and so does filtering 8 channels at a time on one thread.
    assert!(x.len() >= 1 << 20, "S001R04 should take the threaded path");
    let mut inplace = x.clone();
    sosfiltfilt_inplace(&sos, inplace.view_mut(), None).unwrap();
    assert_eq!(inplace, yy, "in-place zero-phase differs from sosfiltfilt");
    for c0 in (0..x.nrows()).step_by(8) {
        let part = x.slice(ndarray::s![c0..c0 + 8, ..]);
        assert!(part.len() < 1 << 20, "a group of 8 must stay on one thread");
        assert_eq!(
            sosfiltfilt(&sos, part, None).unwrap(),
            yy.slice(ndarray::s![c0..c0 + 8, ..]),
            "channels {c0}.. filtered alone differ from the threaded whole"
        );
        assert_eq!(
            sosfilt(&sos, part, Initial::Zero).unwrap(),
            y.slice(ndarray::s![c0..c0 + 8, ..]),
            "causal: channels {c0}.. alone differ from the threaded whole"
        );
    }
    let mut worst = [0.0f64; 3];
    for i in 0..chans.len() {
        for (k, (key, out)) in [("sosfilt", &y), ("sosfiltfilt", &yy), ("mne_iir", &ym)]
            .into_iter()
            .enumerate()
        {
            let e = max_rel(&strided(out, i), &f64s(&g[key][i]), rms[i]);
            worst[k] = worst[k].max(e);
            assert!(e < 1e-9, "{key} channel {}: {e:e}", chans[i]);
        }
    }
    eprintln!(
        "S001R04 worst relative-to-RMS: sosfilt {:e} sosfiltfilt {:e} mne {:e}",
        worst[0], worst[1], worst[2]
    );
    let s = welch(x.view(), fs, Welch::default()).unwrap();
    for (i, &c) in chans.iter().enumerate() {
        let want = f64s(&g["welch_psd"][i]);
        for (a, b) in s.power.row(c).iter().zip(&want) {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs(),
                "welch channel {c}: {a} vs {b}"
            );
        }
    }
    let _ = x.sum_axis(Axis(0));
}

#[test]
fn f32_stream_error_against_f64_on_real_eeg() {
    // Documented figure: the f32 streaming filter against the f64 one on S001R04 (µV).
    let path = datasets().join("eegmmidb/S001/S001R04.edf");
    let (x, fs) = read_edf_uv(&path);
    let (nch, n) = x.dim();
    let sos = butter(4, Band::Bandpass(8.0, 30.0), fs).unwrap();
    let mut frames = vec![0.0f64; nch * n];
    for c in 0..nch {
        for i in 0..n {
            frames[i * nch + c] = x[(c, i)];
        }
    }
    let mut frames32: Vec<f32> = frames.iter().map(|&v| v as f32).collect();
    SosFilter::<f64>::new(&sos, nch)
        .unwrap()
        .process(&mut frames)
        .unwrap();
    SosFilter::<f32>::new(&sos, nch)
        .unwrap()
        .process(&mut frames32)
        .unwrap();
    let mut worst = 0.0f64;
    for c in 0..nch {
        let rms = (0..n).map(|i| frames[i * nch + c].powi(2)).sum::<f64>() / n as f64;
        let err = (0..n)
            .map(|i| (frames[i * nch + c] - frames32[i * nch + c] as f64).abs())
            .fold(0.0, f64::max);
        worst = worst.max(err / rms.sqrt());
    }
    eprintln!("S001R04 f32 vs f64 stream: worst max error / output RMS = {worst:e}");
    assert!(worst < 1e-4, "{worst:e}");
}
