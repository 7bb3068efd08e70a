//! The co-handling clock (协办时限): each co-handling department posts its
//! opinion within half of the resolve window that remained when it was
//! added, in the ticket's unit, and never in less than half a working day
//! (one clock hour for clock-minute tickets), so that a department added
//! to a ticket already late is not late the moment it is asked. The window
//! warns and reminds like the ticket's own (see [`Window`]).

use chrono::{DateTime, Duration, Utc};

use super::{to_minute, warning_point, Target, Unit, Window};
use crate::domain::calendar::WorkCalendar;

/// The shortest co-handling window for clock-minute tickets.
pub const MIN_CLOCK_MINUTES: i64 = 60;

/// The window of a co-handling department added at `at` to a ticket whose
/// resolve target is `resolve` and whose resolve deadline is `resolve_due`.
pub fn window(
    cal: &WorkCalendar,
    resolve: &Target,
    resolve_due: DateTime<Utc>,
    warning_percent: i32,
    round: i32,
    at: DateTime<Utc>,
) -> Window {
    let at = to_minute(at);
    let (unit, due_at) = match resolve.unit {
        Unit::ClockMinutes => {
            let left = (resolve_due - at).num_minutes().max(0);
            let half = (left / 2).max(MIN_CLOCK_MINUTES);
            (Unit::ClockMinutes, at + Duration::minutes(half))
        }
        Unit::WorkingMinutes | Unit::WorkingDays => {
            let left = cal.working_minutes_between(at, resolve_due);
            let half = (left / 2).max(cal.working_minutes_per_day() / 2);
            (Unit::WorkingMinutes, cal.add_working_minutes(at, half))
        }
    };
    Window {
        round,
        started_at: at,
        due_at,
        warn_at: warning_point(cal, unit, at, due_at, warning_percent),
        fired: -1,
    }
}

/// Whether an opinion posted at `answered` met the window.
pub fn on_time(w: &Window, answered: Option<DateTime<Utc>>) -> bool {
    answered.is_some_and(|a| a <= w.due_at)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Asia::Shanghai;

    use super::*;

    fn bj(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        let local = NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap();
        Shanghai
            .from_local_datetime(&local)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::new(crate::seed::holidays())
    }

    #[test]
    fn half_of_what_remains_in_working_time() {
        // Monday 2 March 09:00, resolve due Friday 6 March 17:30: 4.5 working
        // days (7.5 h each) remain; half is 16 h 52 min of working time.
        let days = Target {
            value: 5,
            unit: Unit::WorkingDays,
        };
        let w = window(&cal(), &days, bj(6, 17, 30), 75, 1, bj(2, 9, 0));
        assert_eq!(w.started_at, bj(2, 9, 0));
        let left = cal().working_minutes_between(bj(2, 9, 0), bj(6, 17, 30));
        assert_eq!(
            cal().working_minutes_between(w.started_at, w.due_at),
            left / 2
        );
        assert!(w.warn_at > w.started_at && w.warn_at < w.due_at);
        assert_eq!(w.fired, -1);
    }

    #[test]
    fn a_late_ticket_still_gives_half_a_working_day() {
        let days = Target {
            value: 5,
            unit: Unit::WorkingDays,
        };
        let w = window(&cal(), &days, bj(2, 9, 0), 75, 1, bj(3, 9, 0));
        assert_eq!(cal().working_minutes_between(w.started_at, w.due_at), 225);
        let clock = Target {
            value: 1440,
            unit: Unit::ClockMinutes,
        };
        let w = window(&cal(), &clock, bj(3, 10, 0), 75, 2, bj(3, 9, 0));
        assert_eq!(
            w.due_at,
            bj(3, 10, 0),
            "half of 60 min is under the floor of 60"
        );
        assert_eq!(w.round, 2);
    }

    #[test]
    fn an_opinion_counts_on_time_up_to_the_deadline() {
        let days = Target {
            value: 5,
            unit: Unit::WorkingDays,
        };
        let w = window(&cal(), &days, bj(6, 17, 30), 75, 1, bj(2, 9, 0));
        assert!(on_time(&w, Some(w.due_at)));
        assert!(!on_time(&w, Some(w.due_at + Duration::minutes(1))));
        assert!(!on_time(&w, None));
    }
}
