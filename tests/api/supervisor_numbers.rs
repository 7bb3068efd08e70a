//! Issue 22: what supervisors read means what it says.

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{act, bj_s as bj, TestApp};

struct Cast {
    enterprise: String,
    officer: String,
}

async fn cast(app: &TestApp) -> Cast {
    let ent = app.enterprise("苏州某精密部件有限公司", "320506").await;
    app.user("enterprise", "e@wuzhong.cn", None, Some(ent))
        .await;
    app.user(
        "officer",
        "o@wuzhong.cn",
        Some(app.department_of("320506").await),
        None,
    )
    .await;
    Cast {
        enterprise: app.token("e@wuzhong.cn").await,
        officer: app.token("o@wuzhong.cn").await,
    }
}

each_backend! {
    async fn a_reopened_ticket_is_announced_with_its_reason_and_new_deadline(app) {
        let c = cast(&app).await;
        app.clock.set(bj(2, 9, 0, 0));
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &json!({
            "category": "logistics", "urgency": "normal", "title": "货车无法进园区", "description": "卡口不放行。"
        })).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        act(&app, &c.officer, id, "sign_for", json!({})).await;
        act(&app, &c.officer, id, "resolve", json!({"resolution": "已协调放行"})).await;
        act(&app, &c.enterprise, id, "rate", json!({"satisfaction": "dissatisfied", "solved": false})).await;
        app.mailbox().await;
        app.clock.set(bj(3, 10, 0, 0));
        let t = act(&app, &c.enterprise, id, "reopen", json!({"reason": "卡口今天又不放行了"})).await;
        let mails = app.mailbox().await;
        let (_, subject, text) = mails.iter().find(|(to, _, _)| to == "o@wuzhong.cn").expect("the handler hears");
        assert!(subject.contains("工单重办"), "{subject}");
        assert!(text.contains("卡口今天又不放行了") && !text.contains("请及时签收"), "{text}");
        // The new deadline, in Beijing time, as the ticket has it.
        let due: DateTime<Utc> = t["resolve_due_at"].as_str().unwrap().parse().unwrap();
        let said = due.with_timezone(&Shanghai).format("%-m月%-d日 %H:%M").to_string();
        assert!(text.contains(&said), "{said}: {text}");
    }

    async fn a_window_is_never_shorter_than_its_policy(app) {
        let c = cast(&app).await;
        // Filed at 09:00:41, critical: 30 clock minutes run to 09:31, not 09:30.
        app.clock.set(bj(2, 9, 0, 41));
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &json!({
            "category": "logistics", "urgency": "critical", "title": "整车厂停线", "description": "零部件断供。"
        })).await.json().await.unwrap();
        assert_eq!(t["sign_due_at"], "2026-03-02T01:31:00Z");
    }

    async fn the_ticket_list_filters_by_enterprise_and_filing_period(app) {
        let c = cast(&app).await;
        let other = app.enterprise("苏州另一家部件厂", "320506").await;
        app.user("enterprise", "e@other.cn", None, Some(other)).await;
        let other_token = app.token("e@other.cn").await;
        let body = json!({"category": "logistics", "urgency": "normal", "title": "运输受阻", "description": "卡口不放行。"});
        for (day, token) in [(2, &c.enterprise), (3, &other_token), (5, &c.enterprise)] {
            app.clock.set(bj(day, 10, 0, 0));
            assert_eq!(app.post_as("/api/v1/tickets", token, &body).await.status(), 201);
        }
        let count = |v: Value| v["items"].as_array().unwrap().len();
        let list = |q: &'static str| {
            let app = &app;
            let officer = c.officer.clone();
            async move { app.get_as(&format!("/api/v1/tickets?{q}"), &officer).await }
        };
        assert_eq!(count(list("").await.json().await.unwrap()), 3);
        let mine: Value = list("enterprise_id=1").await.json().await.unwrap();
        assert_eq!(count(mine.clone()), 2, "{mine}");
        assert!(mine["items"].as_array().unwrap().iter().all(|t| t["enterprise_id"] == 1));
        // Beijing days, both ends included.
        assert_eq!(count(list("filed_from=2026-03-03&filed_to=2026-03-03").await.json().await.unwrap()), 1);
        assert_eq!(count(list("filed_from=2026-03-03").await.json().await.unwrap()), 2);
        assert_eq!(count(list("filed_to=2026-03-04&enterprise_id=1").await.json().await.unwrap()), 1);
        let bad = crate::helpers::assert_problem(list("filed_from=3/3/2026").await, 422).await;
        assert_eq!(bad["errors"][0]["field"], "filed_from");
        let backwards = crate::helpers::assert_problem(list("filed_from=2026-03-05&filed_to=2026-03-01").await, 422).await;
        assert_eq!(backwards["errors"][0]["field"], "filed_to");
        // The export takes the same filters.
        let csv = app.get_as("/api/v1/tickets/export?format=csv&filed_from=2026-03-03", &c.officer).await.text().await.unwrap();
        assert_eq!(csv.lines().count(), 3, "a header and two tickets: {csv}");
        // And the workbench, which keeps them in the form.
        let b = crate::browser::Browser::new(&app);
        b.login("o@wuzhong.cn").await;
        let page = b.get("/workbench?filed_from=2026-03-03&filed_to=2026-03-03").await;
        assert_eq!(page.html.matches("href=\"/tickets/").count(), 1, "{}", page.html);
        assert!(page.html.contains("value=\"2026-03-03\""));
    }
}

each_backend! {
    async fn each_sign_for_window_counts_for_the_department_that_held_it(app) {
        let c = cast(&app).await;
        let (wuzhong, city) = (app.department_of("320506").await, app.department_of("320500").await);
        app.user("officer", "o@suzhou.cn", Some(city), None).await;
        app.user("supervisor", "s@jiangsu.cn", Some(app.department_of("320000").await), None).await;
        let city_officer = app.token("o@suzhou.cn").await;
        let supervisor = app.token("s@jiangsu.cn").await;
        app.clock.set(bj(2, 9, 0, 0));
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &json!({
            "category": "logistics", "urgency": "normal", "title": "货车无法进园区", "description": "卡口不放行。"
        })).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let due: DateTime<Utc> = t["sign_due_at"].as_str().unwrap().parse().unwrap();
        // The district lets its window pass, then sends the ticket up; the
        // city signs for it at once.
        app.clock.set(due + chrono::Duration::hours(3));
        act(&app, &c.officer, id, "escalate", json!({"reason": "需市级协调"})).await;
        app.clock.set(due + chrono::Duration::hours(4));
        act(&app, &city_officer, id, "sign_for", json!({})).await;
        app.clock.set(bj(20, 9, 0, 0));
        let res = app.get_as("/api/v1/metrics?from=2026-03-01&to=2026-03-19&group_by=department", &supervisor).await;
        assert_eq!(res.status(), 200);
        let got: Value = res.json().await.unwrap();
        let response = |dept: i64| {
            let g = got["groups"].as_array().unwrap().iter().find(|g| g["key"].as_str() == Some(dept.to_string().as_str())).unwrap_or_else(|| panic!("{got}"));
            (g["figures"]["response"]["numerator"].as_u64().unwrap(), g["figures"]["response"]["denominator"].as_u64().unwrap())
        };
        assert_eq!(response(wuzhong), (0, 1), "the district was late: {got}");
        assert_eq!(response(city), (1, 1), "the city answered its own window in time: {got}");
        // The ticket's response, as the enterprise lived it, stays late.
        assert_eq!(got["total"]["response"]["numerator"], 0);
        assert_eq!(got["total"]["response"]["denominator"], 1);
    }
}
