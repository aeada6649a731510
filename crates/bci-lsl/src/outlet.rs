//! Outlets: publish frames, predictions or markers as an LSL stream.

use std::ffi::{c_char, c_ulong};
use std::sync::Arc;
use std::time::Duration;

use bci_core::{Error, Result};

use crate::Lsl;
use crate::ffi::{Api, OutletH};
use crate::info::{StreamDef, StreamMeta};

/// An LSL outlet. The stream is discoverable from [`Outlet::new`] until the outlet is dropped.
///
/// Pushes take `&self` and may come from any thread (liblsl serialises them). The numeric pushes
/// hand the caller's slice straight to liblsl: nothing is allocated on the Rust side.
pub struct Outlet {
    api: Arc<Api>,
    handle: OutletH,
    def: StreamDef,
}

// SAFETY: a liblsl outlet may be used and destroyed from any thread; pushes are serialised inside
// liblsl (its send buffer takes a lock).
unsafe impl Send for Outlet {}
// SAFETY: as above; every method only passes the handle to thread-safe liblsl calls.
unsafe impl Sync for Outlet {}

impl std::fmt::Debug for Outlet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outlet").field("def", &self.def).finish()
    }
}

impl Outlet {
    /// Create the outlet: the stream `def` becomes visible to resolvers.
    pub fn new(lsl: &Lsl, def: &StreamDef) -> Result<Outlet> {
        let api = lsl.api.clone();
        let info = def.to_info(&api)?;
        // The casts are checked by StreamDef::validate in to_info.
        // SAFETY: info is live; liblsl copies it into the outlet, so it is destroyed right after.
        let handle =
            unsafe { (api.create_outlet)(info, def.chunk_size as i32, def.max_buffered as i32) };
        // SAFETY: info is not used after this.
        unsafe { (api.destroy_streaminfo)(info) };
        if handle.is_null() {
            return Err(Error::Device(format!(
                "LSL could not create the outlet {:?}: {}",
                def.name,
                api.last_error_text()
            )));
        }
        Ok(Outlet {
            api,
            handle,
            def: def.clone(),
        })
    }

    /// The definition this outlet was created with.
    pub fn def(&self) -> &StreamDef {
        &self.def
    }

    /// The stream as liblsl holds it (with its uid, hostname and description).
    pub fn meta(&self) -> Result<StreamMeta> {
        // SAFETY: live outlet; lsl_get_info returns a new info that we destroy after reading.
        unsafe {
            let info = (self.api.get_info)(self.handle);
            if info.is_null() {
                return Err(Error::Device(format!(
                    "LSL outlet {:?}: no stream info: {}",
                    self.def.name,
                    self.api.last_error_text()
                )));
            }
            let meta = StreamMeta::read(&self.api, info);
            (self.api.destroy_streaminfo)(info);
            meta
        }
    }

    /// Number of whole frames in `len` values, or an error naming the stream.
    fn frames(&self, what: &str, len: usize) -> Result<usize> {
        let n = self.def.channel_count;
        if n == 0 || !len.is_multiple_of(n) {
            return Err(Error::invalid(
                format!("{what} for LSL stream {:?}", self.def.name),
                format!("{len} values"),
                format!("must be whole frames of {n} channels (frame-major, interleaved)"),
            ));
        }
        Ok(len / n)
    }

    fn elements(&self, what: &str, len: usize) -> Result<c_ulong> {
        c_ulong::try_from(len).map_err(|_| {
            Error::invalid(
                format!("{what} for LSL stream {:?}", self.def.name),
                len,
                "too many values for one push",
            )
        })
    }

    /// Push frames (frame-major: `frames[f * channels + c]`). `timestamp` is the LSL time
    /// ([`Lsl::local_clock`]) the LAST frame was captured, or 0.0 for now; earlier frames are
    /// stamped back from it at the nominal rate (an irregular stream gives all the same stamp).
    pub fn push_chunk_f32(&self, frames: &[f32], timestamp: f64) -> Result<()> {
        if self.frames("push_chunk_f32", frames.len())? == 0 {
            return Ok(());
        }
        let n = self.elements("push_chunk_f32", frames.len())?;
        // SAFETY: live outlet; the pointer and length describe the caller's slice, which liblsl
        // copies before returning.
        let rc =
            unsafe { (self.api.push_chunk_ftp)(self.handle, frames.as_ptr(), n, timestamp, 1) };
        self.api.check("push_chunk_f32", rc)
    }

    /// [`Outlet::push_chunk_f32`] for f64 values.
    pub fn push_chunk_f64(&self, frames: &[f64], timestamp: f64) -> Result<()> {
        if self.frames("push_chunk_f64", frames.len())? == 0 {
            return Ok(());
        }
        let n = self.elements("push_chunk_f64", frames.len())?;
        // SAFETY: as in push_chunk_f32.
        let rc =
            unsafe { (self.api.push_chunk_dtp)(self.handle, frames.as_ptr(), n, timestamp, 1) };
        self.api.check("push_chunk_f64", rc)
    }

    /// Push frames with one LSL time stamp per frame (`timestamps.len()` = number of frames).
    pub fn push_chunk_f32_stamped(&self, frames: &[f32], timestamps: &[f64]) -> Result<()> {
        let n_frames = self.frames("push_chunk_f32_stamped", frames.len())?;
        self.check_stamps(n_frames, timestamps.len())?;
        if n_frames == 0 {
            return Ok(());
        }
        let n = self.elements("push_chunk_f32_stamped", frames.len())?;
        // SAFETY: live outlet; both slices are valid for the lengths liblsl reads (n values and
        // n / channels stamps, checked above).
        let rc = unsafe {
            (self.api.push_chunk_ftnp)(self.handle, frames.as_ptr(), n, timestamps.as_ptr(), 1)
        };
        self.api.check("push_chunk_f32_stamped", rc)
    }

    /// [`Outlet::push_chunk_f32_stamped`] for f64 values.
    pub fn push_chunk_f64_stamped(&self, frames: &[f64], timestamps: &[f64]) -> Result<()> {
        let n_frames = self.frames("push_chunk_f64_stamped", frames.len())?;
        self.check_stamps(n_frames, timestamps.len())?;
        if n_frames == 0 {
            return Ok(());
        }
        let n = self.elements("push_chunk_f64_stamped", frames.len())?;
        // SAFETY: as in push_chunk_f32_stamped.
        let rc = unsafe {
            (self.api.push_chunk_dtnp)(self.handle, frames.as_ptr(), n, timestamps.as_ptr(), 1)
        };
        self.api.check("push_chunk_f64_stamped", rc)
    }

    fn check_stamps(&self, frames: usize, stamps: usize) -> Result<()> {
        if frames != stamps {
            return Err(Error::Mismatch(format!(
                "LSL stream {:?}: {frames} frames but {stamps} time stamps",
                self.def.name
            )));
        }
        Ok(())
    }

    /// Push one sample of strings (a marker: `&["left"]`), one per channel, stamped `timestamp`
    /// (0.0 for now). Strings may hold any bytes, NUL included.
    pub fn push_sample_str(&self, sample: &[&str], timestamp: f64) -> Result<()> {
        if sample.len() != self.def.channel_count {
            return Err(Error::invalid(
                format!("push_sample_str for LSL stream {:?}", self.def.name),
                format!("{} strings", sample.len()),
                format!(
                    "must be one string per channel ({})",
                    self.def.channel_count
                ),
            ));
        }
        let ptrs: Vec<*const c_char> = sample.iter().map(|s| s.as_ptr().cast()).collect();
        let mut lens = Vec::with_capacity(sample.len());
        for s in sample {
            lens.push(u32::try_from(s.len()).map_err(|_| {
                Error::invalid(
                    "LSL string sample",
                    format!("{} bytes", s.len()),
                    "too long",
                )
            })?);
        }
        // SAFETY: live outlet; ptrs/lens hold channel_count entries describing the caller's
        // strings (liblsl reads exactly lens[i] bytes from ptrs[i] and copies them).
        let rc = unsafe {
            (self.api.push_sample_buftp)(self.handle, ptrs.as_ptr(), lens.as_ptr(), timestamp, 1)
        };
        self.api.check("push_sample_str", rc)
    }

    /// Whether any inlet is subscribed.
    pub fn have_consumers(&self) -> bool {
        // SAFETY: live outlet.
        unsafe { (self.api.have_consumers)(self.handle) != 0 }
    }

    /// Wait up to `timeout` for an inlet to subscribe; true if one did.
    pub fn wait_for_consumers(&self, timeout: Duration) -> bool {
        // SAFETY: live outlet.
        unsafe { (self.api.wait_for_consumers)(self.handle, timeout.as_secs_f64()) != 0 }
    }
}

impl Drop for Outlet {
    fn drop(&mut self) {
        // SAFETY: the handle is live and used by nothing else after this.
        unsafe { (self.api.destroy_outlet)(self.handle) };
    }
}
