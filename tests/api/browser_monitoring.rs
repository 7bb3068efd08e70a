//! Issue 26 in a real browser (headless Chromium over WebDriver): an
//! enterprise files its daily report on a phone, from yesterday's, and
//! turns a blocker into a ticket; a supervisor reads the board on a
//! desktop and a phone, drills down and urges the missing. Screenshots
//! under `target/browser-screenshots/` (daily-*, board-*).

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::chromium::{body_text, log_in, session, Shots, DESKTOP, PHONE};
use crate::each_backend;
use crate::monitoring::{bj22, cast, report};

/// The page body scrolls sideways by this many pixels (0: it fits).
async fn sideways(c: &Client) -> i64 {
    c.execute(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        vec![],
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap()
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn fill(c: &Client, css: &str, text: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Waits until the page's main part says `text` (a page still loading
/// has none yet).
async fn says(c: &Client, text: &str) {
    for _ in 0..100 {
        let now = match c.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if now.contains(text) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the page never said {text}: {}", body_text(c).await);
}

each_backend! {
    async fn an_enterprise_files_its_daily_report_on_a_phone(app) {
        app.clock.set(bj22(4, 27, 9, 0));
        let _c = cast(&app).await;
        let token = app.token("parts@e.example").await;
        let mut yesterday = report("partial", 640, 1000, 55);
        yesterday["output_quantity"] = json!(1200);
        yesterday["output_unit"] = json!("套");
        app.put_as("/api/v1/daily-reports/2022-04-27", &token, &yesterday).await;
        app.clock.set(bj22(4, 28, 8, 30));
        let Some((_driver, c)) = session(PHONE).await else { return };
        let mut shots = Shots::new(&format!("daily-{:?}", app.backend).to_lowercase());
        log_in(&c, &app, "parts@e.example").await;
        click(&c, "header a[href='/daily']").await;
        says(&c, "2022年4月28日 星期四").await;
        assert!(body_text(&c).await.contains("尚未报送"));
        // Started from yesterday's report.
        let on_duty = c.find(Locator::Id("staff_on_duty")).await.unwrap();
        assert_eq!(on_duty.prop("value").await.unwrap().as_deref(), Some("640"));
        assert_eq!(sideways(&c).await, 0, "the form fits a phone");
        shots.take(&c, "prefilled").await;
        // Today: running again, more staff, a blocker.
        click(&c, "input[name=status][value=running]").await;
        fill(&c, "#staff_on_duty", "900").await;
        fill(&c, "#capacity_percent", "85").await;
        let category = c.find(Locator::Id("b1_category")).await.unwrap();
        category.select_by_value("logistics").await.unwrap();
        fill(&c, "textarea[name=b1_text]", "货车通行证还没办下来，零部件积压在外省").await;
        click(&c, "form.daily-form button[type=submit]").await;
        says(&c, "日报已保存").await;
        assert!(body_text(&c).await.contains("已报送（第 1 版）"));
        shots.take(&c, "saved").await;
        // The blocker becomes a ticket in one step; its status shows.
        click(&c, "form.daily-ticket button[type=submit]").await;
        says(&c, "已转为诉求").await;
        assert!(body_text(&c).await.contains("待签收"));
        assert_eq!(sideways(&c).await, 0);
        shots.take(&c, "ticket").await;
        // A mistake is said by its field, what was typed kept.
        fill(&c, "#staff_on_duty", "1900").await;
        click(&c, "form.daily-form button[type=submit]").await;
        says(&c, "在岗人数不能多于正常在岗人数").await;
        let on_duty = c.find(Locator::Id("staff_on_duty")).await.unwrap();
        assert_eq!(on_duty.prop("value").await.unwrap().as_deref(), Some("1900"));
        assert_eq!(on_duty.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
        shots.take(&c, "refused").await;
        c.close().await.unwrap();
    }

    async fn a_supervisor_reads_the_monitoring_board(app) {
        app.clock.set(bj22(4, 28, 9, 0));
        let c0 = cast(&app).await;
        for e in [c0.parts, c0.chips] {
            app.put_as(&format!("/api/v1/monitoring/lists/{}/members/{e}", c0.list), &c0.lead, &json!({})).await;
        }
        let token = app.token("parts@e.example").await;
        for d in 20..=28u32 {
            app.clock.set(bj22(4, d, 9, 0));
            let mut r = report(if d < 24 { "partial" } else { "running" }, 300 + 40 * d as i64, 1500, 40 + 2 * d as i64);
            r["output_quantity"] = json!(900 + 20 * d);
            r["output_unit"] = json!("套");
            let res = app.put_as(&format!("/api/v1/daily-reports/2022-04-{d:02}"), &token, &r).await;
            assert_eq!(res.status(), 201);
        }
        let shanghai = app.department_of("310000").await;
        app.user("supervisor", "sup@sh.example", Some(shanghai), None).await;
        for (size, name) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
            let Some((_driver, c)) = session(size).await else { return };
            let mut shots = Shots::new(&format!("board-{name}-{:?}", app.backend).to_lowercase());
            log_in(&c, &app, "sup@sh.example").await;
            click(&c, "header a[href='/monitoring']").await;
            says(&c, "每日调度看板").await;
            let text = body_text(&c).await;
            for seen in ["复工率", "50.0%", "报送率", "缺报名单（1 家）", "上海某集成电路有限公司", "每日趋势"] {
                assert!(text.contains(seen), "{seen}: {text}");
            }
            assert_eq!(sideways(&c).await, 0, "the board fits {name}");
            shots.take(&c, "board").await;
            // The last seven days, then down to Shanghai's districts.
            click(&c, "a[href*='from=2022-04-22']").await;
            says(&c, "日均产量").await;
            shots.take(&c, "week").await;
            click(&c, "table a[href*='region=310000']").await;
            says(&c, "浦东新区").await;
            shots.take(&c, "districts").await;
            c.close().await.unwrap();
        }
        // Urging from the board, on the desktop.
        let Some((_driver, c)) = session(DESKTOP).await else { return };
        log_in(&c, &app, "sup@sh.example").await;
        c.goto(&app.url(&format!("/monitoring?list={}&date=2022-04-28", c0.list))).await.unwrap();
        click(&c, "form[action='/monitoring/urge'] button").await;
        says(&c, "已向缺报企业发出催报通知").await;
        assert!(body_text(&c).await.contains("已催报"));
        c.close().await.unwrap();
    }
}
