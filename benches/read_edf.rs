//! Reading a 64-channel, 125 s EDF+ (PhysioNet eegmmidb S001R04, 20,000 samples per channel)
//! into a `Recording` in µV, file read included: the same work as
//! `mne.io.read_raw_edf(path, preload=True)`. `benches/read_edf_vs_mne.py` runs this bench and
//! MNE in the same run and prints the ratio.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

fn dataset() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let base = std::env::var_os("BCI_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/datasets"));
    let p = base.join("eegmmidb/S001/S001R04.edf");
    assert!(
        p.exists(),
        "{} not found (set BCI_SHARED_DATASETS)",
        p.display()
    );
    p
}

fn read_edf(c: &mut Criterion) {
    let path = dataset();
    let rec = bci_formats::read(&path).expect("read S001R04.edf");
    assert_eq!((rec.n_channels(), rec.n_samples()), (64, 20_000));
    c.bench_function("read_edf/S001R04", |b| {
        b.iter(|| bci_formats::read(std::hint::black_box(&path)).expect("read"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = read_edf
}
criterion_main!(benches);
