//! EDF, EDF+, BDF and BDF+ reading.
//!
//! What it promises:
//! - Every header field is checked; a bad one is reported with its name and byte range, e.g.
//!   `header field "number of data records" (bytes 236..244): "abc" is not a number`.
//! - The header's record count must agree with the file size; when it does not, the error names
//!   both numbers (MNE silently trusts the file size; we refuse, because a cut file is usually a
//!   crashed recording that deserves a look). `-1` (count unknown, allowed by the spec while
//!   recording) is accepted when the data is a whole number of records.
//! - Values are scaled exactly as MNE does: `gain = (pmax - pmin) / (dmax - dmin)`,
//!   `offset = pmin - dmin * gain`, `physical = digital * gain + offset`; then converted to µV
//!   from the declared unit (`uV`/`µV`, `mV`, `V`, `nV`). Channels with other units keep their
//!   physical values and unit.
//! - EDF+/BDF+ annotations (TALs in the `EDF Annotations` / `BDF Annotations` signal) become
//!   events: onset sample `round((t - t0) * rate)`, where `t0` is the first record's time-keeping
//!   onset, duration `round(d * rate)` samples; several annotations in one TAL and several TALs
//!   per record are all read. The time-keeping TAL of each record (empty text) is not an event.
//!   Annotations starting at or past the end of the data are dropped, as MNE drops them.
//! - EDF+D (discontinuous) files whose records really have gaps are refused with an error naming
//!   the first gap; EDF+D files whose records happen to be contiguous are read.
//! - All ordinary signals must share one samples-per-record (one rate). Mixed rates are refused
//!   with an error naming the channels (MNE upsamples them with an FFT resampler; we do not invent
//!   samples silently).

use std::path::Path;

use bci_core::{Channel, ChannelKind, Event, Recording, Result, Subject};
use ndarray::Array2;

use crate::util::{
    byte_err, field_err, kind_from_label, latin1, seconds_to_samples, unsupported, volt_unit_to_uv,
    whole_err,
};

/// 16-bit EDF or 24-bit BDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdfFlavor {
    Edf,
    Bdf,
}

impl EdfFlavor {
    /// Bytes per stored sample.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            EdfFlavor::Edf => 2,
            EdfFlavor::Bdf => 3,
        }
    }
}

/// One signal's header entry as written in the file (values untouched).
#[derive(Debug, Clone, PartialEq)]
pub struct SignalHeader {
    pub label: String,
    pub transducer: String,
    pub unit: String,
    pub physical_min: f64,
    pub physical_max: f64,
    pub digital_min: i64,
    pub digital_max: i64,
    pub prefilter: String,
    pub samples_per_record: usize,
}

impl SignalHeader {
    /// True for the EDF+/BDF+ annotation signal.
    pub fn is_annotation(&self) -> bool {
        self.label == "EDF Annotations" || self.label == "BDF Annotations"
    }
}

/// The parsed header of an EDF/BDF file.
#[derive(Debug, Clone, PartialEq)]
pub struct EdfHeader {
    pub flavor: EdfFlavor,
    /// `"EDF+C"`, `"EDF+D"`, `"BDF+C"`, ... from the reserved field, empty for plain EDF/BDF.
    pub plus: String,
    pub patient: String,
    pub recording: String,
    pub start_date: String,
    pub start_time: String,
    pub header_bytes: usize,
    /// As written; `-1` means unknown.
    pub n_records: i64,
    pub record_duration: f64,
    pub signals: Vec<SignalHeader>,
}

impl EdfHeader {
    /// Bytes in one data record.
    pub fn record_bytes(&self) -> usize {
        self.signals
            .iter()
            .map(|s| s.samples_per_record)
            .sum::<usize>()
            * self.flavor.bytes_per_sample()
    }

    /// Format name as reported by `bci inspect`.
    pub fn format_name(&self) -> String {
        let base = match self.flavor {
            EdfFlavor::Edf => "EDF",
            EdfFlavor::Bdf => "BDF",
        };
        if self.plus.is_empty() {
            base.to_string()
        } else {
            self.plus.clone()
        }
    }
}

/// Widths of the per-signal header fields, in file order.
const SIGNAL_FIELDS: [(&str, usize); 10] = [
    ("label", 16),
    ("transducer type", 80),
    ("physical dimension", 8),
    ("physical minimum", 8),
    ("physical maximum", 8),
    ("digital minimum", 8),
    ("digital maximum", 8),
    ("prefiltering", 80),
    ("number of samples in each data record", 8),
    ("reserved", 32),
];

/// Most signals we accept; keeps header-size arithmetic far from overflow.
const MAX_SIGNALS: usize = 100_000;

struct Fields<'a> {
    bytes: &'a [u8],
    path: &'a Path,
}

impl Fields<'_> {
    fn raw(&self, name: &str, start: usize, len: usize) -> Result<&[u8]> {
        self.bytes.get(start..start + len).ok_or_else(|| {
            field_err(
                self.path,
                format!("header field \"{name}\" (bytes {start}..{})", start + len),
                format!(
                    "the file ends at byte {} before this field; the header is truncated",
                    self.bytes.len()
                ),
            )
        })
    }

    fn text(&self, name: &str, start: usize, len: usize) -> Result<String> {
        Ok(latin1(self.raw(name, start, len)?).trim().to_string())
    }

    fn int(&self, name: &str, start: usize, len: usize) -> Result<i64> {
        let t = self.text(name, start, len)?;
        t.parse::<i64>().map_err(|_| {
            field_err(
                self.path,
                format!("header field \"{name}\" (bytes {start}..{})", start + len),
                format!("{t:?} is not a number (an integer is required)"),
            )
        })
    }

    fn float(&self, name: &str, start: usize, len: usize) -> Result<f64> {
        let t = self.text(name, start, len)?;
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() && !t.to_ascii_lowercase().contains(['i', 'n']) => Ok(v),
            _ => Err(field_err(
                self.path,
                format!("header field \"{name}\" (bytes {start}..{})", start + len),
                format!("{t:?} is not a number"),
            )),
        }
    }
}

/// Parse and check the header of an EDF/BDF file held in `bytes`.
pub fn parse_header(bytes: &[u8], path: &Path) -> Result<EdfHeader> {
    if bytes.is_empty() {
        return Err(whole_err(
            path,
            "the file is empty (0 bytes); expected an EDF/BDF header",
        ));
    }
    let f = Fields { bytes, path };
    let version = f.raw("version", 0, 8)?;
    let flavor = if version == b"0       " {
        EdfFlavor::Edf
    } else if version == b"\xffBIOSEMI" {
        EdfFlavor::Bdf
    } else {
        return Err(field_err(
            path,
            "header field \"version\" (bytes 0..8)",
            format!(
                "{:?} is neither \"0       \" (EDF) nor \"\\xffBIOSEMI\" (BDF); this is not an EDF/BDF file",
                latin1(version)
            ),
        ));
    };
    let patient = f.text("local patient identification", 8, 80)?;
    let recording = f.text("local recording identification", 88, 80)?;
    let start_date = f.text("startdate of recording", 168, 8)?;
    let start_time = f.text("starttime of recording", 176, 8)?;
    let header_bytes_raw = f.int("number of bytes in header record", 184, 8)?;
    let reserved = f.text("reserved", 192, 44)?;
    let n_records = f.int("number of data records", 236, 8)?;
    let record_duration = f.float("duration of a data record", 244, 8)?;
    let ns_raw = f.int("number of signals", 252, 4)?;

    if !(0..=MAX_SIGNALS as i64).contains(&ns_raw) {
        return Err(field_err(
            path,
            "header field \"number of signals\" (bytes 252..256)",
            format!("{ns_raw} is outside 0..={MAX_SIGNALS}"),
        ));
    }
    let ns = ns_raw as usize;
    let expected_header = 256 * (ns + 1);
    if header_bytes_raw != expected_header as i64 {
        return Err(field_err(
            path,
            "header field \"number of bytes in header record\" (bytes 184..192)",
            format!(
                "says {header_bytes_raw} but {ns} signals need 256 * ({ns} + 1) = {expected_header} bytes"
            ),
        ));
    }
    if bytes.len() < expected_header {
        return Err(field_err(
            path,
            format!("signal headers (bytes 256..{expected_header})"),
            format!(
                "the header declares {ns} signals ({expected_header} header bytes) but the file has only {} bytes; the file is truncated",
                bytes.len()
            ),
        ));
    }
    if n_records < -1 {
        return Err(field_err(
            path,
            "header field \"number of data records\" (bytes 236..244)",
            format!("{n_records} is negative (only -1, 'unknown', is allowed)"),
        ));
    }
    if record_duration < 0.0 {
        return Err(field_err(
            path,
            "header field \"duration of a data record\" (bytes 244..252)",
            format!("{record_duration} is negative"),
        ));
    }

    let mut field_start = [0usize; 10];
    let mut acc = 256;
    for (k, (_, w)) in SIGNAL_FIELDS.iter().enumerate() {
        field_start[k] = acc;
        acc += w * ns;
    }
    let at = |k: usize, i: usize| field_start[k] + SIGNAL_FIELDS[k].1 * i;
    let mut signals = Vec::with_capacity(ns);
    for i in 0..ns {
        let name = |k: usize| format!("{} of signal {}", SIGNAL_FIELDS[k].0, i + 1);
        let label = f.text(&name(0), at(0, i), 16)?;
        let transducer = f.text(&name(1), at(1, i), 80)?;
        let unit = f.text(&name(2), at(2, i), 8)?;
        let physical_min = f.float(&name(3), at(3, i), 8)?;
        let physical_max = f.float(&name(4), at(4, i), 8)?;
        let digital_min = f.int(&name(5), at(5, i), 8)?;
        let digital_max = f.int(&name(6), at(6, i), 8)?;
        let prefilter = f.text(&name(7), at(7, i), 80)?;
        let spr = f.int(&name(8), at(8, i), 8)?;
        if !(0..=100_000_000).contains(&spr) {
            return Err(field_err(
                path,
                format!(
                    "header field \"{}\" (bytes {}..{})",
                    name(8),
                    at(8, i),
                    at(8, i) + 8
                ),
                format!("{spr} is outside 0..=100000000"),
            ));
        }
        let sig = SignalHeader {
            label,
            transducer,
            unit,
            physical_min,
            physical_max,
            digital_min,
            digital_max,
            prefilter,
            samples_per_record: spr as usize,
        };
        if !sig.is_annotation() {
            let (lo, hi) = match flavor {
                EdfFlavor::Edf => (-32768, 32767),
                EdfFlavor::Bdf => (-8388608, 8388607),
            };
            if digital_max <= digital_min || digital_min < lo || digital_max > hi {
                return Err(field_err(
                    path,
                    format!(
                        "header fields \"digital minimum/maximum\" of signal {} {:?} (bytes {}..{} and {}..{})",
                        i + 1,
                        sig.label,
                        at(5, i),
                        at(5, i) + 8,
                        at(6, i),
                        at(6, i) + 8
                    ),
                    format!(
                        "digital range {digital_min}..{digital_max} must be increasing and within {lo}..{hi}"
                    ),
                ));
            }
            if physical_max == physical_min {
                return Err(field_err(
                    path,
                    format!(
                        "header fields \"physical minimum/maximum\" of signal {} {:?} (bytes {}..{} and {}..{})",
                        i + 1,
                        sig.label,
                        at(3, i),
                        at(3, i) + 8,
                        at(4, i),
                        at(4, i) + 8
                    ),
                    format!(
                        "physical minimum equals physical maximum ({physical_min}); the scaling is undefined"
                    ),
                ));
            }
        }
        signals.push(sig);
    }
    let plus = if reserved.starts_with("EDF+C")
        || reserved.starts_with("EDF+D")
        || reserved.starts_with("BDF+C")
        || reserved.starts_with("BDF+D")
    {
        reserved[..5].to_string()
    } else {
        String::new()
    };
    Ok(EdfHeader {
        flavor,
        plus,
        patient,
        recording,
        start_date,
        start_time,
        header_bytes: expected_header,
        n_records,
        record_duration,
        signals,
    })
}

/// Number of complete data records, checked against the file size.
fn checked_records(h: &EdfHeader, file_len: usize, path: &Path) -> Result<usize> {
    let record_bytes = h.record_bytes();
    let data_bytes = file_len - h.header_bytes;
    if record_bytes == 0 {
        if data_bytes != 0 {
            return Err(whole_err(
                path,
                format!("records hold 0 samples but {data_bytes} bytes follow the header"),
            ));
        }
        return Ok(0);
    }
    let complete = data_bytes / record_bytes;
    let partial = data_bytes % record_bytes;
    if h.n_records == -1 {
        if partial != 0 {
            return Err(whole_err(
                path,
                format!(
                    "record count unknown (-1) and the {data_bytes} data bytes are not a whole number of {record_bytes}-byte records ({complete} complete + {partial} bytes); the file is truncated"
                ),
            ));
        }
        return Ok(complete);
    }
    let n = h.n_records as u64;
    let expected = (n as u128) * (record_bytes as u128);
    if expected != data_bytes as u128 {
        return Err(field_err(
            path,
            "header field \"number of data records\" (bytes 236..244)",
            format!(
                "the header says {n} data records ({expected} bytes of {record_bytes}-byte records) but the file holds {data_bytes} data bytes ({complete} complete records{}); the file is truncated or the header is wrong",
                if partial != 0 {
                    format!(" + {partial} bytes")
                } else {
                    String::new()
                }
            ),
        ));
    }
    Ok(complete)
}

/// Read a whole EDF/EDF+/BDF/BDF+ file from memory; `path` is used in messages only.
pub fn read_edf_bytes(bytes: &[u8], path: &Path) -> Result<Recording> {
    let h = parse_header(bytes, path)?;
    let n_records = checked_records(&h, bytes.len(), path)?;
    let bps = h.flavor.bytes_per_sample();

    let ordinary: Vec<usize> = (0..h.signals.len())
        .filter(|&i| !h.signals[i].is_annotation())
        .collect();
    let annotation: Vec<usize> = (0..h.signals.len())
        .filter(|&i| h.signals[i].is_annotation())
        .collect();

    let spr = ordinary
        .first()
        .map(|&i| h.signals[i].samples_per_record)
        .unwrap_or(0);
    if let Some(&odd) = ordinary
        .iter()
        .find(|&&i| h.signals[i].samples_per_record != spr)
    {
        let first = &h.signals[ordinary[0]];
        let other = &h.signals[odd];
        return Err(unsupported(
            path,
            format!(
                "channels have different sampling rates: {:?} has {} samples per record, {:?} has {}; mixed-rate EDF/BDF files are not read (resample or split the channels first)",
                first.label, first.samples_per_record, other.label, other.samples_per_record
            ),
        ));
    }
    if !ordinary.is_empty() && h.record_duration <= 0.0 {
        return Err(field_err(
            path,
            "header field \"duration of a data record\" (bytes 244..252)",
            "must be positive when the file holds signals",
        ));
    }
    let rate = if ordinary.is_empty() {
        0.0
    } else {
        spr as f64 / h.record_duration
    };

    // Byte offset of each signal inside a record.
    let mut sig_offset = Vec::with_capacity(h.signals.len());
    let mut acc = 0usize;
    for s in &h.signals {
        sig_offset.push(acc);
        acc += s.samples_per_record * bps;
    }
    let record_bytes = acc;

    let n_samples = n_records * spr;
    let mut channels = Vec::with_capacity(ordinary.len());
    let mut scale = Vec::with_capacity(ordinary.len());
    for &i in &ordinary {
        let s = &h.signals[i];
        let uv = volt_unit_to_uv(&s.unit);
        let unit_mul = uv.unwrap_or(1.0);
        // MNE's formula; the unit multiplier is applied after, as MNE applies its unit gain.
        let gain = (s.physical_max - s.physical_min) / (s.digital_max - s.digital_min) as f64;
        let offset = s.physical_min - s.digital_min as f64 * gain;
        scale.push((gain, offset, unit_mul));
        channels.push(Channel {
            label: s.label.clone(),
            kind: kind_from_label(&s.label, uv.is_some()),
            unit: if uv.is_some() {
                "uV".to_string()
            } else {
                s.unit.clone()
            },
            physical_min: s.physical_min * unit_mul,
            physical_max: s.physical_max * unit_mul,
            digital_min: s.digital_min,
            digital_max: s.digital_max,
            transducer: s.transducer.clone(),
            prefilter: s.prefilter.clone(),
        });
    }

    let data_start = h.header_bytes;
    // Filled row by row without zeroing first: zeroing 10 MB costs as much as decoding it.
    let mut out: Vec<f64> = Vec::with_capacity(ordinary.len() * n_samples);
    for (row, &i) in ordinary.iter().enumerate() {
        let (gain, offset, unit_mul) = scale[row];
        for r in 0..n_records {
            let start = data_start + r * record_bytes + sig_offset[i];
            let src = &bytes[start..start + spr * bps];
            match h.flavor {
                EdfFlavor::Edf => out.extend(src.chunks_exact(2).map(|b| {
                    let x = i16::from_le_bytes([b[0], b[1]]) as f64;
                    (x * gain + offset) * unit_mul
                })),
                EdfFlavor::Bdf => out.extend(src.chunks_exact(3).map(|b| {
                    let x = (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f64;
                    (x * gain + offset) * unit_mul
                })),
            }
        }
    }
    let data = Array2::from_shape_vec((ordinary.len(), n_samples), out)
        .map_err(|e| whole_err(path, format!("internal size mismatch: {e}")))?;

    let mut events = Vec::new();
    if let Some(&ai) = annotation.first() {
        let mut record_onsets = Vec::with_capacity(n_records);
        let mut raw_events: Vec<(f64, f64, String)> = Vec::new();
        for r in 0..n_records {
            let start = data_start + r * record_bytes + sig_offset[ai];
            let len = h.signals[ai].samples_per_record * bps;
            let tal_bytes = &bytes[start..start + len];
            let onset = parse_tals(tal_bytes, start, path, &mut raw_events)?;
            record_onsets.push(onset);
        }
        let t0 = record_onsets.first().copied().flatten().unwrap_or(0.0);
        if h.plus.ends_with('D') && rate > 0.0 {
            for (r, onset) in record_onsets.iter().enumerate() {
                let expected = t0 + r as f64 * h.record_duration;
                if let Some(t) = onset
                    && (t - expected).abs() > 0.5 / rate
                {
                    return Err(unsupported(
                        path,
                        format!(
                            "discontinuous {} file: data record {} starts at {t} s but a continuous recording would start it at {expected} s; discontinuous recordings are not read (split them into continuous parts first)",
                            h.plus,
                            r + 1
                        ),
                    ));
                }
            }
        }
        let ev_rate = if rate > 0.0 { rate } else { 1.0 };
        for (onset, duration, label) in raw_events {
            let on = seconds_to_samples(onset - t0, ev_rate);
            let dur = seconds_to_samples(duration, ev_rate);
            match (on, dur) {
                (Some(onset), Some(duration)) => events.push(Event {
                    onset,
                    duration,
                    label,
                }),
                _ => {
                    return Err(whole_err(
                        path,
                        format!(
                            "annotation {label:?} at {onset} s (duration {duration} s) lies before the recording start ({t0} s) or is out of range"
                        ),
                    ));
                }
            }
        }
        // As MNE, annotations starting past the end of the data are dropped.
        if !ordinary.is_empty() {
            events.retain(|e| e.onset < n_samples as u64);
        }
        events.sort_by_key(|e| e.onset);
    }

    let start = parse_start(&h);
    Ok(Recording {
        channels,
        sample_rate: rate,
        data,
        events,
        subject: Subject {
            patient: h.patient.clone(),
            recording: h.recording.clone(),
            start,
        },
        format: h.format_name(),
    })
}

/// Parse the TALs of one record's annotation bytes (which start at file offset `base`).
/// Appends `(onset_s, duration_s, text)` for every non-empty annotation and returns the
/// record's time-keeping onset (the onset of its first TAL).
fn parse_tals(
    bytes: &[u8],
    base: usize,
    path: &Path,
    out: &mut Vec<(f64, f64, String)>,
) -> Result<Option<f64>> {
    let mut first_onset = None;
    let mut pos = 0;
    while pos < bytes.len() {
        if bytes[pos] == 0 {
            // Padding between/after TALs.
            pos += 1;
            continue;
        }
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == 0)
            .map(|e| pos + e)
            .ok_or_else(|| {
                byte_err(
                    path,
                    (base + pos) as u64,
                    "annotation list (TAL) is not terminated by a 0 byte before the end of the record's annotation signal",
                )
            })?;
        let tal = &bytes[pos..end];
        let tal_err = |msg: String| byte_err(path, (base + pos) as u64, msg);
        let sep = tal.iter().position(|&b| b == 0x14).ok_or_else(|| {
            tal_err(format!(
                "annotation list (TAL) {:?} has no 0x14 after its onset",
                latin1(tal)
            ))
        })?;
        let time = &tal[..sep];
        let (onset_txt, dur_txt) = match time.iter().position(|&b| b == 0x15) {
            Some(p) => (&time[..p], Some(&time[p + 1..])),
            None => (time, None),
        };
        let onset = parse_tal_number(onset_txt, true).ok_or_else(|| {
            tal_err(format!(
                "TAL onset {:?} is not a signed number like \"+12.5\"",
                latin1(onset_txt)
            ))
        })?;
        let duration = match dur_txt {
            Some(d) if !d.is_empty() => parse_tal_number(d, false)
                .ok_or_else(|| tal_err(format!("TAL duration {:?} is not a number", latin1(d))))?,
            _ => 0.0,
        };
        if first_onset.is_none() {
            first_onset = Some(onset);
        }
        for text in tal[sep + 1..].split(|&b| b == 0x14) {
            if text.is_empty() {
                continue;
            }
            let label = match std::str::from_utf8(text) {
                Ok(s) => s.to_string(),
                Err(_) => latin1(text),
            };
            out.push((onset, duration, label));
        }
        pos = end + 1;
    }
    Ok(first_onset)
}

fn parse_tal_number(b: &[u8], signed: bool) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    let digits = if signed {
        s.strip_prefix('+').or_else(|| s.strip_prefix('-'))?
    } else {
        s
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// `YYYY-MM-DDTHH:MM:SS` from the header, preferring the EDF+ 4-digit year; `None` if unusable.
fn parse_start(h: &EdfHeader) -> Option<String> {
    let d: Vec<u32> = h
        .start_date
        .split('.')
        .map(|x| x.trim().parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<u32> = h
        .start_time
        .split('.')
        .map(|x| x.trim().parse().ok())
        .collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 || d[2] > 99 {
        return None;
    }
    let mut year = if d[2] >= 85 { 1900 + d[2] } else { 2000 + d[2] };
    // EDF+: "Startdate 12-AUG-2009 ..." carries the full year.
    if let Some(rest) = h.recording.strip_prefix("Startdate ") {
        let date = rest.split(' ').next().unwrap_or("");
        let parts: Vec<&str> = date.split('-').collect();
        if parts.len() == 3
            && MONTHS.contains(&parts[1].to_ascii_uppercase().as_str())
            && let Ok(y) = parts[2].parse::<u32>()
        {
            year = y;
        }
    }
    if !(1..=12).contains(&d[1]) || !(1..=31).contains(&d[0]) || t[0] > 23 || t[1] > 59 || t[2] > 60
    {
        return None;
    }
    Some(format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        d[1], d[0], t[0], t[1], t[2]
    ))
}

/// Channel kind stays as inferred; exposed for the writer's tests.
#[allow(dead_code)]
pub(crate) fn is_voltage_kind(kind: ChannelKind) -> bool {
    matches!(
        kind,
        ChannelKind::Eeg | ChannelKind::Eog | ChannelKind::Emg | ChannelKind::Ecg
    )
}

/// [`crate::FormatReader`] for EDF, EDF+, BDF and BDF+.
pub struct EdfReader;

impl crate::FormatReader for EdfReader {
    fn name(&self) -> &'static str {
        "edf"
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"0       ") || head.starts_with(b"\xffBIOSEMI")
    }
    fn extension_matches(&self, ext: &str) -> bool {
        matches!(ext, "edf" | "bdf" | "rec")
    }
    fn read_bytes(&self, bytes: &[u8], path: &Path) -> Result<Recording> {
        read_edf_bytes(bytes, path)
    }
}
