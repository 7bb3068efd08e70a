use chrono::{NaiveDate, TimeZone};
use chrono_tz::Asia::Shanghai;
use proptest::prelude::*;

use super::*;

fn cal() -> WorkCalendar {
    WorkCalendar::new(crate::seed::holidays())
}

/// Beijing time.
fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(
            &NaiveDate::from_ymd_opt(y, mo, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap(),
        )
        .unwrap()
        .with_timezone(&Utc)
}

fn policy(name: &str) -> Policy {
    Policy::defaults()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap()
}

#[test]
fn defaults_follow_the_spec_and_are_valid() {
    let d = Policy::defaults();
    assert_eq!(d.len(), 3);
    for p in &d {
        assert!(p.problems().is_empty(), "{}", p.name);
        assert_eq!(p.warning_percent, 75);
    }
    assert_eq!(
        policy("critical").sign,
        Target {
            value: 30,
            unit: Unit::ClockMinutes
        }
    );
    assert_eq!(
        policy("urgent").resolve,
        Target {
            value: 2,
            unit: Unit::WorkingDays
        }
    );
    assert_eq!(
        policy("normal").sign,
        Target {
            value: 1,
            unit: Unit::WorkingDays
        }
    );
}

#[test]
fn a_normal_ticket_filed_on_the_friday_before_qingming() {
    // Friday 2026-04-03 16:00; 4/4-4/6 are off.
    let c = Clocks::open(&cal(), &policy("normal"), bj(2026, 4, 3, 16, 0));
    assert_eq!(c.sign.due_at, bj(2026, 4, 7, 17, 30));
    // 4/7, 4/8, 4/9, 4/10, 4/13.
    assert_eq!(c.resolve.due_at, bj(2026, 4, 13, 17, 30));
    // 540 working minutes in the sign-for window; 75% is 405: 90 on Friday,
    // 210 on Tuesday morning, 105 after lunch.
    assert_eq!(c.sign.warn_at, bj(2026, 4, 7, 15, 15));
}

#[test]
fn critical_targets_run_on_the_wall_clock() {
    let c = Clocks::open(&cal(), &policy("critical"), bj(2026, 10, 1, 23, 0));
    assert_eq!(c.sign.due_at, bj(2026, 10, 1, 23, 30));
    assert_eq!(
        c.sign.warn_at,
        bj(2026, 10, 1, 23, 22) + Duration::seconds(30)
    );
    assert_eq!(c.resolve.due_at, bj(2026, 10, 2, 23, 0));
}

#[test]
fn overdue_climbs_one_level_per_working_day_and_reminds_daily() {
    let cal = cal();
    let p = policy("normal");
    let mut c = Clocks::open(&cal, &p, bj(2026, 4, 3, 16, 0));
    let status = Status::PendingSign;
    assert!(c.fire(&cal, status, bj(2026, 4, 7, 15, 0)).is_empty());
    let warned = c.fire(&cal, status, bj(2026, 4, 7, 15, 20));
    assert_eq!(
        warned.iter().map(Fired::kind).collect::<Vec<_>>(),
        ["sign_warning"]
    );
    assert_eq!(c.next_check(&cal, status), Some(bj(2026, 4, 7, 17, 30)));
    // Firing again at the same time does nothing.
    assert!(c.fire(&cal, status, bj(2026, 4, 7, 15, 20)).is_empty());
    let day1 = c.fire(&cal, status, bj(2026, 4, 7, 17, 31));
    assert_eq!(day1.len(), 1);
    assert_eq!((day1[0].kind(), day1[0].level), ("sign_overdue", 1));
    assert_eq!(c.overdue_days(status), 1);
    assert_eq!(c.next_check(&cal, status), Some(bj(2026, 4, 8, 17, 30)));
    // A scanner that slept two days catches up level by level.
    let later = c.fire(&cal, status, bj(2026, 4, 10, 9, 0));
    assert_eq!(later.iter().map(|f| f.level).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(escalation_level(c.overdue_days(status), 3, 1), 3);
    // Day 4: still reminded, but the ministry is the top.
    c.fire(&cal, status, bj(2026, 4, 10, 17, 31));
    assert_eq!(c.overdue_days(status), 4);
    assert_eq!(escalation_level(4, 3, 1), 3);
    // The resolve window warned on 4/10 at 75% (15:15).
    assert_eq!(c.resolve.warn_at, bj(2026, 4, 10, 15, 15));
    assert_eq!(c.resolve.fired, 0);
    // Signed for: the sign-for window stops; the resolve window is not due.
    assert_eq!(c.overdue_days(Status::Handling), 0);
    assert_eq!(c.next_check(&cal, Status::Handling), Some(c.resolve.due_at));
}

#[test]
fn nothing_runs_once_resolved_or_closed() {
    let cal = cal();
    let p = policy("urgent");
    let mut c = Clocks::open(&cal, &p, bj(2026, 3, 2, 9, 0));
    for s in [
        Status::Resolved,
        Status::Closed,
        Status::Rejected,
        Status::Withdrawn,
        Status::AwaitingInfo,
    ] {
        assert_eq!(c.next_check(&cal, s), None, "{s:?}");
        assert!(c.fire(&cal, s, bj(2027, 1, 1, 0, 0)).is_empty());
    }
}

#[test]
fn a_pause_moves_the_resolve_deadline_by_the_paused_working_time() {
    let cal = cal();
    let p = policy("normal");
    let mut c = Clocks::open(&cal, &p, bj(2026, 3, 2, 9, 0));
    assert_eq!(c.resolve.due_at, bj(2026, 3, 9, 17, 30));
    c.apply(&cal, &p, ClockChange::Pause, bj(2026, 3, 3, 10, 0));
    // Paused Tuesday 10:00 to Wednesday 10:00: 450 working minutes.
    c.apply(&cal, &p, ClockChange::Resume, bj(2026, 3, 4, 10, 0));
    assert_eq!(c.resolve.due_at, bj(2026, 3, 10, 17, 30));
    assert_eq!(c.paused_at, None);
}

#[test]
fn an_approved_extension_adds_working_days_and_a_refused_one_does_not() {
    let cal = cal();
    let p = policy("normal");
    let mut c = Clocks::open(&cal, &p, bj(2026, 3, 2, 9, 0));
    c.apply(
        &cal,
        &p,
        ClockChange::ExtensionRequested { days: 3 },
        bj(2026, 3, 3, 9, 0),
    );
    c.apply(
        &cal,
        &p,
        ClockChange::ExtensionDecided { approved: false },
        bj(2026, 3, 3, 10, 0),
    );
    assert_eq!(c.resolve.due_at, bj(2026, 3, 9, 17, 30));
    c.apply(
        &cal,
        &p,
        ClockChange::ExtensionRequested { days: 3 },
        bj(2026, 3, 3, 11, 0),
    );
    c.apply(
        &cal,
        &p,
        ClockChange::ExtensionDecided { approved: true },
        bj(2026, 3, 3, 12, 0),
    );
    assert_eq!(c.resolve.due_at, bj(2026, 3, 12, 17, 30));
    assert_eq!(c.extension_days, None);
}

#[test]
fn sending_on_opens_a_new_sign_window_but_keeps_the_resolve_window() {
    let cal = cal();
    let p = policy("urgent");
    let mut c = Clocks::open(&cal, &p, bj(2026, 3, 2, 9, 0));
    let resolve = c.resolve.clone();
    c.fire(&cal, Status::PendingSign, bj(2026, 3, 2, 11, 0));
    assert_eq!(c.sign.fired, 1);
    c.apply(&cal, &p, ClockChange::SentOn, bj(2026, 3, 2, 14, 0));
    assert_eq!((c.sign.round, c.sign.fired), (2, -1));
    assert_eq!(c.sign.due_at, bj(2026, 3, 2, 16, 0));
    assert_eq!(c.resolve, resolve);
    // A reopen starts a new resolve window.
    c.apply(&cal, &p, ClockChange::Reopened, bj(2026, 3, 20, 9, 0));
    assert_eq!(c.resolve.round, 2);
    assert_eq!(c.resolve.due_at, bj(2026, 3, 24, 17, 30));
}

#[test]
fn escalation_reaches_the_departments_above_one_by_one() {
    let county = DepartmentRef {
        id: 345,
        path: "/1/12/120/345/".into(),
    };
    let cal = cal();
    let p = policy("normal");
    let mut c = Clocks::open(&cal, &p, bj(2026, 4, 3, 16, 0));
    let s = Status::PendingSign;
    let at = |c: &Clocks| standing(c, s, &county, 1);
    assert_eq!(
        at(&c),
        Standing {
            overdue: false,
            escalation_level: 0,
            supervising: None
        }
    );
    c.fire(&cal, s, bj(2026, 4, 7, 17, 31));
    assert_eq!(
        at(&c),
        Standing {
            overdue: true,
            escalation_level: 1,
            supervising: Some(120)
        }
    );
    c.fire(&cal, s, bj(2026, 4, 8, 17, 31));
    assert_eq!(at(&c).supervising, Some(12));
    c.fire(&cal, s, bj(2026, 4, 20, 17, 31));
    assert_eq!(
        at(&c),
        Standing {
            overdue: true,
            escalation_level: 3,
            supervising: Some(1)
        }
    );
    assert_eq!(department_at_level(&county, 2), 12);
    assert_eq!(department_at_level(&county, 0), 345);
}

#[test]
fn the_covering_department_of_a_bounced_ticket() {
    let d = |id: i64, path: &str| DepartmentRef {
        id,
        path: path.into(),
    };
    let a = d(345, "/1/12/120/345/");
    let b = d(346, "/1/12/120/346/");
    let c = d(130, "/1/12/130/");
    let e = d(20, "/1/20/");
    assert_eq!(covering_department(&[&a, &b]), Some(120));
    assert_eq!(covering_department(&[&a, &b, &c]), Some(12));
    assert_eq!(covering_department(&[&a, &e]), Some(1));
    assert_eq!(covering_department(&[&a]), Some(345));
    assert_eq!(covering_department(&[]), None);
}

#[test]
fn reminders_are_daily_and_the_level_rises_every_interval() {
    assert_eq!(
        (1..=6)
            .map(|d| escalation_level(d, 3, 2))
            .collect::<Vec<_>>(),
        [1, 1, 2, 2, 3, 3]
    );
    assert_eq!(escalation_level(0, 3, 2), 0);
    assert_eq!(
        escalation_level(9, 0, 1),
        0,
        "the ministry has nobody above"
    );
}

#[test]
fn asking_the_enterprise_keeps_an_overdue_ticket_overdue() {
    let cal = cal();
    let p = policy("normal");
    let mut c = Clocks::open(&cal, &p, bj(2026, 3, 2, 9, 0));
    c.fire(&cal, Status::Handling, bj(2026, 3, 10, 17, 31));
    assert_eq!(c.overdue_days(Status::Handling), 2);
    c.apply(&cal, &p, ClockChange::Pause, bj(2026, 3, 11, 9, 0));
    assert_eq!(c.overdue_days(Status::AwaitingInfo), 2);
    // Nothing more fires while paused.
    assert!(c
        .fire(&cal, Status::AwaitingInfo, bj(2026, 3, 20, 9, 0))
        .is_empty());
}

#[test]
fn an_extension_approved_after_the_deadline_takes_the_overdue_back() {
    let cal = cal();
    let p = policy("normal");
    let mut c = Clocks::open(&cal, &p, bj(2026, 3, 2, 9, 0));
    c.apply(
        &cal,
        &p,
        ClockChange::ExtensionRequested { days: 3 },
        bj(2026, 3, 9, 17, 0),
    );
    c.fire(&cal, Status::Handling, bj(2026, 3, 9, 17, 31));
    assert_eq!((c.resolve.fired, c.resolve.round), (1, 1));
    c.apply(
        &cal,
        &p,
        ClockChange::ExtensionDecided { approved: true },
        bj(2026, 3, 10, 9, 0),
    );
    assert_eq!(c.resolve.due_at, bj(2026, 3, 12, 17, 30));
    // Before the new warning point (75% of the stretched window): nothing fired.
    assert_eq!(c.overdue_days(Status::Handling), 0);
    assert_eq!(c.resolve.round, 2, "so the overdue day can fire again");
    let again = c.fire(&cal, Status::Handling, bj(2026, 3, 12, 17, 31));
    assert_eq!(
        again.iter().map(|f| (f.level, f.round)).collect::<Vec<_>>(),
        [(1, 2)]
    );
}

fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..525_600).prop_map(|m| bj(2025, 12, 1, 0, 0) + Duration::minutes(m))
}

fn any_policy() -> impl Strategy<Value = Policy> {
    let unit = prop::sample::select(Unit::ALL.to_vec());
    (unit.clone(), 1i64..600, unit, 1i64..600, 1i32..99, 1i32..4).prop_map(
        |(su, sv, ru, rv, warn, every)| {
            let cap = |u: Unit, v: i64| {
                if u == Unit::WorkingDays {
                    v % 20 + 1
                } else {
                    v
                }
            };
            Policy {
                name: "p".into(),
                sign: Target {
                    value: cap(su, sv),
                    unit: su,
                },
                resolve: Target {
                    value: cap(ru, rv),
                    unit: ru,
                },
                warning_percent: warn,
                escalation_working_days: every,
            }
        },
    )
}

proptest! {
    #[test]
    fn warnings_come_before_deadlines(start in any_instant(), p in any_policy()) {
        let c = Clocks::open(&cal(), &p, start);
        for w in [&c.sign, &c.resolve] {
            prop_assert!(w.started_at <= w.warn_at && w.warn_at <= w.due_at);
        }
    }

    /// However often the scanner looks, each level fires once, in order,
    /// and never before its instant.
    #[test]
    fn each_level_fires_once_in_order(
        start in any_instant(),
        p in any_policy(),
        steps in prop::collection::vec(1i64..3000, 1..40),
    ) {
        let cal = cal();
        let mut c = Clocks::open(&cal, &p, start);
        let mut now = start;
        let mut seen: Vec<(WindowKind, i32)> = Vec::new();
        for s in steps {
            now += Duration::minutes(s);
            if let Some(next) = c.next_check(&cal, Status::PendingSign) {
                let fired = c.fire(&cal, Status::PendingSign, now);
                prop_assert_eq!(fired.is_empty(), now < next);
                for f in fired {
                    prop_assert!(!seen.contains(&(f.window, f.level)));
                    let last = seen.iter().filter(|(k, _)| *k == f.window).map(|(_, l)| *l).max();
                    prop_assert!(last.is_none_or(|l| l < f.level));
                    seen.push((f.window, f.level));
                }
            }
        }
    }
}

#[test]
fn loading_next_year_moves_a_deadline_past_its_new_year_holiday() {
    // 2027 is not loaded: 1 January counts as a working day.
    let without = cal();
    assert!(!without.covers(2027));
    let filed = bj(2026, 12, 28, 10, 0);
    let clocks = Clocks::open(&without, &policy("normal"), filed);
    assert_eq!(clocks.resolve.due_at, bj(2027, 1, 4, 17, 30));
    assert!(without.is_provisional(clocks.resolve.due_at));
    assert!(
        !without.is_provisional(clocks.sign.due_at),
        "sign-for falls in 2026"
    );
    // Loaded: the same working time ends a day later.
    let mut days = crate::seed::holidays();
    days.push((
        NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        crate::domain::calendar::DayKind::Holiday,
    ));
    let with = WorkCalendar::new(days);
    let moved = window_on_new_calendar(&clocks.resolve, Unit::WorkingDays, &without, &with);
    assert_eq!(moved.due_at, bj(2027, 1, 5, 17, 30));
    assert_eq!(
        moved.due_at,
        Clocks::open(&with, &policy("normal"), filed).resolve.due_at,
        "as if filed under the loaded calendar"
    );
    assert_eq!(
        moved.warn_at,
        Clocks::open(&with, &policy("normal"), filed)
            .resolve
            .warn_at
    );
    assert!(!with.is_provisional(moved.due_at));
    // The sign-for window and clock-minute targets do not move.
    assert_eq!(
        window_on_new_calendar(&clocks.sign, Unit::WorkingDays, &without, &with),
        clocks.sign
    );
    let critical = Clocks::open(&without, &policy("critical"), filed);
    assert_eq!(
        window_on_new_calendar(&critical.resolve, Unit::ClockMinutes, &without, &with),
        critical.resolve
    );
}

#[test]
fn the_missing_year_is_this_one_or_from_november_the_next() {
    let c = cal();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(c.missing_year(day(2026, 10, 31)), None);
    assert_eq!(c.missing_year(day(2026, 11, 1)), Some(2027));
    assert_eq!(c.missing_year(day(2027, 3, 1)), Some(2027));
    assert_eq!(c.missing_year(day(2025, 12, 1)), None);
}

proptest! {
    #[test]
    fn recomputing_on_the_same_calendar_changes_nothing(offset in 0i64..(60 * 24 * 400), name in prop::sample::select(vec!["normal", "urgent", "critical"])) {
        let c = cal();
        let filed = bj(2025, 1, 1, 0, 0) + Duration::minutes(offset);
        let p = policy(name);
        let clocks = Clocks::open(&c, &p, filed);
        prop_assert_eq!(window_on_new_calendar(&clocks.resolve, p.resolve.unit, &c, &c), clocks.resolve.clone());
        prop_assert_eq!(window_on_new_calendar(&clocks.sign, p.sign.unit, &c, &c), clocks.sign.clone());
    }
}

proptest! {
    #[test]
    fn a_window_is_never_shorter_than_its_policy(secs in 0i64..(86_400 * 30), name in prop::sample::select(vec!["normal", "urgent", "critical"])) {
        let c = cal();
        let filed = bj(2026, 3, 2, 0, 0) + Duration::seconds(secs);
        let p = policy(name);
        let clocks = Clocks::open(&c, &p, filed);
        match p.sign.unit {
            Unit::ClockMinutes => prop_assert!(clocks.sign.due_at - filed >= Duration::minutes(p.sign.value)),
            Unit::WorkingMinutes => prop_assert!(c.working_minutes_between(filed, clocks.sign.due_at) >= p.sign.value),
            Unit::WorkingDays => prop_assert!(clocks.sign.due_at > filed),
        }
        if p.resolve.unit == Unit::ClockMinutes {
            prop_assert!(clocks.resolve.due_at - filed >= Duration::minutes(p.resolve.value));
        }
        prop_assert_eq!(clocks.sign.due_at.timestamp() % 60, 0, "kept to the minute");
    }
}

#[test]
fn a_critical_ticket_filed_at_09_00_41_is_due_at_09_31() {
    let filed = bj(2026, 3, 2, 9, 0) + Duration::seconds(41);
    let clocks = Clocks::open(&cal(), &policy("critical"), filed);
    assert_eq!(clocks.sign.due_at, bj(2026, 3, 2, 9, 31));
}
