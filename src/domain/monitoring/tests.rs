use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use proptest::prelude::*;

use super::rates::{figures, output, percent_one_decimal};
use super::tally::{cells, pack_chains, unpack_chains, DayCounts, Placement, COUNTY, PROVINCE};
use super::*;
use crate::domain::calendar::{DayKind, WorkCalendar};

fn categories() -> Vec<String> {
    vec!["logistics".into(), "parts_supply".into()]
}

fn input() -> ReportInput {
    ReportInput {
        status: "partial".into(),
        staff_on_duty: "820".into(),
        staff_usual: "1000".into(),
        capacity_percent: "65".into(),
        output_quantity: "1,250.5".into(),
        output_unit: " 辆 ".into(),
        inventory_days: "3".into(),
        blockers: vec![
            BlockerInput {
                category: "logistics".into(),
                text: " 货车进不了园区 ".into(),
            },
            BlockerInput::default(),
        ],
    }
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, m, d).unwrap()
}

/// The 2022 calendar around May Day: 24 April (Sunday) and 7 May
/// (Saturday) worked, 30 April to 4 May off.
fn calendar_2022() -> WorkCalendar {
    let mut days = vec![
        (day(4, 24), DayKind::Workday),
        (day(5, 7), DayKind::Workday),
    ];
    days.extend((0..5).map(|i| (day(4, 30) + chrono::Days::new(i), DayKind::Holiday)));
    WorkCalendar::new(days)
}

#[test]
fn a_well_formed_report_is_trimmed_and_typed() {
    let r = parse_report(&input(), &categories()).unwrap();
    assert_eq!(r.status, OperatingStatus::Partial);
    assert_eq!(
        (r.staff_on_duty, r.staff_usual, r.capacity_percent),
        (820, 1000, 65)
    );
    assert_eq!(r.output, Some((1_250_500, "辆".to_string())));
    assert_eq!(r.inventory_days, Some(3));
    assert_eq!(r.blockers.len(), 1, "the empty blocker row is ignored");
    assert_eq!(r.blockers[0].text, "货车进不了园区");
}

#[test]
fn every_bad_field_is_said_at_once() {
    let bad = ReportInput {
        status: "busy".into(),
        staff_on_duty: "12".into(),
        staff_usual: "10".into(),
        capacity_percent: "250".into(),
        output_quantity: "12".into(),
        output_unit: String::new(),
        inventory_days: "-1".into(),
        blockers: vec![BlockerInput {
            category: "weather".into(),
            text: "x".into(),
        }],
    };
    let issues = parse_report(&bad, &categories()).unwrap_err();
    let keys: Vec<(&str, &str)> = issues
        .iter()
        .map(|i| (i.field, i.what.key.as_str()))
        .collect();
    for expected in [
        ("status", "daily_field.status_unknown"),
        ("staff_on_duty", "daily_field.more_on_duty_than_usual"),
        ("capacity_percent", "daily_field.whole_number"),
        ("output_unit", "daily_field.unit_required"),
        ("inventory_days", "daily_field.whole_number"),
        ("blockers", "daily_field.blocker_category"),
        ("blockers", "daily_field.blocker_text"),
    ] {
        assert!(keys.contains(&expected), "{expected:?} in {keys:?}");
    }
}

#[test]
fn a_stopped_enterprise_uses_no_capacity() {
    let mut i = input();
    i.status = "stopped".into();
    let issues = parse_report(&i, &categories()).unwrap_err();
    assert_eq!(issues[0].what.key, "daily_field.capacity_while_stopped");
    i.capacity_percent = "0".into();
    assert!(parse_report(&i, &categories()).is_ok());
}

#[test]
fn quantities_keep_three_decimals() {
    assert_eq!(parse_milli("45000"), Some(45_000_000));
    assert_eq!(parse_milli("1.5"), Some(1_500));
    assert_eq!(parse_milli("0.001"), Some(1));
    assert_eq!(parse_milli("1.0001"), None);
    assert_eq!(parse_milli("-3"), None);
    assert_eq!(parse_milli("abc"), None);
    assert_eq!(milli_text(45_000_000), "45000");
    assert_eq!(milli_text(1_500), "1.5");
}

#[test]
fn corrections_close_at_the_cut_off_of_the_next_working_day() {
    let cal = calendar_2022();
    let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
    // Friday 22 April: the next working day is the make-up Sunday.
    assert_eq!(next_working_day(&cal, day(4, 22)), day(4, 24));
    assert_eq!(
        correction_deadline(&cal, day(4, 22), ten).to_rfc3339(),
        "2022-04-24T02:00:00+00:00"
    );
    assert_eq!(next_working_day(&cal, day(4, 28)), day(4, 29));
    // Friday 29 April: May Day's holiday runs to the 4th.
    assert_eq!(next_working_day(&cal, day(4, 29)), day(5, 5));
}

#[test]
fn filing_is_first_late_a_correction_unchanged_or_refused() {
    let cal = calendar_2022();
    let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
    let deadline = correction_deadline(&cal, day(4, 28), ten);
    let r = parse_report(&input(), &categories()).unwrap();
    let mut other = r.clone();
    other.capacity_percent = 70;
    let at = |d: u32, h: u32| {
        use chrono::TimeZone;
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(2022, 4, d, h, 0, 0)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert_eq!(
        decide_filing(day(4, 28), at(28, 9), deadline, None, &r),
        Ok(Filing::First)
    );
    assert_eq!(
        decide_filing(day(4, 28), at(29, 11), deadline, None, &r),
        Ok(Filing::Late)
    );
    assert_eq!(
        decide_filing(day(4, 28), at(29, 9), deadline, Some((&r, false)), &other),
        Ok(Filing::Correction)
    );
    assert_eq!(
        decide_filing(day(4, 28), at(29, 11), deadline, Some((&r, false)), &r),
        Ok(Filing::Unchanged)
    );
    assert_eq!(
        decide_filing(day(4, 28), at(29, 11), deadline, Some((&r, false)), &other),
        Err(FilingRefusal::CorrectionClosed)
    );
    assert_eq!(
        decide_filing(day(4, 28), at(28, 12), deadline, Some((&r, true)), &other),
        Err(FilingRefusal::CorrectionClosed),
        "a late report stays as filed"
    );
    assert_eq!(
        decide_filing(day(4, 29), at(28, 23), deadline, None, &r),
        Err(FilingRefusal::FutureDay)
    );
}

#[test]
fn the_interviews_rates_read_as_said() {
    // Shanghai's first batch: 578 of 666 back at work, 10 not reporting.
    let sum = DayCounts {
        reported: 656,
        running: 500,
        partial: 78,
        stopped: 60,
        not_resumed: 18,
        staff_on_duty: 80_000,
        staff_usual: 100_000,
        capacity_weighted: 65 * 100_000,
        ..DayCounts::default()
    };
    let f = figures(666, 1, &sum);
    assert_eq!(percent_one_decimal(f.back_to_work_rate.value), Some(86.8));
    assert_eq!(f.not_reported, 10);
    assert_eq!(percent_one_decimal(f.reporting_rate.value), Some(98.5));
    assert_eq!(f.worker_return_rate.value, Some(0.8));
    assert_eq!(f.capacity_utilisation, Some(65.0));
    // No one listed: no data, never 0 % or 100 %.
    let none = figures(0, 1, &DayCounts::default());
    assert_eq!(none.back_to_work_rate.value, None);
    assert_eq!(none.capacity_utilisation, None);
}

#[test]
fn output_changes_against_the_period_before() {
    let now = BTreeMap::from([("辆".to_string(), 315_000_000)]);
    let before = BTreeMap::from([("辆".to_string(), 185_294_000), ("片".to_string(), 5_000)]);
    let o = output(&now, &before, 7, 7);
    assert_eq!(o[0].unit, "片");
    assert_eq!(o[0].change, Some(-1.0));
    assert_eq!(o[1].per_day, 45_000.0);
    assert_eq!(percent_one_decimal(o[1].change), Some(70.0));
}

#[test]
fn periods_of_different_lengths_compare_their_daily_averages() {
    // 22-28 April (7 days) against 15-22 April (8 days), as the interview
    // dates it: 45,000 a day against 26,470.6 a day is +70%.
    let now = BTreeMap::from([("辆".to_string(), 315_000_000)]);
    let before = BTreeMap::from([("辆".to_string(), 211_765_000)]);
    let o = output(&now, &before, 7, 8);
    assert_eq!(o[0].previous_per_day, 26_470.625);
    assert_eq!(percent_one_decimal(o[0].change), Some(70.0));
    // Compared by totals, the eight days would hide a third of the rise.
    let by_totals = o[0].total / o[0].previous_total - 1.0;
    assert!(by_totals < 0.5, "{by_totals}");
}

#[test]
fn a_placement_counts_in_its_county_city_and_province_for_all_and_each_chain() {
    let p = Placement {
        county: "310115".into(),
        industry: "C3670".into(),
        chains: vec!["automotive".into()],
    };
    let c = cells(&p);
    assert_eq!(c.len(), 6);
    assert!(c
        .iter()
        .any(|c| c.level == PROVINCE && c.region == "310000" && c.chain.is_empty()));
    assert!(c
        .iter()
        .any(|c| c.level == COUNTY && c.chain == "automotive"));
    assert_eq!(pack_chains(&["b".into(), "a".into()]), ",a,b,");
    assert_eq!(unpack_chains(",a,b,"), vec!["a", "b"]);
}

fn any_report() -> impl Strategy<Value = (Report, bool)> {
    (
        0usize..4,
        1i32..5000,
        0i32..=100,
        0i32..=200,
        proptest::option::of(0i64..10_000_000),
        0usize..3,
        any::<bool>(),
    )
        .prop_map(|(s, usual, share, cap, out, blockers, late)| {
            let status = OperatingStatus::ALL[s];
            let report = Report {
                status,
                staff_on_duty: usual * share / 100,
                staff_usual: usual,
                capacity_percent: if status.is_back_at_work() { cap } else { 0 },
                output: out.map(|m| (m, "辆".to_string())),
                inventory_days: None,
                blockers: (0..blockers)
                    .map(|i| Blocker {
                        category: "logistics".into(),
                        text: format!("堵点{i}"),
                    })
                    .collect(),
            };
            (report, late)
        })
}

proptest! {
    /// Every rate lies in [0, 1] with its numerator within its
    /// denominator, and non-reporters are what is missing of the expected.
    #[test]
    fn rates_stay_rates(reports in proptest::collection::vec(any_report(), 0..40), extra in 0u64..20, days in 1u64..5) {
        let mut sum = DayCounts::default();
        for (r, late) in &reports {
            sum.add(&DayCounts::of(r, *late));
        }
        let listed = reports.len() as u64 + extra;
        let f = figures(listed, days, &sum);
        for rate in [f.reporting_rate, f.back_to_work_rate, f.worker_return_rate] {
            prop_assert!(rate.numerator <= rate.denominator);
            if let Some(v) = rate.value { prop_assert!((0.0..=1.0).contains(&v)); }
        }
        prop_assert_eq!(f.reported + f.not_reported, f.expected);
        prop_assert!(f.back_to_work_rate.numerator <= f.reporting_rate.numerator);
        if let Some(c) = f.capacity_utilisation { prop_assert!((0.0..=200.0).contains(&c)); }
    }

    /// Adding reports one by one, in any order or split into any two days,
    /// gives the same sums; taking one back undoes it (a correction).
    #[test]
    fn sums_add_up_in_any_order(reports in proptest::collection::vec(any_report(), 1..30), split in 0usize..30) {
        let mut all = DayCounts::default();
        for (r, late) in &reports { all.add(&DayCounts::of(r, *late)); }
        let (a, b) = reports.split_at(split.min(reports.len()));
        let mut first = DayCounts::default();
        let mut second = DayCounts::default();
        for (r, late) in b.iter().rev() { second.add(&DayCounts::of(r, *late)); }
        for (r, late) in a { first.add(&DayCounts::of(r, *late)); }
        first.add(&second);
        prop_assert_eq!(first, all);
        let (r, late) = &reports[0];
        all.sub(&DayCounts::of(r, *late));
        all.add(&DayCounts::of(r, *late));
        prop_assert_eq!(all, first);
    }

    /// A report adds the same to its county, city and province rows, and
    /// the all-chains row of a level is the whole level.
    #[test]
    fn each_level_holds_every_report_once(counties in proptest::collection::vec((0u32..3, 0u32..3, any::<bool>()), 1..20)) {
        let mut by_level: BTreeMap<(i16, bool), i64> = BTreeMap::new();
        for (city, county, chained) in &counties {
            let p = Placement {
                county: format!("32{:02}{:02}", city + 1, county + 1),
                industry: "C36".into(),
                chains: if *chained { vec!["automotive".into()] } else { Vec::new() },
            };
            for c in cells(&p) {
                *by_level.entry((c.level, c.chain.is_empty())).or_default() += 1;
            }
        }
        let n = counties.len() as i64;
        for level in 1..=3 {
            prop_assert_eq!(by_level[&(level, true)], n);
        }
    }
}

mod access {
    use crate::domain::access::*;
    use crate::domain::fixtures::{dept, enterprise, staff};
    use crate::domain::role::Role;

    #[test]
    fn a_list_is_read_whole_above_it_and_in_part_below_it() {
        let shanghai_list = dept(30).as_ref();
        let ministry_list = dept(1).as_ref();
        assert_eq!(
            may_read_monitoring(&staff(Role::Supervisor, 1), &shanghai_list),
            Some(MonitoringView::Whole)
        );
        assert_eq!(
            may_read_monitoring(&staff(Role::Officer, 30), &shanghai_list),
            Some(MonitoringView::Whole)
        );
        let pudong = may_read_monitoring(&staff(Role::Lead, 400), &shanghai_list);
        assert!(matches!(pudong, Some(MonitoringView::Region(ref c, _)) if c.as_str() == "310115"));
        assert_eq!(
            may_read_monitoring(&staff(Role::Supervisor, 2), &ministry_list),
            Some(MonitoringView::Chain("automotive".into()))
        );
        // Jiangsu does not read Shanghai's list; nor do enterprises or admins.
        assert_eq!(
            may_read_monitoring(&staff(Role::Supervisor, 20), &shanghai_list),
            None
        );
        assert_eq!(may_read_monitoring(&enterprise(7), &shanghai_list), None);
        let admin = crate::domain::access::Caller {
            role: Role::Admin,
            department: None,
            ..enterprise(7)
        };
        assert_eq!(may_read_monitoring(&admin, &shanghai_list), None);
        assert!(may_urge_reports(
            &staff(Role::Supervisor, 400),
            pudong.as_ref()
        ));
        assert!(!may_urge_reports(&staff(Role::Supervisor, 20), None));
    }

    #[test]
    fn a_list_is_kept_by_its_own_officers_and_leads() {
        assert!(may_keep_monitoring_list(&staff(Role::Officer, 30), 30));
        assert!(may_keep_monitoring_list(&staff(Role::Lead, 30), 30));
        assert!(!may_keep_monitoring_list(&staff(Role::Supervisor, 30), 30));
        assert!(!may_keep_monitoring_list(&staff(Role::Lead, 1), 30));
        let pudong_firm = EnterpriseFacts {
            id: 7,
            county: crate::domain::fixtures::county_of(400),
            chains: vec!["automotive".into()],
        };
        assert!(may_monitor_enterprise(&dept(30), &pudong_firm));
        assert!(may_monitor_enterprise(&dept(2), &pudong_firm));
        assert!(!may_monitor_enterprise(&dept(20), &pudong_firm));
        assert_eq!(may_file_daily_report(&enterprise(7)), Some(7));
        assert_eq!(may_file_daily_report(&staff(Role::Officer, 400)), None);
    }
}
