//! Evaluations (within-session k-fold, cross-session, cross-subject), the shuffled-label
//! control, work units, shards and the parallel runner.
//!
//! A run is cut into work units, one per (filter mode, subject, pipeline) — for cross-subject
//! evaluation the subject is the one held out. Units are numbered in that order; `--shard K/N`
//! runs units `i` with `i mod N = K − 1`, so any N machines split any run without talking to each
//! other, and merging their outputs gives the files of an unsharded run. Inside a process, units
//! run on worker threads; each unit is computed by one thread from data that does not depend on
//! scheduling, so results are identical whatever the thread count.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use bci_decode::cca::itr_bits_per_min;
use bci_decode::eval::roc_auc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ndarray::{Array2, Array3, ArrayView3, Axis};
use serde::{Deserialize, Serialize};

use crate::folds::{Mt19937, stratified_kfold, test_sets};
use crate::paradigm::{FileRecord, FilterMode, Metric, Paradigm, SubjectData, load_subject};
use crate::pipeline::{Input, PipelineSpec};
use crate::{BenchError, Result, TOOL_VERSION};

/// How train and test sets are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evaluation {
    /// k-fold stratified CV inside each session (MOABB `WithinSessionEvaluation`).
    WithinSession,
    /// Train on the other sessions, test on one (MOABB `CrossSessionEvaluation`).
    CrossSession,
    /// Train on the other subjects, test on one (MOABB `CrossSubjectEvaluation`, leave one out).
    CrossSubject,
}

impl Evaluation {
    pub fn name(self) -> &'static str {
        match self {
            Evaluation::WithinSession => "within-session",
            Evaluation::CrossSession => "cross-session",
            Evaluation::CrossSubject => "cross-subject",
        }
    }

    pub fn parse(text: &str) -> Result<Evaluation> {
        match text {
            "within-session" => Ok(Evaluation::WithinSession),
            "cross-session" => Ok(Evaluation::CrossSession),
            "cross-subject" => Ok(Evaluation::CrossSubject),
            other => Err(BenchError::invalid(
                "--evaluation",
                other,
                "expected within-session, cross-session or cross-subject",
            )),
        }
    }
}

/// Slice `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` with `1 ≤ K ≤ N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad =
            || BenchError::invalid("--shard", text, "expected K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// True when unit `i` (0-based) belongs to this shard.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index - 1
    }
}

/// Parses subject lists such as `1-5,7`.
pub fn parse_subjects(text: &str) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let bad = || BenchError::invalid("--subjects", part, "expected N or A-B, comma separated");
        if let Some((a, b)) = part.split_once('-') {
            let a: u32 = a.trim().parse().map_err(|_| bad())?;
            let b: u32 = b.trim().parse().map_err(|_| bad())?;
            if a > b || a == 0 {
                return Err(bad());
            }
            out.extend(a..=b);
        } else {
            let v: u32 = part.parse().map_err(|_| bad())?;
            if v == 0 {
                return Err(bad());
            }
            out.push(v);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Everything that defines a run. The same config and data give the same result files.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub paradigm: Paradigm,
    pub subjects: Vec<u32>,
    pub pipelines: Vec<PipelineSpec>,
    pub evaluation: Evaluation,
    pub n_folds: usize,
    pub seed: u32,
    pub filters: Vec<FilterMode>,
    /// Also fit every pipeline on shuffled labels.
    pub control: bool,
    pub shard: Option<Shard>,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Cache root holding the dataset folders.
    pub data_root: PathBuf,
    /// Show a progress bar (only drawn on a terminal).
    pub progress: bool,
}

/// The run's description as recorded in `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub tool: String,
    pub tool_version: String,
    pub paradigm: String,
    pub dataset: String,
    pub evaluation: Evaluation,
    pub metric: Metric,
    pub chance: f64,
    pub classes: Vec<String>,
    pub events: Vec<(String, String)>,
    pub band_hz: (f64, f64),
    pub window_s: (f64, f64),
    pub n_folds: usize,
    pub seed: u32,
    pub filters: Vec<FilterMode>,
    pub control: bool,
    pub subjects: Vec<u32>,
    pub pipelines: Vec<PipelineSpec>,
    /// Files and checksums of each subject, keyed by subject number.
    pub files: BTreeMap<u32, Vec<FileRecord>>,
    /// Present only in a shard's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    pub n_units: usize,
}

/// One score: a (subject, session, pipeline, control, filter) cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub unit: usize,
    pub dataset: String,
    pub paradigm: String,
    pub evaluation: Evaluation,
    pub subject: u32,
    pub session: String,
    pub pipeline: String,
    /// `none` (true labels) or `shuffled`.
    pub control: String,
    pub filter: FilterMode,
    pub metric: Metric,
    pub score: f64,
    pub fold_scores: Vec<f64>,
    pub n_epochs: usize,
    pub n_classes: usize,
    /// Information transfer rate (SSVEP), bits/min, from the score and the trial length.
    pub itr_bits_per_min: Option<f64>,
    pub seed: u32,
    /// sha256 over the subject's file checksums (in file order).
    pub data_sha256: String,
    pub tool_version: String,
}

/// Which fold each epoch was tested in, and the label used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldRow {
    pub unit: usize,
    pub subject: u32,
    pub session: String,
    pub pipeline: String,
    pub control: String,
    pub filter: FilterMode,
    pub epoch: usize,
    pub run: u32,
    pub onset: u64,
    /// True class name.
    pub label: String,
    /// Class name the pipeline was trained and scored with (differs under the shuffled control).
    pub label_used: String,
    pub fold: usize,
    pub predicted: String,
    /// Decision value of class 1 minus class 0 (two classes), or of the predicted class.
    pub score: f64,
}

/// Fit and predict seconds of one fold (kept apart: times never repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingRow {
    pub unit: usize,
    pub subject: u32,
    pub session: String,
    pub pipeline: String,
    pub control: String,
    pub filter: FilterMode,
    pub fold: usize,
    pub fit_seconds: f64,
    pub predict_seconds: f64,
}

/// The outcome of a run (or of a merge).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutput {
    pub meta: Meta,
    pub results: Vec<ResultRow>,
    pub folds: Vec<FoldRow>,
    #[serde(skip)]
    pub timings: Vec<TimingRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Unit {
    filter: FilterMode,
    subject: u32,
    pipeline: usize,
}

fn units(cfg: &BenchConfig) -> Vec<Unit> {
    let mut out = Vec::new();
    for &filter in &cfg.filters {
        for &subject in &cfg.subjects {
            for pipeline in 0..cfg.pipelines.len() {
                out.push(Unit {
                    filter,
                    subject,
                    pipeline,
                });
            }
        }
    }
    out
}

/// The bands loaded for every subject: the paradigm band, then each pipeline's bank in order.
fn band_layout(cfg: &BenchConfig) -> (Vec<(f64, f64)>, Vec<Vec<usize>>) {
    let mut extra: Vec<(f64, f64)> = Vec::new();
    let mut per_pipeline = Vec::new();
    for p in &cfg.pipelines {
        let mut idx = Vec::new();
        for band in p.filter_bank() {
            let i = match extra.iter().position(|b| *b == band) {
                Some(i) => i,
                None => {
                    extra.push(band);
                    extra.len() - 1
                }
            };
            idx.push(i + 1);
        }
        per_pipeline.push(idx);
    }
    (extra, per_pipeline)
}

type Cache = BTreeMap<(FilterMode, u32), OnceLock<std::result::Result<Arc<SubjectData>, String>>>;

struct Shared<'a> {
    cfg: &'a BenchConfig,
    extra: Vec<(f64, f64)>,
    banks: Vec<Vec<usize>>,
    cache: Cache,
}

impl Shared<'_> {
    fn subject(&self, filter: FilterMode, subject: u32) -> Result<Arc<SubjectData>> {
        let cell = self
            .cache
            .get(&(filter, subject))
            .ok_or_else(|| BenchError::Data(format!("subject {subject} not in this run")))?;
        cell.get_or_init(|| {
            load_subject(
                &self.cfg.paradigm,
                &self.cfg.data_root,
                subject,
                filter,
                &self.extra,
            )
            .map(Arc::new)
            .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(BenchError::Data)
    }
}

/// The labels a session is scored with: the true ones, or a fixed shuffle of them.
fn labels_for(y: &[usize], control: bool, seed: u32, subject: u32, session: usize) -> Vec<usize> {
    if !control {
        return y.to_vec();
    }
    let mut y = y.to_vec();
    // A seed per (run seed, subject, session) so each shuffle is fixed and differs between them.
    let s = seed
        .wrapping_mul(1_000_003)
        .wrapping_add(subject.wrapping_mul(7919))
        .wrapping_add(session as u32);
    Mt19937::new(s).shuffle(&mut y);
    y
}

fn data_sha(files: &[FileRecord]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in files {
        h.update(f.sha256.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn score_fold(metric: Metric, d: &Array2<f64>, y: &[usize]) -> Result<f64> {
    match metric {
        Metric::RocAuc => {
            let s: Vec<f64> = d.rows().into_iter().map(|r| r[1] - r[0]).collect();
            Ok(roc_auc(&s, y)?)
        }
        Metric::Accuracy => {
            let pred = argmax(d);
            let ok = pred.iter().zip(y).filter(|(p, t)| p == t).count();
            Ok(ok as f64 / y.len().max(1) as f64)
        }
    }
}

fn argmax(d: &Array2<f64>) -> Vec<usize> {
    d.rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
                    if v > bv { (i, v) } else { (bi, bv) }
                })
                .0
        })
        .collect()
}

/// Training epochs (every band) and their labels.
type TrainSet = (Vec<Array3<f64>>, Vec<usize>);

struct UnitOut {
    results: Vec<ResultRow>,
    folds: Vec<FoldRow>,
    timings: Vec<TimingRow>,
}

/// Train/test split of one evaluation cell: epochs (with their bands) and labels.
struct Split<'a> {
    subject: u32,
    session: String,
    /// Epochs to test and their labels (true, used), runs and onsets.
    test: Vec<ArrayView3<'a, f64>>,
    fold_of: Vec<usize>,
    n_folds: usize,
}

fn select(bands: &[ArrayView3<f64>], idx: &[usize]) -> Vec<Array3<f64>> {
    bands.iter().map(|b| b.select(Axis(0), idx)).collect()
}

fn input_of<'a>(bands: &'a [Array3<f64>], bank: &[usize]) -> Input<'a> {
    Input {
        main: bands[0].view(),
        bank: bank.iter().map(|&i| bands[i].view()).collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_cell(
    shared: &Shared,
    unit_index: usize,
    unit: Unit,
    split: &Split,
    train_of_fold: &dyn Fn(usize) -> Result<TrainSet>,
    y_true: &[usize],
    y_used: &[usize],
    runs: &[u32],
    onsets: &[u64],
    control: bool,
    files: &[FileRecord],
    sfreq: f64,
    progress: &ProgressBar,
    out: &mut UnitOut,
) -> Result<()> {
    let cfg = shared.cfg;
    let spec = &cfg.pipelines[unit.pipeline];
    let bank = &shared.banks[unit.pipeline];
    let classes = cfg.paradigm.classes();
    let metric = cfg.paradigm.metric();
    let control_name = if control { "shuffled" } else { "none" };
    let sets = test_sets(&split.fold_of, split.n_folds);
    let mut fold_scores = Vec::new();
    let mut fold_rows = Vec::new();
    for (k, test_idx) in sets.iter().enumerate() {
        let (train_bands, train_y) = train_of_fold(k)?;
        let test_bands = select(&split.test, test_idx);
        let mut model = spec.build(sfreq, &cfg.paradigm.stim_freqs)?;
        let t0 = Instant::now();
        model
            .fit(&input_of(&train_bands, bank), &train_y)
            .map_err(|e| cell_err(unit, split, k, e))?;
        let fit_seconds = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let d = model
            .decision(&input_of(&test_bands, bank))
            .map_err(|e| cell_err(unit, split, k, e))?;
        let predict_seconds = t1.elapsed().as_secs_f64();
        let yt: Vec<usize> = test_idx.iter().map(|&i| y_used[i]).collect();
        fold_scores.push(score_fold(metric, &d, &yt).map_err(|e| cell_err(unit, split, k, e))?);
        let pred = argmax(&d);
        for (j, &i) in test_idx.iter().enumerate() {
            let row = d.row(j);
            let score = if d.ncols() == 2 {
                row[1] - row[0]
            } else {
                row[pred[j]]
            };
            fold_rows.push(FoldRow {
                unit: unit_index,
                subject: split.subject,
                session: split.session.clone(),
                pipeline: spec.name.clone(),
                control: control_name.into(),
                filter: unit.filter,
                epoch: i,
                run: runs[i],
                onset: onsets[i],
                label: classes[y_true[i]].clone(),
                label_used: classes[y_used[i]].clone(),
                fold: k,
                predicted: classes.get(pred[j]).cloned().unwrap_or_default(),
                score,
            });
        }
        out.timings.push(TimingRow {
            unit: unit_index,
            subject: split.subject,
            session: split.session.clone(),
            pipeline: spec.name.clone(),
            control: control_name.into(),
            filter: unit.filter,
            fold: k,
            fit_seconds,
            predict_seconds,
        });
        progress.inc(1);
    }
    fold_rows.sort_by_key(|r| r.epoch);
    out.folds.extend(fold_rows);
    let score = fold_scores.iter().sum::<f64>() / fold_scores.len().max(1) as f64;
    let itr = if !cfg.paradigm.stim_freqs.is_empty() {
        Some(itr_bits_per_min(
            classes.len(),
            score,
            cfg.paradigm.trial_seconds,
        ))
    } else {
        None
    };
    out.results.push(ResultRow {
        unit: unit_index,
        dataset: cfg.paradigm.dataset.into(),
        paradigm: cfg.paradigm.name.into(),
        evaluation: cfg.evaluation,
        subject: split.subject,
        session: split.session.clone(),
        pipeline: spec.name.clone(),
        control: control_name.into(),
        filter: unit.filter,
        metric,
        score,
        fold_scores,
        n_epochs: y_true.len(),
        n_classes: classes.len(),
        itr_bits_per_min: itr,
        seed: cfg.seed,
        data_sha256: data_sha(files),
        tool_version: TOOL_VERSION.into(),
    });
    Ok(())
}

fn cell_err(unit: Unit, split: &Split, fold: usize, e: impl std::fmt::Display) -> BenchError {
    BenchError::Data(format!(
        "subject {} session {} fold {fold} ({} filter, pipeline #{}): {e}",
        split.subject,
        split.session,
        unit.filter.name(),
        unit.pipeline + 1
    ))
}

fn run_unit(
    shared: &Shared,
    unit_index: usize,
    unit: Unit,
    progress: &ProgressBar,
) -> Result<UnitOut> {
    let cfg = shared.cfg;
    let mut out = UnitOut {
        results: Vec::new(),
        folds: Vec::new(),
        timings: Vec::new(),
    };
    let controls: &[bool] = if cfg.control {
        &[false, true]
    } else {
        &[false]
    };
    match cfg.evaluation {
        Evaluation::WithinSession => {
            let data = shared.subject(unit.filter, unit.subject)?;
            for (si, sess) in data.sessions.iter().enumerate() {
                let bands: Vec<ArrayView3<f64>> = sess.bands.iter().map(|b| b.view()).collect();
                for &control in controls {
                    let y_used = labels_for(&sess.y, control, cfg.seed, unit.subject, si);
                    let fold_of =
                        stratified_kfold(&y_used, cfg.n_folds, cfg.seed).map_err(|e| {
                            BenchError::Data(format!(
                                "subject {} session {}: {e}",
                                unit.subject, sess.session
                            ))
                        })?;
                    let split = Split {
                        subject: unit.subject,
                        session: sess.session.clone(),
                        test: bands.clone(),
                        fold_of: fold_of.clone(),
                        n_folds: cfg.n_folds,
                    };
                    let sets = test_sets(&fold_of, cfg.n_folds);
                    let train_of = |k: usize| -> Result<TrainSet> {
                        let train = bci_decode::eval::train_indices(sess.y.len(), &sets[k]);
                        let ty = train.iter().map(|&i| y_used[i]).collect();
                        Ok((select(&bands, &train), ty))
                    };
                    run_cell(
                        shared,
                        unit_index,
                        unit,
                        &split,
                        &train_of,
                        &sess.y,
                        &y_used,
                        &sess.runs,
                        &sess.onsets,
                        control,
                        &data.files,
                        data.sample_rate,
                        progress,
                        &mut out,
                    )?;
                }
            }
        }
        Evaluation::CrossSession => {
            let data = shared.subject(unit.filter, unit.subject)?;
            if data.sessions.len() < 2 {
                return Err(BenchError::Data(format!(
                    "cross-session evaluation needs at least 2 sessions; subject {} of {} has {} (use within-session or cross-subject)",
                    unit.subject,
                    cfg.paradigm.dataset,
                    data.sessions.len()
                )));
            }
            for &control in controls {
                let used: Vec<Vec<usize>> = data
                    .sessions
                    .iter()
                    .enumerate()
                    .map(|(si, s)| labels_for(&s.y, control, cfg.seed, unit.subject, si))
                    .collect();
                for (si, sess) in data.sessions.iter().enumerate() {
                    let bands: Vec<ArrayView3<f64>> = sess.bands.iter().map(|b| b.view()).collect();
                    let split = Split {
                        subject: unit.subject,
                        session: sess.session.clone(),
                        test: bands,
                        fold_of: vec![0; sess.y.len()],
                        n_folds: 1,
                    };
                    let train_of = |_k: usize| -> Result<TrainSet> {
                        let others: Vec<usize> =
                            (0..data.sessions.len()).filter(|&o| o != si).collect();
                        concat_sessions(others.iter().map(|&o| (&data.sessions[o].bands, &used[o])))
                    };
                    run_cell(
                        shared,
                        unit_index,
                        unit,
                        &split,
                        &train_of,
                        &sess.y,
                        &used[si],
                        &sess.runs,
                        &sess.onsets,
                        control,
                        &data.files,
                        data.sample_rate,
                        progress,
                        &mut out,
                    )?;
                }
            }
        }
        Evaluation::CrossSubject => {
            if cfg.subjects.len() < 2 {
                return Err(BenchError::Data(
                    "cross-subject evaluation needs at least 2 subjects".into(),
                ));
            }
            let mut all = Vec::new();
            for &s in &cfg.subjects {
                all.push(shared.subject(unit.filter, s)?);
            }
            let held = cfg
                .subjects
                .iter()
                .position(|&s| s == unit.subject)
                .unwrap_or(0);
            for &control in controls {
                let used: Vec<Vec<Vec<usize>>> = all
                    .iter()
                    .map(|d| {
                        d.sessions
                            .iter()
                            .enumerate()
                            .map(|(si, s)| labels_for(&s.y, control, cfg.seed, d.subject, si))
                            .collect()
                    })
                    .collect();
                let train_of = |_k: usize| -> Result<TrainSet> {
                    concat_sessions(all.iter().enumerate().filter(|(i, _)| *i != held).flat_map(
                        |(i, d)| d.sessions.iter().zip(&used[i]).map(|(s, u)| (&s.bands, u)),
                    ))
                };
                let data = &all[held];
                for (si, sess) in data.sessions.iter().enumerate() {
                    let split = Split {
                        subject: unit.subject,
                        session: sess.session.clone(),
                        test: sess.bands.iter().map(|b| b.view()).collect(),
                        fold_of: vec![0; sess.y.len()],
                        n_folds: 1,
                    };
                    run_cell(
                        shared,
                        unit_index,
                        unit,
                        &split,
                        &train_of,
                        &sess.y,
                        &used[held][si],
                        &sess.runs,
                        &sess.onsets,
                        control,
                        &data.files,
                        data.sample_rate,
                        progress,
                        &mut out,
                    )?;
                }
            }
        }
    }
    Ok(out)
}

fn concat_sessions<'a>(
    parts: impl Iterator<Item = (&'a Vec<Array3<f64>>, &'a Vec<usize>)>,
) -> Result<TrainSet> {
    let mut bands: Vec<Vec<ArrayView3<f64>>> = Vec::new();
    let mut y = Vec::new();
    for (b, u) in parts {
        if bands.is_empty() {
            bands = vec![Vec::new(); b.len()];
        }
        for (acc, arr) in bands.iter_mut().zip(b) {
            acc.push(arr.view());
        }
        y.extend_from_slice(u);
    }
    let mut out = Vec::new();
    for views in bands {
        out.push(
            ndarray::concatenate(Axis(0), &views)
                .map_err(|e| BenchError::Data(format!("training set: {e}")))?,
        );
    }
    Ok((out, y))
}

/// Folds each unit will run (for the progress bar).
fn steps_per_unit(cfg: &BenchConfig) -> u64 {
    let base = match cfg.evaluation {
        Evaluation::WithinSession => cfg.n_folds as u64,
        _ => 1,
    };
    base * if cfg.control { 2 } else { 1 }
}

/// Runs the benchmark (or this process's shard of it).
pub fn run(cfg: &BenchConfig) -> Result<RunOutput> {
    if cfg.subjects.is_empty() {
        return Err(BenchError::invalid(
            "--subjects",
            "",
            "give at least one subject",
        ));
    }
    if cfg.pipelines.is_empty() {
        return Err(BenchError::invalid(
            "--pipelines",
            "",
            "give at least one pipeline",
        ));
    }
    if cfg.filters.is_empty() {
        return Err(BenchError::invalid("--filter", "", "give a filter mode"));
    }
    let mut names: Vec<&str> = cfg.pipelines.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(BenchError::invalid(
            "pipelines",
            w[0],
            "two pipelines share this name",
        ));
    }
    let all_units = units(cfg);
    let mine: Vec<(usize, Unit)> = all_units
        .iter()
        .copied()
        .enumerate()
        .filter(|(i, _)| cfg.shard.is_none_or(|s| s.owns(*i)))
        .collect();
    let (extra, banks) = band_layout(cfg);
    let mut cache: Cache = BTreeMap::new();
    for (_, u) in &mine {
        match cfg.evaluation {
            Evaluation::CrossSubject => {
                for &s in &cfg.subjects {
                    cache.entry((u.filter, s)).or_default();
                }
            }
            _ => {
                cache.entry((u.filter, u.subject)).or_default();
            }
        }
    }
    let shared = Shared {
        cfg,
        extra,
        banks,
        cache,
    };
    let total = mine.len() as u64 * steps_per_unit(cfg);
    let progress = if cfg.progress && std::io::stderr().is_terminal() {
        let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} folds, ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb
    } else {
        ProgressBar::hidden()
    };
    let threads = if cfg.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        cfg.threads
    }
    .min(mine.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<UnitOut>>>> =
        mine.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(i, unit)) = mine.get(j) else { break };
                    // Units already run in parallel here (or on one core with --threads 1).
                    let r = bci_decode::par::sequential(|| run_unit(&shared, i, unit, &progress));
                    let failed = r.is_err();
                    if let Ok(mut slot) = slots[j].lock() {
                        *slot = Some(r);
                    }
                    if failed {
                        // Stop handing out work; the first failure in unit order is reported.
                        next.store(mine.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    progress.finish_and_clear();
    let mut results = Vec::new();
    let mut folds = Vec::new();
    let mut timings = Vec::new();
    for slot in slots {
        let inner = slot
            .into_inner()
            .map_err(|_| BenchError::Data("a worker thread panicked".into()))?;
        match inner {
            Some(Ok(u)) => {
                results.extend(u.results);
                folds.extend(u.folds);
                timings.extend(u.timings);
            }
            Some(Err(e)) => return Err(e),
            None => {}
        }
    }
    let mut files = BTreeMap::new();
    for ((_, s), cell) in &shared.cache {
        if let Some(Ok(d)) = cell.get() {
            files.insert(*s, d.files.clone());
        }
    }
    // With cross-subject shards every shard loads every subject; other evaluations record only
    // the subjects of their own units, and a merge takes the union.
    let p = &cfg.paradigm;
    let meta = Meta {
        tool: "bci".into(),
        tool_version: TOOL_VERSION.into(),
        paradigm: p.name.into(),
        dataset: p.dataset.into(),
        evaluation: cfg.evaluation,
        metric: p.metric(),
        chance: p.chance(),
        classes: p.classes(),
        events: p
            .events
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        band_hz: p.band,
        window_s: (p.tmin, p.tmax),
        n_folds: cfg.n_folds,
        seed: cfg.seed,
        filters: cfg.filters.clone(),
        control: cfg.control,
        subjects: cfg.subjects.clone(),
        pipelines: cfg.pipelines.clone(),
        files,
        shard: cfg.shard,
        n_units: all_units.len(),
    };
    Ok(RunOutput {
        meta,
        results,
        folds,
        timings,
    })
}
