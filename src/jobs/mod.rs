//! Background jobs. Each is a loop that calls a service on a timer; the
//! work itself lives in `services`, where tests call it directly.

pub mod attachment_sweep;
pub mod calendar_watch;
pub mod daily_reminders;
pub mod delivery;
pub mod digest;
pub mod metric_folder;
pub mod sla_scanner;
pub mod thumbnails;
