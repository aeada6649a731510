//! Serial ports from sysfs (Linux): USB vendor/product ids, serial number, FTDI latency timer.
//! No libudev is needed.

use std::path::{Path, PathBuf};

/// One serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// `/dev/ttyUSB0`
    pub path: PathBuf,
    pub vid: Option<u16>,
    pub pid: Option<u16>,
    pub serial_number: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    /// FTDI latency timer in ms, where the driver exposes it.
    pub latency_timer_ms: Option<u32>,
}

impl PortInfo {
    /// FTDI FT231X default id 0403:6015, what the OpenBCI dongle enumerates as.
    pub fn likely_openbci_dongle(&self) -> bool {
        self.vid == Some(0x0403) && self.pid == Some(0x6015)
    }
}

fn read_trim(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Serial ports with a USB parent (or any device driver), sorted by path.
pub fn list_ports() -> Vec<PortInfo> {
    list_ports_in(Path::new("/sys/class/tty"))
}

/// Same as [`list_ports`] with another sysfs root (for tests).
pub fn list_ports_in(class_tty: &Path) -> Vec<PortInfo> {
    let Ok(rd) = std::fs::read_dir(class_tty) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dev = entry.path().join("device");
        // Virtual consoles and ptys have no device link.
        let Ok(real) = std::fs::canonicalize(&dev) else {
            continue;
        };
        // Legacy 8250 ports without hardware behind them are listed by every kernel.
        if name.starts_with("ttyS") && !real.to_string_lossy().contains("usb") {
            continue;
        }
        let mut info = PortInfo {
            path: PathBuf::from("/dev").join(&name),
            vid: None,
            pid: None,
            serial_number: None,
            manufacturer: None,
            product: None,
            latency_timer_ms: read_trim(&real.join("latency_timer")).and_then(|s| s.parse().ok()),
        };
        for anc in real.ancestors() {
            if let Some(v) = read_trim(&anc.join("idVendor")) {
                info.vid = u16::from_str_radix(&v, 16).ok();
                info.pid = read_trim(&anc.join("idProduct"))
                    .and_then(|p| u16::from_str_radix(&p, 16).ok());
                info.serial_number = read_trim(&anc.join("serial"));
                info.manufacturer = read_trim(&anc.join("manufacturer"));
                info.product = read_trim(&anc.join("product"));
                break;
            }
        }
        out.push(info);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
