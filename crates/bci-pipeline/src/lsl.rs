//! Lab Streaming Layer outlets and the marker inlet, as a [`Sink`] and a [`MarkerInput`].
//!
//! Streams published by [`LslSink`] (names prefixed with the session's name):
//! - `<name> EEG` (type `EEG`, double64 so values arrive exactly as the pipeline has them): the
//!   raw frames or the preprocessed ones, each chunk stamped with the LSL time its last frame was
//!   received;
//! - `<name> predictions` (irregular double64): one sample per decoded window — the class scores,
//!   then the predicted class index, then the confidence — stamped with the window's last
//!   sample's arrival time;
//! - `<name> attention` (irregular double64): theta/beta, relative alpha, engagement;
//! - `<name> markers` (string): markers as the session placed them.

use std::time::Duration;

use bci_core::{Channel, Result, StreamInfo};
use bci_lsl::{ChannelFormat, ClockMap, Lsl, MarkerInlet, Outlet, StreamDef, StreamQuery};

use crate::markers::{MarkerIn, MarkerInput};
use crate::ring::Block;
use crate::sink::{Output, Sink, Tap};

/// Publishes a session's frames and outputs as LSL streams.
pub struct LslSink {
    tap: Tap,
    clock: ClockMap,
    eeg: Outlet,
    predictions: Option<Outlet>,
    attention: Outlet,
    markers: Outlet,
    row: Vec<f64>,
}

impl LslSink {
    /// `channels`: those of the frames tapped (the source's for [`Tap::Raw`], the analysed ones
    /// for [`Tap::Filtered`]); `classes`: the model's, if the session decodes.
    pub fn new(
        lsl: &Lsl,
        name: &str,
        info: &StreamInfo,
        channels: &[Channel],
        tap: Tap,
        classes: Option<&[String]>,
    ) -> Result<Self> {
        let eeg_info = StreamInfo {
            name: info.name.clone(),
            channels: channels.to_vec(),
            sample_rate: info.sample_rate,
        };
        let kind = if tap == Tap::Filtered {
            "filtered"
        } else {
            "raw"
        };
        let eeg = Outlet::new(
            lsl,
            &StreamDef::from_stream_info(format!("{name} EEG"), &eeg_info, ChannelFormat::Double64)
                .with_source_id(format!("{name}-eeg"))
                .with_desc("source", info.name.clone())
                .with_desc("processing", kind),
        )?;
        let predictions = match classes {
            Some(classes) => {
                let mut ch: Vec<String> = classes.iter().map(|c| format!("score {c}")).collect();
                ch.push("class".into());
                ch.push("confidence".into());
                Some(Outlet::new(
                    lsl,
                    &StreamDef::predictions(format!("{name} predictions"), &ch)
                        .with_source_id(format!("{name}-predictions")),
                )?)
            }
            None => None,
        };
        let attention = Outlet::new(
            lsl,
            &StreamDef::attention(
                format!("{name} attention"),
                &["theta_beta", "alpha_rel", "engagement"],
                0.0,
            )
            .with_source_id(format!("{name}-attention")),
        )?;
        let markers = Outlet::new(
            lsl,
            &StreamDef::markers(format!("{name} markers"))
                .with_source_id(format!("{name}-markers")),
        )?;
        Ok(LslSink {
            tap,
            clock: ClockMap::measure(lsl, bci_acquire::monotonic_ns),
            eeg,
            predictions,
            attention,
            markers,
            row: Vec::with_capacity(16),
        })
    }
}

impl Sink for LslSink {
    fn name(&self) -> String {
        "lsl".into()
    }

    fn tap(&self) -> Tap {
        self.tap
    }

    fn frames(&mut self, block: &Block) -> Result<()> {
        if block.data.is_empty() {
            return Ok(());
        }
        self.eeg
            .push_chunk_f64(&block.data, self.clock.to_lsl(block.host_time_ns))
    }

    fn output(&mut self, output: &Output) -> Result<()> {
        match output {
            Output::Prediction(p) => {
                if let Some(o) = &self.predictions {
                    self.row.clear();
                    self.row.extend_from_slice(&p.scores);
                    self.row.push(p.class as f64);
                    self.row.push(p.confidence);
                    o.push_chunk_f64(&self.row, self.clock.to_lsl(p.received_ns))?;
                }
            }
            Output::Attention(a) => {
                self.attention
                    .push_chunk_f64(&[a.theta_beta, a.alpha_rel, a.engagement], 0.0)?;
            }
            Output::Marker(e) => {
                self.markers.push_sample_str(&[e.label.as_str()], 0.0)?;
            }
        }
        Ok(())
    }
}

/// Markers from an LSL string (or integer) stream, found by name; placed by their own LSL time
/// stamps. The stream may appear after the session starts: it is looked for until it does.
pub struct LslMarkers {
    lsl: Lsl,
    stream: String,
    inlet: Option<MarkerInlet>,
    clock: ClockMap,
}

impl LslMarkers {
    pub fn new(lsl: &Lsl, stream: &str) -> Self {
        LslMarkers {
            lsl: lsl.clone(),
            stream: stream.to_string(),
            inlet: None,
            clock: ClockMap::measure(lsl, bci_acquire::monotonic_ns),
        }
    }
}

impl MarkerInput for LslMarkers {
    fn name(&self) -> String {
        format!("lsl {:?}", self.stream)
    }

    fn next(&mut self, timeout: Duration) -> Result<Option<MarkerIn>> {
        let inlet = match self.inlet.as_mut() {
            Some(i) => i,
            None => {
                match MarkerInlet::resolve(
                    &self.lsl,
                    &StreamQuery::Name(self.stream.clone()),
                    timeout,
                ) {
                    Ok(i) => self.inlet.insert(i),
                    // Not there (yet): keep looking on the next call.
                    Err(_) => return Ok(None),
                }
            }
        };
        match inlet.pull(timeout)? {
            Some((label, t)) => Ok(Some(MarkerIn {
                label,
                host_time_ns: self
                    .clock
                    .to_host_ns(t)
                    .unwrap_or_else(bci_acquire::monotonic_ns),
            })),
            None => Ok(None),
        }
    }
}

/// Channel descriptions for names only (the analysed channels of a filtered tap keep the
/// source's declarations where the names match).
pub fn channels_named(info: &StreamInfo, names: &[String]) -> Vec<Channel> {
    names
        .iter()
        .map(|n| {
            info.channels
                .iter()
                .find(|c| &c.label == n)
                .cloned()
                .unwrap_or_else(|| Channel::eeg(n.clone(), -187_500.0, 187_500.0))
        })
        .collect()
}
