//! Every change queues its notices in the outbox, in the same transaction.

use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::TestApp;

/// (notice, recipient e-mail) of a ticket's queued messages, in order,
/// once the notices of recorded SLA events have been queued.
async fn queued(app: &TestApp, ticket: i64) -> Vec<(String, String)> {
    let at = app.clock.now().naive_utc();
    app.db
        .run(move |conn| {
            yizhan::storage::write_transaction(conn, |conn| {
                yizhan::services::notify::queue_sla_notices(conn, at, 500, None)
            })?;
            Ok(yizhan::storage::outbox::of_ticket(conn, ticket)?
                .into_iter()
                .map(|m| (m.notice, m.to_address))
                .collect())
        })
        .await
        .unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

each_backend! {
    async fn a_ticket_s_changes_queue_notices_for_the_right_people(app) {
        let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
        app.user("enterprise", "e2@wuzhong.cn", None, Some(e)).await;
        let county = app.department_of("320506").await;
        let city = app.department_of("320500").await;
        app.user("officer", "o@wuzhong.cn", Some(county), None).await;
        app.user("lead", "lead@wuzhong.cn", Some(county), None).await;
        app.user("supervisor", "s@wuzhong.cn", Some(county), None).await;
        app.user("supervisor", "s@suzhou.cn", Some(city), None).await;
        app.user("officer", "o@suzhou.cn", Some(city), None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let officer = app.token("o@wuzhong.cn").await;

        let t: Value = app.post_as("/api/v1/tickets", &enterprise, &json!({
            "category": "logistics", "urgency": "critical",
            "title": "货车无法通行", "description": "运输原料的货车在检查站滞留两天。"
        })).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        // The county's officers and leads hear of it; not its supervisor, not the filer.
        assert_eq!(queued(&app, id).await, pairs(&[("new_ticket", "o@wuzhong.cn"), ("new_ticket", "lead@wuzhong.cn")]));

        // The second enterprise user turns resolution notices off.
        let e2 = app.token("e2@wuzhong.cn").await;
        let res = app.put_as("/api/v1/me/notices", &e2, &json!({"resolved": false})).await;
        assert_eq!(res.status(), 200);
        let settings: Value = res.json().await.unwrap();
        let resolved = settings.as_array().unwrap().iter().find(|s| s["notice"] == "resolved").unwrap();
        assert_eq!((resolved["enabled"].as_bool(), resolved["may_turn_off"].as_bool()), (Some(false), Some(true)));
        // Staff cannot turn off overdue notices; unknown kinds are refused; nothing changes.
        let res = app.put_as("/api/v1/me/notices", &officer, &json!({"overdue": false, "urged": false, "gossip": true})).await;
        let p = crate::helpers::assert_problem(res, 422).await;
        assert_eq!(p["errors"].as_array().unwrap().len(), 2);
        let mine: Value = app.get_as("/api/v1/me/notices", &officer).await.json().await.unwrap();
        assert!(mine.as_array().unwrap().iter().all(|s| s["enabled"] == true));

        let act = |token: String, action: &'static str, body: Value| {
            let app = &app;
            async move {
                let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/{action}"), &token, &body).await;
                assert_eq!(res.status(), 200, "{action}");
            }
        };
        act(officer.clone(), "sign_for", json!({})).await;
        act(officer.clone(), "request_info", json!({"question": "滞留地点在哪里？"})).await;
        act(enterprise.clone(), "provide_info", json!({"answer": "G2 高速苏州收费站"})).await;
        act(officer.clone(), "resolve", json!({"resolution": "已协调放行"})).await;
        let all = queued(&app, id).await;
        assert_eq!(&all[2..], &pairs(&[
            // Signed for (已受理): the enterprise's accounts hear.
            ("signed_for", "e@wuzhong.cn"),
            ("signed_for", "e2@wuzhong.cn"),
            ("info_requested", "e@wuzhong.cn"),
            ("info_requested", "e2@wuzhong.cn"),
            ("info_provided", "o@wuzhong.cn"),
            ("info_provided", "lead@wuzhong.cn"),
            ("resolved", "e@wuzhong.cn"),
        ])[..]);
    }

    async fn comments_reach_the_other_side_and_internal_ones_the_colleagues(app) {
        let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
        app.user("enterprise", "e2@wuzhong.cn", None, Some(e)).await;
        let county = app.department_of("320506").await;
        let sibling = app.department_of("320505").await;
        app.user("officer", "o@wuzhong.cn", Some(county), None).await;
        app.user("lead", "lead@wuzhong.cn", Some(county), None).await;
        app.user("officer", "o@huqiu.cn", Some(sibling), None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let officer = app.token("o@wuzhong.cn").await;
        let lead = app.token("lead@wuzhong.cn").await;
        let t: Value = app.post_as("/api/v1/tickets", &enterprise, &json!({
            "category": "logistics", "urgency": "urgent",
            "title": "货车无法通行", "description": "运输原料的货车在检查站滞留两天。"
        })).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let act = |token: String, action: &'static str, body: Value| {
            let app = &app;
            async move {
                let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/{action}"), &token, &body).await;
                assert_eq!(res.status(), 200, "{action}");
            }
        };
        act(officer.clone(), "sign_for", json!({})).await;
        let me: Value = app.get_as("/api/v1/me", &officer).await.json().await.unwrap();
        act(lead.clone(), "assign", json!({"assignee_id": me["id"]})).await;
        act(officer.clone(), "add_cohandler", json!({"department_id": sibling})).await;
        let before = queued(&app, id).await.len();
        // The second enterprise user turns comment notices off.
        let e2 = app.token("e2@wuzhong.cn").await;
        assert_eq!(app.put_as("/api/v1/me/notices", &e2, &json!({"comment": false})).await.status(), 200);
        // Staff's public comment: the enterprise hears (but not who turned it off).
        act(officer.clone(), "comment", json!({"text": "已联系交警，请稍候"})).await;
        // The enterprise's comment: the assigned officer hears.
        act(enterprise.clone(), "comment", json!({"text": "车辆仍在原地"})).await;
        // An internal comment by the lead: the officer and the co-handler, never the enterprise.
        act(lead.clone(), "comment", json!({"text": "内部：请黄浦协调", "internal": true})).await;
        let all = queued(&app, id).await;
        assert_eq!(&all[before..], &pairs(&[
            ("comment", "e@wuzhong.cn"),
            ("comment", "o@wuzhong.cn"),
            ("comment", "o@wuzhong.cn"),
            ("comment", "o@huqiu.cn"),
        ])[..]);
    }

    async fn overdue_notices_reach_the_department_at_the_escalation_level(app) {
        let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
        let county = app.department_of("320506").await;
        let city = app.department_of("320500").await;
        app.user("officer", "o@wuzhong.cn", Some(county), None).await;
        app.user("supervisor", "s@suzhou.cn", Some(city), None).await;
        app.user("officer", "o@suzhou.cn", Some(city), None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let now = app.clock.now();
        let t: Value = app.post_as("/api/v1/tickets", &enterprise, &json!({
            "category": "logistics", "urgency": "critical",
            "title": "货车无法通行", "description": "运输原料的货车在检查站滞留两天。"
        })).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let at = now + chrono::Duration::minutes(45);
        let report = yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, at, 100, 10).await.unwrap();
        assert_eq!(report.events, 1);
        let all = queued(&app, id).await;
        assert_eq!(&all[1..], &pairs(&[("overdue", "o@wuzhong.cn"), ("overdue", "s@suzhou.cn")])[..]);
    }
}
