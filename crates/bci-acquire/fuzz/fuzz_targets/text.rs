//! The text the driver parses: reset banners and `--source` specifications.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = bci_acquire::cyton::parse_banner(&s);
    let _ = bci_acquire::spec::SourceSpec::parse(&s);
    let _ = bci_acquire::brainflow::board_id(&s);
});
