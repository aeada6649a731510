//! Bounded single-producer single-consumer rings of frame blocks, sized in seconds.
//!
//! A ring carries [`Block`]s (a run of consecutive frames, its events and the host time its last
//! frame arrived). Blocks are recycled: the consumer hands each one back on a free list and the
//! producer refills it, so once the ring has seen its largest load nothing is allocated. The
//! capacity is a number of frames (seconds × rate): a push that would exceed it is refused, and
//! the producer decides what that means — a counted drop on an analysis branch, a loud error on
//! the recorder's branch. Neither side ever takes a lock: both queues are crossbeam's lock-free
//! `ArrayQueue`, and a waiting consumer parks until the producer unparks it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use bci_core::Event;
use crossbeam::queue::ArrayQueue;

/// Consecutive frames travelling through the pipeline.
#[derive(Debug, Default, Clone)]
pub struct Block {
    /// Sample index of the first frame.
    pub first_sample: u64,
    pub n_channels: usize,
    /// Frame-major values (µV).
    pub data: Vec<f64>,
    /// Monotonic host time (ns) at which the block's last frame was received from the device.
    pub host_time_ns: u64,
    /// Markers and annotations placed at sample indices in (or before) this block.
    pub events: Vec<Event>,
}

impl Block {
    /// Frames in the block.
    pub fn n_frames(&self) -> usize {
        self.data.len().checked_div(self.n_channels).unwrap_or(0)
    }

    /// Sample index one past the last frame.
    pub fn end_sample(&self) -> u64 {
        self.first_sample + self.n_frames() as u64
    }

    /// Makes this block a copy of `frames` (frame-major, `n_channels` wide), reusing its storage.
    pub fn fill(
        &mut self,
        first_sample: u64,
        n_channels: usize,
        frames: &[f64],
        host_time_ns: u64,
    ) {
        self.first_sample = first_sample;
        self.n_channels = n_channels;
        self.host_time_ns = host_time_ns;
        self.data.clear();
        self.data.extend_from_slice(frames);
        self.events.clear();
    }
}

/// Counters of one ring, shared by both ends and by whoever reports on the session.
#[derive(Debug, Default)]
pub struct RingStats {
    /// Frames accepted.
    pub frames_in: AtomicU64,
    /// Frames refused because the ring was full (dropped, or an error on a lossless branch).
    pub frames_dropped: AtomicU64,
    /// Times a push was refused.
    pub drop_events: AtomicU64,
    /// Highest number of frames in flight seen.
    pub high_water: AtomicU64,
}

struct Shared {
    name: String,
    full: ArrayQueue<Block>,
    free: ArrayQueue<Block>,
    capacity_frames: u64,
    /// Values a new block reserves (the largest block the producer makes).
    block_values: usize,
    in_flight: AtomicU64,
    closed: AtomicBool,
    consumer: OnceLock<Thread>,
    stats: RingStats,
}

/// The writing end of a ring.
pub struct Producer {
    shared: Arc<Shared>,
}

/// The reading end of a ring.
pub struct Consumer {
    shared: Arc<Shared>,
}

/// A handle on a ring's counters that outlives both ends.
#[derive(Clone)]
pub struct RingMonitor {
    shared: Arc<Shared>,
}

/// Creates a ring named `name` holding at most `capacity_frames` frames in at most `max_blocks`
/// blocks of at most `block_values` values each (new blocks reserve that much, so recycled
/// storage never grows after the first blocks).
pub fn ring(
    name: &str,
    capacity_frames: u64,
    max_blocks: usize,
    block_values: usize,
) -> (Producer, Consumer) {
    let max_blocks = max_blocks.max(2);
    let shared = Arc::new(Shared {
        name: name.to_string(),
        full: ArrayQueue::new(max_blocks),
        free: ArrayQueue::new(max_blocks),
        capacity_frames: capacity_frames.max(1),
        block_values,
        in_flight: AtomicU64::new(0),
        closed: AtomicBool::new(false),
        consumer: OnceLock::new(),
        stats: RingStats::default(),
    });
    // Blocks made up front (up to 16 MB per ring): a backlog while the machine is busy then
    // reuses them instead of allocating new ones in the middle of a session.
    let bytes = (block_values * std::mem::size_of::<f64>()).max(1);
    let prealloc = max_blocks.min((16 << 20) / bytes);
    for _ in 0..prealloc {
        let _ = shared.free.push(Block {
            data: Vec::with_capacity(block_values),
            ..Block::default()
        });
    }
    (
        Producer {
            shared: shared.clone(),
        },
        Consumer { shared },
    )
}

/// The producer has gone and everything it pushed has been taken: the stream has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended;

/// Why a push was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The ring holds its capacity already.
    Full,
    /// The consumer has gone.
    Closed,
}

impl Producer {
    /// Pushes a copy of `frames` as one block, recycling storage. On refusal the frames are
    /// counted as dropped and nothing else happens.
    pub fn push_frames(
        &self,
        first_sample: u64,
        n_channels: usize,
        frames: &[f64],
        host_time_ns: u64,
        events: &[Event],
    ) -> Result<(), Refused> {
        let n = frames.len().checked_div(n_channels).unwrap_or(0) as u64;
        let s = &self.shared;
        if s.closed.load(Ordering::Acquire) {
            return Err(Refused::Closed);
        }
        let in_flight = s.in_flight.load(Ordering::Acquire);
        // A block larger than the whole ring still goes into an empty one.
        if (in_flight + n > s.capacity_frames && in_flight > 0) || s.full.is_full() {
            s.stats.frames_dropped.fetch_add(n, Ordering::Relaxed);
            s.stats.drop_events.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::Full);
        }
        let mut block = s.free.pop().unwrap_or_else(|| self.new_block());
        block.fill(first_sample, n_channels, frames, host_time_ns);
        block.events.extend_from_slice(events);
        s.in_flight.fetch_add(n, Ordering::AcqRel);
        s.stats
            .high_water
            .fetch_max(in_flight + n, Ordering::Relaxed);
        s.stats.frames_in.fetch_add(n, Ordering::Relaxed);
        if let Err(block) = s.full.push(block) {
            // Only reachable if the queue filled between the check and the push, which a single
            // producer rules out; account for it anyway rather than lose the frames silently.
            s.in_flight.fetch_sub(n, Ordering::AcqRel);
            s.stats.frames_dropped.fetch_add(n, Ordering::Relaxed);
            let _ = s.free.push(block);
            return Err(Refused::Full);
        }
        if let Some(t) = s.consumer.get() {
            t.unpark();
        }
        Ok(())
    }

    /// Like [`push_frames`](Self::push_frames), but waits for room instead of dropping (for
    /// replaying files, where there is no device to fall behind). Gives up only when the
    /// consumer has gone or `stop` is set.
    pub fn push_frames_wait(
        &self,
        first_sample: u64,
        n_channels: usize,
        frames: &[f64],
        host_time_ns: u64,
        events: &[Event],
        stop: &AtomicBool,
    ) -> Result<(), Refused> {
        let s = &self.shared;
        let n = frames.len().checked_div(n_channels).unwrap_or(0) as u64;
        loop {
            let fits = s.in_flight.load(Ordering::Acquire) + n <= s.capacity_frames
                || s.in_flight.load(Ordering::Acquire) == 0;
            if fits && !s.full.is_full() {
                return self.push_frames(first_sample, n_channels, frames, host_time_ns, events);
            }
            if s.closed.load(Ordering::Acquire) {
                return Err(Refused::Closed);
            }
            if stop.load(Ordering::Acquire) {
                return self.push_frames(first_sample, n_channels, frames, host_time_ns, events);
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    fn new_block(&self) -> Block {
        Block {
            data: Vec::with_capacity(self.shared.block_values),
            ..Block::default()
        }
    }

    /// A handle on the counters.
    pub fn monitor(&self) -> RingMonitor {
        RingMonitor {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Producer {
    /// The consumer sees the end of the stream once it has drained what is left.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        if let Some(t) = self.shared.consumer.get() {
            t.unpark();
        }
    }
}

impl Consumer {
    /// The next block, waiting up to `timeout`. `Ok(None)`: nothing yet; `Err(Ended)`: the producer
    /// has gone and the ring is empty.
    pub fn pop(&self, timeout: Duration) -> Result<Option<Block>, Ended> {
        let s = &self.shared;
        let _ = s.consumer.get_or_init(std::thread::current);
        if let Some(b) = self.take() {
            return Ok(Some(b));
        }
        // A few spins first: at high rates the next block is usually microseconds away.
        for _ in 0..64 {
            std::hint::spin_loop();
            if let Some(b) = self.take() {
                return Ok(Some(b));
            }
        }
        if s.closed.load(Ordering::Acquire) {
            return match self.take() {
                Some(b) => Ok(Some(b)),
                None => Err(Ended),
            };
        }
        std::thread::park_timeout(timeout);
        match self.take() {
            Some(b) => Ok(Some(b)),
            None if s.closed.load(Ordering::Acquire) && s.full.is_empty() => Err(Ended),
            None => Ok(None),
        }
    }

    /// The next block without waiting; `Err(Ended)` once the producer has gone and the ring is
    /// empty.
    pub fn try_pop(&self) -> Result<Option<Block>, Ended> {
        let _ = self.shared.consumer.get_or_init(std::thread::current);
        match self.take() {
            Some(b) => Ok(Some(b)),
            None if self.shared.closed.load(Ordering::Acquire) && self.shared.full.is_empty() => {
                Err(Ended)
            }
            None => Ok(None),
        }
    }

    fn take(&self) -> Option<Block> {
        let b = self.shared.full.pop()?;
        self.shared
            .in_flight
            .fetch_sub(b.n_frames() as u64, Ordering::AcqRel);
        Some(b)
    }

    /// Hands a block's storage back to the producer.
    pub fn recycle(&self, block: Block) {
        let _ = self.shared.free.push(block);
    }

    /// A handle on the counters.
    pub fn monitor(&self) -> RingMonitor {
        RingMonitor {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Consumer {
    /// A producer pushing into a ring nobody reads gets `Refused::Closed`.
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
    }
}

impl RingMonitor {
    pub fn name(&self) -> &str {
        &self.shared.name
    }
    pub fn capacity_frames(&self) -> u64 {
        self.shared.capacity_frames
    }
    pub fn frames_in(&self) -> u64 {
        self.shared.stats.frames_in.load(Ordering::Relaxed)
    }
    pub fn frames_dropped(&self) -> u64 {
        self.shared.stats.frames_dropped.load(Ordering::Relaxed)
    }
    pub fn drop_events(&self) -> u64 {
        self.shared.stats.drop_events.load(Ordering::Relaxed)
    }
    pub fn high_water(&self) -> u64 {
        self.shared.stats.high_water.load(Ordering::Relaxed)
    }
}

/// A lossy single-producer single-consumer queue of small values (predictions, markers, view
/// updates): a push into a full queue is refused and counted.
pub struct ValueRing<T> {
    queue: ArrayQueue<T>,
    dropped: AtomicU64,
    consumer: OnceLock<Thread>,
    closed: AtomicBool,
}

impl<T> ValueRing<T> {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(ValueRing {
            queue: ArrayQueue::new(capacity.max(1)),
            dropped: AtomicU64::new(0),
            consumer: OnceLock::new(),
            closed: AtomicBool::new(false),
        })
    }

    /// Pushes, or counts a drop when full. Returns whether the value was taken.
    pub fn push(&self, value: T) -> bool {
        let ok = self.queue.push(value).is_ok();
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(t) = self.consumer.get() {
            t.unpark();
        }
        ok
    }

    /// Pushes, waiting for room instead of dropping (file replay); gives up when the consumer
    /// has gone (closed) or `stop` is set.
    pub fn push_wait(&self, value: T, stop: &AtomicBool) -> bool {
        let mut value = value;
        loop {
            match self.queue.push(value) {
                Ok(()) => {
                    if let Some(t) = self.consumer.get() {
                        t.unpark();
                    }
                    return true;
                }
                Err(v) => {
                    if self.closed.load(Ordering::Acquire) || stop.load(Ordering::Acquire) {
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                        return false;
                    }
                    value = v;
                    std::thread::sleep(Duration::from_micros(100));
                }
            }
        }
    }

    /// Takes a value without waiting (and makes the calling thread the one a push wakes).
    pub fn try_pop(&self) -> Option<T> {
        let _ = self.consumer.get_or_init(std::thread::current);
        self.queue.pop()
    }

    /// Takes a value, waiting up to `timeout`.
    pub fn pop(&self, timeout: Duration) -> Option<T> {
        let _ = self.consumer.get_or_init(std::thread::current);
        if let Some(v) = self.queue.pop() {
            return Some(v);
        }
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        std::thread::park_timeout(timeout);
        self.queue.pop()
    }

    /// Values refused so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Marks the stream of values as ended (the consumer drains what is left).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if let Some(t) = self.consumer.get() {
            t.unpark();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_ring_refuses_and_counts_and_recycles() {
        let (p, c) = ring("t", 10, 8, 8);
        let frames = [1.0; 8]; // 4 frames of 2 channels
        assert_eq!(p.push_frames(0, 2, &frames, 1, &[]), Ok(()));
        assert_eq!(p.push_frames(4, 2, &frames, 2, &[]), Ok(()));
        assert_eq!(p.push_frames(8, 2, &frames, 3, &[]), Err(Refused::Full));
        let m = p.monitor();
        assert_eq!(
            (m.frames_in(), m.frames_dropped(), m.drop_events()),
            (8, 4, 1)
        );
        let b = c.pop(Duration::from_millis(1)).unwrap().unwrap();
        assert_eq!((b.first_sample, b.n_frames(), b.host_time_ns), (0, 4, 1));
        c.recycle(b);
        assert_eq!(p.push_frames(8, 2, &frames, 3, &[]), Ok(()));
        drop(p);
        assert_eq!(
            c.pop(Duration::from_millis(1))
                .unwrap()
                .unwrap()
                .first_sample,
            4
        );
        assert_eq!(
            c.pop(Duration::from_millis(1))
                .unwrap()
                .unwrap()
                .first_sample,
            8
        );
        assert!(c.pop(Duration::from_millis(1)).is_err());
    }

    #[test]
    fn consumer_wakes_on_push_from_another_thread() {
        let (p, c) = ring("t", 1000, 8, 1);
        let h = std::thread::spawn(move || {
            let mut got = 0u64;
            loop {
                match c.pop(Duration::from_secs(5)) {
                    Ok(Some(b)) => {
                        got += b.n_frames() as u64;
                        c.recycle(b);
                    }
                    Ok(None) => {}
                    Err(Ended) => return got,
                }
            }
        });
        for i in 0..100u64 {
            while p.push_frames(i, 1, &[i as f64], 0, &[]).is_err() {
                std::thread::yield_now();
            }
        }
        drop(p);
        assert_eq!(h.join().unwrap(), 100);
    }
}
