//! GDF 1.x/2.x reader on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bci_formats::gdf::read_gdf_bytes(data, std::path::Path::new("fuzz.gdf"));
});
