//! Working time in China: Asia/Shanghai, working intervals of a working day,
//! public holidays and make-up workdays (调休). Pure: the calendar's data is
//! handed in.

use std::collections::{BTreeSet, HashSet};

use super::words::Phrase;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Asia::Shanghai;

/// How a date is marked in the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum DayKind {
    /// A day off, weekday or not.
    Holiday,
    /// A weekend day that is worked.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        match s {
            "holiday" => Some(DayKind::Holiday),
            "workday" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// A date marked in the calendar, with the festival it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub note: String,
}

/// A line of a calendar file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub what: Phrase,
}

/// Reads a calendar file: CSV with a header `date,kind[,festival]`, dates as
/// `YYYY-MM-DD`, kind `holiday` or `workday`. Every bad line is reported;
/// a date may appear once.
pub fn parse_marked_days(text: &str) -> Result<Vec<MarkedDay>, Vec<LineProblem>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let header_ok = reader
        .headers()
        .is_ok_and(|h| h.get(0) == Some("date") && h.get(1) == Some("kind"));
    if !header_ok {
        return Err(vec![LineProblem {
            line: 1,
            what: Phrase::with(
                "field.calendar_header",
                [("header", "date,kind,festival".into())],
            ),
        }]);
    }
    let mut numbered: Vec<(usize, MarkedDay)> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let bad = |what: Phrase| LineProblem { line, what };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(bad(Phrase::with(
                    "field.calendar_line_unreadable",
                    [("why", e.to_string())],
                )));
                continue;
            }
        };
        let date = NaiveDate::parse_from_str(record.get(0).unwrap_or(""), "%Y-%m-%d");
        let kind = DayKind::parse(record.get(1).unwrap_or(""));
        match (date, kind) {
            (Ok(date), Some(kind)) if (1949..=2200).contains(&date.year()) => numbered.push((
                line,
                MarkedDay {
                    date,
                    kind,
                    note: record.get(2).unwrap_or("").chars().take(100).collect(),
                },
            )),
            (Ok(_) | Err(_), Some(_)) => {
                problems.push(bad(Phrase::new("field.calendar_date_format")))
            }
            (_, None) => problems.push(bad(Phrase::new("field.calendar_day_kind"))),
        }
    }
    problems.extend(check_marked_days(&numbered));
    problems.sort_by_key(|p| p.line);
    let days = numbered.into_iter().map(|(_, d)| d).collect();
    if problems.is_empty() {
        Ok(days)
    } else {
        Err(problems)
    }
}

/// The rules a set of marked days must keep, whatever they came from: a
/// date appears once, and `workday` marks only a weekend day. Each day
/// comes with the line (or position) to report.
pub fn check_marked_days(days: &[(usize, MarkedDay)]) -> Vec<LineProblem> {
    let mut seen = HashSet::new();
    let mut problems = Vec::new();
    for (line, d) in days {
        let date = d.date;
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if d.kind == DayKind::Workday && !weekend {
            problems.push(LineProblem {
                line: *line,
                what: Phrase::with(
                    "field.calendar_workday_not_weekend",
                    [("date", date.to_string())],
                ),
            });
        } else if !seen.insert(date) {
            problems.push(LineProblem {
                line: *line,
                what: Phrase::with("field.calendar_date_twice", [("date", date.to_string())]),
            });
        }
    }
    problems
}

#[derive(Debug, Clone)]
pub struct WorkCalendar {
    /// Working intervals of a working day, local time, sorted, not overlapping.
    intervals: Vec<(NaiveTime, NaiveTime)>,
    holidays: HashSet<NaiveDate>,
    workdays: HashSet<NaiveDate>,
    /// Years with any marked day: the State Council's calendar is loaded.
    /// Every real year has holidays, so an empty year is one not loaded.
    years: BTreeSet<i32>,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

impl WorkCalendar {
    /// The default intervals, 08:30-12:00 and 13:30-17:30, with these marked days.
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> WorkCalendar {
        WorkCalendar::with_intervals(vec![(hm(8, 30), hm(12, 0)), (hm(13, 30), hm(17, 30))], days)
    }

    pub fn with_intervals(
        mut intervals: Vec<(NaiveTime, NaiveTime)>,
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
    ) -> WorkCalendar {
        intervals.retain(|(a, b)| a < b);
        intervals.sort();
        let mut holidays = HashSet::new();
        let mut workdays = HashSet::new();
        let mut years = BTreeSet::new();
        for (date, kind) in days {
            years.insert(date.year());
            match kind {
                DayKind::Holiday => holidays.insert(date),
                DayKind::Workday => workdays.insert(date),
            };
        }
        WorkCalendar {
            intervals,
            holidays,
            workdays,
            years,
        }
    }

    /// Whether the year's calendar is loaded.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// A deadline in a year with no calendar counts that year's holidays as
    /// working days: it is provisional until the year is loaded.
    pub fn is_provisional(&self, at: DateTime<Utc>) -> bool {
        !self.covers(Self::local(at).year())
    }

    /// The year whose calendar is missing and should be loaded now: this
    /// year, or from 1 November the next one.
    pub fn missing_year(&self, today: NaiveDate) -> Option<i32> {
        let year = today.year();
        if !self.covers(year) {
            Some(year)
        } else if today.month() >= 11 && !self.covers(year + 1) {
            Some(year + 1)
        } else {
            None
        }
    }

    /// Marked `workday`, or Monday to Friday and not marked `holiday`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.workdays.contains(&date)
            || (!matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
                && !self.holidays.contains(&date))
    }

    fn local(at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&Shanghai).naive_local()
    }

    fn utc(local: NaiveDateTime) -> DateTime<Utc> {
        // China has no daylight saving: every local time exists once.
        Shanghai
            .from_local_datetime(&local)
            .single()
            .expect("Asia/Shanghai has no gaps")
            .with_timezone(&Utc)
    }

    /// Working intervals of a date, as local instants.
    fn day_intervals(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        let working = self.is_working_day(date) && !self.intervals.is_empty();
        self.intervals
            .iter()
            .filter(move |_| working)
            .map(move |(a, b)| (date.and_time(*a), date.and_time(*b)))
    }

    /// The instant at which `minutes` of working time have passed since `start`.
    pub fn add_working_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let mut remaining = Duration::minutes(minutes.max(0));
        let mut cursor = Self::local(start);
        let mut date = cursor.date();
        // A calendar without working days would loop forever: give up after ten years.
        for _ in 0..3660 {
            for (a, b) in self.day_intervals(date) {
                if b <= cursor {
                    continue;
                }
                let from = cursor.max(a);
                let available = b - from;
                if remaining <= available {
                    return Self::utc(from + remaining);
                }
                remaining -= available;
                cursor = b;
            }
            date = date.succ_opt().expect("date in range");
            cursor = cursor.max(date.and_time(NaiveTime::MIN));
        }
        Self::utc(cursor)
    }

    /// Working minutes between two instants (0 if `to` is not after `from`).
    pub fn working_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let (from, to) = (Self::local(from), Self::local(to));
        let mut total = Duration::zero();
        let mut date = from.date();
        while date <= to.date() {
            for (a, b) in self.day_intervals(date) {
                let (lo, hi) = (a.max(from), b.min(to));
                if hi > lo {
                    total += hi - lo;
                }
            }
            date = date.succ_opt().expect("date in range");
        }
        total.num_minutes()
    }

    /// The end of the `n`-th working day after `start`'s date (次日起算: the
    /// day of filing does not count).
    pub fn end_of_nth_working_day_after(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut date = Self::local(start).date();
        let mut counted = 0;
        for _ in 0..3660 {
            date = date.succ_opt().expect("date in range");
            if self.is_working_day(date) {
                counted += 1;
                if counted >= n.max(1) {
                    break;
                }
            }
        }
        let end = self.intervals.last().map_or(NaiveTime::MIN, |(_, b)| *b);
        Self::utc(date.and_time(end))
    }

    /// The working intervals of a working day parsed from `"08:30-12:00"`
    /// strings; `None` when one is malformed, reversed or they overlap.
    pub fn parse_intervals(specs: &[String]) -> Option<Vec<(NaiveTime, NaiveTime)>> {
        let mut out = Vec::new();
        for spec in specs {
            let (a, b) = spec.split_once('-')?;
            let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
            let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
            if a >= b {
                return None;
            }
            out.push((a, b));
        }
        out.sort();
        let disjoint = out.windows(2).all(|w| w[0].1 <= w[1].0);
        (disjoint && !out.is_empty()).then_some(out)
    }

    /// Working minutes of a full working day (450 by default).
    pub fn working_minutes_per_day(&self) -> i64 {
        self.intervals
            .iter()
            .map(|(a, b)| (*b - *a).num_minutes())
            .sum()
    }

    /// The working intervals of a working day, local time.
    pub fn intervals(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.intervals
    }

    /// Whether the instant lies in working time (interval ends included).
    pub fn is_working_time(&self, at: DateTime<Utc>) -> bool {
        let local = Self::local(at);
        self.day_intervals(local.date())
            .any(|(a, b)| a <= local && local <= b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shipped() -> WorkCalendar {
        WorkCalendar::new(crate::seed::holidays())
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        WorkCalendar::utc(
            NaiveDate::from_ymd_opt(y, mo, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap(),
        )
    }

    #[test]
    fn the_2026_spring_festival() {
        let c = shipped();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert!(c.is_working_day(d(2, 14)), "Saturday 2/14 is worked");
        for day in 15..=23 {
            assert!(!c.is_working_day(d(2, day)), "2/{day} is off");
        }
        assert!(c.is_working_day(d(2, 28)), "Saturday 2/28 is worked");
        // Friday 2/13 16:00 + 1 working day: the next working day is Saturday 2/14.
        assert_eq!(
            c.end_of_nth_working_day_after(at(2026, 2, 13, 16, 0), 1),
            at(2026, 2, 14, 17, 30)
        );
        // From 2/14, five working days: 2/24, 25, 26, 27, 28.
        assert_eq!(
            c.end_of_nth_working_day_after(at(2026, 2, 14, 10, 0), 5),
            at(2026, 2, 28, 17, 30)
        );
        // 120 working minutes from Saturday 2/14 17:00: 30 that day, 90 on 2/24.
        assert_eq!(
            c.add_working_minutes(at(2026, 2, 14, 17, 0), 120),
            at(2026, 2, 24, 10, 0)
        );
    }

    #[test]
    fn national_day_week() {
        let c = shipped();
        // Wednesday 9/30 16:00 + 1 working day: Oct 1-7 off, 10/8 is the next.
        assert_eq!(
            c.end_of_nth_working_day_after(at(2026, 9, 30, 16, 0), 1),
            at(2026, 10, 8, 17, 30)
        );
        // Sunday 9/20 is a make-up workday.
        assert!(c.is_working_day(NaiveDate::from_ymd_opt(2026, 9, 20).unwrap()));
    }

    #[test]
    fn lunch_and_nights_do_not_count() {
        let c = shipped();
        assert_eq!(
            c.add_working_minutes(at(2026, 3, 2, 11, 30), 60),
            at(2026, 3, 2, 14, 0)
        );
        assert_eq!(
            c.add_working_minutes(at(2026, 3, 2, 20, 0), 30),
            at(2026, 3, 3, 9, 0)
        );
        assert_eq!(
            c.working_minutes_between(at(2026, 3, 2, 11, 0), at(2026, 3, 2, 14, 0)),
            90
        );
        assert_eq!(
            c.working_minutes_between(at(2026, 3, 6, 17, 0), at(2026, 3, 9, 9, 0)),
            60
        );
    }

    fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2025-12-01 to 2026-12-01, minute resolution.
        (0i64..525_600).prop_map(|m| at(2025, 12, 1, 0, 0) + Duration::minutes(m))
    }

    proptest! {
        #[test]
        fn adding_then_measuring_gives_back_n(start in any_instant(), n in 0i64..20_000) {
            let c = shipped();
            let end = c.add_working_minutes(start, n);
            prop_assert_eq!(c.working_minutes_between(start, end), n);
        }

        #[test]
        fn deadlines_fall_in_working_time(start in any_instant(), n in 1i64..20_000, days in 1u32..30) {
            let c = shipped();
            prop_assert!(c.is_working_time(c.add_working_minutes(start, n)));
            prop_assert!(c.is_working_time(c.end_of_nth_working_day_after(start, days)));
        }

        #[test]
        fn more_minutes_never_end_sooner(start in any_instant(), n in 0i64..10_000, more in 0i64..5_000) {
            let c = shipped();
            prop_assert!(c.add_working_minutes(start, n) <= c.add_working_minutes(start, n + more));
        }

        #[test]
        fn more_days_never_end_sooner(start in any_instant(), n in 1u32..30) {
            let c = shipped();
            prop_assert!(c.end_of_nth_working_day_after(start, n) < c.end_of_nth_working_day_after(start, n + 1));
        }
    }
}
