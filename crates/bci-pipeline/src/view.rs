//! The terminal live view as a [`Sink`]: it gets the raw frames over its own drop-able ring (so
//! railed channels show as the ADC saw them) and every output, and redraws from its own thread
//! at about 20 frames per second. A slow terminal loses view updates (counted on the view's
//! branch), never pipeline data. Keys: `q` ends the session; `1`–`9` and `m` send markers,
//! which are placed at a sample index like every other marker.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bci_core::{Error, Result};
use bci_view::{TerminalGuard, ViewAction, ViewConfig, ViewModel, ViewStats, render};
use crossterm::event::{self, Event as TermEvent, KeyEventKind};

use crate::markers::MarkerIn;
use crate::ring::{Block, ValueRing};
use crate::session::LiveCounters;
use crate::sink::{Output, Sink, Tap};

/// The live view.
pub struct ViewSink {
    model: ViewModel,
    guard: Option<TerminalGuard>,
    inbox: Arc<ValueRing<MarkerIn>>,
    live: Arc<LiveCounters>,
    last_draw: Instant,
}

impl ViewSink {
    /// `inbox` and `live` come from the session ([`crate::Session::marker_inbox`],
    /// [`crate::Session::live_counters`]).
    pub fn new(
        title: &str,
        sample_rate: f64,
        channel_names: Vec<String>,
        classes: Option<Vec<String>>,
        inbox: Arc<ValueRing<MarkerIn>>,
        live: Arc<LiveCounters>,
    ) -> Result<Self> {
        let mut model = ViewModel::new(ViewConfig::new(sample_rate, channel_names))?;
        model.set_title(title);
        if let Some(c) = classes {
            model.set_class_names(c);
        }
        Ok(ViewSink {
            model,
            guard: None,
            inbox,
            live,
            last_draw: Instant::now() - Duration::from_secs(1),
        })
    }

    fn draw(&mut self) -> Result<bool> {
        if self.guard.is_none() {
            // Entered on the sink's own thread: the guard restores the terminal from there.
            self.guard = Some(TerminalGuard::enter()?);
        }
        let p50 = self.live.latency_p50_ns.load(Ordering::Relaxed);
        let p99 = self.live.latency_p99_ns.load(Ordering::Relaxed);
        self.model.set_stats(ViewStats {
            branches: vec![bci_view::BranchStats {
                name: "analysis".into(),
                drops: self.live.dropped.load(Ordering::Relaxed),
            }],
            latency_p50_us: (p50 > 0).then_some(p50 as f64 / 1e3),
            latency_p99_us: (p99 > 0).then_some(p99 as f64 / 1e3),
            latency_max_us: None,
            predictions: self.live.predictions.load(Ordering::Relaxed),
        });
        self.model.update_spectra();
        let Some(guard) = self.guard.as_mut() else {
            return Ok(true);
        };
        let model = &self.model;
        guard
            .terminal()
            .draw(|f| render(f, model))
            .map_err(|e| Error::Device(format!("live view: {e}")))?;
        // Keys typed since the last frame.
        let mut keep = true;
        while event::poll(Duration::ZERO).unwrap_or(false) {
            let Ok(TermEvent::Key(key)) = event::read() else {
                continue;
            };
            if key.kind != KeyEventKind::Press {
                continue;
            }
            match self.model.handle_key(key) {
                ViewAction::Quit => keep = false,
                ViewAction::Marker(label) => {
                    self.inbox.push(MarkerIn {
                        label,
                        host_time_ns: bci_acquire::monotonic_ns(),
                    });
                }
                ViewAction::None => {}
            }
        }
        Ok(keep)
    }
}

impl Sink for ViewSink {
    fn name(&self) -> String {
        "view".into()
    }

    fn tap(&self) -> Tap {
        Tap::Raw
    }

    fn frames(&mut self, block: &Block) -> Result<()> {
        self.model
            .push_frames(block.first_sample, block.n_channels, &block.data)
    }

    fn output(&mut self, output: &Output) -> Result<()> {
        match output {
            Output::Prediction(p) => {
                self.model
                    .push_prediction(p.sample_index, &p.label, &p.scores)
            }
            Output::Marker(e) => self.model.push_marker(e.onset, &e.label),
            Output::Attention(a) => self.model.push_attention(*a),
        }
        Ok(())
    }

    fn tick(&mut self, last: bool) -> Result<bool> {
        if last {
            // Show the final state, then give the terminal back.
            let r = self.draw();
            self.guard = None;
            return r;
        }
        if self.last_draw.elapsed() < Duration::from_millis(45) {
            return Ok(true);
        }
        self.last_draw = Instant::now();
        self.draw()
    }
}
