//! The administrators' pages: each does through a form what the admin
//! API does, refuses bad input readably, and exists for no one else.

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{credit_code, TestApp, PASSWORD};

async fn admin_browser(app: &TestApp) -> Browser {
    app.user("admin", "root@yizhan.example.cn", None, None)
        .await;
    let b = Browser::new(app);
    let p = b.login("root@yizhan.example.cn").await;
    assert_eq!(p.location.as_deref(), Some("/admin/users"));
    b
}

/// Sends a file through the import form, as a browser does.
async fn upload(app: &TestApp, b: &Browser, text: String, dry: bool) -> (u16, String) {
    let csrf = b.csrf().await;
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("kind", "enterprises")
        .part(
            "file",
            reqwest::multipart::Part::bytes(text.into_bytes()).file_name("list.csv"),
        );
    if dry {
        form = form.text("dry_run", "true");
    }
    let res = b
        .client
        .post(app.url("/admin/enterprises/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

each_backend! {
    async fn administrators_keep_users_and_departments_through_pages(app) {
        let b = admin_browser(&app).await;
        let pudong = app.department_of("310115").await.to_string();
        // A weak password: said by the field, the rest kept, nothing made.
        let p = b.post("/admin/users", &[("email", "new@pudong.example.cn"), ("display_name", "新经办人"), ("role", "officer"), ("department_id", &pudong), ("password", "123")]).await;
        assert_eq!(p.status, 422, "{}", p.html);
        assert!(p.html.contains("new@pudong.example.cn") && p.html.contains("class=\"field-error\""), "{}", p.html);
        assert_eq!(app.login_response("new@pudong.example.cn", "123").await.status(), 401);
        let p = b.post("/admin/users", &[("email", "new@pudong.example.cn"), ("display_name", "新经办人"), ("role", "officer"), ("department_id", &pudong), ("password", PASSWORD)]).await;
        assert_eq!(p.location.as_deref(), Some("/admin/users?done=created"), "{}", p.html);
        assert_eq!(app.login_response("new@pudong.example.cn", PASSWORD).await.status(), 200);
        let list = b.get("/admin/users?done=created").await;
        assert!(list.html.contains("新经办人") && list.html.contains("账号已创建"), "{}", list.html);
        // Deactivated: the person can no longer log in.
        let id = app.db.run(|conn| Ok(yizhan::storage::users::User::find_by_email(conn, "new@pudong.example.cn")?.unwrap().id)).await.unwrap();
        let p = b.post(&format!("/admin/users/{id}/active"), &[("active", "false"), ("confirm", "yes")]).await;
        assert_eq!(p.status, 303);
        assert_eq!(app.login_response("new@pudong.example.cn", PASSWORD).await.status(), 401);
        // The department tree, and a department's automatic assignment.
        let top = b.get("/admin/departments").await;
        assert!(top.html.contains("工业和信息化部"), "{}", top.html);
        let p = b.post(&format!("/admin/departments/{pudong}/auto-assign"), &[("on", "true")]).await;
        assert_eq!(p.status, 303);
        let page = b.get(&format!("/admin/departments?id={pudong}")).await;
        assert!(page.html.contains("关闭自动指派"), "{}", page.html);
        // A department's lead changes its own settings, on the page as in
        // the API (one rule), and no other department's.
        app.user("lead", "lead@pudong.example.cn", Some(pudong.parse().unwrap()), None).await;
        let lead = Browser::new(&app);
        lead.login("lead@pudong.example.cn").await;
        let own = lead.get("/admin/departments").await;
        assert_eq!(own.status, 200);
        assert!(own.html.contains("本部门设置") && own.html.contains("关闭自动指派"), "{}", own.html);
        let p = lead.post(&format!("/admin/departments/{pudong}/auto-assign"), &[("on", "false")]).await;
        assert_eq!(p.status, 303);
        assert!(lead.get(&format!("/admin/departments?id={pudong}")).await.html.contains("开启自动指派"));
        let xuhui = app.department_of("310104").await;
        assert_eq!(lead.get(&format!("/admin/departments?id={xuhui}")).await.status, 404);
        assert_eq!(lead.post(&format!("/admin/departments/{xuhui}/auto-assign"), &[("on", "true")]).await.status, 404);
        let token = app.token("lead@pudong.example.cn").await;
        let api = app.put_as(&format!("/api/v1/departments/{pudong}/settings"), &token, &serde_json::json!({"auto_assign": true})).await;
        assert_eq!(api.status(), 200);
        let api = app.put_as(&format!("/api/v1/departments/{xuhui}/settings"), &token, &serde_json::json!({"auto_assign": true})).await;
        assert_eq!(api.status(), 404);
        // No one else finds these pages.
        let ent = app.enterprise("上海某汽车零部件有限公司", "310115").await;
        app.user("enterprise", "e@parts.example.cn", None, Some(ent)).await;
        let e = Browser::new(&app);
        e.login("e@parts.example.cn").await;
        for path in ["/admin/users", "/admin/departments", "/admin/enterprises", "/admin/sla", "/admin/routing", "/admin/delivery"] {
            assert_eq!(e.get(path).await.status, 404, "{path}");
            assert_eq!(b.get(path).await.status, 200, "{path}");
        }
        let p = e.post("/admin/users", &[("email", "x@example.cn"), ("display_name", "x"), ("role", "admin"), ("password", PASSWORD)]).await;
        assert_eq!(p.status, 404);
    }

    async fn administrators_keep_rules_policies_calendar_and_templates_through_pages(app) {
        let b = admin_browser(&app).await;
        // Routing: a position that is not a number, then a good rule.
        let rule = |position: &'static str| vec![("name", "芯片断供上报省级"), ("position", position), ("enabled", "true"), ("category", "parts_supply"), ("urgency", "critical"), ("target_level", "province")];
        let p = b.post("/admin/routing", &rule("first")).await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("请填写整数") && p.html.contains("芯片断供上报省级"), "{}", p.html);
        let p = b.post("/admin/routing", &rule("5")).await;
        assert_eq!(p.status, 303, "{}", p.html);
        let rules = b.get("/admin/routing").await;
        assert!(rules.html.contains("芯片断供上报省级"));
        let p = b.post("/admin/routing", &[("name", "x"), ("position", "1"), ("target_level", "galaxy")]).await;
        assert_eq!(p.status, 422);
        // A policy, then a rule may use it.
        let p = b.post("/admin/sla/policies", &[("name", "strict"), ("sign_value", "60"), ("sign_unit", "working_minutes"), ("resolve_value", "2"), ("resolve_unit", "working_days"), ("warning_percent", "80"), ("escalation_working_days", "1")]).await;
        assert_eq!(p.status, 303, "{}", p.html);
        assert!(b.get("/admin/sla").await.html.contains("strict"));
        let p = b.post("/admin/sla/policies", &[("name", "broken"), ("sign_value", "abc"), ("sign_unit", "working_minutes"), ("resolve_value", "2"), ("resolve_unit", "working_days"), ("warning_percent", "80"), ("escalation_working_days", "1")]).await;
        assert_eq!(p.status, 422);
        // The calendar: a bad file changes nothing and says which lines.
        let p = b.post("/admin/sla/calendar", &[("text", "date,kind,festival\n2027-01-01,holiday,元旦\n2027-13-01,holiday,x\n")]).await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("第 3 行"), "{}", p.html);
        let p = b.post("/admin/sla/calendar", &[("text", "date,kind,festival\n2027-01-01,holiday,元旦\n2027-01-03,workday,元旦\n")]).await;
        assert_eq!(p.status, 303);
        let cal = b.get("/admin/sla?year=2027").await;
        assert!(cal.html.contains("2027-01-03") && cal.html.contains("调休上班"), "{}", cal.html);
        // A template that cannot render is refused; a good one is kept and can be undone.
        let p = b.post("/admin/delivery/templates/new_ticket/zh", &[("subject", "新诉求 {{ numbr }}"), ("text", "{{ title }}"), ("html", "<p>{{ title }}</p>")]).await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("subject"), "{}", p.html);
        let p = b.post("/admin/delivery/templates/new_ticket/zh", &[("subject", "【自定义】新诉求 {{ number }}"), ("text", "{{ title }}"), ("html", "<p>{{ title }}</p>")]).await;
        assert_eq!(p.status, 303, "{}", p.html);
        let mail = b.get("/admin/delivery").await;
        assert!(mail.html.contains("【自定义】新诉求") && mail.html.contains("已自定义"));
        let p = b.post("/admin/delivery/templates/new_ticket/zh/reset", &[]).await;
        assert_eq!(p.status, 303);
        assert!(!b.get("/admin/delivery").await.html.contains("【自定义】新诉求"));
    }

    async fn an_enterprise_list_is_tried_then_imported_through_the_page(app) {
        let b = admin_browser(&app).await;
        let header = "统一社会信用代码,企业名称,所在区县代码,地址,产业链,规模,联系人,联系电话,联系邮箱";
        let good = |i: usize| format!("{},测试企业{i}号,310115,地址{i},汽车,小,联系人{i},021-5555{i:04},c{i}@example.cn", credit_code(&format!("91310115{i:09}")));
        let bad = "91310115XXXXXXXXXX,坏企业,310115,地址,汽车,小,联系人,021-55550000,bad@example.cn";
        let (status, html) = upload(&app, &b, format!("{header}\n{}\n{bad}\n{}", good(1), good(2)), true).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("试导入报告") && html.contains("统一社会信用代码") && !html.contains(">credit_code<"), "{html}");
        assert!(!b.get("/admin/enterprises?q=测试企业").await.html.contains("测试企业1号"), "a dry run writes nothing");
        let (status, html) = upload(&app, &b, format!("{header}\n{}\n{}", good(1), good(2)), false).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("导入完成"), "{html}");
        let found = b.get("/admin/enterprises?q=测试企业").await;
        assert!(found.html.contains("测试企业1号") && found.html.contains("测试企业2号"), "{}", found.html);
        // Without the page's token the upload is refused.
        let form = reqwest::multipart::Form::new().text("kind", "enterprises").part("file", reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.csv"));
        let res = b.client.post(app.url("/admin/enterprises/import")).multipart(form).send().await.unwrap();
        assert_eq!(res.status(), 403);
    }
}
