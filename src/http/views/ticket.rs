//! What the tickets API answers: a ticket as each reader may see it, its
//! timeline, and the departments involved, named beside their ids.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::access::Caller;
use crate::domain::role::Role;
use crate::services::tickets::Loaded;
use crate::storage::names::Directory;
use crate::storage::tickets::{Ticket, TicketEvent};

/// A ticket as its readers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: i64,
    /// `{county}-{yyyymmdd}-{seq}`.
    pub number: String,
    pub version: i32,
    pub enterprise_id: i64,
    pub category: String,
    /// `normal`, `urgent` or `critical`.
    pub urgency: String,
    pub title: String,
    pub description: String,
    pub place_code: String,
    pub regions_involved: Vec<String>,
    pub whitelisted: bool,
    pub chains: Vec<String>,
    /// `pending_sign`, `handling`, `awaiting_info`, `resolved`, `closed`, `rejected` or `withdrawn`.
    pub status: String,
    pub handling_department_id: i64,
    /// The handling department's name (absent in lists that do not name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling_department_name: Option<String>,
    /// The handling department's desk phone, from its settings, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling_department_phone: Option<String>,
    /// Staff only (absent for the enterprise): the officer assigned, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    /// Staff only: the assigned officer's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_name: Option<String>,
    /// In a queue, when the caller's department co-handles the ticket and
    /// still owes its opinion: the deadline for it (协办时限).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opinion_due_at: Option<chrono::DateTime<chrono::Utc>>,
    pub sign_due_at: Option<chrono::DateTime<chrono::Utc>>,
    pub resolve_due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Staff only: an extension request awaits the lead's decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_pending: Option<bool>,
    pub overdue: bool,
    pub escalation_level: i32,
    /// Staff only: how often supervisors urged the handlers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urged_count: Option<i32>,
    pub reopened_count: i32,
    /// Sent on (transferred, escalated, returned) more than three times.
    pub bounced: bool,
    pub rating: Option<String>,
    pub solved: Option<bool>,
    pub filed_at: chrono::DateTime<chrono::Utc>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&Ticket> for TicketView {
    fn from(t: &Ticket) -> Self {
        TicketView {
            id: t.id,
            number: t.number.clone(),
            version: t.version,
            enterprise_id: t.enterprise_id,
            category: t.category.clone(),
            urgency: t.urgency.as_str().to_string(),
            title: t.title.clone(),
            description: t.description.clone(),
            place_code: t.place_code.clone(),
            regions_involved: t.regions_involved.to_vec(),
            whitelisted: t.whitelisted,
            chains: t.chains.to_vec(),
            status: t.status.as_str().to_string(),
            handling_department_id: t.handling_department_id,
            handling_department_name: None,
            handling_department_phone: None,
            assignee_id: Some(t.assignee_id),
            assignee_name: None,
            opinion_due_at: None,
            sign_due_at: t.sign_due_at.map(|at| at.and_utc()),
            resolve_due_at: t.resolve_due_at.map(|at| at.and_utc()),
            extension_pending: Some(t.extension_pending),
            overdue: t.overdue,
            escalation_level: t.escalation_level,
            urged_count: Some(t.urged_count),
            reopened_count: t.reopened_count,
            bounced: t.sent_on_count > crate::domain::ticket::BOUNCE_THRESHOLD,
            rating: t.rating.map(|r| r.as_str().to_string()),
            solved: t.solved,
            filed_at: t.filed_at.and_utc(),
            resolved_at: t.resolved_at.map(|at| at.and_utc()),
        }
    }
}

impl TicketView {
    /// The ticket as this caller may see it, named from `names`: the
    /// enterprise does not see staff's own business (who is assigned, urging,
    /// extension requests), but does see the handling department and its phone.
    pub fn seen_by(t: &Ticket, caller: &Caller, names: &Directory) -> TicketView {
        let mut v = TicketView::from(t);
        if let Some(d) = names.department(t.handling_department_id) {
            v.handling_department_name = Some(d.name.clone());
            v.handling_department_phone = d.phone.clone();
        }
        v.assignee_name = t.assignee_id.and_then(|id| names.person(id));
        if caller.role == Role::Enterprise {
            v.assignee_id = None;
            v.assignee_name = None;
            v.extension_pending = None;
            v.urged_count = None;
        }
        v
    }
}

/// One entry of a ticket's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// The event's number in the ticket's history; none for SLA entries.
    pub seq: Option<i32>,
    /// `file`, an action's name, `auto_close`, or (staff only) an SLA entry:
    /// `sign_warning`, `sign_overdue`, `resolve_warning`, `resolve_overdue`.
    pub action: String,
    pub actor_id: Option<i64>,
    /// Staff only: the actor's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    pub actor_department_id: Option<i64>,
    pub actor_department_name: Option<String>,
    pub from_status: Option<String>,
    /// None for SLA entries, which do not change the status.
    pub to_status: Option<String>,
    pub note: Option<String>,
    /// Action details (target department, rating, routing rule, ...).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    /// Hidden from the enterprise.
    pub internal: bool,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A department involved besides the handling one.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvolvedDepartment {
    pub department_id: i64,
    pub department_name: Option<String>,
    /// Co-handlers: the deadline for the opinion (half the resolve window
    /// left when the department was asked).
    pub opinion_due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Co-handlers: `running`, `warning`, `overdue`, `answered` or `released`.
    pub opinion_clock: Option<String>,
    /// Co-handlers: whether the opinion came by its deadline (once it came).
    pub opinion_on_time: Option<bool>,
    /// `passed` (handled it before) or `cohandler` (协办).
    pub role: String,
    pub opinion: Option<String>,
    pub opinion_posted: bool,
    pub released: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    /// The sign-for and the resolve clock, with remaining working time.
    pub clocks: Option<crate::http::sla::ClocksView>,
    pub departments: Vec<InvolvedDepartment>,
    pub timeline: Vec<EventView>,
    /// The daily report (日报) whose blocker (堵点) became this ticket.
    pub from_daily_report: Option<ReportOrigin>,
}

/// Where a ticket filed from a daily report came from: the report's
/// Beijing date (`GET /api/v1/daily-reports/{date}` for the enterprise)
/// and the blocker's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOrigin {
    pub date: chrono::NaiveDate,
    pub blocker_id: i64,
}

pub(crate) fn detail(
    caller: &Caller,
    loaded: Loaded,
    events: Vec<TicketEvent>,
    now: chrono::DateTime<chrono::Utc>,
) -> TicketDetail {
    let enterprise = caller.role == Role::Enterprise;
    TicketDetail {
        ticket: TicketView::seen_by(&loaded.ticket, caller, &loaded.directory),
        clocks: loaded.clocks.map(|c| {
            let mut v = crate::http::sla::ClocksView::from(c);
            // Who supervises is the staff's business.
            if enterprise {
                v.supervising_department_id = None;
                v.bounce_department_id = None;
            }
            v
        }),
        departments: loaded
            .departments
            .into_iter()
            .filter(|_| !enterprise)
            .map(|d| {
                let clock = loaded.cohandling.iter().find(|c| {
                    c.department_id == d.department_id
                        && d.role == crate::domain::ticket::Involvement::Cohandler
                });
                InvolvedDepartment {
                    opinion_due_at: clock.map(|c| c.due_at.and_utc()),
                    opinion_clock: clock
                        .map(|c| crate::services::cohandling::standing(c, now).to_string()),
                    opinion_on_time: clock.and_then(|c| c.answered_at.map(|a| a <= c.due_at)),
                    department_name: loaded.directory.department_name(d.department_id),
                    department_id: d.department_id,
                    role: d.role.as_str().to_string(),
                    opinion: d.opinion,
                    opinion_posted: d.opinion_posted,
                    released: d.released,
                }
            })
            .collect(),
        from_daily_report: loaded
            .from_report
            .map(|(date, blocker_id)| ReportOrigin { date, blocker_id }),
        timeline: timeline(enterprise, events, loaded.sla_events, &loaded.directory),
    }
}

/// The ticket's events and, for staff, its SLA entries, in time order.
pub(crate) fn timeline(
    enterprise: bool,
    events: Vec<TicketEvent>,
    sla_events: Vec<crate::storage::sla::SlaEvent>,
    names: &Directory,
) -> Vec<EventView> {
    let mut all: Vec<EventView> = events
        .into_iter()
        .filter(|e| !(enterprise && e.internal))
        .map(|e| {
            let detail: Option<serde_json::Value> =
                e.detail.and_then(|d| serde_json::from_str(&d).ok());
            // Why a ticket moved is written for colleagues; the enterprise
            // sees that it moved, and the reason only if it was made public.
            let moved = matches!(
                e.action.as_str(),
                "transfer" | "escalate" | "take_over" | "return"
            );
            let public = detail
                .as_ref()
                .and_then(|d| d.get("reason_public"))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            EventView {
                seq: Some(e.seq),
                action: e.action,
                actor_id: e.actor_id,
                actor_name: e
                    .actor_id
                    .filter(|_| !enterprise)
                    .and_then(|id| names.person(id)),
                actor_department_id: e.actor_department_id,
                actor_department_name: e
                    .actor_department_id
                    .and_then(|id| names.department_name(id)),
                from_status: e.from_status.map(|s| s.as_str().to_string()),
                to_status: Some(e.to_status.as_str().to_string()),
                note: if enterprise && moved && !public {
                    None
                } else {
                    e.note
                },
                detail,
                internal: e.internal,
                at: e.created_at.and_utc(),
            }
        })
        .collect();
    if !enterprise {
        all.extend(sla_events.into_iter().map(|e| EventView {
            seq: None,
            action: e.kind,
            actor_id: None,
            actor_name: None,
            actor_department_id: None,
            actor_department_name: None,
            from_status: None,
            to_status: None,
            note: None,
            detail: Some(serde_json::json!({
                "level": e.level,
                "round": e.round,
                "due_at": e.due_at.and_utc(),
                "escalation_level": e.escalation_level,
                "handling_department": e.handling_department_id,
                "notified_department": e.notified_department_id,
            })),
            internal: true,
            at: e.created_at.and_utc(),
        }));
        // Stable: at the same instant, the ticket's own events come first.
        all.sort_by_key(|e| e.at);
    }
    all
}

/// A field of an offered action's body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedField {
    pub name: &'static str,
    /// `text`, `boolean`, `working_days`, `department` or `person` (one of
    /// `targets`), `satisfaction` (`satisfied`, `basically_satisfied`,
    /// `dissatisfied`).
    pub kind: &'static str,
    pub required: bool,
}

/// A department or person an action may target.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionTarget {
    pub id: i64,
    pub name: String,
}

/// An action the caller may take now.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedAction {
    /// The name in `POST /api/v1/tickets/{id}/actions/{action}`.
    pub action: &'static str,
    pub fields: Vec<OfferedField>,
    /// Every allowed choice for a `department` or `person` field.
    pub targets: Vec<ActionTarget>,
}

/// What the caller may do with a ticket now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionsView {
    pub ticket_id: i64,
    /// Send it as `If-Match: "v{version}"` with the action.
    pub version: i32,
    pub actions: Vec<OfferedAction>,
}

impl ActionsView {
    pub fn of(
        ticket_id: i64,
        version: i32,
        offers: Vec<crate::services::ticket_actions::Offered>,
    ) -> ActionsView {
        let mut actions: Vec<OfferedAction> = Vec::new();
        for o in offers {
            let view = OfferedAction {
                action: o.action.name(),
                fields: o
                    .fields
                    .iter()
                    .map(|f| OfferedField {
                        name: f.name,
                        kind: f.kind.as_str(),
                        required: f.required,
                    })
                    .collect(),
                targets: o
                    .targets
                    .into_iter()
                    .map(|(id, name)| ActionTarget { id, name })
                    .collect(),
            };
            // A public and an internal comment are one action with an
            // `internal` field: the one with more fields says it all.
            match actions.iter_mut().find(|a| a.action == view.action) {
                Some(a) if a.fields.len() < view.fields.len() => *a = view,
                Some(_) => {}
                None => actions.push(view),
            }
        }
        ActionsView {
            ticket_id,
            version,
            actions,
        }
    }
}
