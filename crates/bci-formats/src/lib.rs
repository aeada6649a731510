//! bci-formats (being written).
