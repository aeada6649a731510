//! EEGLAB .set reader (own MAT v5 parser); the input's first byte picks where the .fdt part starts.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.set");
    let _ = bci_formats::eeglab::read_set_with_fdt(data, None, path);
    if let Some((&k, rest)) = data.split_first() {
        let cut = (k as usize * rest.len()) / 256;
        let (set, fdt) = rest.split_at(cut);
        let _ = bci_formats::eeglab::read_set_with_fdt(set, Some(fdt), path);
    }
});
