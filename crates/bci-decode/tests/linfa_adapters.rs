//! Our estimators through linfa 0.8's `Fit` / `Transformer` / `Predict` traits
//! (bci_decode::linfa_adapters) on real epochs (scripts/golden/decode_inputs.py):
//! - fitting through the traits gives exactly the numbers of the direct API (covariances,
//!   tangent vectors, LDA / logistic regression / MDM / TRCA predictions), and the chained
//!   TS → LR predicts exactly what the `ts-lr` pipeline predicts, on MOABB's folds of S001;
//! - a real linfa model (linfa-logistic) fit on our tangent-space features scores on S001's
//!   left/right imagery, cross-validated on the same folds, within 0.02 ROC-AUC of the Python
//!   TS+LR pipeline (scikit-learn's LogisticRegression(C=1) minimises the same objective as
//!   linfa-logistic with alpha = 1; tests/golden/decode/pipelines.json), and above chance;
//! - bad input comes back as typed errors through the traits, not panics.

mod common;

use bci_decode::covariance::{Estimator, covariances};
use bci_decode::eval::{roc_auc, train_indices};
use bci_decode::lda::{Lda, LdaSolver};
use bci_decode::linfa_adapters::{
    Chained, Covariances, FittedTangentSpaceFeatures, LdaParams, LogisticRegressionParams,
    MdmParams, TangentSpaceFeatures, TangentSpaceParams, TrcaParams,
};
use bci_decode::logistic::LogisticRegression;
use bci_decode::pipeline::default_fbcca_bands;
use bci_decode::riemann::{Mdm, TangentSpace};
use bci_decode::trca::FilterBankTrca;
use bci_decode::{DecodeError, Decoder, Fitted, PipelineKind, PipelineOptions, Result};
use common::*;
use linfa::DatasetBase;
use linfa::traits::{Fit, Predict, Transformer};
use ndarray::{Array1, Array2, Array3, Axis};

struct Subject {
    x: Array3<f64>,
    y: Vec<usize>,
    folds: Vec<Vec<usize>>,
    python_ts_lr_auc: f64,
}

fn s001() -> Subject {
    let g = golden("pipelines.json");
    let gs = &g["subjects"]["S001"];
    let e = epochs("mi_S001");
    let y = usizes(&gs["labels"]);
    assert_eq!(y.len(), e.x.dim().0, "labels vs epochs");
    let folds = gs["folds"]
        .as_array()
        .expect("folds")
        .iter()
        .map(usizes)
        .collect();
    let python_ts_lr_auc = gs["pipelines"]["ts_lr"]["mean_auc"]
        .as_f64()
        .expect("ts_lr mean_auc");
    Subject {
        x: e.x,
        y,
        folds,
        python_ts_lr_auc,
    }
}

/// The 21 sensorimotor channels of eegmmidb (FC5..FC6, C5..C6, CP5..CP6: the first 21 in file
/// order), then OAS covariances and the tangent space: a feature step of our own, written
/// against the linfa traits like any user's would be.
struct MotorTangentSpace;

const MOTOR: std::ops::Range<usize> = 0..21;

struct FittedMotorTangentSpace(FittedTangentSpaceFeatures);

impl<T> Fit<Array3<f64>, T, DecodeError> for MotorTangentSpace {
    type Object = FittedMotorTangentSpace;
    fn fit(&self, ds: &DatasetBase<Array3<f64>, T>) -> Result<FittedMotorTangentSpace> {
        let x = ds.records.slice(ndarray::s![.., MOTOR, ..]).to_owned();
        Ok(FittedMotorTangentSpace(
            TangentSpaceFeatures::new(Estimator::Oas).fit(&DatasetBase::new(x, ()))?,
        ))
    }
}

impl Transformer<&Array3<f64>, Result<Array2<f64>>> for FittedMotorTangentSpace {
    fn transform(&self, epochs: &Array3<f64>) -> Result<Array2<f64>> {
        if epochs.dim().1 < MOTOR.end {
            return Err(DecodeError::Shape(format!(
                "{} channels, need the {} sensorimotor ones",
                epochs.dim().1,
                MOTOR.end
            )));
        }
        self.0
            .transform(&epochs.slice(ndarray::s![.., MOTOR, ..]).to_owned())
    }
}

fn split(s: &Subject, test: &[usize]) -> (Array3<f64>, Array1<usize>, Array3<f64>, Vec<usize>) {
    let train = train_indices(s.y.len(), test);
    (
        s.x.select(Axis(0), &train),
        train.iter().map(|&i| s.y[i]).collect(),
        s.x.select(Axis(0), test),
        test.iter().map(|&i| s.y[i]).collect(),
    )
}

#[test]
fn traits_give_the_direct_api_numbers() {
    let s = s001();
    // Three of the five folds: this is about equal numbers, not a cross-validated score.
    for (f, test) in s.folds.iter().take(3).enumerate() {
        let (xtr, ytr, xte, _) = split(&s, test);
        let ytr_v = ytr.to_vec();
        let train = DatasetBase::new(xtr.clone(), ytr.clone());

        // Covariances (stateless transformer), on arrays and on datasets.
        let cov = Covariances::new(Estimator::Oas);
        let ctr: Array3<f64> = cov.transform(&xtr).expect("covariances");
        assert_eq!(ctr, covariances(xtr.view(), Estimator::Oas).unwrap());
        let cte: Array3<f64> = cov.transform(&xte).expect("covariances");
        let cds: DatasetBase<Array3<f64>, Array1<usize>> =
            cov.transform(&train).expect("covariance dataset");
        assert_eq!(cds.records, ctr);
        assert_eq!(cds.targets, ytr);

        // Tangent space: fitted through `Fit`, applied through `Transformer`.
        let ts = TangentSpaceParams.fit(&cds).expect("tangent space");
        let direct_ts = TangentSpace::fit(ctr.view()).unwrap();
        assert_eq!(ts.reference, direct_ts.reference, "fold {f}: reference");
        let ftr = Transformer::<_, Result<_>>::transform(&ts, &ctr).expect("features");
        let fte = Transformer::<_, Result<_>>::transform(&ts, &cte).expect("features");
        assert_eq!(ftr, direct_ts.transform(ctr.view()).unwrap());
        assert_eq!(fte, direct_ts.transform(cte.view()).unwrap());
        let fds = DatasetBase::new(ftr.clone(), ytr.clone());

        // LDA (both solvers) on the tangent vectors of the 21 sensorimotor channels (FC, C, CP
        // rows: 231 features; LDA on all 2080 would take minutes of O(p³) work).
        let motor = Chained::fit(
            &MotorTangentSpace,
            &LdaParams::default(),
            &DatasetBase::new(xtr.clone(), ytr.clone()),
        )
        .expect("motor TS + LDA");
        let mtr = motor.step.transform(&xtr).expect("motor features");
        let mte = motor.step.transform(&xte).expect("motor features");
        let mds = DatasetBase::new(mtr.clone(), ytr.clone());
        for solver in [LdaSolver::Svd, LdaSolver::LsqrAuto] {
            let lda = LdaParams { solver }.fit(&mds).expect("LDA");
            let p: Result<Array1<usize>> = Predict::predict(&lda, &mte);
            let direct = Lda::fit(mtr.view(), &ytr_v, solver).unwrap();
            let want = direct.predict(mte.view()).unwrap();
            assert_eq!(
                p.expect("LDA predict").to_vec(),
                want,
                "fold {f} LDA {solver:?}"
            );
            if solver == LdaSolver::Svd {
                let chained: Result<Array1<usize>> = Predict::predict(&motor, &xte);
                assert_eq!(chained.expect("chained LDA").to_vec(), want, "fold {f}");
            }
        }
        let lr = LogisticRegressionParams { c: 1.0 }.fit(&fds).expect("LR");
        let direct_lr = LogisticRegression::fit(ftr.view(), &ytr_v, 1.0).unwrap();
        assert_eq!(lr.coef, direct_lr.coef, "fold {f}: LR coefficients");
        let p_lr: Vec<usize> = Predict::<_, Result<Array1<usize>>>::predict(&lr, &fte)
            .expect("LR predict")
            .to_vec();
        let want: Vec<usize> = direct_lr
            .decision_function(fte.view())
            .unwrap()
            .iter()
            .map(|&d| usize::from(d > 0.0))
            .collect();
        assert_eq!(p_lr, want, "fold {f}: LR predictions");

        // The same, chained on raw epochs, equals the ts-lr pipeline.
        let chained = Chained::fit(
            &TangentSpaceFeatures::new(Estimator::Oas),
            &LogisticRegressionParams { c: 1.0 },
            &train,
        )
        .expect("chained fit");
        let p_chain: Result<Array1<usize>> = Predict::predict(&chained, &xte);
        let opts = PipelineOptions::default();
        let pipe = Fitted::fit(PipelineKind::TsLr, xtr.view(), &ytr_v, &opts, 160.0, &[]).unwrap();
        let p_pipe = pipe.predict(xte.view()).unwrap();
        assert_eq!(
            p_chain.expect("chained predict").to_vec(),
            p_pipe,
            "fold {f}: chained TS+LR"
        );
        assert_eq!(p_lr, p_pipe, "fold {f}: TS then LR by hand");

        // MDM on covariances equals the mdm pipeline.
        let mdm = MdmParams.fit(&cds).expect("MDM");
        let p_mdm: Result<Array1<usize>> = Predict::predict(&mdm, &cte);
        let direct_mdm = Mdm::fit(ctr.view(), &ytr_v).unwrap();
        let p_mdm = p_mdm.expect("MDM predict").to_vec();
        assert_eq!(p_mdm, direct_mdm.predict(cte.view()).unwrap());
        let pipe = Fitted::fit(PipelineKind::Mdm, xtr.view(), &ytr_v, &opts, 160.0, &[]).unwrap();
        assert_eq!(p_mdm, pipe.predict(xte.view()).unwrap(), "fold {f}: MDM");
    }
}

#[test]
fn trca_through_the_traits() {
    let e = epochs("ssvep_subject04_2012-07-18-17-52-30");
    let sfreq = e.meta["sfreq"].as_f64().expect("sfreq");
    let freqs = [13.0, 17.0, 21.0];
    let y: Vec<usize> = vec1(&e.meta["freqs"])
        .iter()
        .map(|f| freqs.iter().position(|g| g == f).expect("known frequency"))
        .collect();
    // Train on the first half of the session, test on the second.
    let n = y.len();
    let (tr, te): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| i < n / 2);
    let xtr = e.x.select(Axis(0), &tr);
    let xte = e.x.select(Axis(0), &te);
    let ytr: Array1<usize> = tr.iter().map(|&i| y[i]).collect();
    for ensemble in [false, true] {
        let params = TrcaParams {
            bands: default_fbcca_bands(),
            sfreq,
            ensemble,
        };
        let m = params
            .fit(&DatasetBase::new(xtr.clone(), ytr.clone()))
            .expect("TRCA fit");
        let direct = FilterBankTrca::fit(
            xtr.view(),
            &ytr.to_vec(),
            &default_fbcca_bands(),
            sfreq,
            ensemble,
        )
        .unwrap();
        assert_eq!(m, direct);
        let p: Result<Array1<usize>> = Predict::predict(&m, &xte);
        assert_eq!(
            p.expect("predict").to_vec(),
            direct.predict(xte.view()).unwrap()
        );
    }
}

#[test]
fn linfa_logistic_on_tangent_space_features() {
    let s = s001();
    let mut aucs = Vec::new();
    let mut agree = 0usize;
    for test in &s.folds {
        let (xtr, ytr, xte, yte) = split(&s, test);
        let chained = Chained::fit(
            &TangentSpaceFeatures::new(Estimator::Oas),
            &linfa_logistic::LogisticRegression::default()
                .alpha(1.0)
                .max_iterations(1000),
            &DatasetBase::new(xtr.clone(), ytr.clone()),
        )
        .expect("tangent space + linfa-logistic");
        let features = chained.step.transform(&xte).expect("features");
        let proba = chained.model.predict_probabilities(&features);
        // linfa-logistic's probabilities are of its "positive" class, whichever label it chose.
        let pos = chained.model.labels().pos.class;
        let score: Vec<f64> = proba
            .iter()
            .map(|&p| if pos == 1 { p } else { 1.0 - p })
            .collect();
        aucs.push(roc_auc(&score, &yte).expect("AUC"));
        // Predicting epochs end to end through the chain agrees with the probabilities.
        let labels: Result<Array1<usize>> = Predict::predict(&chained, &xte);
        let labels = labels.expect("predict");
        let from_proba: Vec<usize> = score.iter().map(|&p| usize::from(p >= 0.5)).collect();
        agree += labels
            .iter()
            .zip(&from_proba)
            .filter(|(a, b)| a == b)
            .count();
        assert_eq!(labels.len(), yte.len());
    }
    let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
    println!(
        "S001 TS + linfa-logistic: mean ROC-AUC {mean:.3} (folds {aucs:.3?}); Python TS+LR {:.3}; labels agree with probabilities on {agree}/{}",
        s.python_ts_lr_auc,
        s.y.len()
    );
    assert_eq!(agree, s.y.len(), "predicted labels vs probabilities");
    assert!(mean > 0.5, "TS + linfa-logistic at chance: {mean}");
    assert!(
        (mean - s.python_ts_lr_auc).abs() <= 0.02,
        "TS + linfa-logistic ROC-AUC {mean:.3} vs Python TS+LR {:.3}",
        s.python_ts_lr_auc
    );
}

#[test]
fn bad_input_through_the_traits_is_a_typed_error() {
    let s = s001();
    let (xtr, ytr, xte, _) = split(&s, &s.folds[0]);
    // Targets of the wrong length.
    let short: Array1<usize> = ytr.slice(ndarray::s![1..]).to_owned();
    let cov = Covariances::new(Estimator::Oas);
    let ctr: Array3<f64> = cov.transform(&xtr).unwrap();
    let err = MdmParams
        .fit(&DatasetBase::new(ctr.clone(), short))
        .expect_err("short targets");
    assert!(matches!(err, DecodeError::Shape(_)), "{err}");
    // A single class.
    let one = Array1::<usize>::zeros(ytr.len());
    let err = MdmParams
        .fit(&DatasetBase::new(ctr.clone(), one))
        .expect_err("one class");
    assert!(matches!(err, DecodeError::SingleClass { .. }), "{err}");
    // NaN in epochs: the transform and the chained prediction report it.
    let mut bad = xte.clone();
    bad[[1, 7, 30]] = f64::NAN;
    let r: Result<Array3<f64>> = cov.transform(&bad);
    assert!(
        matches!(
            r,
            Err(DecodeError::NonFinite {
                epoch: 1,
                channel: 7,
                sample: 30,
                ..
            })
        ),
        "{r:?}"
    );
    let chained = Chained::fit(
        &TangentSpaceFeatures::new(Estimator::Oas),
        &LogisticRegressionParams::default(),
        &DatasetBase::new(xtr.clone(), ytr.clone()),
    )
    .unwrap();
    let p: Result<Array1<usize>> = Predict::predict(&chained, &bad);
    assert!(matches!(p, Err(DecodeError::NonFinite { .. })), "{p:?}");
    // Features of the wrong width at predict.
    let feats = MotorTangentSpace
        .fit(&DatasetBase::new(xtr.clone(), ()))
        .unwrap()
        .transform(&xtr)
        .unwrap();
    let lda = LdaParams::default()
        .fit(&DatasetBase::new(feats.clone(), ytr.clone()))
        .unwrap();
    let narrow = feats.slice(ndarray::s![.., ..10]).to_owned();
    let p: Result<Array1<usize>> = Predict::predict(&lda, &narrow);
    assert!(matches!(p, Err(DecodeError::Shape(_))), "{p:?}");
    // Covariances of another size for MDM.
    let mdm = MdmParams.fit(&DatasetBase::new(ctr, ytr.clone())).unwrap();
    let small: Array3<f64> = cov
        .transform(&xte.slice(ndarray::s![.., ..8, ..]).to_owned())
        .unwrap();
    let p: Result<Array1<usize>> = Predict::predict(&mdm, &small);
    assert!(p.is_err(), "MDM on 8-channel covariances: {p:?}");
    // The linfa model's own failure is passed on with its message (one class only).
    let one = Array1::<usize>::zeros(ytr.len());
    let err = Chained::fit(
        &TangentSpaceFeatures::new(Estimator::Oas),
        &linfa_logistic::LogisticRegression::default(),
        &DatasetBase::new(xtr, one),
    )
    .expect_err("linfa-logistic on one class");
    assert!(
        matches!(&err, DecodeError::InvalidParameter { name, .. } if name.contains("model")),
        "{err}"
    );
}
