//! The pure domain core: rules and values with no I/O.

pub mod region;
