//! A ticket action as a client asks for it (the API's JSON body, a page's
//! form) becomes the domain's `Action`: one parser for both faces.

use crate::domain::access::DepartmentRef;
use crate::domain::enterprise::{issue, FieldIssue};
use crate::domain::ticket::{Action, Satisfaction};
use crate::storage::departments::Department;
use crate::storage::{Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ActionInputError {
    #[error("no such action: {0}")]
    Unknown(String),
    #[error("invalid action fields")]
    Fields(Vec<FieldIssue>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The fields of an action; each action reads the ones it needs.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
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
}

fn required<T>(field: &'static str, v: Option<T>) -> Result<T, ActionInputError> {
    v.ok_or_else(|| {
        ActionInputError::Fields(vec![issue(
            field,
            "此项为必填。",
            "This field is required.",
        )])
    })
}

async fn department_ref(db: &Database, id: i64) -> Result<DepartmentRef, ActionInputError> {
    let d = db.run(move |conn| Ok(Department::find(conn, id)?)).await?;
    d.map(|d| DepartmentRef {
        id: d.id,
        path: d.path,
    })
    .ok_or_else(|| {
        ActionInputError::Fields(vec![issue(
            "department_id",
            "没有这个部门。",
            "There is no such department.",
        )])
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
