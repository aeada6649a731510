//! The model file: one versioned JSON document holding a whole trained pipeline, so a live
//! session or `bci predict` applies exactly what `bci train` fitted.
//!
//! It records the channel names in order, the sampling rate, the band-pass filter (MNE-style
//! zero-phase IIR: its second-order sections and padding), the epoch window, the event → class
//! mapping, the class labels, and the fitted pipeline (spatial filters, classifier, means).
//! Applying it to a recording whose rate differs, or which lacks one of the model's channels,
//! fails with a message naming both sides.

use std::path::Path;

use bci_core::Recording;
use bci_dsp::{MneIir, Sos};
use ndarray::{Array2, Array3, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Result};
use crate::eval::{Window, epochs_for_events};
use crate::pipeline::{Decoder, Fitted, PipelineKind, PipelineOptions};

/// The `format` field of every model file.
pub const MODEL_FORMAT: &str = "bci-decode-model";
/// Current model-file version; files of another version are refused with a clear error.
pub const MODEL_VERSION: u32 = 1;

/// The band-pass applied to each continuous recording before epoching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilterSpec {
    /// `"mne-iir"`: MNE's `raw.filter(l, h, method="iir")` (Butterworth, zero phase,
    /// reflect_limited padding).
    pub method: String,
    pub band: [f64; 2],
    pub order: usize,
    /// Second-order sections `[b0, b1, b2, a0, a1, a2]`.
    pub sos: Vec<[f64; 6]>,
    /// Padding samples per side.
    pub padlen: usize,
}

impl FilterSpec {
    /// MNE's default IIR band-pass (order 4) at `sfreq`.
    pub fn mne_bandpass(lo: f64, hi: f64, sfreq: f64) -> Result<Self> {
        let f = MneIir::design(Some(lo), Some(hi), sfreq, 4)?;
        Ok(FilterSpec {
            method: "mne-iir".into(),
            band: [lo, hi],
            order: 4,
            sos: f.sos.sections().to_vec(),
            padlen: f.padlen,
        })
    }

    /// The same Butterworth band-pass (order 4) applied causally, as the live pipeline applies
    /// every model's filter: a model trained with it sees in training exactly what a live session
    /// feeds it.
    pub fn causal_bandpass(lo: f64, hi: f64, sfreq: f64) -> Result<Self> {
        let sos = bci_dsp::butter(4, bci_dsp::Band::Bandpass(lo, hi), sfreq)?;
        Ok(FilterSpec {
            method: "causal".into(),
            band: [lo, hi],
            order: 4,
            sos: sos.sections().to_vec(),
            padlen: 0,
        })
    }

    /// Filters channels × samples.
    pub fn apply(&self, data: ndarray::ArrayView2<f64>) -> Result<Array2<f64>> {
        if self.method == "causal" {
            let sos = Sos::new(self.sos.clone())?;
            return Ok(bci_dsp::sosfilt(&sos, data, bci_dsp::Initial::Zero)?);
        }
        if self.method != "mne-iir" {
            return Err(DecodeError::Mismatch(format!(
                "unknown filter method {:?} in model (this build knows \"mne-iir\" and \"causal\")",
                self.method
            )));
        }
        let f = MneIir {
            sos: Sos::new(self.sos.clone())?,
            padlen: self.padlen,
        };
        Ok(f.apply(data)?)
    }
}

/// Which event label maps to which class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventClass {
    pub event: String,
    pub class: String,
}

impl EventClass {
    /// `EVENT=CLASS` entries separated by commas (`T1=left,T2=right`, as `bci train --events`
    /// takes them); at least two.
    pub fn parse_list(text: &str) -> Result<Vec<EventClass>> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (event, class) = part.split_once('=').ok_or_else(|| {
                DecodeError::invalid(
                    "event entry",
                    format!("{part:?}"),
                    "write it as EVENT=CLASS",
                )
            })?;
            if event.is_empty() || class.is_empty() {
                return Err(DecodeError::invalid(
                    "event entry",
                    format!("{part:?}"),
                    "has an empty side; write it as EVENT=CLASS",
                ));
            }
            out.push(EventClass {
                event: event.into(),
                class: class.into(),
            });
        }
        if out.len() < 2 {
            return Err(DecodeError::invalid(
                "event list",
                format!("{text:?}"),
                "needs at least two EVENT=CLASS entries",
            ));
        }
        Ok(out)
    }
}

/// What to train.
#[derive(Debug, Clone)]
pub struct TrainSpec {
    pub pipeline: PipelineKind,
    pub events: Vec<EventClass>,
    pub window: Window,
    /// Band-pass `[lo, hi]` Hz, or none.
    pub band: Option<[f64; 2]>,
    /// Apply the band-pass causally (as a live session does) instead of MNE's zero-phase IIR.
    pub causal: bool,
    pub options: PipelineOptions,
}

/// A whole trained pipeline, as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub version: u32,
    pub pipeline_name: String,
    pub channels: Vec<String>,
    pub sample_rate: f64,
    pub filter: Option<FilterSpec>,
    pub window: Window,
    pub events: Vec<EventClass>,
    /// Class labels; class index `k` is `classes[k]` (sorted, as scikit-learn's LabelEncoder).
    pub classes: Vec<String>,
    pub options: PipelineOptions,
    pub pipeline: Fitted,
}

/// One epoch's prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Sample index of the event the epoch is locked to.
    pub onset: u64,
    /// The event's class, if its event label is one the model knows.
    pub label: Option<String>,
    pub predicted: String,
    /// Per-class scores (see [`Decoder::scores`]).
    pub scores: Vec<f64>,
}

fn describe(channels: &[String], rate: f64) -> String {
    let shown: Vec<&str> = channels.iter().take(6).map(|s| s.as_str()).collect();
    let more = if channels.len() > 6 { ", ..." } else { "" };
    format!(
        "{} channels ({}{more}) at {rate} Hz",
        channels.len(),
        shown.join(", ")
    )
}

/// Epochs of several recordings (channels picked by name, in `channels` order), each filtered
/// whole with `filter` before epoching, concatenated in order; returns the epochs, their class
/// labels (mapped through `events`) and onsets.
pub fn collect_epochs(
    recs: &[&Recording],
    channels: &[String],
    filter: Option<&FilterSpec>,
    events: &[EventClass],
    window: Window,
) -> Result<(Array3<f64>, Vec<String>, Vec<u64>)> {
    let event_labels: Vec<String> = events.iter().map(|e| e.event.clone()).collect();
    let mut xs = Vec::new();
    let mut labels = Vec::new();
    let mut onsets = Vec::new();
    for rec in recs {
        let idx = pick_channels(rec, channels)?;
        let picked = rec.data.select(Axis(0), &idx);
        let data = match filter {
            Some(f) => f.apply(picked.view())?,
            None => picked,
        };
        let view = Recording {
            channels: Vec::new(),
            sample_rate: rec.sample_rate,
            data,
            events: rec.events.clone(),
            subject: Default::default(),
            format: String::new(),
        };
        let (x, l, o) = epochs_for_events(&view, &event_labels, window)?;
        xs.push(x);
        for ev in l {
            let class = events
                .iter()
                .find(|e| e.event == ev)
                .map(|e| e.class.clone())
                .unwrap_or(ev);
            labels.push(class);
        }
        onsets.extend(o);
    }
    let views: Vec<_> = xs.iter().map(|x| x.view()).collect();
    let x = ndarray::concatenate(Axis(0), &views)
        .map_err(|e| DecodeError::Shape(format!("epochs of the recordings differ: {e}")))?;
    Ok((x, labels, onsets))
}

fn pick_channels(rec: &Recording, channels: &[String]) -> Result<Vec<usize>> {
    channels
        .iter()
        .map(|c| rec.channel_index(c))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            let have: Vec<String> = rec.channels.iter().map(|c| c.label.clone()).collect();
            let missing: Vec<&str> = channels
                .iter()
                .filter(|c| rec.channel_index(c).is_none())
                .map(|c| c.as_str())
                .take(6)
                .collect();
            DecodeError::Mismatch(format!(
                "model expects {}; stream has {} (missing {})",
                describe(channels, rec.sample_rate),
                describe(&have, rec.sample_rate),
                missing.join(", ")
            ))
        })
}

impl Model {
    /// Trains on recordings (all with the same channels and rate): filter each recording, cut
    /// epochs at the mapped events, fit the pipeline.
    pub fn train(recs: &[&Recording], spec: &TrainSpec) -> Result<Model> {
        let Some(first) = recs.first() else {
            return Err(DecodeError::invalid("recordings", 0, "need at least one"));
        };
        let channels: Vec<String> = first.channels.iter().map(|c| c.label.clone()).collect();
        let sample_rate = first.sample_rate;
        for r in recs.iter().skip(1) {
            let ch: Vec<String> = r.channels.iter().map(|c| c.label.clone()).collect();
            if ch != channels || (r.sample_rate - sample_rate).abs() > 1e-9 {
                return Err(DecodeError::Mismatch(format!(
                    "training recordings differ: first has {}, another has {}",
                    describe(&channels, sample_rate),
                    describe(&ch, r.sample_rate)
                )));
            }
        }
        if spec.events.is_empty() {
            return Err(DecodeError::invalid(
                "events",
                "",
                "map at least two events to classes",
            ));
        }
        let filter = match spec.band {
            Some([lo, hi]) if spec.causal => {
                Some(FilterSpec::causal_bandpass(lo, hi, sample_rate)?)
            }
            Some([lo, hi]) => Some(FilterSpec::mne_bandpass(lo, hi, sample_rate)?),
            None => None,
        };
        let (x, labels, _) =
            collect_epochs(recs, &channels, filter.as_ref(), &spec.events, spec.window)?;
        let mut classes: Vec<String> = spec.events.iter().map(|e| e.class.clone()).collect();
        classes.sort();
        classes.dedup();
        let y: Vec<usize> = labels
            .iter()
            .map(|l| classes.iter().position(|c| c == l).unwrap_or(0))
            .collect();
        if labels.is_empty() {
            return Err(DecodeError::TooFewEpochs {
                n_epochs: 0,
                n_classes: classes.len(),
            });
        }
        let freqs: Vec<f64> = if spec.pipeline.is_ssvep() {
            classes
                .iter()
                .map(|c| {
                    c.trim_end_matches("Hz").trim().parse::<f64>().map_err(|_| {
                        DecodeError::invalid(
                            "CCA class",
                            c,
                            "CCA classes must be stimulus frequencies in Hz (e.g. 33025=13)",
                        )
                    })
                })
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        let pipeline = Fitted::fit(
            spec.pipeline,
            x.view(),
            &y,
            &spec.options,
            sample_rate,
            &freqs,
        )?;
        Ok(Model {
            format: MODEL_FORMAT.into(),
            version: MODEL_VERSION,
            pipeline_name: spec.pipeline.name().into(),
            channels,
            sample_rate,
            filter,
            window: spec.window,
            events: spec.events.clone(),
            classes,
            options: spec.options.clone(),
            pipeline,
        })
    }

    /// Checks that a stream (channel labels, rate) can feed this model.
    pub fn check_stream(&self, channels: &[String], sample_rate: f64) -> Result<()> {
        let missing = self.channels.iter().any(|c| !channels.contains(c));
        if missing || (sample_rate - self.sample_rate).abs() > 1e-9 {
            return Err(DecodeError::Mismatch(format!(
                "model expects {}; stream has {}",
                describe(&self.channels, self.sample_rate),
                describe(channels, sample_rate)
            )));
        }
        Ok(())
    }

    /// Filters a recording, cuts epochs at the model's events and predicts each.
    pub fn predict_recording(&self, rec: &Recording) -> Result<Vec<Prediction>> {
        let labels: Vec<String> = rec.channels.iter().map(|c| c.label.clone()).collect();
        self.check_stream(&labels, rec.sample_rate)?;
        let (x, ev_labels, onsets) = collect_epochs(
            &[rec],
            &self.channels,
            self.filter.as_ref(),
            &self.events,
            self.window,
        )?;
        let scores = self.pipeline.scores(x.view())?;
        let pred = crate::cca::argmax_rows(&scores);
        Ok(onsets
            .into_iter()
            .zip(ev_labels)
            .zip(pred)
            .zip(scores.rows())
            .map(|(((onset, label), p), s)| Prediction {
                onset,
                label: Some(label),
                predicted: self.classes.get(p).cloned().unwrap_or_default(),
                scores: s.to_vec(),
            })
            .collect())
    }

    /// Writes the model as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| DecodeError::ModelFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(|e| bci_core::Error::io(path, e).into())
    }

    /// Reads a model file, refusing another format or version.
    pub fn load(path: &Path) -> Result<Model> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DecodeError::from(bci_core::Error::io(path, e)))?;
        Model::from_json(&text).map_err(|e| match e {
            DecodeError::ModelFile { message, .. } => DecodeError::ModelFile {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses a model from JSON text.
    pub fn from_json(text: &str) -> Result<Model> {
        let head: serde_json::Value =
            serde_json::from_str(text).map_err(|e| DecodeError::ModelFile {
                path: String::new(),
                message: format!("not JSON: {e}"),
            })?;
        if head.get("format").and_then(|f| f.as_str()) != Some(MODEL_FORMAT) {
            return Err(DecodeError::ModelFile {
                path: String::new(),
                message: format!("field \"format\" is not \"{MODEL_FORMAT}\": not a bci model"),
            });
        }
        let version = head.get("version").and_then(|v| v.as_u64());
        if version != Some(MODEL_VERSION as u64) {
            return Err(DecodeError::ModelFile {
                path: String::new(),
                message: format!(
                    "model version {version:?}; this build reads version {MODEL_VERSION}"
                ),
            });
        }
        // The path of the offending field (e.g. `window.tmax`) tells a user what to mend; serde
        // alone would only say what type it expected. Inside the tagged `pipeline` union serde
        // keeps no path, so there the message names `pipeline`.
        let model: Model =
            serde_path_to_error::deserialize(head).map_err(|e| DecodeError::ModelFile {
                path: String::new(),
                message: format!("field {}: {}", e.path(), e.inner()),
            })?;
        model.validate().map_err(|message| DecodeError::ModelFile {
            path: String::new(),
            message,
        })?;
        Ok(model)
    }

    /// Checks that the parts of a model fit together (channel count, classes, matrix shapes,
    /// finite numbers, sizes within reason), so a damaged or hand-edited file is refused when it
    /// is loaded, with the field named, instead of failing later at predict time.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let n_ch = self.channels.len();
        if n_ch == 0 || n_ch > MAX_CHANNELS {
            return Err(format!(
                "field \"channels\" lists {n_ch} channels; expected 1 to {MAX_CHANNELS}"
            ));
        }
        for (i, c) in self.channels.iter().enumerate() {
            if self.channels[..i].contains(c) {
                return Err(format!("field \"channels\": channel {c:?} is listed twice"));
            }
        }
        if !(self.sample_rate.is_finite() && self.sample_rate > 0.0 && self.sample_rate <= 1e6) {
            return Err(format!(
                "field \"sample_rate\" is {}; expected a rate in (0, 1e6] Hz",
                self.sample_rate
            ));
        }
        let n_samples = window_samples(self.window, self.sample_rate)?;
        if let Some(f) = &self.filter {
            f.validate(self.sample_rate)?;
        }
        let n_classes = self.classes.len();
        if n_classes < 2 {
            return Err(format!(
                "field \"classes\" holds {n_classes} class(es); a model needs at least two"
            ));
        }
        for (i, c) in self.classes.iter().enumerate() {
            if self.classes[..i].contains(c) {
                return Err(format!("field \"classes\": class {c:?} is listed twice"));
            }
        }
        if self.events.is_empty() {
            return Err("field \"events\" is empty; map at least one event to a class".into());
        }
        for e in &self.events {
            if !self.classes.contains(&e.class) {
                return Err(format!(
                    "field \"events\": event {:?} maps to class {:?}, which is not in \"classes\" {:?}",
                    e.event, e.class, self.classes
                ));
            }
        }
        let kind = self.pipeline.kind();
        if self.pipeline_name != kind.name() {
            return Err(format!(
                "field \"pipeline_name\" is {:?} but the fitted pipeline is {:?}",
                self.pipeline_name,
                kind.name()
            ));
        }
        self.pipeline
            .validate(n_ch, n_classes, n_samples, self.sample_rate)
            .map_err(|m| format!("field \"pipeline\" ({}): {m}", kind.name()))
    }
}

/// Largest channel count a model file may declare.
pub const MAX_CHANNELS: usize = 4096;
/// Largest epoch length (samples) a model file may declare.
pub const MAX_EPOCH_SAMPLES: usize = 1 << 22;
/// Largest band-pass padding (samples per side) a model file may declare.
pub const MAX_PADLEN: usize = 1 << 22;

fn window_samples(w: Window, sfreq: f64) -> std::result::Result<usize, String> {
    let span = (w.tmax - w.tmin) * sfreq;
    if !(w.tmin.is_finite() && w.tmax.is_finite() && span.is_finite() && w.tmax > w.tmin) {
        return Err(format!(
            "field \"window\" is {}..{} s; tmax must be after tmin, both finite",
            w.tmin, w.tmax
        ));
    }
    if span.round() >= MAX_EPOCH_SAMPLES as f64 || (w.tmin * sfreq).abs() >= 1e12 {
        return Err(format!(
            "field \"window\" {}..{} s spans {span:.0} samples at {sfreq} Hz; at most {MAX_EPOCH_SAMPLES}",
            w.tmin, w.tmax
        ));
    }
    w.samples(sfreq).map(|(_, n)| n).map_err(|e| e.to_string())
}

impl FilterSpec {
    fn validate(&self, sfreq: f64) -> std::result::Result<(), String> {
        if self.method != "mne-iir" && self.method != "causal" {
            return Err(format!(
                "field \"filter.method\" is {:?}; this build knows \"mne-iir\" and \"causal\"",
                self.method
            ));
        }
        if self.sos.is_empty() {
            return Err("field \"filter.sos\" holds no sections".into());
        }
        for (i, r) in self.sos.iter().enumerate() {
            if r.iter().any(|v| !v.is_finite()) || r[3] == 0.0 {
                return Err(format!(
                    "field \"filter.sos\" row {i} {r:?}: coefficients must be finite with a0 != 0"
                ));
            }
        }
        if self.padlen > MAX_PADLEN {
            return Err(format!(
                "field \"filter.padlen\" is {}; at most {MAX_PADLEN}",
                self.padlen
            ));
        }
        let [lo, hi] = self.band;
        if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && hi > lo && hi < sfreq / 2.0) {
            return Err(format!(
                "field \"filter.band\" is [{lo}, {hi}] Hz; expected 0 <= lo < hi < {} (Nyquist)",
                sfreq / 2.0
            ));
        }
        Ok(())
    }
}
