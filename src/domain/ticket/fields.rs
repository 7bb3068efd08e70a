//! What each action asks of the one who takes it: its name in URLs and the
//! log, and its fields, so that any client (the pages, the API's
//! `GET /tickets/{id}/actions`) can build the form.

use crate::domain::access::TicketAction;

/// The kind of value a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text (1 to 2,000 characters when required).
    Text,
    Boolean,
    /// Whole working days.
    WorkingDays,
    /// One of the action's `targets` (a department).
    Department,
    /// One of the action's `targets` (a person).
    Person,
    /// `satisfied`, `basically_satisfied` or `dissatisfied`.
    Satisfaction,
}

impl FieldKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Boolean => "boolean",
            FieldKind::WorkingDays => "working_days",
            FieldKind::Department => "department",
            FieldKind::Person => "person",
            FieldKind::Satisfaction => "satisfaction",
        }
    }
}

/// One field of an action's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionField {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

/// A field as a literal, so that the tables below are `'static`.
macro_rules! f {
    ($name:literal, $kind:ident, $required:literal) => {
        ActionField {
            name: $name,
            kind: FieldKind::$kind,
            required: $required,
        }
    };
}

const REASON: ActionField = f!("reason", Text, true);
const REASON_PUBLIC: ActionField = f!("reason_public", Boolean, false);

impl TicketAction {
    /// The name an action goes by in URLs and the event log.
    pub fn name(self) -> &'static str {
        use TicketAction::*;
        match self {
            SignFor => "sign_for",
            Assign => "assign",
            Transfer => "transfer",
            Escalate => "escalate",
            TakeOver => "take_over",
            Return => "return",
            AddCohandler => "add_cohandler",
            PostOpinion => "post_opinion",
            ReleaseCohandler => "release_cohandler",
            RequestInfo => "request_info",
            ProvideInfo => "provide_info",
            RequestExtension => "request_extension",
            DecideExtension => "decide_extension",
            Urge => "urge",
            Resolve => "resolve",
            Rate => "rate",
            Reopen => "reopen",
            Reject => "reject",
            Withdraw => "withdraw",
            Comment | CommentInternal => "comment",
        }
    }

    /// The fields of the action's body (`services::ticket_actions::ActionBody`).
    pub fn fields(self) -> &'static [ActionField] {
        use TicketAction::*;
        match self {
            SignFor => &[],
            Assign => &[f!("assignee_id", Person, true)],
            Transfer => &[f!("department_id", Department, true), REASON, REASON_PUBLIC],
            Escalate | TakeOver | Return => &[REASON, REASON_PUBLIC],
            AddCohandler | ReleaseCohandler => &[f!("department_id", Department, true)],
            PostOpinion => &[f!("opinion", Text, true)],
            RequestInfo => &[f!("question", Text, true)],
            ProvideInfo => &[f!("answer", Text, true)],
            RequestExtension => &[REASON, f!("working_days", WorkingDays, true)],
            DecideExtension => &[f!("approve", Boolean, true), f!("note", Text, false)],
            Urge => &[f!("note", Text, false)],
            Resolve => &[f!("resolution", Text, true)],
            Rate => &[
                f!("satisfaction", Satisfaction, true),
                f!("solved", Boolean, true),
                f!("comment", Text, false),
            ],
            Reopen | Reject => &[REASON],
            Withdraw => &[f!("reason", Text, false)],
            Comment => &[f!("text", Text, true)],
            CommentInternal => &[f!("text", Text, true), f!("internal", Boolean, false)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_name_its_parser_knows_and_fields_it_reads() {
        for a in TicketAction::ALL {
            assert!(!a.name().is_empty());
            // A target to choose implies a field to carry it.
            for field in a.fields() {
                assert!(!field.name.is_empty());
            }
        }
        assert_eq!(TicketAction::CommentInternal.name(), "comment");
        assert!(TicketAction::Transfer
            .fields()
            .iter()
            .any(|f| f.kind == FieldKind::Department && f.required));
    }
}
