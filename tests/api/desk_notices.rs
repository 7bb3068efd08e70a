//! Notices inside the application (issue 24, item 6): the same events and
//! people as the e-mails, written in the action's transaction, one per
//! person; the bell's unread count in the API and in every page's header;
//! marking read; nobody reaches another's notices.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{assert_problem, TestApp};

/// (kind, recipient e-mail) of a ticket's notices in the application and of
/// its e-mails, each sorted, once the SLA events' notices are queued.
async fn both(app: &TestApp, ticket: i64) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let at = app.clock.now().naive_utc();
    app.db
        .run(move |conn| {
            use diesel::prelude::*;
            use yizhan::storage::schema::users;
            yizhan::storage::write_transaction(conn, |conn| {
                yizhan::services::notify::queue_sla_notices(conn, at, 500, None)
            })?;
            let mut in_app = Vec::new();
            for n in yizhan::storage::notifications::of_ticket(conn, ticket)? {
                let email: String = users::table
                    .find(n.user_id)
                    .select(users::email)
                    .first(conn)?;
                in_app.push((n.kind, email));
            }
            let mut mail: Vec<(String, String)> = yizhan::storage::outbox::of_ticket(conn, ticket)?
                .into_iter()
                .map(|m| (m.notice, m.to_address))
                .collect();
            in_app.sort();
            mail.sort();
            Ok((in_app, mail))
        })
        .await
        .unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    v
}

/// An enterprise with two accounts, a county with an officer, a lead and a
/// supervisor, and the city above it; returns the ticket filed.
async fn cast(app: &TestApp, urgency: &str) -> i64 {
    let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
    app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
    app.user("enterprise", "e2@wuzhong.cn", None, Some(e)).await;
    let county = app.department_of("320506").await;
    let city = app.department_of("320500").await;
    app.user("officer", "o@wuzhong.cn", Some(county), None)
        .await;
    app.user("lead", "lead@wuzhong.cn", Some(county), None)
        .await;
    app.user("supervisor", "s@wuzhong.cn", Some(county), None)
        .await;
    app.user("supervisor", "s@suzhou.cn", Some(city), None)
        .await;
    let enterprise = app.token("e@wuzhong.cn").await;
    let t: Value = app
        .post_as(
            "/api/v1/tickets",
            &enterprise,
            &json!({
                "category": "logistics", "urgency": urgency,
                "title": "货车无法通行", "description": "运输原料的货车在检查站滞留两天。"
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    t["id"].as_i64().unwrap()
}

async fn notifications(app: &TestApp, token: &str, query: &str) -> Value {
    let res = app
        .get_as(&format!("/api/v1/me/notifications{query}"), token)
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn kinds(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect()
}

each_backend! {
    async fn actions_tell_the_same_people_in_the_application_as_by_mail(app) {
        let id = cast(&app, "urgent").await;
        let officer = app.token("o@wuzhong.cn").await;
        let enterprise = app.token("e@wuzhong.cn").await;
        // Filed: the county's officers and leads, in both.
        let (in_app, mail) = both(&app, id).await;
        let filed = pairs(&[("new_ticket", "o@wuzhong.cn"), ("new_ticket", "lead@wuzhong.cn")]);
        assert_eq!((&in_app, &mail), (&filed, &filed));

        // The second enterprise account turns e-mails of resolution off: it
        // still finds the notice in the application.
        let e2 = app.token("e2@wuzhong.cn").await;
        assert_eq!(app.put_as("/api/v1/me/notices", &e2, &json!({"resolved": false})).await.status(), 200);
        for (action, body) in [
            ("sign_for", json!({})),
            ("resolve", json!({"resolution": "已协调放行"})),
        ] {
            let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/{action}"), &officer, &body).await;
            assert_eq!(res.status(), 200, "{action}");
        }
        let (in_app, mail) = both(&app, id).await;
        let mut expected = filed.clone();
        // Signed for (已受理): the enterprise's accounts hear, by mail too.
        expected.extend(pairs(&[("signed_for", "e@wuzhong.cn"), ("signed_for", "e2@wuzhong.cn"), ("resolved", "e@wuzhong.cn")]));
        expected.sort();
        assert_eq!(mail, expected);
        expected.extend(pairs(&[("resolved", "e2@wuzhong.cn")]));
        expected.sort();
        assert_eq!(in_app, expected, "e-mail opt-outs keep the notice in the application");

        // What the enterprise reads: newest first, in its language, unread.
        let mine = notifications(&app, &enterprise, "").await;
        assert_eq!(kinds(&mine), ["resolved", "signed_for"]);
        assert_eq!(mine["unread"], 2);
        let first = &mine["items"][1];
        assert_eq!(first["headline"], "诉求已受理");
        assert_eq!(first["ticket_id"], id);
        assert_eq!(first["ticket_title"], "货车无法通行");
        assert_eq!(first["link"], format!("/tickets/{id}"));
        assert!(first["read_at"].is_null());
        let english: Value = app.client.get(app.url("/api/v1/me/notifications"))
            .bearer_auth(&enterprise).header("accept-language", "en")
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(english["items"][1]["headline"], "Request accepted");
        // The actor does not hear of their own action.
        assert_eq!(kinds(&notifications(&app, &officer, "").await), ["new_ticket"]);
        // Overdue is not compulsory for enterprises: the kind is listed with the others.
        let settings: Value = app.get_as("/api/v1/me/notices", &enterprise).await.json().await.unwrap();
        assert!(settings.as_array().unwrap().iter().any(|s| s["notice"] == "signed_for" && s["may_turn_off"] == true));
    }

    async fn reading_marks_one_or_all_and_only_one_s_own(app) {
        let id = cast(&app, "urgent").await;
        let officer = app.token("o@wuzhong.cn").await;
        for (action, body) in [
            ("sign_for", json!({})),
            ("request_info", json!({"question": "滞留地点在哪里？"})),
        ] {
            let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/{action}"), &officer, &body).await;
            assert_eq!(res.status(), 200, "{action}");
        }
        let e = app.token("e@wuzhong.cn").await;
        let e2 = app.token("e2@wuzhong.cn").await;
        let mine = notifications(&app, &e, "").await;
        assert_eq!((kinds(&mine), mine["unread"].as_i64()), (vec!["info_requested", "signed_for"], Some(2)));
        let newest = mine["items"][0]["id"].as_i64().unwrap();
        let oldest = mine["items"][1]["id"].as_i64().unwrap();

        // Paged, newest first.
        let one = notifications(&app, &e, "?limit=1").await;
        assert_eq!(kinds(&one), ["info_requested"]);
        assert_eq!(one["next_before"], newest);
        let rest = notifications(&app, &e, &format!("?limit=1&before={newest}")).await;
        assert_eq!(kinds(&rest), ["signed_for"]);
        assert!(rest.get("next_before").is_none());
        assert_problem(app.get_as("/api/v1/me/notifications?limit=0", &e).await, 422).await;

        // Another person, even of the same enterprise, cannot read or mark it.
        for other in [&e2, &officer] {
            let p = assert_problem(app.post_as(&format!("/api/v1/me/notifications/{newest}/read"), other, &json!({})).await, 404).await;
            assert_eq!(p["detail"], "没有这条通知。");
            let theirs = notifications(&app, other, "").await;
            assert!(theirs["items"].as_array().unwrap().iter().all(|n| n["id"] != newest));
        }
        assert_eq!(notifications(&app, &e, "").await["unread"], 2, "still unread");
        assert_eq!(app.get("/api/v1/me/notifications").await.status(), 401);

        // Read one: it says when, the count drops, the unread filter leaves it out.
        let res = app.post_as(&format!("/api/v1/me/notifications/{newest}/read"), &e, &json!({})).await;
        assert_eq!(res.status(), 200);
        let read: Value = res.json().await.unwrap();
        assert!(read["read_at"].is_string());
        let unread = notifications(&app, &e, "?unread=true").await;
        assert_eq!((kinds(&unread), unread["unread"].as_i64()), (vec!["signed_for"], Some(1)));
        // Reading again changes nothing.
        let again: Value = app.post_as(&format!("/api/v1/me/notifications/{newest}/read"), &e, &json!({})).await.json().await.unwrap();
        assert_eq!(again["read_at"], read["read_at"]);

        // Read all: the other account's stay unread.
        let res = app.post_as("/api/v1/me/notifications/read-all", &e, &json!({})).await;
        assert_eq!(res.status(), 200);
        let all: Value = res.json().await.unwrap();
        assert_eq!((all["marked"].as_i64(), all["unread"].as_i64()), (Some(1), Some(0)));
        let after = notifications(&app, &e, "").await;
        assert!(after["items"][1]["read_at"].is_string(), "{oldest} read");
        assert_eq!(notifications(&app, &e2, "").await["unread"], 2);
    }

    async fn the_header_counts_and_opening_reads(app) {
        let id = cast(&app, "urgent").await;
        let officer = app.token("o@wuzhong.cn").await;
        for (action, body) in [
            ("sign_for", json!({})),
            ("request_info", json!({"question": "滞留地点在哪里？"})),
        ] {
            let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/{action}"), &officer, &body).await;
            assert_eq!(res.status(), 200, "{action}");
        }
        let b = Browser::new(&app);
        b.login("e@wuzhong.cn").await;
        let portal = b.get("/portal").await;
        assert!(portal.html.contains(r#"aria-label="通知，2 条未读""#), "{}", portal.html);
        assert!(portal.html.contains(r#"<span class="count">2</span>"#));
        let list = b.get("/notifications").await;
        assert_eq!(list.status, 200);
        assert!(list.html.contains("诉求已受理") && list.html.contains("请补充材料"));
        assert!(list.html.contains("全部标为已读"));
        // The poll the script makes.
        let poll = b.get("/notifications/unread").await;
        let polled: Value = serde_json::from_str(&poll.html).unwrap();
        assert_eq!((polled["unread"].as_i64(), polled["label"].as_str()), (Some(2), Some("通知，2 条未读")));
        assert_eq!(polled["items"].as_array().unwrap().len(), 2);

        // Opening a notice reads it and goes to its ticket.
        let mine = notifications(&app, &app.token("e@wuzhong.cn").await, "").await;
        let newest = mine["items"][0]["id"].as_i64().unwrap();
        let open = b.get(&format!("/notifications/{newest}")).await;
        assert_eq!((open.status, open.location.as_deref()), (303, Some(format!("/tickets/{id}").as_str())));
        assert!(b.get("/portal").await.html.contains(r#"aria-label="通知，1 条未读""#));
        // Someone else's notice is not found for them.
        let other = Browser::new(&app);
        other.login("e2@wuzhong.cn").await;
        assert_eq!(other.get(&format!("/notifications/{newest}")).await.status, 404);
        // Opening the ticket reads its notices: the header shows none.
        let ticket = other.get(&format!("/tickets/{id}")).await;
        assert_eq!(ticket.status, 200);
        assert!(ticket.html.contains(r#"aria-label="通知，0 条未读""#), "the ticket's page counts after reading");
        assert!(ticket.html.contains(r#"<span class="count" hidden>0</span>"#));

        // 全部标为已读, with the form's token; without it nothing changes.
        assert_eq!(b.post_raw("/notifications/read-all", &[("csrf", "forged")]).await.status, 403);
        assert!(b.get("/portal").await.html.contains(r#"aria-label="通知，1 条未读""#));
        let done = b.post("/notifications/read-all", &[]).await;
        assert_eq!((done.status, done.location.as_deref()), (303, Some("/notifications?done=true")));
        let page = b.get("/notifications?done=true").await;
        assert!(page.html.contains("已全部标为已读") && page.html.contains(r#"aria-label="通知，0 条未读""#));
        assert!(b.get("/notifications?unread=true").await.html.contains("没有未读通知"));
    }

    async fn a_failed_action_leaves_no_notice(app) {
        let id = cast(&app, "urgent").await;
        let officer = app.token("o@wuzhong.cn").await;
        let e = app.token("e@wuzhong.cn").await;
        // The outbox refuses rows: the sign-for's transaction fails after its
        // notices in the application were written.
        let postgres = app.db.backend() == yizhan::storage::Backend::Postgres;
        let install: Vec<&str> = if postgres {
            vec![
                "CREATE FUNCTION refuse_outbox() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox refused'; END; $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox_messages FOR EACH ROW EXECUTE FUNCTION refuse_outbox()",
            ]
        } else {
            vec!["CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox_messages BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"]
        };
        let sql = |statements: Vec<String>| {
            let db = app.db.clone();
            async move {
                db.run(move |conn| {
                    use diesel::RunQueryDsl;
                    for s in statements {
                        diesel::sql_query(s.as_str()).execute(conn)?;
                    }
                    Ok(())
                })
                .await
                .unwrap()
            }
        };
        sql(install.into_iter().map(String::from).collect()).await;
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/sign_for"), &officer, &json!({})).await;
        assert!(res.status().is_server_error(), "{}", res.status());
        let mine = notifications(&app, &e, "").await;
        assert_eq!((mine["unread"].as_i64(), kinds(&mine).len()), (Some(0), 0));
        let t: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &e).await.json().await.unwrap();
        assert_eq!(t["status"], "pending_sign");

        sql(vec!["DROP TRIGGER refuse_outbox".to_string() + if postgres { " ON outbox_messages" } else { "" }]).await;
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/sign_for"), &officer, &json!({})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(kinds(&notifications(&app, &e, "").await), ["signed_for"]);
    }

    async fn sla_notices_are_made_once_per_person(app) {
        let id = cast(&app, "critical").await;
        let at = app.clock.now() + chrono::Duration::minutes(45);
        for _ in 0..2 {
            yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, at, 100, 10).await.unwrap();
            app.delivery.deliver_once(&app.db, at).await.unwrap();
        }
        let (in_app, _) = both(&app, id).await;
        let overdue: Vec<_> = in_app.iter().filter(|(k, _)| k == "overdue").cloned().collect();
        assert_eq!(overdue, pairs(&[("overdue", "o@wuzhong.cn"), ("overdue", "lead@wuzhong.cn"), ("overdue", "s@suzhou.cn")]));
        // Even queued again (a job re-run after a crash), the unique key keeps one.
        app.db.run(|conn| {
            use diesel::prelude::*;
            use yizhan::storage::schema::sla_events;
            diesel::update(sla_events::table).set(sla_events::queued_at.eq(None::<chrono::NaiveDateTime>)).execute(conn)?;
            Ok(())
        }).await.unwrap();
        let (again, _) = both(&app, id).await;
        assert_eq!(again, in_app);
        let officer = app.token("o@wuzhong.cn").await;
        let mine = notifications(&app, &officer, "").await;
        assert_eq!(kinds(&mine), ["overdue", "new_ticket"]);
        assert_eq!(mine["items"][0]["headline"], "签收已超时");
    }
}
