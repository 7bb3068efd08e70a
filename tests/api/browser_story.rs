//! The web application in a real browser: headless Chromium driven over
//! WebDriver (chromedriver). An enterprise files a problem, an officer
//! signs for it and resolves it, the enterprise rates it, and a supervisor
//! sees the rates change; screenshots of each step are kept under
//! `target/browser-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the test
//! says so on the terminal and passes, unless `YIZHAN_BROWSER_TESTS=required`
//! (as `.ci/run` sets), when it fails.

use fantoccini::{Client, Locator};

use crate::chromium::{body_text, log_in, log_out, session, Shots, DESKTOP};
use crate::each_backend;

/// Opens the action's form on a ticket page and sends it, filling the
/// given text fields and ticking the given radio buttons.
async fn act(c: &Client, action: &str, texts: &[(&str, &str)], radios: &[&str]) {
    let details = c.find(Locator::Id(&format!("act-{action}"))).await.unwrap();
    // The primary step is open already; the others fold.
    if let Ok(summary) = details.find(Locator::Css("summary")).await {
        summary.click().await.unwrap();
    }
    for (name, value) in texts {
        details
            .find(Locator::Css(&format!("[name={name}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    for css in radios {
        details
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    details
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

each_backend! {
    async fn a_problem_is_filed_handled_and_rated_in_a_real_browser(app) {
        let Some((driver, c)) = session(DESKTOP).await else { return };
        let ent = app.enterprise("上海某汽车零部件有限公司", "310115").await;
        app.user("enterprise", "e@parts.example.cn", None, Some(ent)).await;
        app.user("officer", "o@pudong.example.cn", Some(app.department_of("310115").await), None).await;
        app.user("supervisor", "s@shanghai.example.cn", Some(app.department_of("310000").await), None).await;
        let mut shots = Shots::new(&format!("{:?}", app.backend).to_lowercase());
        // The enterprise files a problem.
        log_in(&c, &app, "e@parts.example.cn").await;
        c.wait().for_element(Locator::Css("a.button[href='/tickets/new']")).await.unwrap();
        shots.take(&c, "portal").await;
        c.goto(&app.url("/tickets/new")).await.unwrap();
        c.find(Locator::Css("#category option[value=worker_return]")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("input[name=urgency][value=urgent]")).await.unwrap().click().await.unwrap();
        c.find(Locator::Id("title")).await.unwrap().send_keys("员工无法返岗").await.unwrap();
        c.find(Locator::Id("description")).await.unwrap().send_keys("封控区员工无法返岗，产线停工。").await.unwrap();
        shots.take(&c, "filing").await;
        c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().for_element(Locator::Id("timeline")).await.unwrap();
        let url = c.current_url().await.unwrap();
        let ticket = url.path().to_string();
        assert!(ticket.starts_with("/tickets/"), "{url}");
        assert!(body_text(&c).await.contains("待签收"));
        shots.take(&c, "filed").await;
        log_out(&c).await;

        // The officer signs for it and resolves it.
        log_in(&c, &app, "o@pudong.example.cn").await;
        c.wait().for_element(Locator::Css("form.filters")).await.unwrap();
        assert!(body_text(&c).await.contains("员工无法返岗"));
        shots.take(&c, "workbench").await;
        c.goto(&app.url(&ticket)).await.unwrap();
        act(&c, "sign_for", &[], &[]).await;
        c.wait().for_element(Locator::Id("act-resolve")).await.unwrap();
        act(&c, "resolve", &[("resolution", "已协调闭环返岗，产线恢复。")], &[]).await;
        c.wait().for_element(Locator::Css(".status-resolved")).await.unwrap();
        shots.take(&c, "resolved").await;
        log_out(&c).await;

        // The enterprise rates it.
        log_in(&c, &app, "e@parts.example.cn").await;
        c.wait().for_element(Locator::Css("a.button[href='/tickets/new']")).await.unwrap();
        c.goto(&app.url(&ticket)).await.unwrap();
        act(&c, "rate", &[], &["input[name=satisfaction][value=satisfied]", "input[name=solved][value=true]"]).await;
        c.wait().for_element(Locator::Css(".status-closed")).await.unwrap();
        shots.take(&c, "rated").await;
        log_out(&c).await;

        // The supervisor sees the rates.
        log_in(&c, &app, "s@shanghai.example.cn").await;
        c.wait().for_element(Locator::Css("ul.cards")).await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("满意率") && text.contains("100.0%"), "{text}");
        shots.take(&c, "dashboard").await;
        c.close().await.unwrap();
        drop(driver);
        assert!(shots.n >= 7);
    }
}
