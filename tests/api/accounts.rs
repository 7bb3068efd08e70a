use serde_json::json;

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp, PASSWORD};

/// Accounts across the tree: two enterprises in Pudong, officers of Pudong
/// and its sibling Huangpu, a Shanghai supervisor, a Nanjing city officer and
/// a Xuanwu (Nanjing) county officer, and an administrator.
struct World {
    ent_a: i64,
    ent_b: i64,
    ent_nanjing: i64,
    users: Vec<(&'static str, i64)>,
}

const PEOPLE: [&str; 8] = [
    "a@ent-a.example.cn",
    "b@ent-b.example.cn",
    "officer@pudong.example.cn",
    "officer@huangpu.example.cn",
    "supervisor@shanghai.example.cn",
    "officer@nanjing.example.cn",
    "officer@xuanwu.example.cn",
    "admin@yizhan.example.cn",
];

async fn world(app: &TestApp) -> World {
    let ent_a = app.enterprise("上海甲汽车零部件有限公司", "310115").await;
    let ent_b = app.enterprise("上海乙电子有限公司", "310115").await;
    let ent_nanjing = app.enterprise("南京丙材料有限公司", "320102").await;
    let pudong = app.department_of("310115").await;
    let huangpu = app.department_of("310101").await;
    let shanghai = app.department_of("310000").await;
    let nanjing = app.department_of("320100").await;
    let xuanwu = app.department_of("320102").await;
    let specs: [(&str, Option<i64>, Option<i64>); 8] = [
        ("enterprise", None, Some(ent_a)),
        ("enterprise", None, Some(ent_b)),
        ("officer", Some(pudong), None),
        ("officer", Some(huangpu), None),
        ("supervisor", Some(shanghai), None),
        ("officer", Some(nanjing), None),
        ("officer", Some(xuanwu), None),
        ("admin", None, None),
    ];
    let mut users = Vec::new();
    for (email, (role, dept, ent)) in PEOPLE.iter().zip(specs) {
        users.push((*email, app.user(role, email, dept, ent).await));
    }
    World {
        ent_a,
        ent_b,
        ent_nanjing,
        users,
    }
}

impl World {
    fn id(&self, email: &str) -> i64 {
        self.users.iter().find(|(e, _)| *e == email).unwrap().1
    }
}

each_backend! {
    async fn every_role_sees_exactly_its_own(app) {
        let w = world(&app).await;
        let admin_paths = [
            "/api/v1/admin/users".to_string(),
            "/api/v1/admin/auth-events".to_string(),
        ];
        // (caller, path, expected status)
        let mut expectations: Vec<(&str, String, u16)> = Vec::new();
        let ent = |id: i64| format!("/api/v1/enterprises/{id}");
        let user = |email: &str| format!("/api/v1/users/{}", w.id(email));
        for who in PEOPLE {
            expectations.push((who, "/api/v1/me".into(), 200));
            expectations.push((who, user(who), 200));
            expectations.push((who, "/api/v1/regions/310115".into(), 200));
            let is_admin = who.starts_with("admin");
            for p in &admin_paths {
                expectations.push((who, p.clone(), if is_admin { 200 } else { 404 }));
            }
        }
        let e = [
            // Enterprise A reads itself and its own account, not B.
            ("a@ent-a.example.cn", ent(w.ent_a), 200),
            ("a@ent-a.example.cn", ent(w.ent_b), 404),
            ("a@ent-a.example.cn", user("b@ent-b.example.cn"), 404),
            ("a@ent-a.example.cn", user("officer@pudong.example.cn"), 404),
            ("b@ent-b.example.cn", ent(w.ent_a), 404),
            // Pudong reads its enterprises; its sibling Huangpu does not.
            ("officer@pudong.example.cn", ent(w.ent_a), 200),
            ("officer@huangpu.example.cn", ent(w.ent_a), 404),
            ("officer@huangpu.example.cn", user("officer@pudong.example.cn"), 404),
            ("officer@pudong.example.cn", ent(w.ent_nanjing), 404),
            // The municipality's supervisor reads all of Shanghai.
            ("supervisor@shanghai.example.cn", ent(w.ent_a), 200),
            ("supervisor@shanghai.example.cn", user("officer@huangpu.example.cn"), 200),
            ("supervisor@shanghai.example.cn", ent(w.ent_nanjing), 404),
            // A city officer reads its counties'; the county not its city's.
            ("officer@nanjing.example.cn", ent(w.ent_nanjing), 200),
            ("officer@nanjing.example.cn", user("officer@xuanwu.example.cn"), 200),
            ("officer@xuanwu.example.cn", user("officer@nanjing.example.cn"), 404),
            ("officer@xuanwu.example.cn", ent(w.ent_nanjing), 200),
            // Administrators read every account and enterprise.
            ("admin@yizhan.example.cn", ent(w.ent_nanjing), 200),
            ("admin@yizhan.example.cn", user("a@ent-a.example.cn"), 200),
            // Nothing that does not exist.
            ("admin@yizhan.example.cn", ent(999_999), 404),
        ];
        expectations.extend(e);

        let mut tokens = std::collections::HashMap::new();
        for who in PEOPLE {
            tokens.insert(who, app.token(who).await);
        }
        for (who, path, status) in &expectations {
            let res = app.get_as(path, &tokens[who]).await;
            assert_eq!(res.status().as_u16(), *status, "{who} GET {path}");
            if *status == 404 {
                assert_problem(res, 404).await;
            }
        }
        // Without a token: 401 everywhere that needs one, public data stays public.
        for path in ["/api/v1/me".to_string(), user("a@ent-a.example.cn"), ent(w.ent_a), admin_paths[0].clone()] {
            assert_problem(app.get(&path).await, 401).await;
        }
        assert_eq!(app.get("/api/v1/regions/310115").await.status(), 200);
        // Writes to the admin API by a non-admin are refused as unknown routes.
        let res = app
            .post_as("/api/v1/admin/users", &tokens["officer@pudong.example.cn"], &json!({}))
            .await;
        assert_problem(res, 404).await;
    }

    async fn administrators_manage_accounts(app) {
        let admin = app.user("admin", "root@yizhan.example.cn", None, None).await;
        let token = app.token("root@yizhan.example.cn").await;
        let pudong = app.department_of("310115").await;

        // Every bad field at once.
        let bad = app
            .post_as(
                "/api/v1/admin/users",
                &token,
                &json!({"email": "nope", "display_name": "", "role": "officer", "password": "123"}),
            )
            .await;
        let body = assert_problem(bad, 422).await;
        let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"email") && fields.contains(&"display_name") && fields.contains(&"department_id"), "{fields:?}");

        let created = app
            .post_as(
                "/api/v1/admin/users",
                &token,
                &json!({"email": "Wang.Fang@Pudong.example.cn", "display_name": "王芳", "role": "lead",
                        "department_id": pudong, "password": PASSWORD, "phone": "+86 21 5555 0101"}),
            )
            .await;
        assert_eq!(created.status(), 201);
        let created: serde_json::Value = created.json().await.unwrap();
        assert_eq!(created["email"], "wang.fang@pudong.example.cn");
        let id = created["id"].as_i64().unwrap();

        // E-mail uniqueness ignores case.
        let dup = app
            .post_as(
                "/api/v1/admin/users",
                &token,
                &json!({"email": "WANG.FANG@pudong.example.cn", "display_name": "王芳", "role": "lead",
                        "department_id": pudong, "password": PASSWORD}),
            )
            .await;
        assert_problem(dup, 409).await;

        // Keyset pages.
        for i in 0..3 {
            app.user("officer", &format!("o{i}@pudong.example.cn"), Some(pudong), None).await;
        }
        let page: serde_json::Value = app.get_as("/api/v1/admin/users?limit=2", &token).await.json().await.unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let cursor = page["next_cursor"].as_i64().unwrap();
        let rest: serde_json::Value = app
            .get_as(&format!("/api/v1/admin/users?limit=50&cursor={cursor}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rest["items"].as_array().unwrap().len(), 3);
        assert!(rest["next_cursor"].is_null());
        let leads: serde_json::Value = app.get_as("/api/v1/admin/users?role=lead", &token).await.json().await.unwrap();
        assert_eq!(leads["items"].as_array().unwrap().len(), 1);

        // Deactivation ends sessions at once and blocks log-in.
        let session = app.login("wang.fang@pudong.example.cn").await;
        let access = session["access_token"].as_str().unwrap().to_string();
        assert_eq!(app.get_as("/api/v1/me", &access).await.status(), 200);
        let off = app.post_as(&format!("/api/v1/admin/users/{id}/deactivate"), &token, &json!({})).await;
        assert_eq!(off.status(), 200);
        assert_eq!(app.get_as("/api/v1/me", &access).await.status(), 401);
        let refresh = session["refresh_token"].as_str().unwrap();
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh})).await, 401).await;
        assert_problem(app.login_response("wang.fang@pudong.example.cn", PASSWORD).await, 401).await;
        app.post_as(&format!("/api/v1/admin/users/{id}/activate"), &token, &json!({})).await;
        // Administrators cannot lock themselves out (the API fuzzer did).
        let me: serde_json::Value = app.get_as("/api/v1/me", &token).await.json().await.unwrap();
        let res = app.post_as(&format!("/api/v1/admin/users/{}/deactivate", me["id"]), &token, &json!({})).await;
        assert_eq!(assert_problem(res, 422).await["errors"][0]["field"], "id");
        assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200);

        // A reset password works, and the old one no longer does.
        let reset = app
            .post_as(&format!("/api/v1/admin/users/{id}/password"), &token, &json!({"password": "重置后的密码-2022-春"}))
            .await;
        assert_eq!(reset.status(), 204);
        assert_problem(app.login_response("wang.fang@pudong.example.cn", PASSWORD).await, 401).await;
        assert_eq!(app.login_response("wang.fang@pudong.example.cn", "重置后的密码-2022-春").await.status(), 200);

        // The audit saw it all.
        let events: serde_json::Value = app.get_as("/api/v1/admin/auth-events?limit=500", &token).await.json().await.unwrap();
        let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        for kind in ["user_created", "login_ok", "login_failed", "user_deactivated", "user_activated", "password_reset"] {
            assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
        }
        let reset_event = events.as_array().unwrap().iter().find(|e| e["kind"] == "password_reset").unwrap();
        assert_eq!(reset_event["actor_id"], admin);
        assert_eq!(reset_event["user_id"], id);
    }

    async fn refresh_reuse_and_logout_are_audited(app, &[("YIZHAN__AUTH__REFRESH_REUSE_GRACE_SECS", "0")]) {
        let admin = app.user("admin", "root@yizhan.example.cn", None, None).await;
        let session = app.login("root@yizhan.example.cn").await;
        let first = session["refresh_token"].as_str().unwrap();
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first})).await;
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first})).await;
        let other = app.login("root@yizhan.example.cn").await;
        app.post_json("/api/v1/auth/logout", &json!({"refresh_token": other["refresh_token"]})).await;
        let token = app.token("root@yizhan.example.cn").await;
        let events: serde_json::Value = app
            .get_as(&format!("/api/v1/admin/auth-events?user_id={admin}"), &token)
            .await
            .json()
            .await
            .unwrap();
        let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"refresh_reuse"), "{kinds:?}");
        assert!(kinds.contains(&"logout"), "{kinds:?}");
    }
}

each_backend! {
    async fn a_shared_address_is_throttled_across_accounts(app, &[("YIZHAN__AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS", "6")]) {
        let pudong = app.department_of("310115").await;
        for i in 0..3 {
            app.user("officer", &format!("p{i}@pudong.example.cn"), Some(pudong), None).await;
        }
        // Six failures spread over three accounts: none of them is locked,
        // but the address is.
        for i in 0..6 {
            let email = format!("p{}@pudong.example.cn", i % 3);
            assert_problem(app.login_response(&email, "wrong-password-x").await, 401).await;
        }
        assert_problem(app.login_response("p0@pudong.example.cn", PASSWORD).await, 429).await;
    }
}

each_backend! {
    async fn behind_a_proxy_only_its_own_forwarded_entry_counts(app, &[("YIZHAN__SERVER__TRUST_PROXY_HEADERS", "true")]) {
        app.user("admin", "root@yizhan.example.cn", None, None).await;
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", "6.6.6.6, 10.1.2.3")
            .json(&json!({"email": "root@yizhan.example.cn", "password": "not-it-at-all"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let token = app.token("root@yizhan.example.cn").await;
        let events: serde_json::Value = app.get_as("/api/v1/admin/auth-events", &token).await.json().await.unwrap();
        let failed = events.as_array().unwrap().iter().find(|e| e["kind"] == "login_failed").unwrap();
        assert_eq!(failed["client_address"], "10.1.2.3", "the entry the proxy appended, not the client's claim");
    }
}
