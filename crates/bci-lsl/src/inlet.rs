//! Resolving streams and reading them: markers as labels, numeric streams as frames.

use std::ffi::{c_char, c_ulong};
use std::sync::Arc;
use std::time::Duration;

use bci_core::{Error, Result};

use crate::Lsl;
use crate::ffi::{
    Api, InfoH, InletH, LSL_NO_ERROR, LSL_TIMEOUT_ERROR, PROC_CLOCKSYNC, c_string, cstr,
};
use crate::info::{ChannelFormat, StreamMeta};

/// Which streams to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamQuery {
    /// Every stream (to list them): waits the whole timeout.
    All,
    /// `name` equals this.
    Name(String),
    /// `type` equals this (`"Markers"`, `"EEG"`).
    Type(String),
    /// `source_id` equals this.
    SourceId(String),
    /// An XPath 1.0 predicate on the stream's `<info>`, e.g.
    /// `type='Markers' and starts-with(name,'PsychoPy')`.
    Predicate(String),
}

impl std::fmt::Display for StreamQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamQuery::All => write!(f, "any name"),
            StreamQuery::Name(v) => write!(f, "name={v:?}"),
            StreamQuery::Type(v) => write!(f, "type={v:?}"),
            StreamQuery::SourceId(v) => write!(f, "source_id={v:?}"),
            StreamQuery::Predicate(p) => write!(f, "predicate [{p}]"),
        }
    }
}

/// A stream found by a resolve: its header (no channel descriptions yet) and liblsl's handle to
/// open an inlet on it.
pub struct ResolvedStream {
    api: Arc<Api>,
    handle: InfoH,
    meta: StreamMeta,
}

// SAFETY: a liblsl stream info is a plain heap object; it may move between threads.
unsafe impl Send for ResolvedStream {}

impl std::fmt::Debug for ResolvedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedStream")
            .field("meta", &self.meta)
            .finish()
    }
}

impl ResolvedStream {
    pub fn meta(&self) -> &StreamMeta {
        &self.meta
    }
}

impl Drop for ResolvedStream {
    fn drop(&mut self) {
        // SAFETY: the info handle came from a resolve and is owned by this value only.
        unsafe { (self.api.destroy_streaminfo)(self.handle) };
    }
}

/// Most results one resolve returns.
const MAX_RESULTS: usize = 256;

pub(crate) fn resolve(
    lsl: &Lsl,
    query: &StreamQuery,
    minimum: usize,
    timeout: Duration,
) -> Result<Vec<ResolvedStream>> {
    let api = &lsl.api;
    let mut buf: Vec<InfoH> = vec![std::ptr::null_mut(); MAX_RESULTS];
    // minimum 0 means "everything seen within the timeout": asking for more results than the
    // buffer holds makes liblsl wait the whole timeout.
    let minimum = if minimum == 0 {
        MAX_RESULTS as i32 + 1
    } else {
        i32::try_from(minimum.min(MAX_RESULTS)).unwrap_or(MAX_RESULTS as i32)
    };
    let secs = timeout.as_secs_f64();
    let cap = MAX_RESULTS as u32;
    let rc = match query {
        // SAFETY: buf holds `cap` writable slots.
        StreamQuery::All => unsafe { (api.resolve_all)(buf.as_mut_ptr(), cap, secs) },
        StreamQuery::Name(v) | StreamQuery::Type(v) | StreamQuery::SourceId(v) => {
            let prop = match query {
                StreamQuery::Name(_) => c"name",
                StreamQuery::Type(_) => c"type",
                _ => c"source_id",
            };
            let value = c_string("LSL query value", v)?;
            // SAFETY: buf holds `cap` writable slots; strings are valid for the call.
            unsafe {
                (api.resolve_byprop)(
                    buf.as_mut_ptr(),
                    cap,
                    prop.as_ptr(),
                    value.as_ptr(),
                    minimum,
                    secs,
                )
            }
        }
        StreamQuery::Predicate(p) => {
            let pred = c_string("LSL query predicate", p)?;
            // SAFETY: as above.
            unsafe { (api.resolve_bypred)(buf.as_mut_ptr(), cap, pred.as_ptr(), minimum, secs) }
        }
    };
    if rc < 0 {
        return Err(api.error(&format!("resolve {query}"), rc));
    }
    let n = usize::try_from(rc).unwrap_or(0).min(MAX_RESULTS);
    let mut out = Vec::with_capacity(n);
    let mut first_err = None;
    for &handle in buf.iter().take(n) {
        if handle.is_null() {
            continue;
        }
        match StreamMeta::read(api, handle) {
            Ok(meta) => out.push(ResolvedStream {
                api: api.clone(),
                handle,
                meta,
            }),
            Err(e) => {
                // SAFETY: the handle is ours and not kept.
                unsafe { (api.destroy_streaminfo)(handle) };
                first_err.get_or_insert(e);
            }
        }
    }
    if out.is_empty()
        && let Some(e) = first_err
    {
        return Err(e);
    }
    Ok(out)
}

fn not_found(query: &StreamQuery, timeout: Duration, lsl: &Lsl) -> Error {
    let scope = match lsl.network() {
        crate::Network::Loopback => {
            " (discovery is limited to this machine; set LSLAPICFG to an lsl_api.cfg to search \
             the network)"
        }
        _ => "",
    };
    Error::Device(format!(
        "no LSL stream with {query} found within {:.1} s: is the sender running?{scope}",
        timeout.as_secs_f64()
    ))
}

/// An open inlet with its full stream description.
struct Inlet {
    api: Arc<Api>,
    handle: InletH,
    meta: StreamMeta,
}

impl Inlet {
    /// Create the inlet, subscribe, read the full description and start clock sync.
    fn open(lsl: &Lsl, stream: &ResolvedStream, timeout: Duration) -> Result<Inlet> {
        let api = lsl.api.clone();
        let secs = timeout.as_secs_f64();
        let name = &stream.meta.name;
        // 360 s of buffer (×100 samples when irregular), sender's chunking, recover on restart.
        // SAFETY: the info handle is live; liblsl copies it.
        let handle = unsafe { (api.create_inlet)(stream.handle, 360, 0, 1) };
        if handle.is_null() {
            return Err(Error::Device(format!(
                "LSL could not create an inlet for {name:?}: {}",
                api.last_error_text()
            )));
        }
        // From here the inlet is destroyed on every error path by Inlet's Drop.
        let mut inlet = Inlet {
            api: api.clone(),
            handle,
            meta: stream.meta.clone(),
        };
        let mut ec = LSL_NO_ERROR;
        // SAFETY: live inlet; ec is a valid out-pointer.
        let full = unsafe { (api.get_fullinfo)(handle, secs, &mut ec) };
        if ec != LSL_NO_ERROR || full.is_null() {
            return Err(api.error(
                &format!("get full info of {name:?}"),
                if ec == LSL_NO_ERROR {
                    LSL_TIMEOUT_ERROR
                } else {
                    ec
                },
            ));
        }
        let meta = StreamMeta::read(&api, full);
        // SAFETY: full came from lsl_get_fullinfo and is ours.
        unsafe { (api.destroy_streaminfo)(full) };
        inlet.meta = meta?;
        // SAFETY: live inlet; ec is a valid out-pointer.
        unsafe { (api.open_stream)(handle, secs, &mut ec) };
        api.check(&format!("open stream {name:?}"), ec)?;
        // SAFETY: live inlet.
        let rc = unsafe { (api.set_postprocessing)(handle, PROC_CLOCKSYNC) };
        api.check(&format!("set clock sync on {name:?}"), rc)?;
        // The first estimate takes a few round trips; take it now, not on the first pull.
        // SAFETY: live inlet; ec is a valid out-pointer.
        unsafe { (api.time_correction)(handle, secs, &mut ec) };
        if ec != LSL_NO_ERROR {
            // The sender's time service did not answer (seen with a sender using liblsl's
            // default network settings while we keep to loopback). Samples still flow; their
            // stamps stay on the sender's clock, which on this machine is the same monotonic
            // clock as ours, so they are used uncorrected rather than refusing the stream.
            // SAFETY: live inlet.
            let rc = unsafe { (api.set_postprocessing)(handle, 0) };
            api.check(&format!("clear clock sync on {name:?}"), rc)?;
        }
        Ok(inlet)
    }

    fn time_correction(&mut self, timeout: Duration) -> Result<f64> {
        let mut ec = LSL_NO_ERROR;
        // SAFETY: live inlet; ec is a valid out-pointer.
        let tc = unsafe { (self.api.time_correction)(self.handle, timeout.as_secs_f64(), &mut ec) };
        self.api
            .check(&format!("time correction of {:?}", self.meta.name), ec)?;
        Ok(tc)
    }

    fn samples_available(&self) -> usize {
        // SAFETY: live inlet.
        unsafe { (self.api.samples_available)(self.handle) as usize }
    }
}

impl Drop for Inlet {
    fn drop(&mut self) {
        // SAFETY: the handle is live and used by nothing else after this.
        unsafe { (self.api.destroy_inlet)(self.handle) };
    }
}

/// Open the first of `query`'s streams whose format `accept` takes.
fn resolve_one(
    lsl: &Lsl,
    query: &StreamQuery,
    timeout: Duration,
    what: &str,
    accept: fn(ChannelFormat) -> bool,
) -> Result<Inlet> {
    let found = resolve(lsl, query, 1, timeout)?;
    if found.is_empty() {
        return Err(not_found(query, timeout, lsl));
    }
    let Some(stream) = found.iter().find(|s| accept(s.meta.format)) else {
        let seen: Vec<String> = found
            .iter()
            .map(|s| format!("{:?} ({})", s.meta.name, s.meta.format.name()))
            .collect();
        return Err(Error::Mismatch(format!(
            "LSL streams with {query} are not {what} streams: {}",
            seen.join(", ")
        )));
    };
    Inlet::open(lsl, stream, timeout)
}

fn marker_format(f: ChannelFormat) -> bool {
    !matches!(f, ChannelFormat::Float32 | ChannelFormat::Double64)
}

fn numeric_format(f: ChannelFormat) -> bool {
    f != ChannelFormat::String
}

/// Markers from an LSL stream: string labels (or integer event codes, delivered as their decimal
/// text), each with its LSL time stamp mapped to this machine's clock.
pub struct MarkerInlet {
    inlet: Inlet,
    /// One slot per channel for lsl_pull_sample_str.
    slots: Vec<*mut c_char>,
}

// SAFETY: the inlet may be used from any one thread at a time (pull takes &mut self); the slots
// hold only NULLs between calls.
unsafe impl Send for MarkerInlet {}

impl std::fmt::Debug for MarkerInlet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarkerInlet")
            .field("meta", &self.inlet.meta)
            .finish()
    }
}

impl MarkerInlet {
    /// Resolve `query` (waiting up to `timeout`) and open the first string or integer stream.
    pub fn resolve(lsl: &Lsl, query: &StreamQuery, timeout: Duration) -> Result<MarkerInlet> {
        let inlet = resolve_one(
            lsl,
            query,
            timeout,
            "marker (string or integer)",
            marker_format,
        )?;
        Ok(MarkerInlet::wrap(inlet))
    }

    /// Open a stream already resolved; a float stream is a `Mismatch` error.
    pub fn open(lsl: &Lsl, stream: &ResolvedStream, timeout: Duration) -> Result<MarkerInlet> {
        if !marker_format(stream.meta.format) {
            return Err(Error::Mismatch(format!(
                "LSL stream {:?} is {}, not a marker stream (string or integer)",
                stream.meta.name,
                stream.meta.format.name()
            )));
        }
        Ok(MarkerInlet::wrap(Inlet::open(lsl, stream, timeout)?))
    }

    fn wrap(inlet: Inlet) -> MarkerInlet {
        let n = inlet.meta.channel_count.max(1);
        MarkerInlet {
            inlet,
            slots: vec![std::ptr::null_mut(); n],
        }
    }

    /// The stream's full description.
    pub fn meta(&self) -> &StreamMeta {
        &self.inlet.meta
    }

    /// The next marker, waiting up to `timeout` (zero: only one already received): its label
    /// (the channels joined by `,` when the stream has several) and its LSL time stamp in this
    /// machine's [`MarkerInlet::local_clock`] time. `None` when none arrived in time.
    pub fn pull(&mut self, timeout: Duration) -> Result<Option<(String, f64)>> {
        let n = i32::try_from(self.slots.len()).unwrap_or(i32::MAX);
        for s in self.slots.iter_mut() {
            *s = std::ptr::null_mut();
        }
        let mut ec = LSL_NO_ERROR;
        let api = &self.inlet.api;
        // SAFETY: live inlet; slots holds channel_count writable pointer slots.
        let ts = unsafe {
            (api.pull_sample_str)(
                self.inlet.handle,
                self.slots.as_mut_ptr(),
                n,
                timeout.as_secs_f64(),
                &mut ec,
            )
        };
        // Strings liblsl allocated are freed whatever happens next.
        let mut parts = Vec::with_capacity(self.slots.len());
        for s in self.slots.iter_mut() {
            if !s.is_null() {
                // SAFETY: a NUL-terminated string liblsl allocated for us; freed once.
                unsafe {
                    parts.push(cstr(*s));
                    (api.destroy_string)(*s);
                }
                *s = std::ptr::null_mut();
            }
        }
        api.check(
            &format!("pull a marker from {:?}", self.inlet.meta.name),
            ec,
        )?;
        if ts == 0.0 {
            return Ok(None);
        }
        Ok(Some((parts.join(","), ts)))
    }

    /// Seconds on LSL's clock now: compare with a marker's time stamp to map it to the caller's
    /// own clock (`host_now - (lsl.local_clock() - marker_time)`).
    pub fn local_clock(&self) -> f64 {
        // SAFETY: no arguments, no preconditions.
        unsafe { (self.inlet.api.local_clock)() }
    }

    /// The current offset added to the sender's stamps (already applied by [`MarkerInlet::pull`]).
    pub fn time_correction(&mut self, timeout: Duration) -> Result<f64> {
        self.inlet.time_correction(timeout)
    }

    /// Markers received and not yet pulled.
    pub fn samples_available(&self) -> usize {
        self.inlet.samples_available()
    }
}

/// Frames from a numeric LSL stream, with per-frame time stamps in this machine's LSL clock.
pub struct NumericInlet {
    inlet: Inlet,
}

// SAFETY: the inlet may be used from any one thread at a time (pulls take &mut self).
unsafe impl Send for NumericInlet {}

impl std::fmt::Debug for NumericInlet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumericInlet")
            .field("meta", &self.inlet.meta)
            .finish()
    }
}

impl NumericInlet {
    /// Resolve `query` (waiting up to `timeout`) and open the first numeric stream.
    pub fn resolve(lsl: &Lsl, query: &StreamQuery, timeout: Duration) -> Result<NumericInlet> {
        let inlet = resolve_one(lsl, query, timeout, "numeric", numeric_format)?;
        Ok(NumericInlet { inlet })
    }

    /// Open a stream already resolved; a string stream is a `Mismatch` error.
    pub fn open(lsl: &Lsl, stream: &ResolvedStream, timeout: Duration) -> Result<NumericInlet> {
        if !numeric_format(stream.meta.format) {
            return Err(Error::Mismatch(format!(
                "LSL stream {:?} is a string stream, not numeric",
                stream.meta.name
            )));
        }
        Ok(NumericInlet {
            inlet: Inlet::open(lsl, stream, timeout)?,
        })
    }

    /// The stream's full description (channels included).
    pub fn meta(&self) -> &StreamMeta {
        &self.inlet.meta
    }

    fn capacity(&self, what: &str, values: usize, stamps: usize) -> Result<(c_ulong, c_ulong)> {
        let n = self.inlet.meta.channel_count;
        if n == 0 || !values.is_multiple_of(n) || values == 0 {
            return Err(Error::invalid(
                format!("{what} buffer for LSL stream {:?}", self.inlet.meta.name),
                format!("{values} values"),
                format!("must hold one or more whole frames of {n} channels"),
            ));
        }
        let frames = values / n;
        if stamps < frames {
            return Err(Error::invalid(
                format!("{what} time stamp buffer for {:?}", self.inlet.meta.name),
                stamps,
                format!("must hold one stamp per frame ({frames})"),
            ));
        }
        let v = c_ulong::try_from(values)
            .map_err(|_| Error::invalid(what, values, "buffer too large"))?;
        let f = c_ulong::try_from(frames)
            .map_err(|_| Error::invalid(what, frames, "buffer too large"))?;
        Ok((v, f))
    }

    /// Pull up to `data.len() / channels` frames (frame-major) into `data` and their stamps into
    /// `timestamps`; returns the number of frames. liblsl fills the buffer with what has arrived
    /// and what arrives within `timeout` (zero: only frames already received, never waiting).
    pub fn pull_chunk(
        &mut self,
        data: &mut [f64],
        timestamps: &mut [f64],
        timeout: Duration,
    ) -> Result<usize> {
        let (v, f) = self.capacity("pull_chunk", data.len(), timestamps.len())?;
        let mut ec = LSL_NO_ERROR;
        // SAFETY: live inlet; data holds v and timestamps at least f writable values.
        let got = unsafe {
            (self.inlet.api.pull_chunk_d)(
                self.inlet.handle,
                data.as_mut_ptr(),
                timestamps.as_mut_ptr(),
                v,
                f,
                timeout.as_secs_f64(),
                &mut ec,
            )
        };
        self.inlet
            .api
            .check(&format!("pull a chunk from {:?}", self.inlet.meta.name), ec)?;
        Ok(usize::try_from(got).unwrap_or(0) / self.inlet.meta.channel_count.max(1))
    }

    /// [`NumericInlet::pull_chunk`] into f32 values.
    pub fn pull_chunk_f32(
        &mut self,
        data: &mut [f32],
        timestamps: &mut [f64],
        timeout: Duration,
    ) -> Result<usize> {
        let (v, f) = self.capacity("pull_chunk_f32", data.len(), timestamps.len())?;
        let mut ec = LSL_NO_ERROR;
        // SAFETY: as in pull_chunk.
        let got = unsafe {
            (self.inlet.api.pull_chunk_f)(
                self.inlet.handle,
                data.as_mut_ptr(),
                timestamps.as_mut_ptr(),
                v,
                f,
                timeout.as_secs_f64(),
                &mut ec,
            )
        };
        self.inlet
            .api
            .check(&format!("pull a chunk from {:?}", self.inlet.meta.name), ec)?;
        Ok(usize::try_from(got).unwrap_or(0) / self.inlet.meta.channel_count.max(1))
    }

    /// The current offset added to the sender's stamps (already applied by the pulls).
    pub fn time_correction(&mut self, timeout: Duration) -> Result<f64> {
        self.inlet.time_correction(timeout)
    }

    /// Frames received and not yet pulled.
    pub fn samples_available(&self) -> usize {
        self.inlet.samples_available()
    }
}
