//! Issue 22: what supervisors read means what it says.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::TestApp;

fn bj(d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    let local = NaiveDate::from_ymd_opt(2026, 3, d)
        .unwrap()
        .and_hms_opt(h, mi, s)
        .unwrap();
    Shanghai
        .from_local_datetime(&local)
        .unwrap()
        .with_timezone(&Utc)
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> Value {
    let res = app
        .post_as(
            &format!("/api/v1/tickets/{id}/actions/{action}"),
            token,
            &body,
        )
        .await;
    assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

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
}
