//! The view's data: everything the renderer draws, fed by the pipeline's view branch.
//!
//! Memory is bounded by construction: traces live in a fixed ring of min/max buckets per
//! channel, spectra in a fixed ring of raw samples for at most [`MAX_SPECTRUM_CHANNELS`]
//! channels, markers and attention values in fixed-length queues. Nothing grows with the
//! length of the session.

use std::collections::VecDeque;

use bci_core::{Error, Result};
use bci_dsp::{
    AttentionIndex, Band, Detrend, Scaling, SosFilter, Welch, WelchPlan, butter, iirnotch,
};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Spectra are estimated for the first this-many channels only (bounded work and memory at
/// high channel counts).
pub const MAX_SPECTRUM_CHANNELS: usize = 64;
/// Markers kept for display.
pub const MARKERS_KEPT: usize = 64;
/// Attention values kept for the history strip.
pub const ATTENTION_KEPT: usize = 256;

/// Vertical scales offered by the +/- keys, in µV (half the height of a channel's band).
pub const SCALES_UV: [f64; 19] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5,
    5e5, 1e6,
];

/// Band-power bars: name and band in Hz (bands above Nyquist are left out).
pub const BARS: [(&str, f64, f64); 5] = [
    ("delta", 1.0, 4.0),
    ("theta", 4.0, 8.0),
    ("alpha", 8.0, 13.0),
    ("beta", 13.0, 30.0),
    ("gamma", 30.0, 45.0),
];

/// How the view is set up; [`ViewConfig::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewConfig {
    /// Sample rate of the frames pushed, Hz.
    pub sample_rate: f64,
    /// One name per channel, in frame order.
    pub channel_names: Vec<String>,
    /// Seconds of trace history kept (the longest time span the view can show; default 20 s).
    pub history_seconds: f64,
    /// Time span shown at start (default 5 s; the `<` and `>` keys halve and double it).
    pub display_seconds: f64,
    /// Min/max buckets per channel in the history ring (default 2048): the trace resolution.
    pub history_buckets: usize,
    /// ADC limit in µV (default 187,500 µV: Cyton, gain 24); `None` disables the railed flag.
    pub rail_limit_uv: Option<f64>,
    /// A channel is railed when |x| >= `rail_fraction` × `rail_limit_uv` (default 0.9).
    pub rail_fraction: f64,
    /// A channel is flat when its standard deviation over one second is below this (µV;
    /// default 0.5).
    pub flat_std_uv: f64,
    /// Seconds of signal per spectrum (default 2 s; Welch segments of 1 s).
    pub spectrum_seconds: f64,
    /// High-pass for display (traces and spectra; the flags always see the raw values), Hz:
    /// a causal 2nd-order Butterworth, default 1 Hz, so DC offsets and drift of raw EEG do not
    /// push traces off their band. `None` shows the values as received. The f key toggles it.
    pub display_highpass_hz: Option<f64>,
    /// Mains notch for display (Q = 30), Hz, e.g. 50 or 60; default none.
    pub display_notch_hz: Option<f64>,
}

impl ViewConfig {
    /// Defaults for `channel_names.len()` channels at `sample_rate` Hz.
    pub fn new(sample_rate: f64, channel_names: Vec<String>) -> Self {
        ViewConfig {
            sample_rate,
            channel_names,
            history_seconds: 20.0,
            display_seconds: 5.0,
            history_buckets: 2048,
            rail_limit_uv: Some(187_500.0),
            rail_fraction: 0.9,
            flat_std_uv: 0.5,
            spectrum_seconds: 2.0,
            display_highpass_hz: Some(1.0),
            display_notch_hz: None,
        }
    }
}

/// Drops of one pipeline branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BranchStats {
    pub name: String,
    pub drops: u64,
}

/// Pipeline health numbers the view shows as given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewStats {
    /// Drops per branch (chunks or samples, as the pipeline counts them).
    pub branches: Vec<BranchStats>,
    /// Latency from a window's last sample received to its prediction emitted, µs.
    pub latency_p50_us: Option<f64>,
    pub latency_p99_us: Option<f64>,
    pub latency_max_us: Option<f64>,
    /// Predictions emitted so far.
    pub predictions: u64,
}

/// State of one channel's signal over the last complete second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelFlag {
    /// Less than one second seen yet.
    Unknown,
    Ok,
    /// |x| reached the rail threshold (in the last complete second or the current one).
    Railed,
    /// Standard deviation over the last complete second below the flat threshold.
    Flat,
}

/// A marker as shown: label at a sample index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerView {
    pub sample_index: u64,
    pub label: String,
}

/// The latest decoder output.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PredictionView {
    pub sample_index: u64,
    pub label: String,
    /// Scores as given, one per class.
    pub scores: Vec<f64>,
}

/// What the spectrum panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpectrumMode {
    /// Relative power in the classic bands (mean over unflagged channels).
    Bands,
    /// The mean PSD, 1 Hz bins, log scale.
    Psd,
}

/// What a key press asks of the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewAction {
    /// Nothing for the caller (the key changed the view, or was not bound).
    None,
    /// The user asked to quit (q, Esc, Ctrl-C).
    Quit,
    /// The user sent a marker: "1".."9" for the digit keys, "mark" for m. The caller places it
    /// at a sample index (the view does not know the pipeline's clock).
    Marker(String),
}

/// One second of one channel's statistics, accumulated with Welford's update (stable for
/// large DC offsets, as raw Cyton data have).
#[derive(Debug, Clone, Copy, Default)]
struct Block {
    n: u64,
    mean: f64,
    m2: f64,
    max_abs: f64,
}

impl Block {
    fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        self.max_abs = self.max_abs.max(x.abs());
    }
    fn std(&self) -> f64 {
        if self.n > 1 {
            (self.m2 / (self.n - 1) as f64).max(0.0).sqrt()
        } else {
            0.0
        }
    }
}

/// The view's data and display state. Fed by the pipeline's view branch (on the view's own
/// thread), drawn by [`crate::render`].
pub struct ViewModel {
    pub(crate) cfg: ViewConfig,
    pub(crate) n_channels: usize,
    // Traces: ring of `history_buckets` buckets of `bucket_samples` samples per channel.
    pub(crate) bucket_samples: u64,
    pub(crate) n_buckets: usize,
    /// Channel-major: `mins[c * n_buckets + slot]`. Empty buckets hold +inf / -inf.
    pub(crate) mins: Vec<f64>,
    pub(crate) maxs: Vec<f64>,
    /// Bucket id each slot holds (u64::MAX = never written).
    pub(crate) slot_id: Vec<u64>,
    /// Index one past the last sample received (0 before any).
    pub(crate) next_sample: u64,
    pub(crate) total_samples: u64,
    /// Samples the view never saw (gaps in `first_sample`, e.g. drops on the view branch).
    pub(crate) missed_samples: u64,
    // Flags.
    block_len: u64,
    block_fill: u64,
    current: Vec<Block>,
    last_block: Vec<Option<Block>>,
    // Spectra.
    spec_channels: usize,
    spec_len: usize,
    spec_ring: Vec<f64>,
    spec_pos: usize,
    spec_filled: usize,
    spec_dirty: bool,
    spec_linear: Vec<f64>,
    spec_plan: Option<WelchPlan>,
    pub(crate) freqs: Vec<f64>,
    /// Channel-major PSDs of the first `spec_channels` channels (µV²/Hz).
    pub(crate) psd: Vec<f64>,
    pub(crate) have_psd: bool,
    // Decoder, attention, markers, stats.
    pub(crate) prediction: Option<PredictionView>,
    pub(crate) class_names: Vec<String>,
    pub(crate) markers: VecDeque<MarkerView>,
    pub(crate) markers_total: u64,
    pub(crate) attention: VecDeque<AttentionIndex>,
    pub(crate) stats: ViewStats,
    pub(crate) title: String,
    // Display state changed by keys.
    pub(crate) scale_idx: usize,
    pub(crate) auto_scale: bool,
    pub(crate) display_seconds: f64,
    pub(crate) page: usize,
    /// Pages at the last draw (the renderer knows the screen size; keys wrap with it).
    pub(crate) pages_hint: std::cell::Cell<usize>,
    pub(crate) spectrum_mode: SpectrumMode,
    pub(crate) paused: bool,
    /// `next_sample` when the traces were frozen.
    pub(crate) paused_at: u64,
    // Display filter: raw values in, shown values out (flags keep using the raw ones).
    filter: Option<SosFilter<f64>>,
    pub(crate) filter_on: bool,
    filter_primed: bool,
    shown: Vec<f64>,
}

impl ViewModel {
    /// A model for `cfg.channel_names.len()` channels.
    pub fn new(cfg: ViewConfig) -> Result<Self> {
        let fs = cfg.sample_rate;
        if !fs.is_finite() || fs <= 0.0 {
            return Err(Error::invalid(
                "view sample rate",
                fs,
                "must be a finite number above 0 Hz",
            ));
        }
        let n_channels = cfg.channel_names.len();
        if n_channels == 0 {
            return Err(Error::invalid(
                "view channels",
                0,
                "need at least one channel name",
            ));
        }
        if cfg.history_buckets < 16 || cfg.history_buckets > 1 << 20 {
            return Err(Error::invalid(
                "history_buckets",
                cfg.history_buckets,
                "must be between 16 and 1048576",
            ));
        }
        let secs_ok = |s: f64| s.is_finite() && s > 0.0 && s * fs < 1e12;
        for (name, v) in [
            ("history_seconds", cfg.history_seconds),
            ("display_seconds", cfg.display_seconds),
            ("spectrum_seconds", cfg.spectrum_seconds),
        ] {
            if !secs_ok(v) {
                return Err(Error::invalid(
                    name,
                    v,
                    "must be a positive, finite number of seconds",
                ));
            }
        }
        let history_samples = (cfg.history_seconds * fs).ceil().max(1.0) as u64;
        let bucket_samples = history_samples.div_ceil(cfg.history_buckets as u64).max(1);
        let n_buckets = cfg.history_buckets;
        let block_len = fs.round().max(1.0) as u64;
        let spec_channels = n_channels.min(MAX_SPECTRUM_CHANNELS);
        let spec_len = ((cfg.spectrum_seconds * fs).round() as usize).clamp(4, 1 << 16);
        let nperseg = (fs.round() as usize).clamp(4, spec_len);
        let spec_plan = WelchPlan::new(
            Welch {
                nperseg,
                noverlap: None,
                detrend: Detrend::Constant,
                scaling: Scaling::Density,
            },
            fs,
            spec_len,
        )
        .ok();
        let freqs = spec_plan.as_ref().map(|p| p.freqs()).unwrap_or_default();
        let display_seconds = cfg.display_seconds.min(cfg.history_seconds);
        let mut sos = None;
        if let Some(hp) = cfg.display_highpass_hz {
            sos = Some(butter(2, Band::Highpass(hp), fs)?);
        }
        if let Some(f0) = cfg.display_notch_hz {
            let notch = iirnotch(f0, 30.0, fs)?;
            sos = Some(match sos {
                Some(s) => s.then(&notch),
                None => notch,
            });
        }
        let filter = match sos {
            Some(s) => Some(SosFilter::<f64>::new(&s, n_channels)?),
            None => None,
        };
        Ok(ViewModel {
            n_channels,
            bucket_samples,
            n_buckets,
            mins: vec![f64::INFINITY; n_channels * n_buckets],
            maxs: vec![f64::NEG_INFINITY; n_channels * n_buckets],
            slot_id: vec![u64::MAX; n_buckets],
            next_sample: 0,
            total_samples: 0,
            missed_samples: 0,
            block_len,
            block_fill: 0,
            current: vec![Block::default(); n_channels],
            last_block: vec![None; n_channels],
            spec_channels,
            spec_len,
            spec_ring: vec![0.0; spec_channels * spec_len],
            spec_pos: 0,
            spec_filled: 0,
            spec_dirty: false,
            spec_linear: vec![0.0; spec_len],
            spec_plan,
            psd: vec![0.0; spec_channels * freqs.len()],
            freqs,
            have_psd: false,
            prediction: None,
            class_names: Vec::new(),
            markers: VecDeque::with_capacity(MARKERS_KEPT),
            markers_total: 0,
            attention: VecDeque::with_capacity(ATTENTION_KEPT),
            stats: ViewStats::default(),
            title: String::from("bci live"),
            scale_idx: 6,
            auto_scale: true,
            display_seconds,
            page: 0,
            pages_hint: std::cell::Cell::new(1),
            spectrum_mode: SpectrumMode::Bands,
            paused: false,
            paused_at: 0,
            filter_on: filter.is_some(),
            filter,
            filter_primed: false,
            shown: Vec::new(),
            cfg,
        })
    }

    /// Number of channels.
    pub fn n_channels(&self) -> usize {
        self.n_channels
    }

    /// The configuration the model was built with.
    pub fn config(&self) -> &ViewConfig {
        &self.cfg
    }

    /// Title shown in the top bar (e.g. the source or model).
    pub fn set_title(&mut self, title: impl Into<String>) {
        self.title = title.into();
    }

    /// Names for the decoder's score vector, in score order.
    pub fn set_class_names(&mut self, names: Vec<String>) {
        self.class_names = names;
    }

    /// Samples received so far.
    pub fn total_samples(&self) -> u64 {
        self.total_samples
    }

    /// Samples the view did not receive (gaps between pushes), e.g. drops on its branch.
    pub fn missed_samples(&self) -> u64 {
        self.missed_samples
    }

    /// Index one past the newest sample received.
    pub fn next_sample(&self) -> u64 {
        self.next_sample
    }

    /// Push interleaved frames whose first frame has sample index `first_sample`.
    ///
    /// Frames older than the newest already received are ignored; a jump forward is counted in
    /// [`ViewModel::missed_samples`] and shows as a gap in the traces.
    pub fn push_frames(
        &mut self,
        first_sample: u64,
        n_channels: usize,
        frames: &[f64],
    ) -> Result<()> {
        if n_channels != self.n_channels {
            return Err(Error::Mismatch(format!(
                "the view shows {} channels but a chunk has {n_channels}",
                self.n_channels
            )));
        }
        if !frames.len().is_multiple_of(n_channels) {
            return Err(Error::invalid(
                "chunk length",
                frames.len(),
                format!("must be a multiple of the channel count {n_channels}"),
            ));
        }
        let n_frames = (frames.len() / n_channels) as u64;
        let end = first_sample.saturating_add(n_frames);
        if end <= self.next_sample {
            return Ok(());
        }
        // Skip frames we already have (overlapping re-sends).
        let skip = self.next_sample.saturating_sub(first_sample);
        let resume = first_sample + skip;
        if resume > self.next_sample && self.total_samples > 0 {
            self.missed_samples += resume - self.next_sample;
        }
        let raw = &frames[skip as usize * n_channels..];
        // The shown values: filtered into a scratch buffer that only grows to the largest chunk.
        let mut shown = std::mem::take(&mut self.shown);
        let filtered = match self.filter.as_mut() {
            Some(f) if self.filter_on => {
                if !self.filter_primed {
                    // Start in the steady state of the first frame: no step transient from a DC
                    // offset of raw EEG.
                    f.set_steady_state(&raw[..n_channels])?;
                    self.filter_primed = true;
                }
                shown.resize(raw.len(), 0.0);
                f.process_into(raw, &mut shown)?;
                true
            }
            _ => false,
        };
        let shown_frames: &[f64] = if filtered { &shown } else { raw };
        for ((index, frame), shown_frame) in (resume..)
            .zip(raw.chunks_exact(n_channels))
            .zip(shown_frames.chunks_exact(n_channels))
        {
            self.push_frame(index, frame, shown_frame);
        }
        self.shown = shown;
        self.next_sample = end;
        Ok(())
    }

    fn push_frame(&mut self, index: u64, frame: &[f64], shown: &[f64]) {
        let id = index / self.bucket_samples;
        let slot = (id % self.n_buckets as u64) as usize;
        if self.slot_id[slot] != id {
            self.slot_id[slot] = id;
            for c in 0..self.n_channels {
                self.mins[c * self.n_buckets + slot] = f64::INFINITY;
                self.maxs[c * self.n_buckets + slot] = f64::NEG_INFINITY;
            }
        }
        for (c, (&x, &v)) in frame.iter().zip(shown).enumerate() {
            let k = c * self.n_buckets + slot;
            if v.is_finite() {
                self.mins[k] = self.mins[k].min(v);
                self.maxs[k] = self.maxs[k].max(v);
            }
            if x.is_finite() {
                self.current[c].add(x);
            }
        }
        self.block_fill += 1;
        if self.block_fill == self.block_len {
            for (last, cur) in self.last_block.iter_mut().zip(self.current.iter_mut()) {
                *last = Some(*cur);
                *cur = Block::default();
            }
            self.block_fill = 0;
        }
        if self.spec_plan.is_some() {
            for (c, &v) in shown.iter().take(self.spec_channels).enumerate() {
                self.spec_ring[c * self.spec_len + self.spec_pos] = v;
            }
            self.spec_pos = (self.spec_pos + 1) % self.spec_len;
            self.spec_filled = (self.spec_filled + 1).min(self.spec_len);
            self.spec_dirty = true;
        }
        self.total_samples += 1;
    }

    /// Re-estimate the spectra from the newest samples if new data arrived since the last call.
    /// The terminal loop calls it once per frame drawn; [`crate::render`] only reads.
    pub fn update_spectra(&mut self) {
        if !self.spec_dirty || self.spec_filled < self.spec_len || self.paused {
            // Frozen view: the spectrum stays the one of the frozen moment.
            return;
        }
        let Some(plan) = self.spec_plan.as_mut() else {
            return;
        };
        let nb = self.freqs.len();
        let mut ok = true;
        for c in 0..self.spec_channels {
            let ring = &self.spec_ring[c * self.spec_len..(c + 1) * self.spec_len];
            let (newer, older) = ring.split_at(self.spec_pos);
            self.spec_linear[..older.len()].copy_from_slice(older);
            self.spec_linear[older.len()..].copy_from_slice(newer);
            if plan
                .run(&self.spec_linear, &mut self.psd[c * nb..(c + 1) * nb])
                .is_err()
            {
                ok = false;
            }
        }
        self.have_psd = ok;
        self.spec_dirty = false;
    }

    /// The latest decoder output for the window ending at `sample_index`.
    pub fn push_prediction(&mut self, sample_index: u64, label: &str, scores: &[f64]) {
        let p = self.prediction.get_or_insert_with(PredictionView::default);
        p.sample_index = sample_index;
        p.label.clear();
        p.label.push_str(label);
        p.scores.clear();
        p.scores.extend_from_slice(scores);
    }

    /// A marker placed at `sample_index`.
    pub fn push_marker(&mut self, sample_index: u64, label: &str) {
        if self.markers.len() == MARKERS_KEPT {
            self.markers.pop_front();
        }
        self.markers.push_back(MarkerView {
            sample_index,
            label: label.to_string(),
        });
        self.markers_total += 1;
    }

    /// The latest attention index.
    pub fn push_attention(&mut self, index: AttentionIndex) {
        if self.attention.len() == ATTENTION_KEPT {
            self.attention.pop_front();
        }
        self.attention.push_back(index);
    }

    /// Replace the pipeline health numbers.
    pub fn set_stats(&mut self, stats: ViewStats) {
        self.stats = stats;
    }

    /// The latest prediction.
    pub fn prediction(&self) -> Option<&PredictionView> {
        self.prediction.as_ref()
    }

    /// Markers kept (oldest first).
    pub fn markers(&self) -> impl DoubleEndedIterator<Item = &MarkerView> {
        self.markers.iter()
    }

    /// The latest attention index.
    pub fn attention(&self) -> Option<&AttentionIndex> {
        self.attention.back()
    }

    /// Whether the trace display is frozen (space bar); data still flow in.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// One past the last sample the traces show (the newest, or the moment they were frozen).
    pub fn display_end(&self) -> u64 {
        if self.paused {
            self.paused_at
        } else {
            self.next_sample
        }
    }

    /// The flag of channel `c` (Unknown for an index out of range).
    pub fn channel_flag(&self, c: usize) -> ChannelFlag {
        let threshold = self.cfg.rail_limit_uv.map(|l| l * self.cfg.rail_fraction);
        let railed = |b: &Block| threshold.is_some_and(|t| b.n > 0 && b.max_abs >= t);
        let Some(cur) = self.current.get(c) else {
            return ChannelFlag::Unknown;
        };
        if railed(cur) {
            return ChannelFlag::Railed;
        }
        match self.last_block.get(c).copied().flatten() {
            None => ChannelFlag::Unknown,
            Some(b) if railed(&b) => ChannelFlag::Railed,
            Some(b) if b.std() < self.cfg.flat_std_uv => ChannelFlag::Flat,
            Some(_) => ChannelFlag::Ok,
        }
    }

    /// Standard deviation of channel `c` over the last complete second, µV.
    pub fn channel_std(&self, c: usize) -> Option<f64> {
        self.last_block.get(c).copied().flatten().map(|b| b.std())
    }

    /// Vertical scale in use (the auto-scale choice when auto is on): µV from a channel's
    /// centre line to the edge of its band.
    pub fn scale_uv(&self) -> f64 {
        SCALES_UV[self.effective_scale_idx().min(SCALES_UV.len() - 1)]
    }

    /// Whether the scale follows the signal (the a key toggles it).
    pub fn auto_scale(&self) -> bool {
        self.auto_scale
    }

    /// Time span shown, seconds.
    pub fn display_seconds(&self) -> f64 {
        self.display_seconds
    }

    /// Channel page shown (0-based).
    pub fn page(&self) -> usize {
        self.page
    }

    /// Whether traces and spectra show display-filtered values (see
    /// [`ViewConfig::display_highpass_hz`]).
    pub fn display_filter_on(&self) -> bool {
        self.filter_on
    }

    /// Spectrum panel mode.
    pub fn spectrum_mode(&self) -> SpectrumMode {
        self.spectrum_mode
    }

    /// Bytes held by the model's buffers (capacities, not lengths): constant once built, apart
    /// from label strings.
    pub fn memory_bytes(&self) -> usize {
        let f = std::mem::size_of::<f64>();
        (self.mins.capacity() + self.maxs.capacity()) * f
            + self.slot_id.capacity() * 8
            + (self.current.capacity() + self.last_block.capacity()) * std::mem::size_of::<Block>()
            + (self.spec_ring.capacity() + self.spec_linear.capacity() + self.psd.capacity()) * f
            + self.freqs.capacity() * f
            + self.shown.capacity() * f
            + self.markers.capacity() * std::mem::size_of::<MarkerView>()
            + self
                .markers
                .iter()
                .map(|m| m.label.capacity())
                .sum::<usize>()
            + self.attention.capacity() * std::mem::size_of::<AttentionIndex>()
            + self
                .prediction
                .as_ref()
                .map_or(0, |p| p.label.capacity() + p.scores.capacity() * f)
    }

    /// Min and max of channel `c` over samples `[from, to)`, from the bucket ring (buckets
    /// overlapping the range count whole). `None` when nothing was received there.
    pub fn range_min_max(&self, c: usize, from: u64, to: u64) -> Option<(f64, f64)> {
        if c >= self.n_channels || to <= from {
            return None;
        }
        let first = from / self.bucket_samples;
        let last = (to - 1) / self.bucket_samples;
        let newest = self.next_sample.checked_sub(1)? / self.bucket_samples;
        let oldest = newest.saturating_sub(self.n_buckets as u64 - 1);
        let (first, last) = (first.max(oldest), last.min(newest));
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut id = first;
        while id <= last {
            let slot = (id % self.n_buckets as u64) as usize;
            if self.slot_id[slot] == id {
                let k = c * self.n_buckets + slot;
                lo = lo.min(self.mins[k]);
                hi = hi.max(self.maxs[k]);
            }
            id += 1;
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// Samples per trace bucket.
    pub fn bucket_samples(&self) -> u64 {
        self.bucket_samples
    }

    /// The mean PSD over channels `chans` that are not flagged (µV²/Hz per bin) into `out`;
    /// returns false when no spectrum is available.
    pub(crate) fn mean_psd(&self, out: &mut Vec<f64>) -> bool {
        out.clear();
        if !self.have_psd {
            return false;
        }
        let nb = self.freqs.len();
        out.resize(nb, 0.0);
        let mut used = 0usize;
        for c in 0..self.spec_channels {
            if matches!(
                self.channel_flag(c),
                ChannelFlag::Railed | ChannelFlag::Flat
            ) {
                continue;
            }
            for (o, p) in out.iter_mut().zip(&self.psd[c * nb..(c + 1) * nb]) {
                *o += p;
            }
            used += 1;
        }
        if used == 0 {
            return false;
        }
        out.iter_mut().for_each(|v| *v /= used as f64);
        true
    }

    /// Handle a key press; returns what the caller must do.
    ///
    /// Bindings: q / Esc / Ctrl-C quit; 1-9 send markers "1".."9"; m sends "mark"; + / Up
    /// enlarge the signal (smaller µV scale), - / Down shrink it; a toggles auto-scale; < / >
    /// halve / double the time span; PageDown / PageUp / n / N page through channels (wrapping); p
    /// toggles band bars / PSD; f toggles the display filter (new data); space freezes the traces.
    pub fn handle_key(&mut self, key: KeyEvent) -> ViewAction {
        if key.kind == KeyEventKind::Release {
            return ViewAction::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => ViewAction::Quit,
            KeyCode::Char('q') | KeyCode::Esc => ViewAction::Quit,
            KeyCode::Char(d @ '1'..='9') => ViewAction::Marker(d.to_string()),
            KeyCode::Char('m') => ViewAction::Marker("mark".to_string()),
            KeyCode::Char('+') | KeyCode::Char('=') | KeyCode::Up => {
                self.scale_idx = self.effective_scale_idx().saturating_sub(1);
                self.auto_scale = false;
                ViewAction::None
            }
            KeyCode::Char('-') | KeyCode::Char('_') | KeyCode::Down => {
                self.scale_idx = (self.effective_scale_idx() + 1).min(SCALES_UV.len() - 1);
                self.auto_scale = false;
                ViewAction::None
            }
            KeyCode::Char('a') => {
                if self.auto_scale {
                    self.scale_idx = self.effective_scale_idx();
                }
                self.auto_scale = !self.auto_scale;
                ViewAction::None
            }
            KeyCode::Char('<') | KeyCode::Char(',') | KeyCode::Left => {
                self.display_seconds = (self.display_seconds / 2.0).max(0.25);
                ViewAction::None
            }
            KeyCode::Char('>') | KeyCode::Char('.') | KeyCode::Right => {
                self.display_seconds = (self.display_seconds * 2.0).min(self.cfg.history_seconds);
                ViewAction::None
            }
            KeyCode::PageDown | KeyCode::Char('n') => {
                let pages = self.pages_hint.get().max(1);
                self.page = (self.page.min(pages - 1) + 1) % pages;
                ViewAction::None
            }
            KeyCode::PageUp | KeyCode::Char('N') => {
                let pages = self.pages_hint.get().max(1);
                self.page = (self.page.min(pages - 1) + pages - 1) % pages;
                ViewAction::None
            }
            KeyCode::Char('p') => {
                self.spectrum_mode = match self.spectrum_mode {
                    SpectrumMode::Bands => SpectrumMode::Psd,
                    SpectrumMode::Psd => SpectrumMode::Bands,
                };
                ViewAction::None
            }
            KeyCode::Char('f') => {
                if self.filter.is_some() {
                    self.filter_on = !self.filter_on;
                    self.filter_primed = false;
                }
                ViewAction::None
            }
            KeyCode::Char(' ') => {
                self.paused = !self.paused;
                self.paused_at = self.next_sample;
                ViewAction::None
            }
            _ => ViewAction::None,
        }
    }

    /// The scale index in use: the auto-scale choice when auto is on.
    pub(crate) fn effective_scale_idx(&self) -> usize {
        if self.auto_scale {
            self.auto_scale_idx().unwrap_or(self.scale_idx)
        } else {
            self.scale_idx
        }
    }

    /// Smallest scale holding 1.5 × the median (over unflagged channels) half peak-to-peak of
    /// the last second: a railed or dead channel does not decide the scale of the others.
    fn auto_scale_idx(&self) -> Option<usize> {
        let end = self.next_sample;
        let from = end.saturating_sub(self.block_len.max(self.bucket_samples));
        let mut halves: Vec<f64> = (0..self.n_channels)
            .filter(|&c| {
                !matches!(
                    self.channel_flag(c),
                    ChannelFlag::Railed | ChannelFlag::Flat
                )
            })
            .filter_map(|c| self.range_min_max(c, from, end))
            .map(|(lo, hi)| (hi - lo) / 2.0)
            .collect();
        if halves.is_empty() {
            return None;
        }
        halves.sort_by(f64::total_cmp);
        // Headroom: the typical channel fills two thirds of its band, so its shape shows.
        let median = 1.5 * halves[halves.len() / 2];
        Some(
            SCALES_UV
                .iter()
                .position(|&s| s >= median)
                .unwrap_or(SCALES_UV.len() - 1),
        )
    }
}
