//! bci-decode (being written).
