//! PNG plots of a run, drawn with plotters (text through the system's fonts):
//! - `scores_by_pipeline.png`: one point per subject (and session) for each pipeline, the
//!   pipeline mean as a bar, the shuffled-label control in grey, and the chance level;
//! - `pipeline_comparison.png`: the first pipeline against each other one, one point per subject
//!   (labelled with its number), with the diagonal: points above it favour the other pipeline.
//!   With a single pipeline it compares the true-label score with the shuffled-label control.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::eval::{ResultRow, RunOutput};
use crate::paradigm::FilterMode;
use crate::{BenchError, Result};

fn perr(path: &Path, e: impl std::fmt::Display) -> BenchError {
    BenchError::Plot {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

const FILTER_COLORS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40)];

/// Draws every plot of `out` into `dir`.
pub fn draw_all(dir: &Path, out: &RunOutput) -> Result<Vec<PathBuf>> {
    let a = dir.join("scores_by_pipeline.png");
    scores_by_pipeline(&a, out)?;
    let b = dir.join("pipeline_comparison.png");
    pipeline_comparison(&b, out)?;
    Ok(vec![a, b])
}

fn rows<'a>(
    out: &'a RunOutput,
    pipeline: &'a str,
    filter: FilterMode,
    control: &'a str,
) -> impl Iterator<Item = &'a ResultRow> {
    out.results
        .iter()
        .filter(move |r| r.pipeline == pipeline && r.filter == filter && r.control == control)
}

fn y_range(out: &RunOutput) -> (f64, f64) {
    let lo = out
        .results
        .iter()
        .map(|r| r.score)
        .fold(out.meta.chance, f64::min);
    // Room below the lowest point for the legend (drawn in the lower right corner).
    let lo = if lo < 0.3 { 0.0 } else { (lo - 0.25).max(0.0) };
    (lo, 1.0)
}

fn scores_by_pipeline(path: &Path, out: &RunOutput) -> Result<()> {
    let m = &out.meta;
    let n = m.pipelines.len();
    let root = BitMapBackend::new(path, (1000, 650)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(path, e))?;
    let title = format!(
        "Per-subject {} by pipeline: {} {}, {}",
        m.metric.name(),
        m.dataset,
        m.paradigm,
        m.evaluation.name()
    );
    let (ylo, yhi) = y_range(out);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(55)
        .y_label_area_size(75)
        .build_cartesian_2d(-0.5f64..n as f64 - 0.5, ylo..yhi)
        .map_err(|e| perr(path, e))?;
    let names: Vec<String> = m.pipelines.iter().map(|p| p.name.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("pipeline")
        // Steps of 0.5 or 1 land on every integer; the formatter names the integers only.
        .x_labels(2 * n + 2)
        .y_desc(m.metric.label())
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-9 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.1}"))
        .axis_desc_style(("sans-serif", 20))
        .label_style(("sans-serif", 17))
        .draw()
        .map_err(|e| perr(path, e))?;
    // Chance level.
    chart
        .draw_series(LineSeries::new(
            vec![(-0.5, m.chance), (n as f64 - 0.5, m.chance)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| perr(path, e))?
        .label(format!("chance ({})", m.chance))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    let nf = m.filters.len() as f64;
    for (fi, &filter) in m.filters.iter().enumerate() {
        let color = FILTER_COLORS[fi % 2];
        let offset = if nf > 1.0 {
            (fi as f64 - (nf - 1.0) / 2.0) * 0.3
        } else {
            0.0
        };
        let mut pts = Vec::new();
        let mut ctrl = Vec::new();
        let mut means = Vec::new();
        for (pi, p) in m.pipelines.iter().enumerate() {
            let real: Vec<&ResultRow> = rows(out, &p.name, filter, "none").collect();
            let k = real.len().max(1) as f64;
            for (j, r) in real.iter().enumerate() {
                // Spread the subjects across the slot so every point stays visible.
                let jitter = if real.len() > 1 {
                    (j as f64 / (k - 1.0) - 0.5) * 0.16
                } else {
                    0.0
                };
                pts.push((pi as f64 + offset + jitter, r.score));
            }
            if !real.is_empty() {
                let mean = real.iter().map(|r| r.score).sum::<f64>() / k;
                means.push((pi as f64 + offset, mean));
            }
            for r in rows(out, &p.name, filter, "shuffled") {
                ctrl.push((pi as f64 + offset + 0.12, r.score));
            }
        }
        chart
            .draw_series(means.iter().map(|&(x, y)| {
                PathElement::new(vec![(x - 0.12, y), (x + 0.12, y)], color.stroke_width(3))
            }))
            .map_err(|e| perr(path, e))?;
        chart
            .draw_series(
                pts.iter()
                    .map(|&(x, y)| Circle::new((x, y), 6, color.filled())),
            )
            .map_err(|e| perr(path, e))?
            .label(format!(
                "{} filter: one point per subject, bar = mean",
                filter.name()
            ))
            .legend(move |(x, y)| Circle::new((x + 10, y), 6, color.filled()));
        if !ctrl.is_empty() {
            let grey = RGBColor(150, 150, 150);
            chart
                .draw_series(
                    ctrl.iter()
                        .map(|&(x, y)| Cross::new((x, y), 5, grey.stroke_width(2))),
                )
                .map_err(|e| perr(path, e))?
                .label(format!("{} filter: shuffled-label control", filter.name()))
                .legend(move |(x, y)| Cross::new((x + 10, y), 5, grey.stroke_width(2)));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 15))
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()
        .map_err(|e| perr(path, e))?;
    root.present().map_err(|e| perr(path, e))?;
    Ok(())
}

fn pipeline_comparison(path: &Path, out: &RunOutput) -> Result<()> {
    let m = &out.meta;
    // (x pipeline, x control, y pipeline, y control)
    let pairs: Vec<(String, &str, String, &str)> = if m.pipelines.len() >= 2 {
        m.pipelines[1..]
            .iter()
            .map(|p| (m.pipelines[0].name.clone(), "none", p.name.clone(), "none"))
            .collect()
    } else {
        let p = m.pipelines[0].name.clone();
        vec![(p.clone(), "shuffled", p, "none")]
    };
    let cols = pairs.len().min(3);
    let nrows = pairs.len().div_ceil(cols);
    let root = BitMapBackend::new(path, (480 * cols as u32 + 40, 470 * nrows as u32 + 60))
        .into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(path, e))?;
    let title = format!(
        "Pipeline comparison ({}), one point per subject: {} {}",
        m.metric.name(),
        m.dataset,
        m.paradigm
    );
    let root = root
        .titled(&title, ("sans-serif", 24))
        .map_err(|e| perr(path, e))?;
    let panels = root.split_evenly((nrows, cols));
    let (lo, hi) = y_range(out);
    for (panel, (xp, xc, yp, yc)) in panels.iter().zip(&pairs) {
        let xdesc = if *xc == "shuffled" {
            format!("{xp} {} (shuffled labels)", m.metric.name())
        } else {
            format!("{xp} {}", m.metric.name())
        };
        let ydesc = format!("{yp} {}", m.metric.name());
        let mut chart = ChartBuilder::on(panel)
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(|e| perr(path, e))?;
        chart
            .configure_mesh()
            .x_desc(xdesc)
            .y_desc(ydesc)
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .axis_desc_style(("sans-serif", 17))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| perr(path, e))?;
        chart
            .draw_series(LineSeries::new(
                vec![(lo, lo), (hi, hi)],
                BLACK.stroke_width(1),
            ))
            .map_err(|e| perr(path, e))?;
        for (fi, &filter) in m.filters.iter().enumerate() {
            let color = FILTER_COLORS[fi % 2];
            let mut pts = Vec::new();
            for rx in rows(out, xp, filter, xc) {
                if let Some(ry) = rows(out, yp, filter, yc)
                    .find(|r| r.subject == rx.subject && r.session == rx.session)
                {
                    pts.push((rx.score, ry.score, rx.subject));
                }
            }
            chart
                .draw_series(pts.iter().map(|&(x, y, s)| {
                    EmptyElement::at((x, y))
                        + Circle::new((0, 0), 6, color.filled())
                        + Text::new(format!("S{s}"), (8, -8), ("sans-serif", 14))
                }))
                .map_err(|e| perr(path, e))?
                .label(format!("{} filter", filter.name()))
                .legend(move |(x, y)| Circle::new((x + 10, y), 6, color.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 14))
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()
            .map_err(|e| perr(path, e))?;
    }
    root.present().map_err(|e| perr(path, e))?;
    Ok(())
}
