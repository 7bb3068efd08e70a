//! `yizhan demo` (and `yizhan serve --demo` on an empty database): writes
//! the demo plan of `seed::demo`. Enterprises, lists and accounts are
//! written in bulk; every ticket is filed and handled through the ticket
//! services with a clock set to each step's moment, so its events, clocks,
//! metrics and notices are exactly what real use would have left.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::configuration::{Profile, Settings};
use crate::domain::access::Caller;
use crate::domain::region::DepartmentKind;
use crate::domain::role::Role;
use crate::domain::ticket::Action;
use crate::security::passwords::PasswordHasher;
use crate::seed::demo::{plan, DemoAccount, DemoPlan, DemoStep, DEMO_DOMAIN, DEMO_PASSWORD};
use crate::seed::reference_plan;
use crate::services::auth::caller_of;
use crate::services::clock::Clock;
use crate::services::sla::Sla;
use crate::services::tickets::{act, file, Filing, TicketError};
use crate::storage::departments::Department;
use crate::storage::enterprises::{insert_chains, Enterprise, EnterpriseFields};
use crate::storage::schema::{outbox_messages, tickets, users};
use crate::storage::users::{NewUser, User};
use crate::storage::whitelist::{NewWhitelistEntry, WhitelistEntry};
use crate::storage::{write_transaction, Database, StorageError};

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The demo year's last day (Beijing); usually today. A day in the past
    /// (`--as-of 2022-04-28`) leaves everything as it stood that evening.
    pub until: NaiveDate,
    /// Problems filed over the year.
    pub tickets: usize,
}

/// The default size: enough for the automotive platform's 700+ resolved.
pub const DEMO_TICKETS: usize = 2_400;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is refused in the production profile")]
    Production,
    #[error("the database already holds enterprises or tickets; demo data goes only into an empty database")]
    NotEmpty,
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What was written, and the accounts that log in.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub enterprises: usize,
    pub tickets: usize,
    pub steps: usize,
    /// Steps the services refused (none, unless the plan and the rules disagree).
    pub refused: usize,
    pub logins: Vec<DemoAccount>,
}

/// True when the database has no enterprise and no ticket yet.
pub async fn database_is_empty(db: &Database) -> Result<bool, StorageError> {
    db.run(|conn| {
        let enterprises = Enterprise::count(conn)?;
        let tickets: i64 = tickets::table.count().get_result(conn)?;
        Ok(enterprises == 0 && tickets == 0)
    })
    .await
}

pub async fn create(
    db: &Database,
    settings: &Settings,
    options: DemoOptions,
    progress: impl Fn(usize, usize),
) -> Result<DemoReport, DemoError> {
    if settings.profile == Profile::Production {
        return Err(DemoError::Production);
    }
    if !database_is_empty(db).await? {
        return Err(DemoError::NotEmpty);
    }
    let DemoOptions { until, tickets } = options;
    let plan = tokio::task::spawn_blocking(move || plan(until, tickets))
        .await
        .map_err(|e| DemoError::Setup(e.to_string()))?;
    let hasher = PasswordHasher::from_settings(&settings.auth).map_err(DemoError::Setup)?;
    let hash = hasher
        .hash(DEMO_PASSWORD.to_string())
        .await
        .map_err(DemoError::Setup)?;
    let ids = write_directory(db, &plan, hash).await?;

    let clock = Clock::system();
    let sla = Sla::new(clock.clone(), &settings.sla);
    let mut run = Run {
        db,
        sla: &sla,
        clock: &clock,
        officers: HashMap::new(),
        steps: 0,
        refused: 0,
    };
    // The demo's history is filed faster than any person could.
    let unlimited = crate::services::filing_limits::FilingLimits::unlimited();
    // Every filing and step of every ticket, in the order they happen, and
    // nothing after now (the demo's last day may still be under way). The
    // SLA scanner runs at each check as it falls due, so warnings, overdue
    // days and auto-closings carry the times they would have had.
    // Wall time on purpose: the history stops at the real now, whatever
    // `clock` is set to later, or at the evening of the demo's last day
    // when that day is past (`--as-of`).
    let real_now = demo_now(until);
    let mut timeline: Vec<(DateTime<Utc>, usize, Option<usize>)> = Vec::new();
    for (n, t) in plan.tickets.iter().enumerate() {
        timeline.push((t.filed_at, n, None));
        timeline.extend(
            t.steps
                .iter()
                .enumerate()
                .map(|(i, (at, _))| (*at, n, Some(i))),
        );
    }
    timeline.retain(|(at, _, _)| *at <= real_now);
    timeline.sort_by_key(|(at, n, i)| (*at, *n, i.map_or(0, |i| i + 1)));
    let mut tickets: HashMap<usize, crate::storage::tickets::Ticket> = HashMap::new();
    let mut ended: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut filed_count = 0;
    for (at, n, step) in timeline {
        run.scan_until(at).await?;
        clock.set(at);
        let t = &plan.tickets[n];
        let filer = &ids.filers[&t.enterprise];
        match step {
            None => {
                let filed = file(
                    db,
                    &sla,
                    &unlimited,
                    filer,
                    Filing {
                        category: t.category.to_string(),
                        urgency: t.urgency.to_string(),
                        title: t.title.clone(),
                        description: t.description.clone(),
                        place: None,
                        regions_involved: Vec::new(),
                    },
                    None,
                )
                .await;
                match filed {
                    Ok((ticket, _)) => {
                        tickets.insert(n, ticket);
                    }
                    Err(_) => {
                        run.refused += 1;
                        ended.insert(n);
                    }
                }
                filed_count += 1;
                if filed_count % 200 == 0 || filed_count == plan.tickets.len() {
                    progress(filed_count, plan.tickets.len());
                }
            }
            Some(i) => {
                if ended.contains(&n) {
                    continue;
                }
                let Some(ticket) = tickets.get(&n) else {
                    continue;
                };
                let (id, handling) = (ticket.id, ticket.handling_department_id);
                match run.step(filer, id, handling, &t.steps[i].1).await? {
                    Some(next) => {
                        tickets.insert(n, next);
                    }
                    None => {
                        ended.insert(n);
                    }
                }
            }
        }
    }
    // The last day's blockers that became tickets, and its missing-report
    // notices (issue 26), at the times they happened.
    let last_day = (plan.until, plan.monitoring.to_tickets.clone());
    run.monitoring_day(&ids, last_day, real_now).await?;
    run.scan_until(real_now).await?;
    clock.set(real_now);
    // The notices of a year gone by are history, not mail to send now.
    db.run_write(|conn| {
        diesel::update(outbox_messages::table.filter(outbox_messages::status.eq("pending")))
            .set(outbox_messages::status.eq("sent"))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(DemoReport {
        enterprises: plan.enterprises.len(),
        tickets: plan.tickets.len(),
        steps: run.steps,
        refused: run.refused,
        logins: plan.accounts.into_iter().filter(|a| a.password).collect(),
    })
}

/// Who files for each enterprise of the plan (by index), and each one's id.
struct Directory {
    filers: HashMap<usize, Caller>,
    ids: Vec<i64>,
}

/// The demo's present: now, or the evening (20:00, Beijing) of its last
/// day when that day is past, so that `--as-of` leaves the history as it
/// stood that evening.
pub fn demo_now(until: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let evening = chrono_tz::Asia::Shanghai
        .from_local_datetime(&until.and_hms_opt(20, 0, 0).expect("a time of day"))
        .single()
        .expect("Beijing has no daylight saving")
        .with_timezone(&Utc);
    Utc::now().min(evening)
}

/// Writes enterprises, chains, lists and accounts in one transaction.
async fn write_directory(
    db: &Database,
    plan: &DemoPlan,
    hash: String,
) -> Result<Directory, StorageError> {
    let plan = plan.clone();
    let reference = reference_plan();
    let department_of = move |key: &str| -> Option<i64> {
        match key {
            "ministry" => reference
                .departments
                .iter()
                .find(|d| d.kind == DepartmentKind::Ministry)
                .map(|d| d.id),
            code if code.chars().all(|c| c.is_ascii_digit()) => reference
                .regions
                .iter()
                .find(|r| r.code.as_str() == code)
                .map(|r| r.department_id),
            chain => reference
                .departments
                .iter()
                .find(|d| d.chain_code.as_deref() == Some(chain))
                .map(|d| d.id),
        }
    };
    db.run_write(move |conn| {
        // Wall time on purpose: the directory is written now, before the history is replayed.
        let now = Utc::now().naive_utc();
        let directory = write_transaction(conn, |conn| {
            let fields: Vec<EnterpriseFields> = plan
                .enterprises
                .iter()
                .map(|e| EnterpriseFields {
                    credit_code: e.credit_code.clone(),
                    name: e.name.clone(),
                    county_code: e.county.clone(),
                    checksum_waived: false,
                    address: String::new(),
                    size: None,
                    contact_name: None,
                    contact_phone: None,
                    contact_email: None,
                })
                .collect();
            for chunk in fields.chunks(500) {
                Enterprise::insert_many(conn, chunk, None, now)?;
            }
            let codes: Vec<String> = fields.iter().map(|f| f.credit_code.clone()).collect();
            let mut by_code = HashMap::new();
            for chunk in codes.chunks(500) {
                for (code, e) in Enterprise::by_codes(conn, chunk)? {
                    by_code.insert(code, e.id);
                }
            }
            let id_of = |i: usize| by_code[&plan.enterprises[i].credit_code];
            let chains: Vec<(i64, String)> = plan
                .enterprises
                .iter()
                .enumerate()
                .flat_map(|(i, e)| e.chains.iter().map(move |c| (i, c.to_string())))
                .map(|(i, c)| (id_of(i), c))
                .collect();
            for chunk in chains.chunks(500) {
                insert_chains(conn, chunk)?;
            }
            let ministry = department_of("ministry").expect("the ministry");
            let shanghai = department_of("310000").expect("Shanghai's department");
            for (i, e) in plan.enterprises.iter().enumerate() {
                let mut entry = NewWhitelistEntry {
                    enterprise_id: id_of(i),
                    scope: "national".into(),
                    batch: 1,
                    issuing_department_id: ministry,
                    listed_on: plan.from,
                    removed_on: None,
                    chain_code: e.chains.first().map(|c| c.to_string()),
                    note: None,
                    created_by: None,
                    created_at: now,
                };
                if let Some(batch) = e.national_batch {
                    entry.batch = batch;
                    // A batch every two weeks, as in April-May 2022.
                    entry.listed_on = plan.from + chrono::Duration::days(14 * i64::from(batch - 1));
                    WhitelistEntry::insert(conn, &entry)?;
                }
                if e.shanghai_listed {
                    entry.scope = "310000".into();
                    entry.batch = 1;
                    entry.issuing_department_id = shanghai;
                    entry.listed_on = plan.from;
                    WhitelistEntry::insert(conn, &entry)?;
                }
            }
            let mut filers = HashMap::new();
            // The demo's enterprises spoke through these accounts all along:
            // an account younger than a ticket may not rate it.
            let first_filing = plan
                .tickets
                .iter()
                .map(|t| t.filed_at.naive_utc())
                .min()
                .unwrap_or(now);
            for a in &plan.accounts {
                let department_id = a.department.as_deref().and_then(&department_of);
                let user = User::insert(
                    conn,
                    &NewUser {
                        email: &a.email,
                        display_name: &a.name,
                        phone: None,
                        role: Role::parse(a.role).expect("a demo role"),
                        department_id,
                        enterprise_id: a.enterprise.map(id_of),
                        password_hash: a.password.then_some(hash.as_str()),
                        active: true,
                        email_verified_at: Some(now),
                        locale: "zh-CN",
                        tokens_valid_after: now,
                        created_at: now.min(first_filing),
                        updated_at: now,
                    },
                )?;
                if let Some(i) = a.enterprise {
                    filers.insert(i, caller_of(&user, None));
                }
            }
            // Daily monitoring: industries, lists, weeks of reports (issue 26).
            let ids: Vec<i64> = (0..plan.enterprises.len()).map(id_of).collect();
            let accounts: HashMap<usize, i64> =
                filers.iter().map(|(i, c)| (*i, c.user_id)).collect();
            crate::services::monitoring::demo::write_plan(
                conn,
                &plan.monitoring,
                &ids,
                &accounts,
                &department_of,
                now,
            )?;
            diesel::update(users::table.filter(users::email.like(format!("%@{DEMO_DOMAIN}"))))
                .set(users::demo.eq(true))
                .execute(conn)?;
            Ok::<_, diesel::result::Error>(Directory { filers, ids })
        })?;
        Ok(directory)
    })
    .await
}

/// Carries out steps, creating an officer for a department that has none.
struct Run<'a> {
    db: &'a Database,
    sla: &'a Sla,
    clock: &'a Clock,
    officers: HashMap<i64, Caller>,
    steps: usize,
    refused: usize,
}

impl Run<'_> {
    /// On the last day: the blockers the plan turns into tickets (filed
    /// through the filing service by the enterprise, after its other
    /// filings of the day), and the missing-report notices of 10:00.
    async fn monitoring_day(
        &mut self,
        directory: &Directory,
        (day, to_tickets): (NaiveDate, Vec<(usize, &'static str)>),
        until: DateTime<Utc>,
    ) -> Result<(), DemoError> {
        let ten = chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("a time");
        let at_ten = crate::services::metrics::beijing_midnight(day) + chrono::Duration::hours(10);
        if at_ten <= until {
            crate::services::monitoring::reminders::send_due(self.db, self.sla, at_ten, ten)
                .await
                .map_err(|e| DemoError::Setup(e.to_string()))?;
        }
        let unlimited = crate::services::filing_limits::FilingLimits::unlimited();
        for (n, (e, text)) in to_tickets.into_iter().enumerate() {
            let Some(filer) = directory.filers.get(&e) else {
                continue;
            };
            let at = self.clock.now().max(at_ten) + chrono::Duration::minutes(7 * n as i64 + 1);
            if at > until {
                continue;
            }
            let id = directory.ids[e];
            let blocker = self
                .db
                .run(move |conn| {
                    Ok(crate::storage::daily_reports::blocker_by_text(
                        conn, id, day, text,
                    )?)
                })
                .await?;
            let Some(blocker) = blocker else {
                continue;
            };
            self.scan_until(at).await?;
            self.clock.set(at);
            let choice = crate::services::monitoring::blockers::BlockerFiling {
                urgency: "urgent".into(),
                ..Default::default()
            };
            match crate::services::monitoring::blockers::to_ticket(
                self.db, self.sla, &unlimited, filer, blocker, choice,
            )
            .await
            {
                Ok(_) => self.steps += 1,
                Err(e) => {
                    tracing::warn!(error = %e, "a demo blocker was not filed");
                    self.refused += 1;
                }
            }
        }
        Ok(())
    }

    /// Runs the SLA scanner at every check due up to `until`, each at its
    /// own instant.
    async fn scan_until(&mut self, until: DateTime<Utc>) -> Result<(), DemoError> {
        loop {
            let next = self
                .db
                .run(|conn| Ok(crate::storage::sla::ClockRow::next_check(conn)?))
                .await?;
            let Some(next) = next.map(|n| n.and_utc()).filter(|n| *n <= until) else {
                return Ok(());
            };
            self.clock.set(next);
            crate::services::sla_scanner::scan_once(self.db, self.sla, next, 500, 100).await?;
        }
    }

    /// Takes one step; None when the services refused it (the ticket's
    /// story ends there).
    async fn step(
        &mut self,
        filer: &Caller,
        id: i64,
        handling: i64,
        step: &DemoStep,
    ) -> Result<Option<crate::storage::tickets::Ticket>, DemoError> {
        let (actor, action) = match step.clone() {
            DemoStep::SignFor => (self.officer(handling).await?, Action::SignFor),
            DemoStep::Return(reason) => (
                self.officer(handling).await?,
                Action::Return {
                    reason,
                    reason_public: false,
                },
            ),
            DemoStep::Escalate(reason) => (
                self.officer(handling).await?,
                Action::Escalate {
                    reason,
                    reason_public: false,
                },
            ),
            DemoStep::RequestInfo(question) => (
                self.officer(handling).await?,
                Action::RequestInfo { question },
            ),
            DemoStep::Resolve(resolution) => (
                self.officer(handling).await?,
                Action::Resolve { resolution },
            ),
            DemoStep::Reject(reason) => (self.officer(handling).await?, Action::Reject { reason }),
            DemoStep::ProvideInfo(answer) => (filer.clone(), Action::ProvideInfo { answer }),
            DemoStep::Rate {
                satisfaction,
                solved,
                comment,
            } => (
                filer.clone(),
                Action::Rate {
                    satisfaction,
                    solved,
                    comment,
                },
            ),
            DemoStep::Reopen(reason) => (filer.clone(), Action::Reopen { reason }),
            DemoStep::Withdraw(reason) => (filer.clone(), Action::Withdraw { reason }),
        };
        match act(self.db, self.sla, &actor, id, action, None).await {
            Ok(t) => {
                self.steps += 1;
                Ok(Some(t))
            }
            Err(TicketError::Storage(e)) => Err(e.into()),
            Err(e) => {
                tracing::warn!(ticket = id, error = ?e, "a demo step was refused");
                self.refused += 1;
                Ok(None)
            }
        }
    }

    /// An officer of the department: a printed demo account if there is
    /// one, else a passwordless one made now.
    async fn officer(&mut self, department: i64) -> Result<Caller, DemoError> {
        if let Some(c) = self.officers.get(&department) {
            return Ok(c.clone());
        }
        let at = self.clock.now().naive_utc();
        let (user, dept) = self
            .db
            .run_write(move |conn| {
                let existing: Option<User> = users::table
                    .filter(users::department_id.eq(department))
                    .filter(users::role.eq(Role::Officer))
                    .select(User::as_select())
                    .first(conn)
                    .optional()?;
                let user = match existing {
                    Some(u) => u,
                    None => {
                        let email = format!("officer.d{department}@{DEMO_DOMAIN}");
                        let u = User::insert(
                            conn,
                            &NewUser {
                                email: &email,
                                display_name: "演示办事员",
                                phone: None,
                                role: Role::Officer,
                                department_id: Some(department),
                                enterprise_id: None,
                                password_hash: None,
                                active: true,
                                email_verified_at: Some(at),
                                locale: "zh-CN",
                                tokens_valid_after: at,
                                created_at: at,
                                updated_at: at,
                            },
                        )?;
                        diesel::update(users::table.find(u.id))
                            .set(users::demo.eq(true))
                            .execute(conn)?;
                        u
                    }
                };
                let dept = Department::find(conn, department)?;
                Ok((user, dept))
            })
            .await?;
        let caller = caller_of(&user, dept.as_ref());
        self.officers.insert(department, caller.clone());
        Ok(caller)
    }
}
