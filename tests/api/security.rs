//! The findings of the hostile probe (issue 20), one test each: every one
//! failed on the code before its fix. See docs/security.md.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp, PASSWORD};

fn host_port(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

/// Sends raw request head bytes and returns whatever the server answers
/// within `wait` (the status line is enough).
fn raw_exchange(app: &TestApp, head: &str, body_prefix: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(host_port(app)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body_prefix).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).to_string()
}

async fn officer(app: &TestApp, email: &str, county: &str) -> String {
    let dept = app.department_of(county).await;
    app.user("officer", email, Some(dept), None).await;
    app.token(email).await
}

each_backend! {
    async fn an_over_limit_content_length_is_refused_before_the_body_is_read(app) {
        let token = officer(&app, "o@limits.cn", "310115").await;
        let head = format!(
            "POST /api/v1/tickets/1/actions/comment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            63 * 1024 * 1024
        );
        let (app_ref, head2) = (&app, head.clone());
        // Only a few bytes of the 63 MiB are ever sent: the answer must not
        // wait for the rest.
        let answer = tokio::task::block_in_place(|| {
            raw_exchange(app_ref, &head2, b"{\"note\":\"", Duration::from_secs(5))
        });
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("application/problem+json"), "{answer}");
    }

    async fn a_chunked_body_is_cut_off_at_the_limit(app) {
        let token = officer(&app, "o@chunks.cn", "310115").await;
        let addr = host_port(&app);
        let (answered_after, answer, closed_after) = tokio::task::block_in_place(move || {
            use std::sync::atomic::{AtomicUsize, Ordering};
            use std::sync::{Arc, Mutex};
            use std::time::Instant;
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
            let written = Arc::new(AtomicUsize::new(0));
            let answered_at: Arc<Mutex<Option<Instant>>> = Arc::default();
            // A reader notes how much had been sent when the answer came.
            let reader = {
                let mut r = s.try_clone().unwrap();
                r.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let (written, answered_at) = (written.clone(), answered_at.clone());
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 4096];
                    let n = r.read(&mut buf).unwrap_or(0);
                    *answered_at.lock().unwrap() = Some(Instant::now());
                    (written.load(Ordering::SeqCst), String::from_utf8_lossy(&buf[..n]).to_string())
                })
            };
            let head = format!(
                "POST /api/v1/tickets/1/actions/comment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            );
            s.write_all(head.as_bytes()).unwrap();
            let chunk = vec![b' '; 64 * 1024];
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            // Keep sending for up to 8 s: the service must answer early and
            // then stop reading (close), not drain the body to its end.
            let started = Instant::now();
            let mut closed_at = None;
            while started.elapsed() < Duration::from_secs(8) {
                if s.write_all(&framed).is_err() {
                    closed_at = Some(Instant::now());
                    break;
                }
                written.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            let (answered_after, answer) = reader.join().unwrap();
            let answered = answered_at.lock().unwrap().expect("an answer");
            (answered_after, answer, closed_at.map(|c| c.saturating_duration_since(answered)))
        });
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("connection: close"), "{answer}");
        assert!(
            answered_after < 16 * 1024 * 1024,
            "answered only after {answered_after} bytes of a body over a 256 KiB limit"
        );
        let closed_after = closed_after.expect("the service went on reading the body for 8 s");
        assert!(closed_after < Duration::from_secs(2), "closed {closed_after:?} after answering");
    }

    async fn an_upload_route_keeps_its_larger_limit(app) {
        app.user("admin", "admin@limits.cn", None, None).await;
        let admin = app.token("admin@limits.cn").await;
        // 300 KiB: over the JSON limit, well under the upload limit.
        let mut csv = String::from("credit_code,name,county_code\n");
        while csv.len() < 300 * 1024 {
            csv.push_str("91310115MA1K000000,某公司,310115\n");
        }
        let res = app.upload_as("/api/v1/admin/imports/enterprises?dry_run=true", &admin, csv.into_bytes()).await;
        assert_ne!(res.status(), 413);
    }

    async fn wrong_current_passwords_are_throttled_like_log_ins(app) {
        let token = officer(&app, "o@pw.cn", "310115").await;
        let change = |current: &str| json!({"current_password": current, "new_password": "新的密码-足够长-2022"});
        for _ in 0..5 {
            let res = app.post_as("/api/v1/me/password", &token, &change("not-my-password")).await;
            assert_problem(res, 422).await;
        }
        let res = app.post_as("/api/v1/me/password", &token, &change("not-my-password")).await;
        assert!(res.headers().contains_key("retry-after"));
        assert_problem(res, 429).await;
        // Even the right password waits: the delay tells a guesser nothing.
        let res = app.post_as("/api/v1/me/password", &token, &change(PASSWORD)).await;
        assert_problem(res, 429).await;
        // And the same client's log-ins to that account wait too.
        assert_problem(app.login_response("o@pw.cn", PASSWORD).await, 429).await;
    }

    async fn a_guesser_slows_only_itself_and_its_delays_grow(app, &[("YIZHAN__SERVER__TRUST_PROXY_HEADERS", "true")]) {
        app.user("admin", "root@throttle.cn", None, None).await;
        let try_from = |client: &'static str, password: &'static str| {
            let app = &app;
            async move {
                app.client
                    .post(app.url("/api/v1/auth/login"))
                    .header("x-forwarded-for", client)
                    .json(&json!({"email": "root@throttle.cn", "password": password}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        for _ in 0..5 {
            assert_eq!(try_from("203.0.113.9", "guess-guess-1").await.status(), 401);
        }
        let first: u64 = try_from("203.0.113.9", "guess-guess-1").await.headers()["retry-after"]
            .to_str().unwrap().parse().unwrap();
        assert!((1..=30).contains(&first), "a short first delay, not a 15-minute lock: {first}");
        // The administrator, from its own client, is not locked out.
        let own = try_from("198.51.100.7", PASSWORD).await;
        assert_eq!(own.status(), 200);
        // The guesser's next failure (once its delay is over) waits longer.
        let key = "account:root@throttle.cn|client:203.0.113.9".to_string();
        app.db
            .run(move |conn| {
                use diesel::prelude::*;
                use yizhan::storage::schema::login_throttles::dsl;
                let past = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
                diesel::update(dsl::login_throttles.find(key))
                    .set(dsl::locked_until.eq(Some(past)))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(try_from("203.0.113.9", "guess-guess-2").await.status(), 401);
        let second: u64 = try_from("203.0.113.9", "guess-guess-3").await.headers()["retry-after"]
            .to_str().unwrap().parse().unwrap();
        assert!(second > first, "delays grow: {first} then {second}");
    }

    async fn access_tokens_end_with_their_log_in(app, &[("YIZHAN__AUTH__REFRESH_REUSE_GRACE_SECS", "0")]) {
        let dept = app.department_of("310115").await;
        app.user("officer", "o@session.cn", Some(dept), None).await;
        // Log-out.
        let tokens = app.login("o@session.cn").await;
        let access = tokens["access_token"].as_str().unwrap();
        assert_eq!(app.get_as("/api/v1/me", access).await.status(), 200);
        let res = app.post_json("/api/v1/auth/logout", &json!({"refresh_token": tokens["refresh_token"]})).await;
        assert_eq!(res.status(), 204);
        assert_problem(app.get_as("/api/v1/me", access).await, 401).await;

        // A reused refresh token (theft) ends the log-in: the thief's fresh
        // access token stops working at once, and so does the owner's.
        let owner = app.login("o@session.cn").await;
        let other = app.login("o@session.cn").await;
        let stolen = owner["refresh_token"].clone();
        let thief: Value = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": stolen})).await.json().await.unwrap();
        let thief_access = thief["access_token"].as_str().unwrap();
        assert_eq!(app.get_as("/api/v1/me", thief_access).await.status(), 200);
        assert_problem(app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": stolen})).await, 401).await;
        assert_problem(app.get_as("/api/v1/me", thief_access).await, 401).await;
        assert_problem(app.get_as("/api/v1/me", owner["access_token"].as_str().unwrap()).await, 401).await;
        // Another log-in of the same account is not touched.
        assert_eq!(app.get_as("/api/v1/me", other["access_token"].as_str().unwrap()).await.status(), 200);
    }

    async fn protective_headers_are_on_every_answer(app) {
        for path in ["/healthz", "/login", "/api/v1/regions/310115", "/no-such-page", "/api/v1/me"] {
            let res = app.get(path).await;
            assert_eq!(res.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{path}");
        }
        let res = app.get("/api/v1/me").await;
        assert_eq!(res.status(), 401);
        assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));

        let dept = app.department_of("310115").await;
        app.user("officer", "o@headers.cn", Some(dept), None).await;
        let login = app.login_response("o@headers.cn", PASSWORD).await;
        assert_eq!(login.headers()["cache-control"], "no-store");
        let tokens: Value = login.json().await.unwrap();
        let refreshed = app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": tokens["refresh_token"]})).await;
        assert_eq!(refreshed.status(), 200);
        assert_eq!(refreshed.headers()["cache-control"], "no-store");
    }

    async fn a_province_lists_only_enterprises_it_can_see(app) {
        let beijing_auto = app.enterprise("北京汽车股份有限公司", "110115").await;
        let saic = app.enterprise("上海某汽车有限公司", "310115").await;
        let shanghai = officer(&app, "o@sh-province.cn", "310000").await;
        let listing = json!({"scope": "310000", "batch": 1, "listed_on": "2022-04-18"});
        // Beijing's enterprise does not exist for Shanghai: the same 404 as an id nobody has.
        let foreign = app.post_as(&format!("/api/v1/enterprises/{beijing_auto}/whitelist"), &shanghai, &listing).await;
        let missing = app.post_as("/api/v1/enterprises/987654321/whitelist", &shanghai, &listing).await;
        let (a, b) = (assert_problem(foreign, 404).await, assert_problem(missing, 404).await);
        assert_eq!(a["detail"], b["detail"]);
        // Its own enterprise it lists.
        let res = app.post_as(&format!("/api/v1/enterprises/{saic}/whitelist"), &shanghai, &listing).await;
        assert_eq!(res.status(), 201);
        // Even an administrator puts only Shanghai's enterprises on Shanghai's list.
        app.user("admin", "admin@lists.cn", None, None).await;
        let admin = app.token("admin@lists.cn").await;
        let res = app.post_as(&format!("/api/v1/enterprises/{beijing_auto}/whitelist"), &admin, &listing).await;
        assert_problem(res, 422).await;
    }

    async fn the_enterprise_does_not_see_staff_business_on_its_ticket(app) {
        let firm = app.enterprise("上海某零部件公司", "310115").await;
        app.user("enterprise", "e@view.cn", None, Some(firm)).await;
        let me = app.token("e@view.cn").await;
        let officer = officer(&app, "o@view.cn", "310115").await;
        let t: Value = app.post_as("/api/v1/tickets", &me, &json!({
            "category": "logistics", "urgency": "urgent", "title": "运输受阻", "description": "车辆滞留。"
        })).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        let staff: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &officer).await.json().await.unwrap();
        let own: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &me).await.json().await.unwrap();
        let listed: Value = app.get_as("/api/v1/tickets", &me).await.json().await.unwrap();
        for field in ["assignee_id", "urged_count", "extension_pending"] {
            assert!(staff.get(field).is_some(), "staff see {field}");
            assert!(own.get(field).is_none(), "the enterprise's ticket carries {field}: {own}");
            assert!(listed["items"][0].get(field).is_none(), "the enterprise's list carries {field}");
        }
    }

    async fn region_codes_of_nothing_are_refused(app) {
        // 310199 is well formed, in Shanghai, and names no district.
        let firm = app.enterprise("上海某公司", "310115").await;
        app.user("enterprise", "e@regions.cn", None, Some(firm)).await;
        let me = app.token("e@regions.cn").await;
        let officer = officer(&app, "o@regions.cn", "310000").await;
        let filing = |extra: Value| {
            let mut b = json!({"category": "logistics", "urgency": "urgent", "title": "运输受阻", "description": "车辆滞留。"});
            for (k, v) in extra.as_object().unwrap() { b[k] = v.clone(); }
            b
        };
        let p = assert_problem(app.post_as("/api/v1/tickets", &me, &filing(json!({"place": "310199"}))).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "place");
        let p = assert_problem(app.post_as("/api/v1/tickets", &me, &filing(json!({"regions_involved": ["320500", "329999"]}))).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "regions_involved");
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("329999"), "{p}");
        for path in ["/api/v1/tickets?region=310199", "/api/v1/enterprises?region=310199"] {
            let p = assert_problem(app.get_as(path, &officer).await, 422).await;
            assert_eq!(p["errors"][0]["field"], "region", "{path}");
        }
        let p = assert_problem(app.post_as("/api/v1/enterprises", &officer, &json!({
            "credit_code": crate::helpers::credit_code("91310199MA1K4X7Q2"), "name": "不存在区县的企业", "county_code": "310199"
        })).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "county_code");
        let p = assert_problem(app.post_json("/api/v1/auth/register", &json!({
            "credit_code": crate::helpers::credit_code("91310115MA1K4X7Q3"), "enterprise_name": "某公司",
            "county_code": "310199", "contact_name": "李", "email": "li@regions.example.cn"
        })).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "county_code");
    }

    async fn a_form_token_works_only_in_the_session_it_was_made_for(app) {
        let dept = app.department_of("310115").await;
        app.user("officer", "a@csrf.cn", Some(dept), None).await;
        app.user("officer", "b@csrf.cn", Some(dept), None).await;
        let a = crate::browser::Browser::new(&app);
        a.login("a@csrf.cn").await;
        let a_token = a.csrf().await;
        let a_sid = a.cookie("yz_sid").unwrap();
        // B's browser ends up with A's session-id cookie (set by a sibling
        // site, say) and A's token: still no good for B's session.
        let b_access = app.token("b@csrf.cn").await;
        let res = app
            .client
            .post(app.url("/account/password"))
            .header("cookie", format!("yz_sid={a_sid}; yz_at={b_access}"))
            .form(&[("csrf", a_token.as_str()), ("current", "x"), ("password", "新的密码-足够长-2022"), ("confirm", "新的密码-足够长-2022")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("表单已失效"));
        // In A's own session the same token works (the form is answered,
        // here with the wrong current password).
        let own = a.post_raw("/account/password", &[("csrf", a_token.as_str()), ("current", "x"), ("password", "新的密码-足够长-2022"), ("confirm", "新的密码-足够长-2022")]).await;
        assert_eq!(own.status, 422, "{}", own.html);
    }
}
