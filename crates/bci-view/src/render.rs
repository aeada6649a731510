//! Drawing the [`ViewModel`] into a ratatui frame.
//!
//! Layout: a top bar (rate, channels, samples, scale, time span, page), the traces on the left
//! (name, flag, braille trace per channel, a lane with markers and the time axis), a side panel
//! on the right (decoder output, attention index, band powers or PSD, drops and latency,
//! markers), and a key help line. Every write is clipped to the frame, so any terminal size
//! renders without panicking; below 40×8 only a notice is drawn.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::model::{BARS, ChannelFlag, SCALES_UV, SpectrumMode, ViewModel};

const PALETTE: [Color; 6] = [
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::Magenta,
    Color::LightBlue,
    Color::LightGreen,
];
const LABEL_W: u16 = 7;
const FLAG_W: u16 = 5;

/// Draw the whole view into `frame`.
pub fn render(frame: &mut Frame, model: &ViewModel) {
    let area = frame.area();
    render_into(frame.buffer_mut(), area, model);
}

/// Draw the whole view into `buf` within `area` (what [`render`] does; usable without a
/// [`Frame`]).
pub fn render_into(buf: &mut Buffer, area: Rect, model: &ViewModel) {
    let area = area.intersection(buf.area);
    if area.width < 40 || area.height < 8 {
        put(
            buf,
            area,
            area.x,
            area.y,
            "terminal too small (need 40x8)",
            Style::default().fg(Color::Red),
        );
        return;
    }
    let top = Rect::new(area.x, area.y, area.width, 1);
    let help = Rect::new(area.x, area.bottom() - 1, area.width, 1);
    let body = Rect::new(area.x, area.y + 1, area.width, area.height - 2);
    let side_w = (area.width * 36 / 100).clamp(28, 46);
    let traces = Rect::new(body.x, body.y, body.width - side_w, body.height);
    let side = Rect::new(traces.right(), body.y, side_w, body.height);
    let layout = trace_layout(model, traces);
    model.pages_hint.set(layout.pages);
    top_bar(buf, top, model, &layout);
    draw_traces(buf, traces, model, &layout);
    side_panel(buf, side, model);
    put(
        buf,
        help,
        help.x,
        help.y,
        "q quit  1-9/m marker  +/- scale  a auto  </> time  n/N page  p psd  f filter  space freeze",
        Style::default().fg(Color::DarkGray),
    );
}

/// Write `text` at (x, y), clipped to `area`; returns the column after the text.
fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, text: &str, style: Style) -> u16 {
    if y < area.y || y >= area.bottom() || x >= area.right() || x < area.x {
        return x;
    }
    let max = (area.right() - x) as usize;
    buf.set_stringn(x, y, text, max, style).0
}

struct TraceLayout {
    rows_per_channel: u16,
    per_page: usize,
    pages: usize,
    page: usize,
}

fn trace_layout(model: &ViewModel, area: Rect) -> TraceLayout {
    let n = model.n_channels();
    let avail = area.height.saturating_sub(1).max(1) as usize;
    let rows = (avail / n).clamp(1, 4);
    // Two rows per channel at least when paging is needed anyway: 8 braille dots of height.
    let rows = if rows < 2 && avail >= 2 { 2 } else { rows };
    let per_page = (avail / rows).max(1);
    let pages = n.div_ceil(per_page);
    TraceLayout {
        rows_per_channel: rows as u16,
        per_page,
        pages,
        page: model.page().min(pages - 1),
    }
}

fn top_bar(buf: &mut Buffer, area: Rect, model: &ViewModel, layout: &TraceLayout) {
    let cfg = model.config();
    let fs = cfg.sample_rate;
    let secs = model.total_samples() as f64 / fs;
    let scale = SCALES_UV[model.effective_scale_idx()];
    // Most important first: a narrow terminal cuts the end.
    let mut text = format!(
        " {} Hz | {} ch | {} samples ({:.1} s) | ±{} µV{} | {} s",
        trim_num(fs),
        model.n_channels(),
        model.total_samples(),
        secs,
        trim_num(scale),
        if model.auto_scale { " auto" } else { "" },
        trim_num(model.display_seconds()),
    );
    if model.display_filter_on() {
        let cfg = model.config();
        if let Some(hp) = cfg.display_highpass_hz {
            text.push_str(&format!(" | hp {} Hz", trim_num(hp)));
        }
        if let Some(n) = cfg.display_notch_hz {
            text.push_str(&format!(" notch {}", trim_num(n)));
        }
    } else {
        text.push_str(" | raw");
    }
    if layout.pages > 1 {
        text.push_str(&format!(" | page {}/{}", layout.page + 1, layout.pages));
    }
    if model.missed_samples() > 0 {
        text.push_str(&format!(" | missed {}", model.missed_samples()));
    }
    if model.paused() {
        text.push_str(" | FROZEN");
    }
    text.push_str(&format!(" | {}", model.title));
    let style = Style::default()
        .fg(Color::Black)
        .bg(Color::Gray)
        .add_modifier(Modifier::BOLD);
    for x in area.x..area.right() {
        if let Some(cell) = buf.cell_mut((x, area.y)) {
            cell.set_symbol(" ").set_style(style);
        }
    }
    put(buf, area, area.x, area.y, &text, style);
}

fn trim_num(v: f64) -> String {
    if v == v.round() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// Braille dot bits: column 0/1, row 0..3.
const DOTS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];

fn draw_traces(buf: &mut Buffer, area: Rect, model: &ViewModel, layout: &TraceLayout) {
    let plot_x = area.x + LABEL_W + FLAG_W;
    if area.width <= LABEL_W + FLAG_W + 2 {
        return;
    }
    let plot_w = area.right() - plot_x - 1;
    let fs = model.config().sample_rate;
    let end = model.display_end();
    let span = ((model.display_seconds() * fs).round() as u64).max(1);
    let start = end.saturating_sub(span);
    let dots_w = plot_w as usize * 2;
    let scale = SCALES_UV[model.effective_scale_idx()];
    let first = layout.page * layout.per_page;
    let last = (first + layout.per_page).min(model.n_channels());
    let rpc = layout.rows_per_channel;
    // Column sample ranges: [start + j*span/dots_w, start + (j+1)*span/dots_w).
    let col_range = |j: usize| -> (u64, u64) {
        let a = start + (j as u64 * span) / dots_w as u64;
        let b = start + ((j as u64 + 1) * span) / dots_w as u64;
        (a, b.max(a + 1))
    };
    let mut cols: Vec<Option<(f64, f64)>> = vec![None; dots_w];
    let mut cells: Vec<u8> = vec![0; plot_w as usize * rpc as usize];
    let marker_cols: Vec<usize> = model
        .markers()
        .filter(|m| m.sample_index >= start && m.sample_index < end)
        .map(|m| ((m.sample_index - start) * plot_w as u64 / span) as usize)
        .collect();
    for (i, c) in (first..last).enumerate() {
        let y0 = area.y + i as u16 * rpc;
        let color = PALETTE[c % PALETTE.len()];
        let name = model
            .config()
            .channel_names
            .get(c)
            .map(String::as_str)
            .unwrap_or("?");
        let mid_row = y0 + (rpc - 1) / 2;
        let label: String = name.chars().take(LABEL_W as usize - 1).collect();
        put(
            buf,
            area,
            area.x,
            mid_row,
            &label,
            Style::default().fg(color),
        );
        let (flag, fstyle) = match model.channel_flag(c) {
            ChannelFlag::Unknown => ("--", Style::default().fg(Color::DarkGray)),
            ChannelFlag::Ok => ("ok", Style::default().fg(Color::Green)),
            ChannelFlag::Railed => (
                "RAIL",
                Style::default()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD),
            ),
            ChannelFlag::Flat => (
                "FLAT",
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
            ),
        };
        put(buf, area, area.x + LABEL_W, mid_row, flag, fstyle);
        // Per dot column min/max; centre on the mean of column midpoints.
        let (mut sum, mut n) = (0.0, 0usize);
        for (j, col) in cols.iter_mut().enumerate() {
            let (a, b) = col_range(j);
            *col = model.range_min_max(c, a, b);
            if let Some((lo, hi)) = *col {
                sum += 0.5 * (lo + hi);
                n += 1;
            }
        }
        cells.iter_mut().for_each(|v| *v = 0);
        if n > 0 {
            let centre = sum / n as f64;
            let h = rpc as i64 * 4;
            let to_row = |v: f64| -> i64 {
                let r = ((h - 1) as f64 / 2.0) - (v - centre) / scale * (h as f64 / 2.0);
                (r.round() as i64).clamp(0, h - 1)
            };
            let mut prev: Option<(i64, i64)> = None;
            for (j, col) in cols.iter().enumerate() {
                let Some((lo, hi)) = *col else {
                    prev = None;
                    continue;
                };
                let (mut top, mut bottom) = (to_row(hi), to_row(lo));
                // Join to the previous column so a fast swing reads as a line, not dots.
                if let Some((pt, pb)) = prev {
                    if pb < top {
                        top = pb + 1;
                    }
                    if pt > bottom {
                        bottom = pt - 1;
                    }
                    top = top.min(bottom);
                }
                prev = Some((to_row(hi), to_row(lo)));
                for r in top..=bottom {
                    let cell = (r / 4) as usize * plot_w as usize + j / 2;
                    cells[cell] |= DOTS[j % 2][(r % 4) as usize];
                }
            }
        }
        for row in 0..rpc {
            for x in 0..plot_w {
                let bits = cells[row as usize * plot_w as usize + x as usize];
                let pos = (plot_x + x, y0 + row);
                let Some(cell) = buf.cell_mut(pos) else {
                    continue;
                };
                if bits != 0 {
                    let ch = char::from_u32(0x2800 + bits as u32).unwrap_or('?');
                    cell.set_char(ch).set_style(Style::default().fg(color));
                } else if marker_cols.contains(&(x as usize)) {
                    cell.set_char('┆')
                        .set_style(Style::default().fg(Color::Red));
                }
            }
        }
    }
    // Lane: time axis and markers under the traces.
    let lane_y = area.y + ((last - first) as u16 * rpc).min(area.height.saturating_sub(1));
    let dim = Style::default().fg(Color::DarkGray);
    put(
        buf,
        area,
        plot_x,
        lane_y,
        &format!("-{}s", trim_num(span as f64 / fs)),
        dim,
    );
    let now = "now";
    put(
        buf,
        area,
        plot_x + plot_w.saturating_sub(now.len() as u16),
        lane_y,
        now,
        dim,
    );
    for m in model.markers() {
        if m.sample_index >= start && m.sample_index < end {
            let x = plot_x + ((m.sample_index - start) * plot_w as u64 / span) as u16;
            put(
                buf,
                area,
                x,
                lane_y,
                &format!("▲{}", m.label),
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            );
        }
    }
}

fn section_title(buf: &mut Buffer, area: Rect, y: u16, title: &str) {
    if y < area.y || y >= area.bottom() {
        return;
    }
    let style = Style::default().fg(Color::Gray);
    let mut x = put(buf, area, area.x, y, "─ ", style);
    x = put(buf, area, x, y, title, style.add_modifier(Modifier::BOLD));
    x = put(buf, area, x, y, " ", style);
    for xx in x..area.right() {
        put(buf, area, xx, y, "─", style);
    }
}

fn bar(width: usize, frac: f64) -> String {
    let frac = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (frac * width as f64 * 8.0).round() as usize;
    let full = eighths / 8;
    let rem = eighths % 8;
    let mut s = "█".repeat(full);
    if rem > 0 && full < width {
        s.push([' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][rem]);
    }
    while s.chars().count() < width {
        s.push('·');
    }
    s
}

fn fmt_us(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(us) if us >= 10_000.0 => format!("{:.1} ms", us / 1000.0),
        Some(us) => format!("{us:.0} µs"),
    }
}

fn fmt_ratio(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "-".into()
    }
}

fn side_panel(buf: &mut Buffer, area: Rect, model: &ViewModel) {
    // Inner area one column in from the left edge (a gutter between traces and panel).
    let area = Rect::new(
        area.x + 1,
        area.y,
        area.width.saturating_sub(1),
        area.height,
    );
    let w = area.width as usize;
    let mut y = area.y;
    let text = Style::default();
    let dim = Style::default().fg(Color::DarkGray);

    // Decoder.
    let n_classes = model.prediction().map_or(0, |p| p.scores.len());
    let shown_classes = n_classes.min(3) as u16;
    section_title(buf, area, y, "decoder");
    y += 1;
    match model.prediction() {
        None => {
            put(buf, area, area.x, y, "no prediction yet", dim);
            y += 1;
        }
        Some(p) => {
            let x = put(
                buf,
                area,
                area.x,
                y,
                &p.label,
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            );
            put(buf, area, x + 1, y, &format!("@{}", p.sample_index), dim);
            y += 1;
            let probs = display_scores(&p.scores);
            let mut order: Vec<usize> = (0..probs.len()).collect();
            order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
            for &k in order.iter().take(shown_classes as usize) {
                let name = model
                    .class_names
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| format!("class {k}"));
                let name: String = name.chars().take(7).collect();
                let bw = w.saturating_sub(7 + 1 + 6).max(3);
                let line = format!("{name:<7} {} {:.2}", bar(bw, probs[k]), p.scores[k]);
                put(buf, area, area.x, y, &line, text);
                y += 1;
            }
        }
    }

    // Attention.
    section_title(buf, area, y, "attention");
    y += 1;
    match model.attention() {
        None => {
            put(buf, area, area.x, y, "no index yet", dim);
            y += 2;
        }
        Some(a) => {
            put(
                buf,
                area,
                area.x,
                y,
                &format!(
                    "θ/β {}  α rel {}",
                    fmt_ratio(a.theta_beta),
                    fmt_ratio(a.alpha_rel)
                ),
                text,
            );
            y += 1;
            let x = put(
                buf,
                area,
                area.x,
                y,
                &format!("engage {} ", fmt_ratio(a.engagement)),
                text,
            );
            // History strip of the engagement index, newest at the right.
            let room = area.right().saturating_sub(x) as usize;
            let hist: Vec<f64> = model
                .attention
                .iter()
                .rev()
                .take(room)
                .map(|v| v.engagement)
                .collect();
            let (lo, hi) = hist
                .iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            let strip: String = hist
                .iter()
                .rev()
                .map(|&v| {
                    if !v.is_finite() {
                        ' '
                    } else {
                        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                        ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'][(f * 7.0).round() as usize]
                    }
                })
                .collect();
            put(buf, area, x, y, &strip, Style::default().fg(Color::Magenta));
            y += 1;
        }
    }

    // Spectrum.
    let rows_left = area.bottom().saturating_sub(y);
    let spec_rows = (BARS.len() as u16).min(rows_left.saturating_sub(7)).max(2);
    let title = match model.spectrum_mode() {
        SpectrumMode::Bands => "bands (p: psd)",
        SpectrumMode::Psd => "psd 1-45 Hz (p: bands)",
    };
    section_title(buf, area, y, title);
    y += 1;
    let mut psd = Vec::new();
    if !model.mean_psd(&mut psd) {
        put(buf, area, area.x, y, "no spectrum yet", dim);
    } else {
        match model.spectrum_mode() {
            SpectrumMode::Bands => band_bars(buf, area, y, spec_rows, model, &psd),
            SpectrumMode::Psd => psd_plot(buf, area, y, spec_rows, model, &psd),
        }
    }
    y += spec_rows;

    // Pipeline health.
    section_title(buf, area, y, "pipeline");
    y += 1;
    let st = &model.stats;
    let mut drops = String::from("drops");
    if st.branches.is_empty() {
        drops.push_str(" -");
    }
    for b in &st.branches {
        drops.push_str(&format!(" {} {}", b.name, b.drops));
    }
    let any_drop = st.branches.iter().any(|b| b.drops > 0);
    put(
        buf,
        area,
        area.x,
        y,
        &drops,
        if any_drop {
            Style::default().fg(Color::Yellow)
        } else {
            text
        },
    );
    y += 1;
    put(
        buf,
        area,
        area.x,
        y,
        &format!(
            "lat p50 {} p99 {}",
            fmt_us(st.latency_p50_us),
            fmt_us(st.latency_p99_us)
        ),
        text,
    );
    y += 1;

    // Markers, newest first.
    if y < area.bottom() {
        section_title(buf, area, y, &format!("markers ({})", model.markers_total));
        y += 1;
        for m in model.markers().rev() {
            if y >= area.bottom() {
                break;
            }
            put(
                buf,
                area,
                area.x,
                y,
                &format!("{} @ {}", m.label, m.sample_index),
                Style::default().fg(Color::Red),
            );
            y += 1;
        }
    }
}

/// Scores as bar fractions: as given when they all lie in [0, 1] (probabilities), otherwise a
/// softmax (decision values).
fn display_scores(scores: &[f64]) -> Vec<f64> {
    if scores.iter().all(|s| (0.0..=1.0).contains(s)) {
        return scores.to_vec();
    }
    let m = scores
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = scores
        .iter()
        .map(|s| if s.is_finite() { (s - m).exp() } else { 0.0 })
        .collect();
    let z: f64 = e.iter().sum();
    e.iter()
        .map(|v| if z > 0.0 { v / z } else { 0.0 })
        .collect()
}

fn integrate(freqs: &[f64], psd: &[f64], lo: f64, hi: f64) -> Option<f64> {
    let idx: Vec<usize> = (0..freqs.len())
        .filter(|&k| freqs[k] >= lo && freqs[k] <= hi)
        .collect();
    if idx.len() < 2 {
        return None;
    }
    Some(
        idx.windows(2)
            .map(|p| 0.5 * (psd[p[0]] + psd[p[1]]) * (freqs[p[1]] - freqs[p[0]]))
            .sum(),
    )
}

fn band_bars(buf: &mut Buffer, area: Rect, y: u16, rows: u16, model: &ViewModel, psd: &[f64]) {
    let powers: Vec<(&str, f64)> = BARS
        .iter()
        .filter_map(|&(name, lo, hi)| integrate(&model.freqs, psd, lo, hi).map(|p| (name, p)))
        .collect();
    let total: f64 = powers.iter().map(|p| p.1).sum();
    let w = area.width as usize;
    for (i, (name, p)) in powers.iter().enumerate().take(rows as usize) {
        let frac = if total > 0.0 { p / total } else { 0.0 };
        let bw = w.saturating_sub(6 + 5).max(3);
        put(
            buf,
            area,
            area.x,
            y + i as u16,
            &format!("{name:<5} {} {:>3.0}%", bar(bw, frac), frac * 100.0),
            Style::default().fg(Color::LightBlue),
        );
    }
}

fn psd_plot(buf: &mut Buffer, area: Rect, y: u16, rows: u16, model: &ViewModel, psd: &[f64]) {
    let freqs = &model.freqs;
    let bins: Vec<f64> = freqs
        .iter()
        .zip(psd)
        .filter(|(f, _)| **f >= 1.0 && **f <= 45.0)
        .map(|(_, p)| p.max(1e-12).log10())
        .collect();
    if bins.is_empty() || rows == 0 {
        return;
    }
    let (lo, hi) = bins
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let w = area.width as usize;
    let levels = rows as f64 * 8.0;
    for x in 0..w {
        // Each column shows the largest bin it covers.
        let a = x * bins.len() / w;
        let b = ((x + 1) * bins.len() / w).max(a + 1).min(bins.len());
        let v = bins[a..b].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let f = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        let mut eighths = (f * (levels - 1.0)).round() as i64 + 1;
        for r in (0..rows).rev() {
            let ch = match eighths {
                e if e >= 8 => '█',
                e if e <= 0 => ' ',
                e => [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇'][e as usize],
            };
            eighths -= 8;
            let pos = (area.x + x as u16, y + r);
            if area.contains(pos.into())
                && let Some(cell) = buf.cell_mut(pos)
            {
                cell.set_char(ch)
                    .set_style(Style::default().fg(Color::LightBlue));
            }
        }
    }
}
