//! Arbitrary bytes, split into reads of arbitrary sizes at arbitrary times, through the Cyton
//! and Cyton+Daisy decoders: no panic, and every chunk is well formed.
#![no_main]

use bci_acquire::decoder::{BoardKind, BoardMode, CytonDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let kind = if ctl & 1 == 0 { BoardKind::Cyton } else { BoardKind::CytonDaisy };
    let mut d = CytonDecoder::new(kind, 250.0 * f64::from(1 + (ctl >> 4)));
    if ctl & 2 != 0 {
        d.set_board_mode(BoardMode::Marker);
    }
    let mut t: u64 = 0;
    let mut next = 0u64;
    let mut i = 0;
    while i < rest.len() {
        // Each read: a size byte and a time-step byte, then that many data bytes.
        let size = usize::from(rest[i] % 97) + 1;
        let step = rest.get(i + 1).copied().unwrap_or(0);
        t = t.saturating_add(u64::from(step) * 1_000_000);
        let end = (i + 2 + size).min(rest.len());
        if ctl & 4 != 0 && step == 0xFF {
            d.expect_restart();
        }
        if ctl & 8 != 0 && step == 0xFE {
            d.resume_after_reconnect();
        }
        d.push(rest.get(i + 2..end).unwrap_or(&[]), t);
        while let Some(c) = d.take_chunk() {
            assert_eq!(c.data.len() % c.n_channels, 0);
            assert!(c.first_sample >= next);
            next = c.end_sample();
        }
        i = end;
    }
    d.flush();
    while let Some(c) = d.take_chunk() {
        assert!(c.first_sample >= next);
        next = c.end_sample();
    }
});
