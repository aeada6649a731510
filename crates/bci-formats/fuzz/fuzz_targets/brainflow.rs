//! BrainFlow CSV / bci CSV reader on arbitrary bytes, with each board layout.
#![no_main]
use libfuzzer_sys::fuzz_target;

use bci_formats::brainflow::{BoardLayout, read_brainflow_bytes};

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.csv");
    for layout in [BoardLayout::cyton(), BoardLayout::ganglion(), BoardLayout::synthetic()] {
        let _ = read_brainflow_bytes(data, path, &layout);
    }
});
