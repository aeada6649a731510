//! The entry point: content sniffing then the chosen reader, under every extension.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["f.edf", "f.bdf", "f.gdf", "f.set", "f.npz", "f.txt", "f.csv", "f.bin"] {
        let _ = bci_formats::read_bytes(data, std::path::Path::new(name));
    }
});
