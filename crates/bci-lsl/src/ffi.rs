//! liblsl's C API, looked up at run time, and the search for the library itself.
//!
//! Signatures follow liblsl's `include/lsl/*.h` (1.16–1.18). The library is loaded once per
//! process and never unloaded: liblsl runs its own I/O threads, and unloading code those threads
//! execute would crash the process.

use std::ffi::{CStr, CString, c_char, c_ulong, c_void};
use std::path::{Path, PathBuf};

use bci_core::{Error, Result};

pub(crate) type InfoH = *mut c_void;
pub(crate) type XmlH = *mut c_void;
pub(crate) type OutletH = *mut c_void;
pub(crate) type InletH = *mut c_void;

/// `lsl_error_code_t`.
pub(crate) const LSL_NO_ERROR: i32 = 0;
pub(crate) const LSL_TIMEOUT_ERROR: i32 = -1;
pub(crate) const LSL_LOST_ERROR: i32 = -2;
pub(crate) const LSL_ARGUMENT_ERROR: i32 = -3;
pub(crate) const LSL_INTERNAL_ERROR: i32 = -4;

/// `proc_clocksync`: the inlet adds the time correction to every time stamp it returns.
pub(crate) const PROC_CLOCKSYNC: u32 = 1;

/// The hint every "liblsl not found" message ends with.
pub const INSTALL_HINT: &str = "liblsl is not installed: run `scripts/test.sh` (it creates .venv \
    with the pylsl wheel, which ships liblsl.so), or set BCI_LIBLSL to the path of liblsl.so";

macro_rules! api {
    ($($field:ident : fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// Function pointers into the loaded liblsl.
        pub(crate) struct Api {
            pub(crate) path: PathBuf,
            $(pub(crate) $field: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
            pub(crate) set_config_content: Option<unsafe extern "C" fn(*const c_char)>,
            pub(crate) set_config_filename: Option<unsafe extern "C" fn(*const c_char)>,
            _lib: libloading::Library,
        }

        impl Api {
            /// dlopen `path` and look every function up.
            pub(crate) fn open(path: &Path) -> Result<Api> {
                // SAFETY: loading liblsl runs its static initialisers (logging, clocks), which
                // have no preconditions; each symbol is read with the signature of liblsl's C
                // headers, which have been stable since 1.14.
                unsafe {
                    let lib = libloading::Library::new(path).map_err(|e| {
                        Error::Device(format!("cannot load {}: {e}; {INSTALL_HINT}", path.display()))
                    })?;
                    $(
                        let $field = *lib
                            .get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(
                                concat!("lsl_", stringify!($field), "\0").as_bytes(),
                            )
                            .map_err(|e| {
                                Error::Device(format!(
                                    "{} lacks lsl_{}: {e} (liblsl 1.14 or newer is needed; {})",
                                    path.display(),
                                    stringify!($field),
                                    INSTALL_HINT
                                ))
                            })?;
                    )*
                    let set_config_content = lib
                        .get::<unsafe extern "C" fn(*const c_char)>(b"lsl_set_config_content\0")
                        .ok()
                        .map(|s| *s);
                    let set_config_filename = lib
                        .get::<unsafe extern "C" fn(*const c_char)>(b"lsl_set_config_filename\0")
                        .ok()
                        .map(|s| *s);
                    Ok(Api {
                        path: path.to_path_buf(),
                        $($field,)*
                        set_config_content,
                        set_config_filename,
                        _lib: lib,
                    })
                }
            }
        }
    };
}

api! {
    library_version: fn() -> i32;
    protocol_version: fn() -> i32;
    local_clock: fn() -> f64;
    last_error: fn() -> *const c_char;
    destroy_string: fn(*mut c_char);

    create_streaminfo: fn(*const c_char, *const c_char, i32, f64, i32, *const c_char) -> InfoH;
    destroy_streaminfo: fn(InfoH);
    get_name: fn(InfoH) -> *const c_char;
    get_type: fn(InfoH) -> *const c_char;
    get_source_id: fn(InfoH) -> *const c_char;
    get_hostname: fn(InfoH) -> *const c_char;
    get_uid: fn(InfoH) -> *const c_char;
    get_channel_count: fn(InfoH) -> i32;
    get_nominal_srate: fn(InfoH) -> f64;
    get_channel_format: fn(InfoH) -> i32;
    get_created_at: fn(InfoH) -> f64;
    get_desc: fn(InfoH) -> XmlH;

    append_child: fn(XmlH, *const c_char) -> XmlH;
    append_child_value: fn(XmlH, *const c_char, *const c_char) -> XmlH;
    child: fn(XmlH, *const c_char) -> XmlH;
    first_child: fn(XmlH) -> XmlH;
    next_sibling: fn(XmlH) -> XmlH;
    next_sibling_n: fn(XmlH, *const c_char) -> XmlH;
    empty: fn(XmlH) -> i32;
    name: fn(XmlH) -> *const c_char;
    child_value: fn(XmlH) -> *const c_char;
    child_value_n: fn(XmlH, *const c_char) -> *const c_char;

    create_outlet: fn(InfoH, i32, i32) -> OutletH;
    destroy_outlet: fn(OutletH);
    get_info: fn(OutletH) -> InfoH;
    push_chunk_ftp: fn(OutletH, *const f32, c_ulong, f64, i32) -> i32;
    push_chunk_dtp: fn(OutletH, *const f64, c_ulong, f64, i32) -> i32;
    push_chunk_ftnp: fn(OutletH, *const f32, c_ulong, *const f64, i32) -> i32;
    push_chunk_dtnp: fn(OutletH, *const f64, c_ulong, *const f64, i32) -> i32;
    push_sample_buftp: fn(OutletH, *const *const c_char, *const u32, f64, i32) -> i32;
    have_consumers: fn(OutletH) -> i32;
    wait_for_consumers: fn(OutletH, f64) -> i32;

    resolve_byprop: fn(*mut InfoH, u32, *const c_char, *const c_char, i32, f64) -> i32;
    resolve_bypred: fn(*mut InfoH, u32, *const c_char, i32, f64) -> i32;
    resolve_all: fn(*mut InfoH, u32, f64) -> i32;

    create_inlet: fn(InfoH, i32, i32, i32) -> InletH;
    destroy_inlet: fn(InletH);
    get_fullinfo: fn(InletH, f64, *mut i32) -> InfoH;
    open_stream: fn(InletH, f64, *mut i32);
    time_correction: fn(InletH, f64, *mut i32) -> f64;
    set_postprocessing: fn(InletH, u32) -> i32;
    pull_sample_str: fn(InletH, *mut *mut c_char, i32, f64, *mut i32) -> f64;
    pull_chunk_f: fn(InletH, *mut f32, *mut f64, c_ulong, c_ulong, f64, *mut i32) -> c_ulong;
    pull_chunk_d: fn(InletH, *mut f64, *mut f64, c_ulong, c_ulong, f64, *mut i32) -> c_ulong;
    samples_available: fn(InletH) -> u32;
}

// SAFETY: the struct holds only function pointers into a library that stays loaded, and liblsl's
// C API may be called from any thread.
unsafe impl Send for Api {}
// SAFETY: as above; no interior state on the Rust side.
unsafe impl Sync for Api {}

impl Api {
    /// liblsl's explanation of the last error on this thread (empty when it has none).
    pub(crate) fn last_error_text(&self) -> String {
        // SAFETY: lsl_last_error returns a pointer to a thread-local NUL-terminated buffer.
        unsafe { cstr((self.last_error)()) }
    }

    /// The error for a liblsl error code `code` returned by the operation `what`.
    pub(crate) fn error(&self, what: &str, code: i32) -> Error {
        let last = self.last_error_text();
        let detail = if last.is_empty() {
            String::new()
        } else {
            format!(" ({last})")
        };
        match code {
            LSL_TIMEOUT_ERROR => Error::Device(format!("LSL {what}: timed out{detail}")),
            LSL_LOST_ERROR => Error::Device(format!(
                "LSL {what}: the stream was lost (its outlet closed or the connection dropped){detail}"
            )),
            LSL_ARGUMENT_ERROR => Error::invalid(
                format!("argument of LSL {what}"),
                "(see message)",
                format!("liblsl refused it as malformed or of the wrong length{detail}"),
            ),
            LSL_INTERNAL_ERROR => {
                Error::Device(format!("LSL {what}: liblsl internal error{detail}"))
            }
            other => Error::Device(format!(
                "LSL {what}: unknown liblsl error code {other}{detail}"
            )),
        }
    }

    /// `Ok` for `lsl_no_error`, else the mapped error.
    pub(crate) fn check(&self, what: &str, code: i32) -> Result<()> {
        if code == LSL_NO_ERROR {
            Ok(())
        } else {
            Err(self.error(what, code))
        }
    }
}

/// A NUL-terminated C string as a Rust string (lossy; NULL is the empty string).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated buffer that stays valid during the call.
pub(crate) unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: the caller guarantees a valid NUL-terminated string.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// A Rust string as a C string; an interior NUL is an error naming `what`.
pub(crate) fn c_string(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid(what, format!("{s:?}"), "contains a NUL byte"))
}

/// Where liblsl may be, in the order they are tried (see [`crate::find_library`]).
pub(crate) fn candidates(env_lib: Option<PathBuf>, env_python: Option<PathBuf>) -> Vec<Candidate> {
    let mut out = Vec::new();
    if let Some(p) = env_lib {
        out.push(Candidate::Env(p));
        return out;
    }
    let mut venvs: Vec<PathBuf> = Vec::new();
    // BCI_PYTHON=/x/.venv/bin/python names the venv /x/.venv.
    if let Some(py) = env_python
        && let Some(venv) = py.parent().and_then(Path::parent)
    {
        venvs.push(venv.to_path_buf());
    }
    // The workspace this crate was built in (right for `cargo run`, tests and CI).
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if let Some(root) = manifest.parent().and_then(Path::parent) {
        venvs.push(root.join(".venv"));
    }
    // An installed or copied binary: `<root>/target/release/bci` finds `<root>/.venv`.
    if let Ok(exe) = std::env::current_exe() {
        for anc in exe.ancestors().skip(1) {
            venvs.push(anc.join(".venv"));
        }
    }
    if let Ok(cwd) = std::env::current_dir() {
        for anc in cwd.ancestors() {
            venvs.push(anc.join(".venv"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for venv in venvs {
        if !seen.insert(venv.clone()) {
            continue;
        }
        for lib in wheel_libs(&venv) {
            out.push(Candidate::Wheel(lib));
        }
    }
    for name in ["liblsl.so", "liblsl.so.2", "liblsl.so.1"] {
        out.push(Candidate::System(name));
    }
    out
}

/// `<venv>/lib/python3*/site-packages/pylsl/lib/liblsl.so` for every python3 folder present.
fn wheel_libs(venv: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(venv.join("lib")) else {
        return found;
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        let lib = d.join("site-packages/pylsl/lib/liblsl.so");
        if lib.is_file() {
            found.push(lib);
        }
    }
    found
}

/// One place liblsl may be.
#[derive(Debug, Clone)]
pub(crate) enum Candidate {
    /// `BCI_LIBLSL`: the only candidate when set.
    Env(PathBuf),
    /// A pylsl wheel inside a virtual environment.
    Wheel(PathBuf),
    /// A name for the system's dynamic loader.
    System(&'static str),
}

impl Candidate {
    pub(crate) fn path(&self) -> PathBuf {
        match self {
            Candidate::Env(p) | Candidate::Wheel(p) => p.clone(),
            Candidate::System(n) => PathBuf::from(n),
        }
    }
}
