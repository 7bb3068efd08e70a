//! An action on a ticket: checked, decided, written with its event, clocks,
//! metric history and notices in one transaction.

use super::*;

/// The note an action carries into the event log.
fn note_of(action: &Action) -> Option<String> {
    match action {
        Action::Transfer { reason, .. }
        | Action::Escalate { reason, .. }
        | Action::TakeOver { reason, .. }
        | Action::Return { reason, .. }
        | Action::RequestExtension { reason, .. }
        | Action::Reopen { reason }
        | Action::Reject { reason }
        | Action::Withdraw { reason } => Some(reason.clone()),
        Action::PostOpinion { opinion } => Some(opinion.clone()),
        Action::RequestInfo { question } => Some(question.clone()),
        Action::ProvideInfo { answer } => Some(answer.clone()),
        Action::DecideExtension { note, .. } | Action::Urge { note } => Some(note.clone()),
        Action::Resolve { resolution } => Some(resolution.clone()),
        Action::Rate { comment, .. } => Some(comment.clone()),
        Action::Comment { text, .. } => Some(text.clone()),
        _ => None,
    }
    .filter(|n| !n.trim().is_empty())
}

/// Staff's own business, hidden from the enterprise: internal comments,
/// co-handling, assignment, urging and extensions.
fn is_internal(action: &Action) -> bool {
    matches!(
        action,
        Action::Comment { internal: true, .. }
            | Action::PostOpinion { .. }
            | Action::AddCohandler { .. }
            | Action::ReleaseCohandler { .. }
            | Action::Assign { .. }
            | Action::Urge { .. }
            | Action::RequestExtension { .. }
            | Action::DecideExtension { .. }
    )
}

fn detail_of(action: &Action) -> Option<String> {
    let v = match action {
        Action::Assign { assignee } => serde_json::json!({ "assignee": assignee }),
        Action::Transfer {
            target,
            reason_public,
            ..
        } => serde_json::json!({ "target": target.id, "reason_public": reason_public }),
        Action::Escalate { reason_public, .. }
        | Action::TakeOver { reason_public, .. }
        | Action::Return { reason_public, .. } => {
            serde_json::json!({ "reason_public": reason_public })
        }
        Action::AddCohandler { department } => serde_json::json!({ "department": department.id }),
        Action::ReleaseCohandler { department_id } => {
            serde_json::json!({ "department": department_id })
        }
        Action::RequestExtension { working_days, .. } => {
            serde_json::json!({ "working_days": working_days })
        }
        Action::DecideExtension { approve, .. } => serde_json::json!({ "approve": approve }),
        Action::Rate {
            satisfaction,
            solved,
            ..
        } => {
            serde_json::json!({ "satisfaction": satisfaction.as_str(), "solved": solved })
        }
        _ => return None,
    };
    Some(v.to_string())
}

/// Checks references an action names: the assignee works in the handling
/// department; target and co-handling departments exist.
fn check_references(
    conn: &mut AnyConnection,
    loaded: &Loaded,
    action: &Action,
) -> QueryResult<Option<Refusal>> {
    use crate::storage::users::User;
    match action {
        Action::Assign { assignee } => {
            let ok = User::find(conn, *assignee)?.is_some_and(|u| {
                u.active
                    && u.department_id == Some(loaded.ticket.handling_department_id)
                    && matches!(u.role.as_str(), "officer" | "lead")
            });
            Ok((!ok).then_some(Refusal::Rule {
                code: "assignee-not-eligible",
                zh: "只能指派给承办部门在岗的经办人或负责人。",
                en: "Assign to an active officer or lead of the handling department.",
            }))
        }
        Action::Transfer { target, .. } | Action::AddCohandler { department: target } => {
            let ok = Department::find(conn, target.id)?
                .is_some_and(|d| d.active && d.path == target.path);
            Ok((!ok).then_some(Refusal::Rule {
                code: "no-such-department",
                zh: "没有这个部门。",
                en: "There is no such department.",
            }))
        }
        _ => Ok(None),
    }
}

/// Takes an action. `expected_version` (from If-Match) must match when given;
/// either way the write checks the version it read, so of two concurrent
/// actions one wins and the other gets a conflict.
pub async fn act(
    db: &Database,
    sla: &Sla,
    caller: &Caller,
    id: i64,
    action: Action,
    expected_version: Option<i32>,
) -> Result<Ticket, TicketError> {
    let caller = caller.clone();
    let sla = sla.clone();
    // On the writer from the start: the checks read what the write then
    // changes, and on SQLite its page cache already holds them.
    db.run_write(move |conn| {
        let snap = sla.snapshot(conn)?;
        let Some(loaded) = load(conn, id)? else {
            return Ok(Err(TicketError::NotFound));
        };
        if !may_read_ticket(&caller, &loaded.facts) {
            return Ok(Err(TicketError::NotFound));
        }
        if expected_version.is_some_and(|v| v != loaded.ticket.version) {
            return Ok(Err(TicketError::Stale(Box::new(loaded.ticket))));
        }
        if matches!(action, Action::Rate { .. })
            && !joined_before(conn, caller.user_id, loaded.ticket.filed_at)?
        {
            return Ok(Err(TicketError::Refused(Refusal::NotPermitted {
                zh: "您的账号是在这件诉求提交之后才加入企业的，不能评价它；请由提交时已在企业的账号评价。",
                en: "Your account joined the enterprise after this problem was filed, so it cannot rate it; an account that was there when it was filed can.",
            })));
        }
        let at = sla.now();
        let t = naive(at);
        let next = match decide(&caller, &loaded.facts, &loaded.state, &action, t) {
            Ok(n) => n,
            Err(r) => return Ok(Err(TicketError::Refused(r))),
        };
        if let Some(r) = check_references(conn, &loaded, &action)? {
            return Ok(Err(TicketError::Refused(r)));
        }
        let old = &loaded.ticket;
        // A department that assigns automatically gets an officer on sign-for.
        let auto_assignee = if matches!(action, Action::SignFor | Action::TakeOver { .. })
            && next.assignee.is_none()
        {
            match Department::find(conn, next.handling.id)? {
                Some(d) if d.auto_assign => least_loaded_officer(conn, d.id)?,
                _ => None,
            }
        } else {
            None
        };
        let (rating, solved) = match &action {
            Action::Rate {
                satisfaction,
                solved,
                ..
            } => (Some(satisfaction.as_str().to_string()), Some(*solved)),
            Action::Reopen { .. } => (None, None),
            _ => (old.rating.clone(), old.solved),
        };
        let policy = snap.clock_policy(
            loaded.clock.as_ref().map(|c| c.policy.as_str()),
            old.sla_policy.as_deref(),
            &old.urgency,
        );
        let (row, mut clocks) = sla::stored_clocks(
            &snap,
            &policy,
            id,
            loaded.clock.clone(),
            old.sign_due_at,
            old.resolve_due_at,
            old.filed_at,
        );
        clocks.apply(&snap.calendar, &policy, sla::clock_change(&action), at);
        let mut passed = loaded.facts.passed_through.clone();
        if next.handling.id != loaded.state.handling.id {
            passed.push(loaded.state.handling.clone());
        }
        let mut settled = sla::settle(
            &sla,
            &snap,
            &policy,
            row,
            &clocks,
            &sla::ClockFacts {
                status: next.status,
                handling: &next.handling,
                passed_through: &passed,
                sent_on: next.sent_on,
                resolved_at: next.resolved_at,
            },
        );
        settled.row.closed_at = next.closed_at;
        let change = TicketChange {
            status: next.status.as_str().into(),
            version: old.version + 1,
            handling_department_id: next.handling.id,
            sent_from_department_id: next.sent_from.as_ref().map(|d| d.id),
            assignee_id: next.assignee.or(auto_assignee),
            extension_pending: next.extension_pending,
            sign_due_at: Some(settled.sign_due_at),
            resolve_due_at: Some(settled.resolve_due_at),
            overdue: settled.overdue,
            escalation_level: settled.escalation_level,
            urged_count: next.urged,
            reopened_count: next.reopened,
            sent_on_count: next.sent_on,
            rating,
            solved,
            signed_at: if matches!(action, Action::SignFor) {
                Some(t)
            } else {
                old.signed_at
            },
            resolved_at: next.resolved_at,
            updated_at: t,
        };
        let written = write_transaction(conn, |conn| {
            ClockRow::lock(conn, id)?;
            if !Ticket::update_if_version(conn, id, old.version, &change)? {
                return Ok(false);
            }
            if let Action::Rate {
                satisfaction,
                solved,
                ..
            } = &action
            {
                TicketRating::record(conn, id, caller.user_id, satisfaction.as_str(), *solved, t)?;
            }
            ClockRow::save(conn, &settled.row)?;
            let step = Step {
                at,
                from: loaded.state.status,
                to: next.status,
                moved: next.handling.id != loaded.state.handling.id,
                returned: matches!(action, Action::Return { .. }),
                rated: matches!(action, Action::Rate { .. }),
                resolve_due_before: old.resolve_due_at.map(|d| d.and_utc()),
                resolve_due_after: Some(settled.resolve_due_at.and_utc()),
            };
            if step.answers_sign_window() {
                sign_windows::answer(conn, id, t)?;
            }
            if step.opens_sign_window() {
                sign_windows::open(conn, id, next.handling.id, t, settled.sign_due_at)?;
            }
            if let Some(row) = MetricsRow::find(conn, id)? {
                let filed = old.filed_at.and_utc();
                let before = row.history();
                let after = before.after(&step, |to| {
                    snap.calendar.working_minutes_between(filed, to)
                });
                // Written even when the history is the same: the ticket's
                // status or rating may have changed its record, and the
                // write marks it for the daily totals.
                MetricsRow::update(conn, &MetricsRow::of(id, &after))?;
            }
            if next.handling.id != loaded.state.handling.id {
                TicketDepartment::put(
                    conn,
                    &TicketDepartment {
                        ticket_id: id,
                        department_id: loaded.state.handling.id,
                        role: "passed".into(),
                        opinion: None,
                        opinion_posted: false,
                        released: false,
                    },
                )?;
            }
            for c in &next.cohandlers {
                let before = loaded
                    .state
                    .cohandlers
                    .iter()
                    .find(|b| b.department.id == c.department.id);
                if before != Some(c) {
                    let opinion = match &action {
                        Action::PostOpinion { opinion }
                            if caller.department.as_ref().map(|d| d.id)
                                == Some(c.department.id) =>
                        {
                            Some(opinion.clone())
                        }
                        _ => loaded
                            .departments
                            .iter()
                            .find(|d| d.department_id == c.department.id && d.role == "cohandler")
                            .and_then(|d| d.opinion.clone()),
                    };
                    TicketDepartment::put(
                        conn,
                        &TicketDepartment {
                            ticket_id: id,
                            department_id: c.department.id,
                            role: "cohandler".into(),
                            opinion,
                            opinion_posted: c.opinion_posted,
                            released: c.released,
                        },
                    )?;
                }
            }
            crate::services::cohandling::after_action(
                conn,
                &snap,
                &policy,
                id,
                &loaded.state.cohandlers,
                &next.cohandlers,
                settled.resolve_due_at,
                at,
            )?;
            TicketEvent::append(
                conn,
                NewTicketEvent {
                    ticket_id: id,
                    seq: 0,
                    action: action.name().into(),
                    actor_id: Some(caller.user_id),
                    actor_department_id: caller.department.as_ref().map(|d| d.id),
                    from_status: Some(loaded.state.status.as_str().into()),
                    to_status: next.status.as_str().into(),
                    note: note_of(&action),
                    detail: detail_of(&action),
                    internal: is_internal(&action),
                    created_at: t,
                },
            )?;
            let notices = crate::domain::notify::after_action(
                &action,
                &loaded.state,
                &next,
                old.enterprise_id,
                auto_assignee,
                caller.role == Role::Enterprise,
            );
            let extra = serde_json::json!({
                "action": action.name(),
                "note": note_of(&action),
                "status": next.status.as_str(),
                "sign_due_at": settled.sign_due_at.and_utc(),
                "resolve_due_at": settled.resolve_due_at.and_utc(),
                "approve": matches!(action, Action::DecideExtension { approve: true, .. }),
            });
            notify::enqueue(
                conn,
                &notify::pending(notices, &old.into(), extra),
                Some(caller.user_id),
                t,
            )?;
            if let Some(officer) = auto_assignee {
                TicketEvent::append(
                    conn,
                    NewTicketEvent {
                        ticket_id: id,
                        seq: 0,
                        action: "auto_assign".into(),
                        actor_id: None,
                        actor_department_id: Some(next.handling.id),
                        from_status: Some(next.status.as_str().into()),
                        to_status: next.status.as_str().into(),
                        note: None,
                        detail: Some(serde_json::json!({ "assignee": officer }).to_string()),
                        internal: true,
                        created_at: t,
                    },
                )?;
            }
            Ok::<_, diesel::result::Error>(true)
        });
        match written {
            Ok(true) => Ok(Ok(
                Ticket::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?
            )),
            // Lost the race: report how the ticket stands now. To a caller
            // that named the version it read, that version is stale.
            Ok(false) => {
                let now = Box::new(Ticket::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?);
                Ok(Err(if expected_version.is_some() {
                    TicketError::Stale(now)
                } else {
                    TicketError::Conflict(now)
                }))
            }
            Err(e) if store::is_unique_violation(&e) => Ok(Err(TicketError::Conflict(Box::new(
                Ticket::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?,
            )))),
            Err(e) => Err(e.into()),
        }
    })
    .await?
}

/// The active officer of the department with the fewest open tickets
/// (ties: the longest-serving account).
fn least_loaded_officer(conn: &mut AnyConnection, department_id: i64) -> QueryResult<Option<i64>> {
    use crate::storage::schema::users;
    let officers: Vec<i64> = users::table
        .filter(users::department_id.eq(department_id))
        .filter(users::role.eq("officer"))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(users::id)
        .load(conn)?;
    let loads: Vec<(Option<i64>, i64)> = tickets::table
        .filter(tickets::assignee_id.eq_any(&officers))
        .filter(tickets::status.eq_any(["pending_sign", "handling", "awaiting_info"]))
        .group_by(tickets::assignee_id)
        .select((tickets::assignee_id, diesel::dsl::count_star()))
        .load(conn)?;
    let load_of = |id: i64| {
        loads
            .iter()
            .find(|(a, _)| *a == Some(id))
            .map_or(0, |(_, n)| *n)
    };
    Ok(officers.into_iter().min_by_key(|id| (load_of(*id), *id)))
}
