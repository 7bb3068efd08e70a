//! Administering the work calendar and the SLA policies.

use crate::domain::enterprise::FieldIssue;
use crate::domain::words::Phrase;
use std::collections::BTreeMap;

use chrono::Datelike;

use super::sla::Sla;
use crate::domain::calendar::{
    check_marked_days, parse_marked_days, DayKind, LineProblem, MarkedDay,
};
use crate::domain::sla::Policy;
use crate::storage::sla::{CalendarDay, PolicyRow};
use crate::storage::{write_transaction, Database, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("invalid calendar")]
    Invalid(Vec<LineProblem>),
    #[error("invalid policy")]
    InvalidPolicy(Vec<FieldIssue>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a calendar load changed, per year: (holidays, workdays).
pub type YearCounts = BTreeMap<i32, (usize, usize)>;

/// What a calendar load did.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub years: YearCounts,
    /// Open tickets whose deadlines moved with the new calendar.
    pub deadlines_moved: usize,
}

pub async fn year(db: &Database, year: i32) -> Result<Vec<MarkedDay>, StorageError> {
    db.run(move |conn| {
        Ok(CalendarDay::of_year(conn, year)?
            .iter()
            .map(CalendarDay::marked)
            .collect())
    })
    .await
}

/// Loads a calendar file: every year it mentions is replaced as a whole.
pub async fn import(db: &Database, sla: &Sla, text: &str) -> Result<Loaded, CalendarError> {
    let days = parse_marked_days(text).map_err(CalendarError::Invalid)?;
    if days.is_empty() {
        return Err(CalendarError::Invalid(vec![LineProblem {
            line: 1,
            what: Phrase::new("field.calendar_no_dates"),
        }]));
    }
    replace(db, sla, days).await
}

/// Replaces one year's marked days with these (all in that year).
pub async fn replace_year(
    db: &Database,
    sla: &Sla,
    year: i32,
    days: Vec<MarkedDay>,
) -> Result<Loaded, CalendarError> {
    let outside: Vec<LineProblem> = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.date.year() != year)
        .map(|(i, d)| LineProblem {
            line: i + 1,
            what: Phrase::with(
                "field.calendar_outside_year",
                [("date", d.date.to_string()), ("year", year.to_string())],
            ),
        })
        .collect();
    if !outside.is_empty() {
        return Err(CalendarError::Invalid(outside));
    }
    let numbered: Vec<(usize, MarkedDay)> = days
        .into_iter()
        .enumerate()
        .map(|(i, d)| (i + 1, d))
        .collect();
    let problems = check_marked_days(&numbered);
    if !problems.is_empty() {
        return Err(CalendarError::Invalid(problems));
    }
    let checked = numbered.into_iter().map(|(_, d)| d).collect();
    let mut loaded = replace(db, sla, checked).await?;
    loaded.years.entry(year).or_insert((0, 0));
    Ok(loaded)
}

async fn replace(db: &Database, sla: &Sla, days: Vec<MarkedDay>) -> Result<Loaded, CalendarError> {
    let mut by_year: BTreeMap<i32, Vec<MarkedDay>> = BTreeMap::new();
    for d in days {
        by_year.entry(d.date.year()).or_default().push(d);
    }
    let counts: YearCounts = by_year
        .iter()
        .map(|(y, ds)| {
            let holidays = ds.iter().filter(|d| d.kind == DayKind::Holiday).count();
            (*y, (holidays, ds.len() - holidays))
        })
        .collect();
    let now = sla.now().naive_utc();
    db.run_write(move |conn| {
        write_transaction(conn, |conn| {
            // The calendar as it was, for the deadlines measured on it.
            let years: Vec<i32> = by_year.keys().copied().collect();
            let mut previous = Vec::new();
            for year in &years {
                previous.extend(
                    CalendarDay::of_year(conn, *year)?
                        .iter()
                        .map(CalendarDay::marked),
                );
            }
            super::deadlines::record_load(conn, &years, &previous, now)?;
            for (year, ds) in &by_year {
                let rows: Vec<CalendarDay> = ds.iter().map(|d| CalendarDay::of(d, now)).collect();
                CalendarDay::replace_year(conn, *year, &rows)?;
            }
            Ok::<_, StorageError>(())
        })
    })
    .await?;
    sla.invalidate();
    let deadlines_moved = super::deadlines::recompute_pending(db, sla).await?;
    Ok(Loaded {
        years: counts,
        deadlines_moved,
    })
}

/// Whether next year's calendar is loaded, as the database has it now.
/// `/metrics` asks at each scrape rather than keeping a process-wide gauge,
/// so that the figure is this service's own, whatever else shares the process.
pub async fn next_year_loaded(db: &Database, sla: &Sla) -> Result<bool, StorageError> {
    let s = sla.clone();
    db.run(move |conn| {
        let snap = s.snapshot(conn)?;
        let next = s.now().with_timezone(&chrono_tz::Asia::Shanghai).year() + 1;
        Ok(snap.calendar.covers(next))
    })
    .await
}

/// Looks at the calendar as a watchman would: refreshes the snapshot,
/// finishes any deadline recompute a crash left, and returns the year whose
/// calendar is missing now.
pub async fn watch(db: &Database, sla: &Sla) -> Result<Option<i32>, StorageError> {
    next_year_loaded(db, sla).await?;
    super::deadlines::recompute_pending(db, sla).await?;
    Ok(sla.missing_calendar_year())
}

pub async fn policies(db: &Database) -> Result<Vec<Policy>, StorageError> {
    db.run(|conn| {
        Ok(PolicyRow::all(conn)?
            .iter()
            .map(PolicyRow::policy)
            .collect())
    })
    .await
}

/// Creates or replaces a policy; true when created. Deadlines already set
/// stay; windows opened from now on use the new targets.
pub async fn put_policy(db: &Database, sla: &Sla, policy: Policy) -> Result<bool, CalendarError> {
    let problems = policy.problems();
    if !problems.is_empty() {
        return Err(CalendarError::InvalidPolicy(problems));
    }
    let row = PolicyRow::of(&policy, sla.now().naive_utc());
    let created = db
        .run(move |conn| Ok(write_transaction(conn, |conn| PolicyRow::put(conn, &row))?))
        .await?;
    sla.invalidate();
    Ok(created)
}
