//! FBCCA (Chen et al. 2015) against a numpy/MNE implementation of the same definition
//! (scripts/golden/fbcca.py → tests/golden/fbcca/fbcca.json) on every ssvep_exoskeleton session:
//! sub-bands [7n, 45] Hz (n = 1..5) filtered per epoch, weights n^-1.25 + 0.25, 3 harmonics.
//! Scores within 1e-8 (relative) and identical per-trial predictions, through the `fbcca`
//! pipeline kind.

mod common;

use bci_decode::cca::itr_bits_per_min;
use bci_decode::pipeline::default_fbcca_bands;
use bci_decode::{Decoder, Fitted, PipelineKind, PipelineOptions};
use common::*;

#[test]
fn fbcca_matches_python_reference() {
    let p = root().join("tests/golden/fbcca/fbcca.json");
    let g: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/golden/fbcca.py", p.display())),
    )
    .unwrap();
    let freqs = vec1(&g["freqs"]);
    let bands: Vec<[f64; 2]> = vec2(&g["bands"]).iter().map(|b| [b[0], b[1]]).collect();
    assert_eq!(
        bands,
        default_fbcca_bands(),
        "golden bands are not the default sub-bands"
    );
    let opts = PipelineOptions {
        harmonics: g["harmonics"].as_u64().unwrap() as usize,
        ..PipelineOptions::default()
    };
    let files = g["files"].as_object().unwrap();
    assert_eq!(files.len(), 8, "expected the 8 ssvep_exoskeleton sessions");
    for (stem, gf) in files {
        let e = epochs(&format!("ssvep_{stem}"));
        let sfreq = e.meta["sfreq"].as_f64().unwrap();
        let n = e.x.dim().0;
        // Training-free: labels are only checked, so any two classes do.
        let y: Vec<usize> = (0..n).map(|i| i % freqs.len()).collect();
        let model = Fitted::fit(PipelineKind::Fbcca, e.x.view(), &y, &opts, sfreq, &freqs).unwrap();
        let scores = model.scores(e.x.view()).unwrap();
        let want = vec2(&gf["scores"]);
        let mut worst = 0.0f64;
        for (i, row) in want.iter().enumerate() {
            for (k, v) in row.iter().enumerate() {
                worst = worst.max((scores[[i, k]] - v).abs() / v.abs().max(1e-3));
            }
        }
        assert!(
            worst < 1e-8,
            "{stem}: FBCCA scores differ by {worst:e} (relative)"
        );
        let pred: Vec<f64> = model
            .predict(e.x.view())
            .unwrap()
            .into_iter()
            .map(|k| freqs[k])
            .collect();
        assert_eq!(pred, vec1(&gf["predicted"]), "{stem}: predictions");
        let target = vec1(&gf["target"]);
        let acc =
            pred.iter().zip(&target).filter(|(a, b)| a == b).count() as f64 / target.len() as f64;
        let itr = itr_bits_per_min(freqs.len(), acc, 2.0);
        println!(
            "{stem}: FBCCA accuracy {acc:.3}, ITR {itr:.1} bits/min; max relative score diff {worst:.1e}"
        );
    }
}
