//! Issue 26: the board's rates against an independent recount from the
//! raw reports; drill-down, industry and chain; a list that follows a
//! white list; figures that move with an enterprise; the import of a list
//! (dry run, all or nothing, twice changes nothing); the exports.

use std::collections::BTreeMap;

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::TestApp;
use crate::monitoring::{bj22, cast, report};

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Recount {
    #[diesel(sql_type = BigInt)]
    list_id: i64,
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = Text)]
    county: String,
    #[diesel(sql_type = Text)]
    industry: String,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = BigInt)]
    reported: i64,
    #[diesel(sql_type = BigInt)]
    back: i64,
    #[diesel(sql_type = BigInt)]
    on_duty: i64,
    #[diesel(sql_type = BigInt)]
    usual: i64,
    #[diesel(sql_type = BigInt)]
    weighted: i64,
    #[diesel(sql_type = BigInt)]
    output: i64,
    #[diesel(sql_type = BigInt)]
    late: i64,
    #[diesel(sql_type = BigInt)]
    blockers: i64,
}

/// The county rows of every list, recounted from the raw reports with SQL
/// of its own, and as the figures keep them.
async fn recount(app: &TestApp) -> (Vec<Recount>, Vec<Recount>) {
    app.db
        .run(|conn| {
            let raw = "SELECT m.list_id AS list_id, CAST(r.day AS TEXT) AS day, m.county_code AS county, \
                 m.industry_code AS industry, COALESCE(r.output_unit, '') AS unit, \
                 CAST(COUNT(*) AS BIGINT) AS reported, \
                 CAST(SUM(CASE WHEN r.status IN ('running', 'partial') THEN 1 ELSE 0 END) AS BIGINT) AS back, \
                 CAST(SUM(r.staff_on_duty) AS BIGINT) AS on_duty, CAST(SUM(r.staff_usual) AS BIGINT) AS usual, \
                 CAST(SUM(r.capacity_percent * r.staff_usual) AS BIGINT) AS weighted, \
                 CAST(SUM(COALESCE(r.output_milli, 0)) AS BIGINT) AS output, \
                 CAST(SUM(CASE WHEN r.late THEN 1 ELSE 0 END) AS BIGINT) AS late, \
                 CAST(SUM((SELECT COUNT(*) FROM daily_report_blockers b WHERE b.report_id = r.id)) AS BIGINT) AS blockers \
                 FROM daily_reports r JOIN monitoring_members m ON m.enterprise_id = r.enterprise_id \
                 GROUP BY m.list_id, r.day, m.county_code, m.industry_code, COALESCE(r.output_unit, '') \
                 ORDER BY 1, 2, 3, 4, 5";
            let kept = "SELECT list_id, CAST(day AS TEXT) AS day, region_code AS county, industry_code AS industry, unit, \
                 reported, running + partial AS back, staff_on_duty AS on_duty, staff_usual AS usual, \
                 capacity_weighted AS weighted, output_milli AS output, late, blockers \
                 FROM monitoring_days WHERE level = 3 AND chain_code = '' AND reported <> 0 ORDER BY 1, 2, 3, 4, 5";
            let a = diesel::sql_query(raw).load::<Recount>(conn)?;
            let b = diesel::sql_query(kept).load::<Recount>(conn)?;
            Ok((a, b))
        })
        .await
        .unwrap()
}

fn rate(v: &Value) -> f64 {
    v["value"].as_f64().unwrap()
}

each_backend! {
    async fn the_board_matches_a_recount_from_the_raw_reports(app) {
        app.clock.set(bj22(4, 20, 8, 0));
        let c = cast(&app).await;
        let third = app.enterprise_in_chains("上海某整车制造有限公司", "310115", "automotive").await;
        app.put_as(&format!("/api/v1/enterprises/{third}/industry"), &c.lead, &json!({"code": "C3612"})).await;
        app.user("enterprise", "third@e.example", None, Some(third)).await;
        for e in [c.parts, c.chips, third] {
            let res = app.put_as(&format!("/api/v1/monitoring/lists/{}/members/{e}", c.list), &c.lead, &json!({})).await;
            assert_eq!(res.status(), 201);
        }
        let tokens = [
            app.token("parts@e.example").await,
            app.token("chips@e.example").await,
            app.token("third@e.example").await,
        ];
        // A week of reports: the third enterprise misses the 27th and 28th,
        // the chip maker stops on the 26th; every day some output.
        for d in 20..=28u32 {
            app.clock.set(bj22(4, d, 9, 0));
            let date = format!("/api/v1/daily-reports/2022-04-{d:02}");
            let mut parts = report(if d < 25 { "partial" } else { "running" }, 700 + d as i64, 1000, 50 + d as i64);
            parts["output_quantity"] = json!(1000 + d);
            parts["output_unit"] = json!("套");
            if d == 28 {
                parts["blockers"] = json!([{"category": "parts_supply", "text": "芯片断供"}]);
            }
            assert_eq!(app.put_as(&date, &tokens[0], &parts).await.status(), 201);
            let chips = if d == 26 { report("stopped", 20, 300, 0) } else { report("running", 280, 300, 90) };
            assert_eq!(app.put_as(&date, &tokens[1], &chips).await.status(), 201);
            if d < 27 {
                let mut cars = report("running", 1900, 2000, 80);
                cars["output_quantity"] = json!(300);
                cars["output_unit"] = json!("辆");
                assert_eq!(app.put_as(&date, &tokens[2], &cars).await.status(), 201);
            }
        }
        // A correction and a late report move the figures too.
        app.clock.set(bj22(4, 29, 9, 0));
        let mut fix = report("running", 730, 1000, 80);
        fix["output_quantity"] = json!(1028);
        fix["output_unit"] = json!("套");
        fix["blockers"] = json!([{"category": "parts_supply", "text": "芯片断供"}]);
        assert_eq!(app.put_as("/api/v1/daily-reports/2022-04-28", &tokens[0], &fix).await.status(), 200);
        app.clock.set(bj22(4, 29, 12, 0));
        assert_eq!(app.put_as("/api/v1/daily-reports/2022-04-27", &tokens[2], &report("not_resumed", 0, 2000, 0)).await.status(), 201);

        let (raw, kept) = recount(&app).await;
        assert!(!raw.is_empty());
        assert_eq!(raw, kept, "the daily figures are the raw reports, recounted");

        // The board of the 28th, as a recount of the raw rows says it.
        let board: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&date=2022-04-28", c.list), &c.lead).await.json().await.unwrap();
        let t = &board["total"];
        assert_eq!((t["listed"].as_u64(), t["reported"].as_u64(), t["not_reported"].as_u64()), (Some(3), Some(2), Some(1)));
        assert_eq!(t["back_to_work_rate"]["numerator"], 2);
        assert!((rate(&t["back_to_work_rate"]) - 2.0 / 3.0).abs() < 1e-9);
        assert!((rate(&t["worker_return_rate"]) - (730.0 + 280.0) / 1300.0).abs() < 1e-9);
        assert!((t["capacity_utilisation"].as_f64().unwrap() - (80.0 * 1000.0 + 90.0 * 300.0) / 1300.0).abs() < 1e-9);
        assert_eq!(board["missing_total"], 1);
        assert_eq!(board["missing"][0]["name"], "上海某整车制造有限公司");
        assert_eq!(board["blockers"][0]["text"], "芯片断供");
        // The whole list lies in Shanghai; by county: Pudong (two listed) and Jiading.
        assert_eq!(board["by_region"][0]["key"], "310000");
        let board: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&date=2022-04-28&region=310000", c.list), &c.lead).await.json().await.unwrap();
        let regions: BTreeMap<String, Value> = board["by_region"].as_array().unwrap().iter().map(|g| (g["key"].as_str().unwrap().to_string(), g["figures"].clone())).collect();
        assert_eq!(regions["310115"]["listed"], 2);
        assert_eq!(regions["310114"]["back_to_work_rate"]["numerator"], 1);
        // Industry: car makers and parts (C36) against chips.
        let cars: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&date=2022-04-28&industry=C36", c.list), &c.lead).await.json().await.unwrap();
        assert_eq!(cars["total"]["listed"], 2);
        assert_eq!(cars["total"]["back_to_work_rate"]["numerator"], 1);
        let by_industry: Vec<&str> = board["by_industry"].as_array().unwrap().iter().map(|g| g["key"].as_str().unwrap()).collect();
        assert_eq!(by_industry, ["C36", "C39"]);
        let chips: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&date=2022-04-28&chain=integrated_circuits", c.list), &c.lead).await.json().await.unwrap();
        assert_eq!(chips["total"]["listed"], 1);
        // Over the period 22-28 April: working days 22, 24 (make-up), 25-28.
        let week: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&from=2022-04-22&to=2022-04-28", c.list), &c.lead).await.json().await.unwrap();
        assert_eq!(week["total"]["days"], 6);
        assert_eq!(week["total"]["expected"], 18);
        // Output per unit against 15-21 April (nothing then).
        let sets = week["output"].as_array().unwrap().iter().find(|o| o["unit"] == "套").unwrap();
        let expected: f64 = (22..=27).map(|d| 1000.0 + d as f64).sum::<f64>() + 1028.0;
        assert!((sets["total"].as_f64().unwrap() - expected).abs() < 1e-9, "{sets}");
        assert!((sets["per_day"].as_f64().unwrap() - expected / 7.0).abs() < 1e-9);
        assert_eq!(week["previous_from"], "2022-04-15");
        let cars_out = week["output"].as_array().unwrap().iter().find(|o| o["unit"] == "辆").unwrap();
        assert_eq!(cars_out["total"], 1500.0);
        // Against a compared period of another length: daily averages.
        let late: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&from=2022-04-26&to=2022-04-28&compare_from=2022-04-22&compare_to=2022-04-25", c.list), &c.lead).await.json().await.unwrap();
        assert_eq!((late["previous_from"].as_str(), late["previous_to"].as_str()), (Some("2022-04-22"), Some("2022-04-25")));
        let sets = late["output"].as_array().unwrap().iter().find(|o| o["unit"] == "套").unwrap();
        assert_eq!((sets["per_day"].as_f64(), sets["previous_per_day"].as_f64()), (Some(1027.0), Some(1023.5)));
        assert!((sets["change"].as_f64().unwrap() - (1027.0 / 1023.5 - 1.0)).abs() < 1e-12);
        // Half a compared period, or one ending after the period, is said.
        let list = c.list;
        for (query, field) in [
            ("from=2022-04-22&to=2022-04-28&compare_from=2022-04-15", "compare_to"),
            ("from=2022-04-22&to=2022-04-28&compare_from=2022-04-15&compare_to=2022-04-29", "compare_to"),
            ("date=2022-04-28&compare_from=2022-04-21&compare_to=2022-04-20", "compare_from"),
        ] {
            let res = app.get_as(&format!("/api/v1/monitoring/overview?list={list}&{query}"), &c.lead).await;
            let body = crate::helpers::assert_problem(res, 422).await;
            assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
        }
        // Drill-down: a county of the list.
        let pudong: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&date=2022-04-28&region=310115", c.list), &c.lead).await.json().await.unwrap();
        assert_eq!(pudong["total"]["listed"], 2);
        assert_eq!(pudong["by_region"], json!([]));
        // Pudong's own officer sees only Pudong's part; Jiangsu nothing.
        app.user("officer", "pd@e.example", Some(app.department_of("310115").await), None).await;
        let pd = app.token("pd@e.example").await;
        let own: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&date=2022-04-28", c.list), &pd).await.json().await.unwrap();
        assert_eq!(own["narrowed"], true);
        assert_eq!(own["total"]["listed"], 2);
        assert_eq!(app.get_as(&format!("/api/v1/monitoring/overview?list={}&region=310114", c.list), &pd).await.status(), 404);

        // The enterprise's industry changes: its figures move with it.
        app.put_as(&format!("/api/v1/enterprises/{}/industry", c.parts), &c.lead, &json!({"code": "C3973"})).await;
        let (raw, kept) = recount(&app).await;
        assert_eq!(raw, kept, "after the industry changed");
        let cars: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={}&date=2022-04-28&industry=C36", c.list), &c.lead).await.json().await.unwrap();
        assert_eq!(cars["total"]["listed"], 1);

        // Taken off the list: its reports leave the list's figures.
        let res = app.client.delete(app.url(&format!("/api/v1/monitoring/lists/{}/members/{}", c.list, c.chips))).bearer_auth(&c.lead).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let (raw, kept) = recount(&app).await;
        assert_eq!(raw, kept, "after an enterprise left the list");

        // The exports: the same numbers in a file.
        let csv = app.get_as(&format!("/api/v1/monitoring/export?list={}&date=2022-04-28&format=csv", c.list), &c.lead).await;
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.unwrap();
        assert!(text.contains("复工率") && text.contains("上海市首批复工企业"), "{text}");
        let xlsx = app.get_as(&format!("/api/v1/monitoring/export?list={}&date=2022-04-28&format=xlsx", c.list), &c.lead).await;
        assert_eq!(xlsx.status(), 200);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    }

    async fn a_list_drawn_from_a_white_list_follows_it(app) {
        app.clock.set(bj22(4, 20, 8, 0));
        let c = cast(&app).await;
        let parts = app.token("parts@e.example").await;
        app.put_as("/api/v1/daily-reports/2022-04-20", &parts, &report("running", 10, 10, 100)).await;
        let res = app.post_as(
            "/api/v1/monitoring/lists",
            &c.lead,
            &json!({"name": "上海市白名单企业", "source": "whitelist", "whitelist_scope": "310000", "whitelist_batch": "1"}),
        ).await;
        assert_eq!(res.status(), 201);
        let list: Value = res.json().await.unwrap();
        assert_eq!(list["members"], 0);
        let id = list["id"].as_i64().unwrap();
        // Listed on Shanghai's white list: on the monitoring list, with its report.
        let res = app.post_as(
            &format!("/api/v1/enterprises/{}/whitelist", c.parts),
            &c.lead,
            &json!({"scope": "310000", "batch": 1, "listed_on": "2022-04-01"}),
        ).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let board: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={id}&date=2022-04-20"), &c.lead).await.json().await.unwrap();
        assert_eq!((board["total"]["listed"].as_u64(), board["total"]["reported"].as_u64()), (Some(1), Some(1)));
        // By hand it cannot be kept.
        let res = app.put_as(&format!("/api/v1/monitoring/lists/{id}/members/{}", c.chips), &c.lead, &json!({})).await;
        assert_eq!(res.status(), 409);
        // Removed from the white list: off the monitoring list.
        let entry = res_entry(&app, &c.lead, c.parts).await;
        let res = app.post_as(&format!("/api/v1/whitelist/{entry}/remove"), &c.lead, &json!({"removed_on": "2022-04-21"})).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let board: Value = app.get_as(&format!("/api/v1/monitoring/overview?list={id}&date=2022-04-20"), &c.lead).await.json().await.unwrap();
        assert_eq!(board["total"]["listed"], 0);
        let (raw, kept) = recount(&app).await;
        assert_eq!(raw, kept);
    }

    async fn a_list_is_imported_all_or_nothing_and_twice_changes_nothing(app) {
        use yizhan::services::imports::read_table;
        use yizhan::services::monitoring::import::{import_monitoring_list, Target};
        app.clock.set(bj22(4, 20, 8, 0));
        let c = cast(&app).await;
        let codes: Value = app.get_as(&format!("/api/v1/enterprises/{}", c.parts), &c.lead).await.json().await.unwrap();
        let parts_code = codes["credit_code"].as_str().unwrap().to_string();
        let codes: Value = app.get_as(&format!("/api/v1/enterprises/{}", c.chips), &c.lead).await.json().await.unwrap();
        let chips_code = codes["credit_code"].as_str().unwrap().to_string();
        let target = Target { list: "上海市首批复工企业".into(), department: None };
        let run = |csv: String, dry: bool| {
            let table = read_table(csv.as_bytes()).unwrap();
            import_monitoring_list(&app.db, table, target.clone(), dry, app.clock.now(), |_| {})
        };
        // A bad row: nothing is written, every row is checked.
        let bad = format!("统一社会信用代码,行业代码\n{parts_code},C36\n{chips_code},C9999\n91310115000000000X,\n");
        let report = run(bad, false).await.unwrap();
        assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
        assert_eq!(report.errors[0].row, 3);
        let lists: Value = app.get_as("/api/v1/monitoring/lists", &c.lead).await.json().await.unwrap();
        assert_eq!(lists[0]["members"], 0);
        // A dry run says what would happen and writes nothing.
        let good = format!("统一社会信用代码,行业代码\n{parts_code},C36\n{chips_code},\n");
        let dry = run(good.clone(), true).await.unwrap();
        assert_eq!((dry.inserted, dry.errors.len()), (2, 0));
        let lists: Value = app.get_as("/api/v1/monitoring/lists", &c.lead).await.json().await.unwrap();
        assert_eq!(lists[0]["members"], 0);
        let done = run(good.clone(), false).await.unwrap();
        assert_eq!((done.inserted, done.updated, done.unchanged), (2, 0, 0));
        let again = run(good, false).await.unwrap();
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));
        let members: Value = app.get_as(&format!("/api/v1/monitoring/lists/{}/members", c.list), &c.lead).await.json().await.unwrap();
        let industries: Vec<&str> = members.as_array().unwrap().iter().map(|m| m["industry_code"].as_str().unwrap()).collect();
        assert_eq!(industries, ["C36", "C3973"]);
        // An unknown list is a whole-file error.
        let table = read_table(b"credit_code\n").unwrap();
        let none = import_monitoring_list(&app.db, table, Target { list: "没有这个名单".into(), department: None }, false, app.clock.now(), |_| {}).await;
        assert!(matches!(none, Err(yizhan::services::imports::ImportError::File(_))), "{none:?}");
    }
}

async fn res_entry(app: &TestApp, token: &str, enterprise: i64) -> i64 {
    let entries: Value = app
        .get_as(
            &format!("/api/v1/enterprises/{enterprise}/whitelist"),
            token,
        )
        .await
        .json()
        .await
        .unwrap();
    entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["scope"] == "310000")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}
