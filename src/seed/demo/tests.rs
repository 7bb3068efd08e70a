use std::collections::HashSet;

use super::*;

fn until() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 3, 31).unwrap()
}

#[test]
fn the_same_day_gives_the_same_plan() {
    let (a, b) = (plan(until(), 300), plan(until(), 300));
    assert_eq!(a.enterprises, b.enterprises);
    assert_eq!(a.tickets, b.tickets);
    assert_eq!(a.accounts, b.accounts);
}

#[test]
fn the_lists_have_their_spring_2022_sizes() {
    let p = plan(until(), 100);
    let national: Vec<i32> = p
        .enterprises
        .iter()
        .filter_map(|e| e.national_batch)
        .collect();
    assert_eq!(national.len(), NATIONAL_LIST);
    for batch in 1..=NATIONAL_BATCHES as i32 {
        assert_eq!(
            national.iter().filter(|b| **b == batch).count(),
            NATIONAL_LIST / NATIONAL_BATCHES
        );
    }
    assert_eq!(
        p.enterprises.iter().filter(|e| e.shanghai_listed).count(),
        SHANGHAI_LIST
    );
    assert!(p
        .enterprises
        .iter()
        .filter(|e| e.shanghai_listed)
        .all(|e| e.county.starts_with("31")));
    for (name, county) in AUTO_GROUPS {
        let e = p.enterprises.iter().find(|e| e.name == name).expect(name);
        assert_eq!((e.county.as_str(), e.national_batch), (county, Some(1)));
        assert_eq!(e.chains, ["automotive"]);
    }
    let codes: HashSet<&str> = p
        .enterprises
        .iter()
        .map(|e| e.credit_code.as_str())
        .collect();
    assert_eq!(codes.len(), p.enterprises.len(), "credit codes are unique");
    for e in &p.enterprises {
        assert!(
            CreditCode::parse(&e.credit_code).is_ok(),
            "{}",
            e.credit_code
        );
        assert_eq!(&e.credit_code[2..8], e.county, "the code names the county");
    }
}

#[test]
fn a_year_of_problems_surges_first_and_the_automotive_platform_resolves_over_700() {
    let p = plan(until(), 2_400);
    assert_eq!(p.tickets.len(), 2_400);
    let (start, end) = (beijing(p.from, 0, 0), beijing(p.until, 18, 0));
    let mut previous = start;
    for t in &p.tickets {
        assert!(
            previous <= t.filed_at && t.filed_at <= end,
            "in order, inside the year"
        );
        previous = t.filed_at;
        let mut at = t.filed_at;
        for (when, _) in &t.steps {
            assert!(at <= *when && *when <= end, "steps follow each other");
            at = *when;
        }
    }
    let surge = p
        .tickets
        .iter()
        .filter(|t| t.filed_at < beijing(p.from + Duration::days(84), 0, 0))
        .count();
    assert!(
        surge * 2 > p.tickets.len(),
        "over half in the first twelve weeks: {surge}"
    );
    let resolved_auto = p
        .tickets
        .iter()
        .filter(|t| p.enterprises[t.enterprise].chains.contains(&"automotive"))
        .filter(|t| {
            t.steps
                .iter()
                .any(|(_, s)| matches!(s, DemoStep::Resolve(_)))
        })
        .count();
    assert!(resolved_auto > 700, "{resolved_auto}");
    // Some are still open at the end, some were never rated.
    let open = p
        .tickets
        .iter()
        .filter(|t| {
            !t.steps.iter().any(|(_, s)| {
                matches!(
                    s,
                    DemoStep::Resolve(_) | DemoStep::Reject(_) | DemoStep::Withdraw(_)
                )
            })
        })
        .count();
    assert!(open > 0);
}

#[test]
fn provinces_differ_in_how_satisfied_their_enterprises_are() {
    let p = plan(until(), 2_400);
    let satisfied = |province: &str| {
        let ratings: Vec<bool> = p
            .tickets
            .iter()
            .filter(|t| p.enterprises[t.enterprise].county.starts_with(province))
            .flat_map(|t| &t.steps)
            .filter_map(|(_, s)| match s {
                DemoStep::Rate { satisfaction, .. } => {
                    Some(*satisfaction != Satisfaction::Dissatisfied)
                }
                _ => None,
            })
            .collect();
        ratings.iter().filter(|s| **s).count() as f64 / ratings.len() as f64
    };
    assert!(
        satisfied("31") > satisfied("22") + 0.05,
        "Shanghai {} vs Jilin {}",
        satisfied("31"),
        satisfied("22")
    );
}

#[test]
fn every_step_has_its_actor_and_order() {
    let p = plan(until(), 2_400);
    for t in &p.tickets {
        let kinds: Vec<&DemoStep> = t.steps.iter().map(|(_, s)| s).collect();
        for (i, s) in kinds.iter().enumerate() {
            match s {
                DemoStep::ProvideInfo(_) => {
                    assert!(matches!(kinds[i - 1], DemoStep::RequestInfo(_)))
                }
                DemoStep::Rate { .. } => assert!(matches!(kinds[i - 1], DemoStep::Resolve(_))),
                DemoStep::Reopen(_) => assert!(matches!(kinds[i - 1], DemoStep::Rate { .. })),
                DemoStep::Withdraw(_) | DemoStep::Return(_) => assert_eq!(i, 0),
                _ => {}
            }
        }
    }
    let logins: Vec<&DemoAccount> = p.accounts.iter().filter(|a| a.password).collect();
    assert!(logins
        .iter()
        .any(|a| a.role == "enterprise" && a.email.starts_with("saic@")));
    assert!(logins
        .iter()
        .any(|a| a.role == "supervisor" && a.department.as_deref() == Some("ministry")));
    let emails: HashSet<&str> = p.accounts.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(emails.len(), p.accounts.len());
    // Every filing enterprise has a filer.
    for t in &p.tickets {
        assert!(p
            .accounts
            .iter()
            .any(|a| a.enterprise == Some(t.enterprise)));
    }
}

#[test]
fn no_ticket_is_returned_or_escalated_past_the_ministry() {
    let reference = reference_plan();
    let heights = Heights::new(&reference);
    // 2026-12-07 once planned a ministry-handled ticket's escalation.
    for until in [until(), NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()] {
        let p = plan(until, 2_400);
        let mut to_the_top = 0;
        for t in &p.tickets {
            let above = heights.of(&p.enterprises[t.enterprise], t.category, t.urgency);
            let up = t
                .steps
                .iter()
                .filter(|(_, s)| matches!(s, DemoStep::Return(_) | DemoStep::Escalate(_)))
                .count();
            assert!(
                up <= above,
                "{up} steps up from {above} below the top: {t:?}"
            );
            to_the_top += usize::from(up > 0 && up == above);
        }
        // The case is exercised: some tickets do reach the ministry.
        assert!(to_the_top > 0, "{until}");
    }
}
