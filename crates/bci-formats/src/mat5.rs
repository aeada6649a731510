//! A small MATLAB v5 (.mat) reader: numeric arrays, char arrays, cells and structs, with
//! compressed (zlib) elements. Little-endian files only (every MATLAB since 2000 on x86/ARM).
//! Enough for EEGLAB `.set` headers; sparse arrays and objects are read as [`MatValue::Other`].

use std::io::Read;
use std::path::Path;

use bci_core::Result;

use crate::util::{byte_err, unsupported, whole_err};

/// A decoded MATLAB value. Arrays are column-major, as MATLAB stores them.
#[derive(Debug, Clone, PartialEq)]
pub enum MatValue {
    Num {
        dims: Vec<usize>,
        data: Vec<f64>,
    },
    Char(String),
    Cell {
        dims: Vec<usize>,
        items: Vec<MatValue>,
    },
    Struct {
        dims: Vec<usize>,
        fields: Vec<String>,
        items: Vec<Vec<MatValue>>,
    },
    Other,
}

impl MatValue {
    /// The field `name` of struct element `i`.
    pub fn field(&self, i: usize, name: &str) -> Option<&MatValue> {
        match self {
            MatValue::Struct { fields, items, .. } => {
                let k = fields.iter().position(|f| f == name)?;
                items.get(i)?.get(k)
            }
            _ => None,
        }
    }

    /// Number of elements of a struct or cell array.
    pub fn len(&self) -> usize {
        match self {
            MatValue::Struct { items, .. } => items.len(),
            MatValue::Cell { items, .. } => items.len(),
            MatValue::Num { data, .. } => data.len(),
            _ => 0,
        }
    }

    /// First number of a numeric array.
    pub fn scalar(&self) -> Option<f64> {
        match self {
            MatValue::Num { data, .. } => data.first().copied(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            MatValue::Char(s) => Some(s),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 32;
/// Largest decompressed element we accept (guards against zip bombs).
const MAX_INFLATED: u64 = 1 << 31;

struct Parser<'a> {
    path: &'a Path,
}

/// One data element: its type, payload and the offset (in the outer buffer) of its payload.
struct Element<'b> {
    typ: u32,
    data: &'b [u8],
    next: usize,
    base: usize,
}

impl Parser<'_> {
    fn element<'b>(&self, buf: &'b [u8], pos: usize, base: usize) -> Result<Element<'b>> {
        let at = |p: usize| (base + p) as u64;
        let tag = buf.get(pos..pos + 8).ok_or_else(|| {
            byte_err(
                self.path,
                at(pos),
                "MAT data element tag is cut off; the file is truncated",
            )
        })?;
        let first = u32::from_le_bytes([tag[0], tag[1], tag[2], tag[3]]);
        if first >> 16 != 0 {
            // Small data element: type and size packed in 4 bytes, data in the next 4.
            let typ = first & 0xFFFF;
            let n = (first >> 16) as usize;
            if n > 4 {
                return Err(byte_err(
                    self.path,
                    at(pos),
                    format!("small MAT element claims {n} bytes (at most 4)"),
                ));
            }
            return Ok(Element {
                typ,
                data: &tag[4..4 + n],
                next: pos + 8,
                base: base + pos + 4,
            });
        }
        let n = u32::from_le_bytes([tag[4], tag[5], tag[6], tag[7]]) as usize;
        let start = pos + 8;
        let data = buf.get(start..start.saturating_add(n)).ok_or_else(|| {
            byte_err(
                self.path,
                at(pos),
                format!(
                    "MAT data element of {n} bytes runs past the end of its container ({} bytes left); the file is truncated",
                    buf.len().saturating_sub(start)
                ),
            )
        })?;
        // Compressed elements are not padded; others are padded to 8 bytes.
        let next = if first == 15 {
            start + n
        } else {
            start + n.div_ceil(8) * 8
        };
        Ok(Element {
            typ: first,
            data,
            next,
            base: base + start,
        })
    }

    /// All top-level variables of a MAT file (after its 128-byte header).
    fn variables(&self, bytes: &[u8]) -> Result<Vec<(String, MatValue)>> {
        if bytes.len() < 128 || !bytes.starts_with(b"MATLAB 5.0") {
            return Err(whole_err(
                self.path,
                "not a MATLAB 5.0 MAT-file (no \"MATLAB 5.0\" header of 128 bytes)",
            ));
        }
        if &bytes[126..128] != b"IM" {
            return Err(unsupported(
                self.path,
                "big-endian MAT-file (endian indicator \"MI\"); only little-endian files are read",
            ));
        }
        let mut out = Vec::new();
        let mut pos = 128;
        while pos + 8 <= bytes.len() {
            let el = self.element(bytes, pos, 0)?;
            pos = el.next;
            let (name, value) = self.top(el)?;
            out.push((name, value));
        }
        Ok(out)
    }

    fn top(&self, el: Element<'_>) -> Result<(String, MatValue)> {
        match el.typ {
            14 => self.matrix(el.data, el.base, 0),
            15 => {
                let mut inflated = Vec::new();
                flate2::read::ZlibDecoder::new(el.data)
                    .take(MAX_INFLATED)
                    .read_to_end(&mut inflated)
                    .map_err(|e| {
                        byte_err(
                            self.path,
                            el.base as u64,
                            format!("compressed MAT element does not inflate: {e}"),
                        )
                    })?;
                let inner = self.element(&inflated, 0, el.base)?;
                if inner.typ != 14 {
                    return Ok((String::new(), MatValue::Other));
                }
                // Offsets inside inflated data are reported relative to the compressed element.
                self.matrix(inner.data, el.base, 0)
            }
            _ => Ok((String::new(), MatValue::Other)),
        }
    }

    /// Parse the payload of a miMATRIX element; returns (array name, value).
    fn matrix(&self, buf: &[u8], base: usize, depth: usize) -> Result<(String, MatValue)> {
        if depth > MAX_DEPTH {
            return Err(byte_err(
                self.path,
                base as u64,
                "MAT arrays nested too deeply",
            ));
        }
        if buf.is_empty() {
            return Ok((
                String::new(),
                MatValue::Num {
                    dims: vec![0, 0],
                    data: vec![],
                },
            ));
        }
        let flags = self.element(buf, 0, base)?;
        if flags.data.len() < 8 {
            return Err(byte_err(
                self.path,
                flags.base as u64,
                "MAT array flags element is shorter than 8 bytes",
            ));
        }
        let class = flags.data[0];
        let complex = flags.data[1] & 0x08 != 0;
        let dims_el = self.element(buf, flags.next, base)?;
        let dims: Vec<usize> = numbers(dims_el.typ, dims_el.data)
            .ok_or_else(|| {
                byte_err(
                    self.path,
                    dims_el.base as u64,
                    "MAT dimensions element has an unknown type",
                )
            })?
            .into_iter()
            .map(|d| {
                if (0.0..1e12).contains(&d) {
                    d as usize
                } else {
                    0
                }
            })
            .collect();
        let count = dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| {
                byte_err(
                    self.path,
                    dims_el.base as u64,
                    format!("MAT dimensions {dims:?} overflow"),
                )
            })?;
        let name_el = self.element(buf, dims_el.next, base)?;
        let name = String::from_utf8_lossy(name_el.data).into_owned();
        let mut pos = name_el.next;
        let value = match class {
            4 => {
                let el = self.element(buf, pos, base)?;
                let text = match el.typ {
                    16 | 1 | 2 => String::from_utf8_lossy(el.data).into_owned(),
                    _ => {
                        let units = numbers(el.typ, el.data).unwrap_or_default();
                        units
                            .iter()
                            .map(|&u| char::from_u32(u as u32).unwrap_or('\u{fffd}'))
                            .collect()
                    }
                };
                MatValue::Char(text)
            }
            6..=15 => {
                let el = self.element(buf, pos, base)?;
                let data = numbers(el.typ, el.data).ok_or_else(|| {
                    byte_err(
                        self.path,
                        el.base as u64,
                        format!("MAT numeric data has unknown type {}", el.typ),
                    )
                })?;
                let _ = complex; // the imaginary part, if any, is not needed
                MatValue::Num { dims, data }
            }
            1 => {
                if count > buf.len() / 8 {
                    return Err(byte_err(
                        self.path,
                        base as u64,
                        format!("MAT cell claims {count} elements in {} bytes", buf.len()),
                    ));
                }
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    let el = self.element(buf, pos, base)?;
                    pos = el.next;
                    items.push(self.matrix(el.data, el.base, depth + 1)?.1);
                }
                MatValue::Cell { dims, items }
            }
            2 => {
                let len_el = self.element(buf, pos, base)?;
                let fl = numbers(len_el.typ, len_el.data)
                    .and_then(|v| v.first().copied())
                    .unwrap_or(0.0);
                if !(1.0..=4096.0).contains(&fl) {
                    return Err(byte_err(
                        self.path,
                        len_el.base as u64,
                        format!("MAT struct field-name length {fl} is invalid"),
                    ));
                }
                let fl = fl as usize;
                let names_el = self.element(buf, len_el.next, base)?;
                let fields: Vec<String> = names_el
                    .data
                    .chunks(fl)
                    .map(|c| {
                        let end = c.iter().position(|&b| b == 0).unwrap_or(c.len());
                        String::from_utf8_lossy(&c[..end]).into_owned()
                    })
                    .collect();
                pos = names_el.next;
                let n_cells = count.saturating_mul(fields.len());
                if n_cells > buf.len() / 8 {
                    return Err(byte_err(
                        self.path,
                        base as u64,
                        format!(
                            "MAT struct claims {count} x {} fields in {} bytes",
                            fields.len(),
                            buf.len()
                        ),
                    ));
                }
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    let mut row = Vec::with_capacity(fields.len());
                    for _ in 0..fields.len() {
                        let el = self.element(buf, pos, base)?;
                        pos = el.next;
                        row.push(self.matrix(el.data, el.base, depth + 1)?.1);
                    }
                    items.push(row);
                }
                MatValue::Struct {
                    dims,
                    fields,
                    items,
                }
            }
            _ => MatValue::Other,
        };
        Ok((name, value))
    }
}

/// Decode a numeric data element to f64.
fn numbers(typ: u32, b: &[u8]) -> Option<Vec<f64>> {
    macro_rules! conv {
        ($t:ty, $n:expr) => {
            b.chunks_exact($n)
                .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $n])) as f64)
                .collect()
        };
    }
    Some(match typ {
        1 => b.iter().map(|&x| x as i8 as f64).collect(),
        2 | 16 => b.iter().map(|&x| x as f64).collect(),
        3 => conv!(i16, 2),
        4 | 17 => conv!(u16, 2),
        5 => conv!(i32, 4),
        6 | 18 => conv!(u32, 4),
        7 => conv!(f32, 4),
        9 => conv!(f64, 8),
        12 => conv!(i64, 8),
        13 => conv!(u64, 8),
        _ => return None,
    })
}

/// Every top-level variable in a MAT v5 file held in memory.
pub fn read_mat(bytes: &[u8], path: &Path) -> Result<Vec<(String, MatValue)>> {
    Parser { path }.variables(bytes)
}
