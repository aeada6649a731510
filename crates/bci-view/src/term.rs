//! The terminal: a guard that enters the alternate screen and raw mode and always restores the
//! terminal, and the redraw loop.

use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bci_core::{Error, Result};
use crossterm::cursor::{Hide, Show};
use crossterm::event::{self, Event};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::model::{ViewAction, ViewModel};
use crate::render::render;

fn term_err(e: io::Error) -> Error {
    Error::io("terminal (stdout)", e)
}

/// Whether this process set the terminal up (raw mode, alternate screen) and has not restored
/// it yet. Restoring twice is not harmless: leaving the alternate screen again moves the cursor
/// back over whatever was printed in between (a panic message).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Leave the alternate screen, show the cursor and turn raw mode off, if this process set them
/// up and has not restored them yet. Safe to call any number of times.
pub fn restore_terminal() -> io::Result<()> {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let raw = disable_raw_mode();
    let mut out = io::stdout();
    let screen = execute!(out, LeaveAlternateScreen, Show);
    let _ = out.flush();
    raw.and(screen)
}

static PANIC_HOOK: Once = Once::new();

thread_local! {
    // Set on the thread holding a TerminalGuard: a panic there restores the terminal before the
    // message prints. A panic on another thread (a pipeline stage) leaves the view running; the
    // guard's drop restores the terminal when the view ends.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The terminal in raw mode on the alternate screen. Dropping it restores the terminal (also
/// while unwinding); a panic on the guard's thread restores it before the panic message prints
/// (the hook is installed once and chains to the previous hook, so the message lands on the
/// normal screen).
pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Enter raw mode and the alternate screen. Fails (restoring whatever was changed) when
    /// stdout is not a terminal.
    pub fn enter() -> Result<Self> {
        use std::io::IsTerminal;
        if !io::stdout().is_terminal() {
            return Err(Error::io(
                "terminal (stdout)",
                io::Error::other("stdout is not a terminal; run without the live view"),
            ));
        }
        PANIC_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if GUARDED.with(|g| g.get()) {
                    let _ = restore_terminal();
                }
                previous(info);
            }));
        });
        let setup = || -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
            ACTIVE.store(true, Ordering::SeqCst);
            enable_raw_mode()?;
            execute!(io::stdout(), EnterAlternateScreen, Hide)?;
            let mut t = Terminal::new(CrosstermBackend::new(io::stdout()))?;
            t.clear()?;
            Ok(t)
        };
        match setup() {
            Ok(terminal) => {
                GUARDED.with(|g| g.set(true));
                Ok(TerminalGuard { terminal })
            }
            Err(e) => {
                let _ = restore_terminal();
                Err(term_err(e))
            }
        }
    }

    /// The ratatui terminal.
    pub fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        GUARDED.with(|g| g.set(false));
        let _ = restore_terminal();
    }
}

/// Options of [`run_terminal`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunOptions {
    /// Redraws per second (default 20).
    pub fps: f64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { fps: 20.0 }
    }
}

/// What the feed callback tells the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Keep going.
    Continue,
    /// The session is over: draw once more and return.
    Finished,
}

/// Why [`run_terminal`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user pressed q / Esc / Ctrl-C.
    Quit,
    /// The feed said [`Feed::Finished`].
    Finished,
}

/// Run the live view on this thread until the user quits or `feed` says the session is over.
///
/// Each frame (every `1 / fps` s): `feed(model)` drains whatever the pipeline handed over
/// (the caller's drop-able ring) into the model, the spectra are refreshed, the view is drawn,
/// and key presses are handled until the next frame is due. Marker keys call
/// `on_marker(label)`; the caller places the marker at a sample index and, once placed, may
/// feed it back with [`ViewModel::push_marker`]. The terminal is restored on every return path,
/// error or panic.
pub fn run_terminal(
    model: &mut ViewModel,
    opts: RunOptions,
    mut feed: impl FnMut(&mut ViewModel) -> Feed,
    mut on_marker: impl FnMut(&str),
) -> Result<Exit> {
    let fps = if opts.fps.is_finite() && opts.fps > 0.0 {
        opts.fps.clamp(1.0, 120.0)
    } else {
        20.0
    };
    let period = Duration::from_secs_f64(1.0 / fps);
    let mut guard = TerminalGuard::enter()?;
    loop {
        let frame_start = Instant::now();
        let state = feed(model);
        model.update_spectra();
        guard
            .terminal()
            .draw(|f| render(f, model))
            .map_err(term_err)?;
        if state == Feed::Finished {
            return Ok(Exit::Finished);
        }
        loop {
            let left = period.saturating_sub(frame_start.elapsed());
            if left.is_zero() || !event::poll(left).map_err(term_err)? {
                break;
            }
            if let Event::Key(key) = event::read().map_err(term_err)? {
                match model.handle_key(key) {
                    ViewAction::Quit => return Ok(Exit::Quit),
                    ViewAction::Marker(label) => on_marker(&label),
                    ViewAction::None => {}
                }
            }
        }
    }
}
