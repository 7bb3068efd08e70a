//! An action on a ticket: checked, decided, written with its event, clocks,
//! metric history and notices in one transaction.

use super::*;

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
                    && matches!(u.role, Role::Officer | Role::Lead)
            });
            Ok((!ok).then_some(Refusal::Rule {
                code: "assignee-not-eligible",
            }))
        }
        Action::Transfer { target, .. } | Action::AddCohandler { department: target } => {
            let ok = Department::find(conn, target.id)?
                .is_some_and(|d| d.active && d.path == target.path);
            Ok((!ok).then_some(Refusal::Rule {
                code: "no-such-department",
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
    act_with_files(
        db,
        sla,
        caller,
        id,
        action,
        expected_version,
        StepFiles::default(),
    )
    .await
}

/// As [`act`], with files uploaded before (`services::attachments`) that
/// the step takes in its own transaction, as visible as the step is.
pub async fn act_with_files(
    db: &Database,
    sla: &Sla,
    caller: &Caller,
    id: i64,
    action: Action,
    expected_version: Option<i32>,
    files: StepFiles,
) -> Result<Ticket, TicketError> {
    attachments::check_step_kind(action.kind(), &files).map_err(TicketError::Files)?;
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
                key: "refusal.joined_after_filing",
            })));
        }
        let at = sla.now();
        let t = naive(at);
        let next = match decide(&caller, &loaded.facts, &loaded.state, &action, at) {
            Ok(n) => n,
            Err(r) => return Ok(Err(TicketError::Refused(r))),
        };
        if let Some(r) = check_references(conn, &loaded, &action)? {
            return Ok(Err(TicketError::Refused(r)));
        }
        let old = &loaded.ticket;
        // A department that assigns automatically gets an officer on sign-for.
        let auto_assignee = if wants_officer(&action, &next) {
            match Department::find(conn, next.handling.id)? {
                Some(d) if d.auto_assign => least_loaded_officer(conn, d.id)?,
                _ => None,
            }
        } else {
            None
        };
        let plan = crate::domain::ticket::plan(PlanInput {
            caller: &caller,
            before: &loaded.state,
            next,
            action: &action,
            enterprise_id: old.enterprise_id,
            auto_assignee,
        });
        let next = &plan.next;
        // The clocks: the same pure calculation, over the calendar loaded.
        let policy = snap.clock_policy(
            loaded.clock.as_ref().map(|c| c.policy.as_str()),
            old.sla_policy.as_deref(),
            old.urgency.as_str(),
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
        clocks.apply(&snap.calendar, &policy, plan.clock_change, at);
        let mut passed = loaded.facts.passed_through.clone();
        if plan.passed_on_by.is_some() {
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
                resolved_at: next.resolved_at.map(|d| d.naive_utc()),
            },
        );
        settled.row.closed_at = next.closed_at.map(|d| d.naive_utc());
        let change = TicketChange {
            status: next.status,
            version: old.version + 1,
            handling_department_id: next.handling.id,
            sent_from_department_id: next.sent_from.as_ref().map(|d| d.id),
            assignee_id: plan.assignee,
            extension_pending: next.extension_pending,
            sign_due_at: Some(settled.sign_due_at),
            resolve_due_at: Some(settled.resolve_due_at),
            overdue: settled.overdue,
            escalation_level: settled.escalation_level,
            urged_count: next.urged,
            reopened_count: next.reopened,
            sent_on_count: next.sent_on,
            rating: plan.rating,
            solved: plan.solved,
            signed_at: if plan.signs_for {
                Some(t)
            } else {
                old.signed_at
            },
            resolved_at: next.resolved_at.map(|d| d.naive_utc()),
            updated_at: t,
        };
        let step = plan.step(
            &loaded.state,
            &action,
            at,
            old.resolve_due_at.map(|d| d.and_utc()),
            Some(settled.resolve_due_at.and_utc()),
        );
        // Applying the plan: every row it names, in one transaction.
        let written = write_transaction(conn, |conn| {
            ClockRow::lock(conn, id)?;
            if !Ticket::update_if_version(conn, id, old.version, &change)? {
                return Ok(false);
            }
            if let Some((satisfaction, solved)) = plan.rating_given {
                TicketRating::record(conn, id, caller.user_id, satisfaction.as_str(), solved, t)?;
            }
            ClockRow::save(conn, &settled.row)?;
            if step.answers_sign_window() {
                sign_windows::answer(conn, id, t)?;
            }
            if step.opens_sign_window() {
                sign_windows::open(conn, id, next.handling.id, t, settled.sign_due_at)?;
            }
            if let Some(row) = MetricsRow::find(conn, id)? {
                let filed = old.filed_at.and_utc();
                let before = row.history();
                let after =
                    before.after(&step, |to| snap.calendar.working_minutes_between(filed, to));
                // Written even when the history is the same: the ticket's
                // status or rating may have changed its record, and the
                // write marks it for the daily totals.
                MetricsRow::update(conn, &MetricsRow::of(id, &after))?;
            }
            if let Some(department_id) = plan.passed_on_by {
                TicketDepartment::put(
                    conn,
                    &TicketDepartment {
                        ticket_id: id,
                        department_id,
                        role: Involvement::Passed,
                        opinion: None,
                        opinion_posted: false,
                        released: false,
                    },
                )?;
            }
            for c in &plan.cohandler_rows {
                let on_record = || {
                    loaded
                        .departments
                        .iter()
                        .find(|d| {
                            d.department_id == c.department_id && d.role == Involvement::Cohandler
                        })
                        .and_then(|d| d.opinion.clone())
                };
                TicketDepartment::put(
                    conn,
                    &TicketDepartment {
                        ticket_id: id,
                        department_id: c.department_id,
                        role: Involvement::Cohandler,
                        opinion: c.posted_opinion.clone().or_else(on_record),
                        opinion_posted: c.opinion_posted,
                        released: c.released,
                    },
                )?;
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
            let mut step_event = None;
            for e in &plan.events {
                let written = TicketEvent::append(
                    conn,
                    NewTicketEvent {
                        ticket_id: id,
                        seq: 0,
                        action: e.action.into(),
                        actor_id: e.actor_id,
                        actor_department_id: e.actor_department_id,
                        from_status: Some(e.from),
                        to_status: e.to,
                        note: e.note.clone(),
                        detail: e.detail.clone(),
                        internal: e.internal,
                        created_at: t,
                    },
                )?;
                step_event.get_or_insert((written.id, written.internal));
            }
            if let Some((event_id, internal)) = step_event {
                attachments::claim_in(conn, &files, caller.user_id, id, event_id, internal, t)?;
            }
            let extra = serde_json::json!({
                "action": action.name(),
                "note": plan.events[0].note,
                "status": next.status.as_str(),
                "sign_due_at": settled.sign_due_at.and_utc(),
                "resolve_due_at": settled.resolve_due_at.and_utc(),
                "approve": matches!(action, Action::DecideExtension { approve: true, .. }),
            });
            notify::enqueue(
                conn,
                &notify::pending(plan.notices.clone(), &old.into(), extra),
                Some(caller.user_id),
                t,
            )?;
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
            Err(e) if attachments::refused_claim(&e).is_some() => Ok(Err(TicketError::Files(
                attachments::refused_claim(&e).expect("just seen"),
            ))),
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
        .filter(users::role.eq(Role::Officer))
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
