//! The 33-byte Cyton packet: layout, decoding and scale factors (protocol spec §3).
//!
//! Nothing here allocates or can panic on input: every function takes a fixed-size array.

/// Bytes in one packet on the PC side of the dongle.
pub const PACKET_LEN: usize = 33;
/// First byte of every packet.
pub const HEADER: u8 = 0xA0;

/// ADS1299 reference voltage: the full scale is ±VREF_V / gain (4.5 V).
pub const VREF_V: f64 = 4.5;
/// 2^23 − 1: the datasheet (and BrainFlow) divide by this, not by 2^23.
const ADC_MAX: f64 = 8_388_607.0;

/// Gains the `x…X` command can select, indexed by the gain code `0`..`6`.
pub const GAINS: [u8; 7] = [1, 2, 4, 6, 8, 12, 24];

/// Microvolts per ADC count at `gain`: 4.5 V / gain / (2^23 − 1) × 1e6.
pub fn uv_per_count(gain: u8) -> f64 {
    VREF_V / f64::from(gain.max(1)) / ADC_MAX * 1e6
}

/// Accelerometer g per count (LIS3DH ±4 g, high resolution): 0.002 / 16.
pub const ACCEL_G_PER_COUNT: f64 = 0.002 / 16.0;

/// Does `b` end a packet? Any `0xCx` footer is accepted for framing (spec DECISION §3.2).
pub fn is_footer(b: u8) -> bool {
    b & 0xF0 == 0xC0
}

/// A 24-bit two's complement big-endian value.
pub fn int24(b0: u8, b1: u8, b2: u8) -> i32 {
    let v = (i32::from(b0) << 16) | (i32::from(b1) << 8) | i32::from(b2);
    if v & 0x80_0000 != 0 {
        v - 0x100_0000
    } else {
        v
    }
}

/// What the six aux bytes hold, chosen by the footer's low nibble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aux {
    /// `0xC0`: X, Y, Z accelerometer counts; `None` when all six bytes are zero (no new reading).
    Accel(Option<[i16; 3]>),
    /// `0xC1`: three raw aux words (analog, digital or marker by board mode).
    Raw([i16; 3]),
    /// `0xC3`/`0xC4`: one accel axis word (X on sample%10==7, Y on 8, Z on 9) and board time in ms.
    AccelTime { axis_word: i16, board_ms: u32 },
    /// `0xC5`/`0xC6`: aux word 0 (marker or A5) and board time in ms.
    RawTime { word0: i16, board_ms: u32 },
    /// `0xC2` and `0xC7`..`0xCF`: undefined by the stock firmware; bytes kept as they are.
    Other,
}

/// One decoded packet, in counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub sample_number: u8,
    pub counts: [i32; 8],
    pub aux_bytes: [u8; 6],
    pub footer: u8,
}

impl Packet {
    /// Decode a framed packet. The caller has checked header and footer (the framer does).
    pub fn decode(p: &[u8; PACKET_LEN]) -> Packet {
        let mut counts = [0i32; 8];
        for (ch, c) in counts.iter_mut().enumerate() {
            let o = 2 + 3 * ch;
            *c = int24(p[o], p[o + 1], p[o + 2]);
        }
        let mut aux_bytes = [0u8; 6];
        aux_bytes.copy_from_slice(&p[26..32]);
        Packet {
            sample_number: p[1],
            counts,
            aux_bytes,
            footer: p[32],
        }
    }

    fn word(&self, i: usize) -> i16 {
        i16::from_be_bytes([self.aux_bytes[2 * i], self.aux_bytes[2 * i + 1]])
    }

    /// Interpret the aux bytes by footer type.
    pub fn aux(&self) -> Aux {
        let time = u32::from_be_bytes([
            self.aux_bytes[2],
            self.aux_bytes[3],
            self.aux_bytes[4],
            self.aux_bytes[5],
        ]);
        match self.footer {
            0xC0 => {
                if self.aux_bytes == [0; 6] {
                    Aux::Accel(None)
                } else {
                    Aux::Accel(Some([self.word(0), self.word(1), self.word(2)]))
                }
            }
            0xC1 => Aux::Raw([self.word(0), self.word(1), self.word(2)]),
            0xC3 | 0xC4 => Aux::AccelTime {
                axis_word: self.word(0),
                board_ms: time,
            },
            0xC5 | 0xC6 => Aux::RawTime {
                word0: self.word(0),
                board_ms: time,
            },
            _ => Aux::Other,
        }
    }

    /// Encode back to bytes (used by the simulator and tests).
    pub fn encode(&self) -> [u8; PACKET_LEN] {
        let mut p = [0u8; PACKET_LEN];
        p[0] = HEADER;
        p[1] = self.sample_number;
        for (ch, &c) in self.counts.iter().enumerate() {
            let v = c.clamp(-0x80_0000, 0x7F_FFFF) as u32;
            let o = 2 + 3 * ch;
            p[o] = (v >> 16) as u8;
            p[o + 1] = (v >> 8) as u8;
            p[o + 2] = v as u8;
        }
        p[26..32].copy_from_slice(&self.aux_bytes);
        p[32] = self.footer;
        p
    }
}
