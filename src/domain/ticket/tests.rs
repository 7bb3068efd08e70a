use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::access::TicketFacts;
use crate::domain::fixtures::*;

fn t0() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2022, 4, 28)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc()
}

/// A Pudong (400) ticket of enterprise 7, just filed.
fn filed() -> (TicketFacts, TicketState) {
    (ticket(7, 400, 400), filed_state(t0()))
}

/// Applies an action, keeping the facts in step with the state.
fn step(
    caller: &Caller,
    facts: &mut TicketFacts,
    state: &TicketState,
    action: Action,
) -> Result<TicketState, Refusal> {
    let next = decide(caller, facts, state, &action, t0() + Duration::hours(1))?;
    if next.handling != state.handling {
        facts.passed_through.push(state.handling.clone());
        facts.handling = next.handling.clone();
    }
    facts.cohandlers = next
        .cohandlers
        .iter()
        .map(|c| c.department.clone())
        .collect();
    Ok(next)
}

fn reason() -> String {
    "理由".into()
}

#[test]
fn the_story_of_a_ticket() {
    let (mut f, s) = filed();
    let pudong = staff(Role::Officer, 400);
    let s = step(&pudong, &mut f, &s, Action::SignFor).unwrap();
    assert_eq!(s.status, Status::Handling);
    let s = step(
        &pudong,
        &mut f,
        &s,
        Action::RequestInfo {
            question: "请提供返岗名单".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status, Status::AwaitingInfo);
    let s = step(
        &enterprise(7),
        &mut f,
        &s,
        Action::ProvideInfo {
            answer: "已上传".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status, Status::Handling);
    // To the sibling Huangpu, which returns it.
    let s = step(
        &pudong,
        &mut f,
        &s,
        Action::Transfer {
            target: dept(401).as_ref(),
            reason: reason(),
            reason_public: false,
        },
    )
    .unwrap();
    assert_eq!((s.status, s.handling.id), (Status::PendingSign, 401));
    let s = step(
        &staff(Role::Officer, 401),
        &mut f,
        &s,
        Action::Return {
            reason: reason(),
            reason_public: false,
        },
    )
    .unwrap();
    assert_eq!((s.handling.id, s.returns, s.sent_on), (400, 1, 2));
    // Pudong escalates to the municipality.
    let s = step(
        &pudong,
        &mut f,
        &s,
        Action::Escalate {
            reason: reason(),
            reason_public: false,
        },
    )
    .unwrap();
    assert_eq!(s.handling.id, 30);
    let shanghai = staff(Role::Officer, 30);
    let s = step(&shanghai, &mut f, &s, Action::SignFor).unwrap();
    let s = step(
        &shanghai,
        &mut f,
        &s,
        Action::AddCohandler {
            department: dept(401).as_ref(),
        },
    )
    .unwrap();
    let refused = step(
        &shanghai,
        &mut f,
        &s,
        Action::Resolve {
            resolution: "已协调".into(),
        },
    );
    assert!(
        matches!(refused, Err(Refusal::Rule { .. })),
        "the co-handler has not answered"
    );
    let s = step(
        &staff(Role::Officer, 401),
        &mut f,
        &s,
        Action::PostOpinion {
            opinion: "同意".into(),
        },
    )
    .unwrap();
    let s = step(
        &shanghai,
        &mut f,
        &s,
        Action::Resolve {
            resolution: "已协调".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status, Status::Resolved);
    let s = step(
        &enterprise(7),
        &mut f,
        &s,
        Action::Rate {
            satisfaction: Satisfaction::Dissatisfied,
            solved: false,
            comment: String::new(),
        },
    )
    .unwrap();
    assert_eq!(s.status, Status::Closed);
    let s = step(
        &enterprise(7),
        &mut f,
        &s,
        Action::Reopen {
            reason: "仍未解决".into(),
        },
    )
    .unwrap();
    assert_eq!(
        (s.status, s.handling.id, s.reopened),
        (Status::Handling, 30, 1)
    );
    assert!(!s.cohandlers[0].opinion_posted, "co-handlers answer again");
}

#[test]
fn refusals_say_why() {
    let (mut f, s) = filed();
    let sibling = staff(Role::Officer, 401);
    assert_eq!(
        step(&sibling, &mut f, &s, Action::SignFor),
        Err(not_permitted(TicketAction::SignFor))
    );
    assert_eq!(
        step(
            &staff(Role::Officer, 400),
            &mut f,
            &s,
            Action::Resolve {
                resolution: "x".into()
            }
        ),
        Err(Refusal::WrongStatus {
            action: "resolve",
            status: Status::PendingSign
        })
    );
    assert_eq!(
        step(
            &staff(Role::Officer, 400),
            &mut f,
            &s,
            Action::Reject {
                reason: "  ".into()
            }
        ),
        Err(Refusal::MissingText { field: "reason" })
    );
    assert_eq!(
        not_permitted(TicketAction::SignFor).phrase().key,
        "refusal.only_officer"
    );
    // Another enterprise may not even see it.
    assert!(step(
        &enterprise(8),
        &mut f,
        &s,
        Action::Withdraw {
            reason: String::new()
        }
    )
    .is_err());
}

#[test]
fn transfers_stay_near_escalations_go_up() {
    // Pudong may send to its sibling or below, not to Nanjing.
    assert!(may_transfer_to(&dept(400).as_ref(), &dept(401).as_ref()));
    assert!(!may_transfer_to(&dept(400).as_ref(), &dept(500).as_ref()));
    assert!(!may_transfer_to(&dept(400).as_ref(), &dept(400).as_ref()));
    // Up to its own parent (Shanghai) is an escalation, not a transfer.
    assert!(!may_transfer_to(&dept(400).as_ref(), &dept(30).as_ref()));
    // Nanjing city may send to its counties and to Jiangsu's other cities' subtrees.
    assert!(may_transfer_to(&dept(100).as_ref(), &dept(501).as_ref()));
    // The ministry sends anywhere.
    assert!(may_transfer_to(&dept(1).as_ref(), &dept(500).as_ref()));
    let (mut f, mut s) = filed();
    s.handling = dept(1).as_ref();
    f.handling = dept(1).as_ref();
    assert!(matches!(
        step(
            &staff(Role::Officer, 1),
            &mut f,
            &s,
            Action::Escalate {
                reason: reason(),
                reason_public: false
            }
        ),
        Err(Refusal::Rule { .. })
    ));
}

#[test]
fn extensions_need_the_parent_lead_and_time_left() {
    let (mut f, s) = filed();
    let pudong = staff(Role::Officer, 400);
    let s = step(&pudong, &mut f, &s, Action::SignFor).unwrap();
    let ask = Action::RequestExtension {
        reason: reason(),
        working_days: 3,
    };
    let s = step(&pudong, &mut f, &s, ask.clone()).unwrap();
    assert!(s.extension_pending);
    assert!(
        step(&pudong, &mut f, &s, ask.clone()).is_err(),
        "one at a time"
    );
    let decide_it = Action::DecideExtension {
        approve: true,
        note: String::new(),
    };
    assert!(
        step(&staff(Role::Lead, 400), &mut f, &s, decide_it.clone()).is_err(),
        "not its own"
    );
    let s = step(&staff(Role::Lead, 30), &mut f, &s, decide_it).unwrap();
    assert!(!s.extension_pending);
    // Past the deadline, no more asking.
    let late = decide(&pudong, &f, &s, &ask, t0() + Duration::days(8));
    assert!(matches!(late, Err(Refusal::Rule { .. })));
}

#[test]
fn reopening_has_rules() {
    let (mut f, s) = filed();
    let pudong = staff(Role::Officer, 400);
    let s = step(&pudong, &mut f, &s, Action::SignFor).unwrap();
    let s = step(
        &pudong,
        &mut f,
        &s,
        Action::Resolve {
            resolution: "好了".into(),
        },
    )
    .unwrap();
    let rated = step(
        &enterprise(7),
        &mut f,
        &s,
        Action::Rate {
            satisfaction: Satisfaction::Satisfied,
            solved: true,
            comment: String::new(),
        },
    )
    .unwrap();
    let reopen = Action::Reopen { reason: reason() };
    assert!(
        step(&enterprise(7), &mut f, &rated, reopen.clone()).is_err(),
        "satisfied: the enterprise may not"
    );
    assert!(
        step(&staff(Role::Supervisor, 30), &mut f, &rated, reopen.clone()).is_ok(),
        "a supervisor may"
    );
    let too_late = decide(&enterprise(7), &f, &s, &reopen, t0() + Duration::days(40));
    assert!(matches!(too_late, Err(Refusal::Rule { .. })));
    assert!(auto_close(&s, t0()).is_some_and(|c| c.status == Status::Closed));
}

#[test]
fn an_auto_closed_ticket_may_be_rated_late_and_then_reopened() {
    let resolved_at = t0();
    let closed_at = t0() + Duration::days(7);
    let (f, s) = filed();
    let auto_closed = TicketState {
        status: Status::Closed,
        resolved_at: Some(resolved_at),
        closed_at: Some(closed_at),
        ..s
    };
    let rate = |satisfaction, solved| Action::Rate {
        satisfaction,
        solved,
        comment: String::new(),
    };
    let owner = enterprise(7);
    // Before rating, the enterprise has no voice to reopen with.
    let reopen = Action::Reopen { reason: reason() };
    assert!(decide(
        &owner,
        &f,
        &auto_closed,
        &reopen,
        closed_at + Duration::days(1)
    )
    .is_err());
    // Rated 29 days after closing: accepted, and closing moves to then.
    let late = closed_at + Duration::days(29);
    let rated = decide(
        &owner,
        &f,
        &auto_closed,
        &rate(Satisfaction::BasicallySatisfied, false),
        late,
    )
    .unwrap();
    assert_eq!(
        (rated.status, rated.closed_at, rated.solved),
        (Status::Closed, Some(late), Some(false))
    );
    // Not solved: the enterprise may reopen, though resolved 36 days ago.
    let reopened = decide(&owner, &f, &rated, &reopen, late + Duration::days(1)).unwrap();
    assert_eq!(
        (reopened.status, reopened.closed_at, reopened.rating),
        (Status::Handling, None, None)
    );
    // A rated ticket is not rated again (409), nor one closed over 30 days ago (422).
    assert!(matches!(
        decide(
            &owner,
            &f,
            &rated,
            &rate(Satisfaction::Satisfied, true),
            late
        ),
        Err(Refusal::WrongStatus { .. })
    ));
    assert!(matches!(
        decide(
            &owner,
            &f,
            &auto_closed,
            &rate(Satisfaction::Satisfied, true),
            closed_at + Duration::days(31)
        ),
        Err(Refusal::Rule { .. })
    ));
    // Satisfied and solved: the enterprise may not reopen.
    let content = decide(
        &owner,
        &f,
        &auto_closed,
        &rate(Satisfaction::Satisfied, true),
        late,
    )
    .unwrap();
    assert!(decide(&owner, &f, &content, &reopen, late).is_err());
    assert!(offered(&owner, &f, &auto_closed, late).contains(&TicketAction::Rate));
    assert!(
        !offered(&owner, &f, &auto_closed, closed_at + Duration::days(31))
            .contains(&TicketAction::Rate)
    );
}

#[test]
fn a_ticket_sent_on_four_times_is_bounced() {
    let (mut f, mut s) = filed();
    for (from, to) in [(400, 401), (401, 400), (400, 401), (401, 400)] {
        s = step(
            &staff(Role::Officer, from),
            &mut f,
            &s,
            Action::Transfer {
                target: dept(to).as_ref(),
                reason: reason(),
                reason_public: false,
            },
        )
        .unwrap();
    }
    assert!(is_bounced(&s));
}

fn any_caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        (6i64..9).prop_map(enterprise),
        (
            prop::sample::select(vec![Role::Officer, Role::Lead, Role::Supervisor]),
            prop::sample::select(DEPTS.to_vec())
        )
            .prop_map(|(r, d)| staff(r, d)),
    ]
}

fn any_action() -> impl Strategy<Value = Action> {
    let dept_ref = prop::sample::select(DEPTS.to_vec()).prop_map(|d| dept(d).as_ref());
    let sat = prop::sample::select(vec![
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Dissatisfied,
    ]);
    prop_oneof![
        Just(Action::SignFor),
        (1i64..5).prop_map(|assignee| Action::Assign { assignee }),
        dept_ref.clone().prop_map(|target| Action::Transfer {
            target,
            reason: reason(),
            reason_public: false,
        }),
        Just(Action::Escalate {
            reason: reason(),
            reason_public: false
        }),
        Just(Action::TakeOver {
            reason: reason(),
            reason_public: false
        }),
        Just(Action::Return {
            reason: reason(),
            reason_public: false
        }),
        dept_ref.prop_map(|department| Action::AddCohandler { department }),
        Just(Action::PostOpinion {
            opinion: "意见".into()
        }),
        prop::sample::select(DEPTS.to_vec())
            .prop_map(|department_id| Action::ReleaseCohandler { department_id }),
        Just(Action::RequestInfo {
            question: "?".into()
        }),
        Just(Action::ProvideInfo { answer: "!".into() }),
        (0i32..35).prop_map(|working_days| Action::RequestExtension {
            reason: reason(),
            working_days
        }),
        any::<bool>().prop_map(|approve| Action::DecideExtension {
            approve,
            note: String::new()
        }),
        Just(Action::Urge {
            note: String::new()
        }),
        Just(Action::Resolve {
            resolution: "办结".into()
        }),
        (sat, any::<bool>()).prop_map(|(satisfaction, solved)| Action::Rate {
            satisfaction,
            solved,
            comment: String::new()
        }),
        Just(Action::Reopen { reason: reason() }),
        Just(Action::Reject { reason: reason() }),
        Just(Action::Withdraw {
            reason: String::new()
        }),
        any::<bool>().prop_map(|internal| Action::Comment {
            text: "留言".into(),
            internal
        }),
    ]
}

/// An action of the kind with the fields a form would send; None where the
/// fields decide (a transfer's or a new co-handler's department).
fn canonical(kind: TicketAction, state: &TicketState) -> Option<Action> {
    use TicketAction as K;
    let unsettled = state
        .cohandlers
        .iter()
        .find(|c| !c.opinion_posted && !c.released)
        .map_or(0, |c| c.department.id);
    Some(match kind {
        K::Transfer | K::AddCohandler => return None,
        K::SignFor => Action::SignFor,
        K::Assign => Action::Assign { assignee: 1 },
        K::Escalate => Action::Escalate {
            reason: reason(),
            reason_public: false,
        },
        K::TakeOver => Action::TakeOver {
            reason: reason(),
            reason_public: false,
        },
        K::Return => Action::Return {
            reason: reason(),
            reason_public: false,
        },
        K::PostOpinion => Action::PostOpinion {
            opinion: "意见".into(),
        },
        K::ReleaseCohandler => Action::ReleaseCohandler {
            department_id: unsettled,
        },
        K::RequestInfo => Action::RequestInfo {
            question: "?".into(),
        },
        K::ProvideInfo => Action::ProvideInfo { answer: "!".into() },
        K::RequestExtension => Action::RequestExtension {
            reason: reason(),
            working_days: 3,
        },
        K::DecideExtension => Action::DecideExtension {
            approve: true,
            note: String::new(),
        },
        K::Urge => Action::Urge {
            note: String::new(),
        },
        K::Resolve => Action::Resolve {
            resolution: "办结".into(),
        },
        K::Rate => Action::Rate {
            satisfaction: Satisfaction::Satisfied,
            solved: true,
            comment: String::new(),
        },
        K::Reopen => Action::Reopen { reason: reason() },
        K::Reject => Action::Reject { reason: reason() },
        K::Withdraw => Action::Withdraw {
            reason: String::new(),
        },
        K::Comment => Action::Comment {
            text: "留言".into(),
            internal: false,
        },
        K::CommentInternal => Action::Comment {
            text: "留言".into(),
            internal: true,
        },
    })
}

#[test]
fn a_page_offers_what_the_caller_may_do_now() {
    let (facts, state) = filed();
    let now = t0() + Duration::hours(1);
    let officer = staff(Role::Officer, 400);
    assert_eq!(
        offered(&officer, &facts, &state, now),
        vec![
            TicketAction::SignFor,
            TicketAction::Transfer,
            TicketAction::Escalate,
            TicketAction::Return,
            TicketAction::Reject,
            TicketAction::Comment,
            TicketAction::CommentInternal,
        ]
    );
    assert_eq!(
        offered(&enterprise(7), &facts, &state, now),
        vec![TicketAction::Withdraw, TicketAction::Comment]
    );
    assert!(offered(&enterprise(8), &facts, &state, now).is_empty());
    // Time matters: no extension once the deadline has passed, no reopening
    // a month after the resolution.
    let handling = TicketState {
        status: Status::Handling,
        ..state.clone()
    };
    let late = handling.resolve_due.unwrap() + Duration::minutes(1);
    assert!(offered(&officer, &facts, &handling, now).contains(&TicketAction::RequestExtension));
    assert!(!offered(&officer, &facts, &handling, late).contains(&TicketAction::RequestExtension));
    let resolved = TicketState {
        status: Status::Resolved,
        resolved_at: Some(t0()),
        ..state
    };
    let owner = enterprise(7);
    assert!(offered(&owner, &facts, &resolved, now).contains(&TicketAction::Reopen));
    let much_later = t0() + Duration::days(REOPEN_WINDOW_DAYS + 1);
    assert!(!offered(&owner, &facts, &resolved, much_later).contains(&TicketAction::Reopen));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_page_offers_exactly_the_actions_decide_accepts(steps in proptest::collection::vec((any_caller(), any_action()), 1..40)) {
        let (mut facts, mut state) = filed();
        let now = t0() + Duration::hours(1);
        for (caller, action) in steps {
            let offer = offered(&caller, &facts, &state, now);
            for kind in TicketAction::ALL {
                let Some(canonical) = canonical(kind, &state) else {
                    continue;
                };
                let accepted = decide(&caller, &facts, &state, &canonical, now).is_ok();
                prop_assert_eq!(offer.contains(&kind), accepted, "{:?} in {:?}", kind, state.status);
            }
            if let Ok(next) = step(&caller, &mut facts, &state, action) {
                state = next;
            }
        }
    }

    #[test]
    fn random_action_sequences_keep_the_rules(steps in proptest::collection::vec((any_caller(), any_action()), 1..60)) {
        let (mut facts, mut state) = filed();
        // The event log: (action, from, to).
        let mut log: Vec<(&'static str, Status, Status)> = Vec::new();
        for (caller, action) in steps {
            let before = state.clone();
            match step(&caller, &mut facts, &state, action.clone()) {
                Err(_) => prop_assert_eq!(&state, &before),
                Ok(next) => {
                    if before.status.is_terminal() && next.status != before.status {
                        let is_reopen = matches!(action, Action::Reopen { .. });
                        prop_assert!(is_reopen, "left a terminal state by {}", action.name());
                        prop_assert_eq!(before.status, Status::Closed);
                    }
                    prop_assert!(action.allowed_from().contains(&before.status));
                    if action.kind().is_handling() {
                        prop_assert_eq!(caller.department.as_ref().map(|d| d.id), Some(before.handling.id));
                    }
                    log.push((action.name(), before.status, next.status));
                    state = next;
                }
            }
            // Invariants of every reachable state.
            prop_assert!(state.status != Status::PendingSign || state.assignee.is_none());
            prop_assert_eq!(state.resolved_at.is_some(), matches!(state.status, Status::Resolved | Status::Closed));
            prop_assert!(state.rating.is_none() || state.status == Status::Closed);
            prop_assert!(!state.extension_pending || matches!(state.status, Status::Handling | Status::AwaitingInfo));
        }
        // The log replays to the current state, each step starting where the last ended.
        let mut replayed = Status::PendingSign;
        for (_, from, to) in &log {
            prop_assert_eq!(*from, replayed);
            replayed = *to;
        }
        prop_assert_eq!(replayed, state.status);
    }
}
