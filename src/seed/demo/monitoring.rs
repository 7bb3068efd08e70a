//! The demo's daily monitoring (issue 26), planned as pure data: every
//! enterprise's industry, three monitoring lists and four weeks of daily
//! reports ending on the demo's last day, made so that the board shows the
//! interview's figures on that day: Shanghai's first white-list batch (666)
//! 86.8% back at work, car makers and parts 77%, chips 91%; Jilin's 50
//! backbone enterprises 98%; the 15 car groups' 45,000 vehicles a day over
//! the last seven days, 70% more than the seven before and than 15-22
//! April (the interview's dating: the 22nd was a slow first day).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{beijing, DemoEnterprise, Lcg, AUTO_GROUPS};
use crate::domain::monitoring::OperatingStatus;

/// Days of reports, the last day included.
pub const REPORT_DAYS: i64 = 28;
/// Back at work on the last day: Shanghai's batch, its car makers and
/// parts, its chip makers (rates of the interview: 86.8%, 77%, 91%).
pub const SHANGHAI_BACK: usize = 578;
pub const CARS_RATE: f64 = 0.77;
pub const CHIPS_RATE: f64 = 0.91;
/// Jilin's backbone list and how many are back (98%).
pub const JILIN_LIST: usize = 50;
pub const JILIN_BACK: usize = 49;
/// The car groups' vehicles over the last seven days and the seven before
/// (45,000 a day; +70.0%).
pub const CARS_LAST_WEEK: i64 = 315_000;
pub const CARS_WEEK_BEFORE: i64 = 185_294;
/// The last week's first day, as slow as the week before's average, so
/// that the eight days 15-22 April average what the seven before did
/// (26,470.6 a day): +70% either way the period before is dated.
pub const CARS_LAST_WEEK_FIRST_DAY: i64 = 26_471;
/// Shanghai enterprises with no report on the last day (in the missing list).
pub const SHANGHAI_MISSING: usize = 6;

pub const LIST_CAR_GROUPS: &str = "15家重点汽车企业集团";
pub const LIST_SHANGHAI: &str = "上海市首批白名单企业";
pub const LIST_JILIN: &str = "吉林省50家骨干企业";

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedList {
    /// `ministry` or a region code: the department that keeps it.
    pub keeper: &'static str,
    pub name: &'static str,
    /// Drawn from a white list: (scope, batch).
    pub whitelist: Option<(&'static str, i32)>,
    /// Indexes into the plan's enterprises.
    pub members: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedReport {
    pub enterprise: usize,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub status: OperatingStatus,
    pub staff_on_duty: i32,
    pub staff_usual: i32,
    pub capacity_percent: i32,
    /// Whole units and the unit.
    pub output: Option<(i64, &'static str)>,
    pub inventory_days: Option<i32>,
    pub blockers: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringPlan {
    /// Each enterprise's GB/T 4754-2017 code, by index.
    pub industries: Vec<&'static str>,
    pub lists: Vec<PlannedList>,
    pub reports: Vec<PlannedReport>,
    /// Blockers of the last day that the enterprise turns into tickets:
    /// (enterprise, blocker text).
    pub to_tickets: Vec<(usize, &'static str)>,
}

const BLOCKERS: [(&str, &str); 6] = [
    (
        "logistics",
        "进出园区的货车通行证还没办下来，零部件积压在外省中转站。",
    ),
    (
        "parts_supply",
        "长三角的二级供应商停产，关键零部件只够用三天。",
    ),
    ("worker_return", "闭环管理点位不足，约三成员工无法返岗。"),
    ("raw_materials", "原材料运输受阻，到货时间无法确定。"),
    ("epidemic_control", "厂区闭环生产需要的核酸检测点位不够。"),
    ("energy", "园区夜间限电，两班倒无法恢复。"),
];

fn industry_of(e: &DemoEnterprise, i: usize, group: bool) -> &'static str {
    if group {
        // The new-energy makers of the fifteen, and the others.
        return if e.name.contains("特斯拉") || e.name.contains("比亚迪") || e.name.contains("蔚来")
        {
            "C3612"
        } else {
            "C3611"
        };
    }
    match e.chains.first().copied() {
        Some("automotive") => "C3670",
        // Design houses, and makers and packagers.
        Some("integrated_circuits") if i.is_multiple_of(4) => "I6520",
        Some("integrated_circuits") => "C3973",
        Some("medical_supplies") => "C2770",
        Some("biomedicine") => "C2761",
        Some("equipment") => "C34",
        Some("consumer_electronics") => "C3960",
        Some("food") => "C14",
        _ => "C33",
    }
}

/// The first `n` of `members` are back at work on the last day; the rest are not.
fn split_back(members: &[usize], n: usize) -> (Vec<usize>, Vec<usize>) {
    let n = n.min(members.len());
    (members[..n].to_vec(), members[n..].to_vec())
}

/// How many of `n` make `rate` when rounded to a whole percent.
fn share(n: usize, rate: f64) -> usize {
    (n as f64 * rate).round() as usize
}

/// Splits `total` vehicles over days by rising weights, exactly.
fn spread(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i64 = weights.iter().sum();
    let mut out: Vec<i64> = weights.iter().map(|w| total * w / sum).collect();
    let rest = total - out.iter().sum::<i64>();
    if let Some(last) = out.last_mut() {
        *last += rest;
    }
    out
}

/// The plan for `enterprises` ending on `last`; `has_account` says which
/// enterprises' people log in (only they turn blockers into tickets).
pub fn monitoring_plan(
    enterprises: &[DemoEnterprise],
    last: NaiveDate,
    has_account: &dyn Fn(usize) -> bool,
) -> MonitoringPlan {
    let mut rng = Lcg(20_220_428);
    let groups: Vec<usize> = (0..AUTO_GROUPS.len()).collect();
    let industries: Vec<&'static str> = enterprises
        .iter()
        .enumerate()
        .map(|(i, e)| industry_of(e, i, i < AUTO_GROUPS.len()))
        .collect();
    let shanghai: Vec<usize> = (0..enterprises.len())
        .filter(|i| enterprises[*i].shanghai_listed)
        .collect();
    let jilin: Vec<usize> = (0..enterprises.len())
        .filter(|i| enterprises[*i].county.starts_with("22"))
        .take(JILIN_LIST)
        .collect();
    let lists = vec![
        PlannedList {
            keeper: "ministry",
            name: LIST_CAR_GROUPS,
            whitelist: None,
            members: groups.clone(),
        },
        PlannedList {
            keeper: "310000",
            name: LIST_SHANGHAI,
            whitelist: Some(("310000", 1)),
            members: shanghai.clone(),
        },
        PlannedList {
            keeper: "220000",
            name: LIST_JILIN,
            whitelist: None,
            members: jilin.clone(),
        },
    ];

    // Who is back at work on the last day. The car groups always are.
    let is_group = |i: &usize| *i < AUTO_GROUPS.len();
    let of_kind = |pick: &dyn Fn(&str) -> bool| -> Vec<usize> {
        let mut v: Vec<usize> = shanghai
            .iter()
            .copied()
            .filter(|i| pick(industries[*i]))
            .collect();
        // Groups first, so that they are among those back.
        v.sort_by_key(|i| !is_group(i));
        v
    };
    let cars = of_kind(&|c| c.starts_with("C36"));
    let chips = of_kind(&|c| c == "C3973" || c == "I6520");
    let others = of_kind(&|c| !c.starts_with("C36") && c != "C3973" && c != "I6520");
    let (mut back, mut not_back) = (Vec::new(), Vec::new());
    let cars_back = share(cars.len(), CARS_RATE);
    let chips_back = share(chips.len(), CHIPS_RATE);
    for (set, n) in [
        (&cars, cars_back),
        (&chips, chips_back),
        (&others, SHANGHAI_BACK - cars_back - chips_back),
    ] {
        let (b, n) = split_back(set, n);
        back.extend(b);
        not_back.extend(n);
    }
    let (jb, jn) = split_back(&jilin, JILIN_BACK);
    back.extend(jb);
    not_back.extend(jn);
    back.extend(groups.iter().copied());
    let back: std::collections::HashSet<usize> = back.into_iter().collect();
    // Of those not back, some did not report on the last day at all.
    let missing: Vec<usize> = not_back
        .iter()
        .copied()
        .filter(|i| enterprises[*i].shanghai_listed && !is_group(i))
        .take(SHANGHAI_MISSING)
        .collect();

    // Three Shanghai enterprises back at work turn a blocker of the last
    // day into a ticket.
    let ticketing: Vec<usize> = shanghai
        .iter()
        .copied()
        .filter(|i| has_account(*i) && back.contains(i))
        .take(3)
        .collect();
    let mut reporters: Vec<usize> = shanghai
        .iter()
        .chain(&jilin)
        .chain(&groups)
        .copied()
        .collect();
    reporters.sort_unstable();
    reporters.dedup();
    let first = last - Duration::days(REPORT_DAYS - 1);
    // The car groups' vehicles per day: the week before, then the last week.
    let before = spread(CARS_WEEK_BEFORE, &[10, 11, 12, 13, 14, 15, 16]);
    let mut lately = vec![CARS_LAST_WEEK_FIRST_DAY];
    lately.extend(spread(
        CARS_LAST_WEEK - CARS_LAST_WEEK_FIRST_DAY,
        &[15, 16, 17, 18, 19, 20],
    ));
    let group_share: Vec<i64> = (0..groups.len() as i64).map(|g| 30 - g).collect();
    let mut reports = Vec::new();
    let mut to_tickets = Vec::new();
    for &e in &reporters {
        let usual = 80 + rng.below(1500) as i32;
        let is_back = back.contains(&e);
        // The day it came back: early for most, later for some.
        let back_from = rng.below(REPORT_DAYS as u64 - 4) as i64;
        let blocker_day = rng.below(REPORT_DAYS as u64) as i64;
        for k in 0..REPORT_DAYS {
            let day = first + Duration::days(k);
            let is_last = day == last;
            if is_last && missing.contains(&e) {
                continue;
            }
            // A few reports are missed on other days too.
            if !is_last && !is_group(&e) && rng.percent(2) {
                continue;
            }
            let running_now = if is_group(&e) {
                // Every group back in the last two weeks, some earlier.
                k >= REPORT_DAYS - 14 || k >= back_from
            } else if is_back {
                is_last || k >= back_from
            } else {
                false
            };
            let status = match (running_now, rng.below(100)) {
                (true, 0..=69) => OperatingStatus::Running,
                (true, _) => OperatingStatus::Partial,
                (false, 0..=39) => OperatingStatus::Stopped,
                (false, _) => OperatingStatus::NotResumed,
            };
            let (on_duty, capacity) = match status {
                OperatingStatus::Running => (
                    usual * (85 + rng.below(16) as i32) / 100,
                    70 + rng.below(31) as i32,
                ),
                OperatingStatus::Partial => (
                    usual * (40 + rng.below(40) as i32) / 100,
                    20 + rng.below(50) as i32,
                ),
                _ => (usual * rng.below(10) as i32 / 100, 0),
            };
            let output = if is_group(&e) {
                let days_left = (last - day).num_days();
                let total = match days_left {
                    0..=6 => lately[(6 - days_left) as usize],
                    7..=13 => before[(13 - days_left) as usize],
                    _ => 0,
                };
                let sum: i64 = group_share.iter().sum();
                let mut mine = total * group_share[e] / sum;
                if e == 0 {
                    // The rounding rest goes to the first group.
                    mine += total - group_share.iter().map(|s| total * s / sum).sum::<i64>();
                }
                (mine > 0).then_some((mine, "辆"))
            } else if status.is_back_at_work() && industries[e] == "C3973" {
                Some((200 + rng.below(800) as i64, "片"))
            } else {
                None
            };
            let mut blockers = Vec::new();
            if is_last && ticketing.contains(&e) {
                let (category, text) = BLOCKERS[to_tickets.len() % BLOCKERS.len()];
                blockers.push((category, text));
                to_tickets.push((e, text));
            } else if (k == blocker_day && rng.percent(25))
                || (is_last && !is_group(&e) && rng.percent(3))
            {
                blockers.push(BLOCKERS[rng.below(BLOCKERS.len() as u64) as usize]);
            }
            // Filed between 08:00 and 10:00.
            let minute = rng.below(120) as u32;
            reports.push(PlannedReport {
                enterprise: e,
                day,
                at: beijing(day, 8 + minute / 60, minute % 60)
                    + Duration::seconds(rng.below(60) as i64),
                status,
                staff_on_duty: if is_group(&e) && running_now {
                    on_duty.max(1)
                } else {
                    on_duty
                },
                staff_usual: usual,
                capacity_percent: if is_group(&e) && running_now {
                    capacity.max(60)
                } else {
                    capacity
                },
                output,
                inventory_days: Some(1 + rng.below(14) as i32),
                blockers,
            });
        }
    }
    MonitoringPlan {
        industries,
        lists,
        reports,
        to_tickets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::demo::plan;

    /// The interview's figures, counted from the plan itself.
    #[test]
    fn the_last_day_shows_the_interviews_figures() {
        let last = NaiveDate::from_ymd_opt(2022, 4, 28).unwrap();
        let p = plan(last, 50);
        let m = &p.monitoring;
        let on_last = |e: usize| {
            m.reports
                .iter()
                .find(|r| r.enterprise == e && r.day == last)
        };
        let back = |members: &[usize]| {
            members
                .iter()
                .filter(|e| on_last(**e).is_some_and(|r| r.status.is_back_at_work()))
                .count()
        };
        let list = |name: &str| &m.lists.iter().find(|l| l.name == name).unwrap().members;
        let shanghai = list(LIST_SHANGHAI);
        assert_eq!(shanghai.len(), 666);
        assert_eq!(back(shanghai), 578);
        assert_eq!(format!("{:.1}", 100.0 * 578.0 / 666.0), "86.8");
        let of = |pick: &dyn Fn(&str) -> bool| -> Vec<usize> {
            shanghai
                .iter()
                .copied()
                .filter(|e| pick(m.industries[*e]))
                .collect()
        };
        let cars = of(&|c| c.starts_with("C36"));
        let chips = of(&|c| c == "C3973" || c == "I6520");
        let pct = |n: usize, d: usize| (100.0 * n as f64 / d as f64).round() as i64;
        assert_eq!(
            pct(back(&cars), cars.len()),
            77,
            "{} of {}",
            back(&cars),
            cars.len()
        );
        assert_eq!(
            pct(back(&chips), chips.len()),
            91,
            "{} of {}",
            back(&chips),
            chips.len()
        );
        let missing = shanghai.iter().filter(|e| on_last(**e).is_none()).count();
        assert_eq!(missing, SHANGHAI_MISSING);
        let jilin = list(LIST_JILIN);
        assert_eq!((jilin.len(), back(jilin)), (50, 49));
        assert!(jilin
            .iter()
            .all(|e| p.enterprises[*e].county.starts_with("22")));
        // The fifteen groups' vehicles: 45,000 a day over the last week, +70%.
        let groups = list(LIST_CAR_GROUPS);
        assert_eq!(groups.len(), 15);
        let made = |from: i64, to: i64| -> i64 {
            m.reports
                .iter()
                .filter(|r| groups.contains(&r.enterprise))
                .filter(|r| (from..=to).contains(&(last - r.day).num_days()))
                .filter_map(|r| r.output.map(|(n, _)| n))
                .sum()
        };
        assert_eq!(made(0, 6), 315_000);
        assert_eq!(made(0, 6) / 7, 45_000);
        assert_eq!(made(7, 13), CARS_WEEK_BEFORE);
        // 15-22 April, eight days as the interview dates them: +70% too.
        let eight = made(6, 13) as f64 / 8.0;
        assert_eq!(format!("{:.1}", 100.0 * (45_000.0 / eight - 1.0)), "70.0");
        assert_eq!(
            format!(
                "{:.1}",
                100.0 * (made(0, 6) as f64 / made(7, 13) as f64 - 1.0)
            ),
            "70.0"
        );
        assert_eq!(m.to_tickets.len(), 3);
        // The same day gives the same plan.
        assert_eq!(plan(last, 50).monitoring, p.monitoring);
    }
}
