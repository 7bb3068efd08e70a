//! How much time a window has left, or how far past it is, in the unit
//! its policy counts in: working days and hours for working-time targets
//! (a working day is the calendar's, 7½ hours by default, not 24), wall
//! minutes and hours for clock-minute targets (特急). A value, not text:
//! the faces say it through the catalogue.

use super::Unit;

/// Which time a span is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Working time: whole working days of the calendar's length.
    Working,
    /// Wall time: whole days of 24 hours.
    Clock,
}

/// A span before (or past) a deadline, split as people say it. When
/// there are whole days the minutes are dropped ("2 个工作日 3 小时").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLeft {
    pub measure: Measure,
    /// Past the deadline.
    pub overdue: bool,
    pub days: i64,
    pub hours: i64,
    pub minutes: i64,
}

/// The span before a deadline in the unit of its window: `working` is the
/// working minutes left, `clock` the wall minutes left (both negative when
/// past), `working_day` the length of the calendar's working day.
pub fn time_left(unit: Unit, working: i64, clock: i64, working_day: i64) -> TimeLeft {
    let (measure, signed, day) = match unit {
        Unit::ClockMinutes => (Measure::Clock, clock, 24 * 60),
        Unit::WorkingMinutes | Unit::WorkingDays => (Measure::Working, working, working_day),
    };
    let m = signed.unsigned_abs() as i64;
    let mut days = if day > 0 { m / day } else { 0 };
    let rest = m - days * day.max(0);
    if days == 0 {
        return TimeLeft {
            measure,
            overdue: signed < 0,
            days,
            hours: rest / 60,
            minutes: rest % 60,
        };
    }
    // With whole days the minutes are not said: the hours are rounded
    // (a window just opened has "1 个工作日 7 小时", not 6 hours 59
    // minutes read as 6), a full day carried.
    let mut hours = (rest + 30) / 60;
    if hours * 60 >= day {
        days += 1;
        hours = 0;
    }
    TimeLeft {
        measure,
        overdue: signed < 0,
        days,
        hours,
        minutes: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 7 * 60 + 30;

    fn working(days: i64, hours: i64, minutes: i64, overdue: bool) -> TimeLeft {
        TimeLeft {
            measure: Measure::Working,
            overdue,
            days,
            hours,
            minutes,
        }
    }

    #[test]
    fn working_time_counts_working_days_not_calendar_days() {
        // "已超时 1 天 6 小时（工作时间）" was 30 working hours: four working days.
        assert_eq!(
            time_left(Unit::WorkingDays, -30 * 60, 0, DAY),
            working(4, 0, 0, true)
        );
        // The ministry's "7 天": 24 working days past.
        assert_eq!(
            time_left(Unit::WorkingDays, -24 * DAY, 0, DAY),
            working(24, 0, 0, true)
        );
        assert_eq!(
            time_left(Unit::WorkingDays, 2 * DAY + 3 * 60 + 10, 0, DAY),
            working(2, 3, 0, false)
        );
        // A window opened seconds ago: 1 day 6 h 59 min reads as 7 hours.
        assert_eq!(
            time_left(Unit::WorkingDays, DAY + 419, 0, DAY),
            working(1, 7, 0, false)
        );
        // Nearly two days of 8 hours: two.
        assert_eq!(
            time_left(Unit::WorkingDays, 2 * 480 - 10, 0, 480),
            working(2, 0, 0, false)
        );
        assert_eq!(
            time_left(Unit::WorkingMinutes, 100, 4000, DAY),
            working(0, 1, 40, false)
        );
    }

    #[test]
    fn clock_minute_windows_count_wall_time() {
        // 特急: 30 real minutes left though it is night (no working time).
        let t = time_left(Unit::ClockMinutes, 0, 25, DAY);
        assert_eq!(
            (t.measure, t.overdue, t.days, t.hours, t.minutes),
            (Measure::Clock, false, 0, 0, 25)
        );
        let t = time_left(Unit::ClockMinutes, -300, -(2 * 24 * 60 + 3 * 60 + 5), DAY);
        assert_eq!((t.overdue, t.days, t.hours, t.minutes), (true, 2, 3, 0));
    }

    #[test]
    fn a_calendar_without_working_time_counts_hours() {
        assert_eq!(
            time_left(Unit::WorkingDays, 125, 0, 0),
            working(0, 2, 5, false)
        );
    }

    proptest! {
        #[test]
        fn the_parts_add_up_to_the_span(
            m in -2_000_000i64..2_000_000,
            day in 1i64..1440,
            clock in any::<bool>(),
        ) {
            let unit = if clock { Unit::ClockMinutes } else { Unit::WorkingDays };
            let t = time_left(unit, m, m, day);
            let day = if clock { 24 * 60 } else { day };
            prop_assert_eq!(t.overdue, m < 0);
            prop_assert!(t.hours * 60 + t.minutes < day.max(60));
            let whole = t.days * day + t.hours * 60 + t.minutes;
            if t.days > 0 {
                // Only the minutes are rounded off.
                prop_assert!((m.abs() - whole).abs() <= 30, "{} vs {}", m, whole);
            } else {
                prop_assert_eq!(whole, m.abs());
            }
        }
    }
}
