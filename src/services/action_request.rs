//! An action as an API client sends it: one JSON object whose `action`
//! member names the action and whose other members are that action's own
//! fields (a serde-tagged enum, so that the OpenAPI document gives each
//! action its own body, `oneOf`). It becomes the flat [`ActionBody`] that
//! pages fill from their forms, and both are parsed by
//! [`super::ticket_actions::parse_action`] alone.

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::ticket_actions::{ActionBody, ActionInputError};
use crate::domain::access::TicketAction;
use crate::domain::enterprise::{issue, issue_with, FieldIssue};
use crate::domain::ticket::{FieldKind, Satisfaction};

/// The satisfaction a rating gives.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SatisfactionInput {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Dissatisfied,
}

impl SatisfactionInput {
    fn as_str(self) -> &'static str {
        match self {
            SatisfactionInput::Satisfied => "satisfied",
            SatisfactionInput::BasicallySatisfied => "basically_satisfied",
            SatisfactionInput::Dissatisfied => "dissatisfied",
        }
    }
}

/// One action on a ticket. `action` names it (as in
/// `GET /api/v1/tickets/{id}/actions`); the other members are its fields.
/// Texts a rule requires (a reason, an answer) are checked by the rule, so
/// that a blank one is refused with the same words as a missing one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionRequest {
    /// 签收: the handling department takes the ticket on.
    #[schema(title = "SignForAction")]
    SignFor,
    /// 指派: a person of the handling department handles it.
    #[schema(title = "AssignAction")]
    Assign { assignee_id: i64 },
    /// 转办: to another department of the same level or below.
    #[schema(title = "TransferAction")]
    Transfer {
        department_id: i64,
        #[serde(default)]
        #[schema(required = true)]
        reason: String,
        /// Show the reason to the enterprise too (by default it is for
        /// colleagues only; the enterprise still sees where the ticket went).
        #[serde(default)]
        reason_public: bool,
    },
    /// 上报: to the department above.
    #[schema(title = "EscalateAction")]
    Escalate {
        #[serde(default)]
        #[schema(required = true)]
        reason: String,
        #[serde(default)]
        reason_public: bool,
    },
    /// 提级办理: the department above takes the ticket over.
    #[schema(title = "TakeOverAction")]
    TakeOver {
        #[serde(default)]
        #[schema(required = true)]
        reason: String,
        #[serde(default)]
        reason_public: bool,
    },
    /// 退回: back to the department that sent it.
    #[schema(title = "ReturnAction")]
    Return {
        #[serde(default)]
        #[schema(required = true)]
        reason: String,
        #[serde(default)]
        reason_public: bool,
    },
    /// 邀请协办: a department gives its opinion.
    #[schema(title = "AddCohandlerAction")]
    AddCohandler { department_id: i64 },
    /// 提交协办意见.
    #[schema(title = "PostOpinionAction")]
    PostOpinion {
        #[serde(default)]
        #[schema(required = true)]
        opinion: String,
        /// Uploads to take onto this step (`POST /attachments`), at most
        /// `attachments.max_files_per_step`.
        #[serde(default)]
        attachment_ids: Vec<i64>,
    },
    /// 解除协办.
    #[schema(title = "ReleaseCohandlerAction")]
    ReleaseCohandler { department_id: i64 },
    /// 要求补充材料.
    #[schema(title = "RequestInfoAction")]
    RequestInfo {
        #[serde(default)]
        #[schema(required = true)]
        question: String,
        /// Uploads to take onto this step (`POST /attachments`), at most
        /// `attachments.max_files_per_step`.
        #[serde(default)]
        attachment_ids: Vec<i64>,
    },
    /// 补充材料 (the enterprise).
    #[schema(title = "ProvideInfoAction")]
    ProvideInfo {
        #[serde(default)]
        #[schema(required = true)]
        answer: String,
        /// Uploads to take onto this step (`POST /attachments`), at most
        /// `attachments.max_files_per_step`.
        #[serde(default)]
        attachment_ids: Vec<i64>,
    },
    /// 申请延期.
    #[schema(title = "RequestExtensionAction")]
    RequestExtension {
        #[serde(default)]
        #[schema(required = true)]
        reason: String,
        working_days: i32,
    },
    /// 审批延期 (the lead above).
    #[schema(title = "DecideExtensionAction")]
    DecideExtension {
        approve: bool,
        #[serde(default)]
        note: String,
    },
    /// 督办.
    #[schema(title = "UrgeAction")]
    Urge {
        #[serde(default)]
        note: String,
    },
    /// 办结.
    #[schema(title = "ResolveAction")]
    Resolve {
        #[serde(default)]
        #[schema(required = true)]
        resolution: String,
        /// Uploads to take onto this step (`POST /attachments`), at most
        /// `attachments.max_files_per_step`.
        #[serde(default)]
        attachment_ids: Vec<i64>,
    },
    /// 评价 (the enterprise).
    #[schema(title = "RateAction")]
    Rate {
        satisfaction: SatisfactionInput,
        solved: bool,
        #[serde(default)]
        comment: String,
    },
    /// 重新办理 (the enterprise, after resolution).
    #[schema(title = "ReopenAction")]
    Reopen {
        #[serde(default)]
        #[schema(required = true)]
        reason: String,
    },
    /// 不予受理.
    #[schema(title = "RejectAction")]
    Reject {
        #[serde(default)]
        #[schema(required = true)]
        reason: String,
    },
    /// 撤回 (the enterprise).
    #[schema(title = "WithdrawAction")]
    Withdraw {
        #[serde(default)]
        reason: String,
    },
    /// 留言; staff may make it internal (hidden from the enterprise).
    #[schema(title = "CommentAction")]
    Comment {
        #[serde(default)]
        #[schema(required = true)]
        text: String,
        #[serde(default)]
        internal: bool,
        /// As visible as the comment: internal files are staff-only.
        #[serde(default)]
        attachment_ids: Vec<i64>,
    },
}

impl ActionRequest {
    /// Reads an action from a JSON body. `named` is the action a URL names
    /// (`POST /tickets/{id}/actions/{action}`), whose body may leave out
    /// `action`; without it the body must name one. Every required field
    /// that is missing is reported at once, as the pages do.
    pub fn from_json(named: Option<&str>, body: Value) -> Result<ActionRequest, ActionInputError> {
        let mut fields: Map<String, Value> = match body {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            _ => {
                return Err(ActionInputError::Fields(vec![issue(
                    "action",
                    "field.body_not_object",
                )]))
            }
        };
        let name = match (named, fields.get("action")) {
            (Some(path), Some(Value::String(body))) if body != path => {
                return Err(ActionInputError::Fields(vec![issue(
                    "action",
                    "field.action_differs_from_url",
                )]))
            }
            (Some(path), _) => path.to_string(),
            (None, Some(Value::String(body))) => body.clone(),
            (None, _) => {
                return Err(ActionInputError::Fields(vec![issue(
                    "action",
                    "field.action_required",
                )]))
            }
        };
        let Some(action) = TicketAction::ALL.into_iter().find(|a| a.name() == name) else {
            return Err(ActionInputError::Unknown(name));
        };
        let missing: Vec<FieldIssue> = action
            .fields()
            .iter()
            // Texts are the rule's to check (a blank one as a missing one).
            .filter(|f| f.required && f.kind != FieldKind::Text)
            .filter(|f| fields.get(f.name).is_none_or(Value::is_null))
            .map(|f| issue(f.name, "field.required"))
            .collect();
        let mut problems = missing;
        // serde's "unknown variant" names no field; say which, in words.
        if let Some(v) = fields.get("satisfaction").filter(|v| !v.is_null()) {
            let known = v.as_str().and_then(Satisfaction::parse).is_some();
            if !known
                && action
                    .fields()
                    .iter()
                    .any(|f| f.kind == FieldKind::Satisfaction)
            {
                problems.push(issue("satisfaction", "field.satisfaction"));
            }
        }
        if !problems.is_empty() {
            return Err(ActionInputError::Fields(problems));
        }
        // Absent optional members and explicit nulls read alike.
        fields.retain(|_, v| !v.is_null());
        fields.insert("action".into(), Value::String(name));
        serde_json::from_value(Value::Object(fields)).map_err(|e| {
            ActionInputError::Fields(vec![issue_with(
                field_of(&e.to_string()),
                "field.wrong_kind_of_value",
                [("why", e.to_string())],
            )])
        })
    }

    /// The action's name and its fields in the flat form pages fill.
    pub fn into_body(self) -> (&'static str, ActionBody) {
        use ActionRequest::*;
        let mut b = ActionBody::default();
        let name = match self {
            SignFor => "sign_for",
            Assign { assignee_id } => {
                b.assignee_id = Some(assignee_id);
                "assign"
            }
            Transfer {
                department_id,
                reason,
                reason_public,
            } => {
                b.department_id = Some(department_id);
                b.reason = Some(reason);
                b.reason_public = Some(reason_public);
                "transfer"
            }
            Escalate {
                reason,
                reason_public,
            } => {
                b.reason = Some(reason);
                b.reason_public = Some(reason_public);
                "escalate"
            }
            TakeOver {
                reason,
                reason_public,
            } => {
                b.reason = Some(reason);
                b.reason_public = Some(reason_public);
                "take_over"
            }
            Return {
                reason,
                reason_public,
            } => {
                b.reason = Some(reason);
                b.reason_public = Some(reason_public);
                "return"
            }
            AddCohandler { department_id } => {
                b.department_id = Some(department_id);
                "add_cohandler"
            }
            PostOpinion {
                opinion,
                attachment_ids,
            } => {
                b.opinion = Some(opinion);
                b.attachment_ids = attachment_ids;
                "post_opinion"
            }
            ReleaseCohandler { department_id } => {
                b.department_id = Some(department_id);
                "release_cohandler"
            }
            RequestInfo {
                question,
                attachment_ids,
            } => {
                b.question = Some(question);
                b.attachment_ids = attachment_ids;
                "request_info"
            }
            ProvideInfo {
                answer,
                attachment_ids,
            } => {
                b.answer = Some(answer);
                b.attachment_ids = attachment_ids;
                "provide_info"
            }
            RequestExtension {
                reason,
                working_days,
            } => {
                b.reason = Some(reason);
                b.working_days = Some(working_days);
                "request_extension"
            }
            DecideExtension { approve, note } => {
                b.approve = Some(approve);
                b.note = Some(note);
                "decide_extension"
            }
            Urge { note } => {
                b.note = Some(note);
                "urge"
            }
            Resolve {
                resolution,
                attachment_ids,
            } => {
                b.resolution = Some(resolution);
                b.attachment_ids = attachment_ids;
                "resolve"
            }
            Rate {
                satisfaction,
                solved,
                comment,
            } => {
                b.satisfaction = Some(satisfaction.as_str().to_string());
                b.solved = Some(solved);
                b.comment = Some(comment);
                "rate"
            }
            Reopen { reason } => {
                b.reason = Some(reason);
                "reopen"
            }
            Reject { reason } => {
                b.reason = Some(reason);
                "reject"
            }
            Withdraw { reason } => {
                b.reason = Some(reason);
                "withdraw"
            }
            Comment {
                text,
                internal,
                attachment_ids,
            } => {
                b.text = Some(text);
                b.internal = Some(internal);
                b.attachment_ids = attachment_ids;
                "comment"
            }
        };
        (name, b)
    }
}

/// The field a serde message names (``invalid type: ... for `solved` ``
/// does not say it; serde_json's path-less errors name none), else the
/// body as a whole.
fn field_of(message: &str) -> &'static str {
    const NAMES: [&str; 15] = [
        "attachment_ids",
        "assignee_id",
        "department_id",
        "working_days",
        "approve",
        "satisfaction",
        "solved",
        "reason_public",
        "internal",
        "reason",
        "opinion",
        "question",
        "answer",
        "resolution",
        "text",
    ];
    NAMES
        .into_iter()
        .find(|n| message.contains(&format!("`{n}`")))
        .unwrap_or("action")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields_of(r: Result<ActionRequest, ActionInputError>) -> Vec<&'static str> {
        match r {
            Err(ActionInputError::Fields(issues)) => issues.into_iter().map(|i| i.field).collect(),
            other => panic!("expected field problems, got {other:?}"),
        }
    }

    #[test]
    fn the_body_names_the_action_or_the_url_does() {
        let (name, b) =
            ActionRequest::from_json(None, json!({"action": "assign", "assignee_id": 7}))
                .unwrap()
                .into_body();
        assert_eq!((name, b.assignee_id), ("assign", Some(7)));
        let (name, _) = ActionRequest::from_json(Some("sign_for"), Value::Null)
            .unwrap()
            .into_body();
        assert_eq!(name, "sign_for");
        assert_eq!(
            fields_of(ActionRequest::from_json(
                Some("urge"),
                json!({"action": "resolve"})
            )),
            ["action"]
        );
        assert_eq!(
            fields_of(ActionRequest::from_json(None, json!({}))),
            ["action"]
        );
        assert!(matches!(
            ActionRequest::from_json(None, json!({"action": "fly"})),
            Err(ActionInputError::Unknown(n)) if n == "fly"
        ));
    }

    #[test]
    fn every_missing_required_field_is_named_at_once() {
        assert_eq!(
            fields_of(ActionRequest::from_json(
                None,
                json!({"action": "rate", "comment": "ok"})
            )),
            ["satisfaction", "solved"]
        );
        assert_eq!(
            fields_of(ActionRequest::from_json(
                Some("transfer"),
                json!({"department_id": null, "reason": "x"})
            )),
            ["department_id"]
        );
        // A wrong kind of value names its field.
        assert_eq!(
            fields_of(ActionRequest::from_json(
                None,
                json!({"action": "rate", "satisfaction": "great", "solved": true})
            )),
            ["satisfaction"]
        );
    }

    #[test]
    fn every_action_the_domain_knows_reads_back_under_its_name() {
        for a in TicketAction::ALL {
            let mut body = Map::new();
            for f in a.fields() {
                let v = match f.kind {
                    FieldKind::Text => json!("某个理由"),
                    FieldKind::Boolean => json!(true),
                    FieldKind::WorkingDays | FieldKind::Department | FieldKind::Person => json!(3),
                    FieldKind::Satisfaction => json!("satisfied"),
                };
                body.insert(f.name.to_string(), v);
            }
            let (name, _) = ActionRequest::from_json(Some(a.name()), Value::Object(body))
                .unwrap_or_else(|e| panic!("{}: {e:?}", a.name()))
                .into_body();
            assert_eq!(name, a.name());
        }
    }
}
