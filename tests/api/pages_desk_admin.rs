//! The administrators' desk (issue 24, items 9-11): accounts and
//! enterprises named rather than numbered, the pickers, a user's page
//! (edit, reset link, deactivation that asks first), an enterprise's page,
//! the styled page for an unknown address, the log-in page's first-run
//! hint, and e-mailed links that follow the port the service bound.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{assert_problem, TestApp, PASSWORD};

async fn admin_browser(app: &TestApp) -> (Browser, i64) {
    let id = app
        .user("admin", "root@yizhan.example.cn", None, None)
        .await;
    let b = Browser::new(app);
    b.login("root@yizhan.example.cn").await;
    (b, id)
}

async fn department_name(app: &TestApp, id: i64) -> String {
    app.db
        .run(move |conn| {
            Ok(yizhan::storage::departments::Department::find(conn, id)?
                .unwrap()
                .name)
        })
        .await
        .unwrap()
}

async fn account(app: &TestApp, id: i64) -> yizhan::storage::users::User {
    app.db
        .run(move |conn| Ok(yizhan::storage::users::User::find(conn, id)?.unwrap()))
        .await
        .unwrap()
}

/// The account events of a user: (kind, actor, detail).
async fn events(app: &TestApp, id: i64) -> Vec<(String, Option<i64>, Option<String>)> {
    app.db
        .run(move |conn| {
            Ok(
                yizhan::storage::auth_events::AuthEvent::recent(conn, Some(id), 50)?
                    .into_iter()
                    .map(|e| (e.kind, e.actor_id, e.detail))
                    .collect(),
            )
        })
        .await
        .unwrap()
}

each_backend! {
    async fn pages_name_departments_and_an_administrator_edits_an_account_on_its_page(app) {
        let (b, admin_id) = admin_browser(&app).await;
        let pudong = app.department_of("310115").await;
        let xuhui = app.department_of("310104").await;
        let officer = app.user("officer", "o@pudong.example.cn", Some(pudong), None).await;
        let pudong_name = department_name(&app, pudong).await;
        let xuhui_name = department_name(&app, xuhui).await;

        // The list names the department and links the account's page.
        let list = b.get("/admin/users").await;
        assert_eq!(list.status, 200);
        assert!(list.html.contains(&pudong_name), "{}", list.html);
        assert!(list.html.contains(&format!("href=\"/admin/users/{officer}\"")), "{}", list.html);
        assert!(!list.html.contains("部门 #"), "no numbered department: {}", list.html);
        // The department picker: grouped by province, no id to type.
        assert!(list.html.contains("<optgroup label=\"上海市\">"), "{}", list.html);
        assert!(list.html.contains(&format!("<option value=\"{pudong}\">\u{3000}{pudong_name}</option>")), "{}", list.html);
        assert!(!list.html.contains("inputmode=\"numeric\""));

        // The account's page.
        let page = b.get(&format!("/admin/users/{officer}")).await;
        assert_eq!(page.status, 200);
        for shown in ["o@pudong.example.cn", "经办人", pudong_name.as_str(), "尚未登录过", "发送重置密码链接"] {
            assert!(page.html.contains(shown), "{shown}: {}", page.html);
        }
        app.login_response("o@pudong.example.cn", PASSWORD).await;
        assert!(!b.get(&format!("/admin/users/{officer}")).await.html.contains("尚未登录过"));

        // A bad edit: said by the field, what was typed kept, nothing changed.
        let p = b.post(&format!("/admin/users/{officer}"), &[("display_name", "浦东新经办"), ("role", "lead"), ("department_id", ""), ("enterprise", "")]).await;
        assert_eq!(p.status, 422, "{}", p.html);
        assert!(p.html.contains("浦东新经办") && p.html.contains("class=\"field-error\""), "{}", p.html);
        assert_eq!(account(&app, officer).await.display_name, "o");

        // A good one: one audit event names what changed and who changed it.
        let old_token = app.token("o@pudong.example.cn").await;
        assert_eq!(app.get_as("/api/v1/me", &old_token).await.status(), 200);
        let p = b.post(&format!("/admin/users/{officer}"), &[("display_name", "徐汇组长"), ("role", "lead"), ("department_id", &xuhui.to_string()), ("enterprise", "")]).await;
        assert_eq!(p.location.as_deref(), Some(format!("/admin/users/{officer}?done=saved").as_str()), "{}", p.html);
        let u = account(&app, officer).await;
        assert_eq!((u.display_name.as_str(), u.role.as_str(), u.department_id), ("徐汇组长", "lead", Some(xuhui)));
        let updated: Vec<_> = events(&app, officer).await.into_iter().filter(|e| e.0 == "user_updated").collect();
        assert_eq!(updated.len(), 1, "{updated:?}");
        assert_eq!(updated[0].1, Some(admin_id));
        let detail = updated[0].2.clone().unwrap();
        assert!(detail.contains("role:officer->lead") && detail.contains(&format!("department:{pudong}->{xuhui}")), "{detail}");
        let page = b.get(&format!("/admin/users/{officer}?done=saved")).await;
        assert!(page.html.contains("账号已保存") && page.html.contains(&xuhui_name), "{}", page.html);
        // A changed role ends the old sessions: the old token names the old role.
        assert_eq!(app.get_as("/api/v1/me", &old_token).await.status(), 401);
        // An administrator does not take away their own role.
        let p = b.post(&format!("/admin/users/{admin_id}"), &[("display_name", "root"), ("role", "supervisor"), ("department_id", &pudong.to_string()), ("enterprise", "")]).await;
        assert_eq!(p.status, 422, "{}", p.html);
        assert!(p.html.contains("不能更改自己的角色"), "{}", p.html);
        assert_eq!(account(&app, admin_id).await.role.as_str(), "admin");
    }

    async fn an_administrator_sends_a_reset_link_that_follows_the_bound_port(app) {
        let (b, admin_id) = admin_browser(&app).await;
        let pudong = app.department_of("310115").await;
        let officer = app.user("officer", "o@pudong.example.cn", Some(pudong), None).await;
        let p = b.post(&format!("/admin/users/{officer}/reset-link"), &[]).await;
        assert_eq!(p.location.as_deref(), Some(format!("/admin/users/{officer}?done=reset").as_str()), "{}", p.html);
        assert!(events(&app, officer).await.iter().any(|e| e.0 == "password_reset_sent" && e.1 == Some(admin_id)));
        let mail = app.mailbox().await;
        assert_eq!(mail.len(), 1, "{mail:?}");
        assert_eq!(mail[0].0, "o@pudong.example.cn");
        // No base URL is configured: the link names the port the test bound.
        let base = format!("{}/account/reset-password?token=", app.address);
        assert!(!app.address.ends_with(":8080"));
        let text = &mail[0].2;
        let start = text.find(&base).unwrap_or_else(|| panic!("a link to {base}: {text}"));
        let link = text[start..].split_whitespace().next().unwrap();
        let opened = app.client.get(link).send().await.unwrap();
        assert_eq!(opened.status(), 200);
        // A deactivated account gets no link.
        b.post(&format!("/admin/users/{officer}/active"), &[("active", "false"), ("confirm", "yes")]).await;
        let p = b.post(&format!("/admin/users/{officer}/reset-link"), &[]).await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("账号已停用"), "{}", p.html);
        assert!(app.mailbox().await.is_empty());
    }

    async fn deactivation_changes_nothing_until_confirmed(app) {
        let (b, _) = admin_browser(&app).await;
        let pudong = app.department_of("310115").await;
        let officer = app.user("officer", "o@pudong.example.cn", Some(pudong), None).await;
        // The page offers a link to the confirmation, not a direct switch.
        let page = b.get(&format!("/admin/users/{officer}")).await;
        assert!(page.html.contains(&format!("href=\"/admin/users/{officer}/deactivate\"")), "{}", page.html);
        let ask = b.get(&format!("/admin/users/{officer}/deactivate")).await;
        assert_eq!(ask.status, 200);
        assert!(ask.html.contains("确认停用账号") && ask.html.contains("name=\"confirm\" value=\"yes\""), "{}", ask.html);
        assert!(account(&app, officer).await.active);
        // A post without the confirmation only asks again.
        let p = b.post(&format!("/admin/users/{officer}/active"), &[("active", "false")]).await;
        assert_eq!(p.status, 200);
        assert!(p.html.contains("确认停用账号"), "{}", p.html);
        assert!(account(&app, officer).await.active);
        assert_eq!(app.login_response("o@pudong.example.cn", PASSWORD).await.status(), 200);
        // Confirmed: done, and the person is out.
        let p = b.post(&format!("/admin/users/{officer}/active"), &[("active", "false"), ("confirm", "yes")]).await;
        assert_eq!(p.location.as_deref(), Some(format!("/admin/users/{officer}?done=active").as_str()));
        assert!(!account(&app, officer).await.active);
        assert_eq!(app.login_response("o@pudong.example.cn", PASSWORD).await.status(), 401);
        // Reactivation takes nothing away and needs no confirmation.
        let page = b.get(&format!("/admin/users/{officer}")).await;
        assert!(page.html.contains("name=\"active\" value=\"true\""), "{}", page.html);
        let p = b.post(&format!("/admin/users/{officer}/active"), &[("active", "true")]).await;
        assert_eq!(p.status, 303);
        assert_eq!(app.login_response("o@pudong.example.cn", PASSWORD).await.status(), 200);
    }

    async fn the_enterprise_picker_suggests_and_finds_enterprises_by_name_or_code(app) {
        let (b, _) = admin_browser(&app).await;
        let parts = app.enterprise("上海某汽车零部件有限公司", "310115").await;
        app.enterprise("上海某汽车电子有限公司", "310115").await;
        let code = app.db.run(move |conn| Ok(yizhan::storage::enterprises::Enterprise::find(conn, parts)?.unwrap().credit_code)).await.unwrap();
        // Suggestions for the script, to administrators only.
        let res = b.client.get(app.url("/admin/pickers/enterprises?q=零部件")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let found: Value = res.json().await.unwrap();
        assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
        assert_eq!(found[0]["label"], format!("上海某汽车零部件有限公司（{code}）"));
        let two: Value = b.client.get(app.url("/admin/pickers/enterprises?q=上海某汽车")).send().await.unwrap().json().await.unwrap();
        assert_eq!(two.as_array().unwrap().len(), 2);
        let by_code: Value = b.client.get(app.url(&format!("/admin/pickers/enterprises?q={}", code.to_lowercase()))).send().await.unwrap().json().await.unwrap();
        assert_eq!(by_code[0]["id"], parts);
        app.user("enterprise", "e@parts.example.cn", None, Some(parts)).await;
        let e = Browser::new(&app);
        e.login("e@parts.example.cn").await;
        assert_eq!(e.get("/admin/pickers/enterprises?q=上海").await.status, 404);

        // An account for an enterprise, named as people know it.
        let new = |email: &str, enterprise: &str| {
            let (b, email, enterprise) = (&b, email.to_string(), enterprise.to_string());
            async move {
                b.post("/admin/users", &[("email", &email), ("display_name", "李会计"), ("role", "enterprise"), ("department_id", ""), ("enterprise", &enterprise), ("password", PASSWORD)]).await
            }
        };
        let p = new("a@parts.example.cn", "上海某汽车").await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("有多家企业符合") && p.html.contains("value=\"上海某汽车\""), "{}", p.html);
        let p = new("a@parts.example.cn", "不存在的企业").await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("没有找到这家企业"), "{}", p.html);
        let p = new("a@parts.example.cn", &format!("上海某汽车零部件有限公司（{code}）")).await;
        assert_eq!(p.status, 303, "{}", p.html);
        let p = new("b@parts.example.cn", "零部件").await;
        assert_eq!(p.status, 303, "{}", p.html);
        let made = app.db.run(|conn| Ok(yizhan::storage::users::User::find_by_email(conn, "b@parts.example.cn")?.unwrap())).await.unwrap();
        assert_eq!(made.enterprise_id, Some(parts));
        // The list names the enterprise and links its page.
        let list = b.get("/admin/users?role=enterprise").await;
        assert!(list.html.contains(&format!("<a href=\"/admin/enterprises/{parts}\">上海某汽车零部件有限公司</a>")), "{}", list.html);
    }

    async fn an_enterprise_page_shows_its_record_listings_accounts_and_problems(app) {
        let (b, _) = admin_browser(&app).await;
        let parts = app.enterprise("上海某汽车零部件有限公司", "310115").await;
        let filer = app.user("enterprise", "e@parts.example.cn", None, Some(parts)).await;
        app.user("officer", "o@miit.cn", Some(1), None).await;
        let ministry = app.token("o@miit.cn").await;
        let listing = json!({"scope": "national", "batch": 2, "listed_on": "2022-04-18", "chain": "automotive"});
        let res = app.post_as(&format!("/api/v1/enterprises/{parts}/whitelist"), &ministry, &listing).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let token = app.token("e@parts.example.cn").await;
        let res = app.post_as("/api/v1/tickets", &token, &json!({
            "category": "logistics", "urgency": "urgent",
            "title": "原料运输受阻", "description": "运输原料的货车在检查站滞留两天。"
        })).await;
        assert_eq!(res.status(), 201);
        let ticket: Value = res.json().await.unwrap();

        let page = b.get(&format!("/admin/enterprises/{parts}")).await;
        assert_eq!(page.status, 200);
        let pudong = department_name(&app, app.department_of("310115").await).await;
        for shown in ["上海某汽车零部件有限公司", "浦东新区", "全国白名单", "2022-04-18", "工业和信息化部", "e@parts.example.cn", ticket["number"].as_str().unwrap(), "待签收", pudong.as_str(), "办理中的诉求 1 件"] {
            assert!(page.html.contains(shown), "{shown}: {}", page.html);
        }
        assert!(page.html.contains(&format!("href=\"/admin/users/{filer}\"")), "{}", page.html);
        // An administrator does not read problems: no title, no link.
        assert!(!page.html.contains("原料运输受阻"));
        assert!(!page.html.contains("href=\"/tickets/"));
        // The list of enterprises names the county and links the page.
        let list = b.get("/admin/enterprises?q=零部件").await;
        assert!(list.html.contains(&format!("href=\"/admin/enterprises/{parts}\"")) && list.html.contains("浦东新区"), "{}", list.html);
        assert_eq!(b.get("/admin/enterprises/999999").await.status, 404);
    }

    async fn an_unknown_address_gets_the_styled_page_and_the_api_its_problem(app) {
        let res = app.get("/no-such-page").await;
        assert_eq!(res.status(), 404);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
        let html = res.text().await.unwrap();
        assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("href=\"/static/yizhan.css\""), "{html}");
        assert!(html.contains("您访问的页面不存在。") && html.contains("<header class=\"site\">"), "{html}");
        let english = app.get("/no-such-page?lang=en").await.text().await.unwrap();
        assert!(english.contains("<html lang=\"en\">") && english.contains("href=\"/static/yizhan.css\""), "{english}");
        let api = app.get("/api/v1/no-such-thing").await;
        assert_eq!(api.status(), 404);
        assert_eq!(api.headers()["content-type"], "application/problem+json");
    }

    async fn the_log_in_page_says_how_to_create_the_first_administrator(app) {
        let login = app.get("/login").await.text().await.unwrap();
        assert!(login.contains("首次使用") && login.contains("yizhan user create --role admin --email"), "{login}");
        assert!(login.contains("yizhan serve --demo"), "{login}");
        // Another role's account is not enough.
        let pudong = app.department_of("310115").await;
        app.user("officer", "o@pudong.example.cn", Some(pudong), None).await;
        assert!(app.get("/login").await.text().await.unwrap().contains("首次使用"));
        app.user("admin", "root@yizhan.example.cn", None, None).await;
        let login = app.get("/login").await.text().await.unwrap();
        assert!(!login.contains("首次使用") && !login.contains("user create"), "{login}");
    }

    async fn the_api_changes_an_account_and_sends_a_reset_link_as_the_pages_do(app) {
        let admin_id = app.user("admin", "root@yizhan.example.cn", None, None).await;
        let token = app.token("root@yizhan.example.cn").await;
        let pudong = app.department_of("310115").await;
        let xuhui = app.department_of("310104").await;
        let officer = app.user("officer", "o@pudong.example.cn", Some(pudong), None).await;
        let res = app.put_as(&format!("/api/v1/admin/users/{officer}"), &token, &json!({"display_name": "徐汇组长", "role": "lead", "department_id": xuhui})).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!((body["role"].as_str(), body["department_id"].as_i64()), (Some("lead"), Some(xuhui)));
        assert!(events(&app, officer).await.iter().any(|e| e.0 == "user_updated" && e.1 == Some(admin_id)));
        let p = assert_problem(app.put_as(&format!("/api/v1/admin/users/{officer}"), &token, &json!({"display_name": "x", "role": "enterprise", "department_id": xuhui})).await, 422).await;
        assert!(p["errors"].to_string().contains("department_id"), "{p}");
        assert_problem(app.put_as("/api/v1/admin/users/999999", &token, &json!({"display_name": "x", "role": "admin"})).await, 404).await;
        assert_problem(app.put_as(&format!("/api/v1/admin/users/{admin_id}"), &token, &json!({"display_name": "x", "role": "supervisor", "department_id": xuhui})).await, 422).await;

        let res = app.post_as(&format!("/api/v1/admin/users/{officer}/reset-link"), &token, &json!({})).await;
        assert_eq!(res.status(), 202);
        let mail = app.mailbox().await;
        assert_eq!(mail.len(), 1);
        assert!(mail[0].2.contains(&format!("{}/account/reset-password?token=", app.address)), "{}", mail[0].2);
        app.post_as(&format!("/api/v1/admin/users/{officer}/deactivate"), &token, &json!({})).await;
        let p = assert_problem(app.post_as(&format!("/api/v1/admin/users/{officer}/reset-link"), &token, &json!({})).await, 409).await;
        assert_eq!(p["type"], "urn:yizhan:problem:account-deactivated");
        assert_problem(app.post_as("/api/v1/admin/users/999999/reset-link", &token, &json!({})).await, 404).await;
    }
}
