//! IIR filter design as second-order sections, following scipy.signal step for step.
//!
//! The path is scipy's: an analog prototype in zeros/poles/gain (`buttap`, `cheb1ap`,
//! `besselap(norm="phase")`), pre-warped frequency transformation (`lp2lp_zpk`, `lp2hp_zpk`,
//! `lp2bp_zpk`, `lp2bs_zpk`), `bilinear_zpk` at fs = 2, then `zpk2sos` with `pairing="nearest"`.
//! Because poles and zeros are paired and ordered by the same rules, the sections come out
//! row for row as scipy's (not only the same overall response), to within rounding.

use bci_core::{Error, Result};
use num_complex::Complex64 as C;

/// Highest filter order accepted by the designers (scipy allows more, but beyond this the
/// Bessel root finder and the conditioning of narrow band filters are not checked).
pub const MAX_ORDER: usize = 16;

/// Second-order sections: each row `[b0, b1, b2, a0, a1, a2]` with `a0 = 1`, applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sos {
    sections: Vec<[f64; 6]>,
}

/// Which frequencies a filter keeps, in Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Band {
    Lowpass(f64),
    Highpass(f64),
    /// `(low, high)` with `low < high`.
    Bandpass(f64, f64),
    /// `(low, high)` with `low < high`.
    Bandstop(f64, f64),
}

/// The analog prototype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prototype {
    /// Maximally flat magnitude (`scipy.signal.butter`).
    Butterworth,
    /// Equiripple pass band with `ripple_db` of ripple (`scipy.signal.cheby1`).
    Chebyshev1 { ripple_db: f64 },
    /// Maximally flat group delay, phase-normalised (`scipy.signal.bessel(norm="phase")`).
    Bessel,
}

impl Sos {
    /// Sections from rows `[b0, b1, b2, a0, a1, a2]`; each row is normalised so that `a0 = 1`.
    pub fn new(rows: Vec<[f64; 6]>) -> Result<Self> {
        if rows.is_empty() {
            return Err(Error::invalid("sos", "[]", "need at least one section"));
        }
        let mut sections = Vec::with_capacity(rows.len());
        for (i, r) in rows.into_iter().enumerate() {
            if r.iter().any(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    format!("sos row {i}"),
                    format!("{r:?}"),
                    "coefficients must be finite",
                ));
            }
            if r[3] == 0.0 {
                return Err(Error::invalid(
                    format!("sos row {i} a0"),
                    0,
                    "a0 must be non-zero",
                ));
            }
            let a0 = r[3];
            sections.push(if a0 == 1.0 {
                r
            } else {
                [r[0] / a0, r[1] / a0, r[2] / a0, 1.0, r[4] / a0, r[5] / a0]
            });
        }
        Ok(Sos { sections })
    }

    /// The rows `[b0, b1, b2, 1, a1, a2]`.
    pub fn sections(&self) -> &[[f64; 6]] {
        &self.sections
    }

    /// Number of sections.
    pub fn len(&self) -> usize {
        self.sections.len()
    }

    /// Always false: an `Sos` has at least one section.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    /// This filter followed by `other` (one cascade).
    pub fn then(mut self, other: &Sos) -> Sos {
        self.sections.extend_from_slice(&other.sections);
        self
    }

    /// Steady-state initial conditions for a unit step (`scipy.signal.sosfilt_zi`): one `[z0, z1]`
    /// per section; multiply by the first sample to start a filter without a transient.
    pub fn zi(&self) -> Vec<[f64; 2]> {
        let mut scale = 1.0;
        let mut out = Vec::with_capacity(self.sections.len());
        for s in &self.sections {
            let (b, a) = (&s[0..3], &s[3..6]);
            // lfilter_zi for a 2nd-order section: solve (I - A^T) zi = b[1:] - a[1:] b0.
            let rhs0 = b[1] - a[1] * b[0];
            let rhs1 = b[2] - a[2] * b[0];
            let z0 = (rhs0 + rhs1) / (1.0 + a[1] + a[2]);
            let z1 = rhs1 - a[2] * z0;
            out.push([scale * z0, scale * z1]);
            scale *= (b[0] + b[1] + b[2]) / (a[0] + a[1] + a[2]);
        }
        out
    }

    /// Number of edge samples scipy's `sosfiltfilt` pads by default:
    /// `3 * (2 * n_sections + 1 - min(#zero b2, #zero a2))`.
    pub fn default_padlen(&self) -> usize {
        let zb = self.sections.iter().filter(|s| s[2] == 0.0).count();
        let za = self.sections.iter().filter(|s| s[5] == 0.0).count();
        3 * (2 * self.sections.len() + 1 - zb.min(za))
    }

    /// Complex frequency response at `freq` Hz for sampling rate `fs`.
    pub fn response(&self, freq: f64, fs: f64) -> C {
        let w = 2.0 * std::f64::consts::PI * freq / fs;
        let z1 = C::from_polar(1.0, -w);
        let z2 = z1 * z1;
        self.sections.iter().fold(C::new(1.0, 0.0), |h, s| {
            h * (s[0] + z1 * s[1] + z2 * s[2]) / (s[3] + z1 * s[4] + z2 * s[5])
        })
    }
}

/// Zeros, poles and gain.
#[derive(Debug, Clone)]
struct Zpk {
    z: Vec<C>,
    p: Vec<C>,
    k: f64,
}

fn check_finite(name: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(name, v, "must be a finite number"))
    }
}

fn check_rate(fs: f64) -> Result<()> {
    check_finite("sampling rate", fs)?;
    if fs <= 0.0 {
        return Err(Error::invalid(
            "sampling rate",
            fs,
            "must be greater than 0 Hz",
        ));
    }
    Ok(())
}

/// Normalised frequency `2 f / fs`, checked to lie strictly between 0 and Nyquist.
fn normalised(name: &str, f: f64, fs: f64) -> Result<f64> {
    check_finite(name, f)?;
    if f <= 0.0 || f >= fs / 2.0 {
        return Err(Error::invalid(
            name,
            format!("{f} Hz"),
            format!(
                "must be above 0 Hz and below the Nyquist frequency {} Hz (sampling rate {fs} Hz)",
                fs / 2.0
            ),
        ));
    }
    let w = 2.0 * f / fs;
    if w <= 0.0 || w >= 1.0 {
        return Err(Error::invalid(
            name,
            format!("{f} Hz"),
            "too close to 0 or to Nyquist",
        ));
    }
    Ok(w)
}

fn check_order(order: usize) -> Result<()> {
    if order == 0 || order > MAX_ORDER {
        return Err(Error::invalid(
            "order",
            order,
            format!("must be between 1 and {MAX_ORDER}"),
        ));
    }
    Ok(())
}

/// Butterworth filter of `order` (a band-pass or band-stop gets `order` sections, order
/// `2 * order` overall, as in scipy).
pub fn butter(order: usize, band: Band, fs: f64) -> Result<Sos> {
    iirfilter(order, band, Prototype::Butterworth, fs)
}

/// Chebyshev type I filter with `ripple_db` dB of pass-band ripple.
pub fn cheby1(order: usize, ripple_db: f64, band: Band, fs: f64) -> Result<Sos> {
    iirfilter(order, band, Prototype::Chebyshev1 { ripple_db }, fs)
}

/// Bessel filter, phase-normalised (`scipy.signal.bessel(..., norm="phase")`, scipy's default).
pub fn bessel(order: usize, band: Band, fs: f64) -> Result<Sos> {
    iirfilter(order, band, Prototype::Bessel, fs)
}

/// Digital IIR filter design (`scipy.signal.iirfilter(..., output="sos", fs=fs)`).
pub fn iirfilter(order: usize, band: Band, prototype: Prototype, fs: f64) -> Result<Sos> {
    check_order(order)?;
    check_rate(fs)?;
    let wn: Vec<f64> = match band {
        Band::Lowpass(f) | Band::Highpass(f) => vec![normalised("cut-off frequency", f, fs)?],
        Band::Bandpass(lo, hi) | Band::Bandstop(lo, hi) => {
            let l = normalised("low cut-off frequency", lo, fs)?;
            let h = normalised("high cut-off frequency", hi, fs)?;
            if lo >= hi {
                return Err(Error::invalid(
                    "low cut-off frequency",
                    format!("{lo} Hz"),
                    format!("must be below the high cut-off frequency {hi} Hz"),
                ));
            }
            vec![l, h]
        }
    };
    let proto = match prototype {
        Prototype::Butterworth => buttap(order),
        Prototype::Chebyshev1 { ripple_db } => {
            check_finite("pass-band ripple", ripple_db)?;
            if ripple_db <= 0.0 {
                return Err(Error::invalid(
                    "pass-band ripple",
                    format!("{ripple_db} dB"),
                    "must be greater than 0 dB",
                ));
            }
            cheb1ap(order, ripple_db)
        }
        Prototype::Bessel => besselap_phase(order)?,
    };
    // Pre-warp for the bilinear transform at fs = 2 (scipy designs on normalised frequencies).
    let warped: Vec<f64> = wn
        .iter()
        .map(|w| 2.0 * 2.0 * (std::f64::consts::PI * w / 2.0).tan())
        .collect();
    let analog = match band {
        Band::Lowpass(_) => lp2lp(proto, warped[0]),
        Band::Highpass(_) => lp2hp(proto, warped[0]),
        Band::Bandpass(..) => {
            let bw = warped[1] - warped[0];
            let wo = (warped[0] * warped[1]).sqrt();
            lp2bp(proto, wo, bw)
        }
        Band::Bandstop(..) => {
            let bw = warped[1] - warped[0];
            let wo = (warped[0] * warped[1]).sqrt();
            lp2bs(proto, wo, bw)
        }
    };
    let digital = bilinear(analog, 2.0);
    zpk2sos(digital)
}

/// Second-order IIR notch at `freq` Hz with quality factor `q` (`scipy.signal.iirnotch`).
pub fn iirnotch(freq: f64, q: f64, fs: f64) -> Result<Sos> {
    check_rate(fs)?;
    check_finite("quality factor", q)?;
    if q <= 0.0 {
        return Err(Error::invalid(
            "quality factor",
            q,
            "must be greater than 0",
        ));
    }
    let w0 = normalised("notch frequency", freq, fs)?;
    let bw = w0 / q * std::f64::consts::PI;
    let w0 = w0 * std::f64::consts::PI;
    // scipy: gb = 1/sqrt(2), beta = sqrt(1 - gb^2)/gb * tan(bw/2).
    let gb = 1.0 / 2f64.sqrt();
    let beta = ((1.0 - gb * gb).sqrt() / gb) * (bw / 2.0).tan();
    let gain = 1.0 / (1.0 + beta);
    let c = w0.cos();
    Sos::new(vec![[
        gain,
        gain * (-2.0 * c),
        gain,
        1.0,
        -2.0 * gain * c,
        2.0 * gain - 1.0,
    ]])
}

/// Notches at `base` Hz and every harmonic below Nyquist, each an [`iirnotch`] with quality
/// factor `q`, cascaded (mains interference at 50 or 60 Hz).
pub fn notch_comb(base: f64, q: f64, fs: f64) -> Result<Sos> {
    check_rate(fs)?;
    check_finite("notch frequency", base)?;
    let mut out: Option<Sos> = None;
    let mut h = 1.0;
    while h * base < fs / 2.0 {
        let n = iirnotch(h * base, q, fs)?;
        out = Some(match out {
            None => n,
            Some(s) => s.then(&n),
        });
        h += 1.0;
    }
    out.ok_or_else(|| {
        Error::invalid(
            "notch frequency",
            format!("{base} Hz"),
            format!("must be below the Nyquist frequency {} Hz", fs / 2.0),
        )
    })
}

fn buttap(n: usize) -> Zpk {
    let p = (0..n)
        .map(|i| {
            let m = -(n as f64) + 1.0 + 2.0 * i as f64;
            -C::new(0.0, std::f64::consts::PI * m / (2.0 * n as f64)).exp()
        })
        .collect();
    Zpk {
        z: vec![],
        p,
        k: 1.0,
    }
}

fn cheb1ap(n: usize, rp: f64) -> Zpk {
    let eps = (10f64.powf(0.1 * rp) - 1.0).sqrt();
    let mu = 1.0 / n as f64 * (1.0 / eps).asinh();
    let p: Vec<C> = (0..n)
        .map(|i| {
            let m = -(n as f64) + 1.0 + 2.0 * i as f64;
            let theta = std::f64::consts::PI * m / (2.0 * n as f64);
            -C::new(mu, theta).sinh()
        })
        .collect();
    let mut k = p.iter().fold(C::new(1.0, 0.0), |acc, &x| acc * -x).re;
    if n.is_multiple_of(2) {
        k /= (1.0 + eps * eps).sqrt();
    }
    Zpk { z: vec![], p, k }
}

/// Coefficients of the reverse Bessel polynomial θ_n(s) = Σ a_k s^k, lowest power first.
fn reverse_bessel_coeffs(n: usize) -> Vec<f64> {
    (0..=n)
        .map(|k| {
            // a_k = (2n-k)! / (2^(n-k) k! (n-k)!), exact in u128 for n <= 16.
            let mut num: u128 = 1;
            for i in (n + 1)..=(2 * n - k) {
                num *= i as u128;
            }
            // (2n-k)!/n! computed; divide by k!/... carefully: a_k = (2n-k)!/(n! ) * n!/(k!(n-k)!) / 2^(n-k)
            let mut binom: u128 = 1;
            for i in 0..k {
                binom = binom * (n - i) as u128 / (i + 1) as u128;
            }
            // (2n-k)!/(n-k)! / k! / 2^(n-k) = [(2n-k)!/n!] * [n!/((n-k)! k!)] / 2^(n-k)
            let v = num * binom;
            v as f64 / 2f64.powi((n - k) as i32)
        })
        .collect()
}

fn poly_eval(c: &[f64], x: C) -> (C, C) {
    // Horner for value and derivative, highest power first.
    let mut v = C::new(0.0, 0.0);
    let mut d = C::new(0.0, 0.0);
    for &a in c.iter().rev() {
        d = d * x + v;
        v = v * x + a;
    }
    (v, d)
}

fn besselap_phase(n: usize) -> Result<Zpk> {
    let c = reverse_bessel_coeffs(n);
    // Aberth–Ehrlich iteration on θ_n from points on a circle, then Newton polishing.
    let radius = c[0].powf(1.0 / n as f64);
    let mut r: Vec<C> = (0..n)
        .map(|i| {
            C::from_polar(
                radius,
                std::f64::consts::PI * (i as f64 + 0.25) * 2.0 / n as f64,
            )
        })
        .collect();
    for _ in 0..500 {
        let mut moved = 0.0f64;
        for i in 0..n {
            let (v, d) = poly_eval(&c, r[i]);
            if v.norm() == 0.0 {
                continue;
            }
            let ratio = v / d;
            let s: C = (0..n)
                .filter(|&j| j != i)
                .map(|j| C::new(1.0, 0.0) / (r[i] - r[j]))
                .sum();
            let w = ratio / (C::new(1.0, 0.0) - ratio * s);
            r[i] -= w;
            moved = moved.max(w.norm() / r[i].norm());
        }
        if moved < 1e-17 {
            break;
        }
    }
    for x in r.iter_mut() {
        for _ in 0..3 {
            let (v, d) = poly_eval(&c, *x);
            if d.norm() == 0.0 {
                break;
            }
            *x -= v / d;
        }
    }
    // Make conjugate pairs exact (and the real root of an odd order exactly real).
    r.sort_by(|a, b| a.im.total_cmp(&b.im));
    let mut p = vec![C::new(0.0, 0.0); n];
    for i in 0..n / 2 {
        let (lo, hi) = (r[i], r[n - 1 - i]);
        let avg = (hi + lo.conj()) / 2.0;
        p[i] = avg.conj();
        p[n - 1 - i] = avg;
    }
    if n % 2 == 1 {
        p[n / 2] = C::new(r[n / 2].re, 0.0);
    }
    if p.iter()
        .any(|x| !x.re.is_finite() || !x.im.is_finite() || x.re >= 0.0)
    {
        return Err(Error::invalid(
            "order",
            n,
            "Bessel pole computation did not converge",
        ));
    }
    // Phase normalisation: asymptotes as for Butterworth.
    let a_last = c[0];
    let scale = 10f64.powf(-a_last.log10() / n as f64);
    for x in p.iter_mut() {
        *x *= scale;
    }
    Ok(Zpk {
        z: vec![],
        p,
        k: 1.0,
    })
}

fn prod(v: &[C]) -> C {
    v.iter().fold(C::new(1.0, 0.0), |a, &b| a * b)
}

fn lp2lp(f: Zpk, wo: f64) -> Zpk {
    let degree = f.p.len() as i32 - f.z.len() as i32;
    Zpk {
        z: f.z.iter().map(|&z| z * wo).collect(),
        p: f.p.iter().map(|&p| p * wo).collect(),
        k: f.k * wo.powi(degree),
    }
}

fn lp2hp(f: Zpk, wo: f64) -> Zpk {
    let degree = f.p.len() - f.z.len();
    let mut z: Vec<C> = f.z.iter().map(|&z| C::new(wo, 0.0) / z).collect();
    let p = f.p.iter().map(|&p| C::new(wo, 0.0) / p).collect();
    z.extend(std::iter::repeat_n(C::new(0.0, 0.0), degree));
    let nz: Vec<C> = f.z.iter().map(|&z| -z).collect();
    let np: Vec<C> = f.p.iter().map(|&p| -p).collect();
    let k = f.k * (prod(&nz) / prod(&np)).re;
    Zpk { z, p, k }
}

fn lp2bp(f: Zpk, wo: f64, bw: f64) -> Zpk {
    let degree = f.p.len() - f.z.len();
    let split = |v: &[C]| -> Vec<C> {
        let lp: Vec<C> = v.iter().map(|&x| x * bw / 2.0).collect();
        let mut out: Vec<C> = lp.iter().map(|&x| x + (x * x - wo * wo).sqrt()).collect();
        out.extend(lp.iter().map(|&x| x - (x * x - wo * wo).sqrt()));
        out
    };
    let mut z = split(&f.z);
    let p = split(&f.p);
    z.extend(std::iter::repeat_n(C::new(0.0, 0.0), degree));
    Zpk {
        z,
        p,
        k: f.k * bw.powi(degree as i32),
    }
}

fn lp2bs(f: Zpk, wo: f64, bw: f64) -> Zpk {
    let degree = f.p.len() - f.z.len();
    let split = |v: &[C]| -> Vec<C> {
        let hp: Vec<C> = v.iter().map(|&x| C::new(bw / 2.0, 0.0) / x).collect();
        let mut out: Vec<C> = hp.iter().map(|&x| x + (x * x - wo * wo).sqrt()).collect();
        out.extend(hp.iter().map(|&x| x - (x * x - wo * wo).sqrt()));
        out
    };
    let mut z = split(&f.z);
    let p = split(&f.p);
    z.extend(std::iter::repeat_n(C::new(0.0, wo), degree));
    z.extend(std::iter::repeat_n(C::new(0.0, -wo), degree));
    let nz: Vec<C> = f.z.iter().map(|&z| -z).collect();
    let np: Vec<C> = f.p.iter().map(|&p| -p).collect();
    let k = f.k * (prod(&nz) / prod(&np)).re;
    Zpk { z, p, k }
}

fn bilinear(f: Zpk, fs: f64) -> Zpk {
    let degree = f.p.len() - f.z.len();
    let fs2 = C::new(2.0 * fs, 0.0);
    let mut z: Vec<C> = f.z.iter().map(|&z| (fs2 + z) / (fs2 - z)).collect();
    let p = f.p.iter().map(|&p| (fs2 + p) / (fs2 - p)).collect();
    z.extend(std::iter::repeat_n(C::new(-1.0, 0.0), degree));
    let nz: Vec<C> = f.z.iter().map(|&z| fs2 - z).collect();
    let np: Vec<C> = f.p.iter().map(|&p| fs2 - p).collect();
    let k = f.k * (prod(&nz) / prod(&np)).re;
    Zpk { z, p, k }
}

fn is_real(c: C) -> bool {
    c.im == 0.0
}

/// scipy's `_cplxreal`: one of each conjugate pair (positive imaginary part, sorted by real
/// part), followed by the real values (sorted), as one list.
fn cplxreal(v: &[C]) -> Result<Vec<C>> {
    if v.is_empty() {
        return Ok(vec![]);
    }
    let tol = 100.0 * f64::EPSILON;
    let mut z = v.to_vec();
    // lexsort((|imag|, real)): by real part, then by |imag|; stable.
    z.sort_by(|a, b| {
        a.re.total_cmp(&b.re)
            .then(a.im.abs().total_cmp(&b.im.abs()))
    });
    let is_r: Vec<bool> = z.iter().map(|c| c.im.abs() <= tol * c.norm()).collect();
    let zr: Vec<C> = z
        .iter()
        .zip(&is_r)
        .filter(|(_, r)| **r)
        .map(|(c, _)| C::new(c.re, 0.0))
        .collect();
    let zc_all: Vec<C> = z
        .iter()
        .zip(&is_r)
        .filter(|(_, r)| !**r)
        .map(|(c, _)| *c)
        .collect();
    let mut zp: Vec<C> = zc_all.iter().copied().filter(|c| c.im > 0.0).collect();
    let mut zn: Vec<C> = zc_all.iter().copied().filter(|c| c.im < 0.0).collect();
    if zp.len() != zn.len() {
        return Err(Error::invalid(
            "zeros/poles",
            format!("{v:?}"),
            "complex value with no matching conjugate",
        ));
    }
    if !zp.is_empty() {
        let n = zp.len();
        let same: Vec<bool> = (0..n - 1)
            .map(|i| zp[i + 1].re - zp[i].re <= tol * zp[i].norm())
            .collect();
        let mut i = 0;
        while i < same.len() {
            if same[i] {
                let start = i;
                while i < same.len() && same[i] {
                    i += 1;
                }
                let stop = i; // elements start..=stop
                for chunk in [&mut zp[start..=stop], &mut zn[start..=stop]] {
                    chunk.sort_by(|a, b| a.im.abs().total_cmp(&b.im.abs()));
                }
            } else {
                i += 1;
            }
        }
        for (a, b) in zp.iter().zip(&zn) {
            if (a - b.conj()).norm() > tol * b.norm() {
                return Err(Error::invalid(
                    "zeros/poles",
                    format!("{v:?}"),
                    "complex value with no matching conjugate",
                ));
            }
        }
    }
    let mut out: Vec<C> = zp
        .iter()
        .zip(&zn)
        .map(|(a, b)| (a + b.conj()) / 2.0)
        .collect();
    out.extend(zr);
    Ok(out)
}

fn idx_worst(p: &[C]) -> usize {
    let mut best = 0;
    let mut best_v = f64::INFINITY;
    for (i, c) in p.iter().enumerate() {
        let d = (1.0 - c.norm()).abs();
        if d < best_v {
            best_v = d;
            best = i;
        }
    }
    best
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Any,
    Real,
    Complex,
}

fn nearest_idx(from: &[C], to: C, which: Which) -> Option<usize> {
    let mut order: Vec<usize> = (0..from.len()).collect();
    order.sort_by(|&a, &b| (from[a] - to).norm().total_cmp(&(from[b] - to).norm()));
    order.into_iter().find(|&i| match which {
        Which::Any => true,
        Which::Real => is_real(from[i]),
        Which::Complex => !is_real(from[i]),
    })
}

/// Polynomial with the given roots (numpy `poly` by repeated convolution), real part.
fn poly_real(roots: &[C]) -> Vec<f64> {
    let mut a = vec![C::new(1.0, 0.0)];
    for &r in roots {
        let mut next = vec![C::new(0.0, 0.0); a.len() + 1];
        for (i, &ai) in a.iter().enumerate() {
            next[i] += ai;
            next[i + 1] += ai * -r;
        }
        a = next;
    }
    a.into_iter().map(|c| c.re).collect()
}

fn single_section(z: &[C], p: &[C]) -> [f64; 6] {
    let b = poly_real(z);
    let a = poly_real(p);
    let mut s = [0.0; 6];
    s[3 - b.len()..3].copy_from_slice(&b);
    s[6 - a.len()..6].copy_from_slice(&a);
    s
}

fn internal(what: &str) -> Error {
    Error::invalid("filter design", what, "internal pairing failure")
}

/// scipy's `zpk2sos(z, p, k, pairing="nearest")` for a digital filter.
fn zpk2sos(f: Zpk) -> Result<Sos> {
    let (mut z, mut p, k) = (f.z, f.p, f.k);
    if z.is_empty() && p.is_empty() {
        return Sos::new(vec![[k, 0.0, 0.0, 1.0, 0.0, 0.0]]);
    }
    let zero = C::new(0.0, 0.0);
    let (nz, np) = (z.len(), p.len());
    p.extend(std::iter::repeat_n(zero, nz.saturating_sub(np)));
    z.extend(std::iter::repeat_n(zero, np.saturating_sub(nz)));
    let n_sections = p.len().max(z.len()).div_ceil(2);
    if p.len() % 2 == 1 {
        p.push(zero);
        z.push(zero);
    }
    let mut z = cplxreal(&z)?;
    let mut p = cplxreal(&p)?;
    let mut sos = vec![[0.0; 6]; n_sections];
    for si in (0..n_sections).rev() {
        let p1_idx = idx_worst(&p);
        let p1 = p.remove(p1_idx);
        let n_real_p = p.iter().filter(|c| is_real(**c)).count();
        if is_real(p1) && n_real_p == 0 {
            // Last remaining real pole: pair with the nearest real zero.
            let zi = nearest_idx(&z, p1, Which::Real).ok_or_else(|| internal("real zero"))?;
            let z1 = z.remove(zi);
            sos[si] = single_section(&[z1, zero], &[p1, zero]);
        } else if p.len() + 1 == z.len()
            && !is_real(p1)
            && n_real_p == 1
            && z.iter().filter(|c| is_real(**c)).count() == 1
        {
            // One real pole and one real zero left: this complex pole must take a complex zero.
            let zi = nearest_idx(&z, p1, Which::Complex).ok_or_else(|| internal("complex zero"))?;
            let z1 = z.remove(zi);
            sos[si] = single_section(&[z1, z1.conj()], &[p1, p1.conj()]);
        } else {
            let p2 = if is_real(p1) {
                let reals: Vec<usize> = (0..p.len()).filter(|&i| is_real(p[i])).collect();
                let sub: Vec<C> = reals.iter().map(|&i| p[i]).collect();
                let idx = reals[idx_worst(&sub)];
                p.remove(idx)
            } else {
                p1.conj()
            };
            if !z.is_empty() {
                let zi = nearest_idx(&z, p1, Which::Any).ok_or_else(|| internal("zero"))?;
                let z1 = z.remove(zi);
                if !is_real(z1) {
                    sos[si] = single_section(&[z1, z1.conj()], &[p1, p2]);
                } else if !z.is_empty() {
                    let zi2 =
                        nearest_idx(&z, p1, Which::Real).ok_or_else(|| internal("real zero"))?;
                    let z2 = z.remove(zi2);
                    sos[si] = single_section(&[z1, z2], &[p1, p2]);
                } else {
                    sos[si] = single_section(&[z1], &[p1, p2]);
                }
            } else {
                sos[si] = single_section(&[], &[p1, p2]);
            }
        }
    }
    for v in sos[0][..3].iter_mut() {
        *v *= k;
    }
    Sos::new(sos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mne_moabb_band_pass_matches_reference_rows() {
        // The rows MNE designs for raw.filter(8, 32, method="iir") at 160 Hz (references.md).
        let want = [
            [
                0.01856301062689718,
                0.03712602125379436,
                0.01856301062689718,
                1.0,
                -0.7175994781553884,
                0.2652749925492467,
            ],
            [1.0, 2.0, 1.0, 1.0, -1.4034997184860654, 0.5448504528985668],
            [1.0, -2.0, 1.0, 1.0, -0.5430735340457561, 0.618338186863954],
            [1.0, -2.0, 1.0, 1.0, -1.7565208273147044, 0.8525866844895157],
        ];
        let sos = butter(4, Band::Bandpass(8.0, 32.0), 160.0).unwrap();
        assert_eq!(sos.len(), 4);
        for (got, want) in sos.sections().iter().zip(want.iter()) {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn invalid_parameters_name_the_value() {
        let e = butter(4, Band::Bandpass(30.0, 8.0), 160.0).unwrap_err();
        assert!(e.to_string().contains("low cut-off"), "{e}");
        let e = butter(4, Band::Lowpass(80.0), 160.0).unwrap_err();
        assert!(e.to_string().contains("80 Hz"), "{e}");
        let e = butter(0, Band::Lowpass(10.0), 160.0).unwrap_err();
        assert!(e.to_string().contains("order"), "{e}");
        let e = butter(2, Band::Lowpass(f64::NAN), 160.0).unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
        let e = butter(2, Band::Lowpass(10.0), -1.0).unwrap_err();
        assert!(e.to_string().contains("sampling rate"), "{e}");
        let e = iirnotch(50.0, 0.0, 250.0).unwrap_err();
        assert!(e.to_string().contains("quality"), "{e}");
    }

    #[test]
    fn bessel_poles_sum_like_scipy() {
        // θ_n roots sum to -a_{n-1}/a_n; scipy checks the zeros of y_n sum to -1.
        for n in 1..=10 {
            let c = reverse_bessel_coeffs(n);
            assert_eq!(c[n], 1.0);
            let z = besselap_phase(n).unwrap();
            let inv_sum: C = z.p.iter().map(|&p| C::new(1.0, 0.0) / p).sum();
            let scale = 10f64.powf(-c[0].log10() / n as f64);
            assert!((inv_sum * scale + 1.0).norm() < 1e-12, "n={n} {inv_sum}");
        }
    }
}
