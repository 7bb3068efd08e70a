use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp, PASSWORD};

const DEV_SECRET: &str = yizhan::configuration::DEVELOPMENT_JWT_SECRET;

async fn officer(app: &TestApp) -> (i64, String) {
    let dept = app.department_of("310115").await;
    let id = app
        .user("officer", "li.wei@pudong.example.cn", Some(dept), None)
        .await;
    (id, "li.wei@pudong.example.cn".into())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn forge(claims: serde_json::Value, kid: &str, secret: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.into());
    encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The claims of a real token (its log-in included), to forge from.
fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let mut c: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    c["iat"] = json!(now());
    c["nbf"] = json!(now());
    c["exp"] = json!(now() + 600);
    c
}

each_backend! {
    async fn a_second_use_a_moment_after_rotation_is_refused_without_ending_the_log_in(app, &[("YIZHAN__AUTH__REFRESH_REUSE_GRACE_SECS", "1")]) {
        let (_, email) = officer(&app).await;
        let first = app.login(&email).await["refresh_token"].as_str().unwrap().to_string();
        let rotated: serde_json::Value = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first})).await.json().await.unwrap();
        let second = rotated["refresh_token"].as_str().unwrap().to_string();
        // The same client's concurrent request: refused, the log-in lives on.
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first})).await, 401).await;
        let rotated: serde_json::Value = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": second})).await.json().await.unwrap();
        let third = rotated["refresh_token"].as_str().unwrap().to_string();
        // After the grace: a replayed token, and the whole log-in ends.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first})).await, 401).await;
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": third})).await, 401).await;
    }
}

each_backend! {
    // No grace: any second use is reuse.
    async fn log_in_read_me_refresh_and_log_out(app, &[("YIZHAN__AUTH__REFRESH_REUSE_GRACE_SECS", "0")]) {
        let (id, email) = officer(&app).await;
        let tokens = app.login(&email.to_uppercase()).await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        assert_eq!(tokens["user"]["id"], id);
        let access = tokens["access_token"].as_str().unwrap();
        let me: serde_json::Value = app.get_as("/api/v1/me", access).await.json().await.unwrap();
        assert_eq!(me["email"], email);
        assert_eq!(me["role"], "officer");

        let first = tokens["refresh_token"].as_str().unwrap();
        let rotated = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first})).await;
        assert_eq!(rotated.status(), 200);
        let rotated: serde_json::Value = rotated.json().await.unwrap();
        let second = rotated["refresh_token"].as_str().unwrap();
        assert_ne!(first, second);
        assert_eq!(app.get_as("/api/v1/me", rotated["access_token"].as_str().unwrap()).await.status(), 200);

        // The first token was used: presenting it again is reuse, and the
        // whole family dies, the fresh token included.
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": first})).await, 401).await;
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": second})).await, 401).await;

        // A new log-in, then log-out: its refresh token stops working.
        let again = app.login(&email).await;
        let token = again["refresh_token"].as_str().unwrap();
        let out = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": token})).await;
        assert_eq!(out.status(), 204);
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": token})).await, 401).await;
        // Logging out twice is fine.
        assert_eq!(app.post_json("/api/v1/auth/logout", &json!({"refresh_token": token})).await.status(), 204);
    }

    async fn wrong_passwords_and_unknown_accounts_look_the_same(app) {
        let (_, email) = officer(&app).await;
        let wrong = assert_problem(app.login_response(&email, "not-the-password").await, 401).await;
        let unknown = assert_problem(app.login_response("nobody@example.cn", PASSWORD).await, 401).await;
        assert_eq!(wrong["detail"], unknown["detail"]);
        assert_eq!(wrong["title"], "需要登录");
        assert_problem(app.login_response("not an email", PASSWORD).await, 401).await;
    }

    async fn forged_and_stale_tokens_are_refused(app) {
        let (_, email) = officer(&app).await;
        let good = app.token(&email).await;
        assert_eq!(app.get_as("/api/v1/me", &good).await.status(), 200);
        // Our own forgery with the right key works, so each refusal below is
        // down to the one thing changed.
        assert_eq!(app.get_as("/api/v1/me", &forge(claims_of(&good), "primary", DEV_SECRET)).await.status(), 200);

        let mut tampered = good.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let none = {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            format!(
                "{}.{}.",
                b64.encode(br#"{"alg":"none","typ":"JWT","kid":"primary"}"#),
                b64.encode(claims_of(&good).to_string())
            )
        };
        let mut wrong_aud = claims_of(&good);
        wrong_aud["aud"] = json!("another-service");
        let mut wrong_iss = claims_of(&good);
        wrong_iss["iss"] = json!("someone-else");
        let mut expired = claims_of(&good);
        expired["iat"] = json!(now() - 3600);
        expired["nbf"] = json!(now() - 3600);
        expired["exp"] = json!(now() - 60);
        let mut early = claims_of(&good);
        early["nbf"] = json!(now() + 600);
        early["exp"] = json!(now() + 1200);

        let mut no_log_in = claims_of(&good);
        no_log_in.as_object_mut().unwrap().remove("sid");
        let mut other_log_in = claims_of(&good);
        other_log_in["sid"] = json!("a-log-in-that-never-was");
        let cases = [
            ("no log-in named", forge(no_log_in, "primary", DEV_SECRET)),
            ("a log-in that does not exist", forge(other_log_in, "primary", DEV_SECRET)),
            ("tampered signature", tampered),
            ("alg none", none),
            ("wrong audience", forge(wrong_aud, "primary", DEV_SECRET)),
            ("wrong issuer", forge(wrong_iss, "primary", DEV_SECRET)),
            ("expired", forge(expired, "primary", DEV_SECRET)),
            ("not yet valid", forge(early, "primary", DEV_SECRET)),
            ("unknown key id", forge(claims_of(&good), "other", DEV_SECRET)),
            ("wrong key", forge(claims_of(&good), "primary", "another-secret-of-sufficient-length")),
            ("garbage", "not.a.jwt".into()),
        ];
        for (what, token) in cases {
            let res = app.get_as("/api/v1/me", &token).await;
            assert_eq!(res.status(), 401, "{what}");
            assert_problem(res, 401).await;
        }
        let missing = app.get("/api/v1/me").await;
        assert_problem(missing, 401).await;
    }

    async fn repeated_failures_delay_the_client_then_it_recovers(app) {
        let (_, email) = officer(&app).await;
        for _ in 0..5 {
            assert_problem(app.login_response(&email, "wrong-password-1").await, 401).await;
        }
        // The fifth failure earns this client a first, short delay.
        let res = app.login_response(&email, PASSWORD).await;
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
        let body = assert_problem(res, 429).await;
        assert_eq!(body["title"], "请求过于频繁");

        // Once the delay is over (moved forward in the database) it works again.
        let key = format!("account:{email}|client:127.0.0.1");
        app.db
            .run(move |conn| {
                use diesel::prelude::*;
                use yizhan::storage::schema::login_throttles::dsl;
                let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
                diesel::update(dsl::login_throttles.find(key))
                    .set(dsl::locked_until.eq(Some(past)))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(app.login_response(&email, PASSWORD).await.status(), 200);
    }

    async fn password_change_ends_every_session(app) {
        let (_, email) = officer(&app).await;
        let tokens = app.login(&email).await;
        let access = tokens["access_token"].as_str().unwrap();
        let weak = app
            .post_as("/api/v1/me/password", access, &json!({"current_password": PASSWORD, "new_password": "short"}))
            .await;
        let body = assert_problem(weak, 422).await;
        assert_eq!(body["errors"][0]["field"], "new_password");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("至少 10"));
        let common = app
            .post_as("/api/v1/me/password", access, &json!({"current_password": PASSWORD, "new_password": "1234567890"}))
            .await;
        assert!(assert_problem(common, 422).await["errors"][0]["message"].as_str().unwrap().contains("常见密码"));
        let wrong = app
            .post_as("/api/v1/me/password", access, &json!({"current_password": "nope-nope-nope", "new_password": "新的密码-足够长-2022"}))
            .await;
        assert_eq!(assert_problem(wrong, 422).await["errors"][0]["field"], "current_password");

        // A second second keeps the new tokens' iat apart from the change.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let ok = app
            .post_as("/api/v1/me/password", access, &json!({"current_password": PASSWORD, "new_password": "新的密码-足够长-2022"}))
            .await;
        assert_eq!(ok.status(), 204);
        assert_eq!(app.get_as("/api/v1/me", access).await.status(), 401, "old access token");
        let refresh = tokens["refresh_token"].as_str().unwrap();
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh})).await, 401).await;
        assert_eq!(app.login_response(&email, PASSWORD).await.status(), 401);
        assert_eq!(app.login_response(&email, "新的密码-足够长-2022").await.status(), 200);
    }
}

each_backend! {
    async fn tokens_signed_with_a_retired_key_still_verify(app, &[
        ("YIZHAN_JWT_SECRET", "the-new-signing-secret-after-rotation-2022"),
        ("YIZHAN__AUTH__JWT_KEY_ID", "k2"),
        ("YIZHAN__AUTH__JWT_RETIRED_KEYS", "primary=yizhan-development-secret-do-not-use-in-production"),
    ]) {
        let (_, email) = officer(&app).await;
        let fresh = app.token(&email).await;
        let header = jsonwebtoken::decode_header(&fresh).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k2"));
        assert_eq!(app.get_as("/api/v1/me", &fresh).await.status(), 200);
        let old = forge(claims_of(&fresh), "primary", DEV_SECRET);
        assert_eq!(app.get_as("/api/v1/me", &old).await.status(), 200, "retired key verifies");
        let mislabelled = forge(claims_of(&fresh), "k2", DEV_SECRET);
        assert_eq!(app.get_as("/api/v1/me", &mislabelled).await.status(), 401);
    }
}
