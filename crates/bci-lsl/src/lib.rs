//! Lab Streaming Layer (LSL) outlets and inlets through liblsl loaded at run time.
//!
//! The `lsl` crate does not build on current glibc, so this crate dlopens liblsl itself (the
//! pylsl wheel in `.venv` ships `liblsl.so` 1.18). It knows nothing of the pipeline: it publishes
//! frames it is handed and delivers markers it receives.
//!
//! # Use
//!
//! ```no_run
//! use std::time::Duration;
//! use bci_lsl::{ChannelFormat, Lsl, MarkerInlet, Outlet, StreamDef, StreamQuery};
//!
//! # fn main() -> bci_core::Result<()> {
//! let lsl = Lsl::load()?; // finds liblsl, keeps discovery on this machine
//!
//! // EEG: 8 channels at 250 Hz, labels and units in the stream's XML description.
//! let labels = ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"];
//! let def = StreamDef::new("bci EEG", "EEG", 8, 250.0, ChannelFormat::Float32)
//!     .with_source_id("bci-cyton-ttyUSB0")
//!     .with_channels(labels.iter().map(|l| bci_lsl::ChannelDesc::new(*l, "microvolts", "EEG")));
//! let eeg = Outlet::new(&lsl, &def)?;
//! let frames = vec![0.0f32; 8 * 10]; // 10 frames, frame-major (interleaved)
//! eeg.push_chunk_f32(&frames, lsl.local_clock())?; // time stamp of the LAST frame
//!
//! // Predictions: irregular rate, one sample per decision.
//! let pred = Outlet::new(&lsl, &StreamDef::new("bci predictions", "Predictions", 3, 0.0,
//!     ChannelFormat::Double64))?;
//! pred.push_chunk_f64(&[1.0, 0.8, 0.2], 0.0)?; // 0.0 = "now"
//!
//! // Markers in, from any LSL sender (PsychoPy, pylsl, ...).
//! let mut markers = MarkerInlet::resolve(&lsl, &StreamQuery::Type("Markers".into()),
//!     Duration::from_secs(5))?;
//! while let Some((label, lsl_time)) = markers.pull(Duration::from_millis(100))? {
//!     let age = lsl.local_clock() - lsl_time; // seconds since the sender stamped it
//!     println!("{label} ({age:.3} s ago)");
//! }
//! # Ok(()) }
//! ```
//!
//! # Streams a live session publishes
//!
//! | stream | definition |
//! |---|---|
//! | raw or filtered EEG | [`StreamDef::from_stream_info`] (type `EEG`, labels, `microvolts`), float32 or double64, push `Chunk::data` with [`Outlet::push_chunk_f64`] |
//! | predictions | [`StreamDef::predictions`] (irregular double64, one sample per decision) |
//! | attention index | [`StreamDef::attention`] (double64, one channel per index) |
//! | markers out | [`StreamDef::markers`] and [`Outlet::push_sample_str`] |
//!
//! Give each a stable [`StreamDef::with_source_id`] (device + port): inlets then reconnect by
//! themselves when the session restarts. Stamp chunks with [`ClockMap::to_lsl`] of their
//! arrival time; map incoming markers back with [`ClockMap::to_host_ns`].
//!
//! A marker stream whose outlet closes is an `Error::Device` ("the stream was lost") from
//! [`MarkerInlet::pull`] when it has no source id; with a source id liblsl keeps reconnecting
//! and `pull` returns `None` until the sender is back.
//!
//! # Finding liblsl
//!
//! [`Lsl::load`] tries, in order: the file named by `BCI_LIBLSL` (only that, when set); the pylsl
//! wheel `<venv>/lib/python3*/site-packages/pylsl/lib/liblsl.so` in the virtual environment of
//! `BCI_PYTHON`, in `<workspace>/.venv` of the source tree this crate was built in, in `.venv`
//! beside any ancestor folder of the running executable (so `<root>/target/release/bci` finds
//! `<root>/.venv`), and in `.venv` of the current directory or any of its parents; then the
//! system's `liblsl.so`, `liblsl.so.2`, `liblsl.so.1`. Failing all, the error says to run
//! `scripts/test.sh` (which creates `.venv`) or to set `BCI_LIBLSL`.
//!
//! # Network: discovery stays on this machine by default
//!
//! liblsl reads its settings once per process, before its first outlet, inlet or resolve. Unless
//! the environment variable `LSLAPICFG` names a configuration file, [`Lsl::load`] hands liblsl
//! [`LOOPBACK_CONFIG`] (through `lsl_set_config_content`, so no file is written and no
//! environment variable is changed):
//!
//! - `[multicast] ResolveScope = machine`: resolve queries go to 127.0.0.1 only, never to the
//!   LAN's multicast groups or broadcast address;
//! - `[multicast] ListenAddress = 127.0.0.1`: an outlet answers discovery on loopback only;
//! - `[multicast] MachineAddresses = {127.0.0.1, 239.255.172.215}` with `TTL = 0`: queries also
//!   go to liblsl's multicast group with a time-to-live of 0, so they never leave this machine
//!   but reach every process's responder. Unicast to 127.0.0.1 alone is not enough: when two
//!   processes on the machine have outlets, the kernel hands each unicast query to one of their
//!   responder sockets only (the most specific bind), so a session that publishes streams would
//!   never find a marker sender started before it (measured: pylsl's marker outlet was invisible
//!   to `bci run --lsl --markers-lsl` until the multicast address was added);
//! - `[ports] IPv6 = disable`: one IPv4 path, as IPv6 link-local multicast is not routable in
//!   sandboxes and containers;
//! - `[lab] KnownPeers = {127.0.0.1}`: resolvers also query this machine by unicast, which keeps
//!   discovery working where loopback multicast is filtered;
//! - `[log] level = -2`: only liblsl's errors reach stderr; its banner, info lines and warnings
//!   (e.g. "can't be recovered automatically" for every marker stream without a source id)
//!   would otherwise interleave with the CLI's output and the live view.
//!
//! Measured on the project machine: with this configuration our outlets are found by pylsl
//! running liblsl's default configuration and by pylsl running the same loopback configuration,
//! and our inlets find pylsl outlets of either kind. liblsl has no setting for the address of its
//! TCP data server and UDP time server: those sockets bind all interfaces (port 16572 onwards)
//! whatever the configuration; nothing on the LAN is told about them.
//!
//! To stream to other machines (LabRecorder on another PC), point `LSLAPICFG` at an
//! `lsl_api.cfg` (an empty file gives liblsl's defaults: site-wide multicast), or load with
//! [`LoadOptions`] and [`Network::LiblslDefault`] / [`Network::ConfigFile`].
//! An `LSLAPICFG` that names no file is an error: liblsl itself would fall back to its
//! site-wide defaults without a word.
//!
//! # Time
//!
//! LSL time stamps are seconds of `lsl_local_clock()` ([`Lsl::local_clock`]; the monotonic clock
//! on Linux). Outlets take the capture time of a chunk's last frame, or 0.0 for "now"; the
//! earlier frames' stamps are derived from the nominal rate. Inlets return stamps already mapped
//! to this machine's `local_clock` (liblsl's clock-sync post-processing is on).
//!
//! # Errors
//!
//! Every liblsl error code maps to a [`bci_core::Error`]: `lsl_timeout_error`,
//! `lsl_lost_error` and `lsl_internal_error` to `Error::Device` with the operation and liblsl's
//! `lsl_last_error()` text, `lsl_argument_error` to `Error::InvalidParameter`; a resolve that
//! finds nothing is `Error::Device` naming the query; a stream of the wrong format or shape is
//! `Error::Mismatch`. Nothing here panics on what liblsl or a peer returns.

mod ffi;
mod info;
mod inlet;
mod outlet;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bci_core::{Error, Result};

pub use ffi::INSTALL_HINT;
pub use info::{ChannelDesc, ChannelFormat, StreamDef, StreamMeta};
pub use inlet::{MarkerInlet, NumericInlet, ResolvedStream, StreamQuery};
pub use outlet::Outlet;

use ffi::{Api, Candidate};

/// The configuration [`Network::Loopback`] gives liblsl (see the crate docs for why).
pub const LOOPBACK_CONFIG: &str = "\
[ports]
IPv6 = disable

[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
MachineAddresses = {127.0.0.1, 239.255.172.215}
TTL = 0

[lab]
KnownPeers = {127.0.0.1}

[log]
level = -2
";

/// Which network settings liblsl runs with; fixed for the process by the first load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// [`LOOPBACK_CONFIG`]: discovery on this machine only (the default).
    Loopback,
    /// liblsl's own search: `LSLAPICFG`, `./lsl_api.cfg`, `~/lsl_api/lsl_api.cfg`,
    /// `/etc/lsl_api/lsl_api.cfg`, else its defaults (site-wide multicast).
    LiblslDefault,
    /// This `lsl_api.cfg`.
    ConfigFile(PathBuf),
}

/// How to load liblsl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// The library file; `None` searches as described in the crate docs.
    pub library: Option<PathBuf>,
    pub network: Network,
}

impl Default for LoadOptions {
    /// Search for the library; [`Network::LiblslDefault`] when `LSLAPICFG` is set (the user's
    /// file wins), else [`Network::Loopback`].
    fn default() -> Self {
        let network = if std::env::var_os("LSLAPICFG").is_some() {
            Network::LiblslDefault
        } else {
            Network::Loopback
        };
        LoadOptions {
            library: None,
            network,
        }
    }
}

/// The loaded liblsl. Cheap to clone; every clone shares the one library of the process.
#[derive(Clone)]
pub struct Lsl {
    pub(crate) api: Arc<Api>,
    network: Network,
}

impl std::fmt::Debug for Lsl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lsl")
            .field("library", &self.api.path)
            .field("network", &self.network)
            .finish()
    }
}

/// The library of this process once loaded, with the options it was loaded with.
static LOADED: Mutex<Option<(LoadOptions, Lsl)>> = Mutex::new(None);

impl Lsl {
    /// Load liblsl with [`LoadOptions::default`] (or return the already loaded one).
    pub fn load() -> Result<Lsl> {
        Lsl::load_with(&LoadOptions::default())
    }

    /// Load liblsl with `options`. The first successful load fixes the library and the network
    /// settings for the whole process (liblsl reads its configuration once); a later call with
    /// other options is an error, a call with the same options returns the same library.
    pub fn load_with(options: &LoadOptions) -> Result<Lsl> {
        let mut guard = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((first, lsl)) = guard.as_ref() {
            if first == options {
                return Ok(lsl.clone());
            }
            return Err(Error::invalid(
                "LSL load options",
                format!("{options:?}"),
                format!(
                    "liblsl is already loaded in this process with {first:?}; its library and \
                     network settings cannot change until the process ends"
                ),
            ));
        }
        let path = match &options.library {
            Some(p) => p.clone(),
            None => find_library()?,
        };
        let api = Api::open(&path)?;
        configure(&api, &options.network)?;
        let lsl = Lsl {
            api: Arc::new(api),
            network: options.network.clone(),
        };
        *guard = Some((options.clone(), lsl.clone()));
        Ok(lsl)
    }

    /// The library file in use.
    pub fn library_path(&self) -> &Path {
        &self.api.path
    }

    /// The network settings in use.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// liblsl's version as major*100+minor (118 for 1.18).
    pub fn library_version(&self) -> i32 {
        // SAFETY: no arguments, no preconditions.
        unsafe { (self.api.library_version)() }
    }

    /// The LSL protocol version (110 for 1.10).
    pub fn protocol_version(&self) -> i32 {
        // SAFETY: no arguments, no preconditions.
        unsafe { (self.api.protocol_version)() }
    }

    /// Seconds on LSL's clock (`lsl_local_clock`), the time base of every LSL time stamp.
    pub fn local_clock(&self) -> f64 {
        // SAFETY: no arguments, no preconditions.
        unsafe { (self.api.local_clock)() }
    }

    /// Every stream matching `query` seen within `timeout`; returns as soon as `minimum`
    /// streams are found (0: wait the whole timeout and list all). Infos from a resolve carry no
    /// channel descriptions; open an inlet for those.
    pub fn resolve(
        &self,
        query: &StreamQuery,
        minimum: usize,
        timeout: Duration,
    ) -> Result<Vec<ResolvedStream>> {
        inlet::resolve(self, query, minimum, timeout)
    }
}

/// Maps the caller's monotonic clock (nanoseconds, any epoch) to LSL time and back.
///
/// liblsl's clock is `std::chrono::steady_clock` and Rust's `Instant` is `CLOCK_MONOTONIC` on
/// Linux: both tick at the same rate, so one paired reading fixes the offset for the process.
/// Use it to stamp outgoing chunks with their arrival time (`to_lsl(chunk.host_time_ns)`) and to
/// place an incoming marker on the caller's clock (`to_host_ns(marker_time)`), from which the
/// sample index follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockMap {
    /// LSL seconds minus host seconds.
    offset_s: f64,
}

impl ClockMap {
    /// Read `host_now_ns` on either side of `lsl_local_clock()` and keep the offset of the
    /// tightest of a few tries (the midpoint of the host readings).
    pub fn measure(lsl: &Lsl, host_now_ns: impl Fn() -> u64) -> ClockMap {
        let mut best = (u64::MAX, 0.0);
        for _ in 0..5 {
            let before = host_now_ns();
            let lsl_t = lsl.local_clock();
            let after = host_now_ns();
            let width = after.saturating_sub(before);
            if width < best.0 {
                let mid = before as f64 * 1e-9 + width as f64 * 0.5e-9;
                best = (width, lsl_t - mid);
            }
        }
        ClockMap { offset_s: best.1 }
    }

    /// The LSL time of host time `host_ns`.
    pub fn to_lsl(&self, host_ns: u64) -> f64 {
        host_ns as f64 * 1e-9 + self.offset_s
    }

    /// The host time of LSL time `lsl_time`; `None` before the host clock's epoch or when not
    /// finite.
    pub fn to_host_ns(&self, lsl_time: f64) -> Option<u64> {
        let ns = ((lsl_time - self.offset_s) * 1e9).round();
        (ns.is_finite() && ns >= 0.0 && ns < u64::MAX as f64).then_some(ns as u64)
    }

    /// LSL seconds minus host seconds.
    pub fn offset_seconds(&self) -> f64 {
        self.offset_s
    }
}

/// Where liblsl is (see the crate docs for the order), or an error saying how to get it.
pub fn find_library() -> Result<PathBuf> {
    find_library_in(
        std::env::var_os("BCI_LIBLSL").map(PathBuf::from),
        std::env::var_os("BCI_PYTHON").map(PathBuf::from),
    )
}

fn find_library_in(env_lib: Option<PathBuf>, env_python: Option<PathBuf>) -> Result<PathBuf> {
    let cands = ffi::candidates(env_lib, env_python);
    let mut tried = Vec::new();
    for cand in &cands {
        match cand {
            Candidate::Env(p) => {
                if p.is_file() {
                    return Ok(p.clone());
                }
                return Err(Error::Device(format!(
                    "BCI_LIBLSL={} is not a file; {INSTALL_HINT}",
                    p.display()
                )));
            }
            Candidate::Wheel(p) => return Ok(p.clone()),
            Candidate::System(name) => {
                // SAFETY: probing the system's liblsl runs its static initialisers only.
                if let Ok(lib) = unsafe { libloading::Library::new(*name) } {
                    // Never unloaded (see the ffi module): the load that follows reuses it.
                    std::mem::forget(lib);
                    return Ok(cand.path());
                }
                tried.push(name.to_string());
            }
        }
    }
    Err(Error::Device(format!(
        "liblsl not found: no pylsl wheel in BCI_PYTHON's venv, <workspace>/.venv, the \
         executable's or the current directory's .venv, and the system loader has none of {}; \
         {INSTALL_HINT}",
        tried.join(", ")
    )))
}

/// Apply the network settings before liblsl's first real call.
fn configure(api: &Api, network: &Network) -> Result<()> {
    match network {
        Network::LiblslDefault => check_lslapicfg(std::env::var_os("LSLAPICFG").map(PathBuf::from)),
        Network::Loopback => {
            let Some(set) = api.set_config_content else {
                return Err(Error::Device(format!(
                    "{} is older than liblsl 1.16 and cannot be configured for loopback-only \
                     discovery; use the pylsl wheel's liblsl (scripts/test.sh), or set LSLAPICFG \
                     to an lsl_api.cfg to run with it",
                    api.path.display()
                )));
            };
            let content = ffi::c_string("LSL configuration", LOOPBACK_CONFIG)?;
            // SAFETY: a valid NUL-terminated string; liblsl copies it.
            unsafe { set(content.as_ptr()) };
            Ok(())
        }
        Network::ConfigFile(path) => {
            if !path.is_file() {
                return Err(Error::Device(format!(
                    "LSL configuration file {} does not exist",
                    path.display()
                )));
            }
            let Some(set) = api.set_config_filename else {
                return Err(Error::Device(format!(
                    "{} is older than liblsl 1.16 and cannot be given a configuration file; set \
                     LSLAPICFG={} instead",
                    api.path.display(),
                    path.display()
                )));
            };
            let s = ffi::c_string("LSL configuration file", &path.to_string_lossy())?;
            // SAFETY: a valid NUL-terminated string; liblsl copies it.
            unsafe { set(s.as_ptr()) };
            Ok(())
        }
    }
}

/// liblsl silently falls back to site-wide defaults when `LSLAPICFG` names no file: refuse that.
fn check_lslapicfg(value: Option<PathBuf>) -> Result<()> {
    match value {
        Some(p) if !p.is_file() => Err(Error::Device(format!(
            "LSLAPICFG={} is not a file; point it at an lsl_api.cfg, or unset it to keep LSL \
             discovery on this machine",
            p.display()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bci_liblsl_pointing_nowhere_is_a_clear_error() {
        let err = find_library_in(Some(PathBuf::from("/nonexistent/liblsl.so")), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("BCI_LIBLSL=/nonexistent/liblsl.so"), "{err}");
        assert!(err.contains("scripts/test.sh"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_library_fails_to_load_with_its_path() {
        let not_lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let err = match Api::open(&not_lib) {
            Ok(_) => panic!("Cargo.toml loaded as a library"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("Cargo.toml"), "{err}");
        assert!(err.contains("BCI_LIBLSL"), "{err}");
    }

    #[test]
    fn lslapicfg_naming_no_file_is_refused() {
        let err = check_lslapicfg(Some(PathBuf::from("/nonexistent/lsl_api.cfg"))).unwrap_err();
        assert!(
            err.to_string()
                .contains("LSLAPICFG=/nonexistent/lsl_api.cfg"),
            "{err}"
        );
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        check_lslapicfg(Some(real)).expect("an existing file");
        check_lslapicfg(None).expect("unset");
    }

    #[test]
    fn the_workspace_venv_wheel_is_found() {
        let p = find_library_in(None, None).expect("the .venv pylsl wheel");
        assert!(p.ends_with("pylsl/lib/liblsl.so"), "{}", p.display());
    }

    #[test]
    fn a_library_without_lsl_symbols_is_refused_by_name() {
        // libm loads fine but is not liblsl.
        let err = match Api::open(Path::new("libm.so.6")) {
            Ok(_) => panic!("libm accepted as liblsl"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("lacks lsl_"), "{err}");
    }
}
