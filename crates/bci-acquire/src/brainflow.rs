//! Every BrainFlow board, through BrainFlow's own `libBoardController.so` loaded at run time.
//!
//! The library is found in `BRAINFLOW_LIB_DIR`, else in the `lib/` folder of the `brainflow`
//! Python package of the interpreter named by `BCI_PYTHON`, else `.venv/bin/python` (current
//! directory and its parents), else `python3`. The wheel's C functions take a `preset` argument
//! older headers lack, and its input-parameters JSON must carry all 16 keys (an empty `{}` is
//! refused with error 17); both are handled here.

use std::ffi::{CString, c_char, c_int};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bci_core::{Channel, Chunk, Error, Result, StreamInfo};

use crate::{Source, SourceStats, monotonic_ns};

/// BrainFlow's `BoardIds` (5.23.0): name and id.
pub const BOARDS: &[(&str, i32)] = &[
    ("PLAYBACK_FILE_BOARD", -3),
    ("STREAMING_BOARD", -2),
    ("SYNTHETIC_BOARD", -1),
    ("CYTON_BOARD", 0),
    ("GANGLION_BOARD", 1),
    ("CYTON_DAISY_BOARD", 2),
    ("GALEA_BOARD", 3),
    ("GANGLION_WIFI_BOARD", 4),
    ("CYTON_WIFI_BOARD", 5),
    ("CYTON_DAISY_WIFI_BOARD", 6),
    ("BRAINBIT_BOARD", 7),
    ("UNICORN_BOARD", 8),
    ("CALLIBRI_EEG_BOARD", 9),
    ("CALLIBRI_EMG_BOARD", 10),
    ("CALLIBRI_ECG_BOARD", 11),
    ("NOTION_1_BOARD", 13),
    ("NOTION_2_BOARD", 14),
    ("GFORCE_PRO_BOARD", 16),
    ("FREEEEG32_BOARD", 17),
    ("BRAINBIT_BLED_BOARD", 18),
    ("GFORCE_DUAL_BOARD", 19),
    ("MUSE_S_BLED_BOARD", 21),
    ("MUSE_2_BLED_BOARD", 22),
    ("CROWN_BOARD", 23),
    ("ANT_NEURO_EE_410_BOARD", 24),
    ("ANT_NEURO_EE_411_BOARD", 25),
    ("ANT_NEURO_EE_430_BOARD", 26),
    ("ANT_NEURO_EE_211_BOARD", 27),
    ("ANT_NEURO_EE_212_BOARD", 28),
    ("ANT_NEURO_EE_213_BOARD", 29),
    ("ANT_NEURO_EE_214_BOARD", 30),
    ("ANT_NEURO_EE_215_BOARD", 31),
    ("ANT_NEURO_EE_221_BOARD", 32),
    ("ANT_NEURO_EE_222_BOARD", 33),
    ("ANT_NEURO_EE_223_BOARD", 34),
    ("ANT_NEURO_EE_224_BOARD", 35),
    ("ANT_NEURO_EE_225_BOARD", 36),
    ("ENOPHONE_BOARD", 37),
    ("MUSE_2_BOARD", 38),
    ("MUSE_S_BOARD", 39),
    ("BRAINALIVE_BOARD", 40),
    ("MUSE_2016_BOARD", 41),
    ("MUSE_2016_BLED_BOARD", 42),
    ("EXPLORE_4_CHAN_BOARD", 44),
    ("EXPLORE_8_CHAN_BOARD", 45),
    ("GANGLION_NATIVE_BOARD", 46),
    ("EMOTIBIT_BOARD", 47),
    ("NTL_WIFI_BOARD", 50),
    ("ANT_NEURO_EE_511_BOARD", 51),
    ("FREEEEG128_BOARD", 52),
    ("AAVAA_V3_BOARD", 53),
    ("EXPLORE_PLUS_8_CHAN_BOARD", 54),
    ("EXPLORE_PLUS_32_CHAN_BOARD", 55),
    ("PIEEG_BOARD", 56),
    ("NEUROPAWN_KNIGHT_BOARD", 57),
    ("SYNCHRONI_TRIO_3_CHANNELS_BOARD", 58),
    ("SYNCHRONI_OCTO_8_CHANNELS_BOARD", 59),
    ("OB5000_8_CHANNELS_BOARD", 60),
    ("SYNCHRONI_PENTO_8_CHANNELS_BOARD", 61),
    ("SYNCHRONI_UNO_1_CHANNELS_BOARD", 62),
    ("OB3000_24_CHANNELS_BOARD", 63),
    ("BIOLISTENER_BOARD", 64),
    ("IRONBCI_32_BOARD", 65),
    ("NEUROPAWN_KNIGHT_BOARD_IMU", 66),
    ("MUSE_S_ATHENA_BOARD", 67),
    ("SHIMMER3_BOARD", 68),
];

/// The board id for a name: BrainFlow's enum name, case-insensitive, `_BOARD` optional,
/// `-` for `_` (`synthetic`, `cyton-daisy`, `CYTON_DAISY_BOARD`), or the number itself.
pub fn board_id(name: &str) -> Result<i32> {
    if let Ok(n) = name.parse::<i32>()
        && BOARDS.iter().any(|&(_, id)| id == n)
    {
        return Ok(n);
    }
    let norm = name.trim().to_ascii_uppercase().replace('-', "_");
    for &(n, id) in BOARDS {
        if n == norm || n.strip_suffix("_BOARD") == Some(norm.as_str()) {
            return Ok(id);
        }
    }
    let names: Vec<String> = BOARDS
        .iter()
        .map(|(n, _)| n.trim_end_matches("_BOARD").to_ascii_lowercase())
        .collect();
    Err(Error::invalid(
        "BrainFlow board",
        name,
        format!("known boards: {}", names.join(", ")),
    ))
}

/// BrainFlow's input parameters; every key is always sent (the JSON quirk).
#[derive(Debug, Clone)]
pub struct BrainFlowParams {
    pub serial_port: String,
    pub mac_address: String,
    pub ip_address: String,
    pub ip_address_aux: String,
    pub ip_address_anc: String,
    pub ip_port: i64,
    pub ip_port_aux: i64,
    pub ip_port_anc: i64,
    pub ip_protocol: i64,
    pub other_info: String,
    pub timeout: i64,
    pub serial_number: String,
    pub file: String,
    pub file_aux: String,
    pub file_anc: String,
    pub master_board: i64,
}

impl Default for BrainFlowParams {
    fn default() -> Self {
        BrainFlowParams {
            serial_port: String::new(),
            mac_address: String::new(),
            ip_address: String::new(),
            ip_address_aux: String::new(),
            ip_address_anc: String::new(),
            ip_port: 0,
            ip_port_aux: 0,
            ip_port_anc: 0,
            ip_protocol: 0,
            other_info: String::new(),
            timeout: 0,
            serial_number: String::new(),
            file: String::new(),
            file_aux: String::new(),
            file_anc: String::new(),
            master_board: -100,
        }
    }
}

impl BrainFlowParams {
    /// Set a key from a `?key=value` query; unknown keys and bad numbers are errors.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let num = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| Error::invalid(key, v, "must be an integer"))
        };
        match key {
            "serial_port" => self.serial_port = value.into(),
            "mac_address" => self.mac_address = value.into(),
            "ip_address" => self.ip_address = value.into(),
            "ip_address_aux" => self.ip_address_aux = value.into(),
            "ip_address_anc" => self.ip_address_anc = value.into(),
            "ip_port" => self.ip_port = num(value)?,
            "ip_port_aux" => self.ip_port_aux = num(value)?,
            "ip_port_anc" => self.ip_port_anc = num(value)?,
            "ip_protocol" => self.ip_protocol = num(value)?,
            "other_info" => self.other_info = value.into(),
            "timeout" => self.timeout = num(value)?,
            "serial_number" => self.serial_number = value.into(),
            "file" => self.file = value.into(),
            "file_aux" => self.file_aux = value.into(),
            "file_anc" => self.file_anc = value.into(),
            "master_board" => self.master_board = num(value)?,
            _ => {
                return Err(Error::invalid(
                    "BrainFlow parameter",
                    key,
                    "known: serial_port, mac_address, ip_address, ip_address_aux, ip_address_anc, \
                     ip_port, ip_port_aux, ip_port_anc, ip_protocol, other_info, timeout, \
                     serial_number, file, file_aux, file_anc, master_board",
                ));
            }
        }
        Ok(())
    }

    /// The JSON with all 16 keys.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "serial_port": self.serial_port, "mac_address": self.mac_address,
            "ip_address": self.ip_address, "ip_address_aux": self.ip_address_aux,
            "ip_address_anc": self.ip_address_anc, "ip_port": self.ip_port,
            "ip_port_aux": self.ip_port_aux, "ip_port_anc": self.ip_port_anc,
            "ip_protocol": self.ip_protocol, "other_info": self.other_info,
            "timeout": self.timeout, "serial_number": self.serial_number, "file": self.file,
            "file_aux": self.file_aux, "file_anc": self.file_anc,
            "master_board": self.master_board,
        })
        .to_string()
    }
}

const INSTALL_HINT: &str = "BrainFlow is not installed: `python3 -m pip install brainflow==5.23.0` \
    (or `.venv/bin/pip install brainflow`), or set BRAINFLOW_LIB_DIR to the folder holding \
    libBoardController.so";

fn python_candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("BCI_PYTHON") {
        v.push(PathBuf::from(p));
    }
    if let Ok(mut dir) = std::env::current_dir() {
        loop {
            let cand = dir.join(".venv/bin/python");
            if cand.exists() {
                v.push(cand);
                break;
            }
            if !dir.pop() {
                break;
            }
        }
    }
    if let Ok(exe) = std::env::current_exe() {
        for anc in exe.ancestors().skip(1) {
            let cand = anc.join(".venv/bin/python");
            if cand.exists() {
                v.push(cand);
                break;
            }
        }
    }
    v.push(PathBuf::from("python3"));
    v
}

/// Where `libBoardController.so` is, or an error telling how to install BrainFlow.
pub fn find_library() -> Result<PathBuf> {
    const LIB: &str = "libBoardController.so";
    if let Some(dir) = std::env::var_os("BRAINFLOW_LIB_DIR") {
        let p = Path::new(&dir).join(LIB);
        if p.exists() {
            return Ok(p);
        }
        return Err(Error::Device(format!(
            "BRAINFLOW_LIB_DIR={} has no {LIB}; {INSTALL_HINT}",
            Path::new(&dir).display()
        )));
    }
    for py in python_candidates() {
        let out = std::process::Command::new(&py)
            .args([
                "-c",
                "import brainflow,os;print(os.path.dirname(brainflow.__file__))",
            ])
            .stderr(std::process::Stdio::null())
            .output();
        if let Ok(out) = out
            && out.status.success()
        {
            let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let p = Path::new(&dir).join("lib").join(LIB);
            if p.exists() {
                return Ok(p);
            }
        }
    }
    Err(Error::Device(INSTALL_HINT.into()))
}

type FnPrepare = unsafe extern "C" fn(c_int, *const c_char) -> c_int;
type FnStart = unsafe extern "C" fn(c_int, *const c_char, c_int, *const c_char) -> c_int;
type FnSession = unsafe extern "C" fn(c_int, *const c_char) -> c_int;
type FnCount = unsafe extern "C" fn(c_int, *mut c_int, c_int, *const c_char) -> c_int;
type FnData = unsafe extern "C" fn(c_int, c_int, *mut f64, c_int, *const c_char) -> c_int;
type FnIntOut = unsafe extern "C" fn(c_int, c_int, *mut c_int) -> c_int;
type FnChannels = unsafe extern "C" fn(c_int, c_int, *mut c_int, *mut c_int) -> c_int;
type FnNames = unsafe extern "C" fn(c_int, c_int, *mut u8, *mut c_int, c_int) -> c_int;
type FnLogLevel = unsafe extern "C" fn(c_int) -> c_int;

/// The loaded library.
struct Lib {
    _lib: libloading::Library,
    prepare_session: FnPrepare,
    start_stream: FnStart,
    stop_stream: FnSession,
    release_session: FnSession,
    get_board_data_count: FnCount,
    get_board_data: FnData,
    get_sampling_rate: FnIntOut,
    get_num_rows: FnIntOut,
    get_eeg_channels: FnChannels,
    get_eeg_names: FnNames,
}

fn bf_err(what: &str, code: c_int) -> Error {
    let name = match code {
        1 => "PORT_ALREADY_OPEN",
        2 => "UNABLE_TO_OPEN_PORT",
        3 => "SET_PORT_ERROR",
        4 => "BOARD_WRITE_ERROR",
        5 => "INCOMMING_MSG_ERROR",
        6 => "INITIAL_MSG_ERROR",
        7 => "BOARD_NOT_READY",
        8 => "STREAM_ALREADY_RUN",
        9 => "INVALID_BUFFER_SIZE",
        10 => "STREAM_THREAD_ERROR",
        11 => "STREAM_THREAD_IS_NOT_RUNNING",
        12 => "EMPTY_BUFFER",
        13 => "INVALID_ARGUMENTS",
        14 => "UNSUPPORTED_BOARD",
        15 => "BOARD_NOT_CREATED",
        16 => "ANOTHER_BOARD_IS_CREATED",
        17 => "GENERAL_ERROR",
        18 => "SYNC_TIMEOUT",
        _ => "error",
    };
    Error::Device(format!("BrainFlow {what} failed: {name} ({code})"))
}

impl Lib {
    fn load(path: &Path) -> Result<Lib> {
        // SAFETY: loading BrainFlow's library runs its static initialisers, which only set up
        // logging; the symbols are looked up with the signatures of the 5.x wheel.
        unsafe {
            let lib = libloading::Library::new(path).map_err(|e| {
                Error::Device(format!(
                    "cannot load {}: {e}; {INSTALL_HINT}",
                    path.display()
                ))
            })?;
            macro_rules! sym {
                ($name:literal, $t:ty) => {
                    *lib.get::<$t>($name).map_err(|e| {
                        Error::Device(format!(
                            "{} lacks {}: {e} (BrainFlow 5.x is needed)",
                            path.display(),
                            String::from_utf8_lossy(&$name[..$name.len() - 1])
                        ))
                    })?
                };
            }
            let set_log: FnLogLevel = sym!(b"set_log_level_board_controller\0", FnLogLevel);
            // Warnings and errors only: BrainFlow echoes its JSON at info level.
            set_log(4);
            Ok(Lib {
                prepare_session: sym!(b"prepare_session\0", FnPrepare),
                start_stream: sym!(b"start_stream\0", FnStart),
                stop_stream: sym!(b"stop_stream\0", FnSession),
                release_session: sym!(b"release_session\0", FnSession),
                get_board_data_count: sym!(b"get_board_data_count\0", FnCount),
                get_board_data: sym!(b"get_board_data\0", FnData),
                get_sampling_rate: sym!(b"get_sampling_rate\0", FnIntOut),
                get_num_rows: sym!(b"get_num_rows\0", FnIntOut),
                get_eeg_channels: sym!(b"get_eeg_channels\0", FnChannels),
                get_eeg_names: sym!(b"get_eeg_names\0", FnNames),
                _lib: lib,
            })
        }
    }
}

/// A BrainFlow board as a [`Source`]: EEG rows in µV, at the board's default preset.
pub struct BrainFlowSource {
    lib: Lib,
    board_id: i32,
    board_name: String,
    json: CString,
    rate: f64,
    n_rows: usize,
    eeg_rows: Vec<usize>,
    names: Vec<String>,
    prepared: bool,
    streaming: bool,
    next_sample: u64,
    started_ns: u64,
    buf: Vec<f64>,
}

// SAFETY: BrainFlow's board functions are thread-safe (guarded by its own mutex); the struct
// only holds function pointers into the library it owns.
unsafe impl Send for BrainFlowSource {}

impl BrainFlowSource {
    /// Load BrainFlow, describe `board` and prepare the session (BrainFlow opens the device).
    pub fn open(board: &str, params: &BrainFlowParams) -> Result<Self> {
        let board_id = board_id(board)?;
        let lib = Lib::load(&find_library()?)?;
        let json = CString::new(params.to_json())
            .map_err(|_| Error::invalid("BrainFlow parameters", board, "contain a NUL byte"))?;
        let mut rate: c_int = 0;
        let mut rows: c_int = 0;
        let mut eeg = vec![0 as c_int; 512];
        let mut n_eeg: c_int = 0;
        let mut names = vec![0u8; 8192];
        let mut names_len: c_int = 0;
        // SAFETY: out-pointers to live buffers of the sizes BrainFlow expects (its python
        // wrapper passes 512 ints for channel lists and an explicit capacity for names).
        unsafe {
            let r = (lib.get_sampling_rate)(board_id, 0, &mut rate);
            if r != 0 {
                return Err(bf_err("get_sampling_rate", r));
            }
            let r = (lib.get_num_rows)(board_id, 0, &mut rows);
            if r != 0 {
                return Err(bf_err("get_num_rows", r));
            }
            let r = (lib.get_eeg_channels)(board_id, 0, eeg.as_mut_ptr(), &mut n_eeg);
            if r != 0 {
                return Err(bf_err(&format!("get_eeg_channels for {board}"), r));
            }
            if (lib.get_eeg_names)(
                board_id,
                0,
                names.as_mut_ptr(),
                &mut names_len,
                names.len() as c_int,
            ) != 0
            {
                names_len = 0;
            }
        }
        let n_rows = usize::try_from(rows).unwrap_or(0);
        let eeg_rows: Vec<usize> = eeg
            .iter()
            .take(usize::try_from(n_eeg).unwrap_or(0).min(eeg.len()))
            .filter_map(|&r| usize::try_from(r).ok())
            .filter(|&r| r < n_rows)
            .collect();
        let names_str = String::from_utf8_lossy(
            &names[..usize::try_from(names_len).unwrap_or(0).min(names.len())],
        )
        .into_owned();
        let mut names: Vec<String> = names_str
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if names.len() != eeg_rows.len() {
            names = (1..=eeg_rows.len()).map(|i| format!("EEG {i}")).collect();
        }
        let mut src = BrainFlowSource {
            lib,
            board_id,
            board_name: board.to_string(),
            json,
            rate: f64::from(rate),
            n_rows,
            eeg_rows,
            names,
            prepared: false,
            streaming: false,
            next_sample: 0,
            started_ns: 0,
            buf: Vec::new(),
        };
        // SAFETY: valid NUL-terminated JSON string.
        let r = unsafe { (src.lib.prepare_session)(board_id, src.json.as_ptr()) };
        if r != 0 {
            return Err(bf_err(
                &format!("prepare_session for {board} (params {})", params.to_json()),
                r,
            ));
        }
        src.prepared = true;
        Ok(src)
    }
}

impl Source for BrainFlowSource {
    fn info(&self) -> StreamInfo {
        StreamInfo {
            name: format!("BrainFlow {} (id {})", self.board_name, self.board_id),
            channels: self
                .names
                .iter()
                .map(|n| Channel::eeg(n.clone(), -187_500.0, 187_500.0))
                .collect(),
            sample_rate: self.rate,
        }
    }

    fn start(&mut self) -> Result<()> {
        if self.streaming {
            return Ok(());
        }
        let empty = CString::default();
        // SAFETY: prepared session; valid strings.
        let r = unsafe {
            (self.lib.start_stream)(450_000, empty.as_ptr(), self.board_id, self.json.as_ptr())
        };
        if r != 0 {
            return Err(bf_err("start_stream", r));
        }
        self.streaming = true;
        self.started_ns = monotonic_ns();
        Ok(())
    }

    fn next_chunk(&mut self, timeout: Duration) -> Result<Option<Chunk>> {
        if !self.streaming {
            return Ok(None);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let mut count: c_int = 0;
            // SAFETY: out-pointer to a local.
            let r = unsafe {
                (self.lib.get_board_data_count)(0, &mut count, self.board_id, self.json.as_ptr())
            };
            if r != 0 {
                return Err(bf_err("get_board_data_count", r));
            }
            let n = usize::try_from(count).unwrap_or(0);
            if n > 0 {
                self.buf.resize(n * self.n_rows, 0.0);
                // SAFETY: buf holds n_rows × n doubles, the row-major layout BrainFlow fills.
                let r = unsafe {
                    (self.lib.get_board_data)(
                        count,
                        0,
                        self.buf.as_mut_ptr(),
                        self.board_id,
                        self.json.as_ptr(),
                    )
                };
                if r != 0 {
                    return Err(bf_err("get_board_data", r));
                }
                let n_ch = self.eeg_rows.len();
                let mut data = Vec::with_capacity(n * n_ch);
                for s in 0..n {
                    for &row in &self.eeg_rows {
                        data.push(self.buf.get(row * n + s).copied().unwrap_or(0.0));
                    }
                }
                let chunk = Chunk {
                    first_sample: self.next_sample,
                    n_channels: n_ch,
                    data,
                    host_time_ns: monotonic_ns(),
                    events: Vec::new(),
                };
                self.next_sample += n as u64;
                return Ok(Some(chunk));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(2)));
        }
    }

    fn stop(&mut self) -> Result<()> {
        // SAFETY: plain calls on the prepared session.
        unsafe {
            if self.streaming {
                (self.lib.stop_stream)(self.board_id, self.json.as_ptr());
                self.streaming = false;
            }
            if self.prepared {
                (self.lib.release_session)(self.board_id, self.json.as_ptr());
                self.prepared = false;
            }
        }
        Ok(())
    }

    fn stats(&self) -> SourceStats {
        let elapsed = monotonic_ns().saturating_sub(self.started_ns) as f64 * 1e-9;
        SourceStats {
            samples: self.next_sample,
            measured_rate: (elapsed > 0.5).then(|| self.next_sample as f64 / elapsed),
            ..SourceStats::default()
        }
    }
}

impl Drop for BrainFlowSource {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
