//! Filing a problem: checks, routing, the first clocks, numbers and notices.

use super::*;
use crate::domain::ticket::filing::{parse_filing, FilingInput, ParsedFiling};

/// What an enterprise user types to file a problem.
#[derive(Debug, Clone, Default)]
pub struct Filing {
    pub category: String,
    pub urgency: String,
    pub title: String,
    pub description: String,
    /// A county code; defaults to the enterprise's county.
    pub place: Option<String>,
    pub regions_involved: Vec<String>,
}

impl Filing {
    /// What identifies this request under an idempotency key: a SHA-256
    /// of its fields, as sent (and of the files it names, when it names any).
    fn fingerprint(&self, files: &[i64]) -> String {
        use sha2::{Digest, Sha256};
        let mut canonical = serde_json::json!([
            self.category,
            self.urgency,
            self.title,
            self.description,
            self.place,
            self.regions_involved,
        ])
        .to_string();
        if !files.is_empty() {
            canonical.push_str(&serde_json::json!(files).to_string());
        }
        Sha256::digest(canonical.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn rule_of(row: &crate::storage::routing_rules::RoutingRuleRow) -> RoutingRule {
    RoutingRule {
        id: row.id,
        name: row.name.clone(),
        category: row.category.clone(),
        urgency: row.urgency.as_deref().and_then(Urgency::parse),
        listed: row.listed.as_deref().and_then(|l| match l {
            "any" => Some(ListedMatch::Any),
            "national" => Some(ListedMatch::National),
            "provincial" => Some(ListedMatch::Provincial),
            _ => None,
        }),
        chain: row.chain_code.clone(),
        reach: row.reach.as_deref().and_then(|r| match r {
            "outside_city" => Some(Reach::OutsideCity),
            "outside_province" => Some(Reach::OutsideProvince),
            _ => None,
        }),
        target: row.target_level,
        sla_policy: row.sla_policy.clone(),
        notify_chain_platform: row.notify_chain_platform,
    }
}

/// The department at `target` level for a ticket placed in `county`.
fn target_department(
    conn: &mut AnyConnection,
    target: TargetLevel,
    county: &RegionCode,
) -> QueryResult<Option<i64>> {
    match target.region_for(county) {
        None => departments::table
            .filter(departments::kind.eq("ministry"))
            .select(departments::id)
            .first(conn)
            .optional(),
        Some((code, level)) => {
            Ok(Region::find_at(conn, code.as_str(), level)?.and_then(|r| r.department_id))
        }
    }
}

fn beijing_day(at: NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y%m%d")
        .to_string()
}

/// Files a ticket for the caller's enterprise, routed by the rules. With an
/// idempotency key, a retry returns the first ticket (and `false`).
pub async fn file(
    db: &Database,
    sla: &Sla,
    limits: &FilingLimits,
    caller: &Caller,
    input: Filing,
    key: Option<String>,
) -> Result<(Ticket, bool), TicketError> {
    let files = StepFiles::default();
    let (ticket, created, _) = filing(db, sla, limits, caller, input, files, key, false).await?;
    Ok((ticket, created))
}

/// As [`file`], with files uploaded before (`services::attachments`) that
/// the filing takes in its own transaction.
pub async fn file_with_files(
    db: &Database,
    sla: &Sla,
    limits: &FilingLimits,
    caller: &Caller,
    input: Filing,
    files: StepFiles,
    key: Option<String>,
) -> Result<(Ticket, bool), TicketError> {
    let (ticket, created, _) = filing(db, sla, limits, caller, input, files, key, false).await?;
    Ok((ticket, created))
}

/// A ticket with its timeline, as [`get`] reads it.
pub type Detail = (Loaded, Vec<TicketEvent>);

/// As [`file`], and the new ticket's detail as the filer sees it, read on
/// the same connection right after the write.
pub async fn file_and_read(
    db: &Database,
    sla: &Sla,
    limits: &FilingLimits,
    caller: &Caller,
    input: Filing,
    files: StepFiles,
    key: Option<String>,
) -> Result<(Detail, bool), TicketError> {
    let (_, created, detail) = filing(db, sla, limits, caller, input, files, key, true).await?;
    let detail = detail.ok_or(TicketError::NotFound)?;
    Ok((detail, created))
}

#[allow(clippy::too_many_arguments)]
async fn filing(
    db: &Database,
    sla: &Sla,
    limits: &FilingLimits,
    caller: &Caller,
    input: Filing,
    files: StepFiles,
    key: Option<String>,
    read_back: bool,
) -> Result<(Ticket, bool, Option<Detail>), TicketError> {
    let (Role::Enterprise, Some(enterprise_id)) = (caller.role, caller.enterprise_id) else {
        return Err(TicketError::Refused(Refusal::NotPermitted {
            key: "refusal.only_enterprises_file",
        }));
    };
    let parsed = parse_filing(&FilingInput {
        category: &input.category,
        urgency: &input.urgency,
        title: &input.title,
        description: &input.description,
        place: input.place.as_deref(),
        regions_involved: &input.regions_involved,
    });
    let ParsedFiling {
        urgency,
        title,
        description,
        place,
        involved,
        ..
    } = match parsed {
        Ok(p) => p,
        Err(mut issues) => {
            // Say everything at once: the category too, though only the
            // database knows the list (read here, off the happy path).
            let category = input.category.trim().to_string();
            if !category.is_empty() {
                let known = db
                    .run(|conn| Ok(catalogue::load(conn, List::Categories)?))
                    .await?;
                if let Err(problem) = choosable_category(&known, &category) {
                    issues.insert(0, problem);
                }
            }
            return Err(TicketError::Invalid(issues));
        }
    };
    // Every try counts, a retry under the same idempotency key too: a key
    // is the client's to choose, so it cannot buy a way round the limit.
    limits
        .admit(caller.user_id, enterprise_id)
        .map_err(TicketError::Throttled)?;
    let fingerprint = input.fingerprint(&files.ids);
    let category = input.category.trim().to_string();
    let filer = caller.user_id;
    let unverified_open = limits.unverified_open;
    // What routing reads, read first on a pooled connection, so that the
    // writer (on SQLite, one connection for every writing request) is
    // held only for the writes.
    let prepared = {
        let (sla, category, involved) = (sla.clone(), category.clone(), involved.clone());
        db.run(move |conn| {
            // Categories are kept by administrators: a retired one is not
            // chosen for a new problem.
            let categories = catalogue::load(conn, List::Categories)?;
            if let Err(problem) = choosable_category(&categories, &category) {
                return Ok(Err(TicketError::Invalid(vec![problem])));
            }
            let Some(enterprise) = Enterprise::find(conn, enterprise_id)? else {
                return Ok(Err(TicketError::NotFound));
            };
            // Well-formed codes that name no region are refused, not routed
            // to nobody or stored as if they meant something.
            let mut given: Vec<String> = involved.iter().map(|c| c.to_string()).collect();
            given.extend(place.iter().map(|c| c.to_string()));
            let unknown = if given.is_empty() {
                Vec::new()
            } else {
                Region::unknown(conn, &given)?
            };
            if !unknown.is_empty() {
                let field = if place
                    .as_ref()
                    .is_some_and(|p| unknown.contains(&p.to_string()))
                {
                    "place"
                } else {
                    "regions_involved"
                };
                return Ok(Err(TicketError::Invalid(vec![issue_with(
                    field,
                    "field.no_such_region",
                    [("codes", unknown.join(", "))],
                )])));
            }
            let unverified = !enterprise.is_verified();
            if unverified && urgency == Urgency::Critical {
                return Ok(Err(TicketError::Invalid(vec![unverified_critical()])));
            }
            let snap = sla.snapshot(conn)?;
            let routed = match route_filing(
                conn,
                &enterprise,
                place.as_ref(),
                &category,
                urgency,
                &involved,
                naive(sla.now()),
            )? {
                Err(problem) => return Ok(Err(TicketError::Invalid(vec![problem]))),
                Ok(r) => r,
            };
            let copies = crate::domain::notify::copies_after_filing(
                routed.decision.notify_chain_platform,
                &routed.platforms,
            );
            let audiences: Vec<_> = crate::domain::notify::after_filing(routed.handling)
                .iter()
                .chain(&copies)
                .map(|n| n.audience)
                .collect();
            let recipients = notify::recipients(conn, &audiences)?;
            // The filer's view names the department it went to.
            let mut names = Directory::default();
            names
                .departments
                .insert(routed.handling, routed.handling_name.clone());
            Ok(Ok((snap, routed, recipients, unverified, names)))
        })
        .await??
    };
    let (snap, routed, recipients, unverified, names) = prepared;
    let (sla, sla_for_reading) = (sla.clone(), sla.clone());
    let snap_for_reading = snap.clone();
    let (ticket, written) = db
        .run_write(move |conn| {
            let mut attempts = 0;
            loop {
                attempts += 1;
                let result = write_transaction(conn, |conn| {
                    if let Some(k) = &key {
                        if let Some((id, stored)) = store::idempotent_ticket(conn, filer, k)? {
                            if !stored.is_empty() && stored != fingerprint {
                                return Err(diesel::result::Error::QueryBuilderError(Box::new(
                                    KeyReused,
                                )));
                            }
                            return Ok((
                                Ticket::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?,
                                None,
                            ));
                        }
                    }
                    // Counted with the enterprise held, so that concurrent
                    // filings cannot all slip under the limit.
                    if unverified {
                        Enterprise::lock(conn, enterprise_id)?;
                        if Ticket::open_count_of_enterprise(conn, enterprise_id, unverified_open)?
                            >= unverified_open
                        {
                            return Err(diesel::result::Error::QueryBuilderError(Box::new(
                                TooManyOpen,
                            )));
                        }
                    }
                    let Routed {
                        place,
                        chains,
                        scopes,
                        decision,
                        handling,
                        handling_ref,
                        repeat,
                        platforms,
                        ..
                    } = routed.clone();
                    let filed = sla.now();
                    let t = naive(filed);
                    let policy = snap.policy_for(decision.sla_policy.as_deref(), urgency.as_str());
                    let clocks = Clocks::open(&snap.calendar, &policy, filed);
                    let seq = store::next_number(conn, place.as_str(), &beijing_day(t))?;
                    let ticket = Ticket::insert(
                        conn,
                        &NewTicket {
                            number: format!("{}-{}-{seq:04}", place, beijing_day(t)),
                            enterprise_id,
                            filer_id: filer,
                            category: category.clone(),
                            urgency,
                            title: title.clone(),
                            description: description.clone(),
                            place_code: place.to_string(),
                            regions_involved: involved.iter().map(|c| c.to_string()).collect(),
                            chains: chains.iter().collect(),
                            whitelisted: !scopes.is_empty(),
                            status: Status::PendingSign,
                            handling_department_id: handling,
                            sla_policy: decision.sla_policy.clone(),
                            sign_due_at: Some(naive(clocks.sign.due_at)),
                            resolve_due_at: Some(naive(clocks.resolve.due_at)),
                            filed_at: t,
                            updated_at: t,
                        },
                    )?;
                    let event = TicketEvent::first(
                        conn,
                        NewTicketEvent {
                            ticket_id: ticket.id,
                            seq: 0,
                            action: "file".into(),
                            actor_id: Some(filer),
                            actor_department_id: None,
                            from_status: None,
                            to_status: Status::PendingSign,
                            note: None,
                            detail: Some(
                                serde_json::json!({
                                    "routed_to": handling,
                                    "target_level": decision.target.as_str(),
                                    "rule_id": decision.rule_id,
                                    "why": decision.reason,
                                    "notify_chain_platform": decision.notify_chain_platform,
                                })
                                .to_string(),
                            ),
                            internal: false,
                            created_at: t,
                        },
                    )?;
                    let settled = sla::settle(
                        &sla,
                        &snap,
                        &policy,
                        ClockRow::new(ticket.id, &policy.name, &clocks),
                        &clocks,
                        &sla::ClockFacts {
                            status: Status::PendingSign,
                            handling: &handling_ref,
                            passed_through: &[],
                            sent_on: 0,
                            resolved_at: None,
                        },
                    );
                    ClockRow::insert(conn, &settled.row)?;
                    MetricsRow::insert(
                        conn,
                        &MetricsRow::of(
                            ticket.id,
                            &History::filed(
                                filed,
                                clocks.sign.due_at,
                                clocks.resolve.due_at,
                                repeat,
                            ),
                        ),
                    )?;
                    sign_windows::open(conn, ticket.id, handling, t, naive(clocks.sign.due_at))?;
                    attachments::claim_in(conn, &files, filer, ticket.id, event.id, false, t)?;
                    let summary = (&ticket).into();
                    let mut notices = notify::pending(
                        crate::domain::notify::after_filing(handling),
                        &summary,
                        serde_json::json!({ "action": "file" }),
                    );
                    notices.extend(notify::pending(
                        crate::domain::notify::copies_after_filing(
                            decision.notify_chain_platform,
                            &platforms,
                        ),
                        &summary,
                        serde_json::json!({ "action": "file", "fyi": true }),
                    ));
                    notify::enqueue_to(conn, &recipients, &notices, Some(filer), t)?;
                    if let Some(k) = &key {
                        store::remember_key(conn, filer, k, &fingerprint, ticket.id, t)?;
                    }
                    let written = Written {
                        event,
                        clock: settled.row,
                        handling: handling_ref,
                    };
                    Ok::<_, diesel::result::Error>((ticket, Some(written)))
                });
                match result {
                    Err(e) if store::is_unique_violation(&e) && attempts < 5 => continue,
                    Err(e) if attachments::refused_claim(&e).is_some() => {
                        let refusal = attachments::refused_claim(&e).expect("just seen");
                        return Ok(Err(TicketError::Files(refusal)));
                    }
                    Err(diesel::result::Error::QueryBuilderError(e)) if e.is::<TooManyOpen>() => {
                        return Ok(Err(TicketError::Invalid(vec![too_many_open(
                            unverified_open,
                        )])))
                    }
                    Err(diesel::result::Error::QueryBuilderError(e)) if e.is::<KeyReused>() => {
                        return Ok(Err(TicketError::KeyReused))
                    }
                    other => return Ok(Ok(other?)),
                }
            }
        })
        .await??;
    let created = written.is_some();
    let detail = match (read_back, written) {
        (false, _) => None,
        // What was just committed: the filer's view needs no second read.
        (true, Some(w)) => Some(new_detail(
            &sla_for_reading,
            &snap_for_reading,
            ticket.clone(),
            w,
            names,
        )?),
        // A repeated filing: the ticket as it stands now.
        (true, None) => {
            let sla = sla_for_reading;
            let id = ticket.id;
            db.run(move |conn| Ok(read_detail(conn, &sla, id)?)).await?
        }
    };
    Ok((ticket, created, detail))
}

/// The rows a filing wrote besides the ticket, for its detail.
struct Written {
    event: TicketEvent,
    clock: ClockRow,
    handling: DepartmentRef,
}

/// A new ticket's detail, from the rows its filing wrote.
fn new_detail(
    sla: &Sla,
    snap: &sla::Snapshot,
    ticket: Ticket,
    w: Written,
    names: Directory,
) -> Result<Detail, TicketError> {
    let paths = std::collections::HashMap::from([(w.handling.id, w.handling.path)]);
    let mut l = assemble(ticket, Vec::new(), &paths, Some(w.clock))?;
    l.directory = names;
    if let (Some(row), Some(s), Some(r)) = (&l.clock, l.ticket.sign_due_at, l.ticket.resolve_due_at)
    {
        l.clocks = Some(sla::clock_state(snap, row, l.state.status, s, r, sla.now()));
    }
    Ok((l, vec![w.event]))
}

/// Where a filing goes, and what decided it.
#[derive(Clone)]
struct Routed {
    place: RegionCode,
    chains: Vec<String>,
    scopes: Vec<String>,
    decision: routing::RoutingDecision,
    handling: i64,
    handling_ref: DepartmentRef,
    handling_name: crate::storage::names::DepartmentName,
    /// The enterprise filed one of the same category in the 30 days before.
    repeat: bool,
    /// The platforms of the enterprise's chains, when the rule tells them.
    platforms: Vec<i64>,
}

/// Whether the account existed (and so spoke for the enterprise) when the
/// ticket was filed: an account made or attached later, by a changed
/// contact or anyone else, does not rate what it did not file or follow.
pub(super) fn joined_before(
    conn: &mut AnyConnection,
    user_id: i64,
    filed_at: NaiveDateTime,
) -> QueryResult<bool> {
    use crate::storage::users::User;
    Ok(User::find(conn, user_id)?.is_some_and(|u| u.created_at <= filed_at))
}

/// Raised inside the filing transaction when the idempotency key was used
/// for another request.
#[derive(Debug, thiserror::Error)]
#[error("the idempotency key was used for another request")]
struct KeyReused;

/// Raised inside the filing transaction when an unverified enterprise has
/// its fill of open problems.
#[derive(Debug, thiserror::Error)]
#[error("an unverified enterprise has its fill of open problems")]
struct TooManyOpen;

fn unverified_critical() -> FieldIssue {
    issue("urgency", "field.unverified_no_critical")
}

fn too_many_open(limit: i64) -> FieldIssue {
    issue_with(
        "urgency",
        "field.unverified_open_limit",
        [("limit", limit.to_string())],
    )
}

/// Routes a filing of the enterprise: a field problem when no place or no
/// department fits.
fn route_filing(
    conn: &mut AnyConnection,
    enterprise: &Enterprise,
    place: Option<&RegionCode>,
    category: &str,
    urgency: Urgency,
    involved: &[RegionCode],
    at: chrono::NaiveDateTime,
) -> QueryResult<Result<Routed, FieldIssue>> {
    let enterprise_id = enterprise.id;
    let place = match place {
        Some(p) => p.clone(),
        None => match RegionCode::parse(&enterprise.county_code) {
            Ok(c) => c,
            Err(_) => return Ok(Err(issue("place", "field.place_required"))),
        },
    };
    let chains = enterprises::chains_of(conn, &[enterprise_id])?
        .remove(&enterprise_id)
        .unwrap_or_default();
    let scopes: Vec<String> = whitelist_entries::table
        .filter(whitelist_entries::enterprise_id.eq(enterprise_id))
        .filter(whitelist_entries::removed_on.is_null())
        .select(whitelist_entries::scope)
        .load(conn)?;
    let rules: Vec<RoutingRule> = crate::storage::routing_rules::routing_rules(conn)?
        .iter()
        .map(rule_of)
        .collect();
    let decision = routing::route(
        &rules,
        &RoutingInput {
            category: category.to_string(),
            urgency,
            place: place.clone(),
            regions_involved: involved.to_vec(),
            national_listed: scopes.iter().any(|s| s == "national"),
            provincial_listed: scopes.iter().any(|s| s != "national"),
            chains: chains.clone(),
        },
    );
    let Some(handling) = target_department(conn, decision.target, &place)? else {
        return Ok(Err(issue("place", "field.no_department_for_place")));
    };
    // Its path routes the ticket; its name and phone go to the filer.
    let (path, name, phone): (String, String, Option<String>) = departments::table
        .find(handling)
        .select((departments::path, departments::name, departments::phone))
        .first(conn)?;
    let handling_ref = DepartmentRef { id: handling, path };
    let handling_name = crate::storage::names::DepartmentName { name, phone };
    // Counted before this ticket exists: any earlier one is another.
    let repeat = metrics::is_repeat(conn, enterprise_id, category, at, 0)?;
    let platforms = if decision.notify_chain_platform && !chains.is_empty() {
        departments::table
            .filter(departments::kind.eq("chain_platform"))
            .filter(departments::chain_code.eq_any(&chains))
            .filter(departments::active.eq(true))
            .select(departments::id)
            .load(conn)?
    } else {
        Vec::new()
    };
    Ok(Ok(Routed {
        place,
        chains,
        scopes,
        decision,
        handling,
        handling_ref,
        handling_name,
        repeat,
        platforms,
    }))
}
