//! EDF/EDF+/BDF/BDF+ reader on arbitrary bytes: errors are fine, panics are bugs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bci_formats::edf::read_edf_bytes(data, std::path::Path::new("fuzz.edf"));
});
