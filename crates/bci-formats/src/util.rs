//! Small helpers shared by the readers: bounds-checked little-endian access, text fields, and
//! errors that name the file and the place.

use std::path::Path;

use bci_core::{ChannelKind, Error, Location, Result};

/// A malformed-input error at a named field.
pub(crate) fn field_err(
    path: &Path,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Error {
    Error::malformed(path, Location::Field(field.into()), message)
}

/// A malformed-input error at a byte offset.
pub(crate) fn byte_err(path: &Path, offset: u64, message: impl Into<String>) -> Error {
    Error::malformed(path, Location::Byte(offset), message)
}

/// A malformed-input error about the file as a whole.
pub(crate) fn whole_err(path: &Path, message: impl Into<String>) -> Error {
    Error::malformed(path, Location::Whole, message)
}

/// An unsupported-feature error.
pub(crate) fn unsupported(path: &Path, message: impl Into<String>) -> Error {
    Error::Unsupported {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Bytes decoded as Latin-1 (every byte is a character), so no header text can fail to decode.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// A view of a byte buffer whose reads fail with an error naming the file and offset instead
/// of panicking when the buffer is too short.
#[derive(Clone, Copy)]
#[allow(dead_code)]
pub(crate) struct Bytes<'a> {
    pub buf: &'a [u8],
    pub path: &'a Path,
}

#[allow(dead_code)]
impl<'a> Bytes<'a> {
    pub fn new(buf: &'a [u8], path: &'a Path) -> Self {
        Bytes { buf, path }
    }

    /// `len` bytes at `offset`, or an error saying what was being read.
    pub fn slice(&self, offset: usize, len: usize, what: &str) -> Result<&'a [u8]> {
        offset
            .checked_add(len)
            .and_then(|end| self.buf.get(offset..end))
            .ok_or_else(|| {
                byte_err(
                    self.path,
                    offset as u64,
                    format!(
                        "file ends before {what} ({len} bytes needed at byte {offset}, file has {} bytes); the file is truncated",
                        self.buf.len()
                    ),
                )
            })
    }

    pub fn array<const N: usize>(&self, offset: usize, what: &str) -> Result<[u8; N]> {
        let s = self.slice(offset, N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub fn u8(&self, offset: usize, what: &str) -> Result<u8> {
        Ok(self.array::<1>(offset, what)?[0])
    }
    pub fn u16(&self, offset: usize, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(offset, what)?))
    }
    pub fn u32(&self, offset: usize, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(offset, what)?))
    }
    pub fn i32(&self, offset: usize, what: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array(offset, what)?))
    }
    pub fn i64(&self, offset: usize, what: &str) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array(offset, what)?))
    }
    pub fn u64(&self, offset: usize, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(offset, what)?))
    }
    pub fn f32(&self, offset: usize, what: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.array(offset, what)?))
    }
    pub fn f64(&self, offset: usize, what: &str) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array(offset, what)?))
    }
}

/// Multiplier that turns a value in `unit` into µV, if `unit` is a voltage.
pub(crate) fn volt_unit_to_uv(unit: &str) -> Option<f64> {
    match unit.trim() {
        "uV" | "\u{b5}V" | "\u{3bc}V" | "\u{83}\u{ca}V" | "microvolt" | "microvolts" => Some(1.0),
        "mV" => Some(1e3),
        "V" => Some(1e6),
        "nV" => Some(1e-3),
        _ => None,
    }
}

/// Channel kind from a label prefix such as `"EOG left"` or `"ECG"`; voltage channels without a
/// recognised prefix are EEG, other channels are misc.
pub(crate) fn kind_from_label(label: &str, is_voltage: bool) -> ChannelKind {
    let upper = label.trim().to_ascii_uppercase();
    let first = upper.split([' ', '-', '_']).next().unwrap_or("");
    match first {
        "EOG" | "HEOG" | "VEOG" => ChannelKind::Eog,
        "ECG" | "EKG" => ChannelKind::Ecg,
        "EMG" => ChannelKind::Emg,
        "STATUS" | "TRIGGER" | "STI" | "STIM" => ChannelKind::Stim,
        _ if upper.starts_with("EOG") => ChannelKind::Eog,
        _ if is_voltage => ChannelKind::Eeg,
        _ => ChannelKind::Misc,
    }
}

/// Sample index nearest to `seconds` at `rate`, refusing negative or absurd values.
pub(crate) fn seconds_to_samples(seconds: f64, rate: f64) -> Option<u64> {
    let s = (seconds * rate).round();
    if (0.0..9.0e15).contains(&s) {
        Some(s as u64)
    } else {
        None
    }
}

/// The Cyton ADS1299 input range at gain 24 in µV: the ADC's 24-bit codes −2²³..2²³−1 times
/// 4.5 V / 24 / (2²³ − 1). Railed samples sit exactly at the ends (−187500.022…, 187500).
pub(crate) fn cyton_range_uv() -> (f64, f64) {
    let scale = 4.5e6 / 24.0 / 8_388_607.0;
    (-8_388_608.0 * scale, 8_388_607.0 * scale)
}

/// Gaps in a one-byte sample counter (OpenBCI, BrainFlow's package number) as `gap` events at the
/// first sample after each gap, lasting the number of samples missing. The counter's usual step is
/// taken to be its most common difference, modulo 256.
pub(crate) fn counter_gaps(counters: &[i64]) -> Vec<bci_core::Event> {
    let mut step_counts = [0usize; 256];
    for w in counters.windows(2) {
        step_counts[w[1].wrapping_sub(w[0]).rem_euclid(256) as usize] += 1;
    }
    let step = (1..256).max_by_key(|&d| step_counts[d]).unwrap_or(1) as i64;
    let mut events = Vec::new();
    for (s, w) in counters.windows(2).enumerate() {
        let d = w[1].wrapping_sub(w[0]).rem_euclid(256);
        if d != step {
            let missing = if d > step {
                (d - step) / step
            } else {
                (d + 256 - step) / step
            };
            events.push(bci_core::Event {
                onset: s as u64 + 1,
                duration: missing as u64,
                label: "gap".into(),
            });
        }
    }
    events
}
