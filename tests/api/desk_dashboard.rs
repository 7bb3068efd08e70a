//! The supervisor's dashboard can be followed (issue 24, item 7): every
//! count links to a list of exactly that many tickets, regions without
//! tickets show with zeros, the breakdowns by category and by chain, the
//! provinces' map, a weekly trend over a long period, and a municipality's
//! ranking export that has its districts.

use chrono::Duration;
use serde_json::json;

use crate::browser::{Browser, Page};
use crate::each_backend;
use crate::helpers::{act, TestApp};

pub struct Cast {
    pub ministry: &'static str,
    pub shanghai: &'static str,
    pub jiangsu: &'static str,
}

/// Two enterprises in Shanghai's Pudong (one of the automotive chain), one
/// in Suzhou's Wuzhong; seven tickets in three categories, filed 30 days
/// ago, of which the unsigned ones are now overdue, and two filed today.
pub async fn cast(app: &TestApp) -> Cast {
    let car = app
        .enterprise_in_chains("上海某汽车零部件有限公司", "310115", "automotive")
        .await;
    let chip = app
        .enterprise_in_chains("上海某芯片设计有限公司", "310115", "")
        .await;
    let parts = app
        .enterprise_in_chains("苏州某精密部件有限公司", "320506", "automotive;equipment")
        .await;
    app.user("enterprise", "car@pudong.cn", None, Some(car))
        .await;
    app.user("enterprise", "chip@pudong.cn", None, Some(chip))
        .await;
    app.user("enterprise", "parts@wuzhong.cn", None, Some(parts))
        .await;
    let province = app.department_of("320000").await;
    let ministry = app
        .get_json(&format!("/api/v1/departments/{province}"))
        .await["parent_id"]
        .as_i64()
        .unwrap();
    let shanghai = app.department_of("310000").await;
    app.user("supervisor", "s@miit.cn", Some(ministry), None)
        .await;
    app.user("supervisor", "s@shanghai.cn", Some(shanghai), None)
        .await;
    app.user("supervisor", "s@jiangsu.cn", Some(province), None)
        .await;
    let file = |who: &'static str, category: &'static str, n: usize| async move {
        let token = app.token(who).await;
        for i in 0..n {
            let res = app
                .post_as(
                    "/api/v1/tickets",
                    &token,
                    &json!({"category": category, "urgency": "normal",
                        "title": format!("诉求{i}号：原料运输受阻"),
                        "description": "货车无法进入园区，请协调。"}),
                )
                .await;
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        }
    };
    file("car@pudong.cn", "logistics", 2).await;
    file("chip@pudong.cn", "energy", 1).await;
    file("parts@wuzhong.cn", "logistics", 3).await;
    file("parts@wuzhong.cn", "parts_supply", 1).await;
    // Thirty days on, every deadline of those has passed.
    app.clock.advance(Duration::days(30));
    yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, app.clock.now(), 1000, 1000)
        .await
        .expect("scan");
    file("car@pudong.cn", "parts_supply", 1).await;
    file("parts@wuzhong.cn", "energy", 1).await;
    Cast {
        ministry: "s@miit.cn",
        shanghai: "s@shanghai.cn",
        jiangsu: "s@jiangsu.cn",
    }
}

/// Every count on a dashboard page that links to tickets: (link, count).
pub fn count_links(html: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for piece in html.split("href=\"/workbench?").skip(1) {
        let (href, rest) = piece.split_once('"').unwrap();
        let href = format!(
            "/workbench?{}",
            href.replace("&#38;", "&").replace("&amp;", "&")
        );
        // A table cell's link holds the number; a card's, the value span.
        let text = rest.trim_start_matches('>');
        let number = match text.split_once("<span class=\"card-value\">") {
            Some((before, value)) if !before.contains("</a>") => value,
            _ => text,
        };
        let n: u64 = number
            .split('<')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a count at {href}: {}", &text[..80.min(text.len())]));
        out.push((href, n));
    }
    out
}

/// How many tickets a list shows, page after page.
pub async fn listed(s: &Browser, href: &str) -> u64 {
    let mut ids = std::collections::HashSet::new();
    let mut next = Some(href.to_string());
    while let Some(path) = next.take() {
        let p: Page = s.get(&path).await;
        assert_eq!(p.status, 200, "{path}: {}", p.html);
        for piece in p.html.split("href=\"/tickets/").skip(1) {
            let id: String = piece.chars().take_while(char::is_ascii_digit).collect();
            if !id.is_empty() {
                ids.insert(id);
            }
        }
        next = p
            .html
            .split("class=\"more\"><a href=\"")
            .nth(1)
            .map(|rest| {
                rest.split('"')
                    .next()
                    .unwrap()
                    .replace("&#38;", "&")
                    .replace("&amp;", "&")
            });
    }
    ids.len() as u64
}

/// Follows every count of the page and checks its list's length; returns
/// the links, for further checks.
async fn every_count_lists_its_tickets(s: &Browser, path: &str) -> (Page, Vec<(String, u64)>) {
    let page = s.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.html);
    let links = count_links(&page.html);
    assert!(!links.is_empty(), "{path}: no count links");
    for (href, n) in &links {
        assert_eq!(listed(s, href).await, *n, "{path}: {href}");
    }
    (page, links)
}

fn has(links: &[(String, u64)], parts: &[&str], n: u64) -> bool {
    links
        .iter()
        .any(|(h, c)| *c == n && parts.iter().all(|p| h.contains(p)))
}

each_backend! {
    // Breakdowns computed for each view, however long they take.
    async fn every_dashboard_count_leads_to_exactly_its_tickets(app, &[("YIZHAN__METRICS__DASHBOARD_KEEP_SLOWER_THAN_MS", "60000")]) {
        let c = cast(&app).await;
        let s = Browser::new(&app);
        s.login(c.ministry).await;
        let (page, links) = every_count_lists_its_tickets(&s, "/dashboard").await;
        // Nine received, all open; the seven old ones overdue.
        assert!(has(&links, &["filed_from="], 9), "{links:?}");
        assert!(has(&links, &["open=true"], 9), "{links:?}");
        assert!(has(&links, &["open=true", "overdue=true"], 7), "{links:?}");
        // By province (Jiangsu 5, Shanghai 4), Tibet with zeros.
        assert!(has(&links, &["region=320000", "filed_from="], 5), "{links:?}");
        assert!(has(&links, &["region=310000", "overdue=true"], 3), "{links:?}");
        assert!(has(&links, &["region=540000", "filed_from="], 0), "{links:?}");
        assert!(page.html.contains("西藏自治区"), "a province without tickets is listed");
        // By category and by chain (a ticket of two chains in each).
        assert!(has(&links, &["category=logistics", "filed_from="], 5), "{links:?}");
        assert!(has(&links, &["category=energy", "open=true"], 2), "{links:?}");
        assert!(has(&links, &["chain=automotive", "filed_from="], 8), "{links:?}");
        assert!(has(&links, &["chain=equipment", "filed_from="], 5), "{links:?}");
        assert!(page.html.contains("物流运输") && page.html.contains("装备制造"), "names, not codes");

        // Down to the county: Jiangsu -> Suzhou -> Wuzhong, whose counts link too.
        let s = Browser::new(&app);
        s.login(c.jiangsu).await;
        let (page, links) = every_count_lists_its_tickets(&s, "/dashboard").await;
        assert!(page.html.contains("/dashboard?") && page.html.contains("region=320500"), "Suzhou drills down");
        assert!(has(&links, &["region=320500", "filed_from="], 5), "{links:?}");
        assert!(page.html.contains("南京市"), "a city without tickets is listed");
        let (page, links) = every_count_lists_its_tickets(&s, "/dashboard?region=320500").await;
        assert!(has(&links, &["region=320506", "filed_from="], 5), "{links:?}");
        assert!(has(&links, &["region=320506", "overdue=true"], 4), "{links:?}");
        assert!(has(&links, &["region=320505", "filed_from="], 0), "{links:?}");
        assert!(page.html.contains("吴中区") && page.html.contains("虎丘区"));
    }

    async fn the_resolved_count_lists_the_tickets_first_resolved_in_the_period(app) {
        let c = cast(&app).await;
        let pudong = app.department_of("310115").await;
        app.user("officer", "o@pudong.cn", Some(pudong), None).await;
        let officer = app.token("o@pudong.cn").await;
        let queue = app.get_as("/api/v1/tickets?region=310115", &officer).await.json::<serde_json::Value>().await.unwrap();
        let ids: Vec<i64> = queue["items"].as_array().unwrap_or_else(|| panic!("{queue}")).iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 4, "{queue}");
        // The one filed today (newest first); the older ones went up when overdue.
        for id in &ids[..1] {
            act(&app, &officer, *id, "sign_for", json!({})).await;
            act(&app, &officer, *id, "resolve", json!({"resolution": "已协调物流通行证，车辆已进园。"})).await;
        }
        let s = Browser::new(&app);
        s.login(c.shanghai).await;
        let (_, links) = every_count_lists_its_tickets(&s, "/dashboard").await;
        assert!(has(&links, &["resolved_from=", "resolved_to="], 1), "{links:?}");
        assert!(has(&links, &["region=310000", "open=true"], 3), "{links:?}");
        // A period that ended before: none resolved then.
        let today = app.clock.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let earlier = format!("/dashboard?from={}&to={}", today - chrono::Days::new(60), today - chrono::Days::new(1));
        let (_, links) = every_count_lists_its_tickets(&s, &earlier).await;
        assert!(has(&links, &["resolved_from="], 0), "{links:?}");
    }

    async fn a_municipality_lists_and_ranks_its_districts(app) {
        let c = cast(&app).await;
        let s = Browser::new(&app);
        s.login(c.shanghai).await;
        let (page, links) = every_count_lists_its_tickets(&s, "/dashboard").await;
        // Districts straight under the city, those without tickets with zeros.
        assert!(has(&links, &["region=310115", "filed_from="], 4), "{links:?}");
        assert!(has(&links, &["region=310101", "filed_from="], 0), "{links:?}");
        assert!(page.html.contains("黄浦区") && !page.html.contains("市辖区"), "{}", page.html);
        // The ranking files the page offers rank the districts.
        for basis in ["region", "department"] {
            let href = page
                .html
                .split(&format!("/exports/ranking.csv?basis={basis}&amp;"))
                .nth(1)
                .expect("the ranking link")
                .split('"')
                .next()
                .unwrap()
                .replace("&#38;", "&").replace("&amp;", "&");
            let file = s.get(&format!("/exports/ranking.csv?basis={basis}&{href}")).await;
            assert_eq!(file.status, 200);
            assert!(file.html.contains("浦东新区") && file.html.contains("黄浦区"), "{basis}: {}", file.html);
            assert!(file.html.lines().count() > 10, "{basis}: {}", file.html);
            // Asked for the city level, a municipality answers with its districts too.
            let file = s.get(&format!("/exports/ranking.csv?basis={basis}&level=city")).await;
            assert!(file.html.contains("浦东新区"), "{basis}: {}", file.html);
        }
    }

    async fn the_map_names_every_province_and_leads_to_its_dashboard(app) {
        let c = cast(&app).await;
        let s = Browser::new(&app);
        s.login(c.ministry).await;
        let page = s.get("/dashboard?rate=satisfaction").await;
        assert_eq!(page.status, 200);
        let map = page.html.split("<svg class=\"tile-map\"").nth(1).expect("the map");
        let map = map.split("</svg>").next().unwrap();
        assert_eq!(map.matches("<a href=\"/dashboard?").count(), 31, "{map}");
        for name in ["北京市", "上海市", "江苏省", "西藏自治区", "新疆维吾尔自治区", "海南省"] {
            assert!(map.contains(&format!("aria-label=\"{name} ")), "{name}: {map}");
        }
        assert!(map.contains("region=320000") && map.contains(">苏<"), "{map}");
        // The chosen rate names the map, and no colour goes without its value.
        assert!(map.contains("各省份满意率"), "{map}");
        assert!(map.contains(">—<"), "no data is printed, not only coloured");
        assert!(page.html.contains("<option value=\"satisfaction\" selected>"));
        // A province's own dashboard has no map.
        let jiangsu = s.get("/dashboard?region=320000").await;
        assert!(!jiangsu.html.contains("tile-map"));
        // English: the tiles carry short Latin codes.
        let en = s.get("/dashboard?lang=en").await;
        if en.html.contains("lang=\"en\"") {
            assert!(en.html.contains(">JS<"), "{}", en.html);
        }
    }

    // Every computation counts as costly, as at a million tickets: the page
    // does not wait for the breakdowns, and shows them once computed.
    async fn costly_breakdowns_come_on_a_later_view(app, &[("YIZHAN__METRICS__DASHBOARD_KEEP_SLOWER_THAN_MS", "0")]) {
        let c = cast(&app).await;
        let s = Browser::new(&app);
        s.login(c.ministry).await;
        let first = s.get("/dashboard").await;
        assert_eq!(first.status, 200);
        assert!(first.html.contains("正在后台计算"), "{}", first.html);
        let mut shown = None;
        for _ in 0..100 {
            let p = s.get("/dashboard").await;
            if !p.html.contains("正在后台计算") {
                shown = Some(p);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let shown = shown.expect("the breakdowns, computed in the background");
        let links = count_links(&shown.html);
        assert!(has(&links, &["category=logistics", "filed_from="], 5), "{links:?}");
        assert!(has(&links, &["chain=automotive", "filed_from="], 8), "{links:?}");
    }

    async fn a_long_period_trends_by_week_a_short_one_by_day(app) {
        let c = cast(&app).await;
        let s = Browser::new(&app);
        s.login(c.ministry).await;
        let today = app.clock.now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let long = s.get(&format!("/dashboard?from={}&to={today}", today - chrono::Days::new(179))).await;
        assert_eq!(long.status, 200, "{}", long.html);
        assert!(long.html.contains("每周三率趋势"), "{}", long.html);
        // A point per week, each saying its week and values on hover.
        let tips: Vec<&str> = long.html.split("<circle").skip(1).collect();
        assert!(!tips.is_empty());
        assert!(tips.iter().all(|t| t.contains("~")), "{tips:?}");
        let short = s.get(&format!("/dashboard?from={}&to={today}", today - chrono::Days::new(29))).await;
        assert!(short.html.contains("每日三率趋势"), "{}", short.html);
        // A wide chart for screens, a narrow one for phones; no text under 12 px.
        assert!(short.html.contains("chart-wide") && short.html.contains("chart-narrow"));
        assert!(!short.html.contains("font-size=\"11\""));
    }
}
