//! SLA clocks (时限): policies, deadlines, warnings, overdue days and the
//! escalation they cause. Pure: the calendar and the time are handed in.
//!
//! A ticket has two windows: sign-for (open while it waits to be signed
//! for) and resolve (open from filing until it is resolved, paused while the
//! enterprise is asked for information). Each window fires, at most once
//! each, a warning at its warning point and an overdue event for every
//! overdue working day (level 1 at the deadline, level n one escalation
//! interval of working days later per step).

use super::enterprise::{issue, FieldIssue};
use chrono::{DateTime, Duration, Utc};

use super::access::DepartmentRef;
use super::calendar::WorkCalendar;
use super::ticket::Status;

/// How a target is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Unit {
    /// Wall time, day and night.
    ClockMinutes,
    /// Working time only.
    WorkingMinutes,
    /// The end of the N-th working day after the window opens (次日起算).
    WorkingDays,
}

impl Unit {
    pub const ALL: [Unit; 3] = [Unit::ClockMinutes, Unit::WorkingMinutes, Unit::WorkingDays];

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::ClockMinutes => "clock_minutes",
            Unit::WorkingMinutes => "working_minutes",
            Unit::WorkingDays => "working_days",
        }
    }

    pub fn parse(s: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

/// "Within N units".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub value: i64,
    pub unit: Unit,
}

impl Target {
    /// The deadline of a window opened at `start`.
    pub fn due(&self, cal: &WorkCalendar, start: DateTime<Utc>) -> DateTime<Utc> {
        match self.unit {
            Unit::ClockMinutes => start + Duration::minutes(self.value),
            Unit::WorkingMinutes => cal.add_working_minutes(start, self.value),
            Unit::WorkingDays => {
                cal.end_of_nth_working_day_after(start, self.value.clamp(1, 3650) as u32)
            }
        }
    }
}

/// An SLA policy: the targets of both windows and when to warn and escalate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub sign: Target,
    pub resolve: Target,
    /// Warn when this share of a window has elapsed.
    pub warning_percent: i32,
    /// Overdue working days per escalation step.
    pub escalation_working_days: i32,
}

impl Policy {
    /// The spec's defaults, one per urgency.
    pub fn defaults() -> Vec<Policy> {
        let p = |name: &str, sign: (i64, Unit), resolve: (i64, Unit)| Policy {
            name: name.into(),
            sign: Target {
                value: sign.0,
                unit: sign.1,
            },
            resolve: Target {
                value: resolve.0,
                unit: resolve.1,
            },
            warning_percent: 75,
            escalation_working_days: 1,
        };
        vec![
            p(
                "critical",
                (30, Unit::ClockMinutes),
                (24 * 60, Unit::ClockMinutes),
            ),
            p(
                "urgent",
                (120, Unit::WorkingMinutes),
                (2, Unit::WorkingDays),
            ),
            p("normal", (1, Unit::WorkingDays), (5, Unit::WorkingDays)),
        ]
    }

    /// What is wrong with it, field by field.
    pub fn problems(&self) -> Vec<FieldIssue> {
        let mut out = Vec::new();
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 40
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            out.push(issue("name", "field.policy_name"));
        }
        for (field, t) in [("sign", &self.sign), ("resolve", &self.resolve)] {
            let max = match t.unit {
                Unit::WorkingDays => 365,
                _ => 525_600,
            };
            if !(1..=max).contains(&t.value) {
                out.push(issue(field, "field.policy_target"));
            }
        }
        if !(1..=99).contains(&self.warning_percent) {
            out.push(issue("warning_percent", "field.policy_warning_percent"));
        }
        if !(1..=30).contains(&self.escalation_working_days) {
            out.push(issue(
                "escalation_working_days",
                "field.policy_escalation_days",
            ));
        }
        out
    }
}

/// Which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowKind {
    Sign,
    Resolve,
}

impl WindowKind {
    pub fn warning(self) -> &'static str {
        match self {
            WindowKind::Sign => "sign_warning",
            WindowKind::Resolve => "resolve_warning",
        }
    }

    pub fn overdue(self) -> &'static str {
        match self {
            WindowKind::Sign => "sign_overdue",
            WindowKind::Resolve => "resolve_overdue",
        }
    }
}

/// One window of a ticket: when it opened, when it is due, when to warn,
/// and how far its events have fired (-1 none, 0 warned, n overdue day n).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Numbered from 1; a new sign-for window (transfer) or resolve window
    /// (reopen) gets the next number, so its events may fire again.
    pub round: i32,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    pub fired: i32,
}

impl Window {
    pub fn open(
        cal: &WorkCalendar,
        target: &Target,
        warning_percent: i32,
        round: i32,
        at: DateTime<Utc>,
    ) -> Window {
        let at = to_minute(at);
        let due_at = target.due(cal, at);
        Window {
            round,
            started_at: at,
            due_at,
            warn_at: warning_point(cal, target.unit, at, due_at, warning_percent),
            fired: -1,
        }
    }

    /// When overdue day `n` (from 1) falls due: the deadline, then one
    /// working day later each (the reminders are daily; the escalation
    /// interval only decides when the level rises).
    pub fn overdue_point(&self, cal: &WorkCalendar, n: i32) -> DateTime<Utc> {
        if n <= 1 {
            self.due_at
        } else {
            let days = i64::from(n - 1);
            cal.add_working_minutes(self.due_at, days * cal.working_minutes_per_day())
        }
    }

    /// The next instant at which this window has something to fire.
    pub fn next_check(&self, cal: &WorkCalendar) -> DateTime<Utc> {
        if self.fired < 0 && self.warn_at < self.due_at {
            self.warn_at
        } else {
            self.overdue_point(cal, self.fired.max(0) + 1)
        }
    }

    /// Fires what is due at `now`: the levels (0 for the warning, n for
    /// overdue day n) in order. A warning whose deadline has already passed
    /// is skipped: the overdue event says more.
    pub fn fire(&mut self, cal: &WorkCalendar, now: DateTime<Utc>) -> Vec<i32> {
        let mut fired = Vec::new();
        if self.fired < 0 && now >= self.warn_at && now < self.due_at {
            self.fired = 0;
            fired.push(0);
        }
        // A scanner that was down catches up, but a broken calendar cannot
        // make it loop for ever.
        for _ in 0..1000 {
            let n = self.fired.max(0) + 1;
            if now < self.overdue_point(cal, n) {
                break;
            }
            self.fired = n;
            fired.push(n);
        }
        fired
    }

    /// Moves the window by a pause: wall time for clock targets, working
    /// time otherwise.
    pub fn shift_by_pause(
        &mut self,
        cal: &WorkCalendar,
        unit: Unit,
        paused: DateTime<Utc>,
        resumed: DateTime<Utc>,
    ) {
        // Both ends to their minute: a pause gives back its whole minutes, and
        // never an extra one that would carry a 17:30 deadline overnight.
        let (paused, resumed) = (minute_of(paused), minute_of(resumed));
        match unit {
            Unit::ClockMinutes => {
                let d = (resumed - paused).max(Duration::zero());
                self.due_at += d;
                self.warn_at += d;
            }
            _ => {
                let m = cal.working_minutes_between(paused, resumed);
                if m > 0 {
                    self.due_at = cal.add_working_minutes(self.due_at, m);
                    self.warn_at = cal.add_working_minutes(self.warn_at, m);
                }
            }
        }
    }

    /// After the deadline moved later (resume, extension): what had fired
    /// but is no longer due is taken back, and the window gets a new round
    /// so that those events can fire again when they are due.
    pub fn rebase(&mut self, cal: &WorkCalendar, now: DateTime<Utc>) {
        let mut due = if now >= self.warn_at && now < self.due_at {
            0
        } else {
            -1
        };
        while due < self.fired && now >= self.overdue_point(cal, due.max(0) + 1) {
            due = due.max(0) + 1;
        }
        if due < self.fired {
            self.fired = due;
            self.round += 1;
        }
    }

    /// An approved extension: `days` more working days.
    pub fn extend(&mut self, cal: &WorkCalendar, days: i32, warning_percent: i32) {
        self.due_at = cal.add_working_minutes(
            self.due_at,
            i64::from(days.max(0)) * cal.working_minutes_per_day(),
        );
        if self.fired < 0 {
            self.warn_at = warning_point(
                cal,
                Unit::WorkingMinutes,
                self.started_at,
                self.due_at,
                warning_percent,
            );
        }
    }
}

/// The window as a changed work calendar sees it: the same working time
/// from its start (pauses and extensions included, since they added working
/// time), so a holiday loaded late moves the deadline past it. Clock-minute
/// targets do not depend on the calendar.
pub fn window_on_new_calendar(
    w: &Window,
    unit: Unit,
    old: &WorkCalendar,
    new: &WorkCalendar,
) -> Window {
    if unit == Unit::ClockMinutes {
        return w.clone();
    }
    let moved = |at: DateTime<Utc>| {
        if at <= w.started_at {
            return at;
        }
        new.add_working_minutes(w.started_at, old.working_minutes_between(w.started_at, at))
    };
    Window {
        due_at: moved(w.due_at),
        warn_at: moved(w.warn_at),
        ..w.clone()
    }
}

/// Deadlines are kept to the minute, and a window is never shorter than its
/// policy: one opened at 09:00:41 runs from 09:01.
pub fn to_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    let down = at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at);
    if down == at {
        at
    } else {
        down + TimeDelta::minutes(1)
    }
}

/// The minute an instant falls in.
pub fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at)
}

/// The instant `percent` of the way from `start` to `due`, measured in wall
/// time for clock targets and in working time otherwise.
pub fn warning_point(
    cal: &WorkCalendar,
    unit: Unit,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
    percent: i32,
) -> DateTime<Utc> {
    let percent = i64::from(percent.clamp(1, 99));
    match unit {
        Unit::ClockMinutes => start + (due - start) * (percent as i32) / 100,
        _ => {
            let total = cal.working_minutes_between(start, due);
            cal.add_working_minutes(start, total * percent / 100)
        }
    }
}

/// Whether a window runs in this status.
pub fn is_running(kind: WindowKind, status: Status) -> bool {
    match kind {
        WindowKind::Sign => status == Status::PendingSign,
        WindowKind::Resolve => matches!(status, Status::PendingSign | Status::Handling),
    }
}

/// Both windows of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clocks {
    pub sign: Window,
    pub resolve: Window,
    /// Set while the resolve clock is paused (awaiting information).
    pub paused_at: Option<DateTime<Utc>>,
    /// Working days asked for by a pending extension request.
    pub extension_days: Option<i32>,
}

/// An SLA event due now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub window: WindowKind,
    pub round: i32,
    /// 0: the warning; n: overdue day n.
    pub level: i32,
    pub due_at: DateTime<Utc>,
}

impl Fired {
    pub fn kind(&self) -> &'static str {
        if self.level == 0 {
            self.window.warning()
        } else {
            self.window.overdue()
        }
    }
}

impl Clocks {
    /// Both windows open at filing.
    pub fn open(cal: &WorkCalendar, policy: &Policy, at: DateTime<Utc>) -> Clocks {
        Clocks {
            sign: Window::open(cal, &policy.sign, policy.warning_percent, 1, at),
            resolve: Window::open(cal, &policy.resolve, policy.warning_percent, 1, at),
            paused_at: None,
            extension_days: None,
        }
    }

    fn windows(&self) -> [(WindowKind, &Window); 2] {
        [
            (WindowKind::Sign, &self.sign),
            (WindowKind::Resolve, &self.resolve),
        ]
    }

    /// Fires everything due at `now` in the running windows.
    pub fn fire(&mut self, cal: &WorkCalendar, status: Status, now: DateTime<Utc>) -> Vec<Fired> {
        let mut out = Vec::new();
        for (kind, window) in [
            (WindowKind::Sign, &mut self.sign),
            (WindowKind::Resolve, &mut self.resolve),
        ] {
            if is_running(kind, status) {
                for level in window.fire(cal, now) {
                    out.push(Fired {
                        window: kind,
                        round: window.round,
                        level,
                        due_at: window.due_at,
                    });
                }
            }
        }
        out
    }

    /// When the scanner should look at the ticket next; `None` when no window runs.
    pub fn next_check(&self, cal: &WorkCalendar, status: Status) -> Option<DateTime<Utc>> {
        self.windows()
            .into_iter()
            .filter(|(k, _)| is_running(*k, status))
            .map(|(_, w)| w.next_check(cal))
            .min()
    }

    /// Overdue days of the running windows (0 when none is overdue). A
    /// paused resolve window keeps the days it had: asking the enterprise a
    /// question does not take a ticket off the supervision list.
    pub fn overdue_days(&self, status: Status) -> i32 {
        self.windows()
            .into_iter()
            .filter(|(k, _)| {
                is_running(*k, status)
                    || (*k == WindowKind::Resolve && status == Status::AwaitingInfo)
            })
            .map(|(_, w)| w.fired.max(0))
            .max()
            .unwrap_or(0)
    }
}

/// What an action does to the clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    /// Transfer, escalate, return: a new sign-for window at the receiver;
    /// the resolve window keeps running from filing.
    SentOn,
    Pause,
    Resume,
    ExtensionRequested {
        days: i32,
    },
    ExtensionDecided {
        approved: bool,
    },
    /// A new resolve window.
    Reopened,
    None,
}

impl Clocks {
    pub fn apply(
        &mut self,
        cal: &WorkCalendar,
        policy: &Policy,
        change: ClockChange,
        now: DateTime<Utc>,
    ) {
        let pct = policy.warning_percent;
        match change {
            ClockChange::SentOn => {
                self.sign = Window::open(cal, &policy.sign, pct, self.sign.round + 1, now);
            }
            ClockChange::Pause => self.paused_at = Some(now),
            ClockChange::Resume => {
                if let Some(paused) = self.paused_at.take() {
                    self.resolve
                        .shift_by_pause(cal, policy.resolve.unit, paused, now);
                    self.resolve.rebase(cal, now);
                }
            }
            ClockChange::ExtensionRequested { days } => self.extension_days = Some(days),
            ClockChange::ExtensionDecided { approved } => {
                if let (true, Some(days)) = (approved, self.extension_days) {
                    self.resolve.extend(cal, days, pct);
                    self.resolve.rebase(cal, now);
                }
                self.extension_days = None;
            }
            ClockChange::Reopened => {
                self.resolve = Window::open(cal, &policy.resolve, pct, self.resolve.round + 1, now);
                self.paused_at = None;
                self.extension_days = None;
            }
            ClockChange::None => {}
        }
    }
}

/// Escalation level for `overdue_days` overdue working days, for a
/// department with `ancestors` departments above it: level 1 on the first
/// overdue day, one step up every `every` further days, no higher than the top.
pub fn escalation_level(overdue_days: i32, ancestors: usize, every: i32) -> i32 {
    if overdue_days <= 0 {
        return 0;
    }
    (1 + (overdue_days - 1) / every.max(1)).min(ancestors as i32)
}

/// Where a ticket stands against its clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub overdue: bool,
    pub escalation_level: i32,
    /// The department at the escalation level: told of it, and supervising it.
    pub supervising: Option<i64>,
}

pub fn standing(clocks: &Clocks, status: Status, handling: &DepartmentRef, every: i32) -> Standing {
    let days = clocks.overdue_days(status);
    let above = handling.ancestors();
    let level = escalation_level(days, above.len(), every);
    Standing {
        overdue: days > 0,
        escalation_level: level,
        supervising: (level > 0).then(|| above[level as usize - 1]),
    }
}

/// The department at escalation `level` above `handling` (the handler itself at 0).
pub fn department_at_level(handling: &DepartmentRef, level: i32) -> i64 {
    match level {
        l if l <= 0 => handling.id,
        l => handling
            .ancestors()
            .get(l as usize - 1)
            .copied()
            .unwrap_or(handling.id),
    }
}

/// The lowest department whose jurisdiction covers all of these (the
/// supervisor of a bounced ticket).
pub fn covering_department(departments: &[&DepartmentRef]) -> Option<i64> {
    let paths: Vec<Vec<i64>> = departments
        .iter()
        .map(|d| d.path.split('/').filter_map(|s| s.parse().ok()).collect())
        .collect();
    let first = paths.first()?;
    let common = (0..first.len())
        .take_while(|&i| paths.iter().all(|p| p.get(i) == Some(&first[i])))
        .count();
    common.checked_sub(1).map(|i| first[i])
}

pub mod cohandling;
mod remaining;
pub use remaining::{time_left, Measure, TimeLeft};

#[cfg(test)]
mod tests;
