//! SLA clocks, driven by moving the app's clock and running the scanner.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{act, assert_problem, TestApp};

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

fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A ticket in 吴中区 (Suzhou, Jiangsu): county -> city -> province -> ministry.
struct Cast {
    enterprise: String,
    county: String,
    county_lead: String,
    city: String,
    city_lead: String,
    province: String,
    ministry: String,
    admin: String,
}

async fn cast(app: &TestApp) -> Cast {
    let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
    app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
    let county = app.department_of("320506").await;
    let city = app.department_of("320500").await;
    let province = app.department_of("320000").await;
    let ministry = app
        .get_json(&format!("/api/v1/departments/{province}"))
        .await["parent_id"]
        .as_i64()
        .unwrap();
    app.user("officer", "o@wuzhong.cn", Some(county), None)
        .await;
    app.user("lead", "lead@wuzhong.cn", Some(county), None)
        .await;
    app.user("supervisor", "s@suzhou.cn", Some(city), None)
        .await;
    app.user("lead", "lead@suzhou.cn", Some(city), None).await;
    app.user("supervisor", "s@jiangsu.cn", Some(province), None)
        .await;
    app.user("supervisor", "s@miit.cn", Some(ministry), None)
        .await;
    app.user("admin", "admin@yizhan.cn", None, None).await;
    Cast {
        enterprise: app.token("e@wuzhong.cn").await,
        county: app.token("o@wuzhong.cn").await,
        county_lead: app.token("lead@wuzhong.cn").await,
        city: app.token("s@suzhou.cn").await,
        city_lead: app.token("lead@suzhou.cn").await,
        province: app.token("s@jiangsu.cn").await,
        ministry: app.token("s@miit.cn").await,
        admin: app.token("admin@yizhan.cn").await,
    }
}

async fn file(app: &TestApp, token: &str, urgency: &str) -> Value {
    let res = app
        .post_as(
            "/api/v1/tickets",
            token,
            &json!({
                "category": "parts_supply", "urgency": urgency,
                "title": "芯片断供", "description": "上游封控，控制器芯片库存只够三天。"
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn ticket(app: &TestApp, token: &str, id: i64) -> Value {
    let res = app.get_as(&format!("/api/v1/tickets/{id}"), token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn scan(app: &TestApp, at: DateTime<Utc>) -> usize {
    app.clock.set(at);
    yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, at, 100, 100)
        .await
        .expect("scan")
        .events
}

fn sla_entries(t: &Value) -> Vec<(String, i64)> {
    t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"].as_str().unwrap().contains("_overdue")
                || e["action"].as_str().unwrap().contains("_warning")
        })
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["detail"]["level"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn supervised(app: &TestApp, token: &str) -> Vec<i64> {
    let res = app.get_as("/api/v1/supervision", token).await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

each_backend! {
    async fn a_normal_ticket_filed_on_the_friday_before_qingming_gets_working_day_deadlines(app) {
        let c = cast(&app).await;
        // Friday 2026-04-03 16:00; Saturday to Monday (4/4-4/6) are off.
        app.clock.set(bj(2026, 4, 3, 16, 0));
        let t = file(&app, &c.enterprise, "normal").await;
        assert_eq!(t["clocks"]["policy"], "normal");
        assert_eq!(t["clocks"]["sign"]["due_at"], iso(bj(2026, 4, 7, 17, 30)));
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2026, 4, 13, 17, 30)));
        assert_eq!(t["clocks"]["sign"]["warn_at"], iso(bj(2026, 4, 7, 15, 15)));
        assert_eq!(t["clocks"]["sign"]["state"], "running");
        // 90 minutes on Friday and 450 on Tuesday (the clock ran a moment).
        let left = t["clocks"]["sign"]["remaining_working_minutes"].as_i64().unwrap();
        assert!((539..=540).contains(&left), "{left}");
        assert_eq!(t["sign_due_at"], "2026-04-07T09:30:00Z");

        // A critical ticket runs on the wall clock: holidays do not count.
        let t = file(&app, &c.enterprise, "critical").await;
        let due: DateTime<Utc> = t["clocks"]["sign"]["due_at"].as_str().unwrap().parse().unwrap();
        let minutes = (due - bj(2026, 4, 3, 16, 0)).num_minutes();
        assert!((30..=31).contains(&minutes), "{minutes}");
    }

    async fn the_warning_fires_at_75_percent_and_overdue_climbs_one_level_a_day_to_the_ministry(app) {
        let c = cast(&app).await;
        app.clock.set(bj(2026, 4, 3, 16, 0));
        let id = file(&app, &c.enterprise, "normal").await["id"].as_i64().unwrap();

        assert_eq!(scan(&app, bj(2026, 4, 7, 15, 0)).await, 0);
        assert_eq!(scan(&app, bj(2026, 4, 7, 15, 16)).await, 1);
        let t = ticket(&app, &c.county, id).await;
        assert_eq!(sla_entries(&t), [("sign_warning".to_string(), 0)]);
        assert_eq!(t["clocks"]["sign"]["state"], "warning");
        assert_eq!(t["overdue"], false);
        // The enterprise does not see the staff's SLA entries.
        assert!(sla_entries(&ticket(&app, &c.enterprise, id).await).is_empty());

        // Past the deadline: overdue once, escalation level 1 (the city).
        assert_eq!(scan(&app, bj(2026, 4, 7, 17, 31)).await, 1);
        assert_eq!(scan(&app, bj(2026, 4, 7, 17, 45)).await, 0, "a repeat scan fires nothing");
        let t = ticket(&app, &c.county, id).await;
        assert_eq!((t["overdue"].as_bool(), t["escalation_level"].as_i64()), (Some(true), Some(1)));
        assert_eq!(t["clocks"]["sign"]["state"], "overdue");
        assert_eq!(supervised(&app, &c.city).await, [id]);
        assert!(supervised(&app, &c.province).await.is_empty());
        assert!(supervised(&app, &c.ministry).await.is_empty());

        // Each further overdue working day: one level up.
        assert_eq!(scan(&app, bj(2026, 4, 8, 17, 31)).await, 1);
        assert_eq!(ticket(&app, &c.county, id).await["escalation_level"], 2);
        assert_eq!(supervised(&app, &c.province).await, [id]);
        assert!(supervised(&app, &c.ministry).await.is_empty());
        // The resolve window warns on 4/10 15:15; the third overdue day ends 4/9 17:30.
        assert_eq!(scan(&app, bj(2026, 4, 9, 17, 31)).await, 1);
        assert_eq!(ticket(&app, &c.county, id).await["escalation_level"], 3);
        assert_eq!(supervised(&app, &c.ministry).await, [id]);
        // The ministry is the top: reminders go on, the level stays.
        assert_eq!(scan(&app, bj(2026, 4, 10, 17, 31)).await, 2, "day-4 reminder and the resolve warning");
        let t = ticket(&app, &c.county, id).await;
        assert_eq!(t["escalation_level"], 3);
        assert_eq!(
            sla_entries(&t),
            [
                ("sign_warning".to_string(), 0),
                ("sign_overdue".to_string(), 1),
                ("sign_overdue".to_string(), 2),
                ("sign_overdue".to_string(), 3),
                ("sign_overdue".to_string(), 4),
                ("resolve_warning".to_string(), 0),
            ]
        );
        assert_eq!(t["timeline"].as_array().unwrap().iter().rfind(|e| e["action"] == "sign_overdue").unwrap()["detail"]["escalation_level"], 3);

        // Urge from the supervision list; signing for ends the sign-for overdue.
        act(&app, &c.city, id, "urge", json!({"note": "请立即签收"})).await;
        app.clock.set(bj(2026, 4, 13, 9, 0));
        let t = act(&app, &c.county, id, "sign_for", json!({})).await;
        assert_eq!((t["overdue"].as_bool(), t["escalation_level"].as_i64()), (Some(false), Some(0)));
        assert!(supervised(&app, &c.city).await.is_empty());
        // The resolve deadline (4/13 17:30) still counts from filing.
        assert_eq!(scan(&app, bj(2026, 4, 13, 17, 31)).await, 1);
        let t = ticket(&app, &c.county, id).await;
        assert_eq!((t["overdue"].as_bool(), t["escalation_level"].as_i64()), (Some(true), Some(1)));
        assert_eq!(sla_entries(&t).last().unwrap(), &("resolve_overdue".to_string(), 1));
    }

    async fn awaiting_info_pauses_the_resolve_clock_and_an_approved_extension_moves_it(app) {
        let c = cast(&app).await;
        // Monday 2026-03-02 09:00: resolve by the end of Monday 3/9.
        app.clock.set(bj(2026, 3, 2, 9, 0));
        let id = file(&app, &c.enterprise, "normal").await["id"].as_i64().unwrap();
        act(&app, &c.county, id, "sign_for", json!({})).await;
        app.clock.set(bj(2026, 3, 3, 10, 0));
        act(&app, &c.county, id, "request_info", json!({"question": "请提供芯片型号和用量"})).await;
        let t = ticket(&app, &c.county, id).await;
        assert_eq!(t["clocks"]["resolve"]["state"], "paused");
        // Nothing fires while paused, however late it gets.
        assert_eq!(scan(&app, bj(2026, 3, 20, 9, 0)).await, 0);
        // A working day later (Tuesday 10:00 to Wednesday 10:00): due a day later.
        app.clock.set(bj(2026, 3, 4, 10, 0));
        let t = act(&app, &c.enterprise, id, "provide_info", json!({"answer": "型号 X1，每月 2 万片"})).await;
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2026, 3, 10, 17, 30)));

        act(&app, &c.county, id, "request_extension", json!({"reason": "需协调省外供应商", "working_days": 2})).await;
        // The deciding lead (the city's) hears of it, and has it in its queue to act on.
        let queued = |id: i64| {
            let app = &app;
            async move {
                app.db.run(move |conn| {
                    Ok(yizhan::storage::outbox::of_ticket(conn, id)?.into_iter().map(|m| (m.notice, m.to_address, m.params)).collect::<Vec<_>>())
                }).await.unwrap()
            }
        };
        let asked: Vec<String> = queued(id).await.into_iter().filter(|(n, _, _)| n == "extension_requested").map(|(_, to, _)| to).collect();
        assert_eq!(asked, ["lead@suzhou.cn"]);
        let mine: Value = app.get_as("/api/v1/tickets?needs_action=true", &c.city_lead).await.json().await.unwrap();
        assert!(mine["items"].as_array().unwrap().iter().any(|t| t["id"] == id), "{mine}");
        // Its own filter and workbench tab (待审批延期).
        let to_decide: Value = app.get_as("/api/v1/tickets?needs_action=true&extension_pending=true", &c.city_lead).await.json().await.unwrap();
        let ids: Vec<i64> = to_decide["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [id]);
        let lead = crate::browser::Browser::new(&app);
        lead.login("lead@suzhou.cn").await;
        let tab = lead.get("/workbench?tab=extension").await;
        assert!(tab.html.contains("待审批") && tab.html.contains(&format!("href=\"/tickets/{id}\"")), "{}", tab.html);
        let none: Value = app.get_as("/api/v1/tickets?extension_pending=true", &c.county).await.json().await.unwrap();
        assert_eq!(none["items"].as_array().unwrap().len(), 1, "the county sees its own request pending");
        // Refused (by the county's own lead): not the parent's lead.
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/decide_extension"), &c.county_lead, &json!({"approve": true, "note": "同意"})).await;
        assert_problem(res, 403).await;
        let t = act(&app, &c.city_lead, id, "decide_extension", json!({"approve": true, "note": "同意"})).await;
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2026, 3, 12, 17, 30)));
        assert_eq!(t["resolve_due_at"], "2026-03-12T09:30:00Z");
        // The decision reaches the handling department and, granted, the enterprise.
        let told: Vec<(String, String)> = queued(id).await.into_iter().filter(|(n, _, _)| n == "extension_decided").map(|(_, to, p)| (to, p)).collect();
        let to: Vec<&str> = told.iter().map(|(to, _)| to.as_str()).collect();
        assert!(to.contains(&"o@wuzhong.cn") && to.contains(&"e@wuzhong.cn"), "{to:?}");
        assert!(told[0].1.contains("2026-03-12T09:30:00Z"), "the new deadline: {}", told[0].1);
        let mine: Value = app.get_as("/api/v1/tickets?needs_action=true", &c.city_lead).await.json().await.unwrap();
        assert!(!mine["items"].as_array().unwrap().iter().any(|t| t["id"] == id), "decided: off the lead's list");
        assert_eq!(scan(&app, bj(2026, 3, 12, 17, 29)).await, 1, "only the resolve warning");
        assert_eq!(scan(&app, bj(2026, 3, 12, 17, 31)).await, 1);
    }

    async fn a_transfer_opens_a_new_sign_window_and_a_reopen_a_new_resolve_window(app) {
        let c = cast(&app).await;
        app.clock.set(bj(2026, 3, 2, 9, 0));
        let t = file(&app, &c.enterprise, "urgent").await;
        let id = t["id"].as_i64().unwrap();
        // 120 working minutes from the next whole minute (the test clock runs
        // on past 09:00:00, and a window is never shorter than its policy): 11:01.
        assert_eq!(t["clocks"]["sign"]["due_at"], iso(bj(2026, 3, 2, 11, 1)));
        assert_eq!(scan(&app, bj(2026, 3, 2, 11, 1)).await, 1);
        let neighbour = app.department_of("320507").await;
        app.clock.set(bj(2026, 3, 2, 14, 0));
        let t = act(&app, &c.county, id, "transfer", json!({"department_id": neighbour, "reason": "企业在相城区生产"})).await;
        assert_eq!(t["clocks"]["sign"]["round"], 2);
        assert_eq!(t["clocks"]["sign"]["due_at"], iso(bj(2026, 3, 2, 16, 1)));
        assert_eq!(t["overdue"], false);
        // The resolve window still runs from filing: two working days.
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2026, 3, 4, 17, 30)));
        // The new window fires its own overdue.
        assert_eq!(scan(&app, bj(2026, 3, 2, 16, 1)).await, 1);

        let helper = app.user("officer", "o@xiangcheng.cn", Some(neighbour), None).await;
        assert!(helper > 0);
        let x = app.token("o@xiangcheng.cn").await;
        act(&app, &x, id, "sign_for", json!({})).await;
        act(&app, &x, id, "resolve", json!({"resolution": "已协调供应商恢复供货"})).await;
        // Reopened a week later: a new two-working-day window.
        app.clock.set(bj(2026, 3, 9, 9, 0));
        act(&app, &c.enterprise, id, "rate", json!({"satisfaction": "dissatisfied", "solved": false})).await;
        let t = act(&app, &c.enterprise, id, "reopen", json!({"reason": "仍未供货"})).await;
        assert_eq!(t["clocks"]["resolve"]["round"], 2);
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2026, 3, 11, 17, 30)));
    }

    async fn a_resolved_ticket_nobody_rates_closes_after_seven_days(app) {
        let c = cast(&app).await;
        app.clock.set(bj(2026, 3, 2, 9, 0));
        let id = file(&app, &c.enterprise, "normal").await["id"].as_i64().unwrap();
        act(&app, &c.county, id, "sign_for", json!({})).await;
        act(&app, &c.county, id, "resolve", json!({"resolution": "已解决"})).await;
        scan(&app, bj(2026, 3, 9, 8, 59)).await;
        assert_eq!(ticket(&app, &c.county, id).await["status"], "resolved");
        scan(&app, bj(2026, 3, 9, 9, 1)).await;
        let t = ticket(&app, &c.enterprise, id).await;
        assert_eq!(t["status"], "closed");
        assert_eq!(t["timeline"].as_array().unwrap().last().unwrap()["action"], "auto_close");
    }

    async fn administrators_load_a_new_year_and_deadlines_follow_it(app) {
        let c = cast(&app).await;
        let y = app.get_as("/api/v1/admin/calendar/2026", &c.admin).await;
        assert_eq!(y.status(), 200);
        let y: Value = y.json().await.unwrap();
        assert!(y["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-02-15" && d["kind"] == "holiday"));
        // Officers do not administer the calendar.
        assert_problem(app.get_as("/api/v1/admin/calendar/2026", &c.county).await, 404).await;

        // A bad file: every bad line, nothing changed.
        let bad = "date,kind,festival\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n2027-01-04,workday,x\n2027-01-01,holiday,元旦\n";
        let res = app.client.post(app.url("/api/v1/admin/calendar/import"))
            .bearer_auth(&c.admin).header("content-type", "text/csv").body(bad).send().await.unwrap();
        let p = assert_problem(res, 422).await;
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["line 3", "line 4", "line 5"]);
        let y: Value = app.get_as("/api/v1/admin/calendar/2027", &c.admin).await.json().await.unwrap();
        assert!(y["days"].as_array().unwrap().is_empty());

        // 2027: New Year's Day Friday 1/1 off, Saturday 1/2 off; Sunday 1/3 worked (an invented year).
        let good = "\u{feff}date,kind,festival\n2027-01-01,holiday,元旦\n2027-01-03,workday,元旦\n";
        let res = app.client.post(app.url("/api/v1/admin/calendar/import"))
            .bearer_auth(&c.admin).header("content-type", "text/csv").body(good).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let r: Value = res.json().await.unwrap();
        assert_eq!(r["years"], json!([{"year": 2027, "holidays": 1, "workdays": 1}]));
        // Thursday 12/31 16:00, normal: the next working day is Sunday 1/3.
        app.clock.set(bj(2026, 12, 31, 16, 0));
        let t = file(&app, &c.enterprise, "normal").await;
        assert_eq!(t["clocks"]["sign"]["due_at"], iso(bj(2027, 1, 3, 17, 30)));

        // Replacing the year through the JSON API.
        let res = app.put_as("/api/v1/admin/calendar/2027", &c.admin, &json!({"days": [
            {"date": "2027-01-01", "kind": "holiday", "note": "元旦"},
            {"date": "2027-01-04", "kind": "holiday", "note": "元旦"}
        ]})).await;
        assert_eq!(res.status(), 200);
        let t = file(&app, &c.enterprise, "normal").await;
        assert_eq!(t["clocks"]["sign"]["due_at"], iso(bj(2027, 1, 5, 17, 30)));
        let res = app.put_as("/api/v1/admin/calendar/2027", &c.admin, &json!({"days": [
            {"date": "2028-01-01", "kind": "holiday"},
            {"date": "2027-01-02", "kind": "someday"}
        ]})).await;
        assert_problem(res, 422).await;
    }

    async fn administrators_set_sla_policies(app) {
        let c = cast(&app).await;
        let list: Value = app.get_as("/api/v1/admin/sla-policies", &c.admin).await.json().await.unwrap();
        let names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["critical", "normal", "urgent"]);
        assert_eq!(list[0]["sign_for"], json!({"value": 30, "unit": "clock_minutes"}));

        let res = app.put_as("/api/v1/admin/sla-policies/normal", &c.admin, &json!({
            "sign_for": {"value": 0, "unit": "fortnights"},
            "resolve": {"value": 3, "unit": "working_days"},
            "warning_percent": 100, "escalation_working_days": 1
        })).await;
        let p = assert_problem(res, 422).await;
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == "sign_for.unit"));

        let res = app.put_as("/api/v1/admin/sla-policies/normal", &c.admin, &json!({
            "sign_for": {"value": 240, "unit": "working_minutes"},
            "resolve": {"value": 3, "unit": "working_days"},
            "warning_percent": 50, "escalation_working_days": 2
        })).await;
        assert_eq!(res.status(), 200);
        app.clock.set(bj(2026, 3, 2, 9, 0));
        let t = file(&app, &c.enterprise, "normal").await;
        // From 09:01, the whole minute after filing.
        assert_eq!(t["clocks"]["sign"]["due_at"], iso(bj(2026, 3, 2, 14, 31)));
        assert_eq!(t["clocks"]["sign"]["warn_at"], iso(bj(2026, 3, 2, 11, 1)));
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2026, 3, 5, 17, 30)));

        let res = app.put_as("/api/v1/admin/sla-policies/strict", &c.admin, &json!({
            "sign_for": {"value": 15, "unit": "clock_minutes"},
            "resolve": {"value": 1, "unit": "working_days"},
            "warning_percent": 75, "escalation_working_days": 1
        })).await;
        assert_eq!(res.status(), 201);

        // A routing rule may pick it; it must exist.
        let rule = json!({"position": 0, "name": "零部件断供从严", "category": "parts_supply", "target_level": "county", "sla_policy": "stricter"});
        let res = app.post_as("/api/v1/admin/routing-rules", &c.admin, &rule).await;
        assert_eq!(assert_problem(res, 422).await["errors"][0]["field"], "sla_policy");
        // So may its chain (found by the API fuzzer: this was a 500).
        let rule = json!({"position": 0, "name": "零部件断供从严", "chain_code": "nope", "target_level": "county", "sla_policy": "strict"});
        let res = app.post_as("/api/v1/admin/routing-rules", &c.admin, &rule).await;
        assert_eq!(assert_problem(res, 422).await["errors"][0]["field"], "chain_code");
        let rule = json!({"position": 0, "name": "零部件断供从严", "category": "parts_supply", "target_level": "county", "sla_policy": "strict"});
        assert_eq!(app.post_as("/api/v1/admin/routing-rules", &c.admin, &rule).await.status(), 201);
        let t = file(&app, &c.enterprise, "normal").await;
        assert_eq!(t["clocks"]["policy"], "strict");
        let due: DateTime<Utc> = t["clocks"]["sign"]["due_at"].as_str().unwrap().parse().unwrap();
        let filed = bj(2026, 3, 2, 9, 0);
        assert!((15..=16).contains(&(due - filed).num_minutes()), "{due}");
    }

    async fn the_queue_sorts_by_deadline(app) {
        let c = cast(&app).await;
        app.clock.set(bj(2026, 3, 2, 9, 0));
        let normal = file(&app, &c.enterprise, "normal").await["id"].as_i64().unwrap();
        let critical = file(&app, &c.enterprise, "critical").await["id"].as_i64().unwrap();
        let urgent = file(&app, &c.enterprise, "urgent").await["id"].as_i64().unwrap();
        let ids = |v: Value| -> Vec<i64> { v["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect() };
        let page: Value = app.get_as("/api/v1/tickets?sort=deadline&limit=2", &c.county).await.json().await.unwrap();
        assert_eq!(ids(page.clone()), [critical, urgent]);
        let cursor = page["next_cursor"].as_str().unwrap();
        let rest: Value = app.get_as(&format!("/api/v1/tickets?sort=deadline&limit=2&cursor={cursor}"), &c.county).await.json().await.unwrap();
        assert_eq!(ids(rest), [normal]);
        // A bare id is no cursor, nor is a cursor of the other order.
        assert_problem(app.get_as("/api/v1/tickets?sort=deadline&limit=2&cursor=999999", &c.county).await, 400).await;
        assert_problem(app.get_as(&format!("/api/v1/tickets?limit=2&cursor={cursor}"), &c.county).await, 400).await;
        assert_problem(app.get_as("/api/v1/tickets?sort=sideways", &c.county).await, 422).await;
    }

    async fn the_supervision_list_is_for_department_staff(app) {
        let c = cast(&app).await;
        assert_problem(app.get_as("/api/v1/supervision", &c.enterprise).await, 404).await;
        assert_problem(app.get_as("/api/v1/supervision", &c.admin).await, 404).await;
        assert_eq!(app.get_as("/api/v1/supervision", &c.county).await.status(), 200);
    }

    async fn a_ticket_bounced_between_counties_is_on_the_city_s_supervision_list(app) {
        let c = cast(&app).await;
        let huqiu = app.department_of("320505").await;
        app.user("officer", "o@huqiu.cn", Some(huqiu), None).await;
        let other = app.token("o@huqiu.cn").await;
        let id = file(&app, &c.enterprise, "urgent").await["id"].as_i64().unwrap();
        let wuzhong = ticket(&app, &c.county, id).await["handling_department_id"].as_i64().unwrap();
        // Passed back and forth: four sends, over the threshold of three.
        for round in 0..2 {
            act(&app, &c.county, id, "transfer", json!({"department_id": huqiu, "reason": format!("涉及虎丘区（{round}）")})).await;
            assert!(supervised(&app, &c.city).await.is_empty(), "three sends are not yet a bounce");
            act(&app, &other, id, "return", json!({"reason": "不属于本区"})).await;
        }
        let t = ticket(&app, &c.county, id).await;
        assert_eq!(t["handling_department_id"].as_i64(), Some(wuzhong));
        // The lowest department over both counties, and those above it, see it.
        assert_eq!(supervised(&app, &c.city).await, [id]);
        assert_eq!(supervised(&app, &c.province).await, [id]);
        assert_eq!(supervised(&app, &c.ministry).await, [id]);
        assert!(supervised(&app, &c.county).await.is_empty());
        // Once resolved, it is off every list.
        act(&app, &c.county, id, "sign_for", json!({})).await;
        act(&app, &c.county, id, "resolve", json!({"resolution": "已协调上游供货。"})).await;
        assert!(supervised(&app, &c.city).await.is_empty());
        assert!(supervised(&app, &c.ministry).await.is_empty());
    }

    async fn a_chain_platform_supervises_its_chain_s_overdue_tickets(app) {
        let c = cast(&app).await;
        let created: Value = app.post_as("/api/v1/enterprises", &c.admin, &json!({
            "credit_code": "91310115591693856A", "name": "苏州某汽车电子有限公司", "county_code": "320506",
            "chains": ["automotive"], "contact_email": "auto@wuzhong.cn"
        })).await.json().await.unwrap();
        app.user("enterprise", "auto@wuzhong.cn", None, created["id"].as_i64()).await;
        let platform = app.chain_platform("automotive").await;
        app.user("supervisor", "s@auto.miit.cn", Some(platform), None).await;
        let auto = app.token("s@auto.miit.cn").await;
        app.clock.set(bj(2026, 4, 3, 16, 0));
        let in_chain = file(&app, &app.token("auto@wuzhong.cn").await, "normal").await["id"].as_i64().unwrap();
        let outside = file(&app, &c.enterprise, "normal").await["id"].as_i64().unwrap();
        assert!(supervised(&app, &auto).await.is_empty(), "not overdue yet");
        // Both overdue: the platform sees its chain's, the city both.
        assert_eq!(scan(&app, bj(2026, 4, 7, 17, 31)).await, 2);
        assert_eq!(supervised(&app, &auto).await, [in_chain]);
        assert_eq!(supervised(&app, &c.city).await, [in_chain, outside]);
    }
}

/// Copies ticket `id` (and its clocks) `n - 1` times, straight in the
/// database: the scanner's work, without 5,000 filings over HTTP.
async fn clone_ticket(app: &TestApp, id: i64, n: i64) {
    let cols = "enterprise_id, filer_id, category, urgency, title, description, place_code, \
        regions_involved, chains, whitelisted, status, version, handling_department_id, \
        sent_from_department_id, assignee_id, sla_policy, sign_due_at, resolve_due_at, \
        extension_pending, overdue, escalation_level, urged_count, reopened_count, \
        sent_on_count, rating, solved, filed_at, signed_at, resolved_at, updated_at";
    let clock_cols = "policy, sign_round, sign_started_at, sign_warn_at, sign_fired, \
        resolve_round, resolve_started_at, resolve_warn_at, resolve_fired, paused_at, \
        extension_days, supervising_department_id, bounce_department_id, next_check_at";
    let statements = vec![
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO tickets (number, {cols}) \
             SELECT 'COPY-' || CAST(n.i AS TEXT), {cols} FROM tickets, n WHERE tickets.id = {id}"
        ),
        format!(
            "INSERT INTO ticket_clocks (ticket_id, {clock_cols}) \
             SELECT t.id, {clock_cols} FROM tickets t, ticket_clocks c \
             WHERE c.ticket_id = {id} AND t.number LIKE 'COPY-%'"
        ),
    ];
    app.db
        .run(move |conn| {
            use diesel::RunQueryDsl;
            for s in &statements {
                diesel::sql_query(s.as_str()).execute(conn)?;
            }
            Ok(())
        })
        .await
        .expect("copies");
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.db
        .run(move |conn| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
        })
        .await
        .unwrap()
}

each_backend! {
    // On SQLite the three writers queue for the lock: give them time on a busy machine.
    async fn three_scanners_at_once_fire_each_sla_event_exactly_once(app, &[("YIZHAN__DATABASE__POOL_SIZE", "6"), ("YIZHAN__DATABASE__SQLITE_BUSY_TIMEOUT_MS", "60000")]) {
        let c = cast(&app).await;
        app.clock.set(bj(2026, 4, 3, 16, 0));
        let id = file(&app, &c.enterprise, "normal").await["id"].as_i64().unwrap();
        clone_ticket(&app, id, 5000).await;
        for (at, expected) in [
            // The sign-for deadline passed: overdue day 1 for each.
            (bj(2026, 4, 7, 17, 31), 5000),
            // Day 2 and day 3 together (a scanner that was away catches up).
            (bj(2026, 4, 9, 17, 31), 10000),
        ] {
            let runs = (0..3).map(|_| {
                let (db, sla) = (app.db.clone(), app.sla.clone());
                tokio::spawn(async move {
                    yizhan::services::sla_scanner::scan_once(&db, &sla, at, 200, 1000).await.unwrap()
                })
            });
            let reports = futures_util::future::join_all(runs).await;
            let fired: usize = reports.into_iter().map(|r| r.unwrap().events).sum();
            assert_eq!(fired, expected);
        }
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM sla_events").await, 15000);
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM (SELECT ticket_id, kind, level, round FROM sla_events GROUP BY ticket_id, kind, level, round) AS k").await,
            15000
        );
        // The flags moved on once per scan that changed them.
        assert_eq!(
            count(&app, "SELECT COUNT(*) AS n FROM tickets WHERE overdue AND escalation_level = 3 AND version = 3").await,
            5000
        );
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ticket_clocks WHERE sign_fired <> 3").await, 0);
        // The original's timeline shows its three overdue days once each.
        let t = ticket(&app, &c.county, id).await;
        assert_eq!(
            sla_entries(&t),
            [("sign_overdue".to_string(), 1), ("sign_overdue".to_string(), 2), ("sign_overdue".to_string(), 3)]
        );
    }
}

each_backend! {
    async fn the_background_scanner_runs_on_its_interval(app, &[("YIZHAN__SLA__SCAN_INTERVAL_SECS", "1")]) {
        let c = cast(&app).await;
        app.clock.set(bj(2026, 3, 2, 9, 0));
        let id = file(&app, &c.enterprise, "critical").await["id"].as_i64().unwrap();
        // Thirty clock minutes later the ticket is overdue, without anyone scanning by hand.
        app.clock.set(bj(2026, 3, 2, 9, 31));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let t = ticket(&app, &c.county, id).await;
            if t["overdue"] == true {
                assert_eq!(sla_entries(&t), [("sign_overdue".to_string(), 1)]);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the scanner never ran");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}
