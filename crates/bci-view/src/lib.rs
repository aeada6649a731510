//! The live view in the terminal (work in progress).
