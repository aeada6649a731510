//! firmware-sim (being written).
