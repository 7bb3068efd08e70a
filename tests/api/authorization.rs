//! The authorization sweep: every operation the OpenAPI document lists,
//! read from the running service (so a new route is swept the day it is
//! added), called without a token and as each role. Without a token every
//! operation that declares the bearer scheme answers 401; the
//! administration operations answer 404 to everyone `may_administer`
//! refuses, before any body is read.

use reqwest::Method;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::TestApp;

/// The path with its parameters filled in; ids of nothing, so that the
/// administrator's calls change no one the sweep is made with.
fn concrete(path: &str) -> String {
    path.replace("{code}", "310115")
        .replace("{id}", "999999")
        .replace("{year}", "2026")
        .replace("{kind}", "enterprises")
        .replace("{locale}", "zh-CN")
        .replace("{action}", "sign_for")
        .replace("{name}", "normal")
}

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = app.client.request(method.clone(), app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if method == Method::POST || method == Method::PUT {
        req = req.json(&json!({}));
    }
    req.send().await.expect("an answer")
}

fn is_problem(res: &reqwest::Response) -> bool {
    res.headers().get("content-type").is_some_and(|v| {
        v.to_str()
            .unwrap_or("")
            .starts_with("application/problem+json")
    })
}

each_backend! {
    async fn every_operation_is_guarded_as_the_document_and_the_authorization_module_say(app) {
        let doc: Value = app.get_json("/api/openapi.json").await;
        let firm = app.enterprise("上海某汽车零部件有限公司", "310115").await;
        let pudong = app.department_of("310115").await;
        let shanghai = app.department_of("310000").await;
        let people = [
            ("enterprise", "e@sweep.cn", None, Some(firm)),
            ("officer", "o@sweep.cn", Some(pudong), None),
            ("lead", "l@sweep.cn", Some(pudong), None),
            ("supervisor", "s@sweep.cn", Some(shanghai), None),
            ("admin", "a@sweep.cn", None, None),
            // Staff of another province.
            ("officer", "o@wuzhong.cn", Some(app.department_of("320506").await), None),
            ("supervisor", "s@jiangsu.cn", Some(app.department_of("320000").await), None),
        ];
        let mut roles = Vec::new();
        for (role, email, dept, ent) in people {
            app.user(role, email, dept, ent).await;
            let token = app.token(email).await;
            let (caller, _) = app.auth.authenticate(&token).await.unwrap();
            roles.push((role, token, yizhan::domain::access::may_administer(&caller), caller));
        }
        assert_eq!(roles.iter().filter(|r| r.2).count(), 1, "only the administrator administers");

        // One ticket and its enterprise, read by each role: 200 where the
        // authorization module allows it, 404 where it does not.
        let filed = app.post_as("/api/v1/tickets", &roles[0].1, &json!({
            "category": "logistics", "urgency": "urgent", "title": "货车滞留", "description": "高速口封闭，货车无法进园。"
        })).await;
        assert_eq!(filed.status(), 201);
        let ticket: Value = filed.json().await.unwrap();
        let id = ticket["id"].as_i64().unwrap();
        let facts = app.db.run(move |conn| Ok(yizhan::services::tickets::load(conn, id)?)).await.unwrap().unwrap().facts;
        let firm_facts = yizhan::domain::access::EnterpriseFacts {
            id: firm,
            county: yizhan::domain::region::RegionCode::parse("310115").unwrap(),
            chains: Vec::new(),
        };
        let mut refused = 0;
        for (role, token, _, caller) in &roles {
            for (url, may) in [
                (format!("/api/v1/tickets/{id}"), yizhan::domain::access::may_read_ticket(caller, &facts)),
                (format!("/api/v1/tickets/{id}/actions"), yizhan::domain::access::may_read_ticket(caller, &facts)),
                (format!("/api/v1/enterprises/{firm}"), yizhan::domain::access::may_read_enterprise(caller, &firm_facts)),
                (format!("/api/v1/tickets/{id}/filer"), yizhan::domain::access::may_read_ticket(caller, &facts)
                    && yizhan::domain::access::may_see_filer(caller, &facts)),
                (format!("/api/v1/departments/{pudong}/robots"), yizhan::domain::access::may_change_department_settings(caller, pudong)),
                (format!("/api/v1/enterprises/{firm}/sms-mobile"), yizhan::domain::access::may_set_sms_mobile(caller, firm, &firm_facts.county)),
            ] {
                let res = app.get_as(&url, token).await;
                assert_eq!(res.status().as_u16(), if may { 200 } else { 404 }, "{url} as {role}");
                refused += usize::from(!may);
            }
        }
        assert!(refused >= 4, "the other province's staff, and the administrator for the ticket: {refused}");

        let mut swept = 0;
        let mut public = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let url = concrete(path);
                let guarded = op["security"].as_array().is_some_and(|s| !s.is_empty());
                let res = call(&app, method, &url, None).await;
                let status = res.status().as_u16();
                assert!(status < 500, "{method} {url} without a token: {status}");
                if guarded {
                    assert_eq!(status, 401, "{method} {url} declares the bearer scheme");
                    assert!(is_problem(&res), "{method} {url}: a problem document");
                } else {
                    assert_ne!(status, 401, "{method} {url} is documented as public");
                    public.push(format!("{method} {path}"));
                }
                if path.starts_with("/api/v1/admin/") {
                    assert!(guarded, "{method} {path}: administration without the bearer scheme");
                    for (role, token, administers, _) in &roles {
                        let res = call(&app, method, &url, Some(token)).await;
                        let status = res.status().as_u16();
                        assert!(status < 500, "{method} {url} as {role}: {status}");
                        if !administers {
                            assert_eq!(status, 404, "{method} {url} as {role}");
                            assert!(is_problem(&res), "{method} {url} as {role}");
                        } else {
                            assert_ne!(status, 401, "{method} {url} as {role}");
                        }
                    }
                }
                swept += 1;
            }
        }
        assert!(swept >= 61, "{swept} operations");
        // What may be called without a token, by name: a route added to
        // this list is a decision, not an accident.
        public.sort();
        assert_eq!(
            public,
            [
                "get /api/v1/categories",
                "get /api/v1/chains",
                "get /api/v1/departments/{id}",
                "get /api/v1/regions",
                "get /api/v1/regions/{code}",
                "get /api/v1/whitelist/check",
                "get /healthz",
                "get /metrics",
                "get /readyz",
                "post /api/v1/auth/activate",
                "post /api/v1/auth/login",
                "post /api/v1/auth/logout",
                "post /api/v1/auth/password-reset",
                "post /api/v1/auth/password-reset/confirm",
                "post /api/v1/auth/refresh",
                "post /api/v1/auth/register",
                "post /api/v1/regions/lookup",
            ]
        );
    }
}
