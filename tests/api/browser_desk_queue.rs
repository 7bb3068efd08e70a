//! The officer's queue in a real browser (issue 24): a county officer opens
//! the 待签收 tab, ticks tickets (one with "select all" then unticks one),
//! signs them for in bulk, reads each ticket's outcome and sees the tab's
//! number fall. Screenshots at 1366x900 and 390x844 are kept under
//! `target/browser-screenshots/` (`<backend>-desk-*.png`).
//!
//! Without Chromium and chromedriver the test says so and passes, unless
//! `YIZHAN_BROWSER_TESTS=required`.

use std::path::{Path, PathBuf};

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::chromium::{body_text, log_in, session, DESKTOP};
use crate::each_backend;

async fn shot(c: &Client, dir: &Path, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot is written");
}

async fn sign_count(c: &Client) -> String {
    c.find(Locator::Css("a[href='/workbench?tab=sign'] .count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

each_backend! {
    async fn an_officer_signs_for_tickets_in_bulk_in_a_real_browser(app, &[("YIZHAN__FILING__UNVERIFIED_OPEN_LIMIT", "100")]) {
        let ent = app.enterprise("上海某芯片封装有限公司", "310115").await;
        app.user("enterprise", "e@chips.example.cn", None, Some(ent)).await;
        app.user("officer", "o@pudong.example.cn", Some(app.department_of("310115").await), None).await;
        let token = app.token("e@chips.example.cn").await;
        let mut numbers = Vec::new();
        for (title, text) in [
            ("芯片停产", "主要供应商芯片停产，封装线等待。"),
            ("物流受阻", "晶圆运输车辆无法进入园区。"),
            ("员工返岗", "封控区内四十名员工无法返岗。"),
        ] {
            let res = app
                .post_as("/api/v1/tickets", &token, &json!({"category": "parts_supply", "urgency": "urgent", "title": title, "description": text}))
                .await;
            assert_eq!(res.status(), 201);
            let v: serde_json::Value = res.json().await.unwrap();
            numbers.push(v["number"].as_str().unwrap().to_string());
        }
        let prefix = format!("{:?}", app.backend).to_lowercase();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let Some((driver, c)) = session(DESKTOP).await else { return };
        c.set_window_size(1366, 900).await.unwrap();

        log_in(&c, &app, "o@pudong.example.cn").await;
        c.wait().for_element(Locator::Css("nav.desk-tabs")).await.unwrap();
        assert_eq!(sign_count(&c).await, "3");
        shot(&c, &dir, &format!("{prefix}-desk-1-workbench-desktop")).await;

        // The 待签收 tab: three tickets, with who filed them.
        c.find(Locator::Css("a[href='/workbench?tab=sign']")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("a[href='/workbench?tab=sign'][aria-current=page]")).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("上海某芯片封装有限公司"), "{text}");
        // Select all, then leave the oldest out.
        c.find(Locator::Css("input.pick-all")).await.unwrap().click().await.unwrap();
        let boxes = c.find_all(Locator::Css("input[name=ids][form=bulk]")).await.unwrap();
        assert_eq!(boxes.len(), 3);
        boxes[2].click().await.unwrap();
        let counted = c.find(Locator::Css(".bulk-count")).await.unwrap().text().await.unwrap();
        assert!(counted.contains('2'), "{counted}");
        shot(&c, &dir, &format!("{prefix}-desk-2-sign-tab-desktop")).await;
        c.set_window_size(390, 844).await.unwrap();
        shot(&c, &dir, &format!("{prefix}-desk-3-sign-tab-phone")).await;
        c.set_window_size(1366, 900).await.unwrap();

        // Sign for the two together.
        c.find(Locator::Css("#b-action option[value=sign_for]")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("form#bulk button.primary")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("ul.bulk-results")).await.unwrap();
        let result = body_text(&c).await;
        assert_eq!(result.matches("已签收").count(), 2, "{result}");
        assert!(result.contains(&numbers[2]) && result.contains(&numbers[1]), "{result}");
        assert!(!result.contains(&numbers[0]), "the unticked one was left alone");
        shot(&c, &dir, &format!("{prefix}-desk-4-result-desktop")).await;
        c.set_window_size(390, 844).await.unwrap();
        shot(&c, &dir, &format!("{prefix}-desk-5-result-phone")).await;

        // Back to the tab: one left to sign for.
        c.find(Locator::Css("a.button[href='/workbench?tab=sign']")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Css("a[href='/workbench?tab=sign'][aria-current=page]")).await.unwrap();
        assert_eq!(sign_count(&c).await, "1");
        assert_eq!(c.find_all(Locator::Css("input[name=ids][form=bulk]")).await.unwrap().len(), 1);
        shot(&c, &dir, &format!("{prefix}-desk-6-after-phone")).await;
        c.set_window_size(1366, 900).await.unwrap();
        c.goto(&app.url("/workbench?tab=handling")).await.unwrap();
        c.wait().for_element(Locator::Css("a[href='/workbench?tab=handling'][aria-current=page]")).await.unwrap();
        shot(&c, &dir, &format!("{prefix}-desk-7-handling-desktop")).await;
        c.close().await.unwrap();
        drop(driver);
    }
}
