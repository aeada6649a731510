//! OpenBCI GUI text-log reader on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bci_formats::openbci::read_openbci_bytes(data, std::path::Path::new("fuzz.txt"));
});
