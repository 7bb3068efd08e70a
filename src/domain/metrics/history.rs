//! The part of a ticket's metric record that only its history knows (the
//! first sign-for, the first resolution and the deadline it was held to,
//! routings and returns, ...), kept up to date one step at a time in the
//! transaction of each step. The rest of a [`TicketRecord`] is read from the
//! ticket as it stands.

use chrono::{DateTime, Utc};

use super::{GivenRating, Satisfaction, TicketRecord};
use crate::domain::ticket::Status;

#[derive(Clone, Debug, PartialEq)]
pub struct History {
    pub first_sign_due: Option<DateTime<Utc>>,
    pub first_signed_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub sign_minutes: Option<i64>,
    pub first_resolve_due: Option<DateTime<Utc>>,
    pub first_resolved_at: Option<DateTime<Utc>>,
    pub resolve_minutes: Option<i64>,
    pub rated_at: Option<DateTime<Utc>>,
    pub routings: u32,
    pub returns: u32,
    pub repeat: bool,
    /// The latest instant any metric attributes to the ticket, so that a
    /// period's query can skip tickets with nothing in it.
    pub last_at: DateTime<Utc>,
}

/// One step of a ticket, as the metrics see it.
#[derive(Clone, Debug)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub from: Status,
    pub to: Status,
    /// The handling department changed (transfer, escalate, return, take-over).
    pub moved: bool,
    pub returned: bool,
    pub rated: bool,
    /// The resolve deadline before the step: what a resolution is held to.
    pub resolve_due_before: Option<DateTime<Utc>>,
    /// The resolve deadline after the step.
    pub resolve_due_after: Option<DateTime<Utc>>,
}

impl Step {
    /// Whether the step answers the sign-for window the ticket was in: any
    /// decision on it (signing for, sending it on, rejecting), not the
    /// enterprise withdrawing it.
    pub fn answers_sign_window(&self) -> bool {
        self.from == Status::PendingSign
            && self.to != Status::Withdrawn
            && (self.to != Status::PendingSign || self.moved)
    }

    /// Whether the step opens a sign-for window: the ticket comes to a
    /// department (another one, or back to pending) to be signed for.
    pub fn opens_sign_window(&self) -> bool {
        self.to == Status::PendingSign && (self.moved || self.from != Status::PendingSign)
    }
}

impl History {
    /// A ticket just filed. `repeat`: its enterprise filed one of the same
    /// category in the 30 days before.
    pub fn filed(
        at: DateTime<Utc>,
        sign_due: DateTime<Utc>,
        resolve_due: DateTime<Utc>,
        repeat: bool,
    ) -> History {
        History {
            first_sign_due: Some(sign_due),
            first_signed_at: None,
            responded_at: None,
            ended_at: None,
            sign_minutes: None,
            first_resolve_due: None,
            first_resolved_at: None,
            resolve_minutes: None,
            rated_at: None,
            routings: 1,
            returns: 0,
            repeat,
            last_at: at.max(sign_due).max(resolve_due),
        }
    }

    /// The history after `step`; `working_minutes_since_filing` measures
    /// the working time from filing to an instant.
    pub fn after(
        &self,
        step: &Step,
        working_minutes_since_filing: impl Fn(DateTime<Utc>) -> i64,
    ) -> History {
        let mut h = self.clone();
        // Signed for: the first time the ticket leaves pending_sign for
        // handling (sign_for, or a lead taking it over).
        if h.first_signed_at.is_none()
            && step.from == Status::PendingSign
            && step.to == Status::Handling
        {
            h.first_signed_at = Some(step.at);
            h.sign_minutes = Some(working_minutes_since_filing(step.at));
        }
        // The first window is answered by any decision on it.
        if h.responded_at.is_none() && step.answers_sign_window() {
            h.responded_at = Some(step.at);
        }
        if h.ended_at.is_none() && matches!(step.to, Status::Withdrawn | Status::Rejected) {
            h.ended_at = Some(step.at);
        }
        if h.first_resolved_at.is_none()
            && step.to == Status::Resolved
            && step.from != Status::Resolved
        {
            h.first_resolved_at = Some(step.at);
            h.resolve_minutes = Some(working_minutes_since_filing(step.at));
            h.first_resolve_due = step.resolve_due_before;
        }
        if step.moved {
            h.routings += 1;
        }
        if step.returned {
            h.returns += 1;
        }
        if step.rated {
            h.rated_at = Some(step.at);
        }
        h.last_at = [Some(h.last_at), Some(step.at), step.resolve_due_after]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(h.last_at);
        h
    }

    /// The whole record, given what the ticket says now.
    pub fn record(&self, now: &TicketNow) -> TicketRecord {
        let rated_at = self.rated_at.filter(|_| now.satisfaction.is_some());
        let mut ratings = now.ratings.clone();
        // A rating given before every rating was kept (migration 19) is
        // known only as the one standing.
        if ratings.is_empty() {
            if let (Some(at), Some(satisfaction)) = (rated_at, now.satisfaction) {
                ratings.push(GivenRating {
                    at,
                    satisfaction,
                    solved: now.solved == Some(true),
                });
            }
        }
        TicketRecord {
            filed_at: now.filed_at,
            first_sign_due: self.first_sign_due,
            first_signed_at: self.first_signed_at,
            responded_at: self.responded_at,
            ended_at: self.ended_at,
            // Until its first resolution a ticket is held to its current deadline.
            resolve_due: if self.first_resolved_at.is_some() {
                self.first_resolve_due
            } else {
                now.resolve_due
            },
            first_resolved_at: self.first_resolved_at,
            rated_at,
            satisfaction: now.satisfaction,
            solved: now.solved,
            ratings,
            routings: self.routings,
            returns: self.returns,
            reopened: now.reopened,
            repeat: self.repeat,
            open: now.status.is_open(),
            overdue: now.overdue,
            sign_minutes: self.sign_minutes,
            resolve_minutes: self.resolve_minutes,
        }
    }
}

/// What the ticket itself says now.
#[derive(Clone, Debug)]
pub struct TicketNow {
    pub filed_at: DateTime<Utc>,
    pub status: Status,
    pub resolve_due: Option<DateTime<Utc>>,
    pub satisfaction: Option<Satisfaction>,
    pub solved: Option<bool>,
    /// Every rating given, oldest first.
    pub ratings: Vec<GivenRating>,
    pub reopened: bool,
    pub overdue: bool,
}
