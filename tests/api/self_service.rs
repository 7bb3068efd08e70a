//! Accounts by e-mail link: enterprise self-registration with activation,
//! and password reset. Mail goes through the outbox to `.eml` files.

use chrono::Duration;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, token_in, TestApp, PASSWORD};

async fn outbox_params(app: &TestApp) -> Vec<String> {
    app.db
        .run(|conn| {
            use diesel::prelude::*;
            use yizhan::storage::schema::outbox_messages::dsl::*;
            Ok(outbox_messages.select(params).load::<String>(conn)?)
        })
        .await
        .unwrap()
}

each_backend! {
    async fn an_enterprise_registers_by_e_mail_and_activates_its_account(app) {
        let bad = app.post_json("/api/v1/auth/register", &json!({
            "credit_code": "91310115591693856B", "enterprise_name": "", "contact_name": "王经理", "email": "nope"
        })).await;
        let p = assert_problem(bad, 422).await;
        let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields.len(), 3, "{p}");
        assert!(fields.contains(&"credit_code") && fields.contains(&"enterprise_name") && fields.contains(&"email"));

        let form = json!({
            "credit_code": "91310115591693856A", "enterprise_name": "上海某汽车零部件有限公司",
            "contact_name": "王经理", "email": "Wang@Parts.example.cn", "phone": "021-5888 0000"
        });
        let res = app.post_json("/api/v1/auth/register", &form).await;
        assert_eq!(res.status(), 202);
        let mail = app.mailbox().await;
        assert_eq!(mail.len(), 1);
        let (to, subject, text) = &mail[0];
        assert_eq!(to, "wang@parts.example.cn");
        assert_eq!(subject, "【一站】请激活您的企业账号");
        assert!(text.contains("上海某汽车零部件有限公司") && text.contains("/account/activate?token="), "{text}");
        let token = token_in(text);
        // The link is a credential: once sent, the outbox forgets it.
        assert!(outbox_params(&app).await.iter().all(|p| !p.contains(&token)));

        // Nothing exists before activation.
        assert_eq!(app.login_response("wang@parts.example.cn", PASSWORD).await.status(), 401);
        let weak = app.post_json("/api/v1/auth/activate", &json!({"token": token, "password": "123456"})).await;
        assert_eq!(assert_problem(weak, 422).await["errors"][0]["field"], "password");
        let res = app.post_json("/api/v1/auth/activate", &json!({"token": token, "password": PASSWORD})).await;
        assert_eq!(res.status(), 201);
        let user: Value = res.json().await.unwrap();
        assert_eq!(user["role"], "enterprise");
        let again = app.post_json("/api/v1/auth/activate", &json!({"token": token, "password": PASSWORD})).await;
        assert_eq!(assert_problem(again, 422).await["errors"][0]["field"], "token");

        let me = app.token("wang@parts.example.cn").await;
        let e: Value = app.get_as(&format!("/api/v1/enterprises/{}", user["enterprise_id"]), &me).await.json().await.unwrap();
        assert_eq!((e["name"].as_str(), e["county_code"].as_str()), (Some("上海某汽车零部件有限公司"), Some("310115")));
        assert_eq!(e["contact_email"], "wang@parts.example.cn");

        // A taken address: the same answer, and no mail.
        let res = app.post_json("/api/v1/auth/register", &form).await;
        assert_eq!(res.status(), 202);
        assert!(app.mailbox().await.is_empty());
        // Someone else may ask to join the enterprise (its account decides;
        // see enterprise_trust.rs): the link proves the address only.
        let mut other = form.clone();
        other["email"] = json!("colleague@example.cn");
        assert_eq!(app.post_json("/api/v1/auth/register", &other).await.status(), 202);
        let mail = app.mailbox().await;
        assert_eq!(mail.len(), 1);
        let joined = app.post_json("/api/v1/auth/activate", &json!({"token": token_in(&mail[0].2), "password": PASSWORD})).await;
        assert_eq!(joined.status(), 202);
        assert_eq!(app.login_response("colleague@example.cn", PASSWORD).await.status(), 401);
    }

    async fn a_forgotten_password_is_reset_by_a_single_use_link(app) {
        let county = app.department_of("310115").await;
        app.user("officer", "o@pudong.example.cn", Some(county), None).await;
        let session = app.login("o@pudong.example.cn").await;

        let unknown = app.post_json("/api/v1/auth/password-reset", &json!({"email": "nobody@example.cn"})).await;
        assert_eq!(unknown.status(), 202);
        let unknown: Value = unknown.json().await.unwrap();
        let known = app.post_json("/api/v1/auth/password-reset", &json!({"email": "O@pudong.example.cn"})).await;
        assert_eq!(known.status(), 202);
        let known: Value = known.json().await.unwrap();
        assert_eq!(unknown, known);
        assert_problem(app.post_json("/api/v1/auth/password-reset", &json!({"email": "x"})).await, 422).await;

        let mail = app.mailbox().await;
        assert_eq!(mail.len(), 1);
        let (to, subject, text) = &mail[0];
        assert_eq!((to.as_str(), subject.as_str()), ("o@pudong.example.cn", "【一站】重置密码"));
        let token = token_in(text);

        let weak = app.post_json("/api/v1/auth/password-reset/confirm", &json!({"token": token, "password": "abc"})).await;
        assert_eq!(assert_problem(weak, 422).await["errors"][0]["field"], "password");
        let new_password = "Fresh-Start-2022!";
        let res = app.post_json("/api/v1/auth/password-reset/confirm", &json!({"token": token, "password": new_password})).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.login_response("o@pudong.example.cn", PASSWORD).await.status(), 401);
        assert_eq!(app.login_response("o@pudong.example.cn", new_password).await.status(), 200);
        // Every session from before ends.
        let refreshed = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": session["refresh_token"]})).await;
        assert_eq!(refreshed.status(), 401);
        let reuse = app.post_json("/api/v1/auth/password-reset/confirm", &json!({"token": token, "password": "Another-Try-2022!"})).await;
        assert_eq!(assert_problem(reuse, 422).await["errors"][0]["field"], "token");

        // A link older than 30 minutes no longer works.
        app.post_json("/api/v1/auth/password-reset", &json!({"email": "o@pudong.example.cn"})).await;
        let token = token_in(&app.mailbox().await[0].2);
        app.clock.advance(Duration::minutes(31));
        let late = app.post_json("/api/v1/auth/password-reset/confirm", &json!({"token": token, "password": "Another-Try-2022!"})).await;
        assert_eq!(assert_problem(late, 422).await["errors"][0]["field"], "token");
    }
}

/// The path and query of the link in a message's text.
fn link_in(text: &str, base: &str) -> String {
    let start = text.find(base).expect("a link") + base.len();
    text[start..].split_whitespace().next().unwrap().to_string()
}

async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let p = crate::browser::Browser::new(app).post(path, fields).await;
    (p.status, p.html)
}

each_backend! {
    async fn the_e_mailed_links_open_pages_that_finish_the_job(app) {
        let base = app.settings.server.base_url.clone();
        app.post_json("/api/v1/auth/register", &json!({
            "credit_code": "91310115591693856A", "enterprise_name": "上海某汽车零部件有限公司",
            "contact_name": "王经理", "email": "wang@parts.example.cn"
        })).await;
        let link = link_in(&app.mailbox().await[0].2, &base);
        assert!(link.starts_with("/account/activate?token="), "{link}");
        let token = token_in(&link);

        let res = app.get(&link).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        let html = res.text().await.unwrap();
        assert!(html.contains("激活企业账号") && html.contains(&format!("value=\"{token}\"")), "{html}");
        assert!(html.contains("<label for=\"password\">"));
        let english = app.get(&format!("{link}&lang=en")).await.text().await.unwrap();
        assert!(english.contains("Activate your enterprise account"));
        assert_eq!(app.get("/account/activate").await.status(), 400);

        let (status, html) = form(&app, "/account/activate", &[("token", &token), ("password", PASSWORD), ("confirm", "other")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("两次输入的密码不一致"), "{html}");
        let (status, html) = form(&app, "/account/activate", &[("token", &token), ("password", "password"), ("confirm", "password")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("role=\"alert\""), "{html}");
        let (status, html) = form(&app, "/account/activate", &[("token", &token), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
        assert_eq!(status, 200);
        assert!(html.contains("账号已激活"), "{html}");
        assert_eq!(app.login_response("wang@parts.example.cn", PASSWORD).await.status(), 200);

        // Forgot the password: ask on a page, follow the link, set a new one.
        assert_eq!(app.get("/account/forgot-password").await.status(), 200);
        let (status, html) = form(&app, "/account/forgot-password", &[("email", "\"><script>alert(1)</script>")]).await;
        assert_eq!(status, 422);
        assert!(!html.contains("<script>alert(1)") && html.contains("&#34;&#62;&#60;script&#62;"), "{html}");
        let (status, html) = form(&app, "/account/forgot-password", &[("email", "wang@parts.example.cn")]).await;
        assert_eq!(status, 200);
        assert!(html.contains("请查收邮件"));
        let link = link_in(&app.mailbox().await[0].2, &base);
        assert!(link.starts_with("/account/reset-password?token="), "{link}");
        assert!(app.get(&link).await.text().await.unwrap().contains("设置新密码"));
        let token = token_in(&link);
        let fresh = "Fresh-Start-2022!";
        let (status, html) = form(&app, "/account/reset-password", &[("token", &token), ("password", fresh), ("confirm", fresh)]).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("新密码已生效"));
        let (status, html) = form(&app, "/account/reset-password", &[("token", &token), ("password", fresh), ("confirm", fresh)]).await;
        assert_eq!(status, 422);
        assert!(html.contains("链接无效、已使用或已过期"));
        assert_eq!(app.login_response("wang@parts.example.cn", fresh).await.status(), 200);
        let css = app.get("/static/yizhan.css").await;
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    }
}

each_backend! {
    async fn nobody_joins_an_enterprise_on_record_without_being_its_contact(app) {
        // On record (imported or entered by staff) with no contact e-mail.
        let id = app.enterprise("苏州某精密部件有限公司", "320506").await;
        let code = app.db.run(move |conn| {
            Ok(yizhan::storage::enterprises::Enterprise::find(conn, id)?.unwrap().credit_code)
        }).await.unwrap();
        let res = app.post_json("/api/v1/auth/register", &json!({
            "credit_code": code, "enterprise_name": "苏州某精密部件有限公司",
            "contact_name": "冒名者", "email": "someone@example.cn"
        })).await;
        assert_eq!(res.status(), 202);
        assert!(app.mailbox().await.is_empty());
    }

    async fn the_reset_page_is_rate_limited_per_client(app, &[("YIZHAN__SERVER__PUBLIC_CHECK_PER_MINUTE", "2")]) {
        for _ in 0..2 {
            let (status, _) = form(&app, "/account/forgot-password", &[("email", "a@example.cn")]).await;
            assert_eq!(status, 200);
        }
        let (status, html) = form(&app, "/account/forgot-password", &[("email", "a@example.cn")]).await;
        assert_eq!(status, 429);
        assert!(html.contains("请求过于频繁"), "{html}");
    }
}
