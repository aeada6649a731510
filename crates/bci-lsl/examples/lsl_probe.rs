//! Test helper for tests/test_lsl_pylsl.py: publishes a known stream, or prints the markers a
//! marker inlet receives, so pylsl can check us from outside the process.
//!
//! ```text
//! lsl_probe publish --name N [--type EEG] [--channels 8] [--rate 250] [--format float32]
//!                   [--frames 1000] [--chunk 25] [--labels C3,Cz,..] [--wait 10] [--linger 5]
//! lsl_probe markers --name N [--count 5] [--timeout 10]
//! ```
//!
//! `publish` prints `READY`, waits for a consumer, prints `T0 <lsl time>`, pushes frame f,
//! channel c = (f*channels + c) * 0.25 - 50 (strings "m<f>c<c>"), stamped t0 + f/rate (regular)
//! or t0 + f*0.01 (irregular), then keeps the outlet until the consumer leaves and prints `DONE`.
//! `markers` prints `OPEN`, then `MARKER\t<label>\t<lsl time>` per marker, then `DONE`.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bci_lsl::{ChannelDesc, ChannelFormat, Lsl, MarkerInlet, Outlet, StreamDef, StreamQuery};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lsl_probe: {e}");
            ExitCode::FAILURE
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mode = args
        .next()
        .ok_or("usage: lsl_probe publish|markers --name N ...")?;
    let mut opts = HashMap::new();
    while let Some(k) = args.next() {
        let key = k
            .strip_prefix("--")
            .ok_or_else(|| format!("expected --option, got {k}"))?
            .to_string();
        let v = args
            .next()
            .ok_or_else(|| format!("--{key} needs a value"))?;
        opts.insert(key, v);
    }
    let get = |k: &str, d: &str| opts.get(k).cloned().unwrap_or_else(|| d.to_string());
    let num = |k: &str, d: &str| -> Result<f64, String> {
        get(k, d)
            .parse::<f64>()
            .map_err(|_| format!("--{k} must be a number"))
    };
    let name = opts.get("name").cloned().ok_or("--name is required")?;
    let lsl = Lsl::load().map_err(|e| e.to_string())?;
    match mode.as_str() {
        "publish" => publish(&lsl, &name, &get, &num),
        "markers" => markers(&lsl, &name, &num),
        other => Err(format!("unknown mode {other}")),
    }
}

fn publish(
    lsl: &Lsl,
    name: &str,
    get: &dyn Fn(&str, &str) -> String,
    num: &dyn Fn(&str, &str) -> Result<f64, String>,
) -> Result<(), String> {
    let n = num("channels", "8")? as usize;
    let rate = num("rate", "250")?;
    let format = ChannelFormat::parse(&get("format", "float32")).map_err(|e| e.to_string())?;
    let frames = num("frames", "1000")? as usize;
    let chunk = (num("chunk", "25")? as usize).max(1);
    let labels: Vec<String> = match get("labels", "").as_str() {
        "" => (1..=n).map(|i| format!("Ch{i}")).collect(),
        l => l.split(',').map(String::from).collect(),
    };
    let def = StreamDef::new(name, get("type", "EEG"), n, rate, format)
        .with_source_id(format!("lsl_probe-{name}"))
        .with_channels(
            labels
                .iter()
                .map(|l| ChannelDesc::new(l.clone(), "microvolts", "EEG")),
        )
        .with_desc("manufacturer", "bci lsl_probe");
    let outlet = Outlet::new(lsl, &def).map_err(|e| e.to_string())?;
    say("READY");
    if !outlet.wait_for_consumers(Duration::from_secs_f64(num("wait", "10")?)) {
        return Err("no consumer subscribed".into());
    }
    let t0 = lsl.local_clock();
    say(&format!("T0 {t0:.9}"));
    let value = |f: usize, c: usize| (f * n + c) as f64 * 0.25 - 50.0;
    let stamp = |f: usize| {
        if rate > 0.0 {
            t0 + f as f64 / rate
        } else {
            t0 + f as f64 * 0.01
        }
    };
    let mut buf32 = Vec::with_capacity(chunk * n);
    let mut buf64 = Vec::with_capacity(chunk * n);
    let mut stamps = Vec::with_capacity(chunk);
    for first in (0..frames).step_by(chunk) {
        let last = (first + chunk).min(frames);
        let push = match format {
            ChannelFormat::String => {
                let mut r = Ok(());
                for f in first..last {
                    let sample: Vec<String> = (0..n).map(|c| format!("m{f}c{c}")).collect();
                    let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
                    r = r.and(outlet.push_sample_str(&refs, stamp(f)));
                }
                r
            }
            ChannelFormat::Float32 if rate > 0.0 => {
                buf32.clear();
                for f in first..last {
                    buf32.extend((0..n).map(|c| value(f, c) as f32));
                }
                // Regular rate: one stamp, that of the chunk's last frame.
                outlet.push_chunk_f32(&buf32, stamp(last - 1))
            }
            _ => {
                buf64.clear();
                stamps.clear();
                for f in first..last {
                    buf64.extend((0..n).map(|c| value(f, c)));
                    stamps.push(stamp(f));
                }
                if rate > 0.0 {
                    outlet.push_chunk_f64(&buf64, stamp(last - 1))
                } else {
                    outlet.push_chunk_f64_stamped(&buf64, &stamps)
                }
            }
        };
        push.map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(1));
    }
    let linger = Instant::now() + Duration::from_secs_f64(num("linger", "5")?);
    while outlet.have_consumers() && Instant::now() < linger {
        std::thread::sleep(Duration::from_millis(20));
    }
    say("DONE");
    Ok(())
}

fn markers(
    lsl: &Lsl,
    name: &str,
    num: &dyn Fn(&str, &str) -> Result<f64, String>,
) -> Result<(), String> {
    let count = num("count", "5")? as usize;
    let timeout = Duration::from_secs_f64(num("timeout", "10")?);
    let deadline = Instant::now() + timeout;
    let mut inlet = MarkerInlet::resolve(lsl, &StreamQuery::Name(name.to_string()), timeout)
        .map_err(|e| e.to_string())?;
    say(&format!(
        "OPEN {} {}",
        inlet.meta().name,
        inlet.meta().channel_count
    ));
    let mut got = 0;
    while got < count && Instant::now() < deadline {
        if let Some((label, ts)) = inlet
            .pull(Duration::from_millis(200))
            .map_err(|e| e.to_string())?
        {
            say(&format!("MARKER\t{label}\t{ts:.9}"));
            got += 1;
        }
    }
    say("DONE");
    if got < count {
        return Err(format!("{got} of {count} markers within {timeout:?}"));
    }
    Ok(())
}
