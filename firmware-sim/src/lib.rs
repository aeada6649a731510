//! An OpenBCI Cyton / Cyton+Daisy (firmware v3.1) and its USB dongle, emulated on a
//! pseudo-terminal, so our driver and third-party clients (BrainFlow, the OpenBCI GUI) open it
//! as they would `/dev/ttyUSB0`.
//!
//! - [`board`]: the firmware's command set and packet format as a state machine.
//! - [`signal`]: synthetic EEG scenes or a replayed recording.
//! - [`sim`]: the real-time loop: pacing (`--speed`), fault injection, the fault log.
//! - [`pty`]: the pseudo-terminal and the `--link` symlink.

pub mod board;
pub mod pty;
pub mod rng;
pub mod signal;
pub mod sim;
