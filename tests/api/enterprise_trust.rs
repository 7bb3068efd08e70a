//! Who speaks for an enterprise (issue 20, findings 2 and 4): joining one on
//! record needs approval, a changed contact is told, only accounts that were
//! there when a problem was filed rate it, and a self-registered enterprise
//! is limited until its county verifies it.

use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, token_in, TestApp, PASSWORD};

async fn code_of(app: &TestApp, id: i64) -> String {
    app.db
        .run(move |conn| {
            Ok(yizhan::storage::enterprises::Enterprise::find(conn, id)?
                .unwrap()
                .credit_code)
        })
        .await
        .unwrap()
}

/// Registers and activates; returns the activation answer.
async fn register_and_activate(
    app: &TestApp,
    code: &str,
    name: &str,
    email: &str,
) -> reqwest::Response {
    let res = app
        .post_json("/api/v1/auth/register", &json!({
            "credit_code": code, "enterprise_name": name, "contact_name": "申请人", "email": email
        }))
        .await;
    assert_eq!(res.status(), 202);
    let mail = app.mailbox().await;
    let link = mail
        .iter()
        .find(|(to, _, _)| to == email)
        .unwrap_or_else(|| panic!("an activation link for {email}: {mail:?}"));
    app.post_json(
        "/api/v1/auth/activate",
        &json!({"token": token_in(&link.2), "password": PASSWORD}),
    )
    .await
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> reqwest::Response {
    app.post_as(
        &format!("/api/v1/tickets/{id}/actions/{action}"),
        token,
        &body,
    )
    .await
}

each_backend! {
    async fn an_officer_cannot_become_an_enterprise_and_rate_its_tickets(app) {
        let saic = app.enterprise("上海汽车集团股份有限公司", "310114").await;
        let code = code_of(&app, saic).await;
        let jiading = app.department_of("310114").await;
        app.user("enterprise", "contact@saic.example.cn", None, Some(saic)).await;
        app.user("officer", "o@jiading.cn", Some(jiading), None).await;
        let owner = app.token("contact@saic.example.cn").await;
        let officer = app.token("o@jiading.cn").await;
        let filed: Value = app.post_as("/api/v1/tickets", &owner, &json!({
            "category": "logistics", "urgency": "urgent", "title": "零部件运输受阻", "description": "运输车辆在检查站滞留。"
        })).await.json().await.unwrap();
        let ticket = filed["id"].as_i64().unwrap();
        assert!(act(&app, &officer, ticket, "sign_for", json!({})).await.status().is_success());
        assert!(act(&app, &officer, ticket, "resolve", json!({"resolution": "已协调放行"})).await.status().is_success());

        // The officer points the enterprise's contact at an address it holds.
        let mut record: Value = app.get_as(&format!("/api/v1/enterprises/{saic}"), &officer).await.json().await.unwrap();
        record["contact_email"] = json!("old@saic.example.cn");
        assert_eq!(app.put_as(&format!("/api/v1/enterprises/{saic}"), &officer, &record).await.status(), 200);
        app.mailbox().await;
        record["contact_email"] = json!("mine@attacker.example.cn");
        assert_eq!(app.put_as(&format!("/api/v1/enterprises/{saic}"), &officer, &record).await.status(), 200);
        // The previous address is told, by whom and to what.
        let told = app.mailbox().await;
        let (_, subject, text) = told.iter().find(|(to, _, _)| to == "old@saic.example.cn").expect("the previous contact is told");
        assert!(subject.contains("联系邮箱已被修改"), "{subject}");
        assert!(text.contains("mine@attacker.example.cn") && text.contains("上海汽车集团股份有限公司"), "{text}");
        // And it is audited.
        app.user("admin", "admin@trust.cn", None, None).await;
        let admin = app.token("admin@trust.cn").await;
        let audit: Value = app.get_as("/api/v1/admin/auth-events?kind=enterprise_contact_changed", &admin).await.json().await.unwrap();
        assert!(audit.to_string().contains("mine@attacker.example.cn"), "{audit}");

        // Registering with it asks to join; it makes no account.
        let res = register_and_activate(&app, &code, "上海汽车集团股份有限公司", "mine@attacker.example.cn").await;
        assert_eq!(res.status(), 202);
        assert_problem(app.login_response("mine@attacker.example.cn", PASSWORD).await, 401).await;
        // The enterprise's own account is asked, and refuses.
        let asked = app.mailbox().await;
        assert!(asked.iter().any(|(to, subject, _)| to == "contact@saic.example.cn" && subject.contains("申请")), "{asked:?}");
        let pending: Value = app.get_as("/api/v1/join-requests", &owner).await.json().await.unwrap();
        assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
        let request = pending[0]["id"].as_i64().unwrap();
        // Nobody else decides it: not the officer, not an administrator.
        assert_problem(app.post_as(&format!("/api/v1/join-requests/{request}/approve"), &officer, &json!({})).await, 404).await;
        assert_problem(app.post_as(&format!("/api/v1/join-requests/{request}/approve"), &admin, &json!({})).await, 404).await;
        let refused = app.post_as(&format!("/api/v1/join-requests/{request}/refuse"), &owner, &json!({})).await;
        assert_eq!(refused.status(), 200);
        assert_problem(app.post_as(&format!("/api/v1/join-requests/{request}/approve"), &owner, &json!({})).await, 409).await;
        assert_problem(app.login_response("mine@attacker.example.cn", PASSWORD).await, 401).await;
        let told = app.mailbox().await;
        assert!(told.iter().any(|(to, subject, _)| to == "mine@attacker.example.cn" && subject.contains("未获批准")), "{told:?}");

        // A colleague the enterprise approves may log in, but cannot rate
        // what was filed before it joined.
        let res = register_and_activate(&app, &code, "上海汽车集团股份有限公司", "colleague@saic.example.cn").await;
        assert_eq!(res.status(), 202);
        let pending: Value = app.get_as("/api/v1/join-requests", &owner).await.json().await.unwrap();
        let request = pending[0]["id"].as_i64().unwrap();
        assert_eq!(app.post_as(&format!("/api/v1/join-requests/{request}/approve"), &owner, &json!({})).await.status(), 200);
        let colleague = app.token("colleague@saic.example.cn").await;
        let res = act(&app, &colleague, ticket, "rate", json!({"satisfaction": "satisfied", "solved": true})).await;
        let p = assert_problem(res, 403).await;
        assert!(p["detail"].as_str().unwrap().contains("之后才加入"), "{p}");
        // The account that was there rates it, and the rating names it.
        let rated = act(&app, &owner, ticket, "rate", json!({"satisfaction": "satisfied", "solved": true})).await;
        assert_eq!(rated.status(), 200);
        let by: Vec<i64> = app.db.run(move |conn| {
            Ok(yizhan::storage::ratings::TicketRating::of_ticket(conn, ticket)?.into_iter().map(|r| r.rated_by).collect())
        }).await.unwrap();
        let owner_id = app.get_as("/api/v1/me", &owner).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        assert_eq!(by, [owner_id]);
    }

    async fn without_accounts_the_county_lead_decides_but_never_the_one_who_changed_the_contact(app) {
        let firm = app.enterprise("上海某精密部件有限公司", "310114").await;
        let code = code_of(&app, firm).await;
        let jiading = app.department_of("310114").await;
        app.user("lead", "lead1@jiading.cn", Some(jiading), None).await;
        app.user("lead", "lead2@jiading.cn", Some(jiading), None).await;
        app.user("lead", "lead@pudong.cn", Some(app.department_of("310115").await), None).await;
        let lead1 = app.token("lead1@jiading.cn").await;
        let lead2 = app.token("lead2@jiading.cn").await;
        let pudong = app.token("lead@pudong.cn").await;
        // Someone who is not the contact is ignored outright.
        let res = app.post_json("/api/v1/auth/register", &json!({
            "credit_code": code, "enterprise_name": "上海某精密部件有限公司", "contact_name": "冒名者", "email": "someone@example.cn"
        })).await;
        assert_eq!(res.status(), 202);
        assert!(app.mailbox().await.is_empty());

        let mut record: Value = app.get_as(&format!("/api/v1/enterprises/{firm}"), &lead1).await.json().await.unwrap();
        record["contact_email"] = json!("boss@precision.example.cn");
        assert_eq!(app.put_as(&format!("/api/v1/enterprises/{firm}"), &lead1, &record).await.status(), 200);
        app.mailbox().await;
        let res = register_and_activate(&app, &code, "上海某精密部件有限公司", "boss@precision.example.cn").await;
        assert_eq!(res.status(), 202);
        let asked = app.mailbox().await;
        let recipients: Vec<&str> = asked.iter().map(|(to, _, _)| to.as_str()).collect();
        assert_eq!(recipients, ["lead2@jiading.cn"], "the other lead is asked, not the one who changed the contact");
        // The lead who changed the contact neither sees nor decides it; nor does another county.
        assert!(app.get_as("/api/v1/join-requests", &lead1).await.json::<Value>().await.unwrap().as_array().unwrap().is_empty());
        assert!(app.get_as("/api/v1/join-requests", &pudong).await.json::<Value>().await.unwrap().as_array().unwrap().is_empty());
        let pending: Value = app.get_as("/api/v1/join-requests", &lead2).await.json().await.unwrap();
        let request = pending[0]["id"].as_i64().unwrap();
        assert_problem(app.post_as(&format!("/api/v1/join-requests/{request}/approve"), &lead1, &json!({})).await, 404).await;
        assert_eq!(app.post_as(&format!("/api/v1/join-requests/{request}/approve"), &lead2, &json!({})).await.status(), 200);
        assert_eq!(app.login_response("boss@precision.example.cn", PASSWORD).await.status(), 200);
        let told = app.mailbox().await;
        assert!(told.iter().any(|(to, subject, _)| to == "boss@precision.example.cn" && subject.contains("已获批准")), "{told:?}");
    }

    async fn a_code_on_record_is_not_registered_under_another_name(app) {
        let id = app.enterprise("上海汽车集团股份有限公司", "310114").await;
        let code = code_of(&app, id).await;
        let res = app.post_json("/api/v1/auth/register", &json!({
            "credit_code": code, "enterprise_name": "上海汽车集团股份有限公司（分公司）", "contact_name": "李", "email": "li@example.cn"
        })).await;
        let p = assert_problem(res, 422).await;
        assert_eq!(p["errors"][0]["field"], "enterprise_name");
        assert!(app.mailbox().await.is_empty());
    }

    async fn a_self_registered_enterprise_is_limited_until_its_county_verifies_it(app) {
        let code = crate::helpers::credit_code("91310114MA1K4X7Q2");
        let res = register_and_activate(&app, &code, "上海新注册汽车配件有限公司", "new@parts.example.cn").await;
        assert_eq!(res.status(), 201);
        let me = app.token("new@parts.example.cn").await;
        let user: Value = app.get_as("/api/v1/me", &me).await.json().await.unwrap();
        let firm = user["enterprise_id"].as_i64().unwrap();
        let e: Value = app.get_as(&format!("/api/v1/enterprises/{firm}"), &me).await.json().await.unwrap();
        assert_eq!(e["verification"], "unverified");

        let problem = |urgency: &str, n: usize| json!({
            "category": "logistics", "urgency": urgency, "title": format!("运输受阻 {n}"), "description": "车辆滞留。"
        });
        let p = assert_problem(app.post_as("/api/v1/tickets", &me, &problem("critical", 0)).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "urgency");
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("核验"), "{p}");
        for n in 1..=3 {
            assert_eq!(app.post_as("/api/v1/tickets", &me, &problem("normal", n)).await.status(), 201);
        }
        let p = assert_problem(app.post_as("/api/v1/tickets", &me, &problem("normal", 4)).await, 422).await;
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("最多 3 件"), "{p}");

        // Its county's officer finds it in the queue and verifies it; another county cannot.
        let jiading = app.department_of("310114").await;
        app.user("officer", "o@jiading.cn", Some(jiading), None).await;
        app.user("officer", "o@pudong.cn", Some(app.department_of("310115").await), None).await;
        let officer = app.token("o@jiading.cn").await;
        let other = app.token("o@pudong.cn").await;
        let queue: Value = app.get_as("/api/v1/enterprises?verification=unverified", &officer).await.json().await.unwrap();
        let ids: Vec<i64> = queue["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [firm]);
        assert_problem(app.post_as(&format!("/api/v1/enterprises/{firm}/verify"), &other, &json!({})).await, 404).await;
        let verified = app.post_as(&format!("/api/v1/enterprises/{firm}/verify"), &officer, &json!({})).await;
        assert_eq!(verified.status(), 200);
        assert_eq!(verified.json::<Value>().await.unwrap()["verification"], "verified");
        assert!(app.get_as("/api/v1/enterprises?verification=unverified", &officer).await.json::<Value>().await.unwrap()["items"].as_array().unwrap().is_empty());
        assert_eq!(app.post_as("/api/v1/tickets", &me, &problem("critical", 5)).await.status(), 201);
    }

    async fn filing_is_rate_limited_per_account(app, &[("YIZHAN__FILING__PER_ACCOUNT_PER_MINUTE", "3")]) {
        let firm = app.enterprise("上海某公司", "310115").await;
        app.user("enterprise", "e@rate.cn", None, Some(firm)).await;
        let me = app.token("e@rate.cn").await;
        let body = json!({"category": "logistics", "urgency": "urgent", "title": "运输受阻", "description": "车辆滞留。"});
        for _ in 0..3 {
            assert_eq!(app.post_as("/api/v1/tickets", &me, &body).await.status(), 201);
        }
        let res = app.post_as("/api/v1/tickets", &me, &body).await;
        let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=20).contains(&wait), "{wait}");
        assert_problem(res, 429).await;
    }

    async fn the_pages_decide_joins_and_verify_enterprises(app) {
        // A self-registered enterprise, and someone asking to join it.
        let code = crate::helpers::credit_code("91310114MA1K4X7Q5");
        assert_eq!(register_and_activate(&app, &code, "上海新注册汽车配件有限公司", "first@parts.example.cn").await.status(), 201);
        assert_eq!(register_and_activate(&app, &code, "上海新注册汽车配件有限公司", "second@parts.example.cn").await.status(), 202);

        let first = crate::browser::Browser::new(&app);
        first.login("first@parts.example.cn").await;
        let portal = first.get("/portal").await;
        assert!(portal.html.contains("等待所在县级工业和信息化主管部门核验"), "{}", portal.html);
        assert!(portal.html.contains("href=\"/join-requests\""));
        let form = first.get("/tickets/new").await;
        assert!(!form.html.contains("value=\"critical\""), "no critical choice while unverified");
        let list = first.get("/join-requests").await;
        assert!(list.html.contains("second@parts.example.cn"), "{}", list.html);
        let id = {
            let at = list.html.find("/join-requests/").unwrap() + "/join-requests/".len();
            list.html[at..].split('/').next().unwrap().to_string()
        };
        let done = first.post(&format!("/join-requests/{id}/approve"), &[]).await;
        assert_eq!(done.status, 303);
        let after = first.get(done.location.as_deref().unwrap()).await;
        assert!(after.html.contains("已批准"), "{}", after.html);
        assert!(!after.html.contains("second@parts.example.cn"));
        assert_eq!(app.login_response("second@parts.example.cn", PASSWORD).await.status(), 200);

        let jiading = app.department_of("310114").await;
        app.user("officer", "o@jiading.cn", Some(jiading), None).await;
        let officer = crate::browser::Browser::new(&app);
        officer.login("o@jiading.cn").await;
        let queue = officer.get("/verifications").await;
        assert!(queue.html.contains("上海新注册汽车配件有限公司") && queue.html.contains(&code), "{}", queue.html);
        let at = queue.html.find("action=\"/verifications/").unwrap() + "action=\"/verifications/".len();
        let firm = queue.html[at..].split('"').next().unwrap().to_string();
        let done = officer.post(&format!("/verifications/{firm}"), &[]).await;
        assert_eq!(done.status, 303);
        let after = officer.get(done.location.as_deref().unwrap()).await;
        assert!(after.html.contains("已核验：上海新注册汽车配件有限公司"), "{}", after.html);
        assert!(after.html.contains("目前没有待核验的企业"));
        assert!(first.get("/tickets/new").await.html.contains("value=\"critical\""));
    }
}
