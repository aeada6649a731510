//! Shared by the integration tests: sinks that count, stall or fail.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bci_core::Result;
use bci_pipeline::{Block, Output, Sink, Tap};

/// Counts frames and outputs; checks that blocks arrive in order without holes.
pub struct Counter {
    pub tap: Tap,
    pub frames: Arc<AtomicU64>,
    pub outputs: Arc<AtomicU64>,
    pub next: Option<u64>,
    pub holes: Arc<AtomicU64>,
}

impl Counter {
    pub fn new(tap: Tap) -> Self {
        Counter {
            tap,
            frames: Arc::default(),
            outputs: Arc::default(),
            next: None,
            holes: Arc::default(),
        }
    }
}

impl Sink for Counter {
    fn name(&self) -> String {
        "counter".into()
    }
    fn tap(&self) -> Tap {
        self.tap
    }
    fn frames(&mut self, block: &Block) -> Result<()> {
        if self.next.is_some_and(|n| n != block.first_sample) {
            self.holes.fetch_add(1, Ordering::Relaxed);
        }
        self.next = Some(block.end_sample());
        self.frames
            .fetch_add(block.n_frames() as u64, Ordering::Relaxed);
        Ok(())
    }
    fn output(&mut self, _o: &Output) -> Result<()> {
        self.outputs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// A sink that sleeps on every block of frames: the slow consumer.
pub struct Staller(pub Duration);

impl Sink for Staller {
    fn name(&self) -> String {
        "staller".into()
    }
    fn tap(&self) -> Tap {
        Tap::Raw
    }
    fn frames(&mut self, _block: &Block) -> Result<()> {
        std::thread::sleep(self.0);
        Ok(())
    }
    fn output(&mut self, _o: &Output) -> Result<()> {
        Ok(())
    }
}

pub fn datasets() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets")
}
