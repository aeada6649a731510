//! Where a session's results go. Each sink runs on its own thread behind its own lossy rings, so
//! a slow sink loses its own updates (counted) and never holds up the pipeline or another sink.

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

use bci_core::{Error, Event, Result};
use bci_dsp::AttentionIndex;

use crate::decode::Prediction;
use crate::ring::Block;

/// Which frames a sink wants to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tap {
    /// No frames, only outputs.
    None,
    /// The source's frames as they arrive (all channels, µV).
    Raw,
    /// The preprocessed frames (picked channels, filtered).
    Filtered,
}

/// A result of the session other than frames.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Prediction(Prediction),
    /// A marker or annotation, at its sample index.
    Marker(Event),
    Attention(AttentionIndex),
}

/// One extension point: a consumer of a session's frames and outputs.
pub trait Sink: Send {
    /// Short name for summaries ("stdout", "udp 127.0.0.1:12346", "lsl", "view").
    fn name(&self) -> String;
    /// Which frames to deliver to [`frames`](Self::frames).
    fn tap(&self) -> Tap {
        Tap::None
    }
    /// A block of frames (only if [`tap`](Self::tap) asks for them).
    fn frames(&mut self, _block: &Block) -> Result<()> {
        Ok(())
    }
    /// One output.
    fn output(&mut self, output: &Output) -> Result<()>;
    /// Called on the sink's thread now and then while idle, and once more at the end with
    /// `last = true`; a sink that must stop the session (a view whose user pressed q) returns
    /// `Ok(false)`.
    fn tick(&mut self, _last: bool) -> Result<bool> {
        Ok(true)
    }
}

/// One JSON object per line for an output.
pub fn json_line(output: &Output, rate: f64) -> String {
    let v = match output {
        Output::Prediction(p) => serde_json::json!({
            "type": "prediction",
            "sample": p.sample_index,
            "time": p.sample_index as f64 / rate,
            "class": p.label.as_ref(),
            "class_index": p.class,
            "scores": p.scores,
            "confidence": p.confidence,
            "decode_latency_us": p.decoded_ns.saturating_sub(p.received_ns) as f64 / 1e3,
        }),
        Output::Marker(e) => serde_json::json!({
            "type": "marker",
            "sample": e.onset,
            "time": e.onset as f64 / rate,
            "label": e.label,
        }),
        Output::Attention(a) => serde_json::json!({
            "type": "attention",
            "sample": a.sample_index_end,
            "theta_beta": a.theta_beta,
            "alpha_rel": a.alpha_rel,
            "engagement": a.engagement,
        }),
    };
    v.to_string()
}

/// JSON lines on a writer (stdout, or a file).
pub struct JsonLines<W: Write + Send> {
    name: String,
    out: W,
    rate: f64,
    /// Kinds to print; predictions and markers by default.
    pub attention: bool,
}

impl JsonLines<std::io::Stdout> {
    pub fn stdout(rate: f64) -> Self {
        JsonLines {
            name: "stdout".into(),
            out: std::io::stdout(),
            rate,
            attention: false,
        }
    }
}

impl JsonLines<std::io::BufWriter<std::fs::File>> {
    /// A file of JSON lines (`--predictions FILE`).
    pub fn file(path: &Path, rate: f64) -> Result<Self> {
        let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(JsonLines {
            name: format!("file {}", path.display()),
            out: std::io::BufWriter::new(f),
            rate,
            attention: true,
        })
    }
}

impl<W: Write + Send> Sink for JsonLines<W> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn output(&mut self, output: &Output) -> Result<()> {
        if matches!(output, Output::Attention(_)) && !self.attention {
            return Ok(());
        }
        let line = json_line(output, self.rate);
        writeln!(self.out, "{line}").map_err(|e| Error::io(PathBuf::from(&self.name), e))
    }

    fn tick(&mut self, _last: bool) -> Result<bool> {
        self.out
            .flush()
            .map_err(|e| Error::io(PathBuf::from(&self.name), e))?;
        Ok(true)
    }
}

/// JSON lines as UDP datagrams (one output per datagram) to a local port.
pub struct UdpJson {
    socket: UdpSocket,
    to: SocketAddr,
    rate: f64,
}

impl UdpJson {
    /// Sends to `to` (by default a 127.0.0.1 port) from an ephemeral loopback port.
    pub fn new(to: SocketAddr, rate: f64) -> Result<Self> {
        let bind: SocketAddr = if to.is_ipv6() {
            "[::1]:0".parse().expect("literal address")
        } else {
            "127.0.0.1:0".parse().expect("literal address")
        };
        let socket = UdpSocket::bind(bind)
            .map_err(|e| Error::Device(format!("cannot open a UDP socket on {bind}: {e}")))?;
        Ok(UdpJson { socket, to, rate })
    }
}

impl Sink for UdpJson {
    fn name(&self) -> String {
        format!("udp {}", self.to)
    }

    fn output(&mut self, output: &Output) -> Result<()> {
        let line = json_line(output, self.rate);
        // A datagram nobody listens for is not an error (ICMP port unreachable is ignored):
        // the receiver may start later.
        match self.socket.send_to(line.as_bytes(), self.to) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
            Err(e) => Err(Error::Device(format!(
                "UDP send to {} failed: {e}",
                self.to
            ))),
        }
    }
}
