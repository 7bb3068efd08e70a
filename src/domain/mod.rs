//! The pure domain core: rules and values with no I/O.

pub mod access;
pub mod attachments;
pub mod calendar;
pub mod catalogue;
pub mod channels;
pub mod credit_code;
pub mod delivery;
pub mod email;
pub mod enterprise;
pub mod industry;
pub mod metrics;
pub mod monitoring;
pub mod notify;
pub mod password;
pub mod region;
pub mod role;
pub mod routing;
pub mod sla;
pub mod throttle;
pub mod ticket;
pub mod words;

#[cfg(test)]
mod fixtures;
