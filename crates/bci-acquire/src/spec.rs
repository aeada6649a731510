//! The `--source` strings of `bci record`:
//! `cyton:PATH`, `cyton-daisy:PATH`, `brainflow:BOARD[?key=value&...]`, `file:PATH[?speed=N]`,
//! `synthetic[?channels=N&rate=R&speed=N|max]`. Serial specs accept `?speed=N` for the firmware simulator's
//! `--speed` (the board then sends N × 250 packets/s).

use std::path::PathBuf;

use bci_core::{Error, Result};

use crate::brainflow::BrainFlowParams;
use crate::decoder::BoardKind;

/// A parsed source specification.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    Cyton {
        kind: BoardKind,
        path: PathBuf,
        speed: f64,
    },
    BrainFlow {
        board: String,
        params: Box<BrainFlowParams>,
    },
    /// `speed`: `None` = as fast as possible.
    File { path: PathBuf, speed: Option<f64> },
    /// `speed`: multiple of real time (default 1); `None` = unpaced, as fast as it is read.
    Synthetic {
        channels: usize,
        rate: f64,
        speed: Option<f64>,
    },
}

fn split_query(s: &str) -> (&str, Vec<(String, String)>) {
    match s.split_once('?') {
        None => (s, Vec::new()),
        Some((head, q)) => (
            head,
            q.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv.to_string(), String::new()),
                })
                .collect(),
        ),
    }
}

fn number(key: &str, v: &str) -> Result<f64> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| Error::invalid(key, v, "must be a positive number"))
}

const HELP: &str = "expected cyton:PATH, cyton-daisy:PATH, brainflow:BOARD[?serial_port=...], \
                    file:PATH[?speed=N|fast], or synthetic[?channels=N&rate=R&speed=N|max]";

impl SourceSpec {
    pub fn parse(spec: &str) -> Result<SourceSpec> {
        // `synthetic?channels=4` has options but no target: the scheme ends at ':' or '?'.
        let (scheme, rest) = match spec.find([':', '?']) {
            Some(i) if spec[i..].starts_with(':') => (&spec[..i], &spec[i + 1..]),
            Some(i) => (&spec[..i], &spec[i..]),
            None => (spec, ""),
        };
        let (target, query) = split_query(rest);
        let bad_key = |k: &str| {
            Error::invalid(
                "source option",
                k,
                format!("not known for {scheme}: sources"),
            )
        };
        match scheme {
            "cyton" | "cyton-daisy" => {
                if target.is_empty() {
                    return Err(Error::invalid(
                        "source",
                        spec,
                        "the serial port path is missing (cyton:/dev/ttyUSB0)",
                    ));
                }
                let mut speed = 1.0;
                for (k, v) in &query {
                    match k.as_str() {
                        "speed" => speed = number(k, v)?,
                        _ => return Err(bad_key(k)),
                    }
                }
                let kind = if scheme == "cyton" {
                    BoardKind::Cyton
                } else {
                    BoardKind::CytonDaisy
                };
                Ok(SourceSpec::Cyton {
                    kind,
                    path: PathBuf::from(target),
                    speed,
                })
            }
            "brainflow" => {
                if target.is_empty() {
                    return Err(Error::invalid(
                        "source",
                        spec,
                        "the board name is missing (brainflow:synthetic)",
                    ));
                }
                let mut params = BrainFlowParams::default();
                for (k, v) in &query {
                    params.set(k, v)?;
                }
                crate::brainflow::board_id(target)?;
                Ok(SourceSpec::BrainFlow {
                    board: target.to_string(),
                    params: Box::new(params),
                })
            }
            "file" => {
                if target.is_empty() {
                    return Err(Error::invalid(
                        "source",
                        spec,
                        "the file path is missing (file:rec.edf)",
                    ));
                }
                let mut speed = Some(1.0);
                for (k, v) in &query {
                    match k.as_str() {
                        "speed" if v == "fast" || v == "max" => speed = None,
                        "speed" => speed = Some(number(k, v)?),
                        _ => return Err(bad_key(k)),
                    }
                }
                Ok(SourceSpec::File {
                    path: PathBuf::from(target),
                    speed,
                })
            }
            "synthetic" => {
                let (mut channels, mut rate, mut speed) = (8usize, 250.0, Some(1.0));
                for (k, v) in &query {
                    match k.as_str() {
                        "channels" => {
                            channels = v
                                .parse()
                                .map_err(|_| Error::invalid(k, v, "must be an integer"))?
                        }
                        "rate" => rate = number(k, v)?,
                        "speed" if v == "fast" || v == "max" => speed = None,
                        "speed" => speed = Some(number(k, v)?),
                        _ => return Err(bad_key(k)),
                    }
                }
                Ok(SourceSpec::Synthetic {
                    channels,
                    rate,
                    speed,
                })
            }
            _ => Err(Error::invalid("source", spec, HELP)),
        }
    }
}
