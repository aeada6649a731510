//! The pseudo-terminal the simulated dongle sits behind (spec §9).
//!
//! The slave is put in raw mode at once (no echo, no LF→CRLF) and the simulator keeps one slave
//! descriptor open, so master reads do not fail between clients. `--link` publishes the slave
//! under a stable path; "unplugging" closes both sides and removes the link, and "replugging"
//! creates a new pair and points the link at it.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

/// An open pty pair.
pub struct Pty {
    master: File,
    _slave: File,
    pub slave_path: PathBuf,
}

impl Pty {
    pub fn open() -> Result<Pty> {
        let pair = nix::pty::openpty(None, None).context("openpty")?;
        let slave_path = nix::unistd::ttyname(&pair.slave).context("ttyname of the pty slave")?;
        let mut t = tcgetattr(&pair.slave).context("tcgetattr")?;
        cfmakeraw(&mut t);
        tcsetattr(&pair.slave, SetArg::TCSANOW, &t).context("tcsetattr raw")?;
        let flags = fcntl(&pair.master, FcntlArg::F_GETFL).context("F_GETFL")?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(&pair.master, FcntlArg::F_SETFL(flags)).context("F_SETFL")?;
        Ok(Pty {
            master: File::from(pair.master),
            _slave: File::from(pair.slave),
            slave_path,
        })
    }

    /// Wait up to `ms` for bytes from the client; read what is there (empty: none).
    pub fn read(&mut self, ms: u16, buf: &mut Vec<u8>) -> Result<()> {
        let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
        let n = poll(&mut fds, PollTimeout::from(ms)).unwrap_or(0);
        if n <= 0 {
            return Ok(());
        }
        let mut tmp = [0u8; 4096];
        loop {
            match self.master.read(&mut tmp) {
                Ok(0) => return Ok(()),
                Ok(k) => buf.extend_from_slice(&tmp[..k]),
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted =>
                {
                    return Ok(());
                }
                // EIO while no client has the slave open: nothing to read.
                Err(_) => return Ok(()),
            }
        }
    }

    /// Write as much of `out` as the pty takes now; returns the bytes written.
    pub fn write(&mut self, out: &[u8]) -> usize {
        let mut done = 0;
        while done < out.len() {
            match self.master.write(&out[done..]) {
                Ok(0) => break,
                Ok(k) => done += k,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        done
    }
}

/// Point `link` at `target`, replacing an existing link atomically.
pub fn relink(link: &Path, target: &Path) -> Result<()> {
    let tmp = link.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .with_context(|| format!("cannot create symlink {}", tmp.display()))?;
    std::fs::rename(&tmp, link)
        .with_context(|| format!("cannot create link {}", link.display()))?;
    Ok(())
}
