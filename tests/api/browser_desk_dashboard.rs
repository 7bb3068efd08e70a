//! The supervisor's dashboard in a real browser (headless Chromium over
//! WebDriver): from the provinces' map to a province's dashboard, from a
//! count there to the tickets behind it, as many as it says; screenshots
//! of the nationwide, a province's and Shanghai's dashboard at 1366x900
//! and 390x844 under `target/browser-screenshots/`.

use std::path::PathBuf;

use fantoccini::{Client, Locator};

use crate::chromium::{body_text, log_in, log_out, session, DESKTOP};
use crate::desk_dashboard::cast;
use crate::each_backend;

struct Shots {
    dir: PathBuf,
    prefix: String,
}

impl Shots {
    /// The viewport at each of the page's parts (the top, then each section).
    async fn take(&self, c: &Client, size: &str, name: &str, parts: &[&str]) {
        for (i, part) in ["h1"].iter().chain(parts).enumerate() {
            let found = c
                .execute(
                    "const t = document.querySelector(arguments[0]); if (t) { t.scrollIntoView(); } return !!t;",
                    vec![serde_json::json!(part)],
                )
                .await
                .unwrap();
            if found.as_bool() != Some(true) {
                continue;
            }
            let png = c.screenshot().await.expect("a screenshot");
            let path = self
                .dir
                .join(format!("{}-{size}-{name}-{i}.png", self.prefix));
            std::fs::write(&path, png).expect("the screenshot is written");
        }
    }
}

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

/// Waits until the browser is at an address containing `part`.
async fn arrived(c: &Client, part: &str) {
    for _ in 0..100 {
        if c.current_url().await.unwrap().as_str().contains(part) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "never arrived at {part}: {}",
        c.current_url().await.unwrap()
    );
}

const PARTS: [&str; 5] = ["#map-h", "#regions-h", "#cat-h", "#trend-h", "#rank-h"];

each_backend! {
    async fn a_supervisor_follows_a_count_from_the_map_to_its_tickets(app, &[("YIZHAN__METRICS__DASHBOARD_KEEP_SLOWER_THAN_MS", "60000")]) {
        let people = cast(&app).await;
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let shots = Shots { dir, prefix: format!("desk-dashboard-{:?}", app.backend).to_lowercase() };
        let Some((_driver, c)) = session(DESKTOP).await else { return };
        c.set_window_size(1366, 900).await.unwrap();

        log_in(&c, &app, people.ministry).await;
        c.wait().for_element(Locator::Css("svg.tile-map")).await.unwrap();
        shots.take(&c, "1366", "ministry", &PARTS).await;
        // The map: Jiangsu's tile leads to Jiangsu's dashboard.
        c.find(Locator::Css("svg.tile-map a[href*='region=320000']"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        arrived(&c, "region=320000").await;
        let h1 = c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
        assert!(h1.contains("江苏省"), "{h1}");
        shots.take(&c, "1366", "jiangsu", &PARTS).await;
        // A count there: Suzhou's overdue tickets.
        let count = c
            .find(Locator::Css("a[href*='region=320500'][href*='overdue=true']"))
            .await
            .unwrap();
        let n: usize = count.text().await.unwrap().trim().parse().unwrap();
        assert_eq!(n, 4);
        count.click().await.unwrap();
        arrived(&c, "/workbench?").await;
        let rows = c.find_all(Locator::Css("table.tickets tbody tr")).await.unwrap();
        assert_eq!(rows.len(), n, "{}", body_text(&c).await);
        shots.take(&c, "1366", "jiangsu-overdue-tickets", &[]).await;

        // On a phone: no sideways scrolling, names on one line, charts legible.
        c.set_window_size(390, 844).await.unwrap();
        for (path, name) in [("/dashboard", "ministry"), ("/dashboard?region=320000", "jiangsu")] {
            c.goto(&app.url(path)).await.unwrap();
            assert_eq!(sideways(&c).await, 0, "{path} scrolls sideways");
            shots.take(&c, "390", name, &PARTS).await;
        }
        let name_height = c
            .execute(
                "const a = document.querySelector('#regions-h ~ .table-wrap tbody th'); return a.getBoundingClientRect().height;",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        assert!(name_height < 60.0, "a region's name wraps: {name_height} px high");
        let smallest = c
            .execute(
                "let m = 99; for (const svg of document.querySelectorAll('svg.chart-narrow')) { const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; for (const t of svg.querySelectorAll('text')) { m = Math.min(m, parseFloat(t.getAttribute('font-size')) * scale); } } return m;",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        assert!(smallest >= 12.0, "chart text {smallest} px high on a phone");

        // Shanghai: districts straight under the municipality.
        log_out(&c).await;
        log_in(&c, &app, people.shanghai).await;
        c.wait().for_element(Locator::Css("#regions-h")).await.unwrap();
        assert_eq!(sideways(&c).await, 0);
        shots.take(&c, "390", "shanghai", &PARTS).await;
        c.set_window_size(1366, 900).await.unwrap();
        c.refresh().await.unwrap();
        let text = body_text(&c).await;
        assert!(text.contains("浦东新区") && text.contains("黄浦区"), "{text}");
        shots.take(&c, "1366", "shanghai", &PARTS).await;
        c.close().await.unwrap();
        drop(_driver);
    }
}
