//! Filing, acting on and reading tickets. Every state change is one write
//! transaction: the ticket (checked against the version it was read at),
//! its departments and its event. One file per use case: `filing`, `act`,
//! `read` (a ticket and its timeline), `queue` (lists).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::access::{may_read_ticket, Caller, DepartmentRef, TicketFacts};
use crate::domain::catalogue::choosable_category;
use crate::domain::enterprise::{issue, issue_with, FieldIssue};
use crate::domain::metrics::history::History;
use crate::domain::region::{RegionCode, RegionLevel};
use crate::domain::role::Role;
use crate::domain::routing::{
    self, ListedMatch, Reach, RoutingInput, RoutingRule, TargetLevel, Urgency,
};
use crate::domain::sla::Clocks;
use crate::domain::ticket::{
    decide, wants_officer, Action, Cohandler, Involvement, PlanInput, Refusal, Status, TicketState,
};
use crate::services::attachments::{self, ClaimRefusal, StepFiles};
use crate::services::filing_limits::FilingLimits;
use crate::services::notify;
use crate::services::sla::{self, Sla};
use crate::storage::catalogue::{self, List};
use crate::storage::departments::Department;
use crate::storage::enterprises::{self, Enterprise};
use crate::storage::metrics::{self, MetricsRow};
use crate::storage::names::Directory;
use crate::storage::ratings::TicketRating;
use crate::storage::regions::Region;
use crate::storage::schema::{departments, ticket_departments, tickets, whitelist_entries};
use crate::storage::sign_windows;
use crate::storage::sla::{naive, ClockRow, SlaEvent};
use crate::storage::tickets::{
    self as store, NewTicket, NewTicketEvent, Ticket, TicketChange, TicketDepartment, TicketEvent,
    TicketFilter,
};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

mod act;
mod filing;
mod queue;
mod read;

pub use act::{act, act_with_files};
pub use filing::{file, file_and_read, file_with_files, Detail, Filing};
pub use queue::{directory, queue, queue_count, queue_count_up_to, queue_page};
pub use read::{filer, get, load, Filer, Loaded};

use filing::joined_before;
use queue::directory_for;
use read::{assemble, read_detail};

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("invalid fields")]
    Invalid(Vec<FieldIssue>),
    /// Not there, or not the caller's to see.
    #[error("not found")]
    NotFound,
    #[error("refused")]
    Refused(Refusal),
    /// Someone changed the ticket first; here is how it stands now.
    #[error("conflict")]
    Conflict(Box<Ticket>),
    /// The version the caller read (`If-Match`) is no longer the ticket's.
    #[error("stale version")]
    Stale(Box<Ticket>),
    /// Filing too fast: seconds to wait.
    #[error("too many filings")]
    Throttled(u64),
    /// An idempotency key sent again with a different request.
    #[error("idempotency key reused")]
    KeyReused,
    /// The files the step named cannot go on it.
    #[error("files refused")]
    Files(ClaimRefusal),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for TicketError {
    fn from(e: diesel::result::Error) -> Self {
        TicketError::Storage(e.into())
    }
}
