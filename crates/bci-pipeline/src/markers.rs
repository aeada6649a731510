//! Markers coming in while a session runs. Each input runs on its own thread and hands labels
//! with their host arrival time to the source thread, which places them at a sample index (see
//! [`place`]) so they travel with the frames into the recording and the outputs.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use bci_core::{Error, Result};

/// A label and the monotonic host time (ns) it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerIn {
    pub label: String,
    pub host_time_ns: u64,
}

/// One extension point: somewhere markers come from.
pub trait MarkerInput: Send {
    fn name(&self) -> String;
    /// The next marker, waiting at most `timeout`.
    fn next(&mut self, timeout: Duration) -> Result<Option<MarkerIn>>;
}

/// Markers as UDP datagrams on a local port: one line = one label (blank lines ignored).
pub struct UdpMarkers {
    socket: UdpSocket,
    addr: SocketAddr,
    pending: std::collections::VecDeque<MarkerIn>,
    buf: Vec<u8>,
}

impl UdpMarkers {
    /// Listens on `addr` (127.0.0.1 unless the user asks otherwise; port 0 picks a free one).
    pub fn bind(addr: SocketAddr) -> Result<Self> {
        let socket = UdpSocket::bind(addr).map_err(|e| {
            Error::Device(format!(
                "cannot listen for markers on UDP {addr}: {e} (is another session using the port? pick one with --markers-udp PORT)"
            ))
        })?;
        let addr = socket.local_addr().unwrap_or(addr);
        Ok(UdpMarkers {
            socket,
            addr,
            pending: Default::default(),
            buf: vec![0; 65536],
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl MarkerInput for UdpMarkers {
    fn name(&self) -> String {
        format!("udp {}", self.addr)
    }

    fn next(&mut self, timeout: Duration) -> Result<Option<MarkerIn>> {
        if let Some(m) = self.pending.pop_front() {
            return Ok(Some(m));
        }
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(|e| Error::Device(format!("UDP markers on {}: {e}", self.addr)))?;
        match self.socket.recv_from(&mut self.buf) {
            Ok((n, _)) => {
                let now = bci_acquire::monotonic_ns();
                let text = String::from_utf8_lossy(&self.buf[..n]);
                for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    self.pending.push_back(MarkerIn {
                        label: line.to_string(),
                        host_time_ns: now,
                    });
                }
                Ok(self.pending.pop_front())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(Error::Device(format!("UDP markers on {}: {e}", self.addr))),
        }
    }
}

/// The sample index of a marker that arrived at `host_ns`, given that the frame just before
/// `last_end` (the newest received) arrived at `last_host_ns`: that frame's index plus the
/// elapsed time in samples, never before sample 0.
pub fn place(host_ns: u64, last_end: u64, last_host_ns: u64, rate: f64) -> u64 {
    let last = last_end.saturating_sub(1) as f64;
    let dt = (host_ns as f64 - last_host_ns as f64) / 1e9;
    (last + (dt * rate).round()).max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_follows_host_time() {
        // Newest frame is index 99, received at t = 1 s; rate 250 Hz.
        assert_eq!(place(1_000_000_000, 100, 1_000_000_000, 250.0), 99);
        assert_eq!(place(1_100_000_000, 100, 1_000_000_000, 250.0), 124);
        assert_eq!(place(900_000_000, 100, 1_000_000_000, 250.0), 74);
        assert_eq!(place(0, 10, 1_000_000_000, 250.0), 0);
    }

    #[test]
    fn udp_lines_become_markers() {
        let mut m = UdpMarkers::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"left\n\nright\n", m.local_addr()).unwrap();
        let a = m.next(Duration::from_secs(2)).unwrap().unwrap();
        let b = m.next(Duration::from_secs(2)).unwrap().unwrap();
        assert_eq!((a.label.as_str(), b.label.as_str()), ("left", "right"));
        assert!(m.next(Duration::from_millis(20)).unwrap().is_none());
    }
}
