//! bci-datasets (being written).
