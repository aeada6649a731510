//! `bci devices`: serial ports, their USB ids, and whether they look like an OpenBCI dongle.

use bci_acquire::devices::list_ports;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object per port.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let ports = list_ports();
    if ports.is_empty() && !args.json {
        println!(
            "no serial ports found (is the dongle plugged in? on Linux it appears as /dev/ttyUSB*)"
        );
    }
    for p in ports {
        let id = match (p.vid, p.pid) {
            (Some(v), Some(d)) => format!("{v:04x}:{d:04x}"),
            _ => "-".into(),
        };
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "path": p.path, "vid": p.vid, "pid": p.pid, "serial_number": p.serial_number,
                    "manufacturer": p.manufacturer, "product": p.product,
                    "latency_timer_ms": p.latency_timer_ms,
                    "likely_openbci_dongle": p.likely_openbci_dongle(),
                })
            );
            continue;
        }
        let mut line = format!("{}  {id}", p.path.display());
        if let Some(s) = &p.serial_number {
            line.push_str(&format!("  serial {s}"));
        }
        let desc: Vec<&str> = [p.manufacturer.as_deref(), p.product.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !desc.is_empty() {
            line.push_str(&format!("  ({})", desc.join(" ")));
        }
        if p.likely_openbci_dongle() {
            line.push_str("  <- likely OpenBCI dongle (FTDI FT231X)");
        }
        match p.latency_timer_ms {
            Some(1) => line.push_str("  latency timer 1 ms"),
            Some(t) => line.push_str(&format!(
                "  latency timer {t} ms (slow: packets arrive in bursts; `bci record` sets it to 1 ms when permitted, or: echo 1 | sudo tee /sys/bus/usb-serial/devices/{}/latency_timer)",
                p.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            )),
            None => {}
        }
        println!("{line}");
    }
    Ok(())
}
