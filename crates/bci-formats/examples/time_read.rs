//! Time the steps of reading one file: `cargo run --release --example time_read -- FILE`.
use std::time::Instant;

fn main() {
    let path = std::path::PathBuf::from(std::env::args().nth(1).expect("FILE"));
    for _ in 0..20 {
        let t0 = Instant::now();
        let bytes = std::fs::read(&path).expect("read");
        let t1 = Instant::now();
        let rec = bci_formats::read_bytes(&bytes, &path).expect("parse");
        let t2 = Instant::now();
        drop(rec);
        let t3 = Instant::now();
        println!(
            "file read {:.3} ms, parse {:.3} ms, drop {:.3} ms",
            (t1 - t0).as_secs_f64() * 1e3,
            (t2 - t1).as_secs_f64() * 1e3,
            (t3 - t2).as_secs_f64() * 1e3
        );
    }
}
