//! The SLA context every ticket change uses: the clock, the work calendar
//! and the policies (cached, reloaded after `sla.cache_secs`), and the
//! bookkeeping that keeps a ticket's clocks in step with its state.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Utc};
use diesel::QueryResult;

use super::clock::Clock;
use crate::configuration::SlaSettings;
use crate::domain::access::DepartmentRef;
use crate::domain::calendar::WorkCalendar;
use crate::domain::sla::{covering_department, standing, Clocks, Policy};
use crate::domain::ticket::{Status, BOUNCE_THRESHOLD};
use crate::storage::sla::{naive, utc, CalendarDay, ClockRow, PolicyRow};
use crate::storage::AnyConnection;

/// The calendar and policies as loaded at one moment.
#[derive(Debug)]
pub struct Snapshot {
    pub calendar: WorkCalendar,
    pub policies: HashMap<String, Policy>,
}

impl Snapshot {
    /// The policy a ticket runs under: the one its routing rule picked if it
    /// still exists, else its urgency's, else the spec's default.
    pub fn policy_for(&self, picked: Option<&str>, urgency: &str) -> Policy {
        picked
            .and_then(|p| self.policies.get(p))
            .or_else(|| self.policies.get(urgency))
            .cloned()
            .or_else(|| Policy::defaults().into_iter().find(|p| p.name == urgency))
            .unwrap_or_else(|| Policy::defaults().remove(2))
    }

    /// The policy a ticket's clocks run under: the one they were opened
    /// with if it still exists, else as at filing.
    pub fn clock_policy(
        &self,
        opened_with: Option<&str>,
        picked: Option<&str>,
        urgency: &str,
    ) -> Policy {
        opened_with
            .and_then(|p| self.policies.get(p).cloned())
            .unwrap_or_else(|| self.policy_for(picked, urgency))
    }
}

/// A snapshot and when it was loaded.
type Loaded = (Instant, Arc<Snapshot>);

#[derive(Clone)]
pub struct Sla {
    clock: Clock,
    intervals: Vec<(NaiveTime, NaiveTime)>,
    cache_for: StdDuration,
    auto_close: Duration,
    cached: Arc<RwLock<Option<Loaded>>>,
}

impl std::fmt::Debug for Sla {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sla")
            .field("intervals", &self.intervals)
            .finish_non_exhaustive()
    }
}

impl Sla {
    pub fn new(clock: Clock, settings: &SlaSettings) -> Sla {
        Sla {
            clock,
            intervals: settings.intervals().unwrap_or_default(),
            cache_for: StdDuration::from_secs(settings.cache_secs),
            auto_close: Duration::days(settings.auto_close_days.max(1)),
            cached: Arc::new(RwLock::new(None)),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The calendar and policies, from the cache while it is fresh.
    pub fn snapshot(&self, conn: &mut AnyConnection) -> QueryResult<Arc<Snapshot>> {
        if let Some((at, snap)) = self.cached.read().expect("cache lock").as_ref() {
            if at.elapsed() < self.cache_for {
                return Ok(snap.clone());
            }
        }
        let days: Vec<_> = CalendarDay::all(conn)?
            .iter()
            .map(CalendarDay::marked)
            .map(|d| (d.date, d.kind))
            .collect();
        let policies = PolicyRow::all(conn)?
            .iter()
            .map(|r| (r.name.clone(), r.policy()))
            .collect();
        let snap = Arc::new(Snapshot {
            calendar: WorkCalendar::with_intervals(self.intervals.clone(), days),
            policies,
        });
        *self.cached.write().expect("cache lock") = Some((Instant::now(), snap.clone()));
        Ok(snap)
    }

    /// The year whose calendar is missing now (this year, or from 1
    /// November the next), as the last loaded snapshot knows; None when
    /// none is missing or nothing is loaded yet.
    pub fn missing_calendar_year(&self) -> Option<i32> {
        let cached = self.cached.read().expect("cache lock");
        let (_, snap) = cached.as_ref()?;
        let today = self
            .now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        snap.calendar.missing_year(today)
    }

    /// The work calendar as the database has it now, bypassing the cache.
    pub fn calendar_now(&self, conn: &mut AnyConnection) -> QueryResult<WorkCalendar> {
        let days: Vec<_> = CalendarDay::all(conn)?
            .iter()
            .map(CalendarDay::marked)
            .map(|d| (d.date, d.kind))
            .collect();
        Ok(WorkCalendar::with_intervals(self.intervals.clone(), days))
    }

    /// This calendar with `years` as they were: `previous` marked days.
    pub fn calendar_with(
        &self,
        conn: &mut AnyConnection,
        years: &[i32],
        previous: Vec<(chrono::NaiveDate, crate::domain::calendar::DayKind)>,
    ) -> QueryResult<WorkCalendar> {
        use chrono::Datelike;
        let mut days: Vec<_> = CalendarDay::all(conn)?
            .iter()
            .map(CalendarDay::marked)
            .filter(|d| !years.contains(&d.date.year()))
            .map(|d| (d.date, d.kind))
            .collect();
        days.extend(previous);
        Ok(WorkCalendar::with_intervals(self.intervals.clone(), days))
    }

    /// Drops the cache after this instance changed the calendar or a policy.
    pub fn invalidate(&self) {
        *self.cached.write().expect("cache lock") = None;
    }

    pub fn auto_close_after(&self) -> Duration {
        self.auto_close
    }
}

/// A ticket's clocks after a change, with everything derived from them.
#[derive(Debug, Clone)]
pub struct Settled {
    pub row: ClockRow,
    pub sign_due_at: NaiveDateTime,
    pub resolve_due_at: NaiveDateTime,
    pub overdue: bool,
    pub escalation_level: i32,
}

/// The ticket's facts the clocks depend on.
pub struct ClockFacts<'a> {
    pub status: Status,
    pub handling: &'a DepartmentRef,
    pub passed_through: &'a [DepartmentRef],
    pub sent_on: i32,
    pub resolved_at: Option<NaiveDateTime>,
}

/// Writes the clocks into the row and derives the next check, the overdue
/// flag, the escalation and the supervising departments.
pub fn settle(
    sla: &Sla,
    snap: &Snapshot,
    policy: &Policy,
    mut row: ClockRow,
    clocks: &Clocks,
    facts: &ClockFacts<'_>,
) -> Settled {
    row.set_clocks(clocks);
    let stand = standing(
        clocks,
        facts.status,
        facts.handling,
        policy.escalation_working_days,
    );
    row.supervising_department_id = stand.supervising;
    row.bounce_department_id = if facts.sent_on > BOUNCE_THRESHOLD
        && matches!(
            facts.status,
            Status::PendingSign | Status::Handling | Status::AwaitingInfo
        ) {
        let mut all: Vec<&DepartmentRef> = facts.passed_through.iter().collect();
        all.push(facts.handling);
        covering_department(&all)
    } else {
        None
    };
    row.next_check_at = match (facts.status, facts.resolved_at) {
        // A resolved ticket nobody rates is closed after a while.
        (Status::Resolved, Some(at)) => Some(at + sla.auto_close_after()),
        _ => clocks.next_check(&snap.calendar, facts.status).map(naive),
    };
    Settled {
        row,
        sign_due_at: naive(clocks.sign.due_at),
        resolve_due_at: naive(clocks.resolve.due_at),
        overdue: stand.overdue,
        escalation_level: stand.escalation_level,
    }
}

/// The clocks of a ticket as stored; a ticket from before clocks existed
/// gets clocks opened at its filing.
pub fn stored_clocks(
    snap: &Snapshot,
    policy: &Policy,
    ticket_id: i64,
    row: Option<ClockRow>,
    sign_due: Option<NaiveDateTime>,
    resolve_due: Option<NaiveDateTime>,
    filed_at: NaiveDateTime,
) -> (ClockRow, Clocks) {
    match (row, sign_due, resolve_due) {
        (Some(row), Some(s), Some(r)) => {
            let clocks = row.clocks(s, r);
            (row, clocks)
        }
        _ => {
            let clocks = Clocks::open(&snap.calendar, policy, utc(filed_at));
            (ClockRow::new(ticket_id, &policy.name, &clocks), clocks)
        }
    }
}

/// How one window stands at a moment, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowState {
    pub round: i32,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    /// `running`, `warning` (past the warning point), `overdue`, `paused` or `stopped`.
    pub state: &'static str,
    /// Working minutes left (negative: overdue by that much); frozen while paused.
    pub remaining_working_minutes: i64,
    /// Wall-clock minutes left (negative when overdue).
    pub remaining_minutes: i64,
    /// What is left (or past), in the unit the window's target counts in.
    pub left: crate::domain::sla::TimeLeft,
    /// The deadline falls in a year whose calendar is not loaded: it will
    /// move when that year's holidays are.
    pub provisional: bool,
}

/// Both clocks of a ticket, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockState {
    pub policy: String,
    pub sign: WindowState,
    pub resolve: WindowState,
    pub supervising_department_id: Option<i64>,
    pub bounce_department_id: Option<i64>,
}

fn window_state(
    cal: &WorkCalendar,
    unit: crate::domain::sla::Unit,
    w: &crate::domain::sla::Window,
    running: bool,
    paused_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> WindowState {
    let at = paused_at.unwrap_or(now);
    let signed = |from: DateTime<Utc>, to: DateTime<Utc>| {
        if from <= to {
            cal.working_minutes_between(from, to)
        } else {
            -cal.working_minutes_between(to, from)
        }
    };
    let state = match (running, paused_at) {
        (false, Some(_)) => "paused",
        (false, None) => "stopped",
        _ if at >= w.due_at => "overdue",
        _ if at >= w.warn_at => "warning",
        _ => "running",
    };
    let working = signed(at, w.due_at);
    let clock = (w.due_at - at).num_minutes();
    WindowState {
        round: w.round,
        started_at: w.started_at,
        due_at: w.due_at,
        warn_at: w.warn_at,
        state,
        remaining_working_minutes: working,
        remaining_minutes: clock,
        left: crate::domain::sla::time_left(unit, working, clock, cal.working_minutes_per_day()),
        provisional: cal.is_provisional(w.due_at),
    }
}

/// The clocks of a ticket as they stand at `now`.
pub fn clock_state(
    snap: &Snapshot,
    row: &ClockRow,
    status: Status,
    sign_due: NaiveDateTime,
    resolve_due: NaiveDateTime,
    now: DateTime<Utc>,
) -> ClockState {
    use crate::domain::sla::{is_running, WindowKind};
    let clocks = row.clocks(sign_due, resolve_due);
    let paused = (status == Status::AwaitingInfo)
        .then_some(clocks.paused_at)
        .flatten();
    // The policy the clocks were opened with, for its units.
    let policy = snap.clock_policy(Some(&row.policy), None, "normal");
    ClockState {
        policy: row.policy.clone(),
        sign: window_state(
            &snap.calendar,
            policy.sign.unit,
            &clocks.sign,
            is_running(WindowKind::Sign, status),
            None,
            now,
        ),
        resolve: window_state(
            &snap.calendar,
            policy.resolve.unit,
            &clocks.resolve,
            is_running(WindowKind::Resolve, status),
            paused,
            now,
        ),
        supervising_department_id: row.supervising_department_id,
        bounce_department_id: row.bounce_department_id,
    }
}

/// What is left before `due` at `now` (or how far past it), in `unit`:
/// for lists that show one deadline per ticket.
pub fn left_before(
    cal: &WorkCalendar,
    unit: crate::domain::sla::Unit,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> crate::domain::sla::TimeLeft {
    let working = if now <= due {
        cal.working_minutes_between(now, due)
    } else {
        -cal.working_minutes_between(due, now)
    };
    let clock = (due - now).num_minutes();
    crate::domain::sla::time_left(unit, working, clock, cal.working_minutes_per_day())
}
