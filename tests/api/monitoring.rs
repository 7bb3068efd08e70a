//! Issue 26, daily monitoring: lists kept by hand, reports filed,
//! corrected, late and refused, blockers that become tickets, missing
//! reports noticed once and urged, and who reads what; over HTTP on both
//! backends.

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp};

/// Beijing time in 2022.
pub fn bj22(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2022, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn report(status: &str, on_duty: i64, usual: i64, capacity: i64) -> Value {
    json!({
        "status": status,
        "staff_on_duty": on_duty,
        "staff_usual": usual,
        "capacity_percent": capacity,
    })
}

/// The cast: Shanghai's department with a lead, two Shanghai enterprises
/// (a parts maker in Pudong, a chip maker in Jiading) and one in Suzhou,
/// each with an account, and a list of the Shanghai two.
pub struct Cast {
    pub lead: String,
    pub list: i64,
    pub parts: i64,
    pub chips: i64,
    pub suzhou: i64,
}

pub async fn cast(app: &TestApp) -> Cast {
    let shanghai = app.department_of("310000").await;
    app.user("lead", "lead@sh.example", Some(shanghai), None)
        .await;
    let parts = app
        .enterprise_in_chains("上海某汽车零部件有限公司", "310115", "automotive")
        .await;
    let chips = app
        .enterprise_in_chains("上海某集成电路有限公司", "310114", "integrated_circuits")
        .await;
    let suzhou = app.enterprise("苏州某精密制造有限公司", "320506").await;
    app.user("enterprise", "parts@e.example", None, Some(parts))
        .await;
    app.user("enterprise", "chips@e.example", None, Some(chips))
        .await;
    let lead = app.token("lead@sh.example").await;
    for (id, code) in [(parts, "C3670"), (chips, "c3973")] {
        let res = app
            .put_as(
                &format!("/api/v1/enterprises/{id}/industry"),
                &lead,
                &json!({"code": code}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = app
        .post_as(
            "/api/v1/monitoring/lists",
            &lead,
            &json!({"name": "上海市首批复工企业"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let list = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    Cast {
        lead,
        list,
        parts,
        chips,
        suzhou,
    }
}

each_backend! {
    async fn a_list_is_kept_by_hand_within_its_departments_jurisdiction(app) {
        app.clock.set(bj22(4, 20, 9, 0));
        let c = cast(&app).await;
        let add = |e: i64| format!("/api/v1/monitoring/lists/{}/members/{e}", c.list);
        assert_eq!(app.put_as(&add(c.parts), &c.lead, &json!({})).await.status(), 201);
        assert_eq!(app.put_as(&add(c.parts), &c.lead, &json!({})).await.status(), 200, "twice changes nothing");
        assert_eq!(app.put_as(&add(c.chips), &c.lead, &json!({})).await.status(), 201);
        let body = assert_problem(app.put_as(&add(c.suzhou), &c.lead, &json!({})).await, 422).await;
        assert_eq!(body["type"], "urn:yizhan:problem:enterprise-outside-list");
        // A bad industry code says why.
        let body = assert_problem(
            app.put_as(&format!("/api/v1/enterprises/{}/industry", c.parts), &c.lead, &json!({"code": "C3699"})).await,
            422,
        )
        .await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("C3699"), "{body}");
        // The same name twice is refused.
        let body = assert_problem(
            app.post_as("/api/v1/monitoring/lists", &c.lead, &json!({"name": "上海市首批复工企业"})).await,
            409,
        )
        .await;
        assert_eq!(body["type"], "urn:yizhan:problem:list-name-taken");
        let lists: Value = app.get_as("/api/v1/monitoring/lists", &c.lead).await.json().await.unwrap();
        assert_eq!(lists[0]["members"], 2);
        assert_eq!(lists[0]["sight"], "whole");
        assert_eq!(lists[0]["may_keep"], true);
        let members: Value = app
            .get_as(&format!("/api/v1/monitoring/lists/{}/members", c.list), &c.lead)
            .await
            .json()
            .await
            .unwrap();
        let codes: Vec<&str> = members.as_array().unwrap().iter().map(|m| m["industry_code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["C3670", "C3973"]);
        // Taken off, and put back.
        let res = app.client.delete(app.url(&add(c.chips))).bearer_auth(&c.lead).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let lists: Value = app.get_as("/api/v1/monitoring/lists", &c.lead).await.json().await.unwrap();
        assert_eq!(lists[0]["members"], 1);
        // An enterprise account keeps no list and sees none.
        let parts = app.token("parts@e.example").await;
        let lists: Value = app.get_as("/api/v1/monitoring/lists", &parts).await.json().await.unwrap();
        assert_eq!(lists, json!([]));
        assert_eq!(app.post_as("/api/v1/monitoring/lists", &parts, &json!({"name": "我的名单"})).await.status(), 403);
    }

    async fn reports_are_filed_corrected_until_the_cut_off_late_or_refused(app) {
        app.clock.set(bj22(4, 28, 9, 0));
        let c = cast(&app).await;
        let parts = app.token("parts@e.example").await;
        let chips = app.token("chips@e.example").await;
        let day = "/api/v1/daily-reports/2022-04-28";
        let mut body = report("partial", 820, 1000, 65);
        body["output_quantity"] = json!(1250.5);
        body["output_unit"] = json!("套");
        let res = app.put_as(day, &parts, &body).await;
        assert_eq!(res.status(), 201);
        let first: Value = res.json().await.unwrap();
        assert_eq!(first["revision"], 1);
        assert_eq!(first["late"], false);
        assert_eq!(first["output_quantity"], 1250.5);
        // Corrections close at 10:00 on the next working day, Friday the 29th.
        assert_eq!(first["correctable_until"], "2022-04-29T02:00:00Z");
        // The same report again changes nothing.
        let again = app.put_as(day, &parts, &body).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["revision"], 1);
        // A correction the next morning, with a blocker.
        app.clock.set(bj22(4, 29, 9, 30));
        body["capacity_percent"] = json!(70);
        body["blockers"] = json!([{"category": "logistics", "text": "货车进不了临港园区，零部件积压"}]);
        let res = app.put_as(day, &parts, &body).await;
        assert_eq!(res.status(), 200);
        let corrected: Value = res.json().await.unwrap();
        assert_eq!(corrected["revision"], 2);
        assert_eq!(corrected["capacity_percent"], 70);
        assert_eq!(corrected["blockers"][0]["ticket"], Value::Null);
        // After the cut-off: refused, the report unchanged.
        app.clock.set(bj22(4, 29, 10, 1));
        body["capacity_percent"] = json!(90);
        let res = assert_problem(app.put_as(day, &parts, &body).await, 409).await;
        assert_eq!(res["type"], "urn:yizhan:problem:report-correction-closed");
        let stored: Value = app.get_as(day, &parts).await.json().await.unwrap();
        assert_eq!(stored["capacity_percent"], 70);
        // Every version is kept.
        let revisions: Value = app.get_as(&format!("{day}/revisions"), &parts).await.json().await.unwrap();
        let caps: Vec<i64> = revisions.as_array().unwrap().iter().map(|r| r["report"]["capacity_percent"].as_i64().unwrap()).collect();
        assert_eq!(caps, [65, 70]);
        // A first report after the cut-off is accepted and marked late, and
        // cannot be corrected.
        let res = app.put_as(day, &chips, &report("running", 300, 300, 95)).await;
        assert_eq!(res.status(), 201);
        assert_eq!(res.json::<Value>().await.unwrap()["late"], true);
        let res = app.put_as(day, &chips, &report("running", 290, 300, 95)).await;
        assert_eq!(res.status(), 409);
        // A day ahead, and bad fields, are refused with reasons.
        let res = assert_problem(app.put_as("/api/v1/daily-reports/2022-04-30", &parts, &body).await, 422).await;
        assert_eq!(res["type"], "urn:yizhan:problem:report-day-ahead");
        let res = assert_problem(
            app.put_as("/api/v1/daily-reports/2022-04-29", &parts, &json!({"status": "busy", "staff_on_duty": 5, "staff_usual": 3, "capacity_percent": 10, "output_quantity": 3})).await,
            422,
        )
        .await;
        let fields: Vec<&str> = res["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        for f in ["status", "staff_on_duty", "output_unit"] {
            assert!(fields.contains(&f), "{f} in {res}");
        }
        // Staff file no reports; an enterprise reads only its own.
        assert_eq!(app.put_as(day, &c.lead, &body).await.status(), 403);
        assert_eq!(app.get_as("/api/v1/daily-reports/2022-04-27", &parts).await.status(), 404);
    }

    async fn a_blocker_becomes_a_ticket_in_one_step_linked_both_ways(app) {
        app.clock.set(bj22(4, 28, 9, 0));
        let c = cast(&app).await;
        let parts = app.token("parts@e.example").await;
        let mut body = report("partial", 500, 1000, 40);
        body["blockers"] = json!([{"category": "logistics", "text": "货车进不了临港园区，零部件积压三天"}]);
        let r: Value = app.put_as("/api/v1/daily-reports/2022-04-28", &parts, &body).await.json().await.unwrap();
        let blocker = r["blockers"][0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/daily-reports/blockers/{blocker}/ticket");
        let res = app.post_as(&path, &parts, &json!({"urgency": "urgent"})).await;
        assert_eq!(res.status(), 201);
        let ticket = res.json::<Value>().await.unwrap()["ticket_id"].as_i64().unwrap();
        // Asking again files nothing new.
        let res = app.post_as(&path, &parts, &json!({"urgency": "urgent"})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["ticket_id"], ticket);
        // Routed like any filing: to Pudong's department, from the report's words.
        let t: Value = app.get_as(&format!("/api/v1/tickets/{ticket}"), &parts).await.json().await.unwrap();
        assert_eq!(t["category"], "logistics");
        assert_eq!(t["urgency"], "urgent");
        assert_eq!(t["description"], "货车进不了临港园区，零部件积压三天");
        assert_eq!(t["status"], "pending_sign");
        // The ticket names the report it came from, to the enterprise and to the officer.
        assert_eq!(t["from_daily_report"], json!({"date": "2022-04-28", "blocker_id": blocker}));
        let staff: Value = app.get_as(&format!("/api/v1/tickets/{ticket}"), &c.lead).await.json().await.unwrap();
        assert_eq!(staff["from_daily_report"]["date"], "2022-04-28");
        // The report names the ticket and its status.
        let r: Value = app.get_as("/api/v1/daily-reports/2022-04-28", &parts).await.json().await.unwrap();
        assert_eq!(r["blockers"][0]["ticket"]["id"], ticket);
        assert_eq!(r["blockers"][0]["ticket"]["status"], "pending_sign");
        // A correction that leaves the blocker out keeps the blocker that is a ticket.
        let r: Value = app.put_as("/api/v1/daily-reports/2022-04-28", &parts, &report("partial", 600, 1000, 50)).await.json().await.unwrap();
        assert_eq!(r["blockers"].as_array().unwrap().len(), 1);
        // Someone else's blocker is not found.
        app.user("enterprise", "other@e.example", None, Some(app.enterprise("上海另一家企业", "310115").await)).await;
        let other = app.token("other@e.example").await;
        assert_eq!(app.post_as(&path, &other, &json!({"urgency": "normal"})).await.status(), 404);
    }

    async fn missing_reports_are_noticed_once_a_working_day_and_urged_once(app) {
        app.clock.set(bj22(4, 22, 8, 0));
        let c = cast(&app).await;
        for e in [c.parts, c.chips] {
            app.put_as(&format!("/api/v1/monitoring/lists/{}/members/{e}", c.list), &c.lead, &json!({})).await;
        }
        let parts = app.token("parts@e.example").await;
        app.put_as("/api/v1/daily-reports/2022-04-22", &parts, &report("running", 10, 10, 100)).await;
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        let send = |at: DateTime<Utc>| yizhan::services::monitoring::reminders::send_due(&app.db, &app.sla, at, ten);
        // Before the time, nothing; then the one that did not report, once.
        assert_eq!(send(bj22(4, 22, 9, 59)).await.unwrap(), 0);
        assert_eq!(send(bj22(4, 22, 10, 0)).await.unwrap(), 1);
        assert_eq!(send(bj22(4, 22, 10, 1)).await.unwrap(), 0);
        app.clock.set(bj22(4, 22, 10, 5));
        let mail = app.mailbox().await;
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].0, "chips@e.example");
        assert!(mail[0].1.contains("2022年4月22日") && mail[0].2.contains("上海市首批复工企业"), "{mail:?}");
        // Saturday is no working day; the make-up Sunday is. Two instances
        // at once notice each enterprise once.
        assert_eq!(send(bj22(4, 23, 11, 0)).await.unwrap(), 0);
        let (a, b) = tokio::join!(send(bj22(4, 24, 11, 0)), send(bj22(4, 24, 11, 0)));
        assert_eq!(a.unwrap() + b.unwrap(), 2);
        let queued = app
            .db
            .run(|conn| {
                use diesel::prelude::*;
                use yizhan::storage::schema::outbox_messages as o;
                Ok(o::table
                    .filter(o::notice.eq("daily_report_missing"))
                    .filter(o::params.like("%2022-04-24%"))
                    .count()
                    .get_result::<i64>(conn)?)
            })
            .await
            .unwrap();
        assert_eq!(queued, 2, "one e-mail per enterprise's account");
        // The list's department sees the missing list and urges, once a day.
        app.clock.set(bj22(4, 24, 15, 0));
        let missing: Value = app.get_as(&format!("/api/v1/monitoring/missing?list={}&date=2022-04-24", c.list), &c.lead).await.json().await.unwrap();
        assert_eq!(missing["total"], 2);
        assert_eq!(missing["items"][0]["reminded"], true);
        assert_eq!(missing["items"][0]["urged"], false);
        let urge = json!({"list": c.list, "date": "2022-04-24"});
        let done: Value = app.post_as("/api/v1/monitoring/missing/urge", &c.lead, &urge).await.json().await.unwrap();
        assert_eq!(done, json!({"urged": 2, "already": 0}));
        let done: Value = app.post_as("/api/v1/monitoring/missing/urge", &c.lead, &urge).await.json().await.unwrap();
        assert_eq!(done, json!({"urged": 0, "already": 2}));
        let mail = app.mailbox().await;
        let urged: Vec<&(String, String, String)> = mail.iter().filter(|m| m.1.contains("催报")).collect();
        assert_eq!(urged.len(), 2, "{mail:?}");
        assert!(urged[0].2.contains("上海市经济和信息化委员会") || urged[0].2.contains("提醒"), "{:?}", urged[0]);
        // Someone outside the list's jurisdiction neither sees nor urges.
        let jiangsu = app.department_of("320000").await;
        app.user("supervisor", "js@e.example", Some(jiangsu), None).await;
        let js = app.token("js@e.example").await;
        assert_eq!(app.post_as("/api/v1/monitoring/missing/urge", &js, &urge).await.status(), 404);
        assert_eq!(app.get_as(&format!("/api/v1/monitoring/missing?list={}", c.list), &js).await.status(), 404);
    }
}
