//! A recording held in memory: what every file reader returns and every writer takes.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// What a channel measures; decides whether its values are voltages in µV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Eeg,
    Eog,
    Emg,
    Ecg,
    /// Accelerometer, in g.
    Accel,
    /// Trigger or status lines; values are codes, not physical quantities.
    Stim,
    /// Anything else (timestamps, counters, auxiliary analog inputs).
    Misc,
}

/// One channel's description. Voltage channels hold µV in [`Recording::data`]; `unit` names the
/// unit of the values as held in memory (`"uV"` for voltages whatever the file said).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub label: String,
    pub kind: ChannelKind,
    pub unit: String,
    /// Physical range in `unit`, as the file declares it (EDF/BDF/GDF) or as the device spans.
    pub physical_min: f64,
    pub physical_max: f64,
    /// Digital range of the stored integers, where the format has one.
    pub digital_min: i64,
    pub digital_max: i64,
    pub transducer: String,
    pub prefilter: String,
}

impl Channel {
    /// An EEG channel in µV with the given physical range and a 24-bit digital range.
    pub fn eeg(label: impl Into<String>, physical_min: f64, physical_max: f64) -> Self {
        Channel {
            label: label.into(),
            kind: ChannelKind::Eeg,
            unit: "uV".into(),
            physical_min,
            physical_max,
            digital_min: -(1 << 23),
            digital_max: (1 << 23) - 1,
            transducer: String::new(),
            prefilter: String::new(),
        }
    }
}

/// Something that happened at a sample index: a stimulus, a class cue, a gap in the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Sample index of the onset.
    pub onset: u64,
    /// Duration in samples (0 for an instant).
    pub duration: u64,
    pub label: String,
}

/// Who and what was recorded; the fields `--anonymize` blanks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// EDF+ patient identification (code, sex, birthdate, name), or the raw field.
    pub patient: String,
    /// EDF+ recording identification (start date, admin code, technician, equipment).
    pub recording: String,
    /// Start of the recording as `YYYY-MM-DDTHH:MM:SS`, if known.
    pub start: Option<String>,
}

/// A whole recording in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub channels: Vec<Channel>,
    /// Samples per second (all channels share one rate).
    pub sample_rate: f64,
    /// Channels × samples; voltage channels in µV.
    pub data: Array2<f64>,
    /// Events sorted by onset.
    pub events: Vec<Event>,
    pub subject: Subject,
    /// Name of the format the recording was read from (`"EDF+"`, `"GDF 2.20"`, ...).
    pub format: String,
}

impl Recording {
    /// Number of samples per channel.
    pub fn n_samples(&self) -> usize {
        self.data.ncols()
    }

    /// Number of channels.
    pub fn n_channels(&self) -> usize {
        self.data.nrows()
    }

    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.n_samples() as f64 / self.sample_rate
    }

    /// Index of the channel with this label, if any.
    pub fn channel_index(&self, label: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.label == label)
    }
}
