//! Finding packets in a byte stream with no length field and no checksum (spec §7.1).
//!
//! The rule: find `0xA0`; if the byte 32 further on is a footer `0xCx`, that is a frame; otherwise
//! slide by **one** byte (not 33 as BrainFlow does) and look again. After any skipped byte the
//! framer is strict until it is back in step: it also wants the byte right after the frame to be
//! `0xA0` (or the stream to have gone quiet, see [`Framer::next_frame_idle`]), which rejects
//! most false frames made of a data `0xA0` and a data `0xCx`.

use crate::packet::{HEADER, PACKET_LEN, is_footer};

/// Counters of what the framer threw away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramerStats {
    /// Bytes discarded while searching for a frame (text, broken packets).
    pub skipped_bytes: u64,
    /// Frames emitted.
    pub frames: u64,
}

/// Incremental framer: push bytes as they arrive, pull frames.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    /// After a skip, require the next header right behind a frame before trusting it.
    strict: bool,
    /// Stream offset (bytes pushed so far) of `buf[0]`.
    base_offset: u64,
    pub stats: FramerStats,
}

/// A frame and where its last byte sits in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub bytes: [u8; PACKET_LEN],
    /// Stream offset of the byte just past the frame (bytes pushed before it, counting from 0).
    pub end_offset: u64,
}

impl Framer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Append received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        // Compact once the consumed prefix dominates, so the buffer does not grow without bound.
        if self.start > 4096 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.base_offset += self.start as u64;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Total bytes pushed so far.
    pub fn pushed(&self) -> u64 {
        self.base_offset + self.buf.len() as u64
    }

    /// Bytes buffered but not yet consumed.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Drop everything buffered (after a reconnect, say); counts the bytes as skipped.
    pub fn reset(&mut self) {
        self.stats.skipped_bytes += self.pending() as u64;
        self.start = self.buf.len();
        self.strict = false;
    }

    /// The next frame, if the buffer holds one. `None` means: push more bytes.
    pub fn next_frame(&mut self) -> Option<Frame> {
        self.next_inner(false)
    }

    /// Like [`next_frame`](Self::next_frame), but the caller knows no more bytes are coming soon
    /// (the stream went quiet), so a strict-mode frame at the very end is accepted without the
    /// following header.
    pub fn next_frame_idle(&mut self) -> Option<Frame> {
        self.next_inner(true)
    }

    fn next_inner(&mut self, idle: bool) -> Option<Frame> {
        loop {
            let pending = &self.buf[self.start..];
            let Some(pos) = pending.iter().position(|&b| b == HEADER) else {
                self.stats.skipped_bytes += pending.len() as u64;
                self.start = self.buf.len();
                if !pending.is_empty() {
                    self.strict = true;
                }
                return None;
            };
            if pos > 0 {
                self.stats.skipped_bytes += pos as u64;
                self.start += pos;
                self.strict = true;
            }
            let avail = self.buf.len() - self.start;
            if avail < PACKET_LEN {
                return None;
            }
            let s = self.start;
            if !is_footer(self.buf[s + PACKET_LEN - 1]) {
                self.stats.skipped_bytes += 1;
                self.start += 1;
                self.strict = true;
                continue;
            }
            if self.strict {
                match self.buf.get(s + PACKET_LEN) {
                    Some(&HEADER) => {}
                    Some(_) => {
                        self.stats.skipped_bytes += 1;
                        self.start += 1;
                        continue;
                    }
                    None if idle => {}
                    None => return None,
                }
            }
            let mut bytes = [0u8; PACKET_LEN];
            bytes.copy_from_slice(&self.buf[s..s + PACKET_LEN]);
            self.start += PACKET_LEN;
            self.strict = false;
            self.stats.frames += 1;
            return Some(Frame {
                bytes,
                end_offset: self.base_offset + self.start as u64,
            });
        }
    }
}
