//! Group robots (WeCom, DingTalk, Feishu): a lead registers them, the group
//! hears the notices it chose in each service's format (checked by a local
//! sink that recomputes the signatures), a test message reports the
//! service's answer, secrets are never shown again in full, an outage is
//! followed by exactly one delivery of each message, and a robot that
//! hangs never delays the e-mail.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use yizhan::configuration::SmsSettings;
use yizhan::services::delivery::{Delivery, DeliveryReport};
use yizhan::storage::outbox;

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{act, assert_problem, TestApp};
use crate::http_sink::{self, HttpSink, Mode, Service};

/// Robots may post to the local sink; sends give up after two seconds;
/// retries come back after a second.
const SETTINGS: &[(&str, &str)] = &[
    ("YIZHAN__ROBOTS__ALLOW_ANY_HOST", "true"),
    ("YIZHAN__ROBOTS__TIMEOUT_SECS", "2"),
    ("YIZHAN__MAIL__BACKOFF_BASE_SECS", "1"),
    ("YIZHAN__MAIL__BACKOFF_MAX_SECS", "1"),
];

/// The worker as the application builds it, with SMS sent to the sink
/// when there is one (and the deployment told that SMS is on).
pub async fn delivery(app: &TestApp, sms: Option<&HttpSink>) -> Delivery {
    let mut s: SmsSettings = app.settings.sms.clone();
    if let Some(sink) = sms {
        for (k, v) in sink.sms_settings() {
            match k.trim_start_matches("YIZHAN__SMS__") {
                "PROVIDER" => s.provider = v,
                "ENDPOINT" => s.endpoint = v,
                "SECRET_ID" => s.secret_id = v,
                "SECRET_KEY" => s.secret_key = v.into(),
                "SDK_APP_ID" => s.sdk_app_id = v,
                "SIGN_NAME" => s.sign_name = v,
                "TEMPLATE_SIGNED_FOR" => s.template_signed_for = v,
                "TEMPLATE_INFO_REQUESTED" => s.template_info_requested = v,
                "TEMPLATE_RESOLVED" => s.template_resolved = v,
                _ => {}
            }
        }
        yizhan::services::delivery::announce_channels(&app.db, true, app.clock.now())
            .await
            .unwrap();
    }
    let base = &app.settings.server.base_url;
    Delivery::with_channels(&app.settings.mail, &app.settings.robots, &s, base).unwrap()
}

pub async fn deliver(app: &TestApp, d: &Delivery) -> DeliveryReport {
    d.deliver_once(&app.db, app.clock.now()).await.unwrap()
}

/// The outbox rows of a channel.
pub async fn rows(app: &TestApp, channel: &'static str) -> Vec<outbox::Message> {
    let mut all = Vec::new();
    for status in ["pending", "sent", "dead"] {
        let found = app
            .db
            .run(move |conn| Ok(outbox::list_of(conn, status, Some(channel), None, 1000)?))
            .await
            .unwrap();
        all.extend(found);
    }
    all.sort_by_key(|m| m.id);
    all
}

/// Wuzhong county with an officer and a lead, Suzhou city with a lead and
/// a supervisor, an enterprise user; returns (county, city, enterprise).
pub async fn cast(app: &TestApp) -> (i64, i64, i64) {
    let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
    app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
    let county = app.department_of("320506").await;
    let city = app.department_of("320500").await;
    app.user("officer", "o@wuzhong.cn", Some(county), None)
        .await;
    app.user("lead", "lead@wuzhong.cn", Some(county), None)
        .await;
    app.user("lead", "lead@suzhou.cn", Some(city), None).await;
    app.user("supervisor", "s@suzhou.cn", Some(city), None)
        .await;
    (county, city, e)
}

pub async fn file(app: &TestApp, title: &str) -> (i64, String) {
    let token = app.token("e@wuzhong.cn").await;
    let res = app
        .post_as(
            "/api/v1/tickets",
            &token,
            &json!({"category": "logistics", "urgency": "critical", "title": title,
                    "description": "运输原料的货车在检查站滞留两天。"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.unwrap();
    (
        t["id"].as_i64().unwrap(),
        t["number"].as_str().unwrap().to_string(),
    )
}

pub async fn register(app: &TestApp, token: &str, department: i64, body: Value) -> Value {
    let res = app
        .post_as(
            &format!("/api/v1/departments/{department}/robots"),
            token,
            &body,
        )
        .await;
    assert_eq!(res.status(), 201, "{body}");
    res.json().await.unwrap()
}

/// The county's three robots, each with its own notices.
pub async fn three_robots(app: &TestApp, sink: &HttpSink, county: i64) -> [i64; 3] {
    let lead = app.token("lead@wuzhong.cn").await;
    let w = register(
        app,
        &lead,
        county,
        json!({"service": "wecom", "name": "吴中经信企业微信群",
        "webhook_url": sink.wecom_webhook(), "notices": ["new_ticket", "overdue"]}),
    )
    .await;
    let d = register(
        app,
        &lead,
        county,
        json!({"service": "dingtalk", "name": "吴中值班钉钉群",
        "webhook_url": sink.dingtalk_webhook(), "secret": http_sink::DING_SECRET,
        "notices": ["new_ticket", "sla_warning", "overdue", "urged"]}),
    )
    .await;
    let f = register(
        app,
        &lead,
        county,
        json!({"service": "feishu", "name": "吴中飞书群",
        "webhook_url": sink.feishu_webhook(), "secret": http_sink::FEISHU_SECRET,
        "notices": ["new_ticket", "urged"]}),
    )
    .await;
    [
        w["id"].as_i64().unwrap(),
        d["id"].as_i64().unwrap(),
        f["id"].as_i64().unwrap(),
    ]
}

fn text_of(r: &http_sink::Received) -> String {
    match r.service {
        Service::Wecom => r.body["markdown"]["content"].as_str().unwrap().to_string(),
        Service::Dingtalk => r.body["markdown"]["text"].as_str().unwrap().to_string(),
        Service::Feishu => format!(
            "{}\n{}",
            r.body["card"]["header"]["title"]["content"]
                .as_str()
                .unwrap(),
            r.body["card"]["elements"][0]["text"]["content"]
                .as_str()
                .unwrap()
        ),
        Service::Sms => r.body.to_string(),
    }
}

each_backend! {
    async fn a_lead_registers_robots_and_each_group_hears_the_notices_it_chose(app, SETTINGS) {
        let sink = HttpSink::start().await;
        let (county, city, _) = cast(&app).await;
        let lead = app.token("lead@wuzhong.cn").await;
        let [_, ding, _] = three_robots(&app, &sink, county).await;

        // Saved: the token and the secret are never shown in full again.
        let list = app.get_as(&format!("/api/v1/departments/{county}/robots"), &lead).await;
        assert_eq!(list.status(), 200);
        let text = list.text().await.unwrap();
        assert!(!text.contains(http_sink::DING_TOKEN) && !text.contains(http_sink::DING_SECRET)
            && !text.contains(http_sink::FEISHU_SECRET) && !text.contains(http_sink::WECOM_KEY), "{text}");
        let list: Value = serde_json::from_str(&text).unwrap();
        let d = list.as_array().unwrap().iter().find(|r| r["id"] == ding).unwrap();
        assert_eq!(d["secret"], "****03ee");
        assert!(d["webhook_url"].as_str().unwrap().ends_with("access_token=****511d"), "{d}");
        assert_eq!(d["notices"], json!(["new_ticket", "sla_warning", "overdue", "urged"]));

        // Only the department's lead and administrators manage them.
        let officer = app.token("o@wuzhong.cn").await;
        let city_lead = app.token("lead@suzhou.cn").await;
        for t in [&officer, &city_lead] {
            let res = app.get_as(&format!("/api/v1/departments/{county}/robots"), t).await;
            assert_problem(res, 404).await;
        }
        app.user("admin", "admin@yz.cn", None, None).await;
        let admin = app.token("admin@yz.cn").await;
        assert_eq!(app.get_as(&format!("/api/v1/departments/{county}/robots"), &admin).await.status(), 200);
        // Every wrong field at once.
        let res = app.post_as(&format!("/api/v1/departments/{county}/robots"), &lead,
            &json!({"service": "slack", "name": "", "webhook_url": "https://x", "notices": ["resolved"]})).await;
        let p = assert_problem(res, 422).await;
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["service", "name", "notices"], "{p}");

        // The city's lead has a robot for extension requests.
        register(&app, &city_lead, city, json!({"service": "dingtalk", "name": "苏州市经信委审批群",
            "webhook_url": sink.dingtalk_webhook(), "secret": http_sink::DING_SECRET,
            "notices": ["extension_requested"]})).await;

        let d = delivery(&app, None).await;
        let (id, number) = file(&app, "货车无法通行 [点此](http://evil.example)").await;
        let report = deliver(&app, &d).await;
        assert_eq!((report.dead, report.retried), (0, 0));
        // A new ticket: each county robot chose it; the city's did not.
        assert_eq!((sink.of(Service::Wecom).len(), sink.of(Service::Dingtalk).len(), sink.of(Service::Feishu).len()), (1, 1, 1));
        for r in sink.received() {
            let t = text_of(&r);
            println!("--- {:?} new_ticket ---\n{}\n", r.service, serde_json::to_string_pretty(&r.body).unwrap());
            assert!(t.contains(&number) && t.contains("新诉求待签收") && t.contains("紧急程度：特急"), "{t}");
            assert!(!t.contains("](http://evil"), "a title adds no link: {t}");
            assert!(r.body.to_string().contains(&format!("/tickets/{id}")), "{}", r.body);
        }

        // Urged by the city's lead: DingTalk and Feishu chose it.
        act(&app, &officer, id, "sign_for", json!({})).await;
        act(&app, &city_lead, id, "urge", json!({"note": "请今天内联系企业"})).await;
        deliver(&app, &d).await;
        let urged: Vec<_> = sink.received().into_iter().skip(3).collect();
        assert_eq!(urged.iter().map(|r| r.service).collect::<Vec<_>>().len(), 2);
        for r in &urged {
            assert!(text_of(r).contains("督办意见：请今天内联系企业"), "{}", text_of(r));
            println!("--- {:?} urged ---\n{}\n", r.service, text_of(r));
        }
        // An extension request goes to the city's robot, which decides it.
        act(&app, &officer, id, "request_extension", json!({"reason": "需协调省外供应商", "working_days": 2})).await;
        deliver(&app, &d).await;
        let ext: Vec<_> = sink.received().into_iter().skip(5).collect();
        assert_eq!(ext.len(), 1);
        let t = text_of(&ext[0]);
        assert!(t.contains("延期理由：需协调省外供应商"), "{t}");
        println!("--- city DingTalk extension_requested ---\n{t}\n");

        // The scanner's overdue notice: WeCom and DingTalk chose it.
        let later = app.clock.now() + chrono::Duration::days(40);
        yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, later, 100, 10).await.unwrap();
        deliver(&app, &d).await;
        let overdue: Vec<_> = sink.received().into_iter().skip(6).filter(|r| text_of(r).contains("超期")).collect();
        assert!(overdue.iter().any(|r| r.service == Service::Wecom) && overdue.iter().any(|r| r.service == Service::Dingtalk), "{overdue:?}");
        assert!(overdue.iter().all(|r| r.service != Service::Feishu));
        println!("--- WeCom overdue ---\n{}\n", text_of(overdue.iter().find(|r| r.service == Service::Wecom).unwrap()));
        assert!(sink.bad().is_empty(), "{:?}", sink.bad());
        // Each robot row went once.
        assert!(rows(&app, "dingtalk").await.iter().all(|m| m.status == "sent" && m.attempts == 1));
    }

    async fn a_test_message_reports_the_service_s_answer(app, SETTINGS) {
        let sink = HttpSink::start().await;
        let (county, _, _) = cast(&app).await;
        let lead = app.token("lead@wuzhong.cn").await;
        let [_, ding, feishu] = three_robots(&app, &sink, county).await;
        let res = app.post_as(&format!("/api/v1/departments/{county}/robots/{feishu}/test"), &lead, &json!({})).await;
        assert_eq!(res.status(), 200);
        let got = sink.of(Service::Feishu);
        assert_eq!(got.len(), 1);
        let t = text_of(&got[0]);
        assert!(t.contains("测试消息") && t.contains("吴中飞书群") && t.contains("新诉求、督办"), "{t}");
        println!("--- Feishu test ---\n{}\n", serde_json::to_string_pretty(&got[0].body).unwrap());

        // A wrong secret: DingTalk refuses, and the lead reads why. The
        // webhook left out is kept.
        let res = app.put_as(&format!("/api/v1/departments/{county}/robots/{ding}"), &lead, &json!({
            "service": "dingtalk", "name": "吴中值班钉钉群", "secret": "SECwrongwrongwrong",
            "notices": ["new_ticket"]})).await;
        assert_eq!(res.status(), 200);
        let res = app.post_as(&format!("/api/v1/departments/{county}/robots/{ding}/test"), &lead, &json!({})).await;
        let p = assert_problem(res, 422).await;
        assert_eq!(p["type"], "urn:yizhan:problem:robot-test-failed");
        assert!(p["detail"].as_str().unwrap().contains("310000"), "{p}");
        assert_eq!(sink.bad().len(), 1, "the sink saw the wrong signature");

        // The page: masked, and the test's outcome beside the robot.
        let b = Browser::new(&app);
        b.login("lead@wuzhong.cn").await;
        let page = b.get(&format!("/admin/departments/{county}/robots")).await;
        assert_eq!(page.status, 200);
        assert!(page.html.contains("吴中飞书群") && page.html.contains("****86fd") && !page.html.contains(http_sink::FEISHU_TOKEN), "{}", page.html);
        let done = b.post(&format!("/admin/departments/{county}/robots/{feishu}/test"), &[]).await;
        assert_eq!(done.status, 200);
        assert!(done.html.contains("测试消息已送达"), "{}", done.html);
        let failed = b.post(&format!("/admin/departments/{county}/robots/{ding}/test"), &[]).await;
        assert_eq!(failed.status, 422);
        assert!(failed.html.contains("测试消息未送达") && failed.html.contains("310000"), "{}", failed.html);
        // A wrong field comes back with what was typed and why.
        let back = b.post(&format!("/admin/departments/{county}/robots"), &[("service", "wecom"), ("name", "新群"), ("webhook_url", "ftp://x"), ("notices", "overdue")]).await;
        assert_eq!(back.status, 422);
        assert!(back.html.contains("ftp://x") && back.html.contains("回调地址须以 https:// 开头"), "{}", back.html);
        // Removing a robot parks what still waits for it.
        file(&app, "配件断供").await;
        let removed = b.post(&format!("/admin/departments/{county}/robots/{ding}/delete"), &[]).await;
        assert_eq!(removed.status, 303);
        let ding_rows = rows(&app, "dingtalk").await;
        assert!(!ding_rows.is_empty() && ding_rows.iter().all(|m| m.status == "dead"), "{ding_rows:?}");
    }

    async fn an_outage_then_recovery_delivers_every_message_once(app, SETTINGS) {
        let sink = HttpSink::start().await;
        let (county, _, eid) = cast(&app).await;
        three_robots(&app, &sink, county).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let res = app.put_as(&format!("/api/v1/enterprises/{eid}/sms-mobile"), &enterprise, &json!({"mobile": "138 1234 5678"})).await;
        assert_eq!(res.status(), 200);
        let d = delivery(&app, Some(&sink)).await;
        // Everything is down, each in its own way.
        sink.set(Service::Wecom, Mode::Error500);
        sink.set(Service::Dingtalk, Mode::Drop);
        sink.set(Service::Feishu, Mode::Hang);
        sink.set(Service::Sms, Mode::Error500);
        let officer = app.token("o@wuzhong.cn").await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let (id, _) = file(&app, &format!("货车无法通行 {i}")).await;
            act(&app, &officer, id, "sign_for", json!({})).await;
            ids.push(id);
        }
        let first = deliver(&app, &d).await;
        // The e-mails went; every robot message and SMS waits for a retry.
        assert_eq!(first.dead, 0);
        assert_eq!(first.retried, 12, "{first:?}");
        assert!(rows(&app, "email").await.iter().all(|m| m.status == "sent"));
        assert!(sink.received().is_empty());
        assert!(sink.refused() >= 12);
        // Back up: each message arrives once.
        for s in [Service::Wecom, Service::Dingtalk, Service::Feishu, Service::Sms] {
            sink.set(s, Mode::Up);
        }
        let mut again = DeliveryReport::default();
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(1300)).await;
            again += deliver(&app, &d).await;
            if again.sent == 12 {
                break;
            }
        }
        assert_eq!((again.sent, again.dead), (12, 0), "{again:?}");
        assert_eq!(deliver(&app, &d).await.claimed, 0);
        for (service, channel) in [(Service::Wecom, "wecom"), (Service::Dingtalk, "dingtalk"), (Service::Feishu, "feishu"), (Service::Sms, "sms")] {
            let got = sink.of(service);
            let sent = rows(&app, channel).await;
            assert_eq!(got.len(), 3, "{service:?}");
            assert!(sent.iter().all(|m| m.status == "sent" && m.attempts == 2), "{sent:?}");
            // One per ticket: three different messages.
            let mut texts: Vec<String> = got.iter().map(text_of).collect();
            texts.sort();
            texts.dedup();
            assert_eq!(texts.len(), 3, "{service:?}: {texts:?}");
        }
        // Each SMS names its outbox row, once.
        let mut sessions: Vec<String> = sink.of(Service::Sms).iter().map(|r| r.body["SessionContext"].as_str().unwrap().to_string()).collect();
        sessions.sort();
        let mut expected: Vec<String> = rows(&app, "sms").await.iter().map(|m| format!("yizhan-outbox-{}", m.id)).collect();
        expected.sort();
        assert_eq!(sessions, expected);
        assert!(sink.bad().is_empty(), "{:?}", sink.bad());
    }

    async fn a_robot_that_hangs_does_not_delay_the_e_mail(app, SETTINGS) {
        let sink = HttpSink::start().await;
        let (county, _, _) = cast(&app).await;
        three_robots(&app, &sink, county).await;
        sink.set(Service::Dingtalk, Mode::Hang);
        sink.set(Service::Feishu, Mode::Hang);
        for i in 0..3 {
            file(&app, &format!("配件断供 {i}")).await;
        }
        let d = delivery(&app, None).await;
        let started = Instant::now();
        let worker = tokio::spawn(yizhan::jobs::delivery::run(
            app.db.clone(), d.clone(), app.clock.clone(), Duration::from_millis(100), 50,
        ));
        // The e-mails go out while both robots' calls hang (they give up
        // after two seconds).
        loop {
            let mail = rows(&app, "email").await;
            if mail.iter().all(|m| m.status == "sent") {
                break;
            }
            assert!(started.elapsed() < Duration::from_millis(1500), "e-mail waited for the robots: {mail:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let waited = started.elapsed();
        assert_eq!(rows(&app, "email").await.len(), 6);
        assert!(rows(&app, "dingtalk").await.iter().all(|m| m.status == "pending" && m.attempts == 0), "still hanging");
        // WeCom was up all along.
        assert_eq!(sink.of(Service::Wecom).len(), 3);
        println!("e-mail delivered after {waited:?} while two robots hung");
        // Then the hanging calls time out, and are tried again later.
        tokio::time::sleep(Duration::from_millis(2600)).await;
        assert!(rows(&app, "dingtalk").await.iter().all(|m| m.attempts >= 1 && m.last_error.as_deref().is_some_and(|e| e.contains("timed out"))));
        d.stop();
        let _ = tokio::time::timeout(Duration::from_secs(5), worker).await;
    }
}
