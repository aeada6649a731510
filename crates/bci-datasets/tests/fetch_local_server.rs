//! `fetch` against a real HTTP server on 127.0.0.1 that serves ../shared/datasets, with faults
//! the server injects on request: a connection cut mid-file, a server error, corrupted bytes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

use bci_datasets::{
    DatasetError, FetchOptions, Registry, Selection, VerifyStatus, dataset_dir, fetch, verify,
};

fn shared_datasets() -> PathBuf {
    let dir = std::env::var_os("BCI_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "real datasets not found at {} (set BCI_SHARED_DATASETS)",
        dir.display()
    );
    dir
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// Send the headers of the whole file, then close after this many body bytes (once).
    CutOnceAfter(u64),
    Status500,
    /// Flip one byte in the middle of the body.
    Corrupt,
}

/// Requests seen by the server: (path, Range header).
type RequestLog = Arc<Mutex<Vec<(String, Option<String>)>>>;

struct Server {
    base: String,
    log: RequestLog,
}

/// Serves `root` on 127.0.0.1 with HTTP/1.1, honouring `Range: bytes=N-`.
fn serve(root: PathBuf, faults: HashMap<String, Fault>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log: RequestLog = Arc::new(Mutex::new(Vec::new()));
    let log2 = Arc::clone(&log);
    let faults = Arc::new(Mutex::new(faults));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            let log = Arc::clone(&log2);
            let faults = Arc::clone(&faults);
            thread::spawn(move || handle(stream, &root, &log, &faults));
        }
    });
    Server { base, log }
}

fn handle(
    mut stream: TcpStream,
    root: &Path,
    log: &RequestLog,
    faults: &Mutex<HashMap<String, Fault>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        let mut range = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("range")
            {
                range = Some(v.trim().to_string());
            }
        }
        log.lock().unwrap().push((path.clone(), range.clone()));
        let rel = path.trim_start_matches('/');
        let fault = faults.lock().unwrap().get(rel).copied();
        let Ok(mut body) = std::fs::read(root.join(rel)) else {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
            continue;
        };
        if fault == Some(Fault::Status500) {
            let _ = stream
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
            continue;
        }
        if fault == Some(Fault::Corrupt) {
            let mid = body.len() / 2;
            body[mid] ^= 0xFF;
        }
        let total = body.len() as u64;
        let start: u64 = range
            .as_deref()
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let head = if range.is_some() {
            format!(
                "HTTP/1.1 206 Partial Content\r\ncontent-length: {}\r\ncontent-range: bytes {start}-{}/{total}\r\n\r\n",
                total - start,
                total - 1
            )
        } else {
            format!("HTTP/1.1 200 OK\r\ncontent-length: {total}\r\n\r\n")
        };
        let _ = stream.write_all(head.as_bytes());
        let rest = &body[start as usize..];
        if let Some(Fault::CutOnceAfter(n)) = fault {
            faults.lock().unwrap().remove(rel);
            let _ = stream.write_all(&rest[..n as usize]);
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        let _ = stream.write_all(rest);
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bci-datasets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn opts(server: &Server) -> FetchOptions {
    FetchOptions {
        mirror: Some(server.base.clone()),
        progress: false,
    }
}

#[test]
fn fetches_verifies_and_skips_what_is_present() {
    let shared = shared_datasets();
    let server = serve(shared.clone(), HashMap::new());
    let root = tempdir("plain");
    let reg = Registry::bundled().unwrap();
    let mi = reg.get("eegmmidb").unwrap();
    let sel = Selection::parse(Some("1-2"), Some("4,8,12")).unwrap();

    let report = fetch(&root, mi, &sel, &opts(&server)).unwrap();
    assert_eq!(report.downloaded, 6);
    assert_eq!(report.present, 0);
    for f in mi.select(&sel).unwrap() {
        let got = std::fs::read(dataset_dir(&root, mi).join(&f.path)).unwrap();
        let want = std::fs::read(shared.join("eegmmidb").join(&f.path)).unwrap();
        assert!(got == want, "{} differs from the served file", f.path);
    }
    assert!(
        verify(&root, mi, &sel)
            .unwrap()
            .iter()
            .all(|(_, s)| *s == VerifyStatus::Ok)
    );

    // A second run transfers nothing.
    let again = fetch(&root, mi, &sel, &opts(&server)).unwrap();
    assert_eq!((again.present, again.downloaded), (6, 0));
    assert_eq!(server.log.lock().unwrap().len(), 6);

    // A file changed on disk is reported by verify.
    let first = dataset_dir(&root, mi).join("S001/S001R04.edf");
    std::fs::write(&first, b"not an edf").unwrap();
    let states = verify(&root, mi, &sel).unwrap();
    assert!(
        matches!(states[0].1, VerifyStatus::Mismatch(_)),
        "{states:?}"
    );
}

#[test]
fn a_cut_download_resumes_from_the_partial_file() {
    let shared = shared_datasets();
    let rel = "ssvep_exoskeleton/subject01_2012-07-06-19-02-16.gdf";
    let server = serve(
        shared.clone(),
        HashMap::from([(rel.to_string(), Fault::CutOnceAfter(1_000_000))]),
    );
    let root = tempdir("resume");
    let reg = Registry::bundled().unwrap();
    let exo = reg.get("ssvep-exo").unwrap();
    let sel = Selection::parse(Some("1"), None).unwrap();
    let dest = dataset_dir(&root, exo).join("subject01_2012-07-06-19-02-16.gdf");

    let err = fetch(&root, exo, &sel, &opts(&server)).unwrap_err();
    assert!(matches!(err, DatasetError::Network { .. }), "{err}");
    assert!(err.to_string().contains(rel), "{err}");
    assert!(
        !dest.exists(),
        "a partial file must never carry the final name"
    );
    let part = dest.with_file_name("subject01_2012-07-06-19-02-16.gdf.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 1_000_000);

    let report = fetch(&root, exo, &sel, &opts(&server)).unwrap();
    assert_eq!((report.downloaded, report.resumed), (1, 1));
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        std::fs::read(shared.join(rel)).unwrap()
    );
    assert!(!part.exists());
    let log = server.log.lock().unwrap();
    assert_eq!(log.last().unwrap().1.as_deref(), Some("bytes=1000000-"));
}

#[test]
fn server_errors_and_checksum_mismatches_leave_no_file_under_its_final_name() {
    let shared = shared_datasets();
    let server = serve(
        shared,
        HashMap::from([
            ("eegmmidb/S001/S001R04.edf".to_string(), Fault::Status500),
            ("eegmmidb/S001/S001R08.edf".to_string(), Fault::Corrupt),
        ]),
    );
    let root = tempdir("faults");
    let reg = Registry::bundled().unwrap();
    let mi = reg.get("eegmmidb").unwrap();

    let err = fetch(
        &root,
        mi,
        &Selection::parse(Some("1"), Some("4")).unwrap(),
        &opts(&server),
    )
    .unwrap_err();
    assert!(
        matches!(err, DatasetError::Http { status: 500, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("S001R04.edf"), "{err}");
    assert!(!dataset_dir(&root, mi).join("S001/S001R04.edf").exists());

    let err = fetch(
        &root,
        mi,
        &Selection::parse(Some("1"), Some("8")).unwrap(),
        &opts(&server),
    )
    .unwrap_err();
    assert!(matches!(err, DatasetError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    let dir = dataset_dir(&root, mi).join("S001");
    assert!(!dir.join("S001R08.edf").exists());
    assert!(!dir.join("S001R08.edf.part").exists());
}
