//! Our estimators behind linfa 0.8's traits, so they compose with linfa models the way MOABB
//! composes scikit-learn pipelines (`make_pipeline(Covariances("oas"), TangentSpace(),
//! LogisticRegression())`).
//!
//! Hyper-parameter structs implement [`Fit`] (with [`DecodeError`] as the error type) and
//! return our fitted estimators, which implement [`Transformer`] (feature steps) or
//! [`PredictInplace`] (classifiers, hence [`linfa::traits::Predict`]):
//!
//! | params | records it fits on | fitted | role |
//! |---|---|---|---|
//! | [`Covariances`] | — (stateless) | itself | epochs → covariances |
//! | [`TangentSpaceParams`] | covariances | [`TangentSpace`] | covariances → tangent vectors |
//! | [`TangentSpaceFeatures`] | epochs | [`FittedTangentSpaceFeatures`] | epochs → tangent vectors |
//! | [`MdmParams`] | covariances | [`Mdm`] | classifier |
//! | [`LdaParams`] | features | [`Lda`] | classifier |
//! | [`LogisticRegressionParams`] | features | [`LogisticRegression`] | binary classifier |
//! | [`TrcaParams`] | epochs | [`FilterBankTrca`] | SSVEP classifier |
//!
//! Records are ndarray arrays: epochs `(n, channels, samples)` and covariances `(n, c, c)` as
//! `Array3<f64>`, features `(n, p)` as `Array2<f64>`; targets are class indices (`usize`,
//! `0..n_classes`). Bad input never panics: transforms return `Result<..>` (as linfa's own
//! guarded transformers do), and our classifiers predict into `Result<Array1<usize>>` targets,
//! so `let y: Result<Array1<usize>> = model.predict(&x);`. [`Chained`] puts a fitted feature
//! step in front of any linfa classifier and predicts epochs end to end.

use linfa::dataset::{AsSingleTargets, DatasetBase};
use linfa::traits::{Fit, PredictInplace, Transformer};
use ndarray::{Array1, Array2, Array3, ArrayBase, Data, Ix2, Ix3};

use crate::covariance::{Estimator, covariances};
use crate::error::{DecodeError, Result};
use crate::lda::{Lda, LdaSolver};
use crate::logistic::LogisticRegression;
use crate::riemann::{Mdm, TangentSpace};
use crate::trca::FilterBankTrca;

impl From<linfa::Error> for DecodeError {
    fn from(e: linfa::Error) -> Self {
        match e {
            linfa::Error::MismatchedShapes(a, b) => DecodeError::Shape(format!(
                "linfa: the number of samples do not match: {a} vs {b}"
            )),
            linfa::Error::NdShape(s) => DecodeError::Shape(format!("linfa: {s}")),
            other => DecodeError::InvalidParameter {
                name: "linfa".into(),
                value: String::new(),
                message: other.to_string(),
            },
        }
    }
}

/// Class indices of a dataset's targets, checked against its number of records.
fn labels<T: AsSingleTargets<Elem = usize>>(targets: &T, n_records: usize) -> Result<Vec<usize>> {
    let y = targets.as_single_targets().to_vec();
    if y.len() != n_records {
        return Err(DecodeError::Shape(format!(
            "{} targets for {n_records} records",
            y.len()
        )));
    }
    Ok(y)
}

/// Writes a prediction into a linfa target buffer.
fn put(y: &mut Result<Array1<usize>>, pred: Result<Vec<usize>>) {
    *y = pred.map(Array1::from);
}

fn zeros_for(n: usize) -> Result<Array1<usize>> {
    Ok(Array1::zeros(n))
}

/// pyRiemann's `Covariances(estimator)`: a stateless transformer from epochs to covariances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covariances {
    pub estimator: Estimator,
}

impl Covariances {
    pub fn new(estimator: Estimator) -> Self {
        Covariances { estimator }
    }
}

impl<D: Data<Elem = f64>> Transformer<&ArrayBase<D, Ix3>, Result<Array3<f64>>> for Covariances {
    fn transform(&self, epochs: &ArrayBase<D, Ix3>) -> Result<Array3<f64>> {
        covariances(epochs.view(), self.estimator)
    }
}

impl<D: Data<Elem = f64>, T: Clone>
    Transformer<&DatasetBase<ArrayBase<D, Ix3>, T>, Result<DatasetBase<Array3<f64>, T>>>
    for Covariances
{
    fn transform(
        &self,
        ds: &DatasetBase<ArrayBase<D, Ix3>, T>,
    ) -> Result<DatasetBase<Array3<f64>, T>> {
        Ok(DatasetBase::new(
            self.transform(&ds.records)?,
            ds.targets.clone(),
        ))
    }
}

/// pyRiemann's `TangentSpace(metric="riemann")` hyper-parameters (none): fits the reference
/// point on covariances; the targets are not used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TangentSpaceParams;

impl<D: Data<Elem = f64>, T> Fit<ArrayBase<D, Ix3>, T, DecodeError> for TangentSpaceParams {
    type Object = TangentSpace;
    fn fit(&self, ds: &DatasetBase<ArrayBase<D, Ix3>, T>) -> Result<TangentSpace> {
        TangentSpace::fit(ds.records.view())
    }
}

impl<D: Data<Elem = f64>> Transformer<&ArrayBase<D, Ix3>, Result<Array2<f64>>> for TangentSpace {
    fn transform(&self, covs: &ArrayBase<D, Ix3>) -> Result<Array2<f64>> {
        TangentSpace::transform(self, covs.view())
    }
}

impl<D: Data<Elem = f64>, T: Clone>
    Transformer<&DatasetBase<ArrayBase<D, Ix3>, T>, Result<DatasetBase<Array2<f64>, T>>>
    for TangentSpace
{
    fn transform(
        &self,
        ds: &DatasetBase<ArrayBase<D, Ix3>, T>,
    ) -> Result<DatasetBase<Array2<f64>, T>> {
        Ok(DatasetBase::new(
            TangentSpace::transform(self, ds.records.view())?,
            ds.targets.clone(),
        ))
    }
}

/// Covariance estimation then tangent space, as one step fitted on epochs: the feature half of
/// MOABB's TS+LR pipeline, to put in front of any linfa model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TangentSpaceFeatures {
    pub estimator: Estimator,
}

impl TangentSpaceFeatures {
    pub fn new(estimator: Estimator) -> Self {
        TangentSpaceFeatures { estimator }
    }
}

/// A fitted [`TangentSpaceFeatures`]: epochs → tangent vectors `(n, c(c+1)/2)`.
#[derive(Debug, Clone)]
pub struct FittedTangentSpaceFeatures {
    pub estimator: Estimator,
    pub tangent_space: TangentSpace,
}

impl<D: Data<Elem = f64>, T> Fit<ArrayBase<D, Ix3>, T, DecodeError> for TangentSpaceFeatures {
    type Object = FittedTangentSpaceFeatures;
    fn fit(&self, ds: &DatasetBase<ArrayBase<D, Ix3>, T>) -> Result<FittedTangentSpaceFeatures> {
        let covs = covariances(ds.records.view(), self.estimator)?;
        Ok(FittedTangentSpaceFeatures {
            estimator: self.estimator,
            tangent_space: TangentSpace::fit(covs.view())?,
        })
    }
}

impl<D: Data<Elem = f64>> Transformer<&ArrayBase<D, Ix3>, Result<Array2<f64>>>
    for FittedTangentSpaceFeatures
{
    fn transform(&self, epochs: &ArrayBase<D, Ix3>) -> Result<Array2<f64>> {
        let covs = covariances(epochs.view(), self.estimator)?;
        self.tangent_space.transform(covs.view())
    }
}

impl<D: Data<Elem = f64>, T: Clone>
    Transformer<&DatasetBase<ArrayBase<D, Ix3>, T>, Result<DatasetBase<Array2<f64>, T>>>
    for FittedTangentSpaceFeatures
{
    fn transform(
        &self,
        ds: &DatasetBase<ArrayBase<D, Ix3>, T>,
    ) -> Result<DatasetBase<Array2<f64>, T>> {
        Ok(DatasetBase::new(
            self.transform(&ds.records)?,
            ds.targets.clone(),
        ))
    }
}

/// pyRiemann's `MDM(metric="riemann")`, fitted on covariances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MdmParams;

impl<D: Data<Elem = f64>, T: AsSingleTargets<Elem = usize>> Fit<ArrayBase<D, Ix3>, T, DecodeError>
    for MdmParams
{
    type Object = Mdm;
    fn fit(&self, ds: &DatasetBase<ArrayBase<D, Ix3>, T>) -> Result<Mdm> {
        let y = labels(&ds.targets, ds.records.dim().0)?;
        Mdm::fit(ds.records.view(), &y)
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix3>, Result<Array1<usize>>> for Mdm {
    fn predict_inplace(&self, covs: &ArrayBase<D, Ix3>, y: &mut Result<Array1<usize>>) {
        // Checked here because `Mdm::predict` assumes matrices of its means' size.
        let (_, r, c) = covs.dim();
        let want = self.means.first().map(|m| m.dim());
        if want != Some((r, c)) {
            *y = Err(DecodeError::Shape(format!(
                "MDM fitted on {want:?} matrices, got {r} x {c}"
            )));
            return;
        }
        put(y, Mdm::predict(self, covs.view()));
    }
    fn default_target(&self, covs: &ArrayBase<D, Ix3>) -> Result<Array1<usize>> {
        zeros_for(covs.dim().0)
    }
}

/// scikit-learn's `LinearDiscriminantAnalysis` (solver `svd`, or `lsqr` with automatic
/// Ledoit-Wolf shrinkage), fitted on features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LdaParams {
    pub solver: LdaSolver,
}

impl Default for LdaParams {
    fn default() -> Self {
        LdaParams {
            solver: LdaSolver::Svd,
        }
    }
}

impl<D: Data<Elem = f64>, T: AsSingleTargets<Elem = usize>> Fit<ArrayBase<D, Ix2>, T, DecodeError>
    for LdaParams
{
    type Object = Lda;
    fn fit(&self, ds: &DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<Lda> {
        let y = labels(&ds.targets, ds.records.nrows())?;
        Lda::fit(ds.records.view(), &y, self.solver)
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Result<Array1<usize>>> for Lda {
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Result<Array1<usize>>) {
        put(y, Lda::predict(self, x.view()));
    }
    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Result<Array1<usize>> {
        zeros_for(x.nrows())
    }
}

/// scikit-learn's binary `LogisticRegression(C)` (L2, intercept not penalised), fitted on
/// features; predicts class 1 where the decision value is positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticRegressionParams {
    pub c: f64,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        LogisticRegressionParams { c: 1.0 }
    }
}

impl<D: Data<Elem = f64>, T: AsSingleTargets<Elem = usize>> Fit<ArrayBase<D, Ix2>, T, DecodeError>
    for LogisticRegressionParams
{
    type Object = LogisticRegression;
    fn fit(&self, ds: &DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<LogisticRegression> {
        let y = labels(&ds.targets, ds.records.nrows())?;
        LogisticRegression::fit(ds.records.view(), &y, self.c)
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix2>, Result<Array1<usize>>>
    for LogisticRegression
{
    fn predict_inplace(&self, x: &ArrayBase<D, Ix2>, y: &mut Result<Array1<usize>>) {
        let pred = self
            .decision_function(x.view())
            .map(|d| d.iter().map(|&v| usize::from(v > 0.0)).collect());
        put(y, pred);
    }
    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Result<Array1<usize>> {
        zeros_for(x.nrows())
    }
}

/// Filter-bank TRCA / ensemble TRCA ([`crate::trca`]) fitted on raw SSVEP epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrcaParams {
    /// Sub-bands `[lo, hi]` Hz (e.g. [`crate::pipeline::default_fbcca_bands`]).
    pub bands: Vec<[f64; 2]>,
    pub sfreq: f64,
    pub ensemble: bool,
}

impl<D: Data<Elem = f64>, T: AsSingleTargets<Elem = usize>> Fit<ArrayBase<D, Ix3>, T, DecodeError>
    for TrcaParams
{
    type Object = FilterBankTrca;
    fn fit(&self, ds: &DatasetBase<ArrayBase<D, Ix3>, T>) -> Result<FilterBankTrca> {
        let y = labels(&ds.targets, ds.records.dim().0)?;
        FilterBankTrca::fit(
            ds.records.view(),
            &y,
            &self.bands,
            self.sfreq,
            self.ensemble,
        )
    }
}

impl<D: Data<Elem = f64>> PredictInplace<ArrayBase<D, Ix3>, Result<Array1<usize>>>
    for FilterBankTrca
{
    fn predict_inplace(&self, epochs: &ArrayBase<D, Ix3>, y: &mut Result<Array1<usize>>) {
        put(y, FilterBankTrca::predict(self, epochs.view()));
    }
    fn default_target(&self, epochs: &ArrayBase<D, Ix3>) -> Result<Array1<usize>> {
        zeros_for(epochs.dim().0)
    }
}

/// A fitted feature step (epochs → features) followed by a fitted model that predicts from
/// features: predicts epochs end to end, like a fitted scikit-learn `Pipeline`.
#[derive(Debug, Clone)]
pub struct Chained<S, M> {
    pub step: S,
    pub model: M,
}

impl<S, M> Chained<S, M> {
    /// Fits `step` on the epochs, transforms them, then fits `model` on the features with the
    /// same targets. A failure of the model's own fit is reported with its message.
    pub fn fit<SP, MP, T, E>(
        step: &SP,
        model: &MP,
        ds: &DatasetBase<Array3<f64>, T>,
    ) -> Result<Self>
    where
        SP: Fit<Array3<f64>, T, DecodeError, Object = S>,
        S: for<'a> Transformer<&'a Array3<f64>, Result<Array2<f64>>>,
        MP: Fit<Array2<f64>, T, E, Object = M>,
        E: std::error::Error + From<linfa::Error>,
        T: Clone,
    {
        let step = step.fit(ds)?;
        let features = DatasetBase::new(step.transform(&ds.records)?, ds.targets.clone());
        let model = model
            .fit(&features)
            .map_err(|e| DecodeError::InvalidParameter {
                name: "model fitted on the features".into(),
                value: String::new(),
                message: e.to_string(),
            })?;
        Ok(Chained { step, model })
    }
}

/// A fitted model that classifies feature rows: any linfa model predicting `Array1<L>`, and our
/// own [`Lda`] and [`LogisticRegression`] (whose errors stay typed). The last step of a
/// [`Chained`].
pub trait FeatureClassifier<L> {
    fn classify(&self, features: &Array2<f64>) -> Result<Array1<L>>;
}

impl<L, M: PredictInplace<Array2<f64>, Array1<L>>> FeatureClassifier<L> for M {
    fn classify(&self, features: &Array2<f64>) -> Result<Array1<L>> {
        let mut out = self.default_target(features);
        self.predict_inplace(features, &mut out);
        Ok(out)
    }
}

impl FeatureClassifier<usize> for Lda {
    fn classify(&self, features: &Array2<f64>) -> Result<Array1<usize>> {
        Lda::predict(self, features.view()).map(Array1::from)
    }
}

impl FeatureClassifier<usize> for LogisticRegression {
    fn classify(&self, features: &Array2<f64>) -> Result<Array1<usize>> {
        let mut out = Ok(Array1::zeros(0));
        self.predict_inplace(features, &mut out);
        out
    }
}

impl<S, M, L> PredictInplace<Array3<f64>, Result<Array1<L>>> for Chained<S, M>
where
    S: for<'a> Transformer<&'a Array3<f64>, Result<Array2<f64>>>,
    M: FeatureClassifier<L>,
    L: Clone + Default,
{
    /// The step's features are as wide as the model expects by construction (both were
    /// fitted together), so a linfa model at the end never sees a shape it would panic on.
    fn predict_inplace(&self, epochs: &Array3<f64>, y: &mut Result<Array1<L>>) {
        *y = self
            .step
            .transform(epochs)
            .and_then(|features| self.model.classify(&features));
    }
    fn default_target(&self, epochs: &Array3<f64>) -> Result<Array1<L>> {
        Ok(Array1::from_elem(epochs.dim().0, L::default()))
    }
}
