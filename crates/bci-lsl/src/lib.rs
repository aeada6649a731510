//! Lab Streaming Layer through liblsl loaded at run time (work in progress).
