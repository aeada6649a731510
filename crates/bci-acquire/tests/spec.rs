//! `--source` strings.

use bci_acquire::BoardKind;
use bci_acquire::spec::SourceSpec;

#[test]
fn parses_every_form() {
    match SourceSpec::parse("cyton:/dev/ttyUSB0").unwrap() {
        SourceSpec::Cyton { kind, path, speed } => {
            assert_eq!(
                (kind, path.to_str().unwrap(), speed),
                (BoardKind::Cyton, "/dev/ttyUSB0", 1.0)
            )
        }
        other => panic!("{other:?}"),
    }
    match SourceSpec::parse("cyton-daisy:/tmp/x?speed=20").unwrap() {
        SourceSpec::Cyton { kind, speed, .. } => {
            assert_eq!((kind, speed), (BoardKind::CytonDaisy, 20.0))
        }
        other => panic!("{other:?}"),
    }
    match SourceSpec::parse("brainflow:cyton_daisy?serial_port=/dev/ttyUSB1&timeout=5").unwrap() {
        SourceSpec::BrainFlow { board, params } => {
            assert_eq!(board, "cyton_daisy");
            assert_eq!(params.serial_port, "/dev/ttyUSB1");
            let json: serde_json::Value = serde_json::from_str(&params.to_json()).unwrap();
            assert_eq!(json.as_object().unwrap().len(), 16);
            assert_eq!(json["timeout"], 5);
        }
        other => panic!("{other:?}"),
    }
    match SourceSpec::parse("file:rec.edf?speed=fast").unwrap() {
        SourceSpec::File { speed, .. } => assert_eq!(speed, None),
        other => panic!("{other:?}"),
    }
    match SourceSpec::parse("synthetic?channels=4&rate=500").unwrap() {
        SourceSpec::Synthetic {
            channels,
            rate,
            speed,
        } => assert_eq!((channels, rate, speed), (4, 500.0, Some(1.0))),
        other => panic!("{other:?}"),
    }
    match SourceSpec::parse("synthetic?channels=1024&rate=30000&speed=max").unwrap() {
        SourceSpec::Synthetic {
            channels,
            rate,
            speed,
        } => assert_eq!((channels, rate, speed), (1024, 30000.0, None)),
        other => panic!("{other:?}"),
    }
    match SourceSpec::parse("synthetic?speed=2.5").unwrap() {
        SourceSpec::Synthetic { speed, .. } => assert_eq!(speed, Some(2.5)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        SourceSpec::parse("synthetic").unwrap(),
        SourceSpec::Synthetic { channels: 8, .. }
    ));
    assert_eq!(
        bci_acquire::brainflow::board_id("SYNTHETIC_BOARD").unwrap(),
        -1
    );
    assert_eq!(bci_acquire::brainflow::board_id("cyton-daisy").unwrap(), 2);
    assert_eq!(bci_acquire::brainflow::board_id("22").unwrap(), 22);
}

#[test]
fn rejects_with_a_reason() {
    for (bad, needle) in [
        ("cyton:", "path is missing"),
        ("cyton:/dev/x?speed=-1", "positive"),
        ("cyton:/dev/x?baud=9600", "not known"),
        ("brainflow:nope", "known boards"),
        ("brainflow:synthetic?colour=red", "known: serial_port"),
        ("ganglion:/dev/x", "expected cyton:PATH"),
        ("file:", "file path is missing"),
        ("synthetic?channels=x", "integer"),
        ("synthetic?speed=0", "positive"),
    ] {
        let e = SourceSpec::parse(bad).unwrap_err().to_string();
        assert!(e.contains(needle), "{bad}: {e}");
    }
}
