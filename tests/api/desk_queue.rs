//! The officer's queue (issue 24): tabs with counts per role that match the
//! lists behind them, closed tickets out of the default view, word search
//! over number, text, enterprise name and credit code, the region by name,
//! saved views, and bulk sign-for with each ticket's outcome.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{credit_code, TestApp};

const LIMITS: &[(&str, &str)] = &[("YIZHAN__FILING__UNVERIFIED_OPEN_LIMIT", "100")];

/// The credit code `TestApp::enterprise` gives an enterprise of this name.
fn code_of(name: &str, county: &str) -> String {
    credit_code(&format!(
        "91{county}{:09}",
        name.chars().map(|c| c as u32).sum::<u32>() % 1_000_000_000
    ))
}

struct Desk {
    chips: String,
    parts: String,
    /// 芯片停产 (A), 芯片运输受阻 (A), 员工返岗 (B, signed for), 原材料短缺 (A, withdrawn).
    t: [i64; 4],
    numbers: [String; 4],
}

const CHIPS: &str = "上海芯片制造有限公司";
const PARTS: &str = "上海另一家零件公司";

async fn file(app: &TestApp, token: &str, title: &str, description: &str) -> (i64, String) {
    let res = app
        .post_as(
            "/api/v1/tickets",
            token,
            &json!({"category": "parts_supply", "urgency": "normal", "title": title, "description": description}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let v: Value = res.json().await.unwrap();
    (
        v["id"].as_i64().unwrap(),
        v["number"].as_str().unwrap().to_string(),
    )
}

async fn desk(app: &TestApp) -> Desk {
    let a = app.enterprise(CHIPS, "310115").await;
    let b = app.enterprise(PARTS, "310115").await;
    app.user("enterprise", "e@chips.cn", None, Some(a)).await;
    app.user("enterprise", "e@parts.cn", None, Some(b)).await;
    let pudong = app.department_of("310115").await;
    app.user("officer", "o@pudong.cn", Some(pudong), None).await;
    app.user("lead", "lead@pudong.cn", Some(pudong), None).await;
    app.user(
        "officer",
        "o@huangpu.cn",
        Some(app.department_of("310101").await),
        None,
    )
    .await;
    app.user(
        "supervisor",
        "sup@shanghai.cn",
        Some(app.department_of("310000").await),
        None,
    )
    .await;
    let (chips, parts) = (app.token("e@chips.cn").await, app.token("e@parts.cn").await);
    let t0 = file(
        app,
        &chips,
        "芯片停产",
        "主要供应商芯片停产，产线等待排产。",
    )
    .await;
    let t1 = file(
        app,
        &chips,
        "运输受阻",
        "芯片运输车辆无法通行，需要通行证。",
    )
    .await;
    let t2 = file(app, &parts, "员工返岗", "封控区员工无法返回工厂。").await;
    let t3 = file(app, &chips, "原材料短缺", "钢材库存只够三天。").await;
    let officer = app.token("o@pudong.cn").await;
    crate::helpers::act(app, &officer, t2.0, "sign_for", json!({})).await;
    crate::helpers::act(
        app,
        &chips,
        t3.0,
        "withdraw",
        json!({"reason": "已自行解决"}),
    )
    .await;
    Desk {
        chips,
        parts,
        t: [t0.0, t1.0, t2.0, t3.0],
        numbers: [t0.1, t1.1, t2.1, t3.1],
    }
}

/// The number a tab of the page says it holds.
fn tab_count(html: &str, tab: &str) -> Option<i64> {
    let at = html.find(&format!("href=\"/workbench?tab={tab}\""))?;
    let rest = &html[at..];
    let end = rest.find("</a>")?;
    let link = &rest[..end];
    let start = link.find("class=\"count")?;
    let from = link[start..].find('>')? + start + 1;
    let to = link[from..].find('<')? + from;
    link[from..to].trim().parse().ok()
}

/// The tickets a workbench page lists (their checkboxes).
fn listed(html: &str) -> Vec<i64> {
    html.match_indices("name=\"ids\" value=\"")
        .map(|(i, m)| {
            html[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap()
        })
        .collect()
}

async fn ids_found(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let res = app.get_as(&format!("/api/v1/tickets?{query}"), token).await;
    assert_eq!(res.status(), 200, "{query}: {}", res.text().await.unwrap());
    let v: Value = res.json().await.unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

each_backend! {
    async fn each_role_s_tabs_count_what_their_lists_hold(app, LIMITS) {
        let d = desk(&app).await;
        let tabs_of = |role: &str| -> Vec<&'static str> {
            match role {
                "lead" => vec!["sign", "handling", "info", "extension", "cohandling", "urged", "near", "overdue", "mine"],
                "supervisor" => vec!["sign", "handling", "info", "urged", "near", "overdue"],
                _ => vec!["sign", "handling", "info", "cohandling", "urged", "near", "overdue", "mine"],
            }
        };
        for (email, role) in [("o@pudong.cn", "officer"), ("lead@pudong.cn", "lead"), ("sup@shanghai.cn", "supervisor"), ("o@huangpu.cn", "officer")] {
            let b = Browser::new(&app);
            b.login(email).await;
            let home = b.get("/workbench").await;
            assert_eq!(home.status, 200);
            for tab in ["sign", "handling", "info", "extension", "cohandling", "urged", "near", "overdue", "mine"] {
                let shown = tab_count(&home.html, tab);
                if !tabs_of(role).contains(&tab) {
                    assert_eq!(shown, None, "{email} has no {tab} tab");
                    continue;
                }
                let shown = shown.unwrap_or_else(|| panic!("{email}: the {tab} tab has a number"));
                let list = b.get(&format!("/workbench?tab={tab}")).await;
                assert_eq!(list.status, 200);
                assert_eq!(listed(&list.html).len() as i64, shown, "{email}: tab {tab}");
                assert!(list.html.contains(&format!("href=\"/workbench?tab={tab}\" aria-current=\"page\"")));
            }
            // The numbers themselves.
            let (sign, handling) = (tab_count(&home.html, "sign").unwrap(), tab_count(&home.html, "handling").unwrap());
            if email == "o@huangpu.cn" {
                assert_eq!((sign, handling), (0, 0), "not Huangpu's tickets");
            } else {
                assert_eq!((sign, handling), (2, 1), "{email}");
            }
        }
        // The API lists a tab too; enterprises have none.
        let officer = app.token("o@pudong.cn").await;
        let mut signing = ids_found(&app, &officer, "tab=sign").await;
        signing.sort();
        assert_eq!(signing, vec![d.t[0], d.t[1]]);
        let res = app.get_as("/api/v1/tickets?tab=sign", &d.chips).await;
        crate::helpers::assert_problem(res, 422).await;
        let res = app.get_as("/api/v1/tickets?tab=extension", &officer).await;
        crate::helpers::assert_problem(res, 422).await;
        // Signing one for moves it from one tab to the other.
        crate::helpers::act(&app, &officer, d.t[0], "sign_for", json!({})).await;
        let b = Browser::new(&app);
        b.login("o@pudong.cn").await;
        let home = b.get("/workbench").await;
        assert_eq!(tab_count(&home.html, "sign"), Some(1));
        assert_eq!(tab_count(&home.html, "handling"), Some(2));
        // Who filed shows in the queue.
        assert!(home.html.contains(CHIPS) && home.html.contains(PARTS));
    }

    async fn closed_tickets_stay_out_of_the_default_view(app, LIMITS) {
        let d = desk(&app).await;
        let b = Browser::new(&app);
        b.login("o@pudong.cn").await;
        let page = b.get("/workbench").await;
        let shown = listed(&page.html);
        assert!(shown.contains(&d.t[0]) && shown.contains(&d.t[2]));
        assert!(!shown.contains(&d.t[3]), "a withdrawn ticket is not in the default view");
        assert!(!page.html.contains("原材料短缺"));
        let all = b.get("/workbench?closed=true").await;
        assert!(listed(&all.html).contains(&d.t[3]));
        let asked = b.get("/workbench?status=withdrawn").await;
        assert_eq!(listed(&asked.html), vec![d.t[3]], "asked for by status, it shows");
        // The API is unchanged: everything unless told otherwise.
        let officer = app.token("o@pudong.cn").await;
        assert!(ids_found(&app, &officer, "").await.contains(&d.t[3]));
        assert!(!ids_found(&app, &officer, "closed=false").await.contains(&d.t[3]));
    }

    async fn search_finds_all_words_numbers_enterprises_and_credit_codes(app, LIMITS) {
        let d = desk(&app).await;
        let officer = app.token("o@pudong.cn").await;
        let q = |s: &str| format!("q={}", urlencoding(s));
        assert_eq!(ids_found(&app, &officer, &q("芯片 停产")).await, vec![d.t[0]]);
        assert_eq!(ids_found(&app, &officer, &q("通行")).await, vec![d.t[1]], "a two-character word");
        let mut chips = ids_found(&app, &officer, &q("芯片")).await;
        chips.sort();
        assert_eq!(chips, vec![d.t[0], d.t[1], d.t[3]], "in the text or the enterprise's name");
        assert_eq!(ids_found(&app, &officer, &q("停产　芯片")).await, vec![d.t[0]], "an ideographic space, either order");
        assert!(ids_found(&app, &officer, &q("芯片 返岗")).await.is_empty());
        assert_eq!(ids_found(&app, &officer, &q(&d.numbers[1])).await, vec![d.t[1]]);
        assert_eq!(ids_found(&app, &officer, &q("另一家零件")).await, vec![d.t[2]], "the enterprise's name");
        let code = code_of(PARTS, "310115");
        assert_eq!(ids_found(&app, &officer, &q(&code)).await, vec![d.t[2]], "the credit code");
        assert_eq!(ids_found(&app, &officer, &q(&code.to_lowercase())).await, vec![d.t[2]]);
        assert_eq!(ids_found(&app, &officer, &format!("{}&closed=true", q("芯片制造 钢材"))).await, vec![d.t[3]], "enterprise and text together");
        // The page finds the same.
        let b = Browser::new(&app);
        b.login("o@pudong.cn").await;
        let page = b.get(&format!("/workbench?{}", q("芯片 停产"))).await;
        assert_eq!(listed(&page.html), vec![d.t[0]]);
        let _ = d.parts;
    }

    async fn a_region_is_asked_for_by_name_and_shown_by_name(app, LIMITS) {
        let d = desk(&app).await;
        let b = Browser::new(&app);
        b.login("sup@shanghai.cn").await;
        let page = b.get(&format!("/workbench?region_name={}", urlencoding("浦东新区"))).await;
        assert_eq!(page.status, 200);
        assert!(listed(&page.html).contains(&d.t[0]));
        assert!(page.html.contains("value=\"上海市 浦东新区\""), "the name stays in the field");
        let none = b.get(&format!("/workbench?region_name={}", urlencoding("黄浦区"))).await;
        assert!(listed(&none.html).is_empty());
        // A dashboard's link by code shows the region's name.
        let linked = b.get("/workbench?region=310115").await;
        assert!(linked.html.contains("value=\"上海市 浦东新区\""));
        assert!(listed(&linked.html).contains(&d.t[0]));
        // One name, several regions: the page asks which.
        let two = b.get(&format!("/workbench?region_name={}", urlencoding("朝阳区"))).await;
        assert!(two.html.contains("不止一个"), "{}", two.html);
        assert!(two.html.contains("北京市 朝阳区"));
        let unknown = b.get(&format!("/workbench?region_name={}", urlencoding("火星"))).await;
        assert!(unknown.html.contains("没有名为"));
        // The picker's suggestions.
        let found: Value = b
            .client
            .get(app.url(&format!("/workbench/regions?q={}", urlencoding("浦东"))))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(found[0]["code"], "310115");
        assert_eq!(found[0]["label"], "上海市 浦东新区");
    }

    async fn saved_views_are_each_person_s_own(app, LIMITS) {
        let d = desk(&app).await;
        let b = Browser::new(&app);
        b.login("o@pudong.cn").await;
        let saved = b.post("/workbench/views", &[("name", "芯片急件"), ("query", "q=%E8%8A%AF%E7%89%87&sort=deadline&cursor=abc")]).await;
        assert_eq!(saved.status, 303);
        assert_eq!(saved.location.as_deref(), Some("/workbench?q=%E8%8A%AF%E7%89%87&sort=deadline"));
        let page = b.get("/workbench?q=%E8%8A%AF%E7%89%87&sort=deadline").await;
        assert!(page.html.contains("芯片急件"));
        assert!(page.html.contains("href=\"/workbench?q=%E8%8A%AF%E7%89%87&#38;sort=deadline\" aria-current=\"page\""), "the view is the current tab");
        let mut shown = listed(&page.html);
        shown.sort();
        assert_eq!(shown, vec![d.t[0], d.t[1]]);
        let id: i64 = {
            let at = page.html.find("/workbench/views/").unwrap() + "/workbench/views/".len();
            page.html[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
        };
        // Another officer of the same department sees none of it, and cannot delete it.
        let other = Browser::new(&app);
        other.login("lead@pudong.cn").await;
        assert!(!other.get("/workbench").await.html.contains("芯片急件"));
        let refused = other.post(&format!("/workbench/views/{id}/delete"), &[]).await;
        assert_eq!(refused.status, 404);
        assert!(b.get("/workbench").await.html.contains("芯片急件"));
        // A name too long is refused.
        let long = b.post("/workbench/views", &[("name", &"长".repeat(21)), ("query", "tab=sign")]).await;
        assert_eq!(long.status, 422);
        // The form comes back with what was typed and why.
        assert!(long.html.contains(&format!("value=\"{}\"", "长".repeat(21))), "{}", long.html);
        assert!(long.html.contains("视图名称最多 20 个字") && long.html.contains("value=\"tab=sign\""), "{}", long.html);
        // Its owner deletes it.
        let gone = b.post(&format!("/workbench/views/{id}/delete"), &[]).await;
        assert_eq!(gone.status, 303);
        assert!(!b.get("/workbench").await.html.contains("芯片急件"));
    }

    async fn bulk_sign_for_reports_each_ticket_and_writes_an_event_each(app, LIMITS) {
        let d = desk(&app).await;
        let officer = app.token("o@pudong.cn").await;
        // The API: two to sign for, one already signed for.
        let res = app
            .post_as("/api/v1/tickets/bulk", &officer, &json!({"action": "sign_for", "ticket_ids": [d.t[0], d.t[2]]}))
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!((v["done"].as_u64(), v["refused"].as_u64()), (Some(1), Some(1)), "{v}");
        assert_eq!(v["results"][0]["ticket_id"], d.t[0]);
        assert_eq!(v["results"][0]["outcome"], "done");
        assert_eq!(v["results"][0]["status"], "handling");
        assert_eq!(v["results"][1]["outcome"], "refused");
        assert_eq!(v["results"][1]["problem"]["status"], 409, "{v}");
        assert_eq!(v["results"][1]["problem"]["type"], "urn:yizhan:problem:status-forbids-action");
        assert!(v["results"][1]["problem"]["detail"].as_str().is_some_and(|s| !s.is_empty()));
        // Without a token, nothing; an enterprise signs nothing for.
        let res = app.post_json("/api/v1/tickets/bulk", &json!({"action": "sign_for", "ticket_ids": [d.t[1]]})).await;
        assert_eq!(res.status(), 401);
        let res = app.post_as("/api/v1/tickets/bulk", &d.chips, &json!({"action": "sign_for", "ticket_ids": [d.t[1]]})).await;
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["refused"], 1, "{v}");
        // Not an action taken in bulk; no tickets.
        let res = app.post_as("/api/v1/tickets/bulk", &officer, &json!({"action": "resolve", "ticket_ids": [d.t[0]]})).await;
        crate::helpers::assert_problem(res, 422).await;
        let res = app.post_as("/api/v1/tickets/bulk", &officer, &json!({"action": "sign_for", "ticket_ids": []})).await;
        crate::helpers::assert_problem(res, 422).await;
        // The page: tick two (one signed for already by the API above).
        let t4 = file(&app, &d.parts, "电力不足", "限电导致停产。").await.0;
        let b = Browser::new(&app);
        b.login("o@pudong.cn").await;
        let before = b.get("/workbench?tab=sign").await;
        assert_eq!(tab_count(&before.html, "sign"), Some(2));
        let back = "tab=sign".to_string();
        let t1 = d.t[1].to_string();
        let t0 = d.t[0].to_string();
        let t4s = t4.to_string();
        let done = b
            .post("/workbench/bulk", &[("action", "sign_for"), ("ids", &t1), ("ids", &t0), ("ids", &t4s), ("back", &back)])
            .await;
        assert_eq!(done.status, 200);
        assert_eq!(done.html.matches("已签收").count(), 2, "{}", done.html);
        assert!(done.html.contains("未办理"), "the refused one says why");
        assert!(done.html.contains(&d.numbers[0]));
        assert!(done.html.contains("href=\"/workbench?tab=sign\""));
        let after = b.get("/workbench?tab=sign").await;
        assert_eq!(tab_count(&after.html, "sign"), Some(0));
        assert!(listed(&after.html).is_empty());
        // One sign-for event per ticket signed for, none for the refusal.
        for id in [d.t[0], d.t[1], t4] {
            let t: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &officer).await.json().await.unwrap();
            let signs = t["timeline"].as_array().unwrap().iter().filter(|e| e["action"] == "sign_for").count();
            assert_eq!(signs, 1, "ticket {id}");
        }
        // Export of the selection.
        let export = b.post("/workbench/bulk", &[("action", "export_csv"), ("ids", &t1), ("ids", &t4s)]).await;
        assert_eq!(export.status, 303);
        let to = export.location.unwrap();
        assert!(to.starts_with("/exports/tickets.csv?ids="), "{to}");
        let csv = b.get(&to).await;
        assert_eq!(csv.status, 200);
        assert!(csv.html.contains(&d.numbers[1]) && !csv.html.contains(&d.numbers[0]));
    }
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn beijing(at: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

each_backend! {
    async fn the_near_tab_holds_the_tickets_past_their_warning_time(app, LIMITS) {
        // Tuesday morning: a normal ticket's sign-for window runs to the
        // end of the next working day; three quarters of it pass by
        // Wednesday afternoon.
        app.clock.set(beijing("2026-12-08T09:00:00+08:00"));
        let d = desk(&app).await;
        let b = Browser::new(&app);
        b.login("o@pudong.cn").await;
        let home = b.get("/workbench").await;
        assert_eq!(tab_count(&home.html, "near"), Some(0));
        let warned = beijing("2026-12-09T16:30:00+08:00");
        app.clock.set(warned);
        // Past the warning time, not yet warned: the tab follows the scanner.
        assert_eq!(tab_count(&b.get("/workbench").await.html, "near"), Some(0));
        yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, warned, 100, 100).await.expect("scan");
        let home = b.get("/workbench").await;
        assert_eq!(tab_count(&home.html, "near"), Some(2), "the two still to sign for");
        let near = b.get("/workbench?tab=near").await;
        let mut shown = listed(&near.html);
        shown.sort();
        assert_eq!(shown, vec![d.t[0], d.t[1]]);
        assert_eq!(near.html.matches("<tr class=\"near\">").count(), 2, "each row is marked as the tab counts it");
        // A supervisor of the city sees them too; another county's officer does not.
        let sup = Browser::new(&app);
        sup.login("sup@shanghai.cn").await;
        assert_eq!(tab_count(&sup.get("/workbench").await.html, "near"), Some(2));
        let other = Browser::new(&app);
        other.login("o@huangpu.cn").await;
        assert_eq!(tab_count(&other.get("/workbench").await.html, "near"), Some(0));
    }
}
