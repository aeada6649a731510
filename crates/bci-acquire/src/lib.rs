//! bci-acquire (being written).
