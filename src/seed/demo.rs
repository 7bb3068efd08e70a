//! The demo data set, planned as pure data: the same inputs give the same
//! plan. Modelled on spring 2022: a national white list of 1,624 key
//! enterprises in four batches, Shanghai's own list of 666, the 15 key
//! automobile groups, and a year of problems that surge in the first weeks
//! (workers kept away, trucks stopped, parts short) and then settle, handled
//! faster in some provinces than in others. `services::demo` carries the
//! plan out through the real ticket services.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Shanghai;

use crate::domain::credit_code::CreditCode;
use crate::domain::region::{RegionCode, RegionLevel};
use crate::domain::routing::{default_rules, route, RoutingInput, RoutingRule, Urgency};
use crate::domain::ticket::Satisfaction;
use crate::seed::{reference_plan, ReferencePlan, SeedRegion};

mod texts;

/// The password of every demo account that may log in.
pub const DEMO_PASSWORD: &str = "yizhan-demo-2022";
/// Demo accounts' e-mail domain (reserved: mail to it goes nowhere).
pub const DEMO_DOMAIN: &str = "demo.yizhan.example";

/// The national list's size and batches, and Shanghai's list.
pub const NATIONAL_LIST: usize = 1_624;
pub const NATIONAL_BATCHES: usize = 4;
pub const SHANGHAI_LIST: usize = 666;

/// The 15 key automobile groups and the county each files from.
pub const AUTO_GROUPS: [(&str, &str); 15] = [
    ("上海汽车集团股份有限公司", "310114"),
    ("上汽通用汽车有限公司", "310115"),
    ("特斯拉（上海）有限公司", "310115"),
    ("中国第一汽车集团有限公司", "220104"),
    ("东风汽车集团有限公司", "420105"),
    ("重庆长安汽车股份有限公司", "500105"),
    ("广州汽车集团股份有限公司", "440113"),
    ("北京汽车集团有限公司", "110113"),
    ("比亚迪股份有限公司", "440307"),
    ("浙江吉利控股集团有限公司", "330108"),
    ("长城汽车股份有限公司", "130606"),
    ("奇瑞汽车股份有限公司", "340207"),
    ("安徽江淮汽车集团股份有限公司", "340104"),
    ("蔚来汽车（安徽）有限公司", "340111"),
    ("中国重型汽车集团有限公司", "370112"),
];

/// How a province's departments handle problems in the demo.
#[derive(Debug, Clone, Copy)]
struct Profile {
    province: &'static str,
    /// Enterprises on the national list located there.
    national: usize,
    /// Share of the year's problems filed there, in percent.
    tickets: u32,
    /// Typical working hours to sign for, and working days to resolve.
    sign_hours: i64,
    resolve_days: i64,
    /// Percent of ratings satisfied or basically satisfied.
    satisfied: u32,
}

const PROFILES: [Profile; 12] = [
    Profile {
        province: "310000",
        national: 200,
        tickets: 28,
        sign_hours: 2,
        resolve_days: 2,
        satisfied: 94,
    },
    Profile {
        province: "320000",
        national: 220,
        tickets: 12,
        sign_hours: 3,
        resolve_days: 3,
        satisfied: 90,
    },
    Profile {
        province: "440000",
        national: 210,
        tickets: 10,
        sign_hours: 3,
        resolve_days: 3,
        satisfied: 91,
    },
    Profile {
        province: "330000",
        national: 170,
        tickets: 8,
        sign_hours: 4,
        resolve_days: 3,
        satisfied: 89,
    },
    Profile {
        province: "220000",
        national: 90,
        tickets: 9,
        sign_hours: 14,
        resolve_days: 7,
        satisfied: 78,
    },
    Profile {
        province: "420000",
        national: 110,
        tickets: 8,
        sign_hours: 8,
        resolve_days: 5,
        satisfied: 84,
    },
    Profile {
        province: "500000",
        national: 90,
        tickets: 5,
        sign_hours: 6,
        resolve_days: 4,
        satisfied: 86,
    },
    Profile {
        province: "340000",
        national: 100,
        tickets: 6,
        sign_hours: 5,
        resolve_days: 4,
        satisfied: 87,
    },
    Profile {
        province: "110000",
        national: 100,
        tickets: 4,
        sign_hours: 3,
        resolve_days: 3,
        satisfied: 90,
    },
    Profile {
        province: "370000",
        national: 140,
        tickets: 4,
        sign_hours: 6,
        resolve_days: 5,
        satisfied: 85,
    },
    Profile {
        province: "130000",
        national: 70,
        tickets: 3,
        sign_hours: 10,
        resolve_days: 6,
        satisfied: 80,
    },
    Profile {
        province: "510000",
        national: 124,
        tickets: 3,
        sign_hours: 7,
        resolve_days: 5,
        satisfied: 83,
    },
];

#[derive(Debug, Clone, PartialEq)]
pub struct DemoEnterprise {
    pub name: String,
    pub credit_code: String,
    pub county: String,
    pub chains: Vec<&'static str>,
    /// Batch (1-4) on the national list.
    pub national_batch: Option<i32>,
    /// On Shanghai's own list.
    pub shanghai_listed: bool,
}

/// A demo account. Those with `password` log in with [`DEMO_PASSWORD`].
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAccount {
    pub email: String,
    pub name: String,
    pub role: &'static str,
    /// The department serving this region code (or chain platform, by chain code).
    pub department: Option<String>,
    /// Index into [`DemoPlan::enterprises`].
    pub enterprise: Option<usize>,
    pub password: bool,
}

/// What happens to a ticket, in order; the actor follows from the step.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoStep {
    SignFor,
    Return(String),
    Escalate(String),
    RequestInfo(String),
    ProvideInfo(String),
    Resolve(String),
    Rate {
        satisfaction: Satisfaction,
        solved: bool,
        comment: String,
    },
    Reopen(String),
    Reject(String),
    Withdraw(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoTicket {
    pub enterprise: usize,
    pub filed_at: DateTime<Utc>,
    pub category: &'static str,
    pub urgency: &'static str,
    pub title: String,
    pub description: String,
    /// Steps up to the end of the demo's year; later ones never happened.
    pub steps: Vec<(DateTime<Utc>, DemoStep)>,
}

#[derive(Debug, Clone)]
pub struct DemoPlan {
    /// The year's first and last day (Beijing).
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub enterprises: Vec<DemoEnterprise>,
    pub accounts: Vec<DemoAccount>,
    pub tickets: Vec<DemoTicket>,
    /// Daily monitoring: industries, lists and reports (issue 26).
    pub monitoring: monitoring::MonitoringPlan,
}

/// A small deterministic generator: the plan must not change when a
/// crate's random sequence does.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn percent(&mut self, p: u32) -> bool {
        self.below(100) < u64::from(p)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Beijing time to UTC.
fn beijing(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).expect("a time of day"))
        .single()
        .expect("Beijing has no daylight saving")
        .with_timezone(&Utc)
}

/// The first office moment (weekdays 09:00-17:30, Beijing) at or after `at`.
fn office(at: DateTime<Utc>) -> DateTime<Utc> {
    let local = at.with_timezone(&Shanghai);
    let mut day = local.date_naive();
    let minutes = local
        .time()
        .signed_duration_since(chrono::NaiveTime::MIN)
        .num_minutes();
    let mut at = at;
    if minutes < 9 * 60 {
        at = beijing(day, 9, 0);
    } else if minutes >= 17 * 60 + 30 {
        day = day.succ_opt().expect("a next day");
        at = beijing(day, 9, 0);
    }
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().expect("a next day");
        at = beijing(day, 9, 0);
    }
    at
}

/// `hours` of office time after `at`, roughly (8 office hours a day).
fn after_hours(at: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    let days = hours / 8;
    let mut t = office(at);
    for _ in 0..days {
        t = office(t + Duration::days(1));
    }
    office(t + Duration::minutes((hours % 8) * 60 + 7))
}

fn counties_of(regions: &[SeedRegion], province: &str) -> Vec<String> {
    regions
        .iter()
        .filter(|r| r.level == RegionLevel::County && !r.nominal)
        .filter(|r| r.province_code.as_str() == province)
        .map(|r| r.code.to_string())
        .collect()
}

/// The name of the city a county belongs to, without 市 (上海 for districts).
fn city_name(regions: &[SeedRegion], county: &str) -> String {
    let city = format!("{}00", &county[..4]);
    let province = format!("{}0000", &county[..2]);
    let named = |code: &str| {
        regions
            .iter()
            .find(|r| r.code.as_str() == code && !r.nominal)
    };
    named(&city)
        .or_else(|| named(&province))
        .map(|r| {
            r.name
                .trim_end_matches('市')
                .trim_end_matches("省")
                .to_string()
        })
        .unwrap_or_default()
}

const CHAIN_MIX: [(&str, u32); 7] = [
    ("automotive", 45),
    ("integrated_circuits", 20),
    ("medical_supplies", 15),
    ("equipment", 8),
    ("consumer_electronics", 6),
    ("biomedicine", 4),
    ("food", 2),
];

fn chain(rng: &mut Lcg) -> &'static str {
    let mut n = rng.below(100) as u32;
    for (c, share) in CHAIN_MIX {
        if n < share {
            return c;
        }
        n -= share;
    }
    "automotive"
}

/// The next generated credit code of a county.
fn code(county: &str, serial: &mut u32) -> String {
    *serial += 1;
    CreditCode::complete(&format!("91{county}MA{:07}", *serial))
        .expect("a generated code body is valid")
        .as_str()
        .to_string()
}

/// How many departments stand above the one a new ticket is routed to, by
/// the rules a fresh database starts with: a return or an escalation goes
/// one up, and the ministry has nowhere to go.
struct Heights {
    rules: Vec<RoutingRule>,
    serving: HashMap<(RegionCode, RegionLevel), i64>,
    above: HashMap<i64, usize>,
}

impl Heights {
    fn new(reference: &ReferencePlan) -> Heights {
        Heights {
            rules: default_rules(),
            serving: reference
                .regions
                .iter()
                .map(|r| ((r.code.clone(), r.level), r.department_id))
                .collect(),
            // A path `/1/10/377/` lists the department and those above it.
            above: reference
                .departments
                .iter()
                .map(|d| (d.id, d.path.matches('/').count().saturating_sub(2)))
                .collect(),
        }
    }

    fn of(&self, e: &DemoEnterprise, category: &str, urgency: &str) -> usize {
        let place = RegionCode::parse(&e.county).expect("a demo county is a region code");
        let decision = route(
            &self.rules,
            &RoutingInput {
                category: category.to_string(),
                urgency: Urgency::parse(urgency).expect("a demo urgency"),
                place: place.clone(),
                regions_involved: Vec::new(),
                national_listed: e.national_batch.is_some(),
                provincial_listed: e.shanghai_listed,
                chains: e.chains.iter().map(|c| c.to_string()).collect(),
            },
        );
        // The ministry (no region), or a place nobody serves: nowhere to go.
        decision
            .target
            .region_for(&place)
            .and_then(|r| self.serving.get(&r))
            .and_then(|d| self.above.get(d))
            .copied()
            .unwrap_or(0)
    }
}

/// Plans the demo: the year ending `until` (Beijing), with `tickets` problems.
pub fn plan(until: NaiveDate, tickets: usize) -> DemoPlan {
    let reference = reference_plan();
    let heights = Heights::new(&reference);
    let regions = reference.regions;
    let mut rng = Lcg(20_220_401);
    let from = until - Duration::days(364);
    let mut enterprises = Vec::new();
    let mut serial = 0u32;
    for (name, county) in AUTO_GROUPS {
        enterprises.push(DemoEnterprise {
            name: name.to_string(),
            credit_code: code(county, &mut serial),
            county: county.to_string(),
            chains: vec!["automotive"],
            national_batch: Some(1),
            shanghai_listed: county.starts_with("31"),
        });
    }
    // The national list: the groups, then each province's share.
    let mut listed = AUTO_GROUPS.len();
    for p in PROFILES {
        let counties = counties_of(&regions, p.province);
        let own_groups = AUTO_GROUPS
            .iter()
            .filter(|(_, c)| c[..2] == p.province[..2])
            .count();
        for _ in own_groups..p.national {
            let county = rng.pick(&counties).clone();
            let chain = chain(&mut rng);
            let name =
                texts::company_name(&mut || rng.next(), &city_name(&regions, &county), chain);
            enterprises.push(DemoEnterprise {
                name,
                credit_code: code(&county, &mut serial),
                county,
                chains: vec![chain],
                // Four batches of equal size, in listing order.
                national_batch: Some((listed * NATIONAL_BATCHES / NATIONAL_LIST) as i32 + 1),
                shanghai_listed: false,
            });
            listed += 1;
        }
    }
    debug_assert_eq!(listed, NATIONAL_LIST);
    // Shanghai's list: its national enterprises, then others to 666.
    let shanghai = counties_of(&regions, "310000");
    let mut on_shanghai_list = 0;
    for e in enterprises
        .iter_mut()
        .filter(|e| e.county.starts_with("31"))
    {
        e.shanghai_listed = true;
        on_shanghai_list += 1;
    }
    while on_shanghai_list < SHANGHAI_LIST {
        let county = rng.pick(&shanghai).clone();
        let chain = chain(&mut rng);
        let name = texts::company_name(&mut || rng.next(), "上海", chain);
        enterprises.push(DemoEnterprise {
            name,
            credit_code: code(&county, &mut serial),
            county,
            chains: vec![chain],
            national_batch: None,
            shanghai_listed: true,
        });
        on_shanghai_list += 1;
    }
    // Enterprises on no list.
    for i in 0..240 {
        let p = PROFILES[i % PROFILES.len()];
        let county = rng.pick(&counties_of(&regions, p.province)).clone();
        let name = texts::company_name(&mut || rng.next(), &city_name(&regions, &county), "other");
        enterprises.push(DemoEnterprise {
            name,
            credit_code: code(&county, &mut serial),
            county,
            chains: Vec::new(),
            national_batch: None,
            shanghai_listed: false,
        });
    }

    let tickets = plan_tickets(&mut rng, &enterprises, &heights, from, until, tickets);
    let accounts = accounts(&enterprises, &tickets);
    let with_account: std::collections::HashSet<usize> =
        accounts.iter().filter_map(|a| a.enterprise).collect();
    let monitoring =
        monitoring::monitoring_plan(&enterprises, until, &|i| with_account.contains(&i));
    DemoPlan {
        from,
        until,
        accounts,
        enterprises,
        tickets,
        monitoring,
    }
}

fn profile_of(county: &str) -> Profile {
    PROFILES
        .iter()
        .copied()
        .find(|p| p.province[..2] == county[..2])
        .unwrap_or(PROFILES[0])
}

/// Filing days: the first twelve weeks carry the surge (more than half of
/// the year's problems), then a low and steady flow.
fn filing_day(rng: &mut Lcg, from: NaiveDate) -> NaiveDate {
    let offset = if rng.percent(58) {
        // Rising and falling over weeks 1-12, peaking around week 5.
        let a = rng.below(42) as i64;
        let b = rng.below(42) as i64;
        a + b
    } else {
        84 + rng.below(281) as i64
    };
    from + Duration::days(offset)
}

fn plan_tickets(
    rng: &mut Lcg,
    enterprises: &[DemoEnterprise],
    heights: &Heights,
    from: NaiveDate,
    until: NaiveDate,
    count: usize,
) -> Vec<DemoTicket> {
    let end = beijing(until, 18, 0);
    let auto: Vec<usize> = (0..enterprises.len())
        .filter(|i| enterprises[*i].chains.contains(&"automotive"))
        .collect();
    let by_province: Vec<Vec<usize>> = PROFILES
        .iter()
        .map(|p| {
            (0..enterprises.len())
                .filter(|i| enterprises[*i].county[..2] == p.province[..2])
                .collect()
        })
        .collect();
    let mut tickets = Vec::with_capacity(count);
    for _ in 0..count {
        // The car groups file a few directly; the rest come from every
        // province's enterprises, whose chains follow CHAIN_MIX, so the
        // problems follow the chain mix too (about half automotive).
        let enterprise = if rng.percent(5) {
            *rng.pick(&auto)
        } else {
            let mut n = rng.below(100) as u32;
            let mut which = 0;
            for (i, p) in PROFILES.iter().enumerate() {
                if n < p.tickets {
                    which = i;
                    break;
                }
                n -= p.tickets;
            }
            *rng.pick(&by_province[which])
        };
        let day = filing_day(rng, from);
        let filed_at = office(beijing(day, 8 + rng.below(9) as u32, rng.below(60) as u32));
        let surge = day < from + Duration::days(84);
        let category = texts::category(&mut || rng.next(), surge);
        let urgency = match rng.below(100) {
            0..=9 => "critical",
            10..=39 => "urgent",
            _ => "normal",
        };
        let (title, description) = texts::problem(&mut || rng.next(), category);
        let profile = profile_of(&enterprises[enterprise].county);
        let above = heights.of(&enterprises[enterprise], category, urgency);
        let mut steps = plan_steps(rng, profile, filed_at, surge, urgency, above);
        // Of the last six weeks' problems, slow provinces leave more
        // waiting (unsigned, or signed and unresolved): the overdue list.
        if end - filed_at < Duration::days(42) && rng.percent(10 + 2 * profile.sign_hours as u32) {
            let signed = steps
                .iter()
                .position(|(_, s)| *s == DemoStep::SignFor)
                .map_or(0, |i| i + 1);
            steps.truncate(if rng.percent(40) { 0 } else { signed });
        }
        tickets.push(DemoTicket {
            enterprise,
            filed_at,
            category,
            urgency,
            title,
            description,
            steps: steps.into_iter().filter(|(at, _)| *at <= end).collect(),
        });
    }
    tickets.sort_by_key(|t| t.filed_at);
    tickets
}

mod steps;
use steps::{accounts, plan_steps};

pub mod monitoring;

#[cfg(test)]
mod tests;
