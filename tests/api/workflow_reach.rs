//! Issue 21, the rest: who handles a ticket by name and phone, late
//! ratings of auto-closed tickets, configurable categories and chains.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{act, assert_problem, credit_code, TestApp};

/// Beijing time.
fn bj(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    let local = NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap();
    Shanghai
        .from_local_datetime(&local)
        .unwrap()
        .with_timezone(&Utc)
}

async fn scan(app: &TestApp, at: DateTime<Utc>) {
    app.clock.set(at);
    yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, at, 100, 100)
        .await
        .expect("scan");
}

fn filing() -> Value {
    json!({
        "category": "logistics", "urgency": "normal",
        "title": "货车无法进园区", "description": "两辆原材料货车在园区卡口等待通行证。"
    })
}

each_backend! {
    async fn tickets_name_their_department_assignee_and_desk_phone(app) {
        let ent = app.enterprise("上海某物流配套有限公司", "310115").await;
        app.user("enterprise", "e@parts.cn", None, Some(ent)).await;
        let pudong = app.department_of("310115").await;
        let officer_id = app.user("officer", "wang.officer@pudong.cn", Some(pudong), None).await;
        app.user("lead", "lead@pudong.cn", Some(pudong), None).await;
        let enterprise = app.token("e@parts.cn").await;
        let officer = app.token("wang.officer@pudong.cn").await;
        let lead = app.token("lead@pudong.cn").await;
        let dept_name = app.get_json(&format!("/api/v1/departments/{pudong}")).await["name"].as_str().unwrap().to_string();

        // The lead sets the desk phone; a phone that is not one is refused by field.
        let bad = app.put_as(&format!("/api/v1/departments/{pudong}/settings"), &lead, &json!({"phone": "call us"})).await;
        let p = assert_problem(bad, 422).await;
        assert_eq!(p["errors"][0]["field"], "phone", "{p}");
        let res = app.put_as(&format!("/api/v1/departments/{pudong}/settings"), &lead, &json!({"phone": "021-58788888"})).await;
        assert_eq!(res.status(), 200);
        let d: Value = res.json().await.unwrap();
        assert_eq!((d["phone"].as_str(), d["auto_assign"].as_bool()), (Some("021-58788888"), Some(false)), "the other setting is kept");

        let t: Value = app.post_as("/api/v1/tickets", &enterprise, &filing()).await.json().await.unwrap();
        let id = t["id"].as_i64().unwrap();
        act(&app, &officer, id, "sign_for", json!({})).await;
        act(&app, &lead, id, "assign", json!({"assignee_id": officer_id})).await;

        let staff: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &lead).await.json().await.unwrap();
        assert_eq!(staff["handling_department_name"], dept_name.as_str());
        assert_eq!(staff["handling_department_phone"], "021-58788888");
        assert_eq!(staff["assignee_name"], "wang.officer");
        let sign = staff["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "sign_for").unwrap();
        assert_eq!((sign["actor_name"].as_str(), sign["actor_department_name"].as_str()), (Some("wang.officer"), Some(dept_name.as_str())));

        // The enterprise sees the department and its phone, not the officer.
        let own: Value = app.get_as(&format!("/api/v1/tickets/{id}"), &enterprise).await.json().await.unwrap();
        assert_eq!(own["handling_department_name"], dept_name.as_str());
        assert_eq!(own["handling_department_phone"], "021-58788888");
        assert!(own.get("assignee_name").is_none() && own.get("assignee_id").is_none(), "{own}");
        let sign = own["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "sign_for").unwrap();
        assert!(sign.get("actor_name").is_none(), "{sign}");
        assert_eq!(sign["actor_department_name"], dept_name.as_str());

        // Queues name them too.
        let mine: Value = app.get_as("/api/v1/tickets", &officer).await.json().await.unwrap();
        assert_eq!(mine["items"][0]["handling_department_name"], dept_name.as_str());
        assert_eq!(mine["items"][0]["assignee_name"], "wang.officer");

        // On the enterprise's page: the department with a phone link.
        let b = Browser::new(&app);
        b.login("e@parts.cn").await;
        let page = b.get(&format!("/tickets/{id}")).await;
        assert!(page.html.contains(&dept_name) && page.html.contains("href=\"tel:021-58788888\""), "{}", page.html);
        assert!(!page.html.contains("wang.officer"), "the officer stays staff's business");
    }

    async fn administrators_set_a_desk_phone_on_the_department_page(app) {
        app.user("admin", "root@yizhan.example.cn", None, None).await;
        let b = Browser::new(&app);
        b.login("root@yizhan.example.cn").await;
        let pudong = app.department_of("310115").await;
        let page = b.get(&format!("/admin/departments?id={pudong}")).await;
        assert!(page.html.contains("县级") && !page.html.contains(">county<"), "kinds in words: {}", page.html);
        let p = b.post(&format!("/admin/departments/{pudong}/phone"), &[("phone", "电话打不通")]).await;
        assert_eq!(p.status, 422, "{}", p.html);
        assert!(p.html.contains("电话打不通") && p.html.contains("class=\"field-error\""), "{}", p.html);
        let p = b.post(&format!("/admin/departments/{pudong}/phone"), &[("phone", "021 5878 8888")]).await;
        assert_eq!(p.status, 303);
        let d = app.get_json(&format!("/api/v1/departments/{pudong}")).await;
        assert_eq!(d["phone"], "021 5878 8888");
    }

    async fn an_auto_closed_ticket_is_rated_late_and_reopened(app) {
        let ent = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(ent)).await;
        let county = app.department_of("320506").await;
        app.user("officer", "o@wuzhong.cn", Some(county), None).await;
        app.user("supervisor", "s@suzhou.cn", Some(app.department_of("320500").await), None).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let officer = app.token("o@wuzhong.cn").await;
        let city = app.token("s@suzhou.cn").await;

        app.clock.set(bj(2026, 3, 2, 9));
        let mut ids = Vec::new();
        for _ in 0..2 {
            let t: Value = app.post_as("/api/v1/tickets", &enterprise, &filing()).await.json().await.unwrap();
            let id = t["id"].as_i64().unwrap();
            act(&app, &officer, id, "sign_for", json!({})).await;
            act(&app, &officer, id, "resolve", json!({"resolution": "已协调卡口放行"})).await;
            ids.push(id);
        }
        // Nobody rated within seven days: both close on 9 March.
        scan(&app, bj(2026, 3, 9, 10)).await;
        let (late, too_late) = (ids[0], ids[1]);
        let t: Value = app.get_as(&format!("/api/v1/tickets/{late}"), &enterprise).await.json().await.unwrap();
        assert_eq!((t["status"].as_str(), t["rating"].as_str()), (Some("closed"), None));
        // Unrated, it cannot be reopened by the enterprise yet.
        let early = app.post_as(&format!("/api/v1/tickets/{late}/actions/reopen"), &enterprise, &json!({"reason": "问题仍在"})).await;
        assert_problem(early, 422).await;

        // 29 days after closing: the page offers the rating, and it is taken.
        app.clock.set(bj(2026, 4, 7, 10));
        let b = Browser::new(&app);
        b.login("e@wuzhong.cn").await;
        let page = b.get(&format!("/tickets/{late}")).await;
        assert!(page.offered_actions().contains(&"rate".to_string()), "{:?}", page.offered_actions());
        let t = act(&app, &enterprise, late, "rate", json!({"satisfaction": "basically_satisfied", "solved": false, "comment": "卡口仍时常不放行"})).await;
        assert_eq!((t["status"].as_str(), t["rating"].as_str(), t["solved"].as_bool()), (Some("closed"), Some("basically_satisfied"), Some(false)));
        // It counts in April, when it was given, not in March.
        let march = app.get_as("/api/v1/metrics?from=2026-03-01&to=2026-03-31", &city).await.json::<Value>().await.unwrap();
        let april = app.get_as("/api/v1/metrics?from=2026-04-01&to=2026-04-30", &city).await.json::<Value>().await.unwrap();
        assert_eq!(march["total"]["satisfaction"]["denominator"], 0, "{march}");
        assert_eq!((april["total"]["satisfaction"]["numerator"].as_u64(), april["total"]["satisfaction"]["denominator"].as_u64()), (Some(1), Some(1)), "{april}");
        // Not solved: the enterprise may reopen, 36 days after the resolution.
        let again = app.post_as(&format!("/api/v1/tickets/{late}/actions/rate"), &enterprise, &json!({"satisfaction": "satisfied", "solved": true})).await;
        assert_problem(again, 409).await;
        let t = act(&app, &enterprise, late, "reopen", json!({"reason": "卡口仍时常不放行"})).await;
        assert_eq!((t["status"].as_str(), t["reopened_count"].as_i64()), (Some("handling"), Some(1)));

        // 31 days after closing, the window has shut, and the page says nothing of rating.
        app.clock.set(bj(2026, 4, 9, 11));
        let page = b.get(&format!("/tickets/{too_late}")).await;
        assert!(!page.offered_actions().contains(&"rate".to_string()), "{:?}", page.offered_actions());
        let refused = app.post_as(&format!("/api/v1/tickets/{too_late}/actions/rate"), &enterprise, &json!({"satisfaction": "dissatisfied", "solved": false})).await;
        let p = assert_problem(refused, 422).await;
        assert!(p["detail"].as_str().unwrap().contains("30 天"), "{p}");
    }

    async fn administrators_keep_categories_and_chains(app) {
        app.user("admin", "root@yizhan.example.cn", None, None).await;
        let admin = app.token("root@yizhan.example.cn").await;
        let ent = app.enterprise("上海某物流配套有限公司", "310115").await;
        app.user("enterprise", "e@parts.cn", None, Some(ent)).await;
        let pudong = app.department_of("310115").await;
        app.user("officer", "o@pudong.cn", Some(pudong), None).await;
        app.user("lead", "lead@pudong.cn", Some(pudong), None).await;
        let enterprise = app.token("e@parts.cn").await;
        let officer = app.token("o@pudong.cn").await;

        // A fresh database has the spec's ten, in order.
        let all = app.get_json("/api/v1/categories").await;
        let codes: Vec<&str> = all.as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
        let defaults: Vec<&str> = yizhan::domain::routing::CATEGORIES.iter().map(|c| c.0).collect();
        assert_eq!(codes, defaults);

        // Only an administrator changes the list; a code is checked.
        let body = json!({"name_zh": "新能源保供", "name_en": "New energy supply"});
        assert_problem(app.put_as("/api/v1/admin/categories/new_energy", &officer, &body).await, 404).await;
        let bad = assert_problem(app.put_as("/api/v1/admin/categories/New%20Energy", &admin, &body).await, 422).await;
        assert_eq!(bad["errors"][0]["field"], "code", "{bad}");
        let res = app.put_as("/api/v1/admin/categories/new_energy", &admin, &body).await;
        assert_eq!(res.status(), 201);
        let res = app.put_as("/api/v1/admin/categories/new_energy", &admin, &json!({"name_zh": "新能源与储能保供", "name_en": "New energy and storage"})).await;
        assert_eq!(res.status(), 200);

        // An old logistics ticket, then logistics is retired.
        let old: Value = app.post_as("/api/v1/tickets", &enterprise, &filing()).await.json().await.unwrap();
        let old_id = old["id"].as_i64().unwrap();
        let res = app.put_as("/api/v1/admin/categories/logistics", &admin, &json!({"name_zh": "物流运输", "name_en": "Logistics", "active": false})).await;
        assert_eq!(res.status(), 200);
        let refused = app.post_as("/api/v1/tickets", &enterprise, &filing()).await;
        let p = assert_problem(refused, 422).await;
        assert_eq!(p["errors"][0]["field"], "category");
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("已停用"), "{p}");
        let mut fresh = filing();
        fresh["category"] = json!("new_energy");
        let res = app.post_as("/api/v1/tickets", &enterprise, &fresh).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

        // The filing form offers the new one, not the retired one; the
        // workbench names both; the old ticket keeps its category.
        let b = Browser::new(&app);
        b.login("e@parts.cn").await;
        let form = b.get("/tickets/new").await;
        assert!(form.html.contains("新能源与储能保供") && !form.html.contains("value=\"logistics\""), "{}", form.html);
        let o = Browser::new(&app);
        o.login("o@pudong.cn").await;
        let bench = o.get("/workbench").await;
        assert!(bench.html.contains("新能源与储能保供") && bench.html.contains("物流运输"), "{}", bench.html);
        let page = o.get(&format!("/tickets/{old_id}")).await;
        assert!(page.html.contains("物流运输"), "{}", page.html);
        let lead = app.token("lead@pudong.cn").await;
        let by_category: Value = app.get_as("/api/v1/metrics?group_by=category", &lead).await.json().await.unwrap();
        let groups = by_category["groups"].as_array().unwrap();
        let named = |key: &str| groups.iter().find(|g| g["key"] == key).map(|g| g["name"].clone());
        assert_eq!(named("logistics"), Some(json!("物流运输")), "{by_category}");
        assert_eq!(named("new_energy"), Some(json!("新能源与储能保供")), "{by_category}");

        // A new chain comes with its platform; a retired chain is not given
        // to enterprises, but one that has it keeps it.
        let res = app.put_as("/api/v1/admin/chains/new_energy_vehicles", &admin, &json!({"name_zh": "新能源汽车", "name_en": "New energy vehicles"})).await;
        assert_eq!(res.status(), 201);
        let platform = app.chain_platform("new_energy_vehicles").await;
        let d = app.get_json(&format!("/api/v1/departments/{platform}")).await;
        assert_eq!((d["kind"].as_str(), d["name"].as_str()), (Some("chain_platform"), Some("新能源汽车产业链供应链协调平台")));
        assert_eq!(d["ancestors"].as_array().unwrap().len(), 1, "under the ministry: {d}");
        let body = |code: &str, chains: Value| json!({
            "credit_code": code, "name": "浦东某整车厂", "county_code": "310115",
            "address": "上海市浦东新区张江路 1 号", "chains": chains, "size": "中",
        });
        let code = credit_code("91310115MA1K4ABC0");
        let res = app.post_as("/api/v1/enterprises", &officer, &body(&code, json!(["automotive"]))).await;
        assert_eq!(res.status(), 201);
        let car_id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let res = app.put_as("/api/v1/admin/chains/automotive", &admin, &json!({"name_zh": "汽车", "name_en": "Automotive", "active": false})).await;
        assert_eq!(res.status(), 200);
        let other = credit_code("91310115MA1K4ABD0");
        assert_problem(app.post_as("/api/v1/enterprises", &officer, &body(&other, json!(["automotive"]))).await, 422).await;
        let res = app.put_as(&format!("/api/v1/enterprises/{car_id}"), &officer, &body(&code, json!(["automotive", "new_energy_vehicles"]))).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let chains: Vec<Value> = app.get_json("/api/v1/chains").await.as_array().unwrap().clone();
        assert!(chains.iter().any(|c| c["code"] == "automotive" && c["active"] == false));
    }

    async fn the_admin_page_keeps_categories_and_chains(app) {
        app.user("admin", "root@yizhan.example.cn", None, None).await;
        let b = Browser::new(&app);
        b.login("root@yizhan.example.cn").await;
        let page = b.get("/admin/catalogue").await;
        assert_eq!(page.status, 200);
        assert!(page.html.contains("员工返岗") && page.html.contains("集成电路"), "{}", page.html);
        // A bad code: said beside the field, the names kept, nothing added.
        let p = b.post("/admin/catalogue/categories", &[("code", "新类别"), ("name_zh", "出口退税"), ("name_en", "Export tax rebates")]).await;
        assert_eq!(p.status, 422, "{}", p.html);
        assert!(p.html.contains("出口退税") && p.html.contains("class=\"field-error\""), "{}", p.html);
        // A code that exists is not silently renamed.
        let p = b.post("/admin/catalogue/categories", &[("code", "energy"), ("name_zh", "电力"), ("name_en", "Power")]).await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("已经存在"), "{}", p.html);
        let p = b.post("/admin/catalogue/categories", &[("code", "tax_rebates"), ("name_zh", "出口退税"), ("name_en", "Export tax rebates")]).await;
        assert_eq!(p.status, 303, "{}", p.html);
        let p = b.post("/admin/catalogue/categories/tax_rebates", &[("name_zh", "出口退税"), ("name_en", "Export tax rebates"), ("active", "false")]).await;
        assert_eq!(p.status, 303);
        let all = app.get_json("/api/v1/categories").await;
        let added = all.as_array().unwrap().iter().find(|c| c["code"] == "tax_rebates").unwrap().clone();
        assert_eq!(added["active"], false);
        let page = b.get("/admin/catalogue?done=1").await;
        assert!(page.html.contains("已停用") && page.html.contains("重新启用"), "{}", page.html);
        // The audit has both changes.
        let admin = app.token("root@yizhan.example.cn").await;
        let events: Value = app.get_as("/api/v1/admin/auth-events", &admin).await.json().await.unwrap();
        let changes = events.to_string().matches("catalogue_changed").count();
        assert!(changes >= 2, "{events}");
    }
}
