//! Who hears what: the notices a ticket change causes and to whom they go.
//! Pure: the storage layer turns audiences into people and addresses.

use super::ticket::{Action, TicketState};

/// A kind of notice; users may turn each off, except that staff always hear
/// of overdue tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Notice {
    /// A ticket arrived in a department's queue (filed, sent on).
    NewTicket,
    Assigned,
    InfoRequested,
    InfoProvided,
    Resolved,
    Rejected,
    SlaWarning,
    /// Overdue, and each escalation level.
    Overdue,
    Urged,
    CohandlingRequested,
    /// The daily digest for leads and supervisors.
    Digest,
    /// Someone commented on a ticket.
    Comment,
    /// An extension request waits for the deciding lead.
    ExtensionRequested,
    /// An extension request was decided.
    ExtensionDecided,
    /// A ticket came back for handling: reopened, with its reason and new deadline.
    Reopened,
    /// A department signed for the enterprise's ticket (已受理).
    SignedFor,
    /// The enterprise's daily report (日报) of the day has not come:
    /// the monitoring job's notice, or a department's urging (催报).
    DailyReportMissing,
}

impl Notice {
    pub const ALL: [Notice; 17] = [
        Notice::NewTicket,
        Notice::Assigned,
        Notice::InfoRequested,
        Notice::InfoProvided,
        Notice::Resolved,
        Notice::Rejected,
        Notice::SlaWarning,
        Notice::Overdue,
        Notice::Urged,
        Notice::CohandlingRequested,
        Notice::Digest,
        Notice::Comment,
        Notice::ExtensionRequested,
        Notice::ExtensionDecided,
        Notice::Reopened,
        Notice::SignedFor,
        Notice::DailyReportMissing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Notice::NewTicket => "new_ticket",
            Notice::Assigned => "assigned",
            Notice::InfoRequested => "info_requested",
            Notice::InfoProvided => "info_provided",
            Notice::Resolved => "resolved",
            Notice::Rejected => "rejected",
            Notice::SlaWarning => "sla_warning",
            Notice::Overdue => "overdue",
            Notice::Urged => "urged",
            Notice::CohandlingRequested => "cohandling_requested",
            Notice::Digest => "digest",
            Notice::Comment => "comment",
            Notice::ExtensionRequested => "extension_requested",
            Notice::ExtensionDecided => "extension_decided",
            Notice::Reopened => "reopened",
            Notice::SignedFor => "signed_for",
            Notice::DailyReportMissing => "daily_report_missing",
        }
    }

    pub fn parse(s: &str) -> Option<Notice> {
        Notice::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// Whether a user may turn this notice off.
    pub fn may_opt_out(self, staff: bool) -> bool {
        !(staff && self == Notice::Overdue)
    }
}

/// Who a notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    User(i64),
    /// The officers and leads of a department.
    Handlers(i64),
    /// The leads and supervisors of a department (escalation).
    Overseers(i64),
    /// The leads of a department (who decide extensions below it).
    Leads(i64),
    /// The enterprise's active users.
    Enterprise(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Notify {
    pub notice: Notice,
    pub audience: Audience,
}

fn to(notice: Notice, audience: Audience) -> Notify {
    Notify { notice, audience }
}

/// The handler of a ticket: its assignee, or else its department.
fn handler(state: &TicketState) -> Audience {
    match state.assignee {
        Some(user) => Audience::User(user),
        None => Audience::Handlers(state.handling.id),
    }
}

/// A new ticket: its department hears.
pub fn after_filing(handling: i64) -> Vec<Notify> {
    vec![to(Notice::NewTicket, Audience::Handlers(handling))]
}

/// The copies a filing sends for information: the platforms of the
/// enterprise's chains, when the routing rule says to tell them.
pub fn copies_after_filing(notify_chain_platform: bool, platforms: &[i64]) -> Vec<Notify> {
    if !notify_chain_platform {
        return Vec::new();
    }
    platforms
        .iter()
        .map(|p| to(Notice::NewTicket, Audience::Handlers(*p)))
        .collect()
}

/// What an action taken on `before`, giving `after`, tells whom.
/// `auto_assignee` is the officer the system assigned, if any;
/// `by_enterprise`, whether the enterprise took the action.
pub fn after_action(
    action: &Action,
    before: &TicketState,
    after: &TicketState,
    enterprise_id: i64,
    auto_assignee: Option<i64>,
    by_enterprise: bool,
) -> Vec<Notify> {
    let mut out = Vec::new();
    let moved = after.handling.id != before.handling.id;
    match action {
        Action::Assign { assignee } => out.push(to(Notice::Assigned, Audience::User(*assignee))),
        Action::Transfer { .. } | Action::Escalate { .. } | Action::Return { .. } => {
            out.push(to(Notice::NewTicket, Audience::Handlers(after.handling.id)))
        }
        Action::TakeOver { .. } if moved => {
            out.push(to(Notice::NewTicket, Audience::Handlers(after.handling.id)))
        }
        Action::AddCohandler { department } => out.push(to(
            Notice::CohandlingRequested,
            Audience::Handlers(department.id),
        )),
        Action::RequestInfo { .. } => out.push(to(
            Notice::InfoRequested,
            Audience::Enterprise(enterprise_id),
        )),
        Action::ProvideInfo { .. } => out.push(to(Notice::InfoProvided, handler(after))),
        Action::Resolve { .. } => {
            out.push(to(Notice::Resolved, Audience::Enterprise(enterprise_id)))
        }
        Action::Reject { .. } => {
            out.push(to(Notice::Rejected, Audience::Enterprise(enterprise_id)))
        }
        // The enterprise hears that its ticket was taken on (已受理).
        Action::SignFor => out.push(to(Notice::SignedFor, Audience::Enterprise(enterprise_id))),
        Action::Urge { .. } => out.push(to(Notice::Urged, Audience::Handlers(after.handling.id))),
        Action::Reopen { .. } => out.push(to(Notice::Reopened, handler(after))),
        // A public comment goes across: staff's to the enterprise, the
        // enterprise's to whoever handles it. An internal one goes to the
        // colleagues on the ticket: its officer and the co-handlers.
        Action::Comment {
            internal: false, ..
        } if by_enterprise => out.push(to(Notice::Comment, handler(after))),
        Action::Comment {
            internal: false, ..
        } => out.push(to(Notice::Comment, Audience::Enterprise(enterprise_id))),
        // The parent department's leads decide an extension.
        Action::RequestExtension { .. } => {
            if let Some(parent) = after.handling.parent_id() {
                out.push(to(Notice::ExtensionRequested, Audience::Leads(parent)));
            }
        }
        Action::DecideExtension { approve, .. } => {
            out.push(to(
                Notice::ExtensionDecided,
                Audience::Handlers(after.handling.id),
            ));
            if *approve {
                out.push(to(
                    Notice::ExtensionDecided,
                    Audience::Enterprise(enterprise_id),
                ));
            }
        }
        Action::Comment { internal: true, .. } => {
            out.push(to(Notice::Comment, handler(after)));
            for c in after.cohandlers.iter().filter(|c| !c.released) {
                out.push(to(Notice::Comment, Audience::Handlers(c.department.id)));
            }
        }
        _ => {}
    }
    if let Some(officer) = auto_assignee {
        out.push(to(Notice::Assigned, Audience::User(officer)));
    }
    out
}

/// An SLA event: a warning goes to the handler; overdue days to the
/// handling department and, above it, to the department at the escalation level.
pub fn after_sla(
    handling: i64,
    assignee: Option<i64>,
    warning: bool,
    notified_department: i64,
) -> Vec<Notify> {
    if warning {
        let who = assignee.map_or(Audience::Handlers(handling), Audience::User);
        return vec![to(Notice::SlaWarning, who)];
    }
    let mut out = vec![to(Notice::Overdue, Audience::Handlers(handling))];
    if notified_department != handling {
        out.push(to(
            Notice::Overdue,
            Audience::Overseers(notified_department),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::DepartmentRef;
    use crate::domain::ticket::Status;

    fn state(assignee: Option<i64>) -> TicketState {
        TicketState {
            status: Status::Handling,
            handling: DepartmentRef {
                id: 345,
                path: "/1/12/120/345/".into(),
            },
            sent_from: None,
            assignee,
            cohandlers: vec![],
            extension_pending: false,
            resolve_due: None,
            resolved_at: None,
            closed_at: None,
            rating: None,
            solved: None,
            sent_on: 0,
            returns: 0,
            urged: 0,
            reopened: 0,
        }
    }

    #[test]
    fn each_kind_round_trips_and_only_overdue_is_compulsory_for_staff() {
        for n in Notice::ALL {
            assert_eq!(Notice::parse(n.as_str()), Some(n));
            assert_eq!(n.may_opt_out(true), n != Notice::Overdue);
            assert!(n.may_opt_out(false));
        }
    }

    #[test]
    fn the_right_people_hear() {
        let s = state(None);
        assert_eq!(
            after_filing(345),
            [to(Notice::NewTicket, Audience::Handlers(345))]
        );
        let mut moved = s.clone();
        moved.handling = DepartmentRef {
            id: 120,
            path: "/1/12/120/".into(),
        };
        let escalate = Action::Escalate {
            reason: "x".into(),
            reason_public: false,
        };
        assert_eq!(
            after_action(&escalate, &s, &moved, 7, None, false),
            [to(Notice::NewTicket, Audience::Handlers(120))]
        );
        let resolve = Action::Resolve {
            resolution: "x".into(),
        };
        assert_eq!(
            after_action(&resolve, &s, &s, 7, None, false),
            [to(Notice::Resolved, Audience::Enterprise(7))]
        );
        let assigned = state(Some(55));
        assert_eq!(
            after_action(&Action::SignFor, &s, &assigned, 7, Some(55), false),
            [
                to(Notice::SignedFor, Audience::Enterprise(7)),
                to(Notice::Assigned, Audience::User(55))
            ]
        );
        assert_eq!(
            after_sla(345, Some(55), true, 345),
            [to(Notice::SlaWarning, Audience::User(55))]
        );
        assert_eq!(
            after_sla(345, Some(55), false, 12),
            [
                to(Notice::Overdue, Audience::Handlers(345)),
                to(Notice::Overdue, Audience::Overseers(12))
            ]
        );
        assert_eq!(
            after_sla(345, None, false, 345),
            [to(Notice::Overdue, Audience::Handlers(345))]
        );
    }
}
