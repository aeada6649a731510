//! Output folder: results, folds, timings, summary table, plots; and merging shard folders.
//!
//! | file | content | same seed + data ⇒ byte-identical |
//! |---|---|---|
//! | `results.csv` | one row per (subject, session, pipeline, control, filter): score, fold scores, ITR, seed, tool version, data checksum | yes |
//! | `folds.csv` | one row per tested epoch: run, onset, true label, label used, fold, prediction, score | yes |
//! | `results.json` | the run's description (paradigm, pipelines, seed, filter modes, files and sha256 of every subject) plus the rows of both CSVs | yes |
//! | `summary.md` | mean ± sd per pipeline, dataset and filter mode; the shuffled-label control and its flags; per-subject scores | yes |
//! | `timings.csv` | fit and predict seconds per fold | no (times vary) |
//! | `scores_by_pipeline.png`, `pipeline_comparison.png` | plots | not compared |

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::eval::{FoldRow, Meta, ResultRow, RunOutput, TimingRow};
use crate::paradigm::FilterMode;
use crate::{BenchError, Result, plot};

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| BenchError::Core(bci_core::Error::io(path, e)))
}

/// Shortest text that reads back as the same f64 (Rust's `Display`), so files are exact.
fn num(v: f64) -> String {
    format!("{v}")
}

fn results_csv(rows: &[ResultRow]) -> String {
    let mut s = String::from(
        "dataset,paradigm,evaluation,subject,session,pipeline,control,filter,metric,score,fold_scores,n_epochs,n_classes,itr_bits_per_min,seed,tool_version,data_sha256\n",
    );
    for r in rows {
        let folds: Vec<String> = r.fold_scores.iter().map(|v| num(*v)).collect();
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.dataset,
            r.paradigm,
            r.evaluation.name(),
            r.subject,
            r.session,
            r.pipeline,
            r.control,
            r.filter.name(),
            r.metric.name(),
            num(r.score),
            folds.join(";"),
            r.n_epochs,
            r.n_classes,
            r.itr_bits_per_min.map(num).unwrap_or_default(),
            r.seed,
            r.tool_version,
            r.data_sha256
        );
    }
    s
}

fn folds_csv(rows: &[FoldRow]) -> String {
    let mut s = String::from(
        "subject,session,pipeline,control,filter,epoch,run,onset,label,label_used,fold,predicted,score\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.subject,
            r.session,
            r.pipeline,
            r.control,
            r.filter.name(),
            r.epoch,
            r.run,
            r.onset,
            r.label,
            r.label_used,
            r.fold,
            r.predicted,
            num(r.score)
        );
    }
    s
}

fn timings_csv(rows: &[TimingRow]) -> String {
    let mut s = String::from(
        "unit,subject,session,pipeline,control,filter,fold,fit_seconds,predict_seconds\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{}",
            r.unit,
            r.subject,
            r.session,
            r.pipeline,
            r.control,
            r.filter.name(),
            r.fold,
            num(r.fit_seconds),
            num(r.predict_seconds)
        );
    }
    s
}

fn parse_timings(path: &Path) -> Result<Vec<TimingRow>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BenchError::Core(bci_core::Error::io(path, e)))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let bad =
            |what: &str| BenchError::Merge(format!("{}: line {}: {what}", path.display(), n + 1));
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 9 {
            return Err(bad("expected 9 fields"));
        }
        let filter = match f[5] {
            "zero-phase" => FilterMode::ZeroPhase,
            "causal" => FilterMode::Causal,
            _ => return Err(bad("unknown filter mode")),
        };
        out.push(TimingRow {
            unit: f[0].parse().map_err(|_| bad("bad unit"))?,
            subject: f[1].parse().map_err(|_| bad("bad subject"))?,
            session: f[2].into(),
            pipeline: f[3].into(),
            control: f[4].into(),
            filter,
            fold: f[6].parse().map_err(|_| bad("bad fold"))?,
            fit_seconds: f[7].parse().map_err(|_| bad("bad fit_seconds"))?,
            predict_seconds: f[8].parse().map_err(|_| bad("bad predict_seconds"))?,
        });
    }
    Ok(out)
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let m = v.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (m, 0.0);
    }
    // Sample standard deviation (ddof = 1), as pandas' `std` in MOABB's tables.
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
    (m, var.sqrt())
}

/// One line of the summary: a pipeline on a dataset with one filter mode.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryLine {
    pub pipeline: String,
    pub filter: FilterMode,
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub control: Option<(f64, f64)>,
    pub flags: Vec<String>,
}

/// Mean ± sd per pipeline and filter mode, with the control and its flags.
pub fn summarize(out: &RunOutput) -> Vec<SummaryLine> {
    let chance = out.meta.chance;
    let mut lines = Vec::new();
    for &filter in &out.meta.filters {
        for p in &out.meta.pipelines {
            let pick = |control: &str| -> Vec<f64> {
                out.results
                    .iter()
                    .filter(|r| r.pipeline == p.name && r.filter == filter && r.control == control)
                    .map(|r| r.score)
                    .collect()
            };
            let real = pick("none");
            let ctrl = pick("shuffled");
            let (mean, sd) = mean_sd(&real);
            let control = (!ctrl.is_empty()).then(|| mean_sd(&ctrl));
            let mut flags = Vec::new();
            if let Some((cm, _)) = control
                && (cm - chance).abs() > 0.1
            {
                flags.push(format!(
                    "shuffled-label control at {cm:.3}, outside chance {chance:.3} ± 0.1: the evaluation leaks labels"
                ));
            }
            if !real.is_empty() && mean < chance - 0.05 {
                // Seen on P300 (bi2012): 1 s epochs every ~0.2 s overlap, so a test epoch's
                // near-copies sit in the training set with the other label, and features blind
                // to time (covariances) anti-predict; pyRiemann scores the same (p300_parity).
                flags.push(format!(
                    "mean score {mean:.3} is below chance ({chance:.3}): the pipeline anti-predicts; with overlapping epochs (P300) use an ERP pipeline (xdawn-ts-lr, xdawn-mdm), else check the labels and events"
                ));
            } else if !real.is_empty() && mean < chance + 0.05 {
                flags.push(format!(
                    "mean score {mean:.3} is at chance ({chance:.3}): check the labels and events"
                ));
            }
            lines.push(SummaryLine {
                pipeline: p.name.clone(),
                filter,
                n: real.len(),
                mean,
                sd,
                control,
                flags,
            });
        }
    }
    lines
}

fn summary_md(out: &RunOutput) -> String {
    let m = &out.meta;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# {} on {} — {} ({}; chance {})\n",
        m.paradigm,
        m.dataset,
        m.evaluation.name(),
        m.metric.name(),
        num(m.chance)
    );
    let _ = writeln!(
        s,
        "bci {} · seed {} · {} folds · band {}-{} Hz · epochs {}-{} s · subjects {}\n",
        m.tool_version,
        m.seed,
        m.n_folds,
        num(m.band_hz.0),
        num(m.band_hz.1),
        num(m.window_s.0),
        num(m.window_s.1),
        m.subjects
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let _ = writeln!(
        s,
        "| pipeline | dataset | filter | n | score (mean ± sd) | shuffled-label control | flags |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for l in summarize(out) {
        let ctrl = l
            .control
            .map(|(a, b)| format!("{a:.3} ± {b:.3}"))
            .unwrap_or_else(|| "not run".into());
        let flags = if l.flags.is_empty() {
            "ok".to_string()
        } else {
            l.flags.join("; ")
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.3} ± {:.3} | {} | {} |",
            l.pipeline,
            m.dataset,
            l.filter.name(),
            l.n,
            l.mean,
            l.sd,
            ctrl,
            flags
        );
    }
    let _ = writeln!(s, "\n## Per subject\n");
    let mut header = String::from("| subject | session | filter |");
    let mut rule = String::from("|---|---|---|");
    for p in &m.pipelines {
        let _ = write!(header, " {} |", p.name);
        rule.push_str("---|");
    }
    let _ = writeln!(s, "{header}\n{rule}");
    let mut keys: Vec<(FilterMode, u32, String)> = out
        .results
        .iter()
        .filter(|r| r.control == "none")
        .map(|r| (r.filter, r.subject, r.session.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    for (filter, subject, session) in keys {
        let _ = write!(s, "| {subject} | {session} | {} |", filter.name());
        for p in &m.pipelines {
            let v = out.results.iter().find(|r| {
                r.control == "none"
                    && r.filter == filter
                    && r.subject == subject
                    && r.session == session
                    && r.pipeline == p.name
            });
            match v {
                Some(r) => match r.itr_bits_per_min {
                    Some(itr) => {
                        let _ = write!(s, " {:.3} ({:.1} bits/min) |", r.score, itr);
                    }
                    None => {
                        let _ = write!(s, " {:.3} |", r.score);
                    }
                },
                None => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    s
}

/// Sorts rows into their canonical order (unit, then session, control, epoch), so any
/// scheduling or merge order gives the same files.
fn canonical(out: &mut RunOutput) {
    let ctrl = |c: &str| if c == "none" { 0 } else { 1 };
    out.results.sort_by(|a, b| {
        (a.unit, &a.session, ctrl(&a.control)).cmp(&(b.unit, &b.session, ctrl(&b.control)))
    });
    out.folds.sort_by(|a, b| {
        (a.unit, &a.session, ctrl(&a.control), a.epoch).cmp(&(
            b.unit,
            &b.session,
            ctrl(&b.control),
            b.epoch,
        ))
    });
    out.timings.sort_by(|a, b| {
        (a.unit, &a.session, ctrl(&a.control), a.fold).cmp(&(
            b.unit,
            &b.session,
            ctrl(&b.control),
            b.fold,
        ))
    });
}

/// Writes every output file into `dir` (created if needed); returns the paths written.
pub fn write_outputs(dir: &Path, out: &RunOutput) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| BenchError::Core(bci_core::Error::io(dir, e)))?;
    let mut out = out.clone();
    canonical(&mut out);
    let mut written = Vec::new();
    let mut put = |name: &str, text: String| -> Result<()> {
        let p = dir.join(name);
        write_file(&p, &text)?;
        written.push(p);
        Ok(())
    };
    put("results.csv", results_csv(&out.results))?;
    put("folds.csv", folds_csv(&out.folds))?;
    put("timings.csv", timings_csv(&out.timings))?;
    let json = serde_json::to_string_pretty(&out)
        .map_err(|e| BenchError::Data(format!("serialising results: {e}")))?;
    put("results.json", json + "\n")?;
    put("summary.md", summary_md(&out))?;
    if out.meta.shard.is_none() {
        written.extend(plot::draw_all(dir, &out)?);
    }
    Ok(written)
}

/// Reads one output folder (`results.json` + `timings.csv`).
pub fn read_output(dir: &Path) -> Result<RunOutput> {
    let path = dir.join("results.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| BenchError::Core(bci_core::Error::io(&path, e)))?;
    let mut out: RunOutput = serde_json::from_str(&text).map_err(|e| {
        BenchError::Merge(format!(
            "{}: not a bci bench results file: {e}",
            path.display()
        ))
    })?;
    out.timings = parse_timings(&dir.join("timings.csv"))?;
    Ok(out)
}

/// Combines shard folders into the output of the unsharded run. Every shard `1..N` of the same
/// run (same settings, data and tool version) must be present exactly once.
pub fn merge(dirs: &[PathBuf]) -> Result<RunOutput> {
    let Some(first_dir) = dirs.first() else {
        return Err(BenchError::Merge("give at least one shard folder".into()));
    };
    let parts: Vec<RunOutput> = dirs.iter().map(|d| read_output(d)).collect::<Result<_>>()?;
    let mut base: Meta = parts[0].meta.clone();
    let count = match base.shard {
        Some(s) => s.count,
        None => 1,
    };
    let mut seen = vec![None::<&PathBuf>; count];
    for (part, dir) in parts.iter().zip(dirs) {
        let mut a = part.meta.clone();
        let mut b = base.clone();
        a.shard = None;
        b.shard = None;
        a.files.clear();
        b.files.clear();
        if a != b {
            return Err(BenchError::Merge(format!(
                "{} comes from a different run than {} (paradigm, subjects, pipelines, seed, folds, filters or tool version differ)",
                dir.display(),
                first_dir.display()
            )));
        }
        let shard_count = part.meta.shard.map_or(1, |s| s.count);
        if shard_count != count {
            return Err(BenchError::Merge(format!(
                "{} is a shard of {shard_count}, {} of {count}",
                dir.display(),
                first_dir.display()
            )));
        }
        let k = part.meta.shard.map_or(1, |s| s.index);
        if let Some(prev) = seen[k - 1] {
            return Err(BenchError::Merge(format!(
                "shard {k}/{count} given twice: {} and {}",
                prev.display(),
                dir.display()
            )));
        }
        seen[k - 1] = Some(dir);
        for (subject, files) in &part.meta.files {
            if let Some(other) = base.files.get(subject)
                && other != files
            {
                return Err(BenchError::Merge(format!(
                    "{}: subject {subject}'s files differ from another shard's (different data)",
                    dir.display()
                )));
            }
            base.files.insert(*subject, files.clone());
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(BenchError::Merge(format!(
            "missing shard(s) {}; run them with --shard and merge all {count}",
            missing.join(", ")
        )));
    }
    base.shard = None;
    let mut merged = RunOutput {
        meta: base,
        results: Vec::new(),
        folds: Vec::new(),
        timings: Vec::new(),
    };
    for p in parts {
        merged.results.extend(p.results);
        merged.folds.extend(p.folds);
        merged.timings.extend(p.timings);
    }
    canonical(&mut merged);
    Ok(merged)
}
