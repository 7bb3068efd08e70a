//! Mail delivery against a real SMTP server on loopback, and the file
//! transport: the right people, Chinese subjects, retries while the server
//! is down, dead messages and their resending, no duplicates with two workers.

use std::collections::HashSet;

use chrono::Duration;
use serde_json::{json, Value};
use yizhan::configuration::MailSettings;
use yizhan::services::delivery::{Delivery, DeliveryReport};
use yizhan::storage::outbox::{self, NewMessage};

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp, PASSWORD};
use crate::smtp_sink::SmtpSink;

fn delivery_to(app: &TestApp, port: u16, tweak: impl FnOnce(&mut MailSettings)) -> Delivery {
    let mut settings = SmtpSink::settings(&app.settings.mail, port);
    tweak(&mut settings);
    Delivery::new(&settings, &app.settings.server.base_url).expect("delivery")
}

async fn deliver(app: &TestApp, d: &Delivery) -> DeliveryReport {
    d.deliver_once(&app.db, app.clock.now())
        .await
        .expect("a delivery round")
}

/// A county with an officer and a lead, an enterprise user; files a
/// ticket and returns (ticket, enterprise token).
async fn file_ticket(app: &TestApp, title: &str) -> (Value, String) {
    let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
    app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
    let county = app.department_of("320506").await;
    app.user("officer", "o@wuzhong.cn", Some(county), None)
        .await;
    yizhan::services::users::create_account(
        &app.db,
        &app.auth,
        yizhan::services::users::NewAccount {
            email: "lead@wuzhong.cn".into(),
            display_name: "Lead".into(),
            phone: None,
            role: "lead".into(),
            department_id: Some(county),
            enterprise_id: None,
            password: PASSWORD.into(),
            locale: Some("en".into()),
        },
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    let token = app.token("e@wuzhong.cn").await;
    let res = app
        .post_as(
            "/api/v1/tickets",
            &token,
            &json!({
                "category": "logistics", "urgency": "critical",
                "title": title, "description": "运输原料的货车在检查站滞留两天。"
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    (res.json().await.unwrap(), token)
}

/// Files another ticket as the enterprise user of [`file_ticket`].
async fn file_ticket_again(app: &TestApp, token: &str, title: &str) -> (i64, Value) {
    let res = app.post_as("/api/v1/tickets", token, &json!({
        "category": "parts_supply", "urgency": "urgent", "title": title, "description": "供应商停产。"
    })).await;
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.unwrap();
    (t["id"].as_i64().unwrap(), t)
}

async fn outbox_of(app: &TestApp, ticket: i64) -> Vec<outbox::Message> {
    app.db
        .run(move |conn| Ok(outbox::of_ticket(conn, ticket)?))
        .await
        .unwrap()
}

each_backend! {
    async fn a_filed_ticket_reaches_its_officers_with_a_chinese_subject(app) {
        let sink = SmtpSink::start().await;
        let d = delivery_to(&app, sink.port, |_| {});
        let (t, _) = file_ticket(&app, "货车无法通行 <b>急</b>").await;
        let number = t["number"].as_str().unwrap().to_string();
        let id = t["id"].as_i64().unwrap();

        let report = deliver(&app, &d).await;
        assert_eq!((report.claimed, report.sent, report.retried, report.dead), (2, 2, 0, 0));
        let got = sink.received();
        let mut to: Vec<String> = got.iter().flat_map(|m| m.to.clone()).collect();
        to.sort();
        assert_eq!(to, ["lead@wuzhong.cn", "o@wuzhong.cn"]);

        let officer = got.iter().find(|m| m.to == ["o@wuzhong.cn"]).unwrap();
        assert_eq!(officer.from, "noreply@yizhan.local");
        assert_eq!(officer.subject(), format!("【一站】新诉求待签收：{number} 货车无法通行 <b>急</b>"));
        let text = officer.text();
        assert!(text.contains("紧急程度：特急"), "{text}");
        assert!(text.contains("（北京时间）"), "{text}");
        assert!(text.contains(&format!("{}/tickets/{id}", app.settings.server.base_url)), "{text}");
        let html = officer.html();
        assert!(html.contains("货车无法通行 &lt;b&gt;急&lt;&#x2f;b&gt;"), "{html}");
        assert!(officer.message_id().starts_with("outbox."), "{}", officer.message_id());
        // The lead reads English.
        let lead = got.iter().find(|m| m.to == ["lead@wuzhong.cn"]).unwrap();
        assert!(lead.subject().starts_with(&format!("[Yizhan] New ticket to sign for: {number}")), "{}", lead.subject());

        // Nothing is sent twice.
        assert_eq!(deliver(&app, &d).await.claimed, 0);
        assert_eq!(sink.received().len(), 2);
        let rows = outbox_of(&app, id).await;
        assert!(rows.iter().all(|m| m.status == "sent" && m.attempts == 1 && m.sent_at.is_some()));
    }

    async fn messages_wait_while_the_mail_server_is_down_and_then_arrive_once(app) {
        let port = SmtpSink::free_port().await;
        let d = delivery_to(&app, port, |_| {});
        let (t, _) = file_ticket(&app, "芯片断供").await;
        let id = t["id"].as_i64().unwrap();

        let report = deliver(&app, &d).await;
        assert_eq!((report.sent, report.retried), (0, 2));
        let rows = outbox_of(&app, id).await;
        assert!(rows.iter().all(|m| m.status == "pending" && m.attempts == 1 && m.last_error.is_some()));
        // Backing off: not tried again at once.
        assert_eq!(deliver(&app, &d).await.claimed, 0);

        let sink = SmtpSink::start_on(port).await;
        app.clock.advance(Duration::seconds(60));
        let report = deliver(&app, &d).await;
        assert_eq!((report.sent, report.retried), (2, 0));
        app.clock.advance(Duration::hours(3));
        assert_eq!(deliver(&app, &d).await.claimed, 0);
        let ids: Vec<String> = sink.received().iter().map(|m| m.message_id()).collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 2);
        assert!(outbox_of(&app, id).await.iter().all(|m| m.status == "sent" && m.attempts == 2));
    }

    async fn a_message_that_always_fails_ends_dead_and_an_administrator_resends_it(app) {
        let sink = SmtpSink::start().await;
        sink.refuse_everything(true);
        let d = delivery_to(&app, sink.port, |s| s.max_attempts = 3);
        let (t, enterprise) = file_ticket(&app, "原料短缺").await;
        let id = t["id"].as_i64().unwrap();
        // An activation link fails the same way.
        let res = app.post_json("/api/v1/auth/register", &json!({
            "credit_code": "91310115591693856A", "enterprise_name": "上海某汽车零部件有限公司",
            "contact_name": "王经理", "email": "wang@parts.example.cn"
        })).await;
        assert_eq!(res.status(), 202);
        let mut dead = 0;
        for round in 0..3 {
            let r = deliver(&app, &d).await;
            assert_eq!(r.claimed, 3, "round {round}");
            dead += r.dead;
            app.clock.advance(Duration::hours(2));
        }
        assert_eq!(dead, 3);
        assert_eq!(deliver(&app, &d).await.claimed, 0);

        app.user("admin", "admin@yizhan.gov.cn", None, None).await;
        let admin = app.token("admin@yizhan.gov.cn").await;
        assert_eq!(app.get_as("/api/v1/admin/outbox", &enterprise).await.status(), 404);
        let page: Value = app.get_as("/api/v1/admin/outbox?status=dead", &admin).await.json().await.unwrap();
        assert_eq!((page["dead"].as_i64(), page["sent"].as_i64()), (Some(3), Some(0)));
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|m| m["attempts"] == 3 && m["last_error"].as_str().unwrap().contains("451")), "{page}");
        // A dead account e-mail keeps no link, and is not sent again.
        let link = items.iter().find(|m| m["kind"] == "activation").unwrap()["id"].as_i64().unwrap();
        let params = app.db.run(move |conn| Ok(outbox::find(conn, link)?.unwrap().params)).await.unwrap();
        assert_eq!(params, "{}");
        let res = app.post_as(&format!("/api/v1/admin/outbox/{link}/resend"), &admin, &json!({})).await;
        assert_problem(res, 409).await;
        let first = items.iter().find(|m| m["kind"] == "new_ticket").unwrap()["id"].as_i64().unwrap();
        let bad = app.get_as("/api/v1/admin/outbox?status=lost", &admin).await;
        assert_problem(bad, 422).await;

        sink.refuse_everything(false);
        let res = app.post_as(&format!("/api/v1/admin/outbox/{first}/resend"), &admin, &json!({})).await;
        assert_eq!(res.status(), 200);
        let again: Value = res.json().await.unwrap();
        assert_eq!((again["status"].as_str(), again["attempts"].as_i64()), (Some("pending"), Some(0)));
        let res = app.post_as(&format!("/api/v1/admin/outbox/{first}/resend"), &admin, &json!({})).await;
        assert_problem(res, 409).await;
        assert_problem(app.post_as("/api/v1/admin/outbox/999999/resend", &admin, &json!({})).await, 404).await;

        let report = deliver(&app, &d).await;
        assert_eq!(report.sent, 1);
        assert_eq!(sink.received().len(), 1);
        let rows = outbox_of(&app, id).await;
        assert_eq!(rows.iter().filter(|m| m.status == "dead").count(), 1);

        // A permanent refusal (5xx) is not tried again.
        sink.reject_permanently();
        let (second, _) = file_ticket_again(&app, &enterprise, "芯片断供").await;
        let r = deliver(&app, &d).await;
        assert_eq!((r.claimed, r.dead, r.retried), (2, 2, 0));
        let rows = outbox_of(&app, second).await;
        assert!(rows.iter().all(|m| m.status == "dead" && m.attempts == 1 && m.last_error.as_deref().unwrap().contains("550")));
    }

    async fn two_workers_deliver_a_thousand_messages_once_each(app) {
        let sink = SmtpSink::start().await;
        let at = app.clock.now().naive_utc();
        let rows: Vec<NewMessage> = (0..1000)
            .map(|i| NewMessage {
                notice: "new_ticket".into(),
                ticket_id: Some(i),
                recipient_user_id: None,
                to_address: format!("officer{i}@example.gov.cn"),
                locale: "zh".into(),
                params: json!({"ticket_id": i, "number": format!("310115-20220418-{i:04}"), "title": "复工", "urgency": "normal", "status": "pending_sign"}).to_string(),
                status: "pending".into(),
                next_attempt_at: at,
                created_at: at,
            })
            .collect();
        app.db.run(move |conn| Ok(outbox::insert_all(conn, &rows)?)).await.unwrap();

        let workers: Vec<_> = (0..2)
            .map(|_| {
                let d = delivery_to(&app, sink.port, |s| s.batch = 25);
                let db = app.db.clone();
                let clock = app.clock.clone();
                tokio::spawn(async move {
                    let mut sent = 0;
                    loop {
                        let r = d.deliver_once(&db, clock.now()).await.expect("round");
                        sent += r.sent;
                        if r.claimed == 0 {
                            return sent;
                        }
                    }
                })
            })
            .collect();
        let mut per_worker = Vec::new();
        for w in workers {
            per_worker.push(w.await.unwrap());
        }
        assert_eq!(per_worker.iter().sum::<usize>(), 1000, "{per_worker:?}");
        let got = sink.received();
        assert_eq!(got.len(), 1000);
        let distinct: HashSet<String> = got.iter().map(|m| m.message_id()).collect();
        assert_eq!(distinct.len(), 1000);
        let counts = app.db.run(|conn| Ok(outbox::counts(conn)?)).await.unwrap();
        assert_eq!(counts, [("sent".to_string(), 1000)]);
    }

    async fn without_a_mail_server_messages_become_readable_eml_files(app) {
        let (t, _) = file_ticket(&app, "物流受阻").await;
        let number = t["number"].as_str().unwrap().to_string();
        let report = app.delivery.deliver_once(&app.db, app.clock.now()).await.unwrap();
        assert_eq!(report.sent, 2);
        let mut files: Vec<_> = std::fs::read_dir(&app.mail_dir).unwrap().map(|f| f.unwrap().path()).collect();
        files.sort();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.extension().is_some_and(|e| e == "eml")));
        let subjects: HashSet<String> = files
            .iter()
            .map(|f| {
                let bytes = std::fs::read(f).unwrap();
                let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
                m.subject().unwrap().to_string()
            })
            .collect();
        assert!(subjects.contains(&format!("【一站】新诉求待签收：{number} 物流受阻")), "{subjects:?}");
    }

    async fn administrators_override_templates_and_broken_overrides_are_refused(app) {
        app.user("admin", "admin@yizhan.gov.cn", None, None).await;
        let admin = app.token("admin@yizhan.gov.cn").await;
        let url = "/api/v1/admin/message-templates/new_ticket/zh";
        let all: Value = app.get_as("/api/v1/admin/message-templates", &admin).await.json().await.unwrap();
        assert_eq!(all.as_array().unwrap().len(), 44, "22 kinds in two languages");
        let current: Value = app.get_as(url, &admin).await.json().await.unwrap();
        assert_eq!(current["overridden"], false);
        assert!(current["variables"].as_array().unwrap().contains(&json!("number")));

        let broken = app.put_as(url, &admin, &json!({
            "subject": "新诉求 {{ numbr }}", "text": "{{ title }}", "html": "<p>{{ title }}</p>"
        })).await;
        let p = assert_problem(broken, 422).await;
        assert_eq!(p["errors"][0]["field"], "subject");
        let reason = p["errors"][0]["message"].as_str().unwrap();
        assert!(reason.contains("numbr") || reason.contains("undefined"), "{reason}");
        let unclosed = app.put_as(url, &admin, &json!({
            "subject": "x", "text": "{% if note %}", "html": "<p></p>"
        })).await;
        assert_eq!(assert_problem(unclosed, 422).await["errors"][0]["field"], "text");
        let unknown = app.put_as("/api/v1/admin/message-templates/gossip/zh", &admin, &json!({"subject": "x", "text": "x", "html": "x"})).await;
        assert_problem(unknown, 404).await;
        let still: Value = app.get_as(url, &admin).await.json().await.unwrap();
        assert_eq!(still["overridden"], false);

        let res = app.put_as(url, &admin, &json!({
            "subject": "【某市工信局】请签收 {{ number }}", "text": "工单：{{ title }}\n{{ link }}", "html": "<p>{{ title }}</p>"
        })).await;
        assert_eq!(res.status(), 200);
        let saved: Value = res.json().await.unwrap();
        assert_eq!(saved["template"]["overridden"], true);
        assert!(saved["preview"]["subject"].as_str().unwrap().starts_with("【某市工信局】请签收 310115-"));

        let (t, enterprise) = file_ticket(&app, "电力不足").await;
        assert_eq!(app.get_as(url, &enterprise).await.status(), 404);
        app.delivery.deliver_once(&app.db, app.clock.now()).await.unwrap();
        let subjects: Vec<String> = std::fs::read_dir(&app.mail_dir).unwrap().map(|f| {
            let bytes = std::fs::read(f.unwrap().path()).unwrap();
            mail_parser::MessageParser::default().parse(&bytes).unwrap().subject().unwrap().to_string()
        }).collect();
        // The Chinese reader gets the override; the English one the built-in template.
        assert!(subjects.contains(&format!("【某市工信局】请签收 {}", t["number"].as_str().unwrap())), "{subjects:?}");
        assert!(subjects.iter().any(|s| s.starts_with("[Yizhan]")), "{subjects:?}");

        assert_eq!(app.client.delete(app.url(url)).bearer_auth(&admin).send().await.unwrap().status(), 204);
        let gone = app.client.delete(app.url(url)).bearer_auth(&admin).send().await.unwrap();
        assert_problem(gone, 404).await;
    }
}

/// Beijing time.
fn bj(d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, d, h, mi, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// (recipient, subject) of every message written to files, removing them.
async fn mailbox(app: &TestApp) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = app
        .mailbox()
        .await
        .into_iter()
        .map(|(to, subject, _)| (to, subject))
        .collect();
    out.sort();
    out
}

each_backend! {
    async fn leads_and_supervisors_get_a_daily_digest_of_their_jurisdiction(app) {
        use yizhan::services::digest::send_due;
        let eight = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
        let county = app.department_of("320506").await;
        let city = app.department_of("320500").await;
        app.user("officer", "o@wuzhong.cn", Some(county), None).await;
        app.user("lead", "lead@wuzhong.cn", Some(county), None).await;
        app.user("supervisor", "s@wuzhong.cn", Some(county), None).await;
        app.user("supervisor", "s@suzhou.cn", Some(city), None).await;
        app.user("lead", "lead@suzhou.cn", Some(city), None).await;
        let city_lead = app.token("lead@suzhou.cn").await;
        let res = app.put_as("/api/v1/me/notices", &city_lead, &json!({"digest": false})).await;
        assert_eq!(res.status(), 200);

        // Tuesday 08:00: the first digest (nothing happened yet).
        app.clock.set(bj(3, 8, 0));
        assert_eq!(send_due(&app.db, app.clock.now(), eight).await.unwrap(), 2);
        let first = mailbox(&app).await;
        assert_eq!(first.len(), 3, "{first:?}");
        assert!(first.iter().all(|(_, s)| s.contains("新增 0，超期 0，办结 0")), "{first:?}");

        // Two tickets filed, one resolved, the other misses its sign-for deadline.
        app.clock.set(bj(3, 9, 0));
        let enterprise = app.token("e@wuzhong.cn").await;
        let mut ids = Vec::new();
        for title in ["货车滞留", "原料短缺"] {
            let t: Value = app.post_as("/api/v1/tickets", &enterprise, &json!({
                "category": "logistics", "urgency": "normal", "title": title, "description": "详见附件说明。"
            })).await.json().await.unwrap();
            ids.push(t["id"].as_i64().unwrap());
        }
        app.clock.set(bj(3, 10, 0));
        let officer = app.token("o@wuzhong.cn").await;
        for (action, body) in [("sign_for", json!({})), ("resolve", json!({"resolution": "已协调放行。"}))] {
            let res = app.post_as(&format!("/api/v1/tickets/{}/actions/{action}", ids[0]), &officer, &body).await;
            assert_eq!(res.status(), 200, "{action}");
        }
        app.clock.set(bj(4, 17, 45));
        yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, app.clock.now(), 100, 10).await.unwrap();
        mailbox(&app).await;

        // Thursday: not before eight; then once per department, counting
        // everything since Tuesday's digest.
        app.clock.set(bj(5, 7, 59));
        assert_eq!(send_due(&app.db, app.clock.now(), eight).await.unwrap(), 0);
        app.clock.set(bj(5, 8, 0));
        assert_eq!(send_due(&app.db, app.clock.now(), eight).await.unwrap(), 2);
        assert_eq!(send_due(&app.db, app.clock.now(), eight).await.unwrap(), 0);
        let mut digest = app.mailbox().await;
        digest.sort();
        let to: Vec<&str> = digest.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(to, ["lead@wuzhong.cn", "s@suzhou.cn", "s@wuzhong.cn"]);
        assert!(digest.iter().all(|(_, s, _)| s.contains("新增 2，超期 1，办结 1")), "{digest:?}");
        // The tickets behind the numbers, the overdue one first, with links.
        let text = &digest[0].2;
        let overdue = text.find("【已超期】").unwrap_or_else(|| panic!("{text}"));
        let new = text.find("【新增】").unwrap_or_else(|| panic!("{text}"));
        assert!(overdue < new, "{text}");
        assert!(text.contains("原料短缺") && text.contains("货车滞留"), "{text}");
        assert!(text.contains(&format!("/tickets/{}", ids[1])), "{text}");
    }
}

each_backend! {
    async fn a_crashed_worker_s_messages_go_out_once_its_lease_ends(app) {
        let sink = SmtpSink::start().await;
        let d = delivery_to(&app, sink.port, |s| s.lease_secs = 300);
        let (t, _) = file_ticket(&app, "零部件断供").await;
        // A worker claims the messages and dies before sending them.
        let now = app.clock.now().naive_utc();
        let claimed = app.db.run(move |conn| {
            Ok(outbox::claim(conn, now, now + Duration::seconds(300), 10)?)
        }).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert_eq!(deliver(&app, &d).await.claimed, 0);
        app.clock.advance(Duration::seconds(299));
        assert_eq!(deliver(&app, &d).await.claimed, 0);
        app.clock.advance(Duration::seconds(2));
        assert_eq!(deliver(&app, &d).await.sent, 2);
        assert_eq!(sink.received().len(), 2);
        // The first worker comes back: its lease is gone, so it records nothing.
        let (first, old_lease) = (claimed[0].id, claimed[0].lease_until.unwrap());
        let at = app.clock.now().naive_utc();
        let recorded = app.db.run(move |conn| {
            Ok(outbox::finish(conn, first, old_lease, &outbox::Attempt::Retry { at, error: "late".into() }, at)?)
        }).await.unwrap();
        assert!(!recorded);
        assert!(outbox_of(&app, t["id"].as_i64().unwrap()).await.iter().all(|m| m.status == "sent"));
    }
}

each_backend! {
    async fn a_chain_platform_s_digest_counts_its_chain_s_tickets(app) {
        use yizhan::services::digest::send_due;
        let eight = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        app.user("admin", "admin@yizhan.gov.cn", None, None).await;
        let admin = app.token("admin@yizhan.gov.cn").await;
        let created: Value = app.post_as("/api/v1/enterprises", &admin, &json!({
            "credit_code": "91310115591693856A", "name": "上海某汽车零部件有限公司", "county_code": "310115",
            "chains": ["automotive"], "contact_email": "zhang@example.cn"
        })).await.json().await.unwrap();
        app.user("enterprise", "zhang@example.cn", None, created["id"].as_i64()).await;
        let platform = app.chain_platform("automotive").await;
        app.user("supervisor", "s@auto.miit.gov.cn", Some(platform), None).await;

        app.clock.set(bj(3, 8, 0));
        assert_eq!(send_due(&app.db, app.clock.now(), eight).await.unwrap(), 1);
        mailbox(&app).await;
        app.clock.set(bj(3, 9, 0));
        let firm = app.token("zhang@example.cn").await;
        let res = app.post_as("/api/v1/tickets", &firm, &json!({
            "category": "parts_supply", "urgency": "urgent", "title": "芯片断供", "description": "供应商停产。"
        })).await;
        assert_eq!(res.status(), 201);
        app.clock.set(bj(4, 8, 0));
        assert_eq!(send_due(&app.db, app.clock.now(), eight).await.unwrap(), 1);
        let digest = mailbox(&app).await;
        assert_eq!(digest.len(), 1);
        assert_eq!(digest[0].0, "s@auto.miit.gov.cn");
        assert!(digest[0].1.contains("新增 1，超期 0，办结 0"), "{digest:?}");
    }
}

each_backend! {
    async fn the_scanner_s_notices_reach_each_person_of_the_department(app) {
        let sink = SmtpSink::start().await;
        let d = delivery_to(&app, sink.port, |_| {});
        app.clock.set(bj(3, 9, 0));
        let (t, _) = file_ticket(&app, "货车滞留").await;
        deliver(&app, &d).await;
        let filed = sink.received().len();
        // Critical: the 30-minute sign-for window has passed.
        app.clock.set(bj(3, 9, 45));
        let scan = yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, app.clock.now(), 100, 10).await.unwrap();
        assert!(scan.events >= 1);
        let r = deliver(&app, &d).await;
        assert!(r.sent >= 2, "{r:?}");
        let overdue: Vec<_> = sink.received()[filed..].iter()
            .filter(|m| m.subject().contains(t["number"].as_str().unwrap()) && m.subject().contains("超期"))
            .map(|m| m.to[0].clone())
            .collect();
        // The officer reads Chinese; the lead's English copy says "Overdue".
        assert_eq!(overdue, ["o@wuzhong.cn"], "{:?}", sink.received().iter().map(|m| m.subject()).collect::<Vec<_>>());
        assert!(sink.received().iter().any(|m| m.to == ["lead@wuzhong.cn"] && m.subject().starts_with("[Yizhan] Overdue")));
    }
}

each_backend! {
    async fn two_workers_queue_each_sla_event_s_notices_once(app) {
        let sink = SmtpSink::start().await;
        app.clock.set(bj(3, 9, 0));
        let (_, enterprise) = file_ticket(&app, "货车滞留").await;
        for i in 0..29 {
            let res = app.post_as("/api/v1/tickets", &enterprise, &json!({
                "category": "logistics", "urgency": "critical", "title": format!("物流受阻 {i}"), "description": "运输受阻。"
            })).await;
            assert_eq!(res.status(), 201);
        }
        let first = delivery_to(&app, sink.port, |_| {});
        while deliver(&app, &first).await.claimed > 0 {}
        let filed = sink.received().len();
        assert_eq!(filed, 60);
        app.clock.set(bj(3, 9, 45));
        let scan = yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, app.clock.now(), 100, 10).await.unwrap();
        assert_eq!(scan.events, 30);

        let workers: Vec<_> = (0..2)
            .map(|_| {
                let d = delivery_to(&app, sink.port, |s| s.batch = 7);
                let db = app.db.clone();
                let clock = app.clock.clone();
                tokio::spawn(async move {
                    while d.deliver_once(&db, clock.now()).await.expect("round").claimed > 0 {}
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        let overdue: Vec<String> = sink.received()[filed..].iter().map(|m| m.message_id()).collect();
        // Each event tells the officer and the lead, once.
        assert_eq!(overdue.len(), 60);
        assert_eq!(overdue.iter().collect::<HashSet<_>>().len(), 60);
        let unqueued = app.db.run(|conn| Ok(yizhan::storage::sla::SlaEvent::any_unqueued(conn)?)).await.unwrap();
        assert!(!unqueued);
    }
}
