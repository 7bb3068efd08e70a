//! Daily monitoring (每日调度, domain spec section 8): the daily report an
//! enterprise files for a Beijing date, what it may say, until when it may
//! be corrected, and what it adds to the daily figures the rates are
//! computed from ([`tally`], [`rates`]).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

use super::calendar::WorkCalendar;
use super::enterprise::{issue, issue_with, FieldIssue};

pub mod rates;
pub mod tally;

/// How an enterprise is producing on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperatingStatus {
    /// 正常生产
    Running,
    /// 部分复工
    Partial,
    /// 停产
    Stopped,
    /// 未复工
    NotResumed,
}

impl OperatingStatus {
    pub const ALL: [OperatingStatus; 4] = [
        OperatingStatus::Running,
        OperatingStatus::Partial,
        OperatingStatus::Stopped,
        OperatingStatus::NotResumed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatingStatus::Running => "running",
            OperatingStatus::Partial => "partial",
            OperatingStatus::Stopped => "stopped",
            OperatingStatus::NotResumed => "not_resumed",
        }
    }

    pub fn parse(s: &str) -> Option<OperatingStatus> {
        OperatingStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Counts as back at work (复工) in the back-to-work rate.
    pub fn is_back_at_work(self) -> bool {
        matches!(self, OperatingStatus::Running | OperatingStatus::Partial)
    }

    /// The catalogue key of its name.
    pub fn key(self) -> &'static str {
        match self {
            OperatingStatus::Running => "daily.status_running",
            OperatingStatus::Partial => "daily.status_partial",
            OperatingStatus::Stopped => "daily.status_stopped",
            OperatingStatus::NotResumed => "daily.status_not_resumed",
        }
    }
}

/// A report as typed on the page or sent to the API (numbers as text, so
/// that both faces get the same checks and the same words).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportInput {
    pub status: String,
    pub staff_on_duty: String,
    pub staff_usual: String,
    pub capacity_percent: String,
    pub output_quantity: String,
    pub output_unit: String,
    pub inventory_days: String,
    pub blockers: Vec<BlockerInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockerInput {
    pub category: String,
    pub text: String,
}

/// A blocker (堵点): a ticket category and what stands in the way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Blocker {
    pub category: String,
    pub text: String,
}

/// A report whose fields are all well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub status: OperatingStatus,
    pub staff_on_duty: i32,
    pub staff_usual: i32,
    pub capacity_percent: i32,
    /// Thousandths of the unit, and the unit.
    pub output: Option<(i64, String)>,
    pub inventory_days: Option<i32>,
    pub blockers: Vec<Blocker>,
}

pub const MAX_STAFF: i64 = 1_000_000;
pub const MAX_CAPACITY_PERCENT: i64 = 200;
pub const MAX_INVENTORY_DAYS: i64 = 3650;
pub const MAX_BLOCKERS: usize = 5;
pub const MAX_BLOCKER_CHARS: usize = 500;
pub const MAX_UNIT_CHARS: usize = 10;
/// The largest output, in units (a trillion).
pub const MAX_OUTPUT: i64 = 1_000_000_000_000;

fn whole(field: &'static str, text: &str, max: i64, issues: &mut Vec<FieldIssue>) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        issues.push(issue(field, "daily_field.required"));
        return None;
    }
    match t.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Some(n),
        _ => {
            issues.push(issue_with(
                field,
                "daily_field.whole_number",
                [("max", max.to_string())],
            ));
            None
        }
    }
}

/// A quantity with at most three decimals, as thousandths.
pub fn parse_milli(text: &str) -> Option<i64> {
    let t = text.trim().replace([',', '，'], "");
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    if int.is_empty()
        || frac.len() > 3
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || int.len() > 13
    {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    if whole > MAX_OUTPUT {
        return None;
    }
    let frac: i64 = format!("{frac:0<3}").parse().ok()?;
    Some(whole * 1000 + frac)
}

/// Thousandths written back as people write the number (`45000`, `1.5`).
pub fn milli_text(milli: i64) -> String {
    let (whole, frac) = (milli / 1000, milli % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:03}")
            .trim_end_matches('0')
            .to_string()
    }
}

/// Checks every field at once. `categories` are the ticket categories a
/// new problem may choose (a blocker may become one).
pub fn parse_report(input: &ReportInput, categories: &[String]) -> Result<Report, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let status = match input.status.trim() {
        "" => {
            issues.push(issue("status", "daily_field.status_required"));
            None
        }
        s => {
            let parsed = OperatingStatus::parse(s);
            if parsed.is_none() {
                issues.push(issue("status", "daily_field.status_unknown"));
            }
            parsed
        }
    };
    let usual = whole("staff_usual", &input.staff_usual, MAX_STAFF, &mut issues);
    let on_duty = whole(
        "staff_on_duty",
        &input.staff_on_duty,
        MAX_STAFF,
        &mut issues,
    );
    if let (Some(d), Some(u)) = (on_duty, usual) {
        if d > u {
            issues.push(issue(
                "staff_on_duty",
                "daily_field.more_on_duty_than_usual",
            ));
        }
    }
    if usual == Some(0) {
        issues.push(issue("staff_usual", "daily_field.usual_staff_zero"));
    }
    let capacity = whole(
        "capacity_percent",
        &input.capacity_percent,
        MAX_CAPACITY_PERCENT,
        &mut issues,
    );
    if let (Some(s), Some(c)) = (status, capacity) {
        if !s.is_back_at_work() && c > 0 {
            issues.push(issue(
                "capacity_percent",
                "daily_field.capacity_while_stopped",
            ));
        }
    }
    let unit = input.output_unit.trim();
    let quantity = input.output_quantity.trim();
    let output = match (quantity.is_empty(), unit.is_empty()) {
        (true, true) => None,
        (false, true) => {
            issues.push(issue("output_unit", "daily_field.unit_required"));
            None
        }
        (true, false) => {
            issues.push(issue("output_quantity", "daily_field.quantity_required"));
            None
        }
        (false, false) => {
            let milli = parse_milli(quantity);
            if milli.is_none() {
                issues.push(issue("output_quantity", "daily_field.quantity_format"));
            }
            let unit_ok = unit.chars().count() <= MAX_UNIT_CHARS
                && !unit.chars().any(|c| c.is_ascii_digit() || c.is_control());
            if !unit_ok {
                issues.push(issue_with(
                    "output_unit",
                    "daily_field.unit_format",
                    [("max", MAX_UNIT_CHARS.to_string())],
                ));
            }
            milli.filter(|_| unit_ok).map(|m| (m, unit.to_string()))
        }
    };
    let inventory = match input.inventory_days.trim() {
        "" => None,
        t => whole("inventory_days", t, MAX_INVENTORY_DAYS, &mut issues),
    };
    let mut blockers = Vec::new();
    let given: Vec<&BlockerInput> = input
        .blockers
        .iter()
        .filter(|b| !(b.category.trim().is_empty() && b.text.trim().is_empty()))
        .collect();
    if given.len() > MAX_BLOCKERS {
        issues.push(issue_with(
            "blockers",
            "daily_field.too_many_blockers",
            [("max", MAX_BLOCKERS.to_string())],
        ));
    }
    for b in given.iter().take(MAX_BLOCKERS) {
        let category = b.category.trim();
        let text = b.text.trim();
        if !categories.iter().any(|c| c == category) {
            issues.push(issue("blockers", "daily_field.blocker_category"));
        }
        if text.chars().count() < 2
            || text.chars().count() > MAX_BLOCKER_CHARS
            || super::ticket::has_control_characters(text)
        {
            issues.push(issue_with(
                "blockers",
                "daily_field.blocker_text",
                [("max", MAX_BLOCKER_CHARS.to_string())],
            ));
        }
        let blocker = Blocker {
            category: category.to_string(),
            text: text.to_string(),
        };
        if blockers.contains(&blocker) {
            issues.push(issue("blockers", "daily_field.blocker_repeated"));
        }
        blockers.push(blocker);
    }
    match (status, on_duty, usual, capacity) {
        (Some(status), Some(d), Some(u), Some(c)) if issues.is_empty() => Ok(Report {
            status,
            staff_on_duty: d as i32,
            staff_usual: u as i32,
            capacity_percent: c as i32,
            output,
            inventory_days: inventory.map(|n| n as i32),
            blockers,
        }),
        _ => Err(issues),
    }
}

/// The Beijing date of an instant.
pub fn beijing_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

fn beijing_instant(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&day.and_time(time))
        .single()
        .expect("Beijing has no daylight saving")
        .with_timezone(&Utc)
}

/// The first working day after `day`.
pub fn next_working_day(calendar: &WorkCalendar, day: NaiveDate) -> NaiveDate {
    let mut d = day.succ_opt().expect("a next day");
    // A year of holidays is never longer than a few weeks; bound it anyway.
    for _ in 0..60 {
        if calendar.is_working_day(d) {
            return d;
        }
        d = d.succ_opt().expect("a next day");
    }
    d
}

/// Until when the report of `day` may be corrected: `cutoff` (Beijing) on
/// the next working day. A report first filed after it is late.
pub fn correction_deadline(
    calendar: &WorkCalendar,
    day: NaiveDate,
    cutoff: NaiveTime,
) -> DateTime<Utc> {
    beijing_instant(next_working_day(calendar, day), cutoff)
}

/// What filing a report for `day` at `now` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filing {
    /// The first report of the day, in time.
    First,
    /// The first report, after the cut-off: accepted, marked late.
    Late,
    /// A change of an existing report before the cut-off.
    Correction,
    /// The same report again: nothing to do.
    Unchanged,
}

/// Why a report cannot be filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilingRefusal {
    /// A day that has not begun in Beijing.
    FutureDay,
    /// A correction after the cut-off (or of a report filed late).
    CorrectionClosed,
}

/// Decides what a submission is. `existing`: the stored report of the day
/// (None before the first) and whether it was late.
pub fn decide_filing(
    day: NaiveDate,
    now: DateTime<Utc>,
    deadline: DateTime<Utc>,
    existing: Option<(&Report, bool)>,
    submitted: &Report,
) -> Result<Filing, FilingRefusal> {
    if day > beijing_date(now) {
        return Err(FilingRefusal::FutureDay);
    }
    match existing {
        None if now > deadline => Ok(Filing::Late),
        None => Ok(Filing::First),
        Some((stored, _)) if same_report(stored, submitted) => Ok(Filing::Unchanged),
        Some((_, late)) if late || now > deadline => Err(FilingRefusal::CorrectionClosed),
        Some(_) => Ok(Filing::Correction),
    }
}

/// Two reports say the same (blockers in any order).
pub fn same_report(a: &Report, b: &Report) -> bool {
    let mut x = a.blockers.clone();
    let mut y = b.blockers.clone();
    let key = |b: &Blocker| (b.category.clone(), b.text.clone());
    x.sort_by_key(key);
    y.sort_by_key(key);
    Report {
        blockers: x,
        ..a.clone()
    } == Report {
        blockers: y,
        ..b.clone()
    }
}

#[cfg(test)]
mod tests;
