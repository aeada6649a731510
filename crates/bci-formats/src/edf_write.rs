//! BDF+ (24-bit) and EDF+ (16-bit) writing, record by record, crash-safe.
//!
//! What it promises:
//! - The file is a valid EDF+C/BDF+C file from the moment [`EdfWriter::create`] returns (header
//!   with 0 data records). Frames are appended as they arrive; every complete data record is
//!   encoded, and [`EdfWriter::flush`] writes the encoded records and then rewrites the header's
//!   "number of data records" field in place. Because the count is always written *after* the
//!   records it counts, the count on disk never exceeds the complete records on disk; right after
//!   a flush they are equal. A process killed at any point therefore leaves a file that MNE (and
//!   our reader) opens with at least everything flushed. (A kill between writing records and
//!   rewriting the count leaves the count smaller than the records on disk; MNE then reads the
//!   records from the file size, our reader refuses the file with a message naming both numbers.)
//! - `flush` does not fsync: flushed data survives the process dying (it is in the OS page cache)
//!   but not a power cut. Call [`EdfWriter::sync`] to force it to the device.
//! - Physical range: each channel's `physical_min/max` when finite and increasing, otherwise
//!   ±187501 µV (just wider than the OpenBCI Cyton's input range, so railed codes fit).
//!   Digital range: the channel's `digital_min/max` when it declares a physical range and the
//!   digital range fits the format (so integer sources are stored step for step), otherwise the
//!   format's full range. The
//!   range is written in the header with outward
//!   rounding to fit 8 characters (µV, or mV/V for very large ranges) and the values are quantized
//!   with exactly the gain/offset a reader derives from those header strings. Values outside the
//!   range (and NaN) are clipped to it and counted per channel ([`EdfWriter::clipped`]).
//! - Events become EDF+ annotations (TALs) in the record being written when they arrive (their
//!   onset is absolute, so it may point anywhere in the file). If a record's annotation space is
//!   full, the remaining annotations go into the next records; if annotations are still waiting at
//!   [`EdfWriter::finish`], extra records of 0 µV are appended to hold them (reported by
//!   [`EdfWriter::finish_report`]). Labels are cut to fit one record's annotation space.
//! - `finish` pads the last partial record with 0 µV, flushes, and writes the final header.
//! - `anonymize` writes patient `X X X X`, recording `Startdate X X X X`, and start
//!   `01.01.85 00.00.00` (the EDF clipping date), as EDF+ prescribes for unknown subfields.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bci_core::{Channel, Error, Event, Recording, Result, Subject};

/// Output flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFormat {
    /// BDF+ (24-bit samples).
    Bdf,
    /// EDF+ (16-bit samples).
    Edf,
}

/// Options for [`EdfWriter`] and [`write_recording`].
#[derive(Debug, Clone, PartialEq)]
pub struct WriterOptions {
    pub format: WriteFormat,
    /// Duration of one data record in seconds (default 1.0); `sample_rate * record_duration`
    /// must be a whole number.
    pub record_duration: f64,
    /// Blank patient and recording identification and the start date.
    pub anonymize: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            format: WriteFormat::Bdf,
            record_duration: 1.0,
            anonymize: false,
        }
    }
}

/// Default physical range (µV) when a channel declares none: a little beyond the Cyton's
/// ±187500 µV so its railed codes (−187500.022 µV) fit.
const DEFAULT_RANGE_UV: f64 = 187_501.0;
/// Default annotation space per record, in bytes.
const DEFAULT_ANNOTATION_BYTES: usize = 512;
/// Encoded records kept in memory before they are written even without a flush.
const AUTO_WRITE_BYTES: usize = 4 << 20;

struct ChannelEncoding {
    /// Multiplier from the in-memory unit to the header unit (1 for µV → uV).
    to_header_unit: f64,
    gain: f64,
    offset: f64,
    dmin: i32,
    dmax: i32,
    pmin: f64,
    pmax: f64,
}

/// What [`EdfWriter::finish_report`] tells about a finished file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub records: u64,
    /// Samples clipped to the physical range, per channel.
    pub clipped: Vec<u64>,
    /// Records of 0 µV appended only to hold annotations that did not fit before.
    pub extra_annotation_records: u64,
}

/// Appends frames to an EDF+/BDF+ file record by record. See the module docs for guarantees.
pub struct EdfWriter {
    file: File,
    path: PathBuf,
    format: WriteFormat,
    n_channels: usize,
    samples_per_record: usize,
    record_duration: f64,
    sample_rate: f64,
    enc: Vec<ChannelEncoding>,
    annotation_bytes: usize,
    /// Frame-major values of the record being filled.
    pending: Vec<f64>,
    /// Encoded records not yet written.
    out: Vec<u8>,
    records_encoded: u64,
    records_on_disk: u64,
    queue: VecDeque<Vec<u8>>,
    clipped: Vec<u64>,
    extra_records: u64,
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

/// Printable ASCII only, as the EDF spec asks for header text.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '_' })
        .collect()
}

fn pad(s: &str, width: usize) -> Vec<u8> {
    let mut b: Vec<u8> = ascii(s).into_bytes();
    b.truncate(width);
    b.resize(width, b' ');
    b
}

/// `v` formatted in at most 8 characters, rounded down (`up == false`) or up, or `None` when
/// it does not fit.
fn fit8(v: f64, up: bool) -> Option<String> {
    for p in (0..=7).rev() {
        let m = 10f64.powi(p);
        let r = if up {
            (v * m).ceil() / m
        } else {
            (v * m).floor() / m
        };
        let mut s = format!("{r:.*}", p as usize);
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        if s == "-0" {
            s = "0".into();
        }
        if s.len() <= 8 {
            // Outward rounding must survive the trip through text.
            let back: f64 = s.parse().ok()?;
            if (up && back >= v) || (!up && back <= v) {
                return Some(s);
            }
        }
    }
    None
}

fn format_record_duration(d: f64) -> Option<String> {
    for p in 0..=7 {
        let s = format!("{d:.p$}");
        if s.len() <= 8 && s.parse::<f64>().ok()? == d {
            return Some(s);
        }
    }
    None
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// (year, month, day, hour, minute, second) from `YYYY-MM-DDTHH:MM:SS`.
fn parse_iso(s: &str) -> Option<(i64, u32, u32, u32, u32, u32)> {
    let (date, time) = s.split_once('T')?;
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    if d.len() != 3 || t.len() < 3 {
        return None;
    }
    let sec: f64 = t[2].parse().ok()?;
    let v = (
        d[0].parse().ok()?,
        d[1].parse().ok()?,
        d[2].parse().ok()?,
        t[0].parse().ok()?,
        t[1].parse().ok()?,
        sec as u32,
    );
    ((1..=12).contains(&v.1) && (1..=31).contains(&v.2) && v.3 < 24 && v.4 < 60 && v.5 < 61)
        .then_some(v)
}

/// The current UTC time as (year, month, day, hour, minute, second).
fn now_utc() -> (i64, u32, u32, u32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

fn format_seconds(t: f64) -> String {
    let mut s = format!("{t:.9}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s
}

impl EdfWriter {
    /// Create `path` (truncating it) and write a header with 0 data records.
    ///
    /// `channels` describe the columns of the frames given to [`write_frames`](Self::write_frames);
    /// voltage channels are in µV.
    pub fn create(
        path: &Path,
        channels: &[Channel],
        sample_rate: f64,
        subject: &Subject,
        opts: &WriterOptions,
    ) -> Result<Self> {
        Self::create_with_annotation_space(
            path,
            channels,
            sample_rate,
            subject,
            opts,
            DEFAULT_ANNOTATION_BYTES,
        )
    }

    /// Like [`create`](Self::create) with `annotation_bytes` of annotation space per record
    /// (rounded up to whole samples; at least 64).
    pub fn create_with_annotation_space(
        path: &Path,
        channels: &[Channel],
        sample_rate: f64,
        subject: &Subject,
        opts: &WriterOptions,
        annotation_bytes: usize,
    ) -> Result<Self> {
        if channels.is_empty() {
            return Err(Error::invalid(
                "channels",
                "[]",
                "at least one channel is needed",
            ));
        }
        if channels.len() > 99_998 {
            return Err(Error::invalid(
                "channels",
                channels.len(),
                "EDF allows at most 99999 signals (one is the annotation signal)",
            ));
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(Error::invalid(
                "sample_rate",
                sample_rate,
                "must be positive",
            ));
        }
        let d = opts.record_duration;
        if !(d.is_finite() && d > 0.0) {
            return Err(Error::invalid("record_duration", d, "must be positive"));
        }
        let spr_f = sample_rate * d;
        let spr = spr_f.round();
        if (spr_f - spr).abs() > 1e-9 * spr.max(1.0) || !(1.0..=1e8).contains(&spr) {
            return Err(Error::invalid(
                "record_duration",
                d,
                format!(
                    "sample_rate ({sample_rate}) * record_duration must be a whole number of samples (got {spr_f})"
                ),
            ));
        }
        let spr = spr as usize;
        let duration_txt = format_record_duration(d).ok_or_else(|| {
            Error::invalid(
                "record_duration",
                d,
                "does not fit the 8-character header field",
            )
        })?;

        let (bps, dlo, dhi, flavor_plus): (usize, i32, i32, &str) = match opts.format {
            WriteFormat::Bdf => (3, -8_388_608, 8_388_607, "BDF+C"),
            WriteFormat::Edf => (2, -32_768, 32_767, "EDF+C"),
        };
        let ann_samples = annotation_bytes.max(64).div_ceil(bps);
        let annotation_bytes = ann_samples * bps;

        // Per-channel header strings and the encoding derived from them.
        let mut enc = Vec::with_capacity(channels.len());
        let mut units = Vec::new();
        let mut pmins = Vec::new();
        let mut pmaxs = Vec::new();
        for ch in channels {
            let voltage = ch.unit == "uV";
            let (mut lo, mut hi) = (ch.physical_min, ch.physical_max);
            let declared = lo.is_finite() && hi.is_finite() && hi > lo;
            if !declared {
                lo = -DEFAULT_RANGE_UV;
                hi = DEFAULT_RANGE_UV;
            }
            // A channel that declares its own digital range inside the format's keeps it, so
            // integer data (ADC counts, a 16-bit EDF converted to BDF) is stored without
            // requantization: one file step is one step of the source.
            let (cdlo, cdhi) = match (i32::try_from(ch.digital_min), i32::try_from(ch.digital_max))
            {
                (Ok(a), Ok(b)) if declared && a >= dlo && b <= dhi && a < b => (a, b),
                _ => (dlo, dhi),
            };
            let choices: &[(&str, f64)] = if voltage {
                &[("uV", 1.0), ("mV", 1e-3), ("V", 1e-6)]
            } else {
                &[("", 1.0)]
            };
            let mut chosen = None;
            for &(unit, mul) in choices {
                if let (Some(a), Some(b)) = (fit8(lo * mul, false), fit8(hi * mul, true)) {
                    chosen = Some((unit, mul, a, b));
                    break;
                }
            }
            let (unit, mul, a, b) = chosen.ok_or_else(|| {
                Error::invalid(
                    "physical range",
                    format!("{lo}..{hi} {}", ch.unit),
                    format!(
                        "channel {:?}: does not fit the 8-character header fields",
                        ch.label
                    ),
                )
            })?;
            let unit = if voltage {
                unit.to_string()
            } else {
                ch.unit.clone()
            };
            let pmin: f64 = a.parse().unwrap_or(lo * mul);
            let pmax: f64 = b.parse().unwrap_or(hi * mul);
            let gain = (pmax - pmin) / (cdhi as f64 - cdlo as f64);
            let offset = pmin - cdlo as f64 * gain;
            enc.push(ChannelEncoding {
                to_header_unit: mul,
                gain,
                offset,
                dmin: cdlo,
                dmax: cdhi,
                pmin,
                pmax,
            });
            units.push(unit);
            pmins.push(a);
            pmaxs.push(b);
        }

        // Identification fields.
        let start = subject
            .start
            .as_deref()
            .and_then(parse_iso)
            .unwrap_or_else(now_utc);
        let (patient, recording, date_txt, time_txt) = if opts.anonymize {
            (
                "X X X X".to_string(),
                "Startdate X X X X".to_string(),
                "01.01.85".to_string(),
                "00.00.00".to_string(),
            )
        } else {
            let (y, mo, da, h, mi, s) = start;
            let month = MONTHS[(mo as usize).saturating_sub(1).min(11)];
            let recording = if subject.recording.starts_with("Startdate ") {
                subject.recording.clone()
            } else if subject.recording.trim().is_empty() {
                format!("Startdate {da:02}-{month}-{y:04} X X bci")
            } else {
                format!(
                    "Startdate {da:02}-{month}-{y:04} X X {}",
                    subject.recording.trim().replace(' ', "_")
                )
            };
            let patient = if subject.patient.trim().is_empty() {
                "X X X X".to_string()
            } else {
                subject.patient.clone()
            };
            (
                patient,
                recording,
                format!("{da:02}.{mo:02}.{:02}", y.rem_euclid(100)),
                format!("{h:02}.{mi:02}.{s:02}"),
            )
        };

        let ns = channels.len() + 1;
        let mut header = Vec::with_capacity(256 * (ns + 1));
        match opts.format {
            WriteFormat::Bdf => header.extend_from_slice(b"\xffBIOSEMI"),
            WriteFormat::Edf => header.extend_from_slice(b"0       "),
        }
        header.extend(pad(&patient, 80));
        header.extend(pad(&recording, 80));
        header.extend(pad(&date_txt, 8));
        header.extend(pad(&time_txt, 8));
        header.extend(pad(&(256 * (ns + 1)).to_string(), 8));
        header.extend(pad(flavor_plus, 44));
        header.extend(pad("0", 8));
        header.extend(pad(&duration_txt, 8));
        header.extend(pad(&ns.to_string(), 4));
        let ann_label = match opts.format {
            WriteFormat::Bdf => "BDF Annotations",
            WriteFormat::Edf => "EDF Annotations",
        };
        let field = |h: &mut Vec<u8>, f: &dyn Fn(usize) -> String, ann: &str, w: usize| {
            for i in 0..channels.len() {
                h.extend(pad(&f(i), w));
            }
            h.extend(pad(ann, w));
        };
        field(&mut header, &|i| channels[i].label.clone(), ann_label, 16);
        field(&mut header, &|i| channels[i].transducer.clone(), "", 80);
        field(&mut header, &|i| units[i].clone(), "", 8);
        field(&mut header, &|i| pmins[i].clone(), "-1", 8);
        field(&mut header, &|i| pmaxs[i].clone(), "1", 8);
        field(
            &mut header,
            &|i| enc[i].dmin.to_string(),
            &dlo.to_string(),
            8,
        );
        field(
            &mut header,
            &|i| enc[i].dmax.to_string(),
            &dhi.to_string(),
            8,
        );
        field(&mut header, &|i| channels[i].prefilter.clone(), "", 80);
        field(
            &mut header,
            &|_| spr.to_string(),
            &ann_samples.to_string(),
            8,
        );
        field(&mut header, &|_| String::new(), "", 32);

        let mut file = File::create(path).map_err(|e| io_err(path, e))?;
        file.write_all(&header).map_err(|e| io_err(path, e))?;

        Ok(EdfWriter {
            file,
            path: path.to_path_buf(),
            format: opts.format,
            n_channels: channels.len(),
            samples_per_record: spr,
            record_duration: d,
            sample_rate,
            enc,
            annotation_bytes,
            pending: Vec::with_capacity(spr * channels.len()),
            // Sized once for the auto-write threshold: a live recorder never grows it mid-session.
            out: Vec::with_capacity(AUTO_WRITE_BYTES + (1 << 16)),
            records_encoded: 0,
            records_on_disk: 0,
            queue: VecDeque::new(),
            clipped: vec![0; channels.len()],
            extra_records: 0,
        })
    }

    /// Append frames: frame-major interleaved values (`data[f * n_channels + c]`), voltage
    /// channels in µV. Any number of whole frames.
    pub fn write_frames(&mut self, data: &[f64]) -> Result<()> {
        if !data.len().is_multiple_of(self.n_channels) {
            return Err(Error::invalid(
                "frames",
                data.len(),
                format!(
                    "length must be a multiple of the channel count ({})",
                    self.n_channels
                ),
            ));
        }
        let record_len = self.samples_per_record * self.n_channels;
        let mut rest = data;
        while !rest.is_empty() {
            let take = (record_len - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == record_len {
                self.encode_pending_record();
            }
        }
        if self.out.len() >= AUTO_WRITE_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Queue an event as an EDF+ annotation (onset and duration in samples).
    pub fn write_event(&mut self, event: &Event) -> Result<()> {
        let onset = event.onset as f64 / self.sample_rate;
        let mut tal = format!("+{}", format_seconds(onset)).into_bytes();
        if event.duration > 0 {
            tal.push(0x15);
            tal.extend(format_seconds(event.duration as f64 / self.sample_rate).into_bytes());
        }
        tal.push(0x14);
        let max_text = self
            .annotation_bytes
            .saturating_sub(self.timekeeping_len_bound() + tal.len() + 2);
        let mut text: Vec<u8> = event
            .label
            .bytes()
            .map(|b| {
                if b == 0 || b == 0x14 || b == 0x15 {
                    b' '
                } else {
                    b
                }
            })
            .collect();
        if text.len() > max_text {
            // Cut at a character boundary so the label stays valid UTF-8.
            let mut cut = max_text;
            while cut > 0 && (text[cut] & 0xC0) == 0x80 {
                cut -= 1;
            }
            text.truncate(cut);
        }
        tal.extend(text);
        tal.push(0x14);
        tal.push(0);
        self.queue.push_back(tal);
        Ok(())
    }

    /// Write every complete record to the file and update the header's record count.
    pub fn flush(&mut self) -> Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&self.out)
            .map_err(|e| io_err(&self.path, e))?;
        self.out.clear();
        self.records_on_disk = self.records_encoded;
        self.write_count()
    }

    /// Force written data to the storage device (fsync).
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync_data().map_err(|e| io_err(&self.path, e))
    }

    /// Complete records in the file (and counted in its header).
    pub fn records_on_disk(&self) -> u64 {
        self.records_on_disk
    }

    /// Samples clipped to the physical range so far, per channel.
    pub fn clipped(&self) -> &[u64] {
        &self.clipped
    }

    /// Pad the last partial record with 0 µV, write annotations still waiting, flush.
    pub fn finish(self) -> Result<()> {
        self.finish_report().map(|_| ())
    }

    /// [`finish`](Self::finish), returning what was written.
    pub fn finish_report(mut self) -> Result<WriteReport> {
        if !self.pending.is_empty() {
            let record_len = self.samples_per_record * self.n_channels;
            self.pending.resize(record_len, 0.0);
            self.encode_pending_record();
        }
        while !self.queue.is_empty() {
            self.pending
                .resize(self.samples_per_record * self.n_channels, 0.0);
            self.encode_pending_record();
            self.extra_records += 1;
        }
        self.flush()?;
        self.write_count()?;
        self.file.flush().map_err(|e| io_err(&self.path, e))?;
        Ok(WriteReport {
            records: self.records_on_disk,
            clipped: self.clipped.clone(),
            extra_annotation_records: self.extra_records,
        })
    }

    fn timekeeping_len_bound(&self) -> usize {
        // "+<seconds>" "\x14\x14\x00" with up to 9 decimals and a large record index.
        24
    }

    fn write_count(&mut self) -> Result<()> {
        // The 8-byte ASCII field, space padded, built on the stack (flushes must not allocate).
        let mut count = [b' '; 8];
        let mut n = self.records_on_disk;
        let mut digits = [0u8; 20];
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for (k, d) in digits[..len.min(8)].iter().rev().enumerate() {
            count[k] = *d;
        }
        self.file
            .seek(SeekFrom::Start(236))
            .and_then(|_| self.file.write_all(&count))
            .and_then(|_| self.file.seek(SeekFrom::End(0)).map(|_| ()))
            .map_err(|e| io_err(&self.path, e))
    }

    fn encode_pending_record(&mut self) {
        let spr = self.samples_per_record;
        let nch = self.n_channels;
        let bps = match self.format {
            WriteFormat::Bdf => 3,
            WriteFormat::Edf => 2,
        };
        self.out.reserve(spr * nch * bps + self.annotation_bytes);
        // Frame-major in, channel-major out, transposed in tiles that stay in cache: walking one
        // channel down a whole record strides `nch` × 8 bytes per value, a cache and TLB miss
        // per value at 1,024 channels (the recorder's bottleneck at 30 kHz).
        const TILE_FRAMES: usize = 64;
        const TILE_CHANNELS: usize = 64;
        let start = self.out.len();
        self.out.resize(start + spr * nch * bps, 0);
        let out = &mut self.out[start..];
        for c0 in (0..nch).step_by(TILE_CHANNELS) {
            let c1 = (c0 + TILE_CHANNELS).min(nch);
            for f0 in (0..spr).step_by(TILE_FRAMES) {
                let f1 = (f0 + TILE_FRAMES).min(spr);
                for c in c0..c1 {
                    let e = &self.enc[c];
                    let mut clipped = 0u64;
                    for f in f0..f1 {
                        let v = self.pending[f * nch + c] * e.to_header_unit;
                        let mut x = v;
                        if !(v >= e.pmin && v <= e.pmax) {
                            clipped += 1;
                            x = if v.is_nan() {
                                0.0
                            } else {
                                v.clamp(e.pmin, e.pmax)
                            };
                        }
                        let d = ((x - e.offset) / e.gain).round();
                        let d = (d as i64).clamp(e.dmin as i64, e.dmax as i64) as i32;
                        let at = (c * spr + f) * bps;
                        out[at..at + bps].copy_from_slice(&d.to_le_bytes()[..bps]);
                    }
                    self.clipped[c] += clipped;
                }
            }
        }
        // Annotation signal: time-keeping TAL, then waiting annotations that fit.
        let start = self.out.len();
        let t = self.records_encoded as f64 * self.record_duration;
        // Written in place (no String per record): a live recorder encodes a record every few
        // tens of milliseconds and must not allocate.
        {
            use std::io::Write as _;
            let _ = write!(self.out, "+{t:.9}");
            while self.out.last() == Some(&b'0') {
                self.out.pop();
            }
            if self.out.last() == Some(&b'.') {
                self.out.pop();
            }
            self.out.extend_from_slice(b"\x14\x14\x00");
        }
        while let Some(tal) = self.queue.front() {
            if self.out.len() - start + tal.len() > self.annotation_bytes {
                break;
            }
            if let Some(tal) = self.queue.pop_front() {
                self.out.extend(tal);
            }
        }
        self.out.resize(start + self.annotation_bytes, 0);
        self.pending.clear();
        self.records_encoded += 1;
    }
}

/// A record duration near `preferred` seconds that makes `n_samples` a whole number of records,
/// so nothing is padded: the largest divisor of `n_samples` not above `preferred * rate` samples
/// and at least a quarter of it. Falls back to `preferred` (and padding) when there is none.
pub fn record_duration_for(n_samples: usize, rate: f64, preferred: f64) -> f64 {
    let target = (rate * preferred).round();
    if !(1.0..=1e8).contains(&target) || n_samples == 0 {
        return preferred;
    }
    let target = target as usize;
    if n_samples.is_multiple_of(target) {
        return preferred;
    }
    for d in (target.div_ceil(4)..=target).rev() {
        if n_samples.is_multiple_of(d) {
            let dur = d as f64 / rate;
            // Only durations the 8-character header field holds exactly.
            if format_record_duration(dur).is_some() {
                return dur;
            }
        }
    }
    preferred
}

/// Write a whole recording as EDF+/BDF+ (see [`EdfWriter`]); annotation space is sized so that
/// every event fits in the record where it occurs.
pub fn write_recording(path: &Path, rec: &Recording, opts: &WriterOptions) -> Result<()> {
    write_recording_report(path, rec, opts).map(|_| ())
}

/// Annotation bytes per record that hold the events of the busiest record.
pub fn annotation_space_for(rec: &Recording, record_duration: f64) -> usize {
    let spr = (rec.sample_rate * record_duration).round().max(1.0) as u64;
    let mut per_record: std::collections::BTreeMap<u64, usize> = Default::default();
    for e in &rec.events {
        // onset text, duration text, separators, label
        *per_record.entry(e.onset / spr).or_default() += 40 + e.label.len();
    }
    let busiest = per_record.values().copied().max().unwrap_or(0);
    (busiest + 32).max(DEFAULT_ANNOTATION_BYTES.min(128))
}

/// [`write_recording`] returning the [`WriteReport`] (clipped samples etc.).
pub fn write_recording_report(
    path: &Path,
    rec: &Recording,
    opts: &WriterOptions,
) -> Result<WriteReport> {
    let space = annotation_space_for(rec, opts.record_duration);
    let mut w = EdfWriter::create_with_annotation_space(
        path,
        &rec.channels,
        rec.sample_rate,
        &rec.subject,
        opts,
        space,
    )?;
    let mut events = rec.events.clone();
    events.sort_by_key(|e| e.onset);
    let mut next_event = 0;
    let nch = rec.n_channels();
    let spr = w.samples_per_record;
    let mut frames = vec![0.0; spr * nch];
    let n = rec.n_samples();
    let mut s = 0;
    while s < n {
        let end = (s + spr).min(n);
        // Events of this record go in with it.
        while next_event < events.len() && events[next_event].onset < end as u64 {
            w.write_event(&events[next_event])?;
            next_event += 1;
        }
        frames.resize((end - s) * nch, 0.0);
        for (c, row) in rec.data.rows().into_iter().enumerate() {
            for f in s..end {
                frames[(f - s) * nch + c] = row[f];
            }
        }
        w.write_frames(&frames)?;
        s = end;
    }
    for e in &events[next_event..] {
        w.write_event(e)?;
    }
    w.finish_report()
}
