//! Filing, acting on and reading tickets. Every state change is one write
//! transaction: the ticket (checked against the version it was read at),
//! its departments and its event.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::access::{may_read_ticket, Caller, DepartmentRef, TicketFacts};
use crate::domain::catalogue::choosable_category;
use crate::domain::enterprise::{is_county, issue, FieldIssue};
use crate::domain::metrics::history::{History, Step};
use crate::domain::region::{RegionCode, RegionLevel};
use crate::domain::role::Role;
use crate::domain::routing::{
    self, ListedMatch, Reach, RoutingInput, RoutingRule, TargetLevel, Urgency,
};
use crate::domain::sla::Clocks;
use crate::domain::ticket::{
    decide, Action, Cohandler, Refusal, Satisfaction, Status, TicketState,
};
use crate::services::filing_limits::FilingLimits;
use crate::services::notify;
use crate::services::sla::{self, Sla};
use crate::storage::catalogue::{self, List};
use crate::storage::departments::Department;
use crate::storage::enterprises::{self, Enterprise};
use crate::storage::metrics::{self, MetricsRow};
use crate::storage::names::Directory;
use crate::storage::ratings::TicketRating;
use crate::storage::regions::Region;
use crate::storage::schema::{departments, ticket_departments, tickets, whitelist_entries};
use crate::storage::sign_windows;
use crate::storage::sla::{naive, ClockRow, SlaEvent};
use crate::storage::tickets::{
    self as store, NewTicket, NewTicketEvent, Ticket, TicketChange, TicketDepartment, TicketEvent,
    TicketFilter,
};
use crate::storage::{write_transaction, AnyConnection, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("invalid fields")]
    Invalid(Vec<FieldIssue>),
    /// Not there, or not the caller's to see.
    #[error("not found")]
    NotFound,
    #[error("refused")]
    Refused(Refusal),
    /// Someone changed the ticket first; here is how it stands now.
    #[error("conflict")]
    Conflict(Box<Ticket>),
    /// The version the caller read (`If-Match`) is no longer the ticket's.
    #[error("stale version")]
    Stale(Box<Ticket>),
    /// Filing too fast: seconds to wait.
    #[error("too many filings")]
    Throttled(u64),
    /// An idempotency key sent again with a different request.
    #[error("idempotency key reused")]
    KeyReused,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for TicketError {
    fn from(e: diesel::result::Error) -> Self {
        TicketError::Storage(e.into())
    }
}

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
    /// of its fields, as sent.
    fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let canonical = serde_json::json!([
            self.category,
            self.urgency,
            self.title,
            self.description,
            self.place,
            self.regions_involved,
        ])
        .to_string();
        Sha256::digest(canonical.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    issues: &mut Vec<FieldIssue>,
) -> String {
    let v = value.trim().to_string();
    if v.is_empty() || v.chars().count() > max || crate::domain::ticket::has_control_characters(&v)
    {
        issues.push(issue(
            field,
            format!("请填写，最多 {max} 个字符，不含控制字符。"),
            format!("Required, at most {max} characters, no control characters."),
        ));
    }
    v
}

fn rule_of(row: &store::RoutingRuleRow) -> RoutingRule {
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
        target: TargetLevel::parse(&row.target_level).unwrap_or(TargetLevel::County),
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
            Ok(Region::find_at(conn, code.as_str(), level.as_str())?.and_then(|r| r.department_id))
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
    let (ticket, created, _) = filing(db, sla, limits, caller, input, key, false).await?;
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
    key: Option<String>,
) -> Result<(Detail, bool), TicketError> {
    let (_, created, detail) = filing(db, sla, limits, caller, input, key, true).await?;
    let detail = detail.ok_or(TicketError::NotFound)?;
    Ok((detail, created))
}

async fn filing(
    db: &Database,
    sla: &Sla,
    limits: &FilingLimits,
    caller: &Caller,
    input: Filing,
    key: Option<String>,
    read_back: bool,
) -> Result<(Ticket, bool, Option<Detail>), TicketError> {
    let (Role::Enterprise, Some(enterprise_id)) = (caller.role, caller.enterprise_id) else {
        return Err(TicketError::Refused(Refusal::NotPermitted {
            zh: "只有企业用户可以提交诉求。",
            en: "Only enterprise users file problems.",
        }));
    };
    let mut issues = Vec::new();
    if input.category.trim().is_empty() {
        issues.push(issue("category", "请选择诉求类别。", "Choose a category."));
    }
    let urgency = Urgency::parse(input.urgency.trim());
    if urgency.is_none() {
        issues.push(issue(
            "urgency",
            "紧急程度应为一般、紧急或特急。",
            "The urgency is normal, urgent or critical.",
        ));
    }
    let title = check_text("title", &input.title, 200, &mut issues);
    let description = check_text("description", &input.description, 5000, &mut issues);
    let place = match input
        .place
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(p) => match RegionCode::parse(p).ok().filter(is_county) {
            Some(c) => Some(c),
            None => {
                issues.push(issue(
                    "place",
                    "发生地应为县级区划代码。",
                    "The place is a county-level region code.",
                ));
                None
            }
        },
    };
    let mut involved = Vec::new();
    if input.regions_involved.len() > 20 {
        issues.push(issue(
            "regions_involved",
            "最多 20 个相关地区。",
            "At most 20 regions involved.",
        ));
    }
    for r in &input.regions_involved {
        match RegionCode::parse(r) {
            Ok(c) => involved.push(c),
            Err(_) => issues.push(issue(
                "regions_involved",
                format!("“{r}”不是区划代码。"),
                format!("`{r}` is not a region code."),
            )),
        }
    }
    let (Some(urgency), true) = (urgency, issues.is_empty()) else {
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
    };
    // Every try counts, a retry under the same idempotency key too: a key
    // is the client's to choose, so it cannot buy a way round the limit.
    limits
        .admit(caller.user_id, enterprise_id)
        .map_err(TicketError::Throttled)?;
    let fingerprint = input.fingerprint();
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
                return Ok(Err(TicketError::Invalid(vec![issue(
                    field,
                    format!("没有这个区划代码：{}。", unknown.join("、")),
                    format!("No region has the code {}.", unknown.join(", ")),
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
                        if Ticket::open_count_of_enterprise(conn, enterprise_id)? >= unverified_open
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
                            urgency: urgency.as_str().into(),
                            title: title.clone(),
                            description: description.clone(),
                            place_code: place.to_string(),
                            regions_involved: involved
                                .iter()
                                .map(|c| c.to_string())
                                .collect::<Vec<_>>()
                                .join(","),
                            chains: if chains.is_empty() {
                                String::new()
                            } else {
                                format!(",{},", chains.join(","))
                            },
                            whitelisted: !scopes.is_empty(),
                            status: Status::PendingSign.as_str().into(),
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
                            to_status: Status::PendingSign.as_str().into(),
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
fn joined_before(
    conn: &mut AnyConnection,
    user_id: i64,
    filed_at: NaiveDateTime,
) -> QueryResult<bool> {
    use crate::storage::users::User;
    Ok(User::find(conn, user_id)?.is_some_and(|u| u.created_at <= filed_at))
}

/// Raised inside the filing transaction when the idempotency key was used
/// for another request.
#[derive(Debug)]
struct KeyReused;

impl std::fmt::Display for KeyReused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the idempotency key was used for another request")
    }
}

impl std::error::Error for KeyReused {}

/// Raised inside the filing transaction when an unverified enterprise has
/// its fill of open problems.
#[derive(Debug)]
struct TooManyOpen;

impl std::fmt::Display for TooManyOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an unverified enterprise has its fill of open problems")
    }
}

impl std::error::Error for TooManyOpen {}

fn unverified_critical() -> FieldIssue {
    issue(
        "urgency",
        "贵企业尚待所在县级工业和信息化主管部门核验，核验通过前不能提交“特急”诉求，请选择“紧急”或“一般”。",
        "Your enterprise awaits verification by its county department; until then it cannot file critical problems. Choose urgent or normal.",
    )
}

fn too_many_open(limit: i64) -> FieldIssue {
    issue(
        "urgency",
        format!("贵企业尚待所在县级工业和信息化主管部门核验，核验通过前同时办理中的诉求最多 {limit} 件。请等已有诉求办结后再提交，或联系县级主管部门尽快核验。"),
        format!("Your enterprise awaits verification by its county department; until then it may have at most {limit} open problems. File again once one is resolved, or ask the county department to verify it."),
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
            Err(_) => {
                return Ok(Err(issue(
                    "place",
                    "请填写发生地（县级区划代码）。",
                    "Give the place (a county-level region code).",
                )))
            }
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
    let rules: Vec<RoutingRule> = store::routing_rules(conn)?.iter().map(rule_of).collect();
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
        return Ok(Err(issue(
            "place",
            "没有部门负责这个发生地，请联系管理员。",
            "No department serves this place; contact an administrator.",
        )));
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

/// A ticket with everything authorization and the state machine need.
pub struct Loaded {
    pub ticket: Ticket,
    pub facts: TicketFacts,
    pub state: TicketState,
    pub departments: Vec<TicketDepartment>,
    pub clock: Option<ClockRow>,
    /// Both SLA clocks as they stand (filled when read for a person).
    pub clocks: Option<sla::ClockState>,
    /// Warnings and overdue days (filled when read for a person).
    pub sla_events: Vec<SlaEvent>,
    /// Names of the departments and people it mentions (filled when read
    /// for a person).
    pub directory: Directory,
    /// The co-handlers' clocks (filled when read for a person).
    pub cohandling: Vec<crate::storage::cohandling::CohandlingClock>,
}

pub fn load(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Loaded>> {
    let Some(ticket) = Ticket::find(conn, id)? else {
        return Ok(None);
    };
    let departments = TicketDepartment::of_ticket(conn, id)?;
    // Every department the ticket refers to, in one query.
    let mut ids: Vec<i64> = departments.iter().map(|d| d.department_id).collect();
    ids.push(ticket.handling_department_id);
    ids.extend(ticket.sent_from_department_id);
    let paths: std::collections::HashMap<i64, String> = departments::table
        .filter(departments::id.eq_any(&ids))
        .select((departments::id, departments::path))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let clock = ClockRow::find(conn, id)?;
    assemble(ticket, departments, &paths, clock).map(Some)
}

/// A ticket's facts and state from its rows and its departments' paths.
fn assemble(
    ticket: Ticket,
    departments: Vec<TicketDepartment>,
    paths: &std::collections::HashMap<i64, String>,
    clock: Option<ClockRow>,
) -> QueryResult<Loaded> {
    let dept_ref = |id: i64| -> QueryResult<DepartmentRef> {
        let path = paths
            .get(&id)
            .cloned()
            .ok_or(diesel::result::Error::NotFound)?;
        Ok(DepartmentRef { id, path })
    };
    let handling = dept_ref(ticket.handling_department_id)?;
    let mut passed = Vec::new();
    let mut cohandlers = Vec::new();
    for d in &departments {
        let r = dept_ref(d.department_id)?;
        if d.role == "passed" {
            passed.push(r);
        } else {
            cohandlers.push(Cohandler {
                department: r,
                opinion_posted: d.opinion_posted,
                released: d.released,
            });
        }
    }
    let sent_from = ticket.sent_from_department_id.map(dept_ref).transpose()?;
    let facts = TicketFacts {
        enterprise_id: ticket.enterprise_id,
        enterprise_chains: ticket
            .chains
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        place: RegionCode::parse(&ticket.place_code)
            .map_err(|_| diesel::result::Error::NotFound)?,
        handling: handling.clone(),
        passed_through: passed,
        cohandlers: cohandlers.iter().map(|c| c.department.clone()).collect(),
    };
    let state = TicketState {
        status: Status::parse(&ticket.status).unwrap_or(Status::PendingSign),
        handling,
        sent_from,
        assignee: ticket.assignee_id,
        cohandlers,
        extension_pending: ticket.extension_pending,
        resolve_due: ticket.resolve_due_at,
        resolved_at: ticket.resolved_at,
        closed_at: clock.as_ref().and_then(|c| c.closed_at),
        rating: ticket.rating.as_deref().and_then(Satisfaction::parse),
        solved: ticket.solved,
        sent_on: ticket.sent_on_count,
        returns: 0,
        urged: ticket.urged_count,
        reopened: ticket.reopened_count,
    };
    Ok(Loaded {
        ticket,
        facts,
        state,
        departments,
        clock,
        clocks: None,
        sla_events: Vec::new(),
        directory: Directory::default(),
        cohandling: Vec::new(),
    })
}

/// One ticket with its timeline and clocks, if the caller may see it.
pub async fn get(
    db: &Database,
    sla: &Sla,
    caller: &Caller,
    id: i64,
) -> Result<(Loaded, Vec<TicketEvent>), TicketError> {
    let sla = sla.clone();
    let found = db.run(move |conn| Ok(read_detail(conn, &sla, id)?)).await?;
    match found {
        Some((l, events)) if may_read_ticket(caller, &l.facts) => Ok((l, events)),
        _ => Err(TicketError::NotFound),
    }
}

/// A ticket with its events, SLA events and both clocks as they stand.
fn read_detail(conn: &mut AnyConnection, sla: &Sla, id: i64) -> QueryResult<Option<Detail>> {
    let Some(mut l) = load(conn, id)? else {
        return Ok(None);
    };
    let events = TicketEvent::of_ticket(conn, id)?;
    l.sla_events = SlaEvent::of_ticket(conn, id)?;
    // The co-handlers' warnings and overdue days beside the ticket's own.
    l.sla_events.extend(
        crate::storage::cohandling::CohandlingEvent::of_ticket(conn, id)?
            .into_iter()
            .map(|e| SlaEvent {
                id: 0,
                ticket_id: e.ticket_id,
                kind: e.kind,
                level: e.level,
                round: e.round,
                handling_department_id: e.department_id,
                notified_department_id: e.department_id,
                escalation_level: 0,
                due_at: e.due_at,
                created_at: e.created_at,
            }),
    );
    l.cohandling = crate::storage::cohandling::CohandlingClock::of_ticket(conn, id)?;
    l.directory = directory_for(
        conn,
        std::slice::from_ref(&l.ticket),
        &l.departments,
        &events,
    )?;
    if let (Some(row), Some(s), Some(r)) = (&l.clock, l.ticket.sign_due_at, l.ticket.resolve_due_at)
    {
        let snap = sla.snapshot(conn)?;
        l.clocks = Some(sla::clock_state(
            &snap,
            row,
            l.state.status,
            s,
            r,
            sla.now(),
        ));
    }
    Ok(Some((l, events)))
}

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
                zh: "只能指派给承办部门在岗的经办人或负责人。",
                en: "Assign to an active officer or lead of the handling department.",
            }))
        }
        Action::Transfer { target, .. } | Action::AddCohandler { department: target } => {
            let ok = Department::find(conn, target.id)?
                .is_some_and(|d| d.active && d.path == target.path);
            Ok((!ok).then_some(Refusal::Rule {
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
            super::cohandling::after_action(
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

/// Tickets waiting for the caller: the enterprise's questions to answer and
/// resolutions to rate; a department's tickets to sign for or handle (its
/// own or unassigned), and co-handling opinions it owes; a lead's extension
/// requests to decide (of the departments just below).
fn needs_action(caller: &Caller) -> store::Visibility {
    match (caller.role, &caller.department) {
        (Role::Enterprise, _) => Box::new(tickets::status.eq_any(["awaiting_info", "resolved"])),
        (Role::Officer | Role::Lead, Some(d)) => {
            let owed = ticket_departments::table
                .filter(ticket_departments::department_id.eq(d.id))
                .filter(ticket_departments::role.eq("cohandler"))
                .filter(ticket_departments::opinion_posted.eq(false))
                .filter(ticket_departments::released.eq(false))
                .select(ticket_departments::ticket_id);
            Box::new(
                tickets::handling_department_id
                    .eq(d.id)
                    .and(tickets::status.eq_any(["pending_sign", "handling"]))
                    .and(
                        tickets::assignee_id
                            .is_null()
                            .or(tickets::assignee_id.assume_not_null().eq(caller.user_id)),
                    )
                    .or(tickets::status.eq("handling").and(tickets::id.eq_any(owed)))
                    .or(tickets::extension_pending
                        .eq(caller.role == Role::Lead)
                        .and(
                            tickets::handling_department_id.eq_any(
                                departments::table
                                    .filter(departments::parent_id.eq(d.id))
                                    .select(departments::id),
                            ),
                        )),
            )
        }
        _ => Box::new(tickets::id.lt(0)),
    }
}

/// Names of the departments and people that tickets, their involved
/// departments and their events mention.
fn directory_for(
    conn: &mut AnyConnection,
    tickets: &[Ticket],
    involved: &[TicketDepartment],
    events: &[TicketEvent],
) -> QueryResult<Directory> {
    let mut depts: Vec<i64> = tickets.iter().map(|t| t.handling_department_id).collect();
    let mut people: Vec<i64> = tickets.iter().filter_map(|t| t.assignee_id).collect();
    depts.extend(involved.iter().map(|d| d.department_id));
    for e in events {
        depts.extend(e.actor_department_id);
        people.extend(e.actor_id);
    }
    Directory::load(conn, &depts, &people)
}

/// Names for a page of the queue.
pub async fn directory(db: &Database, tickets: &[Ticket]) -> Result<Directory, TicketError> {
    let tickets = tickets.to_vec();
    Ok(db
        .run(move |conn| Ok(directory_for(conn, &tickets, &[], &[])?))
        .await?)
}

/// The caller's queue: the tickets they may see, filtered, newest first;
/// with `only_needing_action`, just those waiting for the caller.
pub async fn queue(
    db: &Database,
    caller: &Caller,
    filter: TicketFilter,
    only_needing_action: bool,
) -> Result<Vec<Ticket>, TicketError> {
    let caller = caller.clone();
    Ok(db
        .run(move |conn| Ok(queue_page(conn, &caller, filter, only_needing_action)?))
        .await?)
}

/// One page of the caller's queue, on a connection the caller holds (an
/// export reads page after page, giving the connection back in between).
pub fn queue_page(
    conn: &mut AnyConnection,
    caller: &Caller,
    mut filter: TicketFilter,
    only_needing_action: bool,
) -> QueryResult<Vec<Ticket>> {
    let wanted: store::Visibility = if only_needing_action {
        needs_action(caller)
    } else {
        Box::new(tickets::id.ge(0))
    };
    match caller.role {
        Role::Enterprise => {
            filter.enterprise_id = caller.enterprise_id.or(Some(-1));
            return Ticket::list_visible(conn, &filter, wanted);
        }
        Role::Admin => return Ok(Vec::new()),
        _ => {}
    }
    let Some(d) = caller.department.clone() else {
        return Ok(Vec::new());
    };
    // Visible: placed in the jurisdiction, handled in the subtree,
    // co-handled or handled before by the department, or of its chain.
    let subtree = departments::table
        .filter(departments::path.like(format!("{}%", d.path)))
        .select(departments::id);
    let involved = ticket_departments::table
        .filter(ticket_departments::department_id.eq(d.id))
        .select(ticket_departments::ticket_id);
    let mut visible: store::Visibility = Box::new(
        tickets::handling_department_id
            .eq_any(subtree)
            .or(tickets::id.eq_any(involved)),
    );
    match (&d.kind, &d.region, &d.chain_code) {
        (crate::domain::region::DepartmentKind::Ministry, _, _) => {
            visible = Box::new(tickets::id.ge(0))
        }
        (_, Some((code, level)), _) => {
            let n = match level {
                RegionLevel::Province => 2,
                RegionLevel::City => 4,
                RegionLevel::County => 6,
            };
            visible =
                Box::new(visible.or(tickets::place_code.like(format!("{}%", &code.as_str()[..n]))));
        }
        (_, None, Some(chain)) => {
            let pattern = format!("%,{},%", crate::storage::users::escape_like(chain));
            visible = Box::new(visible.or(tickets::chains.like(pattern).escape('\\')));
        }
        _ => {}
    }
    Ticket::list_visible(conn, &filter, Box::new(visible.and(wanted)))
}
