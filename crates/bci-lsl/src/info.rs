//! Stream descriptions: what an outlet declares ([`StreamDef`]) and what a peer declared
//! ([`StreamMeta`]), including the channel list LSL keeps in `desc/channels/channel`.

use std::ffi::c_char;

use bci_core::{ChannelKind, Error, Result, StreamInfo};

use crate::ffi::{Api, InfoH, XmlH, c_string, cstr};

/// An LSL channel format (`lsl_channel_format_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelFormat {
    Float32,
    Double64,
    String,
    Int32,
    Int16,
    Int8,
    Int64,
}

impl ChannelFormat {
    pub(crate) fn raw(self) -> i32 {
        match self {
            ChannelFormat::Float32 => 1,
            ChannelFormat::Double64 => 2,
            ChannelFormat::String => 3,
            ChannelFormat::Int32 => 4,
            ChannelFormat::Int16 => 5,
            ChannelFormat::Int8 => 6,
            ChannelFormat::Int64 => 7,
        }
    }

    pub(crate) fn from_raw(v: i32) -> Option<ChannelFormat> {
        Some(match v {
            1 => ChannelFormat::Float32,
            2 => ChannelFormat::Double64,
            3 => ChannelFormat::String,
            4 => ChannelFormat::Int32,
            5 => ChannelFormat::Int16,
            6 => ChannelFormat::Int8,
            7 => ChannelFormat::Int64,
            _ => return None,
        })
    }

    /// The name pylsl and the XML description use (`float32`, `double64`, `string`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ChannelFormat::Float32 => "float32",
            ChannelFormat::Double64 => "double64",
            ChannelFormat::String => "string",
            ChannelFormat::Int32 => "int32",
            ChannelFormat::Int16 => "int16",
            ChannelFormat::Int8 => "int8",
            ChannelFormat::Int64 => "int64",
        }
    }

    /// Parse a format name as [`ChannelFormat::name`] prints it (`f32`/`f64` also accepted).
    pub fn parse(s: &str) -> Result<ChannelFormat> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "float32" | "f32" | "float" => ChannelFormat::Float32,
            "double64" | "f64" | "double" => ChannelFormat::Double64,
            "string" | "str" => ChannelFormat::String,
            "int32" | "i32" => ChannelFormat::Int32,
            "int16" | "i16" => ChannelFormat::Int16,
            "int8" | "i8" => ChannelFormat::Int8,
            "int64" | "i64" => ChannelFormat::Int64,
            _ => {
                return Err(Error::invalid(
                    "LSL channel format",
                    s,
                    "known: float32, double64, string, int32, int16, int8, int64",
                ));
            }
        })
    }
}

/// One channel as LSL describes it (`desc/channels/channel/{label,unit,type}`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelDesc {
    pub label: String,
    /// `"microvolts"` for EEG, by the XDF meta-data conventions.
    pub unit: String,
    /// `"EEG"`, `"EOG"`, `"EMG"`, `"ECG"`, `"ACC"`, `"STIM"`, `"MISC"`, or anything else.
    pub kind: String,
}

impl ChannelDesc {
    pub fn new(label: impl Into<String>, unit: impl Into<String>, kind: impl Into<String>) -> Self {
        ChannelDesc {
            label: label.into(),
            unit: unit.into(),
            kind: kind.into(),
        }
    }

    /// The LSL description of a workspace channel: `uV` becomes `microvolts`, the kind its
    /// conventional upper-case name.
    pub fn from_channel(ch: &bci_core::Channel) -> Self {
        let unit = match ch.unit.as_str() {
            "uV" | "µV" | "μV" => "microvolts".to_string(),
            "mV" => "millivolts".to_string(),
            "V" => "volts".to_string(),
            other => other.to_string(),
        };
        let kind = match ch.kind {
            ChannelKind::Eeg => "EEG",
            ChannelKind::Eog => "EOG",
            ChannelKind::Emg => "EMG",
            ChannelKind::Ecg => "ECG",
            ChannelKind::Accel => "ACC",
            ChannelKind::Stim => "STIM",
            ChannelKind::Misc => "MISC",
        };
        ChannelDesc::new(ch.label.clone(), unit, kind)
    }
}

/// What an outlet publishes: the header of an LSL stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamDef {
    pub name: String,
    /// `"EEG"`, `"Markers"`, `"Predictions"`, ...
    pub stream_type: String,
    pub channel_count: usize,
    /// Samples per second; 0.0 for an irregular stream (markers, predictions).
    pub nominal_rate: f64,
    pub format: ChannelFormat,
    /// A unique, persistent id of the source (device serial, port): lets inlets recover the
    /// stream after the sender restarts. Empty: none.
    pub source_id: String,
    /// Empty, or exactly `channel_count` entries written to `desc/channels`.
    pub channels: Vec<ChannelDesc>,
    /// More `desc` children as (name, value), e.g. `("manufacturer", "OpenBCI")`.
    pub desc: Vec<(String, String)>,
    /// Frames per network chunk; 0: each push is one chunk (lowest latency).
    pub chunk_size: usize,
    /// Seconds of data the outlet buffers for a slow inlet (×100 samples for irregular
    /// streams), liblsl's `max_buffered`.
    pub max_buffered: u32,
}

impl StreamDef {
    /// A stream with no channel descriptions, no source id and liblsl's default buffering.
    pub fn new(
        name: impl Into<String>,
        stream_type: impl Into<String>,
        channel_count: usize,
        nominal_rate: f64,
        format: ChannelFormat,
    ) -> Self {
        StreamDef {
            name: name.into(),
            stream_type: stream_type.into(),
            channel_count,
            nominal_rate,
            format,
            source_id: String::new(),
            channels: Vec::new(),
            desc: Vec::new(),
            chunk_size: 0,
            max_buffered: 360,
        }
    }

    /// An `"EEG"` stream of `info`'s channels (labels, units, kinds) at its rate.
    pub fn from_stream_info(
        name: impl Into<String>,
        info: &StreamInfo,
        format: ChannelFormat,
    ) -> Self {
        StreamDef::new(name, "EEG", info.channels.len(), info.sample_rate, format)
            .with_channels(info.channels.iter().map(ChannelDesc::from_channel))
    }

    /// A one-channel irregular string stream of type `"Markers"`.
    pub fn markers(name: impl Into<String>) -> Self {
        StreamDef::new(name, "Markers", 1, 0.0, ChannelFormat::String)
    }

    /// An irregular double64 stream of type `"Predictions"`, one channel per entry of
    /// `channels` (class scores, the predicted class, a confidence; unit empty, type
    /// `"Prediction"`). One sample per decision, stamped with the window's last sample's time.
    pub fn predictions<S: AsRef<str>>(name: impl Into<String>, channels: &[S]) -> Self {
        StreamDef::new(
            name,
            "Predictions",
            channels.len(),
            0.0,
            ChannelFormat::Double64,
        )
        .with_channels(
            channels
                .iter()
                .map(|c| ChannelDesc::new(c.as_ref(), "", "Prediction")),
        )
    }

    /// A double64 stream of type `"Attention"` with one channel per index (e.g. `theta_beta`,
    /// `alpha_rel`), updated `rate` times a second (0.0: irregular).
    pub fn attention<S: AsRef<str>>(name: impl Into<String>, indices: &[S], rate: f64) -> Self {
        StreamDef::new(
            name,
            "Attention",
            indices.len(),
            rate,
            ChannelFormat::Double64,
        )
        .with_channels(
            indices
                .iter()
                .map(|c| ChannelDesc::new(c.as_ref(), "ratio", "Attention")),
        )
    }

    pub fn with_source_id(mut self, source_id: impl Into<String>) -> Self {
        self.source_id = source_id.into();
        self
    }

    pub fn with_channels(mut self, channels: impl IntoIterator<Item = ChannelDesc>) -> Self {
        self.channels = channels.into_iter().collect();
        self
    }

    pub fn with_desc(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.desc.push((name.into(), value.into()));
        self
    }

    pub fn with_chunk_size(mut self, frames: usize) -> Self {
        self.chunk_size = frames;
        self
    }

    pub fn with_max_buffered(mut self, seconds: u32) -> Self {
        self.max_buffered = seconds;
        self
    }

    /// Check the definition before liblsl sees it.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid(
                "LSL stream name",
                "\"\"",
                "must not be empty",
            ));
        }
        if self.channel_count == 0 || i32::try_from(self.channel_count).is_err() {
            return Err(Error::invalid(
                "LSL channel count",
                self.channel_count,
                "must be between 1 and 2^31-1",
            ));
        }
        if !self.nominal_rate.is_finite() || self.nominal_rate < 0.0 {
            return Err(Error::invalid(
                "LSL nominal rate",
                self.nominal_rate,
                "must be a finite number of samples per second, or 0 for an irregular stream",
            ));
        }
        if !self.channels.is_empty() && self.channels.len() != self.channel_count {
            return Err(Error::Mismatch(format!(
                "LSL stream {:?}: {} channel descriptions for {} channels",
                self.name,
                self.channels.len(),
                self.channel_count
            )));
        }
        if i32::try_from(self.chunk_size).is_err() {
            return Err(Error::invalid(
                "LSL chunk size",
                self.chunk_size,
                "too large",
            ));
        }
        if i32::try_from(self.max_buffered).is_err() {
            return Err(Error::invalid(
                "LSL max_buffered",
                self.max_buffered,
                "too large",
            ));
        }
        Ok(())
    }

    /// A new liblsl stream info holding this definition (the caller destroys it).
    pub(crate) fn to_info(&self, api: &Api) -> Result<InfoH> {
        self.validate()?;
        let name = c_string("LSL stream name", &self.name)?;
        let ty = c_string("LSL stream type", &self.stream_type)?;
        let sid = c_string("LSL source id", &self.source_id)?;
        // The casts are checked in validate().
        let n = self.channel_count as i32;
        // SAFETY: valid C strings; liblsl copies them.
        let info = unsafe {
            (api.create_streaminfo)(
                name.as_ptr(),
                ty.as_ptr(),
                n,
                self.nominal_rate,
                self.format.raw(),
                sid.as_ptr(),
            )
        };
        if info.is_null() {
            return Err(Error::Device(format!(
                "LSL could not create the stream info for {:?}: {}",
                self.name,
                api.last_error_text()
            )));
        }
        if let Err(e) = self.write_desc(api, info) {
            // SAFETY: info was created above and is not used after this.
            unsafe { (api.destroy_streaminfo)(info) };
            return Err(e);
        }
        Ok(info)
    }

    fn write_desc(&self, api: &Api, info: InfoH) -> Result<()> {
        // SAFETY: info is a live stream info; every string passed is a valid C string kept
        // alive across its call, and liblsl copies it into its XML tree.
        unsafe {
            let desc = (api.get_desc)(info);
            for (k, v) in &self.desc {
                let k = c_string("LSL description name", k)?;
                let v = c_string("LSL description value", v)?;
                (api.append_child_value)(desc, k.as_ptr(), v.as_ptr());
            }
            if !self.channels.is_empty() {
                let channels = (api.append_child)(desc, c"channels".as_ptr());
                for ch in &self.channels {
                    let c = (api.append_child)(channels, c"channel".as_ptr());
                    let label = c_string("LSL channel label", &ch.label)?;
                    let unit = c_string("LSL channel unit", &ch.unit)?;
                    let kind = c_string("LSL channel type", &ch.kind)?;
                    (api.append_child_value)(c, c"label".as_ptr(), label.as_ptr());
                    (api.append_child_value)(c, c"unit".as_ptr(), unit.as_ptr());
                    (api.append_child_value)(c, c"type".as_ptr(), kind.as_ptr());
                }
            }
        }
        Ok(())
    }
}

/// What a stream declares, as liblsl reports it (from a resolve, an inlet or an outlet).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamMeta {
    pub name: String,
    pub stream_type: String,
    pub channel_count: usize,
    /// 0.0 for an irregular stream.
    pub nominal_rate: f64,
    pub format: ChannelFormat,
    pub source_id: String,
    pub hostname: String,
    /// liblsl's unique id of this outlet instance.
    pub uid: String,
    /// `lsl_local_clock` time (on the sender) the outlet was created.
    pub created_at: f64,
    /// `desc/channels/channel` entries; empty when the stream has none, and always empty in a
    /// resolve result (liblsl sends descriptions only to inlets).
    pub channels: Vec<ChannelDesc>,
    /// The other `desc` children that hold a text value, as (name, value).
    pub desc: Vec<(String, String)>,
}

impl StreamMeta {
    /// Read a liblsl stream info (not consumed).
    pub(crate) fn read(api: &Api, info: InfoH) -> Result<StreamMeta> {
        // SAFETY: info is a live stream info; the returned strings are owned by it and copied
        // before the next call.
        unsafe {
            let raw_format = (api.get_channel_format)(info);
            let name = cstr((api.get_name)(info));
            let format = ChannelFormat::from_raw(raw_format).ok_or_else(|| {
                Error::Mismatch(format!(
                    "LSL stream {name:?} has channel format code {raw_format}, which cannot be \
                     transmitted"
                ))
            })?;
            let count = (api.get_channel_count)(info);
            let channel_count = usize::try_from(count).map_err(|_| {
                Error::Mismatch(format!("LSL stream {name:?} declares {count} channels"))
            })?;
            let (channels, desc) = read_desc(api, (api.get_desc)(info));
            Ok(StreamMeta {
                stream_type: cstr((api.get_type)(info)),
                channel_count,
                nominal_rate: (api.get_nominal_srate)(info),
                format,
                source_id: cstr((api.get_source_id)(info)),
                hostname: cstr((api.get_hostname)(info)),
                uid: cstr((api.get_uid)(info)),
                created_at: (api.get_created_at)(info),
                channels,
                desc,
                name,
            })
        }
    }

    /// The channel labels, or `None` when the stream describes no channels.
    pub fn labels(&self) -> Option<Vec<&str>> {
        (!self.channels.is_empty())
            .then(|| self.channels.iter().map(|c| c.label.as_str()).collect())
    }
}

/// The channels and the other text-valued children of a `desc` element.
///
/// # Safety
/// `desc` is an element of a live stream info.
unsafe fn read_desc(api: &Api, desc: XmlH) -> (Vec<ChannelDesc>, Vec<(String, String)>) {
    let mut channels = Vec::new();
    let mut other = Vec::new();
    // SAFETY: every handle comes from liblsl's XML navigation on the same live tree; an absent
    // element is liblsl's empty element, which `lsl_empty` reports and which is safe to query.
    unsafe {
        if desc.is_null() || (api.empty)(desc) != 0 {
            return (channels, other);
        }
        let value = |e: XmlH, n: &std::ffi::CStr| cstr((api.child_value_n)(e, n.as_ptr()));
        let mut child = (api.first_child)(desc);
        // A description is small; the bound guards against a malformed cyclic tree.
        for _ in 0..100_000 {
            if child.is_null() || (api.empty)(child) != 0 {
                break;
            }
            let name = cstr((api.name)(child));
            if name == "channels" {
                let mut ch = (api.child)(child, c"channel".as_ptr());
                for _ in 0..1_000_000 {
                    if ch.is_null() || (api.empty)(ch) != 0 {
                        break;
                    }
                    channels.push(ChannelDesc {
                        label: value(ch, c"label"),
                        unit: value(ch, c"unit"),
                        kind: value(ch, c"type"),
                    });
                    ch = (api.next_sibling_n)(ch, c"channel".as_ptr());
                }
            } else {
                let text: *const c_char = (api.child_value)(child);
                let text = cstr(text);
                if !text.is_empty() {
                    other.push((name, text));
                }
            }
            child = (api.next_sibling)(child);
        }
    }
    (channels, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_channels_become_lsl_conventions() {
        let mut stim = bci_core::Channel::eeg("STI", 0.0, 1.0);
        stim.kind = ChannelKind::Stim;
        stim.unit = String::new();
        let info = StreamInfo {
            name: "file".into(),
            channels: vec![bci_core::Channel::eeg("C3", -1.0, 1.0), stim],
            sample_rate: 160.0,
        };
        let def = StreamDef::from_stream_info("eeg", &info, ChannelFormat::Float32);
        assert_eq!(def.stream_type, "EEG");
        assert_eq!(def.channel_count, 2);
        assert_eq!(def.nominal_rate, 160.0);
        assert_eq!(
            def.channels,
            vec![
                ChannelDesc::new("C3", "microvolts", "EEG"),
                ChannelDesc::new("STI", "", "STIM")
            ]
        );
        def.validate().expect("valid");
    }

    #[test]
    fn prediction_and_attention_streams() {
        let p = StreamDef::predictions("p", &["left", "right", "confidence"]);
        assert_eq!((p.channel_count, p.nominal_rate), (3, 0.0));
        assert_eq!(p.format, ChannelFormat::Double64);
        assert_eq!(p.channels[2].label, "confidence");
        let a = StreamDef::attention("a", &["theta_beta"], 4.0);
        assert_eq!((a.stream_type.as_str(), a.channel_count), ("Attention", 1));
        assert_eq!(a.nominal_rate, 4.0);
        let m = StreamDef::markers("m");
        assert_eq!((m.channel_count, m.format), (1, ChannelFormat::String));
    }
}
