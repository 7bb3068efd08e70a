//! The supervisors' numbers: a generated data set driven through the API
//! with a moving clock, and every rate recomputed here independently from
//! the raw event log and what the API said when each ticket was filed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{act, assert_problem, bj, EventRow, TestApp};

struct Cast {
    enterprise: String,
    wuzhong: String,
    huqiu: String,
    wuzhong_lead: String,
    city: String,
    ministry: String,
}

async fn cast(app: &TestApp) -> Cast {
    let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
    app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
    let wuzhong = app.department_of("320506").await;
    let huqiu = app.department_of("320505").await;
    let city = app.department_of("320500").await;
    let province = app.department_of("320000").await;
    let ministry = app
        .get_json(&format!("/api/v1/departments/{province}"))
        .await["parent_id"]
        .as_i64()
        .unwrap();
    app.user("officer", "o@wuzhong.cn", Some(wuzhong), None)
        .await;
    app.user("officer", "o@huqiu.cn", Some(huqiu), None).await;
    app.user("lead", "lead@wuzhong.cn", Some(wuzhong), None)
        .await;
    app.user("supervisor", "s@suzhou.cn", Some(city), None)
        .await;
    app.user("supervisor", "s@miit.cn", Some(ministry), None)
        .await;
    Cast {
        enterprise: app.token("e@wuzhong.cn").await,
        wuzhong: app.token("o@wuzhong.cn").await,
        huqiu: app.token("o@huqiu.cn").await,
        wuzhong_lead: app.token("lead@wuzhong.cn").await,
        city: app.token("s@suzhou.cn").await,
        ministry: app.token("s@miit.cn").await,
    }
}

async fn metrics(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app.get_as(&format!("/api/v1/metrics?{query}"), token).await;
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

async fn dashboard(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app
        .get_as(&format!("/api/v1/metrics/dashboard?{query}"), token)
        .await;
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

/// The dashboard's figures agree with the full report's.
fn same(dash: &Value, full: &Value) {
    for name in [
        "response",
        "on_time_resolution",
        "resolution",
        "satisfaction",
        "final_satisfaction",
        "returns",
        "reopens",
        "repeats",
    ] {
        assert_eq!(
            rate(&dash[name]),
            rate(&full[name]),
            "{name}: {dash} vs {full}"
        );
    }
    for name in ["received", "resolved", "open", "overdue_open", "score"] {
        assert_eq!(dash[name], full[name], "{name}: {dash} vs {full}");
    }
    let mean = |v: &Value| v.as_f64().map(|h| (h * 1000.0).round());
    assert_eq!(
        mean(&dash["mean_hours_to_resolve"]),
        mean(&full["time_to_resolve"]["mean_hours"])
    );
    assert_eq!(
        mean(&dash["mean_hours_to_sign"]),
        mean(&full["time_to_sign"]["mean_hours"])
    );
}

/// The dashboard says what the full report says: in total, by region
/// and day by day.
async fn same_as_report(app: &TestApp, token: &str, query: &str) {
    let dash = dashboard(app, token, query).await;
    let full = metrics(app, token, query).await;
    same(&dash["total"], &full["total"]);
    assert_eq!(
        dash["resolved_to_date"], full["resolved_to_date"],
        "{query}"
    );
    let by_region = metrics(app, token, &format!("{query}&group_by=region")).await;
    let groups = by_region["groups"].as_array().unwrap();
    // The dashboard lists every child region; those the report leaves out
    // (nothing happened there) with zeros.
    for d in dash["regions"].as_array().unwrap() {
        if !groups.iter().any(|g| g["key"] == d["key"]) {
            let f = &d["figures"];
            assert_eq!(
                (
                    &f["received"],
                    &f["open"],
                    &f["response"]["denominator"],
                    &f["satisfaction"]["denominator"],
                    &f["on_time_resolution"]["denominator"]
                ),
                (&json!(0), &json!(0), &json!(0), &json!(0), &json!(0)),
                "{d}"
            );
        }
    }
    for g in groups {
        let d = dash["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == g["key"])
            .expect("the same regions");
        same(&d["figures"], &g["figures"]);
    }
    let by_day = metrics(app, token, &format!("{query}&group_by=day")).await;
    let (days, trend) = (
        by_day["groups"].as_array().unwrap(),
        dash["trend"].as_array().unwrap(),
    );
    assert_eq!(days.len(), trend.len());
    for (d, g) in trend.iter().zip(days) {
        assert_eq!(d["key"], g["key"]);
        same(&d["figures"], &g["figures"]);
    }
}

/// A small deterministic generator (no dependency on a crate's sequence).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What the test itself saw of one ticket.
struct Seen {
    place: &'static str,
    sign_due: DateTime<Utc>,
    resolve_due: DateTime<Utc>,
}

fn rate(value: &Value) -> (u64, u64) {
    (
        value["numerator"].as_u64().unwrap(),
        value["denominator"].as_u64().unwrap(),
    )
}

each_backend! {
    async fn rates_match_an_independent_count_of_the_event_log(app) {
        let c = cast(&app).await;
        let mut rng = Lcg(2022);
        let mut seen: HashMap<i64, Seen> = HashMap::new();
        // Two working weeks of March 2026; each day some filings, then
        // handling at varying speed.
        for day in [2u32, 3, 4, 5, 6, 9, 10] {
            for n in 0..3 {
                app.clock.set(bj(day, 9, 10 * n));
                let huqiu = rng.below(3) == 0;
                let category = ["parts_supply", "logistics"][rng.below(2) as usize];
                let mut body = json!({
                    "category": category, "urgency": "normal",
                    "title": "零部件断供", "description": "上游停产，库存只够三天。",
                });
                if huqiu {
                    body["place"] = json!("320505");
                }
                let res = app.post_as("/api/v1/tickets", &c.enterprise, &body).await;
                assert_eq!(res.status(), 201);
                let t: Value = res.json().await.unwrap();
                // Deadlines are UTC (RFC 3339, with the Z).
                let due = |k: &str| t[k].as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
                seen.insert(
                    t["id"].as_i64().unwrap(),
                    Seen { place: if huqiu { "320505" } else { "320506" }, sign_due: due("sign_due_at"), resolve_due: due("resolve_due_at") },
                );
            }
        }
        let mut ids: Vec<i64> = seen.keys().copied().collect();
        ids.sort_unstable();
        for (i, id) in ids.iter().enumerate() {
            let s = &seen[id];
            let officer = if s.place == "320505" { &c.huqiu } else { &c.wuzhong };
            let filed_day = s.sign_due - Duration::days(1);
            match rng.below(8) {
                // Left alone: still pending.
                0 => {}
                // Rejected at once (a timely response), or withdrawn by the
                // enterprise before anyone signed (out of both denominators).
                6 => {
                    app.clock.set(filed_day + Duration::hours(1));
                    act(&app, officer, *id, "reject", json!({"reason": "不属于工信部门职责"})).await;
                }
                7 => {
                    app.clock.set(filed_day + Duration::minutes(30));
                    act(&app, &c.enterprise, *id, "withdraw", json!({"reason": "已自行解决"})).await;
                }
                // Returned on first routing: off to the city.
                1 if s.place == "320506" => {
                    app.clock.set(filed_day + Duration::hours(2));
                    act(&app, officer, *id, "return", json!({"reason": "不属于本区职责"})).await;
                }
                k => {
                    // Signed for at once, or two days late.
                    let signed = if k == 2 { s.sign_due + Duration::days(2) } else { filed_day + Duration::hours(1) };
                    app.clock.set(signed);
                    act(&app, officer, *id, "sign_for", json!({})).await;
                    if k == 5 {
                        continue; // still handling
                    }
                    app.clock.set(signed + Duration::hours(3 + 24 * (i as i64 % 4)));
                    act(&app, officer, *id, "resolve", json!({"resolution": "已协调上游恢复供货。"})).await;
                    if k == 4 && i % 2 == 0 {
                        continue; // not rated yet
                    }
                    let satisfaction = ["satisfied", "basically_satisfied", "dissatisfied"][rng.below(3) as usize];
                    let solved = rng.below(3) != 0;
                    app.clock.set(signed + Duration::hours(4 + 24 * (i as i64 % 4)));
                    act(&app, &c.enterprise, *id, "rate", json!({"satisfaction": satisfaction, "solved": solved, "comment": "ok"})).await;
                    if satisfaction == "dissatisfied" && rng.below(2) == 0 {
                        act(&app, &c.enterprise, *id, "reopen", json!({"reason": "问题仍未解决"})).await;
                        // Resolved again and rated again (every rating counts).
                        if i % 3 != 0 {
                            app.clock.set(signed + Duration::hours(6 + 24 * (i as i64 % 4)));
                            act(&app, officer, *id, "resolve", json!({"resolution": "已再次协调，供货恢复。"})).await;
                            app.clock.set(signed + Duration::hours(7 + 24 * (i as i64 % 4)));
                            act(&app, &c.enterprise, *id, "rate", json!({"satisfaction": "satisfied", "solved": true})).await;
                        }
                    }
                }
            }
        }
        let now = bj(20, 12, 0);
        app.clock.set(now);

        // The raw event log.
        let events: Vec<EventRow> = app
            .db
            .run(|conn| {
                Ok(diesel::sql_query("SELECT ticket_id, action, created_at, detail, to_status FROM ticket_events ORDER BY ticket_id, seq").load(conn)?)
            })
            .await
            .unwrap();
        let (from, to) = (bj(1, 0, 0), bj(21, 0, 0));
        let inside = |at: DateTime<Utc>| from <= at && at < to;
        let mut expect: HashMap<&str, (u64, u64)> = HashMap::new();
        fn add(expect: &mut HashMap<&str, (u64, u64)>, name: &'static str, num: bool, den: bool) {
            let e = expect.entry(name).or_default();
            e.0 += u64::from(num && den);
            e.1 += u64::from(den);
        }
        let (mut received, mut open, mut withdrawn_or_rejected, mut rated_twice) = (0, 0, 0, 0);
        for (id, s) in &seen {
            let mine: Vec<&EventRow> = events.iter().filter(|e| e.ticket_id == *id).collect();
            let at = |e: &EventRow| e.created_at.and_utc();
            let first = |name: &str| mine.iter().find(|e| e.action == name).map(|e| at(e));
            let filed = first("file").expect("every ticket has its filing event");
            received += u64::from(inside(filed));
            // A response is the first decision on the ticket; a ticket that
            // ended (withdrawn, rejected) before a deadline, undone, leaves it.
            let first_of = |names: &[&str]| mine.iter().find(|e| names.contains(&e.action.as_str())).map(|e| at(e));
            let responded = first_of(&["sign_for", "reject", "return", "transfer", "escalate", "take_over"]);
            let ended = first_of(&["withdraw", "reject"]);
            let left = |due: DateTime<Utc>, done: Option<DateTime<Utc>>| done.is_none() && ended.is_some_and(|e| e < due);
            add(&mut expect, "response", responded.is_some_and(|t| t <= s.sign_due), inside(s.sign_due) && !left(s.sign_due, responded) && (responded.is_some() || s.sign_due <= now));
            let resolved = first("resolve");
            add(&mut expect, "on_time_resolution", resolved.is_some_and(|t| t <= s.resolve_due), inside(s.resolve_due) && !left(s.resolve_due, resolved) && (resolved.is_some() || s.resolve_due <= now));
            if ended.is_some() {
                withdrawn_or_rejected += 1;
            }
            // Every rating given counts in resolution and satisfaction; the
            // one that stands (the last, unless a reopen came after it) in
            // the final satisfaction.
            for e in mine.iter().filter(|e| e.action == "rate") {
                let d: Value = serde_json::from_str(e.detail.as_deref().unwrap()).unwrap();
                add(&mut expect, "resolution", d["solved"] == json!(true), inside(at(e)));
                add(&mut expect, "satisfaction", d["satisfaction"] != json!("dissatisfied"), inside(at(e)));
            }
            let last_rate = mine.iter().rposition(|e| e.action == "rate");
            let last_reopen = mine.iter().rposition(|e| e.action == "reopen");
            if let Some(r) = last_rate.filter(|r| last_reopen.is_none_or(|o| o < *r)) {
                let d: Value = serde_json::from_str(mine[r].detail.as_deref().unwrap()).unwrap();
                add(&mut expect, "final_satisfaction", d["satisfaction"] != json!("dissatisfied"), inside(at(mine[r])));
            }
            rated_twice += u64::from(mine.iter().filter(|e| e.action == "rate").count() > 1);
            let moves = mine.iter().filter(|e| ["transfer", "escalate", "return", "take_over"].contains(&e.action.as_str())).count() as u64;
            let returns = mine.iter().filter(|e| e.action == "return").count() as u64;
            let r = expect.entry("returns").or_default();
            r.0 += returns;
            r.1 += 1 + moves;
            if resolved.is_some_and(inside) {
                add(&mut expect, "reopens", mine.iter().any(|e| e.action == "reopen"), true);
            }
            let status = mine.last().map(|e| e.to_status.as_str()).unwrap();
            open += u64::from(["pending_sign", "handling", "awaiting_info"].contains(&status));
        }
        // The data set exercises each definition both ways.
        let (num, den) = expect["response"];
        assert!(0 < num && num < den, "late and timely sign-fors: {expect:?}");
        let (num, den) = expect["on_time_resolution"];
        assert!(0 < num && num < den, "unresolved past the deadline: {expect:?}");
        assert!(expect["returns"].0 > 0 && expect["satisfaction"].1 > expect["satisfaction"].0, "{expect:?}");
        assert!(expect.get("reopens").is_some_and(|r| r.0 > 0), "{expect:?}");
        assert!(withdrawn_or_rejected > 0, "the definitions of issue 22, item 3, are exercised");
        assert!(rated_twice > 0, "a rating superseded by a reopening is exercised");
        assert_ne!(expect["satisfaction"], expect["final_satisfaction"], "{expect:?}");
        let got = metrics(&app, &c.city, "from=2026-03-01&to=2026-03-20").await;
        let total = &got["total"];
        assert_eq!(total["received"].as_u64().unwrap(), received);
        assert_eq!(received, seen.len() as u64);
        for name in ["response", "on_time_resolution", "resolution", "satisfaction", "final_satisfaction", "returns", "reopens"] {
            assert_eq!(rate(&total[name]), expect.get(name).copied().unwrap_or_default(), "{name}: {total}");
            let (num, den) = rate(&total[name]);
            if den == 0 {
                assert!(total[name]["value"].is_null(), "{name}");
            } else {
                assert!((total[name]["value"].as_f64().unwrap() - num as f64 / den as f64).abs() < 1e-9);
            }
        }
        assert_eq!(total["open"].as_u64().unwrap(), open);
        assert!(open > 0 && open < received, "the data set has open and finished tickets");

        // By child region: the two counties add up to the city.
        let by_region = metrics(&app, &c.city, "from=2026-03-01&to=2026-03-20&group_by=region").await;
        let groups = by_region["groups"].as_array().unwrap();
        let keys: Vec<&str> = groups.iter().map(|g| g["key"].as_str().unwrap()).collect();
        assert!(keys.iter().all(|k| ["320505", "320506"].contains(k)), "{keys:?}");
        let sum: u64 = groups.iter().map(|g| g["figures"]["received"].as_u64().unwrap()).sum();
        assert_eq!(sum, received);
        let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"吴中区"), "{names:?}");

        // The daily trend puts each filing on its day.
        let trend = metrics(&app, &c.city, "from=2026-03-01&to=2026-03-20&group_by=day").await;
        let days = trend["groups"].as_array().unwrap();
        assert_eq!(days.len(), 20);
        assert_eq!(days[1]["key"], "2026-03-02");
        assert_eq!(days[1]["figures"]["received"], 3);
        assert_eq!(days[0]["figures"]["received"], 0);

        // Scoping: the Wuzhong lead sees Wuzhong only; the ministry everything.
        let wuzhong_only = seen.values().filter(|s| s.place == "320506").count() as u64;
        let own = metrics(&app, &c.wuzhong_lead, "from=2026-03-01&to=2026-03-20").await;
        assert_eq!(own["total"]["received"].as_u64().unwrap(), wuzhong_only);
        assert_eq!(own["scope"]["region"], "320506");
        let all = metrics(&app, &c.ministry, "from=2026-03-01&to=2026-03-20").await;
        assert_eq!(all["total"]["received"].as_u64().unwrap(), received);
        assert!(all["scope"]["region"].is_null());
        // Drilling down from the ministry to the county.
        let drilled = metrics(&app, &c.ministry, "from=2026-03-01&to=2026-03-20&region=320506").await;
        assert_eq!(drilled["total"]["received"].as_u64().unwrap(), wuzhong_only);

        // The dashboard (daily totals plus what is read live) says the same,
        // before the changes are folded in, after, and after new changes.
        same_as_report(&app, &c.city, "from=2026-03-01&to=2026-03-20&trend_days=20").await;
        same_as_report(&app, &c.ministry, "from=2026-03-01&to=2026-03-20&trend_days=20").await;
        let folded = app.db.run_write(|conn| Ok(yizhan::storage::metric_days::fold(conn, 10_000)?)).await.unwrap();
        assert_eq!(folded, seen.len(), "every ticket folded once");
        same_as_report(&app, &c.city, "from=2026-03-01&to=2026-03-20&trend_days=20").await;
        same_as_report(&app, &c.wuzhong_lead, "from=2026-03-01&to=2026-03-20&trend_days=20").await;
        // New changes, not folded yet: tickets signed for; and two filed
        // now, signed for, then rejected or withdrawn, whose resolution
        // deadlines (ahead, inside a period that runs to the month's end)
        // may not count as missed yet.
        let pending: Vec<i64> = ids.iter().copied().filter(|id| seen[id].place == "320506").take(2).collect();
        for id in &pending {
            let t: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.wuzhong).await.json().await.unwrap();
            if t["status"] == "pending_sign" {
                act(&app, &c.wuzhong, *id, "sign_for", json!({})).await;
            }
        }
        for (who, action) in [(&c.wuzhong, "reject"), (&c.enterprise, "withdraw")] {
            let body = json!({"category": "logistics", "urgency": "normal", "title": "货车无法进园", "description": "高速出口劝返。"});
            let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &body).await.json().await.unwrap();
            let id = t["id"].as_i64().unwrap();
            act(&app, &c.wuzhong, id, "sign_for", json!({})).await;
            act(&app, who, id, action, json!({"reason": "已由企业自行协调解决。"})).await;
        }
        let month = "from=2026-03-01&to=2026-03-31&trend_days=31";
        same_as_report(&app, &c.city, "from=2026-03-01&to=2026-03-20&trend_days=20").await;
        same_as_report(&app, &c.city, month).await;
        app.db.run_write(|conn| Ok(yizhan::storage::metric_days::fold(conn, 10_000)?)).await.unwrap();
        same_as_report(&app, &c.ministry, "from=2026-03-01&to=2026-03-20&trend_days=20").await;
        same_as_report(&app, &c.city, month).await;
    }

    async fn an_empty_period_has_no_data_and_working_hours_are_counted(app) {
        let c = cast(&app).await;
        // Filed Monday 09:00, signed for 10:30, resolved Tuesday 09:30.
        app.clock.set(bj(2, 9, 0));
        let t: Value = app
            .post_as("/api/v1/tickets", &c.enterprise, &json!({"category": "logistics", "urgency": "normal", "title": "货车无法进园", "description": "高速出口劝返。"}))
            .await
            .json()
            .await
            .unwrap();
        let id = t["id"].as_i64().unwrap();
        app.clock.set(bj(2, 10, 30));
        act(&app, &c.wuzhong, id, "sign_for", json!({})).await;
        app.clock.set(bj(3, 9, 30));
        act(&app, &c.wuzhong, id, "resolve", json!({"resolution": "已办理通行证。"})).await;
        let m = metrics(&app, &c.city, "from=2026-03-01&to=2026-03-07").await;
        // The test clock runs on from where it is set: allow a minute.
        let hours = |v: &Value| v["median_hours"].as_f64().unwrap();
        assert!((hours(&m["total"]["time_to_sign"]) - 1.5).abs() < 0.02, "{m}");
        // Monday 09:00-12:00 and 13:30-17:30, Tuesday 08:30-09:30: 8 working hours.
        assert!((hours(&m["total"]["time_to_resolve"]) - 8.0).abs() < 0.02, "{m}");
        assert_eq!(m["total"]["response"]["value"], 1.0);
        assert_eq!(m["resolved_to_date"], 1);

        let empty = metrics(&app, &c.city, "from=2025-01-01&to=2025-01-31").await;
        assert_eq!(empty["total"]["received"], 0);
        for name in ["response", "on_time_resolution", "resolution", "satisfaction", "returns"] {
            assert!(empty["total"][name]["value"].is_null(), "{name} has no data");
        }
        assert!(empty["total"]["score"].is_null());
        assert_eq!(empty["resolved_to_date"], 0);
    }

    async fn exports_hold_the_same_numbers_as_the_json(app) {
        use calamine::Reader;
        let c = cast(&app).await;
        for (day, place) in [(2, "320506"), (3, "320505"), (3, "320506")] {
            app.clock.set(bj(day, 9, 0));
            let res = app
                .post_as("/api/v1/tickets", &c.enterprise, &json!({"category": "logistics", "urgency": "normal", "title": "货车受阻", "description": "物流受阻。", "place": place}))
                .await;
            assert_eq!(res.status(), 201);
        }
        app.clock.set(bj(10, 12, 0));
        let query = "from=2026-03-01&to=2026-03-10&group_by=region";
        let json = metrics(&app, &c.city, query).await;
        let groups = json["groups"].as_array().unwrap();

        let res = app.get_as(&format!("/api/v1/metrics/export?{query}&format=csv"), &c.city).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(res.headers()["content-disposition"].to_str().unwrap().contains("metrics-2026-03-01-2026-03-10.csv"));
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "a byte order mark for spreadsheet programs");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("分组,名称,受理量,响应率"), "{}", lines[0]);
        assert_eq!(lines.len(), groups.len() + 2, "a row per group, then the total: {text}");
        for (line, g) in lines[1..].iter().zip(groups) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells[0], g["key"].as_str().unwrap());
            assert_eq!(cells[1], g["name"].as_str().unwrap());
            assert_eq!(cells[2], g["figures"]["received"].to_string());
            // Nothing was signed for or rated yet: no data, not 0%.
            assert_eq!(cells[5], "无数据");
        }
        assert!(lines.last().unwrap().starts_with(",合计,3,"), "{text}");

        let english = app
            .client
            .get(app.url(&format!("/api/v1/metrics/export?{query}&format=csv")))
            .bearer_auth(&c.city)
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(english.contains("Key,Name,Received,Response rate"), "{english}");
        assert!(english.contains("no data"));

        let res = app.get_as(&format!("/api/v1/metrics/export?{query}&format=xlsx"), &c.city).await;
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap().to_vec();
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX file");
        let sheet = book.worksheet_range("统计").expect("the sheet");
        let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(rows[0][2], "受理量");
        assert_eq!(rows.len(), groups.len() + 2);
        for (row, g) in rows[1..].iter().zip(groups) {
            assert_eq!(row[0], g["key"].as_str().unwrap());
            assert_eq!(row[2], g["figures"]["received"].to_string());
            assert_eq!(row[5], "无数据");
        }
        assert_eq!(rows.last().unwrap()[2], "3");

        assert_problem(app.get_as(&format!("/api/v1/metrics/export?{query}&format=pdf"), &c.city).await, 422).await;
        assert_problem(app.get_as(&format!("/api/v1/metrics/export?{query}&format=csv"), &c.wuzhong).await, 404).await;
    }

    async fn departments_of_one_level_rank_by_score_with_their_three_rates(app) {
        let c = cast(&app).await;
        let xiangcheng = app.department_of("320507").await;
        app.user("officer", "o@xiangcheng.cn", Some(xiangcheng), None).await;
        // Wuzhong signs at once and satisfies; Huqiu signs two days late and
        // does not solve it; Xiangcheng's ticket waits, unrated: no score.
        let mut ids = Vec::new();
        for place in ["320506", "320505", "320507"] {
            app.clock.set(bj(2, 9, 0));
            let t: Value = app
                .post_as("/api/v1/tickets", &c.enterprise, &json!({"category": "logistics", "urgency": "normal", "title": "货车受阻", "description": "物流受阻。", "place": place}))
                .await
                .json()
                .await
                .unwrap();
            ids.push(t["id"].as_i64().unwrap());
        }
        app.clock.set(bj(2, 10, 0));
        act(&app, &c.wuzhong, ids[0], "sign_for", json!({})).await;
        act(&app, &c.wuzhong, ids[0], "resolve", json!({"resolution": "已办理通行证。"})).await;
        act(&app, &c.enterprise, ids[0], "rate", json!({"satisfaction": "satisfied", "solved": true})).await;
        app.clock.set(bj(6, 10, 0));
        act(&app, &c.huqiu, ids[1], "sign_for", json!({})).await;
        act(&app, &c.huqiu, ids[1], "resolve", json!({"resolution": "已协调。"})).await;
        act(&app, &c.enterprise, ids[1], "rate", json!({"satisfaction": "basically_satisfied", "solved": false})).await;
        app.clock.set(bj(10, 12, 0));

        // 部门排名 with a minimum sample of one: every county department of
        // the city is listed, the ranked first, then 样本不足, then 无数据.
        let query = "level=county&from=2026-03-01&to=2026-03-10&min_sample=1";
        let res = app.get_as(&format!("/api/v1/metrics/ranking?{query}"), &c.city).await;
        assert_eq!(res.status(), 200);
        let ranking: Value = res.json().await.unwrap();
        assert_eq!((ranking["level"].as_str(), ranking["basis"].as_str(), ranking["title"].as_str()), (Some("county"), Some("department"), Some("部门排名")));
        let list = ranking["entries"].as_array().unwrap();
        let names: Vec<&str> = list.iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert!(list.len() >= 5, "every county department of Suzhou: {names:?}");
        assert!(names[0].contains("吴中"), "{names:?}");
        assert!(names[1].contains("虎丘"), "{names:?}");
        assert!(names[2].contains("相城"), "{names:?}");
        assert_eq!((list[0]["rank"].as_u64(), list[0]["standing"].as_str()), (Some(1), Some("ranked")));
        assert_eq!(list[1]["rank"], 2);
        assert!(list[2]["rank"].is_null(), "no rating, no score, no rank");
        assert_eq!(list[2]["standing"], "insufficient_sample");
        assert!(list[2]["figures"]["score"].is_null());
        assert!(list[3..].iter().all(|d| d["standing"] == "no_data" && d["rank"].is_null()), "{list:?}");
        // The score is the weighted three rates (0.30, 0.35, 0.35).
        assert_eq!(list[0]["figures"]["score"], 100.0);
        let huqiu = &list[1]["figures"];
        assert_eq!(rate(&huqiu["response"]), (0, 1));
        assert_eq!(rate(&huqiu["resolution"]), (0, 1));
        assert_eq!(rate(&huqiu["satisfaction"]), (1, 1));
        assert!((huqiu["score"].as_f64().unwrap() - 35.0).abs() < 1e-9, "{huqiu}");
        assert_eq!(list[0]["region_code"], "320506");

        // Under the configured minimum (5), one ticket each ranks nobody:
        // all three are 样本不足, the best score first.
        let default: Value = app.get_as("/api/v1/metrics/ranking?level=county&from=2026-03-01&to=2026-03-10", &c.city).await.json().await.unwrap();
        assert_eq!(default["min_sample"], 5);
        let list = default["entries"].as_array().unwrap();
        assert!(list[..3].iter().all(|d| d["standing"] == "insufficient_sample" && d["rank"].is_null()), "{list:?}");
        assert!(list[0]["name"].as_str().unwrap().contains("吴中"));

        // 地区排名: every county of the city, over the tickets placed in it.
        let regions: Value = app.get_as("/api/v1/metrics/ranking?basis=region&level=county&from=2026-03-01&to=2026-03-10&min_sample=1", &c.city).await.json().await.unwrap();
        assert_eq!(regions["title"], "地区排名");
        let list = regions["entries"].as_array().unwrap();
        assert_eq!(list.len(), app.db.run(|conn| Ok(yizhan::storage::regions::Region::of_level(conn, "county", Some("3205"))?.len())).await.unwrap());
        assert_eq!((list[0]["key"].as_str(), list[0]["name"].as_str()), (Some("320506"), Some("吴中区")));
        assert!(list[0]["department_id"].is_null());
        assert_eq!(list[0]["figures"]["received"], 1);

        // The county lead sees only its own department; the city level has
        // handled nothing: every city department of the country, no data.
        let own: Value = app.get_as(&format!("/api/v1/metrics/ranking?{query}"), &c.wuzhong_lead).await.json().await.unwrap();
        assert_eq!(own["entries"].as_array().unwrap().len(), 1);
        let cities: Value = app.get_as("/api/v1/metrics/ranking?level=city&from=2026-03-01&to=2026-03-10", &c.ministry).await.json().await.unwrap();
        let cities = cities["entries"].as_array().unwrap();
        assert!(cities.len() > 300 && cities.iter().all(|d| d["standing"] == "no_data"), "{}", cities.len());

        // The export lists the same order, with the sample beside each.
        let csv = app.get_as(&format!("/api/v1/metrics/ranking/export?{query}&format=csv"), &c.city).await;
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("ranking-department-county-2026-03-01-2026-03-10.csv"));
        let text = csv.text().await.unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert!(lines[0].starts_with("名次,部门,区划代码,综合得分,响应率,按时办结率,解决率,满意率,最终满意率,应签收数,评价数"), "{text}");
        assert!(lines[1].starts_with("1,") && lines[1].contains("吴中"), "{text}");
        assert!(lines[3].starts_with("样本不足,") && lines[3].contains("相城"), "{text}");
        assert!(lines[4].starts_with("无数据,"), "{text}");
        let csv = app.get_as("/api/v1/metrics/ranking/export?basis=region&level=county&from=2026-03-01&to=2026-03-10&format=csv", &c.city).await.text().await.unwrap();
        assert!(csv.trim_start_matches('\u{feff}').starts_with("名次,地区,"), "{csv}");

        let bad = assert_problem(app.get_as("/api/v1/metrics/ranking?level=village&from=2026-13-01", &c.city).await, 422).await;
        let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["from", "level"]);
        let bad = assert_problem(app.get_as("/api/v1/metrics/ranking?level=county&basis=people", &c.city).await, 422).await;
        assert_eq!(bad["errors"][0]["field"], "basis");
        assert_problem(app.get_as(&format!("/api/v1/metrics/ranking?{query}"), &c.wuzhong).await, 404).await;
        assert_problem(app.get_as(&format!("/api/v1/metrics/ranking?{query}&region=310115"), &c.city).await, 404).await;
    }

    async fn metrics_are_for_supervisors_and_leads_within_their_jurisdiction(app) {
        let c = cast(&app).await;
        assert_problem(app.get_as("/api/v1/metrics", &c.wuzhong).await, 404).await;
        assert_problem(app.get_as("/api/v1/metrics", &c.enterprise).await, 404).await;
        assert_eq!(app.get("/api/v1/metrics").await.status(), 401);
        // Suzhou may not look at Shanghai.
        assert_problem(app.get_as("/api/v1/metrics?region=310115", &c.city).await, 404).await;
        let bad = assert_problem(app.get_as("/api/v1/metrics?from=2026-13-01&to=2026-01-01&group_by=week&region=abc", &c.city).await, 422).await;
        let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        for f in ["from", "group_by", "region"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert_problem(app.get_as("/api/v1/metrics?from=2026-03-10&to=2026-03-01", &c.city).await, 422).await;
        assert_problem(app.get_as("/api/v1/metrics/dashboard", &c.wuzhong).await, 404).await;
        assert_problem(app.get_as("/api/v1/metrics/dashboard?region=310115", &c.city).await, 404).await;
        let bad = assert_problem(app.get_as("/api/v1/metrics/dashboard?trend_days=0&from=2026-02-30", &c.city).await, 422).await;
        let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["from", "trend_days"]);
        assert_problem(app.get_as("/api/v1/metrics?from=2020-01-01&to=2026-03-01", &c.city).await, 422).await;
    }
}
