//! Ticket actions for every client: which ones a caller may take now, with
//! their fields and allowed targets (`offer`), and an action as a client
//! asks for it (the API's JSON body, a page's form) parsed into the
//! domain's `Action` (`parse_action`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::tickets::Loaded;
use crate::domain::access::{Caller, DepartmentRef, TicketAction};
use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::role::Role;
use crate::domain::ticket::{may_transfer_to, offered, Action, ActionField, Satisfaction};
use crate::storage::departments::Department;
use crate::storage::users::{User, UserFilter};
use crate::storage::{AnyConnection, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ActionInputError {
    #[error("no such action: {0}")]
    Unknown(String),
    #[error("invalid action fields")]
    Fields(Vec<FieldIssue>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The fields of an action in one flat form, as a page's form gives them
/// (the API's [`super::action_request::ActionRequest`] becomes one too);
/// each action reads the ones it needs.
#[derive(Debug, Default)]
pub struct ActionBody {
    /// transfer, escalate, take_over, return, request_extension, reopen, reject, withdraw.
    pub reason: Option<String>,
    /// transfer, escalate, take_over, return: show the reason to the
    /// enterprise too (by default it is for colleagues only; the enterprise
    /// still sees that the ticket moved, and where).
    pub reason_public: Option<bool>,
    /// request_info.
    pub question: Option<String>,
    /// provide_info.
    pub answer: Option<String>,
    /// resolve.
    pub resolution: Option<String>,
    /// post_opinion.
    pub opinion: Option<String>,
    /// decide_extension, urge.
    pub note: Option<String>,
    /// comment.
    pub text: Option<String>,
    /// comment: hidden from the enterprise.
    pub internal: Option<bool>,
    /// assign.
    pub assignee_id: Option<i64>,
    /// transfer (target), add_cohandler, release_cohandler.
    pub department_id: Option<i64>,
    /// request_extension.
    pub working_days: Option<i32>,
    /// decide_extension.
    pub approve: Option<bool>,
    /// rate: `satisfied`, `basically_satisfied` or `dissatisfied`.
    pub satisfaction: Option<String>,
    /// rate: was the problem solved.
    pub solved: Option<bool>,
    /// rate.
    pub comment: Option<String>,
    /// provide_info, request_info, resolve, post_opinion, comment: uploads
    /// the step takes (`services::attachments`).
    pub attachment_ids: Vec<i64>,
}

fn required<T>(field: &'static str, v: Option<T>) -> Result<T, ActionInputError> {
    v.ok_or_else(|| ActionInputError::Fields(vec![issue(field, "field.required")]))
}

async fn department_ref(db: &Database, id: i64) -> Result<DepartmentRef, ActionInputError> {
    let d = db.run(move |conn| Ok(Department::find(conn, id)?)).await?;
    d.map(|d| DepartmentRef {
        id: d.id,
        path: d.path,
    })
    .ok_or_else(|| {
        ActionInputError::Fields(vec![issue("department_id", "field.no_such_department")])
    })
}

/// The action a client names, with the fields it needs; the departments it
/// targets must exist.
pub async fn parse_action(
    db: &Database,
    name: &str,
    b: ActionBody,
) -> Result<Action, ActionInputError> {
    let text = |v: Option<String>| v.unwrap_or_default();
    Ok(match name {
        "sign_for" => Action::SignFor,
        "assign" => Action::Assign {
            assignee: required("assignee_id", b.assignee_id)?,
        },
        "transfer" => Action::Transfer {
            target: department_ref(db, required("department_id", b.department_id)?).await?,
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "escalate" => Action::Escalate {
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "take_over" => Action::TakeOver {
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "return" => Action::Return {
            reason: text(b.reason),
            reason_public: b.reason_public.unwrap_or(false),
        },
        "add_cohandler" => Action::AddCohandler {
            department: department_ref(db, required("department_id", b.department_id)?).await?,
        },
        "post_opinion" => Action::PostOpinion {
            opinion: text(b.opinion),
        },
        "release_cohandler" => Action::ReleaseCohandler {
            department_id: required("department_id", b.department_id)?,
        },
        "request_info" => Action::RequestInfo {
            question: text(b.question),
        },
        "provide_info" => Action::ProvideInfo {
            answer: text(b.answer),
        },
        "request_extension" => Action::RequestExtension {
            reason: text(b.reason),
            working_days: required("working_days", b.working_days)?,
        },
        "decide_extension" => Action::DecideExtension {
            approve: required("approve", b.approve)?,
            note: text(b.note),
        },
        "urge" => Action::Urge { note: text(b.note) },
        "resolve" => Action::Resolve {
            resolution: text(b.resolution),
        },
        "rate" => Action::Rate {
            satisfaction: required(
                "satisfaction",
                b.satisfaction.as_deref().and_then(Satisfaction::parse),
            )?,
            solved: required("solved", b.solved)?,
            comment: text(b.comment),
        },
        "reopen" => Action::Reopen {
            reason: text(b.reason),
        },
        "reject" => Action::Reject {
            reason: text(b.reason),
        },
        "withdraw" => Action::Withdraw {
            reason: text(b.reason),
        },
        "comment" => Action::Comment {
            text: text(b.text),
            internal: b.internal.unwrap_or(false),
        },
        other => return Err(ActionInputError::Unknown(other.to_string())),
    })
}

/// One action the caller may take on a ticket now: what it asks for, and
/// whom it may target (departments or people, with their names).
#[derive(Debug, Clone)]
pub struct Offered {
    pub action: TicketAction,
    pub fields: &'static [ActionField],
    /// For actions with a department or person field: every allowed choice.
    pub targets: Vec<(i64, String)>,
}

/// The actions the caller may take on the ticket now (the rules of
/// `domain::access` and the state machine, as `domain::ticket::offered`
/// says), each with its allowed targets: the pages build their forms from
/// it, and `GET /api/v1/tickets/{id}/actions` gives it to every client.
pub async fn offer(
    db: &Database,
    caller: &Caller,
    loaded: &Loaded,
    now: NaiveDateTime,
) -> Result<Vec<Offered>, StorageError> {
    let offer = offered(caller, &loaded.facts, &loaded.state, now.and_utc());
    let handling = loaded.state.handling.clone();
    let cohandlers: Vec<(i64, bool)> = loaded
        .state
        .cohandlers
        .iter()
        .map(|c| (c.department.id, c.opinion_posted || c.released))
        .collect();
    let own = caller.department.as_ref().map(|d| d.id);
    let wanted = offer.clone();
    let mut targets = db
        .run(move |conn| Ok(targets_of(conn, &wanted, &handling, &cohandlers, own)?))
        .await?;
    Ok(offer
        .into_iter()
        .map(|action| Offered {
            action,
            fields: action.fields(),
            targets: targets.remove(&action).unwrap_or_default(),
        })
        .collect())
}

/// The allowed targets of the actions that have them: where a ticket may be
/// transferred (siblings and children of the handling department, not its
/// parent: that is escalating), who may co-handle, who may be assigned (the
/// caller's department's officers and leads), whose co-handling may end.
fn targets_of(
    conn: &mut AnyConnection,
    offer: &[TicketAction],
    handling: &DepartmentRef,
    cohandlers: &[(i64, bool)],
    own: Option<i64>,
) -> QueryResult<HashMap<TicketAction, Vec<(i64, String)>>> {
    let mut out = HashMap::new();
    let mut near: Vec<Department> = Vec::new();
    if offer
        .iter()
        .any(|a| matches!(a, TicketAction::Transfer | TicketAction::AddCohandler))
    {
        let here = Department::find(conn, handling.id)?;
        if let Some(parent) = here.as_ref().and_then(|d| d.parent_id) {
            near.extend(Department::find(conn, parent)?);
            near.extend(Department::children(conn, parent)?);
        }
        near.extend(Department::children(conn, handling.id)?);
        near.retain(|d| d.active && d.id != handling.id);
    }
    let as_ref = |d: &Department| DepartmentRef {
        id: d.id,
        path: d.path.clone(),
    };
    if offer.contains(&TicketAction::Transfer) {
        out.insert(
            TicketAction::Transfer,
            near.iter()
                .filter(|d| may_transfer_to(handling, &as_ref(d)))
                .map(|d| (d.id, d.name.clone()))
                .collect(),
        );
    }
    if offer.contains(&TicketAction::AddCohandler) {
        out.insert(
            TicketAction::AddCohandler,
            near.iter()
                .filter(|d| !cohandlers.iter().any(|(c, _)| *c == d.id))
                .map(|d| (d.id, d.name.clone()))
                .collect(),
        );
    }
    if offer.contains(&TicketAction::Assign) {
        let staff = User::list(
            conn,
            &UserFilter {
                role: None,
                department_id: own,
                enterprise_id: None,
                active: Some(true),
                query: None,
                after_id: None,
                limit: 500,
            },
        )?;
        out.insert(
            TicketAction::Assign,
            staff
                .into_iter()
                .filter(|u| matches!(u.role, Role::Officer | Role::Lead))
                .map(|u| (u.id, u.display_name))
                .collect(),
        );
    }
    if offer.contains(&TicketAction::ReleaseCohandler) {
        let open: Vec<i64> = cohandlers
            .iter()
            .filter(|(_, settled)| !settled)
            .map(|(id, _)| *id)
            .collect();
        out.insert(
            TicketAction::ReleaseCohandler,
            Department::load_many(conn, &open)?
                .into_iter()
                .map(|d| (d.id, d.name))
                .collect(),
        );
    }
    Ok(out)
}
