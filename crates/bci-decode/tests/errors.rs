//! Acceptance 6: bad input gives typed errors, never a panic.

use bci_decode::covariance::{Estimator, covariance, covariances};
use bci_decode::eval::cross_validate;
use bci_decode::{DecodeError, Fitted, PipelineKind, PipelineOptions};
use ndarray::Array3;

fn noise(n: usize, c: usize, t: usize) -> Array3<f64> {
    // Deterministic pseudo-random data (a small LCG): no dependency, reproducible.
    let mut s: u64 = 12345;
    Array3::from_shape_fn((n, c, t), |_| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    })
}

fn fit(kind: PipelineKind, x: &Array3<f64>, y: &[usize]) -> Result<Fitted, DecodeError> {
    Fitted::fit(kind, x.view(), y, &PipelineOptions::default(), 160.0, &[])
}

const KINDS: [PipelineKind; 3] = [PipelineKind::CspLda, PipelineKind::TsLr, PipelineKind::Mdm];

#[test]
fn fewer_epochs_than_classes() {
    let x = noise(2, 4, 50);
    for k in KINDS {
        let e = fit(k, &x, &[0, 1]).unwrap_err();
        assert!(
            matches!(
                e,
                DecodeError::TooFewEpochs {
                    n_epochs: 2,
                    n_classes: 2
                }
            ),
            "{k:?}: {e}"
        );
    }
    let x0 = noise(0, 4, 50);
    for k in KINDS {
        assert!(matches!(
            fit(k, &x0, &[]).unwrap_err(),
            DecodeError::TooFewEpochs { .. }
        ));
    }
}

#[test]
fn single_class() {
    let x = noise(6, 4, 50);
    for k in KINDS {
        let e = fit(k, &x, &[0; 6]).unwrap_err();
        assert!(matches!(e, DecodeError::SingleClass { .. }), "{k:?}: {e}");
    }
}

#[test]
fn flat_channel_is_a_singular_covariance() {
    let mut x = noise(8, 4, 50);
    x.slice_mut(ndarray::s![.., 2, ..]).fill(3.0);
    for k in KINDS {
        let e = fit(k, &x, &[0, 1, 0, 1, 0, 1, 0, 1]).unwrap_err();
        assert!(
            matches!(e, DecodeError::SingularCovariance { .. }),
            "{k:?}: {e}"
        );
        assert!(e.to_string().contains("channel 2"), "{e}");
    }
    // Without shrinkage the single-epoch covariance is singular and the tangent map refuses it.
    let c = covariances(x.view(), Estimator::Scm).unwrap();
    let e = bci_decode::riemann::TangentSpace::fit(c.view()).unwrap_err();
    assert!(matches!(e, DecodeError::SingularCovariance { .. }), "{e}");
}

#[test]
fn nan_in_data() {
    let mut x = noise(8, 4, 50);
    x[[5, 1, 17]] = f64::NAN;
    for k in KINDS {
        let e = fit(k, &x, &[0, 1, 0, 1, 0, 1, 0, 1]).unwrap_err();
        match e {
            DecodeError::NonFinite {
                epoch,
                channel,
                sample,
                ..
            } => {
                assert_eq!((epoch, channel, sample), (5, 1, 17))
            }
            other => panic!("{k:?}: {other}"),
        }
    }
    let e = covariance(x.index_axis(ndarray::Axis(0), 5), Estimator::Oas).unwrap_err();
    assert!(matches!(e, DecodeError::NonFinite { .. }));
}

#[test]
fn label_length_mismatch() {
    let x = noise(6, 4, 50);
    assert!(matches!(
        fit(PipelineKind::Mdm, &x, &[0, 1]).unwrap_err(),
        DecodeError::Shape(_)
    ));
}

#[test]
fn cross_validation_refuses_bad_folds_and_passes_fit_errors_on() {
    let x = noise(8, 4, 50);
    let y = [0, 1, 0, 1, 0, 1, 0, 1];
    let opts = PipelineOptions::default();
    let cv = |y: &[usize], folds: &[Vec<usize>]| {
        cross_validate(PipelineKind::CspLda, x.view(), y, folds, &opts, 160.0, &[])
    };
    let overlapping = vec![vec![0, 1, 2, 3], vec![3, 4, 5, 6, 7]];
    let e = cv(&y, &overlapping).unwrap_err().to_string();
    assert!(e.contains("fold 1 index 3"), "{e}");
    let e = cv(&y[..7], &[vec![0, 1, 2, 3], vec![4, 5, 6]]).unwrap_err();
    assert!(e.to_string().contains("8 epochs but 7 labels"), "{e}");
    // A training set with one class (fold 0 holds every class-1 epoch) is the fit's typed error.
    let e = cv(&y, &[vec![1, 3, 5, 7], vec![0, 2, 4, 6]]).unwrap_err();
    assert!(matches!(e, DecodeError::SingleClass { .. }), "{e}");
    let scores = cv(&y, &[vec![0, 1, 2, 3], vec![4, 5, 6, 7]]).unwrap();
    assert_eq!(scores.len(), 2);
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
}

#[test]
fn event_lists_parse_or_name_the_bad_entry() {
    use bci_decode::EventClass;
    let ok = EventClass::parse_list(" T1=left, T2=right ,").unwrap();
    assert_eq!(
        (ok[1].event.as_str(), ok[1].class.as_str()),
        ("T2", "right")
    );
    for (text, want) in [
        ("T1=left,T2", "\"T2\""),
        ("T1=left,=right", "empty side"),
        ("T1=left", "at least two"),
    ] {
        let e = EventClass::parse_list(text).unwrap_err().to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
}
