//! GDF 1.x and 2.x reading (as written by OpenViBE and BioSig).
//!
//! What it promises:
//! - Fixed header, per-channel variable header and data records are read with every offset
//!   checked; errors name the field or byte offset.
//! - Data types int8/uint8/int16/uint16/int32/uint32/int64/uint64/float32/float64, each channel
//!   may have its own; all channels must share one samples-per-record (one rate).
//! - Scaling as MNE: `gain = (pmax - pmin) / (dmax - dmin)`, `offset = pmin - dmin * gain`,
//!   then to µV from the unit (GDF 1: text such as `uV`; GDF 2: physical-dimension code, 4256 +
//!   SI prefix: V, mV, µV, nV).
//! - Events from the event table (mode 1: position and type; mode 3: plus channel and duration):
//!   onset sample = position - 1 (GDF positions are 1-based), duration = max(duration, 1) samples,
//!   label = the numeric type code in decimal (`"33024"`), exactly as MNE's annotations;
//!   events at or past the end of the data are dropped, as MNE drops them.
//! - The header's record count must fit the file; otherwise the error names both numbers.

use std::path::Path;

use bci_core::{Channel, Event, Recording, Result, Subject};
use ndarray::Array2;

use crate::util::{
    Bytes, field_err, kind_from_label, latin1, unsupported, volt_unit_to_uv, whole_err,
};

#[derive(Debug, Clone)]
struct GdfSignal {
    label: String,
    transducer: String,
    unit_uv: Option<f64>,
    unit: String,
    pmin: f64,
    pmax: f64,
    dmin: f64,
    dmax: f64,
    prefilter: String,
    spr: usize,
    gdftype: u32,
}

/// Header text without the NUL padding OpenViBE leaves in GDF fields, nor spaces.
fn clean(s: &str) -> String {
    s.split('\0').next().unwrap_or("").trim().to_string()
}

fn type_size(t: u32) -> Option<usize> {
    Some(match t {
        1 | 2 => 1,
        3 | 4 => 2,
        5 | 6 | 16 => 4,
        7 | 8 | 17 => 8,
        _ => return None,
    })
}

fn decode(t: u32, b: &[u8]) -> f64 {
    match t {
        1 => b[0] as i8 as f64,
        2 => b[0] as f64,
        3 => i16::from_le_bytes([b[0], b[1]]) as f64,
        4 => u16::from_le_bytes([b[0], b[1]]) as f64,
        5 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
        6 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
        16 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
        7 => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f64,
        8 => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f64,
        _ => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
    }
}

/// µV multiplier for a GDF 2 physical-dimension code (4256 = V plus an SI-prefix code).
fn gdf2_unit(code: u16) -> (Option<f64>, String) {
    if code & 0xFFE0 == 4256 {
        let m = match code & 31 {
            0 => Some(1e6),
            18 => Some(1e3),
            19 => Some(1.0),
            20 => Some(1e-3),
            _ => None,
        };
        if m.is_some() {
            return (m, "uV".into());
        }
    }
    (
        None,
        if code == 512 {
            String::new()
        } else {
            format!("code {code}")
        },
    )
}

/// Read a GDF file from memory; `path` is used in messages.
pub fn read_gdf_bytes(bytes: &[u8], path: &Path) -> Result<Recording> {
    if bytes.is_empty() {
        return Err(whole_err(path, "the file is empty (0 bytes)"));
    }
    let b = Bytes::new(bytes, path);
    let version_raw = b.slice(0, 8, "header field \"version\" (bytes 0..8)")?;
    let version = latin1(version_raw);
    if !version.starts_with("GDF") {
        return Err(field_err(
            path,
            "header field \"version\" (bytes 0..8)",
            format!("{version:?} does not start with \"GDF\"; this is not a GDF file"),
        ));
    }
    let number: f64 = version.get(4..).unwrap_or("").trim().parse().map_err(|_| {
        field_err(
            path,
            "header field \"version\" (bytes 0..8)",
            format!("{version:?} has no version number after \"GDF \""),
        )
    })?;
    let v2 = number >= 1.9;
    let fixed = b.slice(0, 256, "the 256-byte fixed header")?;
    let patient;
    let recording;
    let header_len: u64;
    let n_records: i64;
    let (dur_num, dur_den): (u32, u32);
    let ns: usize;
    if v2 {
        patient = clean(&latin1(&fixed[8..74]));
        recording = clean(&latin1(&fixed[88..152]));
        header_len = b.u16(184, "header length")? as u64 * 256;
        n_records = b.i64(236, "number of data records")?;
        dur_num = b.u32(244, "record duration")?;
        dur_den = b.u32(248, "record duration")?;
        ns = b.u16(252, "number of signals")? as usize;
    } else {
        patient = clean(&latin1(&fixed[8..88]));
        recording = clean(&latin1(&fixed[88..168]));
        let hl = b.i64(184, "header length")?;
        header_len = u64::try_from(hl).map_err(|_| {
            field_err(
                path,
                "header field \"header length\" (bytes 184..192)",
                format!("{hl} is negative"),
            )
        })?;
        n_records = b.i64(236, "number of data records")?;
        dur_num = b.u32(244, "record duration")?;
        dur_den = b.u32(248, "record duration")?;
        ns = b.u32(252, "number of signals")? as usize;
    }
    if ns > 65_535 {
        return Err(field_err(
            path,
            "header field \"number of signals\" (bytes 252..256)",
            format!("{ns} signals is more than GDF allows"),
        ));
    }
    let needed = 256 * (ns as u64 + 1);
    if header_len < needed {
        return Err(field_err(
            path,
            "header field \"header length\" (bytes 184..192)",
            format!("{header_len} bytes cannot hold {ns} signals ({needed} bytes needed)"),
        ));
    }
    if header_len > bytes.len() as u64 {
        return Err(field_err(
            path,
            "header field \"header length\" (bytes 184..192)",
            format!(
                "says the header is {header_len} bytes but the file has only {} bytes; the file is truncated",
                bytes.len()
            ),
        ));
    }
    let header_len = header_len as usize;
    // Per-channel fields are stored field by field: all labels, then all transducers, ...
    let text = |start: usize, w: usize, i: usize| -> Result<String> {
        Ok(clean(&latin1(b.slice(
            start + w * i,
            w,
            "signal header",
        )?)))
    };
    let mut signals = Vec::with_capacity(ns);
    let base = 256;
    for i in 0..ns {
        let label = text(base, 16, i)?;
        let transducer = text(base + 16 * ns, 80, i)?;
        let (unit_uv, unit, pmin, pmax, dmin, dmax, prefilter, spr, gdftype);
        if v2 {
            let code = b.u16(base + 102 * ns + 2 * i, "physical dimension code")?;
            (unit_uv, unit) = gdf2_unit(code);
            pmin = b.f64(base + 104 * ns + 8 * i, "physical minimum")?;
            pmax = b.f64(base + 112 * ns + 8 * i, "physical maximum")?;
            dmin = b.f64(base + 120 * ns + 8 * i, "digital minimum")?;
            dmax = b.f64(base + 128 * ns + 8 * i, "digital maximum")?;
            let lp = b.f32(base + 204 * ns + 4 * i, "lowpass")?;
            let hp = b.f32(base + 208 * ns + 4 * i, "highpass")?;
            prefilter = format!("HP:{hp}Hz LP:{lp}Hz");
            spr = b.u32(base + 216 * ns + 4 * i, "samples per record")?;
            gdftype = b.u32(base + 220 * ns + 4 * i, "data type")?;
        } else {
            let u = text(base + 96 * ns, 8, i)?;
            unit_uv = volt_unit_to_uv(&u);
            unit = if unit_uv.is_some() {
                "uV".to_string()
            } else {
                u
            };
            pmin = b.f64(base + 104 * ns + 8 * i, "physical minimum")?;
            pmax = b.f64(base + 112 * ns + 8 * i, "physical maximum")?;
            dmin = b.i64(base + 120 * ns + 8 * i, "digital minimum")? as f64;
            dmax = b.i64(base + 128 * ns + 8 * i, "digital maximum")? as f64;
            prefilter = text(base + 136 * ns, 80, i)?;
            spr = b.u32(base + 216 * ns + 4 * i, "samples per record")?;
            gdftype = b.u32(base + 220 * ns + 4 * i, "data type")?;
        }
        let sig_field = |name: &str, off: usize, w: usize| {
            format!(
                "header field \"{name}\" of signal {} {:?} (bytes {}..{})",
                i + 1,
                label,
                off,
                off + w
            )
        };
        if type_size(gdftype).is_none() {
            return Err(field_err(
                path,
                sig_field("data type", base + 220 * ns + 4 * i, 4),
                format!("GDF data type {gdftype} is not supported (1-8, 16, 17 are)"),
            ));
        }
        if !(pmin.is_finite() && pmax.is_finite() && dmin.is_finite() && dmax.is_finite())
            || dmax == dmin
            || pmax == pmin
        {
            return Err(field_err(
                path,
                sig_field("physical/digital range", base + 104 * ns + 8 * i, 8),
                format!(
                    "physical {pmin}..{pmax}, digital {dmin}..{dmax}: the scaling is undefined"
                ),
            ));
        }
        if spr > 10_000_000 {
            return Err(field_err(
                path,
                sig_field("samples per record", base + 216 * ns + 4 * i, 4),
                format!("{spr} is implausibly large"),
            ));
        }
        signals.push(GdfSignal {
            label,
            transducer,
            unit_uv,
            unit,
            pmin,
            pmax,
            dmin,
            dmax,
            prefilter,
            spr: spr as usize,
            gdftype,
        });
    }
    let spr = signals.first().map(|s| s.spr).unwrap_or(0);
    if let Some(odd) = signals.iter().find(|s| s.spr != spr) {
        return Err(unsupported(
            path,
            format!(
                "channels have different sampling rates: {:?} has {} samples per record, {:?} has {}; mixed-rate GDF files are not read",
                signals[0].label, spr, odd.label, odd.spr
            ),
        ));
    }
    if dur_num == 0 || dur_den == 0 {
        return Err(field_err(
            path,
            "header field \"duration of a data record\" (bytes 244..252)",
            format!("{dur_num}/{dur_den} s is not a valid duration"),
        ));
    }
    let rate = spr as f64 * dur_den as f64 / dur_num as f64;

    let mut offs = Vec::with_capacity(ns);
    let mut record_bytes = 0usize;
    for s in &signals {
        offs.push(record_bytes);
        record_bytes += s.spr * type_size(s.gdftype).unwrap_or(8);
    }
    let available = bytes.len() - header_len;
    let n_records: usize = if record_bytes == 0 {
        // Records without samples hold nothing; a huge count must not become a huge loop.
        0
    } else if n_records == -1 {
        available.checked_div(record_bytes).unwrap_or(0)
    } else {
        let n = u64::try_from(n_records).map_err(|_| {
            field_err(
                path,
                "header field \"number of data records\" (bytes 236..244)",
                format!("{n_records} is negative"),
            )
        })?;
        let need = n as u128 * record_bytes as u128;
        if need > available as u128 {
            return Err(field_err(
                path,
                "header field \"number of data records\" (bytes 236..244)",
                format!(
                    "the header says {n} data records ({need} bytes of {record_bytes}-byte records) but the file holds only {available} bytes after the header ({} complete records); the file is truncated or the header is wrong",
                    available.checked_div(record_bytes).unwrap_or(0)
                ),
            ));
        }
        n as usize
    };
    let n_samples = n_records * spr;
    let mut data = Array2::<f64>::zeros((ns, n_samples));
    let mut channels = Vec::with_capacity(ns);
    if let Some(out) = data.as_slice_mut() {
        for (c, s) in signals.iter().enumerate() {
            let gain = (s.pmax - s.pmin) / (s.dmax - s.dmin);
            let offset = s.pmin - s.dmin * gain;
            let mul = s.unit_uv.unwrap_or(1.0);
            let size = type_size(s.gdftype).unwrap_or(8);
            let row = &mut out[c * n_samples..(c + 1) * n_samples];
            for r in 0..n_records {
                let start = header_len + r * record_bytes + offs[c];
                let src = &bytes[start..start + spr * size];
                for (v, x) in row[r * spr..(r + 1) * spr]
                    .iter_mut()
                    .zip(src.chunks_exact(size))
                {
                    *v = (decode(s.gdftype, x) * gain + offset) * mul;
                }
            }
            channels.push(Channel {
                label: s.label.clone(),
                kind: kind_from_label(&s.label, s.unit_uv.is_some()),
                unit: s.unit.clone(),
                physical_min: s.pmin * mul,
                physical_max: s.pmax * mul,
                digital_min: s.dmin as i64,
                digital_max: s.dmax as i64,
                transducer: s.transducer.clone(),
                prefilter: s.prefilter.clone(),
            });
        }
    }

    // Event table.
    let etp = header_len + n_records * record_bytes;
    let mut events = Vec::new();
    if etp < bytes.len() {
        let mode = b.u8(etp, "event table mode")?;
        if mode != 1 && mode != 3 {
            return Err(crate::util::byte_err(
                path,
                etp as u64,
                format!("event table mode {mode} is not 1 or 3"),
            ));
        }
        let n_events = if number < 1.94 {
            b.u32(etp + 4, "number of events")? as usize
        } else {
            let ne = b.array::<3>(etp + 1, "number of events")?;
            u32::from_le_bytes([ne[0], ne[1], ne[2], 0]) as usize
        };
        let per_event = if mode == 3 { 12 } else { 6 };
        let table = etp + 8;
        b.slice(table, n_events.saturating_mul(per_event), "the event table")?;
        for k in 0..n_events {
            let pos = b.u32(table + 4 * k, "event position")?;
            let typ = b.u16(table + 4 * n_events + 2 * k, "event type")?;
            let dur = if mode == 3 {
                b.u32(
                    table + 6 * n_events + 2 * n_events + 4 * k,
                    "event duration",
                )?
            } else {
                1
            };
            events.push(Event {
                onset: u64::from(pos.saturating_sub(1)),
                duration: u64::from(dur.max(1)),
                label: typ.to_string(),
            });
        }
        // Like MNE, events past the end of the data are dropped (OpenViBE writes its
        // ExperimentStop after the last record).
        events.retain(|e| e.onset < n_samples as u64);
        events.sort_by_key(|e| e.onset);
    }

    Ok(Recording {
        channels,
        sample_rate: rate,
        data,
        events,
        subject: Subject {
            patient,
            recording,
            start: None,
        },
        format: format!("GDF {number:.2}"),
    })
}

/// [`crate::FormatReader`] for GDF 1.x/2.x.
pub struct GdfReader;

impl crate::FormatReader for GdfReader {
    fn name(&self) -> &'static str {
        "gdf"
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"GDF ")
    }
    fn extension_matches(&self, ext: &str) -> bool {
        ext == "gdf"
    }
    fn read_bytes(&self, bytes: &[u8], path: &Path) -> Result<Recording> {
        read_gdf_bytes(bytes, path)
    }
}
