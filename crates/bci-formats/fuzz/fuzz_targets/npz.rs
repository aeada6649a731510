//! .npz reader (own zip + npy parsing) with the bi2012 sidecar.
#![no_main]
use libfuzzer_sys::fuzz_target;

const SIDECAR: &str = "acquisition:\n  samplingrate: 128\n  sensors:\n  - F7\n  - F3\nstim:\n  labels:\n    nontarget: 1\n    target: 2\n";

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.npz");
    let _ = bci_formats::npz::read_npz_with_sidecar(data, Some(SIDECAR), path);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = bci_formats::npz::parse_sidecar(text);
    }
});
