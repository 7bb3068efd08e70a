//! The co-handling clock (issue 21, item 2): each co-handling department
//! owes its opinion within half of the resolve window left when it was
//! asked; warned, reminded each working day, shown on the ticket and in its
//! queue, and counted in its response figures.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{act, TestApp};

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

fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn scan(app: &TestApp, at: DateTime<Utc>) -> usize {
    app.clock.set(at);
    yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, at, 100, 100)
        .await
        .unwrap()
        .cohandling_events
}

fn cohandler(t: &Value, dept: i64) -> &Value {
    t["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department_id"] == dept && d["role"] == "cohandler")
        .unwrap()
}

each_backend! {
    async fn co_handlers_owe_their_opinion_by_a_deadline_of_their_own(app) {
        let ent = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(ent)).await;
        let wuzhong = app.department_of("320506").await;
        let huqiu = app.department_of("320505").await;
        let xiangcheng = app.department_of("320507").await;
        app.user("officer", "o@wuzhong.cn", Some(wuzhong), None).await;
        app.user("officer", "o@huqiu.cn", Some(huqiu), None).await;
        app.user("officer", "o@xiangcheng.cn", Some(xiangcheng), None).await;
        app.user("supervisor", "s@suzhou.cn", Some(app.department_of("320500").await), None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let county = app.token("o@wuzhong.cn").await;
        let huqiu_officer = app.token("o@huqiu.cn").await;
        let city = app.token("s@suzhou.cn").await;

        // Monday 2 March 09:00, normal: resolve due Monday 9 March 17:30.
        app.clock.set(bj(2, 9, 0));
        let t: Value = app.post_as("/api/v1/tickets", &enterprise, &json!({
            "category": "logistics", "urgency": "normal",
            "title": "跨区运输受阻", "description": "原材料需经虎丘区、相城区运入。"
        })).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        act(&app, &county, id, "sign_for", json!({})).await;
        // Asked at 10:00: 2,610 working minutes remain; half is 1,305, which
        // runs to Thursday 5 March 09:15.
        app.clock.set(bj(2, 10, 0));
        act(&app, &county, id, "add_cohandler", json!({"department_id": huqiu})).await;
        let t = act(&app, &county, id, "add_cohandler", json!({"department_id": xiangcheng})).await;
        let h = cohandler(&t, huqiu);
        assert_eq!(h["opinion_due_at"], iso(bj(5, 9, 15)), "{h}");
        assert_eq!(h["opinion_clock"], "running");
        assert!(h["opinion_on_time"].is_null());

        // The co-handler's queue shows the deadline it must meet.
        let queue: Value = app.get_as("/api/v1/tickets", &huqiu_officer).await.json().await.unwrap();
        let row = queue["items"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap();
        assert_eq!(row["opinion_due_at"], iso(bj(5, 9, 15)));
        let own: Value = app.get_as("/api/v1/tickets", &county).await.json().await.unwrap();
        assert!(own["items"][0].get("opinion_due_at").is_none(), "the handling department owes none");

        // The main department lets 相城 go: its clock stops.
        act(&app, &county, id, "release_cohandler", json!({"department_id": xiangcheng})).await;
        app.mailbox().await;

        // Warned before, overdue at, and reminded a working day after the deadline.
        assert_eq!(scan(&app, bj(5, 9, 14)).await, 1);
        assert_eq!(scan(&app, bj(5, 9, 15)).await, 1);
        assert_eq!(scan(&app, bj(5, 9, 20)).await, 0, "written once");
        assert_eq!(scan(&app, bj(6, 9, 15)).await, 1);
        let mails = app.mailbox().await;
        let to_huqiu: Vec<&String> = mails.iter().filter(|(to, _, _)| to == "o@huqiu.cn").map(|(_, s, _)| s).collect();
        assert_eq!(to_huqiu.len(), 3, "{mails:?}");
        assert!(to_huqiu.iter().any(|s| s.contains("协办意见时限将至")), "{to_huqiu:?}");
        // The warning says how long is left, as the pages do: one working minute.
        assert!(mails.iter().any(|(to, s, text)| to == "o@huqiu.cn" && s.contains("时限将至")
            && text.contains("（北京时间），剩余 1 分钟（工作时间）")), "{mails:?}");
        for said in ["已超过协办意见时限。", "已超过协办意见时限，已超时 1 个工作日。"] {
            assert!(mails.iter().any(|(to, _, text)| to == "o@huqiu.cn" && text.contains(said)), "{said}: {mails:?}");
        }
        assert!(!mails.iter().any(|(to, _, _)| to == "o@xiangcheng.cn"), "released: nothing more to say");

        let t: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &county).await.json().await.unwrap();
        assert_eq!(cohandler(&t, huqiu)["opinion_clock"], "overdue");
        let kinds: Vec<&str> = t["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).filter(|a| a.starts_with("cohandle")).collect();
        assert_eq!(kinds, ["cohandle_warning", "cohandle_overdue", "cohandle_overdue"]);

        // The opinion comes late: the clock stops, and says so.
        app.clock.set(bj(6, 10, 0));
        let t = act(&app, &huqiu_officer, id, "post_opinion", json!({"opinion": "同意协调虎丘段通行"})).await;
        let h = cohandler(&t, huqiu);
        assert_eq!((h["opinion_clock"].as_str(), h["opinion_on_time"].as_bool()), (Some("answered"), Some(false)));
        assert_eq!(scan(&app, bj(9, 9, 15)).await, 0);

        // 虎丘's response counts the late opinion; 吴中 signed for in time.
        let by_dept: Value = app.get_as("/api/v1/metrics?from=2026-03-01&to=2026-03-31&group_by=department", &city).await.json().await.unwrap();
        let response = |dept: i64| {
            let key = dept.to_string();
            let g = by_dept["groups"].as_array().unwrap().iter().find(|g| g["key"] == key.as_str()).unwrap_or_else(|| panic!("{by_dept}"));
            (g["figures"]["response"]["numerator"].as_u64(), g["figures"]["response"]["denominator"].as_u64())
        };
        assert_eq!(response(huqiu), (Some(0), Some(1)));
        assert_eq!(response(wuzhong), (Some(1), Some(1)));
        let released = xiangcheng.to_string();
        assert!(!by_dept["groups"].as_array().unwrap().iter().any(|g| g["key"] == released.as_str()), "released: not counted");
    }
}
