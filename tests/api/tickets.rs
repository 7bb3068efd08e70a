use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp};

struct Cast {
    enterprise: String,
    other_enterprise: String,
    pudong: String,
    pudong_lead: String,
    huangpu: String,
    shanghai: String,
    supervisor: String,
    jiangsu: String,
    huangpu_dept: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let parts = app.enterprise("上海某汽车零部件有限公司", "310115").await;
    let other = app.enterprise("上海另一家公司", "310115").await;
    app.user("enterprise", "e@parts.cn", None, Some(parts))
        .await;
    app.user("enterprise", "e@other.cn", None, Some(other))
        .await;
    let pudong = app.department_of("310115").await;
    let huangpu = app.department_of("310101").await;
    let shanghai = app.department_of("310000").await;
    app.user("officer", "o@pudong.cn", Some(pudong), None).await;
    app.user("lead", "lead@pudong.cn", Some(pudong), None).await;
    app.user("officer", "o@huangpu.cn", Some(huangpu), None)
        .await;
    app.user("officer", "o@shanghai.cn", Some(shanghai), None)
        .await;
    app.user("supervisor", "sup@shanghai.cn", Some(shanghai), None)
        .await;
    app.user(
        "officer",
        "o@jiangsu.cn",
        Some(app.department_of("320000").await),
        None,
    )
    .await;
    Cast {
        enterprise: app.token("e@parts.cn").await,
        other_enterprise: app.token("e@other.cn").await,
        pudong: app.token("o@pudong.cn").await,
        pudong_lead: app.token("lead@pudong.cn").await,
        huangpu: app.token("o@huangpu.cn").await,
        shanghai: app.token("o@shanghai.cn").await,
        supervisor: app.token("sup@shanghai.cn").await,
        jiangsu: app.token("o@jiangsu.cn").await,
        huangpu_dept: huangpu,
    }
}

fn filing() -> Value {
    json!({
        "category": "worker_return", "urgency": "urgent",
        "title": "员工无法返岗", "description": "封控区内 120 名员工无法返回工厂，生产线停工。"
    })
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> reqwest::Response {
    app.post_as(
        &format!("/api/v1/tickets/{id}/actions/{action}"),
        token,
        &body,
    )
    .await
}

async fn ok(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> Value {
    let res = act(app, token, id, action, body).await;
    assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
}

each_backend! {
    async fn offered_actions_carry_their_fields_and_targets(app) {
        let c = cast(&app).await;
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let get = |token: String| {
            let app = &app;
            async move {
                let res = app.get_as(&format!("/api/v1/tickets/{id}/actions"), &token).await;
                assert_eq!(res.status(), 200);
                res.json::<Value>().await.unwrap()
            }
        };
        let action = |v: &Value, name: &str| v["actions"].as_array().unwrap().iter().find(|a| a["action"] == name).cloned();
        // The enterprise may withdraw or comment, nothing else.
        let mine = get(c.enterprise.clone()).await;
        let mut names: Vec<&str> = mine["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["comment", "withdraw"], "{mine}");
        assert_eq!(mine["version"], t["version"]);
        let comment = action(&mine, "comment").unwrap();
        assert!(!comment["fields"].as_array().unwrap().iter().any(|f| f["name"] == "internal"), "no internal comments for the enterprise: {comment}");
        // The county's officer: sign for, transfer to its siblings (never
        // the parent, which is escalating), with names.
        let officer = get(c.pudong.clone()).await;
        assert!(action(&officer, "sign_for").is_some(), "{officer}");
        let transfer = action(&officer, "transfer").expect("transfer offered");
        let fields: Vec<(&str, bool)> = transfer["fields"].as_array().unwrap().iter().map(|f| (f["name"].as_str().unwrap(), f["required"].as_bool().unwrap())).collect();
        assert_eq!(fields, [("department_id", true), ("reason", true), ("reason_public", false)]);
        let targets = transfer["targets"].as_array().unwrap();
        assert!(targets.iter().any(|d| d["id"] == c.huangpu_dept && d["name"].as_str().unwrap().contains("黄浦")), "{transfer}");
        let shanghai = app.department_of("310000").await;
        assert!(!targets.iter().any(|d| d["id"] == shanghai), "the parent is not a transfer target: {transfer}");
        // Signed for, the lead assigns it among the department's staff.
        ok(&app, &c.pudong, id, "sign_for", json!({})).await;
        let lead = get(c.pudong_lead.clone()).await;
        let assign = action(&lead, "assign").expect("assign offered to the lead");
        assert!(assign["targets"].as_array().unwrap().iter().any(|u| u["name"].as_str().is_some_and(|n| !n.is_empty())), "{assign}");
        // Another enterprise, and staff elsewhere, do not see the ticket.
        assert_problem(app.get_as(&format!("/api/v1/tickets/{id}/actions"), &c.other_enterprise).await, 404).await;
        assert_problem(app.get_as(&format!("/api/v1/tickets/{id}/actions"), &c.jiangsu).await, 404).await;
    }

    async fn the_enterprise_reads_why_its_ticket_moved_only_when_told(app) {
        let c = cast(&app).await;
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        ok(&app, &c.pudong, id, "sign_for", json!({})).await;
        ok(&app, &c.pudong, id, "transfer", json!({"department_id": c.huangpu_dept, "reason": "内部：黄浦区人手更足"})).await;
        ok(&app, &c.huangpu, id, "return", json!({"reason": "本区没有这家企业的仓库，已退回浦东办理", "reason_public": true})).await;
        let note_of = |v: &Value, action: &str| -> Value {
            v["timeline"].as_array().unwrap().iter().find(|e| e["action"] == action).unwrap()["note"].clone()
        };
        let own: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.enterprise).await.json().await.unwrap();
        let staff: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.pudong).await.json().await.unwrap();
        // It sees that the ticket moved, and where, but not the colleagues' reason.
        assert!(note_of(&own, "transfer").is_null(), "{own}");
        assert_eq!(note_of(&staff, "transfer"), "内部：黄浦区人手更足");
        assert_eq!(note_of(&own, "return"), "本区没有这家企业的仓库，已退回浦东办理");
    }

    async fn a_problem_from_filing_to_a_satisfied_rating(app) {
        let c = cast(&app).await;
        let res = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["etag"], "\"v1\"");
        let t: Value = res.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let number = t["number"].as_str().unwrap();
        assert!(number.starts_with("310115-") && number.ends_with("-0001"), "{number}");
        assert_eq!(t["status"], "pending_sign");
        assert_eq!(t["timeline"][0]["action"], "file");
        assert_eq!(t["timeline"][0]["detail"]["target_level"], "county");

        // Who sees it: the district and the municipality, not the sibling, nor another enterprise.
        assert_eq!(app.get_as(&format!("/api/v1/tickets/{id}"), &c.pudong).await.status(), 200);
        assert_eq!(app.get_as(&format!("/api/v1/tickets/{id}"), &c.supervisor).await.status(), 200);
        assert_problem(app.get_as(&format!("/api/v1/tickets/{id}"), &c.huangpu).await, 404).await;
        assert_problem(app.get_as(&format!("/api/v1/tickets/{id}"), &c.other_enterprise).await, 404).await;
        assert_problem(app.get_as(&format!("/api/v1/tickets/{id}"), &c.jiangsu).await, 404).await;

        ok(&app, &c.pudong, id, "sign_for", json!({})).await;
        ok(&app, &c.pudong, id, "request_info", json!({"question": "请提供返岗人员名单"})).await;
        ok(&app, &c.pudong, id, "comment", json!({"text": "内部备注：需协调封控", "internal": true})).await;
        let t = ok(&app, &c.enterprise, id, "provide_info", json!({"answer": "名单已上传"})).await;
        assert_eq!(t["status"], "handling");
        let actions: Vec<&str> = t["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["file", "sign_for", "request_info", "provide_info"], "the internal comment is hidden from the enterprise");

        // Up to its own parent is escalating, not transferring.
        let parent = app.department_of("310000").await;
        let up = act(&app, &c.pudong, id, "transfer", json!({"department_id": parent, "reason": "需市级协调"})).await;
        let p = assert_problem(up, 422).await;
        assert!(p["detail"].as_str().unwrap().contains("上报"), "{p}");
        assert_eq!(p["type"], "urn:yizhan:problem:transfer-to-parent");
        // Transfer to the sibling, which returns it.
        let t = ok(&app, &c.pudong, id, "transfer", json!({"department_id": c.huangpu_dept, "reason": "涉及黄浦区仓库"})).await;
        assert_eq!((t["status"].as_str(), t["handling_department_id"].as_i64()), (Some("pending_sign"), Some(c.huangpu_dept)));
        assert_eq!(app.get_as(&format!("/api/v1/tickets/{id}"), &c.huangpu).await.status(), 200);
        ok(&app, &c.huangpu, id, "return", json!({"reason": "不属于本区"})).await;
        // The district escalates to the municipality.
        let t = ok(&app, &c.pudong, id, "escalate", json!({"reason": "需市级协调"})).await;
        let shanghai_dept = t["handling_department_id"].as_i64().unwrap();
        ok(&app, &c.shanghai, id, "sign_for", json!({})).await;
        let t = ok(&app, &c.shanghai, id, "add_cohandler", json!({"department_id": c.huangpu_dept})).await;
        assert_eq!(t["departments"].as_array().unwrap().iter().filter(|d| d["role"] == "cohandler").count(), 1);
        let early = act(&app, &c.shanghai, id, "resolve", json!({"resolution": "已协调返岗"})).await;
        assert!(assert_problem(early, 422).await["detail"].as_str().unwrap().contains("协办"));
        ok(&app, &c.huangpu, id, "post_opinion", json!({"opinion": "同意协助"})).await;
        ok(&app, &c.shanghai, id, "resolve", json!({"resolution": "已协调返岗"})).await;
        let t = ok(&app, &c.enterprise, id, "rate", json!({"satisfaction": "dissatisfied", "solved": false})).await;
        assert_eq!(t["status"], "closed");
        let t = ok(&app, &c.enterprise, id, "reopen", json!({"reason": "仍有员工未返岗"})).await;
        assert_eq!((t["status"].as_str(), t["handling_department_id"].as_i64(), t["reopened_count"].as_i64()), (Some("handling"), Some(shanghai_dept), Some(1)));
        ok(&app, &c.huangpu, id, "post_opinion", json!({"opinion": "已再次协助"})).await;
        ok(&app, &c.shanghai, id, "resolve", json!({"resolution": "全部返岗"})).await;
        let t = ok(&app, &c.enterprise, id, "rate", json!({"satisfaction": "satisfied", "solved": true})).await;
        assert_eq!((t["status"].as_str(), t["rating"].as_str(), t["solved"].as_bool()), (Some("closed"), Some("satisfied"), Some(true)));

        // The full timeline, in order, as the municipality sees it.
        let full: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.shanghai).await.json().await.unwrap();
        let actions: Vec<&str> = full["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            ["file", "sign_for", "request_info", "comment", "provide_info", "transfer", "return", "escalate", "sign_for",
             "add_cohandler", "post_opinion", "resolve", "rate", "reopen", "post_opinion", "resolve", "rate"]
        );
        let seqs: Vec<i64> = full["timeline"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (1..=17).collect::<Vec<_>>());

        // The enterprise does not see the staff's own business.
        let theirs: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.enterprise).await.json().await.unwrap();
        let seen: Vec<&str> = theirs["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for hidden in ["comment", "add_cohandler", "post_opinion"] {
            assert!(!seen.contains(&hidden), "{hidden} in {seen:?}");
        }
        assert!(theirs["departments"].as_array().unwrap().is_empty());
        let garbled = app
            .client
            .post(app.url(&format!("/api/v1/tickets/{id}/actions/comment")))
            .bearer_auth(&c.shanghai)
            .header("content-type", "application/json")
            .body("{\"text\": ")
            .send()
            .await
            .unwrap();
        assert_problem(garbled, 400).await;

        // Queues.
        let mine: Value = app.get_as("/api/v1/tickets", &c.enterprise).await.json().await.unwrap();
        assert_eq!(mine["items"].as_array().unwrap().len(), 1);
        let none: Value = app.get_as("/api/v1/tickets", &c.other_enterprise).await.json().await.unwrap();
        assert!(none["items"].as_array().unwrap().is_empty());
        let huangpu: Value = app.get_as("/api/v1/tickets", &c.huangpu).await.json().await.unwrap();
        assert_eq!(huangpu["items"].as_array().unwrap().len(), 1, "it co-handled the ticket");
        let found: Value = app.get_as("/api/v1/tickets?q=返岗&status=closed", &c.supervisor).await.json().await.unwrap();
        assert_eq!(found["items"].as_array().unwrap().len(), 1);
    }

    async fn wrong_actors_are_refused_and_nothing_changes(app) {
        let c = cast(&app).await;
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let not_permitted = assert_problem(act(&app, &c.supervisor, id, "sign_for", json!({})).await, 403).await;
        assert_problem(act(&app, &c.enterprise, id, "sign_for", json!({})).await, 403).await;
        assert_problem(act(&app, &c.huangpu, id, "sign_for", json!({})).await, 404).await;
        assert_problem(act(&app, &c.pudong, id, "assign", json!({"assignee_id": 1})).await, 403).await;
        let wrong_status = assert_problem(act(&app, &c.pudong, id, "resolve", json!({"resolution": "x"})).await, 409).await;
        let no_reason = assert_problem(act(&app, &c.pudong, id, "reject", json!({})).await, 422).await;
        let unknown = assert_problem(act(&app, &c.pudong, id, "fly", json!({})).await, 404).await;
        // Each refusal names its own problem type (issue 23, item 6).
        let types: Vec<&str> = [&not_permitted, &wrong_status, &no_reason, &unknown].iter().map(|p| p["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["urn:yizhan:problem:action-not-permitted", "urn:yizhan:problem:status-forbids-action", "urn:yizhan:problem:text-missing", "urn:yizhan:problem:unknown-action"]);
        assert_problem(app.post_as("/api/v1/tickets", &c.pudong, &filing()).await, 403).await;
        let after: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.pudong).await.json().await.unwrap();
        assert_eq!((after["version"].as_i64(), after["status"].as_str()), (Some(1), Some("pending_sign")));
        assert_eq!(after["timeline"].as_array().unwrap().len(), 1);

        // A lead assigns an officer of the department, not anyone else.
        ok(&app, &c.pudong, id, "sign_for", json!({})).await;
        let me: Value = app.get_as("/api/v1/me", &c.pudong).await.json().await.unwrap();
        let t = ok(&app, &c.pudong_lead, id, "assign", json!({"assignee_id": me["id"]})).await;
        assert_eq!(t["assignee_id"], me["id"]);
        let stranger: Value = app.get_as("/api/v1/me", &c.huangpu).await.json().await.unwrap();
        assert_problem(act(&app, &c.pudong_lead, id, "assign", json!({"assignee_id": stranger["id"]})).await, 422).await;
        // Validation lists every bad field of a filing.
        let bad = app.post_as("/api/v1/tickets", &c.enterprise, &json!({"category": "x", "urgency": "now", "place": "310100"})).await;
        let body = assert_problem(bad, 422).await;
        let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["category", "urgency", "title", "description", "place"]);
    }

    async fn of_two_concurrent_sign_fors_exactly_one_wins(app) {
        let c = cast(&app).await;
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let (a, b) = tokio::join!(
            act(&app, &c.pudong, id, "sign_for", json!({})),
            act(&app, &c.pudong_lead, id, "sign_for", json!({}))
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let after: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.pudong).await.json().await.unwrap();
        assert_eq!(after["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "sign_for").count(), 1);
        // A stale If-Match fails its precondition (RFC 9110 §13.1.1).
        let stale = app
            .client
            .post(app.url(&format!("/api/v1/tickets/{id}/actions/comment")))
            .bearer_auth(&c.pudong)
            .header("If-Match", "\"v1\"")
            .json(&json!({"text": "迟到的留言"}))
            .send()
            .await
            .unwrap();
        let p = assert_problem(stale, 412).await;
        assert_eq!(p["title"], "内容已被他人更新");
        assert_eq!(p["type"], "urn:yizhan:problem:stale-version");
        // The current version goes through.
        let current = after["version"].as_i64().unwrap();
        let fresh = app
            .client
            .post(app.url(&format!("/api/v1/tickets/{id}/actions/comment")))
            .bearer_auth(&c.pudong)
            .header("If-Match", format!("\"v{current}\""))
            .json(&json!({"text": "按时的留言"}))
            .send()
            .await
            .unwrap();
        assert_eq!(fresh.status(), 200);
    }

    async fn concurrent_filings_get_distinct_numbers_and_retries_are_idempotent(app, &[
        // Filings of one county and day queue on their counter; give them
        // the production pool and wait instead of the harness's small ones.
        ("YIZHAN__DATABASE__POOL_SIZE", "16"),
        ("YIZHAN__DATABASE__CONNECT_TIMEOUT_SECS", "30"),
    ]) {
        let c = cast(&app).await;
        let mut handles = Vec::new();
        for _ in 0..200 {
            let client = app.client.clone();
            let url = app.url("/api/v1/tickets");
            let token = c.enterprise.clone();
            handles.push(tokio::spawn(async move {
                let res = client.post(url).bearer_auth(token).json(&filing()).send().await.unwrap();
                assert_eq!(res.status(), 201);
                res.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_string()
            }));
        }
        let mut numbers = Vec::new();
        for h in handles {
            numbers.push(h.await.unwrap());
        }
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 200);

        let send = || {
            app.client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(&c.enterprise)
                .header("Idempotency-Key", "retry-me-1")
                .json(&filing())
                .send()
        };
        let first = send().await.unwrap();
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        let second = send().await.unwrap();
        assert_eq!(second.status(), 200);
        let mut second: Value = second.json().await.unwrap();
        // The first answer is built from the rows the filing wrote, the
        // repeat's read back: the same ticket, timeline and deadlines.
        let mut first = first;
        for clock in ["sign", "resolve"] {
            assert_eq!(first["clocks"][clock]["due_at"], second["clocks"][clock]["due_at"], "{clock}");
            assert!(first["clocks"][clock]["due_at"].is_string(), "{first}");
        }
        first.as_object_mut().unwrap().remove("clocks");
        second.as_object_mut().unwrap().remove("clocks");
        assert_eq!(first, second);

        // The same key with another body is another problem: refused, and
        // nothing is filed (it would otherwise be lost behind the first).
        let mut other = filing();
        other["title"] = json!("另一件事：物流中断");
        let reused = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&c.enterprise)
            .header("Idempotency-Key", "retry-me-1")
            .json(&other)
            .send()
            .await
            .unwrap();
        let p = assert_problem(reused, 422).await;
        assert!(p["detail"].as_str().unwrap().contains("幂等键"), "{p}");
        let found: Value = app.get_as("/api/v1/tickets?q=%E7%89%A9%E6%B5%81%E4%B8%AD%E6%96%AD", &c.enterprise).await.json().await.unwrap();
        assert!(found["items"].as_array().unwrap().is_empty(), "{found}");
    }
}

each_backend! {
    async fn chinese_substrings_find_tickets(app) {
        let c = cast(&app).await;
        for (title, description) in [
            ("员工无法返岗", "封控区内员工无法返回工厂"),
            ("芯片断供", "集成电路供应商停产，影响整车生产"),
            ("物流受阻", "运输车辆在高速检查站滞留超过 48 小时"),
            ("ECU 控制器缺货", "Bosch 供货中断"),
        ] {
            let mut body = filing();
            body["title"] = json!(title);
            body["description"] = json!(description);
            assert_eq!(app.post_as("/api/v1/tickets", &c.enterprise, &body).await.status(), 201);
        }
        let titles = |v: Value| {
            v["items"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        };
        let search = |q: &str| {
            let url = format!("/api/v1/tickets?q={}", urlencode(q));
            let token = c.supervisor.clone();
            let app = &app;
            async move { app.get_as(&url, &token).await.json::<Value>().await.unwrap() }
        };
        assert_eq!(titles(search("无法返").await), ["员工无法返岗"]);
        assert_eq!(titles(search("整车生产").await), ["芯片断供"], "found in the description");
        assert_eq!(titles(search("检查站").await), ["物流受阻"]);
        assert_eq!(titles(search("断供").await), ["芯片断供"], "two characters still match");
        assert!(titles(search("\"; DROP TABLE tickets; --").await).is_empty());
        assert!(titles(search("100%_").await).is_empty());
        assert_eq!(titles(search("员工").await).len(), 1);
        assert_eq!(titles(search("ecu 控制").await), ["ECU 控制器缺货"], "Latin letters in any case");
        assert_eq!(titles(search("BOSCH").await), ["ECU 控制器缺货"]);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

each_backend! {
    async fn needs_my_action_lists_what_waits_for_the_caller(app) {
        let c = cast(&app).await;
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let count = |token: String| {
            let app = &app;
            async move {
                let v: Value = app.get_as("/api/v1/tickets?needs_action=true", &token).await.json().await.unwrap();
                v["items"].as_array().unwrap().len()
            }
        };
        assert_eq!(count(c.pudong.clone()).await, 1, "to sign for");
        assert_eq!(count(c.enterprise.clone()).await, 0);
        assert_eq!(count(c.huangpu.clone()).await, 0);
        ok(&app, &c.pudong, id, "sign_for", json!({})).await;
        ok(&app, &c.pudong, id, "add_cohandler", json!({"department_id": c.huangpu_dept})).await;
        assert_eq!(count(c.huangpu.clone()).await, 1, "an opinion is owed");
        ok(&app, &c.pudong, id, "request_info", json!({"question": "请补充材料"})).await;
        assert_eq!(count(c.enterprise.clone()).await, 1, "a question to answer");
        assert_eq!(count(c.pudong.clone()).await, 0);
    }
}

each_backend! {
    async fn the_chain_platform_hears_of_its_chains_critical_problems(app) {
        let firm = app.enterprise("南京某整车厂", "320102").await;
        app.user("enterprise", "e@nanjing.cn", None, Some(firm)).await;
        app.user("admin", "admin@chain.cn", None, None).await;
        app.user("officer", "o@miit.cn", Some(1), None).await;
        let platform = app.chain_platform("automotive").await;
        app.user("officer", "o@auto-platform.cn", Some(platform), None).await;
        app.user("officer", "o@nanjing.cn", Some(app.department_of("320100").await), None).await;
        let (admin, miit) = (app.token("admin@chain.cn").await, app.token("o@miit.cn").await);
        let mut record: Value = app.get_as(&format!("/api/v1/enterprises/{firm}"), &admin).await.json().await.unwrap();
        record["chains"] = json!(["automotive"]);
        assert_eq!(app.put_as(&format!("/api/v1/enterprises/{firm}"), &admin, &record).await.status(), 200);
        let listed = app.post_as(&format!("/api/v1/enterprises/{firm}/whitelist"), &miit, &json!({"scope": "national", "batch": 1, "listed_on": "2022-04-18"})).await;
        assert_eq!(listed.status(), 201);
        let me = app.token("e@nanjing.cn").await;
        let mut critical = filing();
        critical["urgency"] = json!("critical");
        let t: Value = app.post_as("/api/v1/tickets", &me, &critical).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        assert_eq!(t["timeline"][0]["detail"]["notify_chain_platform"], true);

        // The city department is asked to sign for it; the platform is told, for information.
        let mail = app.mailbox().await;
        let to_platform = mail.iter().find(|(to, _, _)| to == "o@auto-platform.cn").expect("the platform is told");
        assert!(to_platform.1.starts_with("【一站】抄送知悉"), "{}", to_platform.1);
        assert!(to_platform.2.contains("无需签收"), "{}", to_platform.2);
        let to_city = mail.iter().find(|(to, _, _)| to == "o@nanjing.cn").expect("the city is asked");
        assert!(to_city.1.starts_with("【一站】新诉求待签收"), "{}", to_city.1);
        // And the ticket is in the platform's own queue.
        let queue: Value = app.get_as("/api/v1/tickets", &app.token("o@auto-platform.cn").await).await.json().await.unwrap();
        let ids: Vec<i64> = queue["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [id]);
    }
}

each_backend! {
    async fn routing_rules_decide_where_a_ticket_goes(app) {
        let nanjing_firm = app.enterprise("南京某整车厂", "320102").await;
        app.user("enterprise", "e@nanjing.cn", None, Some(nanjing_firm)).await;
        app.user("admin", "admin@yizhan.cn", None, None).await;
        let (firm, admin) = (app.token("e@nanjing.cn").await, app.token("admin@yizhan.cn").await);
        let file = |body: Value| {
            let (app, firm) = (&app, firm.clone());
            async move {
                let res = app.post_as("/api/v1/tickets", &firm, &body).await;
                assert_eq!(res.status(), 201);
                res.json::<Value>().await.unwrap()
            }
        };
        let (xuanwu, nanjing, jiangsu) = (
            app.department_of("320102").await,
            app.department_of("320100").await,
            app.department_of("320000").await,
        );

        let t = file(filing()).await;
        assert_eq!(t["handling_department_id"], xuanwu, "the county by default");

        let mut logistics = filing();
        logistics["category"] = json!("logistics");
        logistics["regions_involved"] = json!(["310115"]);
        let t = file(logistics).await;
        assert_eq!(t["handling_department_id"], jiangsu, "cross-province logistics");
        assert_eq!(t["timeline"][0]["detail"]["rule_id"], 1);

        // Critical, from a nationally listed enterprise: the city, and the platform hears.
        app.user("officer", "o@miit.cn", Some(1), None).await;
        let miit = app.token("o@miit.cn").await;
        let listed = app
            .post_as(&format!("/api/v1/enterprises/{nanjing_firm}/whitelist"), &miit, &json!({"scope": "national", "batch": 1, "listed_on": "2022-04-18"}))
            .await;
        assert_eq!(listed.status(), 201);
        let mut critical = filing();
        critical["urgency"] = json!("critical");
        let t = file(critical).await;
        assert_eq!(t["handling_department_id"], nanjing);
        assert_eq!(t["whitelisted"], true);
        assert_eq!(t["timeline"][0]["detail"]["notify_chain_platform"], true);

        // An administrator puts a rule first, then disables it.
        let rule = json!({"position": 0, "name": "融资问题由部里办理", "category": "funding", "target_level": "ministry"});
        let created = app.post_as("/api/v1/admin/routing-rules", &admin, &rule).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        let mut funding = filing();
        funding["category"] = json!("funding");
        assert_eq!(file(funding.clone()).await["handling_department_id"], 1);
        let mut off = rule.clone();
        off["enabled"] = json!(false);
        let res = app.put_as(&format!("/api/v1/admin/routing-rules/{}", created["id"]), &admin, &off).await;
        assert_eq!(res.status(), 200);
        assert_eq!(file(funding).await["handling_department_id"], xuanwu);
        let rules: Value = app.get_as("/api/v1/admin/routing-rules", &admin).await.json().await.unwrap();
        assert_eq!(rules.as_array().unwrap().len(), 3);
        let bad = app.post_as("/api/v1/admin/routing-rules", &admin, &json!({"position": 1, "name": "", "target_level": "galaxy"})).await;
        assert_eq!(assert_problem(bad, 422).await["errors"].as_array().unwrap().len(), 2);
        assert_problem(app.get_as("/api/v1/admin/routing-rules", &firm).await, 404).await;
    }
}

const ACTIONS: [&str; 20] = [
    "sign_for",
    "assign",
    "transfer",
    "escalate",
    "take_over",
    "return",
    "add_cohandler",
    "post_opinion",
    "release_cohandler",
    "request_info",
    "provide_info",
    "request_extension",
    "decide_extension",
    "urge",
    "resolve",
    "rate",
    "reopen",
    "reject",
    "withdraw",
    "comment",
];

/// A body that satisfies every action's fields.
fn full_body(dept: i64, assignee: i64) -> Value {
    json!({
        "reason": "理由", "question": "问题", "answer": "答复", "resolution": "办结", "opinion": "意见",
        "note": "备注", "text": "留言", "assignee_id": assignee, "department_id": dept, "working_days": 2,
        "approve": true, "satisfaction": "satisfied", "solved": true
    })
}

each_backend! {
    async fn every_wrong_actor_is_refused_and_the_ticket_stays_as_it_was(app) {
        let c = cast(&app).await;
        let me: Value = app.get_as("/api/v1/me", &c.pudong).await.json().await.unwrap();
        let body = full_body(c.huangpu_dept, me["id"].as_i64().unwrap());
        let people = [
            ("enterprise", &c.enterprise),
            ("other_enterprise", &c.other_enterprise),
            ("pudong", &c.pudong),
            ("pudong_lead", &c.pudong_lead),
            ("huangpu", &c.huangpu),
            ("shanghai", &c.shanghai),
            ("supervisor", &c.supervisor),
            ("jiangsu", &c.jiangsu),
        ];
        // Who may do what to a ticket waiting at Pudong to be signed for.
        let allowed_pending = [
            ("enterprise", "withdraw"), ("enterprise", "comment"),
            ("pudong", "sign_for"), ("pudong", "transfer"), ("pudong", "escalate"), ("pudong", "return"),
            ("pudong", "reject"), ("pudong", "comment"),
            ("pudong_lead", "sign_for"), ("pudong_lead", "transfer"), ("pudong_lead", "escalate"),
            ("pudong_lead", "return"), ("pudong_lead", "reject"), ("pudong_lead", "comment"),
            ("shanghai", "comment"), ("supervisor", "urge"), ("supervisor", "comment"),
        ];
        let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        for (who, token) in people {
            for action in ACTIONS {
                if allowed_pending.contains(&(who, action)) {
                    // Allowed: try it on a ticket of its own.
                    let fresh: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
                    let res = act(&app, token, fresh["id"].as_i64().unwrap(), action, body.clone()).await;
                    assert_eq!(res.status(), 200, "{who} {action}");
                } else {
                    let res = act(&app, token, id, action, body.clone()).await;
                    let status = res.status().as_u16();
                    let expected: &[u16] = if matches!(who, "other_enterprise" | "huangpu" | "jiangsu") { &[404] } else { &[403, 409, 422] };
                    assert!(expected.contains(&status), "{who} {action}: {status}");
                    let now: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &c.pudong).await.json().await.unwrap();
                    assert_eq!((now["version"].as_i64(), now["status"].as_str()), (Some(1), Some("pending_sign")), "{who} {action}");
                }
            }
        }
    }
}

each_backend! {
    async fn a_department_can_assign_automatically(app) {
        let c = cast(&app).await;
        let pudong = app.department_of("310115").await;
        let second = app.user("officer", "o2@pudong.cn", Some(pudong), None).await;
        let first: Value = app.get_as("/api/v1/me", &c.pudong).await.json().await.unwrap();
        let first = first["id"].as_i64().unwrap();
        // Officers may not change the setting; the department's lead may.
        let on = json!({"auto_assign": true});
        assert_problem(app.put_as(&format!("/api/v1/departments/{pudong}/settings"), &c.pudong, &on).await, 404).await;
        assert_problem(app.put_as(&format!("/api/v1/departments/{pudong}/settings"), &c.supervisor, &on).await, 404).await;
        let res = app.put_as(&format!("/api/v1/departments/{pudong}/settings"), &c.pudong_lead, &on).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["auto_assign"], true);

        // Three tickets signed for in turn go to the least-loaded officer.
        let mut assignees = Vec::new();
        for _ in 0..3 {
            let t: Value = app.post_as("/api/v1/tickets", &c.enterprise, &filing()).await.json().await.unwrap();
            let t = ok(&app, &c.pudong_lead, t["id"].as_i64().unwrap(), "sign_for", json!({})).await;
            let last = t["timeline"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(last["action"], "auto_assign");
            assert!(last["actor_id"].is_null(), "the system assigns");
            assignees.push(t["assignee_id"].as_i64().unwrap());
        }
        assert_eq!(assignees, [first, second, first]);
    }
}
