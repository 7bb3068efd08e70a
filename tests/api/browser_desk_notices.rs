//! The bell in a real browser (headless Chromium): a notice made while the
//! enterprise's page is open shows in the header's count, its label and the
//! live region, and at the top of /notifications, without a reload.
//! Screenshots of the header and /notifications at 1366×900 and 390×844 go
//! to `target/browser-screenshots/desk-notices-*.png`. SQLite only: one
//! browser at a time. Skipped (with a note) without Chromium, as the story is.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::chromium::{log_in, session, DESKTOP};
use crate::helpers::{spawn_app_with, TestBackend};

async fn shot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("desk-notices-{name}.png")), png).unwrap();
}

/// Waits (the script polls every 30 s) until `js` returns true.
async fn until(c: &Client, js: &str, what: &str) {
    for _ in 0..90 {
        if c.execute(js, vec![]).await.unwrap() == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("without a reload, never: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bell_counts_new_notices_without_a_reload() {
    let app = spawn_app_with(TestBackend::Sqlite, &[]).await;
    let ent = app.enterprise("上海某汽车零部件有限公司", "310115").await;
    app.user("enterprise", "e@parts.example.cn", None, Some(ent))
        .await;
    app.user(
        "officer",
        "o@pudong.example.cn",
        Some(app.department_of("310115").await),
        None,
    )
    .await;
    let enterprise = app.token("e@parts.example.cn").await;
    let officer = app.token("o@pudong.example.cn").await;
    let t: Value = app
        .post_as(
            "/api/v1/tickets",
            &enterprise,
            &json!({
                "category": "logistics", "urgency": "urgent",
                "title": "物流车辆通行证办理", "description": "运输原料的货车在检查站滞留两天，请协调办理通行证。"
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = t["id"].as_i64().unwrap();

    let Some((_driver, c)) = session(DESKTOP).await else {
        return;
    };
    c.set_window_size(1366, 900).await.unwrap();
    log_in(&c, &app, "e@parts.example.cn").await;
    c.wait()
        .for_element(Locator::Css("a.button[href='/tickets/new']"))
        .await
        .unwrap();
    let bell = c.find(Locator::Id("bell")).await.unwrap();
    assert_eq!(
        bell.attr("aria-label").await.unwrap().as_deref(),
        Some("通知，0 条未读")
    );

    // The department signs for it while the portal is open.
    let res = app
        .post_as(
            &format!("/api/v1/tickets/{id}/actions/sign_for"),
            &officer,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    until(
        &c,
        "var b = document.getElementById('bell'); return b.getAttribute('aria-label') === '通知，1 条未读' && b.querySelector('.count').textContent === '1' && !b.querySelector('.count').hidden;",
        "the bell counts 1",
    )
    .await;
    assert_eq!(
        c.execute(
            "return document.getElementById('bell-live').textContent",
            vec![]
        )
        .await
        .unwrap(),
        json!("您有 1 条未读通知。")
    );
    shot(&c, "1366-portal").await;

    // On the list, a new notice appears at the top without a reload.
    c.goto(&app.url("/notifications")).await.unwrap();
    c.wait().for_element(Locator::Id("notices")).await.unwrap();
    let res = app
        .post_as(
            &format!("/api/v1/tickets/{id}/actions/request_info"),
            &officer,
            &json!({"question": "请提供滞留车辆的车牌号。"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    until(
        &c,
        "var l = document.querySelectorAll('#notices li'); return l.length === 2 && l[0].textContent.indexOf('请补充材料') >= 0 && document.querySelector('#bell .count').textContent === '2' && document.getElementById('notices-unread').textContent === '未读 2 条';",
        "the list shows the new notice",
    )
    .await;
    shot(&c, "1366-notifications").await;

    // A phone: the header keeps its words whole.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&app.url("/notifications")).await.unwrap();
    c.wait().for_element(Locator::Id("notices")).await.unwrap();
    let split = c
        .execute(
            "var bad = []; document.querySelectorAll('header.site a, header.site button, header.site span').forEach(function (e) { if (e.getClientRects().length > 1) bad.push(e.textContent); }); return bad;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(split, json!([]), "header items split over lines");
    shot(&c, "390-notifications").await;
    c.goto(&app.url("/portal")).await.unwrap();
    c.wait().for_element(Locator::Id("bell")).await.unwrap();
    shot(&c, "390-portal").await;
    c.close().await.unwrap();
}
