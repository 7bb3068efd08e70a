//! The desk's ticket page in a real browser (issue 24): an officer opens a
//! ticket, signs for it with one click and reads the notice with the new
//! deadline, inserts the department's canned reply into the resolution and
//! resolves; the lead's canned replies page and the printable 办理单 are
//! shown too. Screenshots at 1366×900 and 390×844 under
//! `target/browser-screenshots/desk-*`.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::chromium::{body_text, log_in, log_out, session, Shots, DESKTOP};
use crate::each_backend;
use crate::helpers::TestApp;

/// The page at both sizes people use: a desk screen and a phone.
async fn both_sizes(c: &Client, shots: &mut Shots, name: &str) {
    for (w, h, size) in [(1366, 900, "1366"), (390, 844, "390")] {
        c.set_window_size(w, h).await.unwrap();
        shots.take(c, &format!("{name}-{size}")).await;
    }
    c.set_window_size(1366, 900).await.unwrap();
}

/// Scrolls an element to the top of the window.
async fn scroll_to(c: &Client, css: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
        vec![json!(css)],
    )
    .await
    .unwrap();
}

async fn setup(app: &TestApp) -> i64 {
    use yizhan::domain::enterprise::EnterpriseInput;
    let admin = yizhan::domain::access::Caller {
        user_id: 0,
        role: yizhan::domain::role::Role::Admin,
        department: None,
        enterprise_id: None,
    };
    let input = EnterpriseInput {
        credit_code: crate::helpers::credit_code("91320506000000011"),
        name: "苏州某精密部件有限公司".into(),
        county_code: "320506".into(),
        address: "苏州市吴中区东吴北路 88 号".into(),
        contact_name: "李四".into(),
        contact_phone: "13812345678".into(),
        ..Default::default()
    };
    let ent = yizhan::services::enterprises::create(&app.db, &admin, input, false, app.clock.now())
        .await
        .unwrap()
        .enterprise
        .id;
    app.user("enterprise", "e@a.cn", None, Some(ent)).await;
    let county = app.department_of("320506").await;
    app.user("officer", "o@wuzhong.cn", Some(county), None)
        .await;
    app.user("lead", "lead@wuzhong.cn", Some(county), None)
        .await;
    app.user("officer", "o@miit.cn", Some(1), None).await;
    let ministry = app.token("o@miit.cn").await;
    let listing = json!({"scope": "national", "batch": 3, "listed_on": "2022-04-18"});
    app.post_as(
        &format!("/api/v1/enterprises/{ent}/whitelist"),
        &ministry,
        &listing,
    )
    .await;
    let token = app.token("e@a.cn").await;
    let mut id = 0;
    for (title, text) in [
        ("去年的原料断供", "上游原料断供，已协调解决。"),
        (
            "货车无法进入园区",
            "园区封闭管理，运输原料的货车无法进入，产线将于三日后停工。",
        ),
    ] {
        let res = app
            .post_as("/api/v1/tickets", &token, &json!({"category": "logistics", "urgency": "normal", "title": title, "description": text}))
            .await;
        assert_eq!(res.status(), 201);
        id = res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
    }
    id
}

each_backend! {
    async fn an_officer_signs_for_answers_with_a_canned_reply_and_resolves(app) {
        app.clock.set(crate::helpers::bj(2, 9, 0));
        let id = setup(&app).await;
        let ticket = format!("/tickets/{id}");
        let mut shots = Shots::new(&format!("desk-{:?}", app.backend).to_lowercase());
        let Some((driver, c)) = session(DESKTOP).await else { return };
        c.set_window_size(1366, 900).await.unwrap();

        // The lead writes the department's canned reply.
        log_in(&c, &app, "lead@wuzhong.cn").await;
        c.wait().for_element(Locator::Css("form.filters")).await.unwrap();
        c.goto(&app.url("/desk/replies")).await.unwrap();
        c.find(Locator::Id("new-title")).await.unwrap().send_keys("已协调通行").await.unwrap();
        c.find(Locator::Id("new-body")).await.unwrap()
            .send_keys("经与交通部门协调，已为贵企业运输车辆办理通行证，请于明日起凭证通行。").await.unwrap();
        c.find(Locator::Css("form.canned-form button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("p.notice.ok")).await.unwrap();
        assert!(body_text(&c).await.contains("已保存常用语"));
        both_sizes(&c, &mut shots, "canned-replies").await;
        log_out(&c).await;

        // The officer opens the ticket: who filed beside it, 签收 in front.
        log_in(&c, &app, "o@wuzhong.cn").await;
        c.wait().for_element(Locator::Css("form.filters")).await.unwrap();
        c.goto(&app.url(&ticket)).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("苏州某精密部件有限公司") && text.contains("全国白名单 第 3 批") && text.contains("去年的原料断供"), "{text}");
        both_sizes(&c, &mut shots, "ticket").await;
        scroll_to(&c, "aside.filer").await;
        both_sizes(&c, &mut shots, "ticket-filer").await;

        // 退回 asks first and keeps the reason; back to the form, as typed.
        c.find(Locator::Css("#act-return summary")).await.unwrap().click().await.unwrap();
        c.find(Locator::Id("return-reason")).await.unwrap().send_keys("应由市级部门统筹协调").await.unwrap();
        c.find(Locator::Css("#act-return button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("section.confirm")).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("确认退回？") && text.contains("应由市级部门统筹协调"), "{text}");
        both_sizes(&c, &mut shots, "confirm-return").await;
        c.find(Locator::Css("button[name=confirm][value=edit]")).await.unwrap().click().await.unwrap();
        let reason = c.wait().for_element(Locator::Id("return-reason")).await.unwrap();
        assert_eq!(reason.prop("value").await.unwrap().as_deref(), Some("应由市级部门统筹协调"));
        assert!(body_text(&c).await.contains("待签收"), "nothing done");

        // One click signs for it; the notice says so, with the deadline.
        c.find(Locator::Css("#act-sign_for button[type=submit]")).await.unwrap().click().await.unwrap();
        let notice = c.wait().for_element(Locator::Css("p.notice.ok")).await.unwrap();
        let said = notice.text().await.unwrap();
        assert!(said.starts_with("已签收，办结时限 ") && said.contains("月"), "{said}");
        both_sizes(&c, &mut shots, "signed").await;

        // The resolution: the canned reply inserted into the field, then sent.
        let field = c.wait().for_element(Locator::Id("resolve-text")).await.unwrap();
        field.send_keys("您好：").await.unwrap();
        let pick = c.find(Locator::Id("resolve-text-canned")).await.unwrap();
        pick.select_by_label("已协调通行").await.unwrap();
        let value = field.prop("value").await.unwrap().unwrap_or_default();
        assert_eq!(value, "您好：经与交通部门协调，已为贵企业运输车辆办理通行证，请于明日起凭证通行。");
        scroll_to(&c, "#act-resolve").await;
        both_sizes(&c, &mut shots, "canned-inserted").await;
        c.find(Locator::Css("#act-resolve button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css(".status-resolved")).await.unwrap();
        let notice = c.find(Locator::Css("p.notice.ok")).await.unwrap().text().await.unwrap();
        assert!(notice.starts_with("已办结"), "{notice}");
        assert!(body_text(&c).await.contains("已为贵企业运输车辆办理通行证"));
        both_sizes(&c, &mut shots, "resolved").await;

        // The 办理单.
        c.goto(&app.url(&format!("{ticket}/print"))).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("企业诉求办理单") && text.contains("已为贵企业运输车辆办理通行证"), "{text}");
        both_sizes(&c, &mut shots, "print").await;
        c.close().await.unwrap();
        drop(driver);
        assert_eq!(shots.n, 16);
    }
}
