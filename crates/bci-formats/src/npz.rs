//! numpy `.npz` recordings in the bi2012 "NY" layout (Eegle.jl), with their `.yml` sidecar.
//!
//! What it promises:
//! - The zip container is parsed from its central directory; members may be stored or
//!   deflated (zip64 size fields are understood). Each `.npy` member's header (`descr`,
//!   `fortran_order`, `shape`) is parsed; little-endian ints/uints/floats of 1-8 bytes are read.
//! - `data` (samples × channels) becomes the recording; `stim` (samples) gives events at its
//!   non-zero samples, labelled through the sidecar's `stim: labels:` map (`nontarget: 1`,
//!   `target: 2`), else by the number.
//! - The sidecar `<name>.yml` gives `samplingrate` and `sensors` (channel names). Columns beyond
//!   the listed sensors are kept as misc channels named `col<k>` (bi2012's undocumented 17th).
//! - Units are not documented by the dataset: values are read as they are (unit left empty),
//!   nothing is rescaled.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use bci_core::{Channel, ChannelKind, Event, Recording, Result, Subject};
use ndarray::Array2;

use crate::util::{Bytes, byte_err, field_err, unsupported, whole_err};

/// Largest inflated member we accept (guards against zip bombs).
const MAX_MEMBER: u64 = 1 << 32;

/// One decoded `.npy` array: row-major shape and values.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    /// Values in C (row-major) order.
    pub data: Vec<f64>,
}

/// Every member of a zip archive as (name, bytes).
pub fn zip_members(bytes: &[u8], path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let b = Bytes::new(bytes, path);
    // End of central directory: the last "PK\x05\x06" within the final 64 KiB + 22 bytes.
    let lo = bytes.len().saturating_sub(65_557);
    let eocd = (lo..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(|| {
            whole_err(
                path,
                "no zip end-of-central-directory record; the .npz is truncated or not a zip",
            )
        })?;
    let n_entries = b.u16(eocd + 10, "zip entry count")? as usize;
    let mut cd = b.u32(eocd + 16, "zip central directory offset")? as usize;
    let mut out = Vec::with_capacity(n_entries);
    for _ in 0..n_entries {
        if b.u32(cd, "zip central directory entry")? != 0x0201_4b50 {
            return Err(byte_err(
                path,
                cd as u64,
                "bad zip central directory signature",
            ));
        }
        let method = b.u16(cd + 10, "compression method")?;
        let mut csize = b.u32(cd + 20, "compressed size")? as u64;
        let mut usize_ = b.u32(cd + 24, "uncompressed size")? as u64;
        let name_len = b.u16(cd + 28, "file name length")? as usize;
        let extra_len = b.u16(cd + 30, "extra field length")? as usize;
        let comment_len = b.u16(cd + 32, "comment length")? as usize;
        let mut local = b.u32(cd + 42, "local header offset")? as u64;
        let name = String::from_utf8_lossy(b.slice(cd + 46, name_len, "file name")?).into_owned();
        // zip64 extra field: the 0xFFFFFFFF fields follow in order.
        let extra = b.slice(cd + 46 + name_len, extra_len, "extra field")?;
        let mut k = 0;
        while k + 4 <= extra.len() {
            let id = u16::from_le_bytes([extra[k], extra[k + 1]]);
            let len = u16::from_le_bytes([extra[k + 2], extra[k + 3]]) as usize;
            let body = extra.get(k + 4..k + 4 + len).unwrap_or(&[]);
            if id == 1 {
                let mut vals = body
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
                if usize_ == 0xFFFF_FFFF {
                    usize_ = vals.next().unwrap_or(0);
                }
                if csize == 0xFFFF_FFFF {
                    csize = vals.next().unwrap_or(0);
                }
                if local == 0xFFFF_FFFF {
                    local = vals.next().unwrap_or(0);
                }
            }
            k += 4 + len;
        }
        cd += 46 + name_len + extra_len + comment_len;
        let local = usize::try_from(local).unwrap_or(usize::MAX);
        if b.u32(local, "zip local header")? != 0x0403_4b50 {
            return Err(byte_err(
                path,
                local as u64,
                format!("bad zip local header signature for member {name:?}"),
            ));
        }
        let lname = b.u16(local + 26, "local name length")? as usize;
        let lextra = b.u16(local + 28, "local extra length")? as usize;
        let start = local + 30 + lname + lextra;
        let comp = b.slice(
            start,
            usize::try_from(csize).unwrap_or(usize::MAX),
            &format!("zip member {name:?}"),
        )?;
        let data = match method {
            0 => comp.to_vec(),
            8 => {
                let mut v = Vec::new();
                flate2::read::DeflateDecoder::new(comp)
                    .take(MAX_MEMBER)
                    .read_to_end(&mut v)
                    .map_err(|e| {
                        byte_err(
                            path,
                            start as u64,
                            format!("zip member {name:?} does not inflate: {e}"),
                        )
                    })?;
                v
            }
            m => {
                return Err(unsupported(
                    path,
                    format!(
                        "zip member {name:?} uses compression method {m} (only stored and deflate are read)"
                    ),
                ));
            }
        };
        if data.len() as u64 != usize_ {
            return Err(byte_err(
                path,
                start as u64,
                format!(
                    "zip member {name:?} has {} bytes, its header says {usize_}",
                    data.len()
                ),
            ));
        }
        out.push((name, data));
    }
    Ok(out)
}

/// Parse one `.npy` file.
pub fn parse_npy(bytes: &[u8], path: &Path, member: &str) -> Result<NpyArray> {
    let ferr = |m: String| field_err(path, format!("npz member {member:?}"), m);
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
        return Err(ferr("no \\x93NUMPY magic; not a .npy array".into()));
    }
    let (hlen, hstart): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            let b = bytes
                .get(8..12)
                .ok_or_else(|| ferr("header cut off".into()))?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        v => return Err(ferr(format!(".npy version {v} is not supported"))),
    };
    let header = bytes
        .get(hstart..hstart.saturating_add(hlen))
        .ok_or_else(|| ferr("header runs past the end of the member".into()))?;
    let header = String::from_utf8_lossy(header);
    let descr = dict_value(&header, "descr")
        .ok_or_else(|| ferr(format!("no 'descr' in header {header:?}")))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(&header, "fortran_order").is_some_and(|v| v.starts_with("True"));
    let shape_txt =
        dict_value(&header, "shape").ok_or_else(|| ferr("no 'shape' in header".into()))?;
    let shape: Vec<usize> = shape_txt
        .trim_start_matches('(')
        .split([',', ')'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| ferr(format!("shape {shape_txt:?} is not a tuple of sizes")))
        })
        .collect::<Result<_>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| ferr("shape overflows".into()))?;
    let (kind, size) = {
        let d = descr.as_bytes();
        if d.len() < 3 || (d[0] == b'>' && d[2] != b'1') {
            return Err(ferr(format!(
                "dtype {descr:?} is not supported (little-endian numbers only)"
            )));
        }
        let size: usize = descr
            .get(2..)
            .unwrap_or("")
            .parse()
            .map_err(|_| ferr(format!("dtype {descr:?} is not supported")))?;
        (d[1], size)
    };
    let body = &bytes[(hstart + hlen).min(bytes.len())..];
    let need = count
        .checked_mul(size)
        .ok_or_else(|| ferr("size overflows".into()))?;
    if body.len() < need {
        return Err(ferr(format!(
            "holds {} data bytes, shape {shape:?} of {descr} needs {need}",
            body.len()
        )));
    }
    let body = &body[..need];
    let conv: fn(&[u8]) -> f64 = match (kind, size) {
        (b'f', 4) => |c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
        (b'f', 8) => |c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        (b'i', 1) => |c| c[0] as i8 as f64,
        (b'u', 1) | (b'b', 1) => |c| c[0] as f64,
        (b'i', 2) => |c| i16::from_le_bytes([c[0], c[1]]) as f64,
        (b'u', 2) => |c| u16::from_le_bytes([c[0], c[1]]) as f64,
        (b'i', 4) => |c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
        (b'u', 4) => |c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
        (b'i', 8) => {
            |c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64
        }
        (b'u', 8) => {
            |c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64
        }
        _ => return Err(ferr(format!("dtype {descr:?} is not supported"))),
    };
    let raw: Vec<f64> = body.chunks_exact(size).map(conv).collect();
    let data = if fortran && shape.len() == 2 {
        let (r, c) = (shape[0], shape[1]);
        let mut d = vec![0.0; count];
        for j in 0..c {
            for i in 0..r {
                d[i * c + j] = raw[j * r + i];
            }
        }
        d
    } else {
        raw
    };
    Ok(NpyArray { shape, data })
}

/// The text after `'key':` up to the next top-level comma in a Python dict literal.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let k = header.find(&format!("'{key}'"))?;
    let rest = header[k + key.len() + 2..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    let mut depth = 0;
    for (i, ch) in rest.char_indices() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    Some(rest.trim())
}

/// What the `.yml` sidecar tells: rate, sensor names, stim labels (value → name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sidecar {
    pub sample_rate: Option<f64>,
    pub sensors: Vec<String>,
    pub stim_labels: BTreeMap<i64, String>,
}

/// Parse the few keys we need from the sidecar (a small YAML subset: `key: value` and
/// `- item` lists, nesting by indentation).
pub fn parse_sidecar(text: &str) -> Sidecar {
    let mut sc = Sidecar::default();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if let Some(item) = t.strip_prefix("- ") {
            if stack.last().is_some_and(|(_, k)| k == "sensors") {
                sc.sensors.push(item.trim().to_string());
            }
            continue;
        }
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        let parent = stack.last().map(|(_, p)| p.as_str()).unwrap_or("");
        if k == "samplingrate" {
            sc.sample_rate = v.parse().ok();
        } else if parent == "labels"
            && stack.iter().any(|(_, p)| p == "stim")
            && let Ok(code) = v.parse::<i64>()
        {
            sc.stim_labels.insert(code, k.to_string());
        }
        if v.is_empty() {
            stack.push((indent, k.to_string()));
        }
    }
    sc
}

/// Read a bi2012-style `.npz` with its sidecar text (if any); `path` names the file.
pub fn read_npz_with_sidecar(
    bytes: &[u8],
    sidecar: Option<&str>,
    path: &Path,
) -> Result<Recording> {
    let members = zip_members(bytes, path)?;
    let get = |name: &str| {
        members
            .iter()
            .find(|(n, _)| n == name || n.trim_end_matches(".npy") == name)
    };
    let (dname, dbytes) = get("data").ok_or_else(|| {
        whole_err(
            path,
            format!(
                "no 'data' array in the .npz (members: {:?})",
                members.iter().map(|m| &m.0).collect::<Vec<_>>()
            ),
        )
    })?;
    let data = parse_npy(dbytes, path, dname)?;
    if data.shape.len() != 2 {
        return Err(field_err(
            path,
            "npz member \"data.npy\"",
            format!("shape {:?} is not samples x channels", data.shape),
        ));
    }
    let (n, nch) = (data.shape[0], data.shape[1]);
    let sc = sidecar.map(parse_sidecar).unwrap_or_default();
    let rate = sc.sample_rate.ok_or_else(|| {
        whole_err(
            path,
            format!(
                "no sampling rate: the sidecar {} with a `samplingrate:` key is needed",
                sidecar_path(path).display()
            ),
        )
    })?;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(whole_err(
            path,
            format!("sampling rate {rate} in the sidecar is not positive"),
        ));
    }
    let mut arr = Array2::<f64>::zeros((nch, n));
    for s in 0..n {
        for c in 0..nch {
            arr[[c, s]] = data.data[s * nch + c];
        }
    }
    let mut events = Vec::new();
    if let Some((sname, sbytes)) = get("stim") {
        let stim = parse_npy(sbytes, path, sname)?;
        if stim.data.len() != n {
            return Err(field_err(
                path,
                "npz member \"stim.npy\"",
                format!("{} values but data has {n} samples", stim.data.len()),
            ));
        }
        for (s, &v) in stim.data.iter().enumerate() {
            if v != 0.0 {
                let code = v as i64;
                let label = sc
                    .stim_labels
                    .get(&code)
                    .cloned()
                    .unwrap_or_else(|| code.to_string());
                events.push(Event {
                    onset: s as u64,
                    duration: 0,
                    label,
                });
            }
        }
    }
    let channels = (0..nch)
        .map(|c| {
            let (label, kind) = match sc.sensors.get(c) {
                Some(s) => (s.clone(), ChannelKind::Eeg),
                None => (format!("col{}", c + 1), ChannelKind::Misc),
            };
            let r = arr.row(c);
            let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Channel {
                label,
                kind,
                unit: String::new(),
                physical_min: if lo.is_finite() { lo } else { 0.0 },
                physical_max: if hi.is_finite() { hi } else { 0.0 },
                digital_min: 0,
                digital_max: 0,
                transducer: String::new(),
                prefilter: String::new(),
            }
        })
        .collect();
    Ok(Recording {
        channels,
        sample_rate: rate,
        data: arr,
        events,
        subject: Subject::default(),
        format: "numpy npz (bi2012 NY layout)".into(),
    })
}

/// `<file>.yml` beside `path`.
pub fn sidecar_path(path: &Path) -> PathBuf {
    path.with_extension("yml")
}

/// [`crate::FormatReader`] for `.npz` recordings.
pub struct NpzReader;

impl crate::FormatReader for NpzReader {
    fn name(&self) -> &'static str {
        "npz"
    }
    fn sniff(&self, head: &[u8]) -> bool {
        head.starts_with(b"PK\x03\x04")
    }
    fn extension_matches(&self, ext: &str) -> bool {
        ext == "npz"
    }
    fn read_bytes(&self, bytes: &[u8], path: &Path) -> Result<Recording> {
        let side = sidecar_path(path);
        let text = std::fs::read_to_string(&side).ok();
        read_npz_with_sidecar(bytes, text.as_deref(), path)
    }
}
