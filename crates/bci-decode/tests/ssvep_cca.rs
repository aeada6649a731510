//! Acceptance 3 (component part): CCA on every ssvep_exoskeleton session (13/17/21 Hz, 2-4 s
//! windows after the class event, 3 harmonics) gives the Python CCA reference's correlations
//! within 1e-8 and exactly its per-trial predictions; prints accuracy and ITR per file.

mod common;

use bci_decode::cca::{Cca, itr_bits_per_min};
use common::*;

#[test]
fn cca_matches_python_reference() {
    let g = golden("cca.json");
    let freqs = vec1(&g["freqs"]);
    let harmonics = g["harmonics"].as_u64().unwrap() as usize;
    let files = g["files"].as_object().unwrap();
    assert!(
        files.len() >= 8,
        "expected the 8 ssvep_exoskeleton sessions, got {}",
        files.len()
    );
    for (stem, gf) in files {
        let e = epochs(&format!("ssvep_{stem}"));
        let sfreq = e.meta["sfreq"].as_f64().unwrap();
        let cca = Cca {
            freqs: freqs.clone(),
            harmonics,
            sfreq,
        };
        let corr = cca.transform(e.x.view()).unwrap();
        let d = max_abs_diff(corr.view(), &vec2(&gf["corr"]));
        assert!(d < 1e-8, "{stem}: correlations differ by {d:e}");
        let pred: Vec<f64> = cca
            .predict(e.x.view())
            .unwrap()
            .into_iter()
            .map(|k| freqs[k])
            .collect();
        assert_eq!(pred, vec1(&gf["predicted"]), "{stem}: predictions");
        let target = vec1(&gf["target"]);
        let acc =
            pred.iter().zip(&target).filter(|(a, b)| a == b).count() as f64 / target.len() as f64;
        assert!((acc - gf["accuracy"].as_f64().unwrap()).abs() < 1e-12);
        let itr = itr_bits_per_min(freqs.len(), acc, 2.0);
        println!(
            "{stem}: {} trials, accuracy {acc:.3}, ITR {itr:.1} bits/min (2 s windows)",
            target.len()
        );
    }
}
