//! Two of the desk's walks in a real browser (issue 24, "done means"): an
//! enterprise files on a phone and follows its ticket, and a lead decides
//! an extension from the 待审批 tab. Screenshots under
//! `target/browser-screenshots/walk-*`.

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::chromium::{body_text, log_in, log_out, session, Shots, DESKTOP, PHONE};
use crate::each_backend;
use crate::helpers::TestApp;

/// The page is no wider than the window: nothing scrolls sideways.
async fn fits(c: &Client) -> bool {
    c.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth;",
        vec![],
    )
    .await
    .unwrap()
        == json!(true)
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn act_api(app: &TestApp, token: &str, id: i64, action: &str, body: Value) {
    let res = app
        .post_as(
            &format!("/api/v1/tickets/{id}/actions/{action}"),
            token,
            &body,
        )
        .await;
    assert_eq!(res.status(), 200, "{action}");
}

each_backend! {
    async fn an_enterprise_files_on_a_phone_and_follows_its_ticket(app) {
        let ent = app.enterprise("上海某汽车零部件有限公司", "310115").await;
        app.user("enterprise", "e@parts.example.cn", None, Some(ent)).await;
        app.user("officer", "o@pudong.example.cn", Some(app.department_of("310115").await), None).await;
        let Some((_driver, c)) = session(PHONE).await else { return };
        let mut shots = Shots::new(&format!("walk-phone-{:?}", app.backend).to_lowercase());

        log_in(&c, &app, "e@parts.example.cn").await;
        c.wait().for_element(Locator::Css("a.button[href='/tickets/new']")).await.unwrap();
        assert!(fits(&c).await, "the portal scrolls sideways on a phone");
        shots.take(&c, "portal").await;
        click(&c, "a.button[href='/tickets/new']").await;
        c.wait().for_element(Locator::Id("title")).await.unwrap();
        click(&c, "#category option[value=logistics]").await;
        click(&c, "input[name=urgency][value=urgent]").await;
        c.find(Locator::Id("title")).await.unwrap().send_keys("货车滞留检查站").await.unwrap();
        c.find(Locator::Id("description")).await.unwrap().send_keys("运原料的货车在检查站滞留两天，请协调通行。").await.unwrap();
        assert!(fits(&c).await, "the filing form scrolls sideways on a phone");
        shots.take(&c, "filing").await;
        click(&c, "main form button[type=submit]").await;
        c.wait().for_element(Locator::Id("timeline")).await.unwrap();
        let ticket = c.current_url().await.unwrap().path().to_string();
        let id: i64 = ticket.trim_start_matches("/tickets/").parse().unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("待签收") && text.contains("货车滞留检查站"), "{text}");
        assert!(fits(&c).await, "the ticket page scrolls sideways on a phone");
        shots.take(&c, "filed").await;

        // The county signs for it; the enterprise sees it on its phone.
        let officer = app.token("o@pudong.example.cn").await;
        act_api(&app, &officer, id, "sign_for", json!({})).await;
        c.goto(&app.url("/portal")).await.unwrap();
        c.wait().for_element(Locator::Css(&format!("a[href='{ticket}']"))).await.unwrap();
        let bell = c.find(Locator::Id("bell")).await.unwrap().attr("aria-label").await.unwrap();
        assert_eq!(bell.as_deref(), Some("通知，1 条未读"));
        click(&c, &format!("a[href='{ticket}']")).await;
        c.wait().for_element(Locator::Id("timeline")).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("办理中") && text.contains("签收"), "{text}");
        // The 办理单 is the departments' file copy: no link to it here.
        assert!(c.find(Locator::Css("a.print-link")).await.is_err());
        assert!(fits(&c).await);
        shots.take(&c, "signed-for").await;
        log_out(&c).await;
        c.close().await.unwrap();
    }

    async fn a_lead_decides_an_extension_from_the_approval_tab(app) {
        let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
        let county = app.department_of("320506").await;
        let city = app.department_of("320500").await;
        app.user("officer", "o@wuzhong.cn", Some(county), None).await;
        app.user("lead", "lead@suzhou.cn", Some(city), None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let officer = app.token("o@wuzhong.cn").await;
        let res = app
            .post_as("/api/v1/tickets", &enterprise, &json!({
                "category": "parts_supply", "urgency": "normal",
                "title": "芯片断供", "description": "上游封控，控制器芯片库存只够三天。"
            }))
            .await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        act_api(&app, &officer, id, "sign_for", json!({})).await;
        act_api(&app, &officer, id, "request_extension", json!({"reason": "需协调省外供应商", "working_days": 2})).await;

        let Some((_driver, c)) = session(DESKTOP).await else { return };
        let mut shots = Shots::new(&format!("walk-lead-{:?}", app.backend).to_lowercase());
        log_in(&c, &app, "lead@suzhou.cn").await;
        c.goto(&app.url("/workbench")).await.unwrap();
        let tab = c.find(Locator::Css("a[href='/workbench?tab=extension']")).await.unwrap();
        let label = tab.text().await.unwrap();
        assert!(label.contains("待审批") && label.contains('1'), "{label}");
        tab.click().await.unwrap();
        c.wait().for_element(Locator::Css(&format!("a[href='/tickets/{id}']"))).await.unwrap();
        shots.take(&c, "approval-tab").await;
        click(&c, &format!("a[href='/tickets/{id}']")).await;
        c.wait().for_element(Locator::Id("act-decide_extension")).await.unwrap();
        let form = c.find(Locator::Id("act-decide_extension")).await.unwrap();
        if let Ok(summary) = form.find(Locator::Css("summary")).await {
            summary.click().await.unwrap();
        }
        form.find(Locator::Css("input[name=approve][value=true]")).await.unwrap().click().await.unwrap();
        if let Ok(note) = form.find(Locator::Css("[name=note]")).await {
            note.send_keys("同意延期两个工作日").await.unwrap();
        }
        shots.take(&c, "deciding").await;
        form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css(".notice")).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("延期"), "{text}");
        shots.take(&c, "decided").await;
        // Decided: the tab is empty again.
        c.goto(&app.url("/workbench?tab=extension")).await.unwrap();
        assert!(c.find(Locator::Css(&format!("a[href='/tickets/{id}']"))).await.is_err());
        let t: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &officer).await.json().await.unwrap();
        assert_eq!(t["extension_pending"], false, "{t}");
        c.close().await.unwrap();
    }
}
