//! Next year's work calendar (issue 21, item 8): missing, it is said on the
//! admin pages, in the metrics and on each deadline it touches; loaded, the
//! open tickets' deadlines follow it, also after a crash mid-way.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::TestApp;

fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    let local = NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap();
    Shanghai
        .from_local_datetime(&local)
        .unwrap()
        .with_timezone(&Utc)
}

fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn file(app: &TestApp, token: &str) -> Value {
    let res = app
        .post_as(
            "/api/v1/tickets",
            token,
            &json!({"category": "parts_supply", "urgency": "normal", "title": "冲压件断供", "description": "上游冲压件供应商停产三天。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn import(app: &TestApp, admin: &str, csv: &str) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/admin/calendar/import"))
        .bearer_auth(admin)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn metric(app: &TestApp) -> String {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with("yizhan_calendar_next_year_loaded "))
        .unwrap_or("")
        .to_string()
}

each_backend! {
    async fn next_years_calendar_is_asked_for_and_deadlines_follow_it(app) {
        let ent = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(ent)).await;
        app.user("admin", "root@yizhan.example.cn", None, None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let admin = app.token("root@yizhan.example.cn").await;
        let b = Browser::new(&app);
        b.login("root@yizhan.example.cn").await;

        // October: nothing to say yet.
        app.clock.set(bj(2026, 10, 30, 9, 0));
        assert_eq!(yizhan::services::calendar::watch(&app.db, &app.sla).await.unwrap(), None);
        assert!(!b.get("/admin/users").await.html.contains("2027 年的工作日历"));
        // From 1 November: the gauge, the banner on every admin page.
        app.clock.set(bj(2026, 11, 2, 9, 0));
        assert_eq!(yizhan::services::calendar::watch(&app.db, &app.sla).await.unwrap(), Some(2027));
        assert_eq!(metric(&app).await, "yizhan_calendar_next_year_loaded 0");
        let page = b.get("/admin/users").await;
        assert!(page.html.contains("尚未导入 2027 年的工作日历") && page.html.contains("href=\"/admin/sla\""), "{}", page.html);

        // A ticket inside 2026 and one reaching into 2027.
        app.clock.set(bj(2026, 12, 1, 10, 0));
        let early = file(&app, &enterprise).await;
        app.clock.set(bj(2026, 12, 28, 10, 0));
        let late = file(&app, &enterprise).await;
        assert_eq!(late["clocks"]["resolve"]["due_at"], iso(bj(2027, 1, 4, 17, 30)), "1 January counted as worked");
        assert_eq!(late["clocks"]["resolve"]["provisional"], true);
        assert_eq!(late["clocks"]["sign"]["provisional"], false);
        assert_eq!(early["clocks"]["resolve"]["provisional"], false);
        let e = Browser::new(&app);
        e.login("e@wuzhong.cn").await;
        let id = late["id"].as_i64().unwrap();
        let shown = e.get(&format!("/tickets/{id}")).await;
        assert!(shown.html.contains("暂定：2027 年工作日历尚未导入"), "{}", shown.html);

        // Loaded: the late ticket moves past the holiday, with an event.
        let r = import(&app, &admin, "date,kind,festival\n2027-01-01,holiday,元旦\n").await;
        assert_eq!(r["deadlines_moved"], 1, "{r}");
        let t: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &enterprise).await.json().await.unwrap();
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2027, 1, 5, 17, 30)));
        assert_eq!(t["clocks"]["resolve"]["provisional"], false);
        assert!(t["version"].as_i64().unwrap() > late["version"].as_i64().unwrap());
        let moved = t["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "deadline_recomputed").expect("an event").clone();
        assert_eq!(moved["detail"]["resolve_due"]["to"], iso(bj(2027, 1, 5, 17, 30)), "{moved}");
        assert!(moved["detail"]["sign_due"].is_null());
        let t: Value = app.get_as(&format!("/api/v1/tickets/{}", early["id"]), &enterprise).await.json().await.unwrap();
        assert!(!t["timeline"].as_array().unwrap().iter().any(|e| e["action"] == "deadline_recomputed"));
        let shown = e.get(&format!("/tickets/{id}")).await;
        assert!(shown.html.contains("按新日历调整时限") && shown.html.contains("2027-01-04 17:30 → 2027-01-05 17:30"), "{}", shown.html);
        assert_eq!(yizhan::services::calendar::watch(&app.db, &app.sla).await.unwrap(), None);
        assert_eq!(metric(&app).await, "yizhan_calendar_next_year_loaded 1");
        assert!(!b.get("/admin/users").await.html.contains("年的工作日历（节假日与调休）"));

        // A crash between the load and the recompute: the watch finishes it.
        app.db.run_write(|conn| {
            use yizhan::domain::calendar::{DayKind, MarkedDay};
            use yizhan::storage::sla::CalendarDay;
            let at = chrono::Utc::now().naive_utc();
            let day = |d: u32, note: &str| MarkedDay { date: NaiveDate::from_ymd_opt(2027, 1, d).unwrap(), kind: DayKind::Holiday, note: note.into() };
            let before = vec![day(1, "元旦")];
            yizhan::storage::write_transaction(conn, |conn| {
                yizhan::services::deadlines::record_load(conn, &[2027], &before, at)?;
                let rows: Vec<CalendarDay> = [day(1, "元旦"), day(4, "调休")].iter().map(|d| CalendarDay::of(d, at)).collect();
                CalendarDay::replace_year(conn, 2027, &rows)?;
                Ok::<_, yizhan::storage::StorageError>(())
            })
        }).await.unwrap();
        app.sla.invalidate();
        yizhan::services::calendar::watch(&app.db, &app.sla).await.unwrap();
        let t: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &enterprise).await.json().await.unwrap();
        assert_eq!(t["clocks"]["resolve"]["due_at"], iso(bj(2027, 1, 6, 17, 30)));
        let events = t["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "deadline_recomputed").count();
        assert_eq!(events, 2);
    }
}
