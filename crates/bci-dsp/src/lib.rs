//! bci-dsp (being written).
