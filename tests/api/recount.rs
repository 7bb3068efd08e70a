//! Issue 22, "done means": every figure a supervisor reads, recomputed
//! here from raw rows (the event log, and the deadlines each window showed)
//! with code of its own, on a data set with withdrawals, rejections,
//! escalations, reopenings with a second rating, and late ratings of
//! auto-closed tickets: the metrics API (total, by county, by department),
//! the dashboard (from the daily totals) and both rankings.

use std::collections::BTreeMap;

use diesel::RunQueryDsl;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{act, bj, EventRow, TestApp};

async fn ticket(app: &TestApp, token: &str, id: i64) -> Value {
    app.get_as(&format!("/api/v1/tickets/{id}"), token)
        .await
        .json()
        .await
        .unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get_as(path, token).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// What the test saw of one ticket: where, what, and each sign-for window
/// (department, deadline) and the resolve deadline as the ticket showed them.
struct Seen {
    place: &'static str,
    category: &'static str,
    windows: Vec<(i64, DateTime<Utc>)>,
    resolve_due: Option<DateTime<Utc>>,
    handler: i64,
}

/// Expected counts of one group: (numerator, denominator) per rate.
#[derive(Debug, Default, Clone)]
struct Expect {
    received: u64,
    resolved: u64,
    open: u64,
    rates: BTreeMap<&'static str, (u64, u64)>,
}

const RATES: [&str; 8] = [
    "response",
    "on_time_resolution",
    "resolution",
    "satisfaction",
    "final_satisfaction",
    "returns",
    "reopens",
    "repeats",
];

impl Expect {
    fn add(&mut self, name: &'static str, num: u64, den: u64) {
        let e = self.rates.entry(name).or_default();
        e.0 += num;
        e.1 += den;
    }

    fn rate(&self, name: &str) -> (u64, u64) {
        self.rates.get(name).copied().unwrap_or_default()
    }

    fn value(&self, name: &str) -> Option<f64> {
        let (n, d) = self.rate(name);
        (d > 0).then(|| n as f64 / d as f64)
    }

    fn score(&self) -> Option<f64> {
        let (a, b, c) = (
            self.value("response")?,
            self.value("resolution")?,
            self.value("satisfaction")?,
        );
        Some(100.0 * (0.30 * a + 0.35 * b + 0.35 * c) / (0.30 + 0.35 + 0.35))
    }

    fn is_empty(&self) -> bool {
        self.received == 0
            && self.rate("response").1 == 0
            && self.rate("on_time_resolution").1 == 0
            && self.rate("satisfaction").1 == 0
    }

    /// The figures a group shows agree with these counts.
    fn check(&self, got: &Value, what: &str) {
        assert_eq!(
            got["received"].as_u64(),
            Some(self.received),
            "{what} received: {got}"
        );
        assert_eq!(
            got["resolved"].as_u64(),
            Some(self.resolved),
            "{what} resolved: {got}"
        );
        assert_eq!(got["open"].as_u64(), Some(self.open), "{what} open: {got}");
        for name in RATES {
            let r = &got[name];
            let pair = (
                r["numerator"].as_u64().unwrap(),
                r["denominator"].as_u64().unwrap(),
            );
            assert_eq!(pair, self.rate(name), "{what} {name}: {got}");
        }
        match (self.score(), got["score"].as_f64()) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{what} score {a} {b}"),
            (a, b) => assert_eq!(a, b, "{what} score"),
        }
    }
}

/// The order and standing a ranking should have: by score among those with
/// a sample of at least `min`, ties sharing a rank and broken by response
/// rate, tickets received, then list order; then too small a sample; then
/// no data, in list order.
fn expected_ranking(
    listed: &[(String, Expect)],
    min: u64,
) -> Vec<(String, &'static str, Option<u32>)> {
    let sample = |e: &Expect| e.rate("response").1.min(e.rate("satisfaction").1);
    let key = |i: &usize| {
        let e = &listed[*i].1;
        (e.score(), e.value("response"), e.received)
    };
    let order = |ids: &mut Vec<usize>| {
        ids.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            kb.0.partial_cmp(&ka.0)
                .unwrap()
                .then(kb.1.partial_cmp(&ka.1).unwrap())
                .then(kb.2.cmp(&ka.2))
                .then(a.cmp(b))
        })
    };
    let (mut ranked, mut short, mut empty) = (vec![], vec![], vec![]);
    for (i, (_, e)) in listed.iter().enumerate() {
        if e.is_empty() {
            empty.push(i);
        } else if e.score().is_some() && sample(e) >= min {
            ranked.push(i);
        } else {
            short.push(i);
        }
    }
    order(&mut ranked);
    order(&mut short);
    let mut out = Vec::new();
    let mut last: Option<(f64, u32)> = None;
    for (pos, i) in ranked.iter().enumerate() {
        let s = listed[*i].1.score().unwrap();
        let rank = match last {
            Some((p, r)) if p == s => r,
            _ => pos as u32 + 1,
        };
        last = Some((s, rank));
        out.push((listed[*i].0.clone(), "ranked", Some(rank)));
    }
    out.extend(
        short
            .iter()
            .map(|i| (listed[*i].0.clone(), "insufficient_sample", None)),
    );
    out.extend(
        empty
            .iter()
            .map(|i| (listed[*i].0.clone(), "no_data", None)),
    );
    out
}

/// A minimum that splits these groups on its boundary: the largest sample
/// some group has while another has less (so that one ranks with exactly
/// the minimum, and one does not).
fn boundary(listed: &[(String, Expect)]) -> u64 {
    let samples: Vec<u64> = listed
        .iter()
        .filter(|(_, e)| e.score().is_some())
        .map(|(_, e)| e.rate("response").1.min(e.rate("satisfaction").1))
        .collect();
    let low = *samples.iter().min().expect("groups with a score");
    let min = samples
        .iter()
        .copied()
        .filter(|s| *s > low)
        .max()
        .expect("two sample sizes");
    assert!(
        samples.contains(&min) && samples.iter().any(|s| *s < min),
        "{samples:?}"
    );
    min
}

fn check_ranking(got: &Value, listed: &[(String, Expect)], min: u64, what: &str) {
    let entries = got["entries"].as_array().unwrap();
    let shown: Vec<(String, &str, Option<u32>)> = entries
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap().to_string(),
                e["standing"].as_str().unwrap(),
                e["rank"].as_u64().map(|r| r as u32),
            )
        })
        .collect();
    let expected = expected_ranking(listed, min);
    assert_eq!(shown, expected, "{what}");
    for e in entries {
        let (_, exp) = listed
            .iter()
            .find(|(k, _)| k == e["key"].as_str().unwrap())
            .unwrap();
        exp.check(&e["figures"], &format!("{what} {}", e["key"]));
    }
}

each_backend! {
    async fn every_figure_matches_an_independent_recount_of_the_raw_rows(app) {
        let ent = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(ent)).await;
        let places = ["320506", "320505", "320507"];
        let mut officers = BTreeMap::new();
        for (p, mail) in places.iter().zip(["o@wuzhong.cn", "o@huqiu.cn", "o@xiangcheng.cn"]) {
            app.user("officer", mail, Some(app.department_of(p).await), None).await;
            officers.insert(*p, app.token(mail).await);
        }
        let city_dept = app.department_of("320500").await;
        app.user("officer", "o@suzhou.cn", Some(city_dept), None).await;
        app.user("supervisor", "s@suzhou.cn", Some(city_dept), None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let city_officer = app.token("o@suzhou.cn").await;
        let supervisor = app.token("s@suzhou.cn").await;

        // Filings over two working weeks of March 2026.
        let mut seen: BTreeMap<i64, Seen> = BTreeMap::new();
        let mut n = 0u64;
        for day in [2u32, 3, 4, 5, 6, 9, 10, 11, 12, 13] {
            for hour in [9, 14] {
                n += 1;
                app.clock.set(bj(day, hour, 5));
                let place = places[(n * 7 % 3) as usize];
                let category = ["parts_supply", "logistics"][(n % 2) as usize];
                let t: Value = app.post_as("/api/v1/tickets", &enterprise, &json!({
                    "category": category, "urgency": "normal", "place": place,
                    "title": "零部件断供", "description": "上游停产，库存只够三天。",
                })).await.json().await.unwrap();
                seen.insert(t["id"].as_i64().unwrap(), Seen {
                    place, category,
                    windows: vec![(t["handling_department_id"].as_i64().unwrap(), time(&t["sign_due_at"]))],
                    resolve_due: None,
                    handler: t["handling_department_id"].as_i64().unwrap(),
                });
            }
        }
        let ids: Vec<i64> = seen.keys().copied().collect();
        let mut late_raters = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let officer = officers[seen[id].place].clone();
            let filed = seen[id].windows[0].1 - Duration::days(1);
            let sign_due = seen[id].windows[0].1;
            let ratings = ["satisfied", "basically_satisfied", "dissatisfied"];
            // Resolves as `who` at `at`, noting the deadline it is held to.
            macro_rules! resolve {
                ($who:expr, $at:expr) => {{
                    app.clock.set($at);
                    let before = ticket(&app, &enterprise, *id).await;
                    if seen[id].resolve_due.is_none() {
                        seen.get_mut(id).unwrap().resolve_due = Some(time(&before["resolve_due_at"]));
                    }
                    act(&app, $who, *id, "resolve", json!({"resolution": "已协调上游恢复供货。"})).await;
                }};
            }
            match i % 9 {
                0 => {} // left alone
                1 => {
                    app.clock.set(filed + Duration::hours(1));
                    act(&app, &officer, *id, "reject", json!({"reason": "不属于工信部门职责"})).await;
                }
                2 => {
                    app.clock.set(filed + Duration::minutes(30));
                    act(&app, &enterprise, *id, "withdraw", json!({"reason": "已自行解决"})).await;
                }
                5 => {
                    // Sent up, in time or after the window; the city signs
                    // for it at once or a day late.
                    let at = if i % 2 == 0 { filed + Duration::hours(2) } else { sign_due + Duration::hours(3) };
                    app.clock.set(at);
                    let t = act(&app, &officer, *id, "escalate", json!({"reason": "需市级协调"})).await;
                    let (dept, due) = (t["handling_department_id"].as_i64().unwrap(), time(&t["sign_due_at"]));
                    assert_eq!(dept, city_dept);
                    seen.get_mut(id).unwrap().windows.push((dept, due));
                    seen.get_mut(id).unwrap().handler = dept;
                    let signed = if i % 4 == 1 { due + Duration::days(1) } else { at + Duration::hours(1) };
                    app.clock.set(signed);
                    act(&app, &city_officer, *id, "sign_for", json!({})).await;
                    resolve!(&city_officer, signed + Duration::days(1));
                    app.clock.set(signed + Duration::days(1) + Duration::hours(1));
                    act(&app, &enterprise, *id, "rate", json!({"satisfaction": ratings[i % 3], "solved": i % 2 == 0})).await;
                }
                6 => {
                    // Resolved, never rated in time: closed by the scanner,
                    // rated late (below).
                    app.clock.set(filed + Duration::hours(1));
                    act(&app, &officer, *id, "sign_for", json!({})).await;
                    resolve!(&officer, filed + Duration::hours(5));
                    late_raters.push(*id);
                }
                7 => {
                    app.clock.set(filed + Duration::hours(1));
                    act(&app, &officer, *id, "sign_for", json!({})).await;
                }
                k => {
                    // Signed for in time, or two days late; resolved; rated;
                    // a dissatisfied rating reopens it, and it is resolved
                    // and rated again.
                    let signed = if k == 4 { sign_due + Duration::days(2) } else { filed + Duration::hours(1) };
                    app.clock.set(signed);
                    act(&app, &officer, *id, "sign_for", json!({})).await;
                    let done = signed + Duration::hours(3 + 24 * (i as i64 % 4));
                    resolve!(&officer, done);
                    app.clock.set(done + Duration::hours(1));
                    // 3: dissatisfied; 8: basically satisfied but unsolved:
                    // either lets the enterprise reopen it.
                    let first = match k {
                        3 => "dissatisfied",
                        8 => "basically_satisfied",
                        _ => ratings[i % 3],
                    };
                    let solved = !matches!(k, 3 | 8);
                    act(&app, &enterprise, *id, "rate", json!({"satisfaction": first, "solved": solved})).await;
                    if !solved || first == "dissatisfied" {
                        act(&app, &enterprise, *id, "reopen", json!({"reason": "问题仍未解决"})).await;
                        resolve!(&officer, done + Duration::hours(4));
                        app.clock.set(done + Duration::hours(5));
                        act(&app, &enterprise, *id, "rate", json!({"satisfaction": "satisfied", "solved": true})).await;
                    }
                }
            }
        }
        // The scanner closes what nobody rated; the enterprise rates late.
        for day in [20, 27] {
            let at = bj(day, 10, 0);
            app.clock.set(at);
            yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, at, 100, 100).await.expect("scan");
        }
        app.clock.set(bj(30, 10, 0));
        for (j, id) in late_raters.iter().enumerate() {
            let t = ticket(&app, &enterprise, *id).await;
            assert_eq!(t["status"], "closed", "auto-closed");
            let satisfaction = ["dissatisfied", "satisfied"][j % 2];
            act(&app, &enterprise, *id, "rate", json!({"satisfaction": satisfaction, "solved": j % 2 == 1})).await;
        }
        let now = bj(31, 12, 0);
        app.clock.set(now);
        for (id, s) in seen.iter_mut() {
            if s.resolve_due.is_none() {
                let t = ticket(&app, &enterprise, *id).await;
                s.resolve_due = t["resolve_due_at"].as_str().map(|d| d.parse().unwrap());
            }
        }

        // The recount, from the raw event log.
        let events: Vec<EventRow> = app.db.run(|conn| {
            Ok(diesel::sql_query("SELECT ticket_id, action, created_at, detail, to_status FROM ticket_events ORDER BY ticket_id, seq").load(conn)?)
        }).await.unwrap();
        let (from, to) = (bj(1, 0, 0), bj(31, 0, 0) + Duration::days(1));
        let inside = |at: DateTime<Utc>| from <= at && at < to;
        let decisions = ["sign_for", "reject", "return", "transfer", "escalate", "take_over"];
        let openings = ["file", "transfer", "escalate", "return"];
        let (mut total, mut by_county, mut by_department) = (Expect::default(), BTreeMap::<String, Expect>::new(), BTreeMap::<i64, Expect>::new());
        let filed_of = |id: i64| events.iter().find(|e| e.ticket_id == id && e.action == "file").unwrap().created_at.and_utc();
        for (id, s) in &seen {
            let mine: Vec<&EventRow> = events.iter().filter(|e| e.ticket_id == *id).collect();
            let at = |e: &EventRow| e.created_at.and_utc();
            let filed = filed_of(*id);
            let ended = mine.iter().find(|e| ["withdraw", "reject"].contains(&e.action.as_str())).map(|e| at(e));
            let left = |due: DateTime<Utc>, done: Option<DateTime<Utc>>| done.is_none() && ended.is_some_and(|e| e < due);
            // A deadline counts once passed, or when met earlier.
            let deadline = |due: DateTime<Utc>, done: Option<DateTime<Utc>>| {
                let counts = inside(due) && !left(due, done) && (done.is_some() || due <= now);
                (u64::from(counts && done.is_some_and(|d| d <= due)), u64::from(counts))
            };
            let mut mine_exp = Expect::default();
            let e = &mut mine_exp;
            e.received += u64::from(inside(filed));
            let responded = mine.iter().find(|e| decisions.contains(&e.action.as_str())).map(|e| at(e));
            let (n, d) = deadline(s.windows[0].1, responded);
            e.add("response", n, d);
            let resolved = mine.iter().find(|e| e.action == "resolve").map(|e| at(e));
            if let Some(due) = s.resolve_due {
                let (n, d) = deadline(due, resolved);
                e.add("on_time_resolution", n, d);
            }
            if resolved.is_some_and(inside) {
                e.resolved += 1;
                e.add("reopens", u64::from(mine.iter().any(|e| e.action == "reopen")), 1);
            }
            for r in mine.iter().filter(|e| e.action == "rate") {
                let d: Value = serde_json::from_str(r.detail.as_deref().unwrap()).unwrap();
                let i = u64::from(inside(at(r)));
                e.add("resolution", u64::from(d["solved"] == json!(true)) * i, i);
                e.add("satisfaction", u64::from(d["satisfaction"] != json!("dissatisfied")) * i, i);
            }
            let last_rate = mine.iter().rposition(|e| e.action == "rate");
            let last_reopen = mine.iter().rposition(|e| e.action == "reopen");
            if let Some(r) = last_rate.filter(|r| last_reopen.is_none_or(|o| o < *r)) {
                let d: Value = serde_json::from_str(mine[r].detail.as_deref().unwrap()).unwrap();
                let i = u64::from(inside(at(mine[r])));
                e.add("final_satisfaction", u64::from(d["satisfaction"] != json!("dissatisfied")) * i, i);
            }
            if inside(filed) {
                let moves = mine.iter().filter(|e| ["transfer", "escalate", "return", "take_over"].contains(&e.action.as_str())).count() as u64;
                e.add("returns", mine.iter().filter(|e| e.action == "return").count() as u64, 1 + moves);
                let repeat = seen.iter().any(|(other, o)| other < id && o.category == s.category && filed_of(*other) >= filed - Duration::days(30));
                e.add("repeats", u64::from(repeat), 1);
            }
            e.open += u64::from(["pending_sign", "handling", "awaiting_info"].contains(&mine.last().unwrap().to_status.as_str()));
            // Groups: the county the ticket is placed in; the department
            // handling it, except for the response, which is each window's
            // department's.
            let merge = |into: &mut Expect, from: &Expect, with_response: bool| {
                into.received += from.received;
                into.resolved += from.resolved;
                into.open += from.open;
                for (k, (n, d)) in &from.rates {
                    if with_response || *k != "response" {
                        into.add(k, *n, *d);
                    }
                }
            };
            merge(&mut total, &mine_exp, true);
            merge(by_county.entry(s.place.to_string()).or_default(), &mine_exp, true);
            merge(by_department.entry(s.handler).or_default(), &mine_exp, false);
            let opened: Vec<usize> = mine.iter().enumerate().filter(|(_, e)| openings.contains(&e.action.as_str())).map(|(i, _)| i).collect();
            assert_eq!(opened.len(), s.windows.len(), "ticket {id}: one window per routing");
            for (w, (dept, due)) in opened.iter().zip(&s.windows) {
                let answered = mine[w + 1..].iter().find(|e| decisions.contains(&e.action.as_str())).map(|e| at(e));
                let (n, d) = deadline(*due, answered);
                by_department.entry(*dept).or_default().add("response", n, d);
            }
        }
        // The data set exercises each definition both ways.
        for name in ["response", "on_time_resolution", "satisfaction"] {
            let (n, d) = total.rate(name);
            assert!(0 < n && n < d, "{name}: {total:?}");
        }
        assert_ne!(total.rate("satisfaction"), total.rate("final_satisfaction"), "{total:?}");
        assert!(by_department[&city_dept].rate("response").1 > 0, "the city held windows");

        // The metrics API.
        let q = "from=2026-03-01&to=2026-03-31";
        let got = get(&app, &supervisor, &format!("/api/v1/metrics?{q}")).await;
        total.check(&got["total"], "total");
        let got = get(&app, &supervisor, &format!("/api/v1/metrics?{q}&group_by=region")).await;
        for g in got["groups"].as_array().unwrap() {
            by_county[g["key"].as_str().unwrap()].check(&g["figures"], g["key"].as_str().unwrap());
        }
        assert_eq!(got["groups"].as_array().unwrap().len(), by_county.len());
        let got = get(&app, &supervisor, &format!("/api/v1/metrics?{q}&group_by=department")).await;
        for g in got["groups"].as_array().unwrap() {
            let dept: i64 = g["key"].as_str().unwrap().parse().unwrap();
            by_department[&dept].check(&g["figures"], &format!("department {dept}"));
        }
        assert_eq!(got["groups"].as_array().unwrap().len(), by_department.len());

        // The dashboard, from the daily totals once folded.
        app.db.run_write(|conn| Ok(yizhan::storage::metric_days::fold(conn, 10_000)?)).await.unwrap();
        let dash = get(&app, &supervisor, &format!("/api/v1/metrics/dashboard?{q}&trend_days=31")).await;
        total.check(&dash["total"], "dashboard total");
        for r in dash["regions"].as_array().unwrap() {
            let exp = by_county.get(r["key"].as_str().unwrap()).cloned().unwrap_or_default();
            exp.check(&r["figures"], &format!("dashboard {}", r["key"]));
        }

        // 地区排名: every county of Suzhou, over the tickets placed in it.
        let counties = app.db.run(|conn| Ok(yizhan::storage::regions::Region::of_level(conn, "county", Some("3205"))?)).await.unwrap();
        let listed: Vec<(String, Expect)> = counties.iter().map(|r| (r.code.clone(), by_county.get(&r.code).cloned().unwrap_or_default())).collect();
        for min in [1, boundary(&listed)] {
            let got = get(&app, &supervisor, &format!("/api/v1/metrics/ranking?basis=region&level=county&{q}&min_sample={min}")).await;
            check_ranking(&got, &listed, min, &format!("地区排名 min {min}"));
        }
        // 部门排名: every county department of Suzhou, and the city's.
        let departments: Vec<(i64, String)> = app.db.run(|conn| {
            use diesel::prelude::*;
            use yizhan::storage::schema::departments as d;
            Ok(d::table.filter(d::kind.eq("county")).filter(d::region_code.like("3205%")).order(d::id.asc()).select((d::id, d::name)).load(conn)?)
        }).await.unwrap();
        let listed: Vec<(String, Expect)> = departments.iter().map(|(id, _)| (id.to_string(), by_department.get(id).cloned().unwrap_or_default())).collect();
        for min in [1, boundary(&listed)] {
            let got = get(&app, &supervisor, &format!("/api/v1/metrics/ranking?basis=department&level=county&{q}&min_sample={min}")).await;
            check_ranking(&got, &listed, min, &format!("部门排名 min {min}"));
        }
        let got = get(&app, &supervisor, &format!("/api/v1/metrics/ranking?basis=department&level=city&{q}&min_sample=1")).await;
        check_ranking(&got, &[(city_dept.to_string(), by_department[&city_dept].clone())], 1, "部门排名 of the city");
    }
}
