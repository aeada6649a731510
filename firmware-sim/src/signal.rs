//! What the simulated electrodes measure: synthetic EEG or a replayed recording, in µV, per
//! channel and sample index (at the stream's sample rate: 250 Hz, or 125 Hz per channel with
//! the Daisy).

use std::f64::consts::TAU;

use bci_core::Recording;

use crate::rng::noise;

/// A synthetic scene.
#[derive(Debug, Clone, PartialEq)]
pub enum Synthetic {
    /// 10 Hz alpha (20 µV) strongest on the last channels (occipital), plus noise.
    Alpha,
    /// A steady-state visual evoked response at `f` Hz (and its second harmonic).
    Ssvep(f64),
    /// Motor imagery: mu/beta (11 Hz, 20 Hz) on channels 2 and 3 (C3, C4), with
    /// event-related desynchronisation alternating left/right every 4 s after 4 s of rest.
    MotorImagery,
    /// Pure noise.
    Noise,
}

impl Synthetic {
    /// `alpha`, `ssvep:F`, `mi`, `noise`.
    pub fn parse(s: &str) -> Result<Synthetic, String> {
        match s {
            "alpha" => Ok(Synthetic::Alpha),
            "mi" => Ok(Synthetic::MotorImagery),
            "noise" => Ok(Synthetic::Noise),
            _ => {
                if let Some(f) = s.strip_prefix("ssvep:") {
                    let f: f64 = f
                        .parse()
                        .map_err(|_| format!("bad SSVEP frequency {f:?}"))?;
                    if f > 0.0 && f < 100.0 {
                        return Ok(Synthetic::Ssvep(f));
                    }
                    return Err(format!("SSVEP frequency {f} must be in (0, 100) Hz"));
                }
                Err(format!("unknown signal {s:?}: alpha, ssvep:F, mi or noise"))
            }
        }
    }
}

/// Where the µV values come from.
#[derive(Debug, Clone)]
pub enum SignalSource {
    Synthetic {
        scene: Synthetic,
        /// Mains interference amplitude (µV) and frequency; 0 µV for none.
        line_uv: f64,
        line_hz: f64,
        /// 0-based channels stuck at full scale.
        railed: Vec<usize>,
        seed: u64,
    },
    /// A recording; `map[i]` is the file channel feeding board channel `i` (`None`: 0 µV).
    /// Sample `s` of the stream is file sample `s` (looping at the end): no resampling.
    Replay {
        rec: Box<Recording>,
        map: Vec<Option<usize>>,
    },
}

/// A value far beyond any gain's full scale: the ADC clips it (a railed channel).
pub const RAILED_UV: f64 = 1e9;

impl SignalSource {
    /// µV on 0-based board channel `ch` at stream sample `s`, with `rate` samples per second.
    pub fn value(&self, ch: usize, s: u64, rate: f64) -> f64 {
        match self {
            SignalSource::Synthetic {
                scene,
                line_uv,
                line_hz,
                railed,
                seed,
            } => {
                if railed.contains(&ch) {
                    return RAILED_UV;
                }
                let t = s as f64 / rate;
                let mut v = 8.0 * noise(*seed, ch, s);
                v += line_uv * (TAU * line_hz * t).sin();
                v += match scene {
                    Synthetic::Alpha => {
                        let w = 0.3 + 0.7 * (ch % 8) as f64 / 7.0;
                        20.0 * w * (TAU * 10.0 * t + 0.2 * ch as f64).sin()
                    }
                    Synthetic::Ssvep(f) => {
                        12.0 * (TAU * f * t).sin() + 4.0 * (TAU * 2.0 * f * t + 0.5).sin()
                    }
                    Synthetic::MotorImagery => {
                        // 8 s cycle: 4 s rest, 4 s imagery; left and right alternate by cycle.
                        let cycle = (t / 8.0) as u64;
                        let imagery = (t % 8.0) >= 4.0;
                        let left = cycle.is_multiple_of(2);
                        // Imagining the left hand desynchronises the right hemisphere (C4).
                        let erd = match ch {
                            1 if imagery && !left => 0.3,
                            2 if imagery && left => 0.3,
                            _ => 1.0,
                        };
                        let amp = if ch == 1 || ch == 2 { 15.0 } else { 4.0 };
                        erd * amp * ((TAU * 11.0 * t).sin() + 0.4 * (TAU * 20.0 * t).sin())
                    }
                    Synthetic::Noise => 0.0,
                };
                v
            }
            SignalSource::Replay { rec, map } => {
                let n = rec.n_samples() as u64;
                match map.get(ch).copied().flatten() {
                    Some(fc) if n > 0 => {
                        let col = (s % n) as usize;
                        rec.data.get((fc, col)).copied().unwrap_or(0.0)
                    }
                    _ => 0.0,
                }
            }
        }
    }
}
