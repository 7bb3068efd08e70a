//! Issue 26's pages as a browser meets them: the enterprise's daily
//! report (prefilled from yesterday, a refused form keeps what was typed,
//! a blocker becomes a ticket whose status shows), the monitoring board
//! (rates, missing list, urging, exports) and the lists page.

use serde_json::json;

use crate::browser::Browser;
use crate::each_backend;
use crate::monitoring::{bj22, cast, report};

each_backend! {
    async fn the_enterprise_files_its_daily_report_on_its_page(app) {
        app.clock.set(bj22(4, 27, 9, 0));
        let _c = cast(&app).await;
        let token = app.token("parts@e.example").await;
        let mut yesterday = report("partial", 640, 1000, 55);
        yesterday["output_quantity"] = json!(1200);
        yesterday["output_unit"] = json!("套");
        app.put_as("/api/v1/daily-reports/2022-04-27", &token, &yesterday).await;
        app.clock.set(bj22(4, 28, 8, 30));
        let b = Browser::new(&app);
        b.login("parts@e.example").await;
        // The nav leads to today's report, started from yesterday's.
        let home = b.get("/daily").await;
        assert_eq!(home.location.as_deref(), Some("/daily/2022-04-28"));
        let p = b.get("/daily/2022-04-28").await;
        assert_eq!(p.status, 200);
        assert!(p.html.contains("2022年4月28日 星期四"), "{}", p.html);
        assert!(p.html.contains("尚未报送") && p.html.contains("已按2022年4月27日 星期三的日报预填"), "{}", p.html);
        assert!(p.html.contains("value=\"640\"") && p.html.contains("value=\"套\""));
        // A refused form keeps what was typed and says why, by the field.
        let bad = b
            .post(
                "/daily/2022-04-28",
                &[("status", "running"), ("staff_on_duty", "1200"), ("staff_usual", "1000"), ("capacity_percent", "abc"), ("output_quantity", "1300"), ("output_unit", "")],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.html.contains("value=\"1200\"") && bad.html.contains("value=\"abc\""), "{}", bad.html);
        assert!(bad.html.contains("在岗人数不能多于正常在岗人数") && bad.html.contains("请同时填写计量单位"), "{}", bad.html);
        // Filed, with a blocker.
        let ok = b
            .post(
                "/daily/2022-04-28",
                &[
                    ("status", "running"), ("staff_on_duty", "900"), ("staff_usual", "1000"), ("capacity_percent", "80"),
                    ("output_quantity", "1300"), ("output_unit", "套"), ("inventory_days", "3"),
                    ("b1_category", "logistics"), ("b1_text", "货车通行证还没办下来"),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.html);
        assert_eq!(ok.location.as_deref(), Some("/daily/2022-04-28?done=saved"));
        let p = b.get("/daily/2022-04-28?done=saved").await;
        assert!(p.html.contains("日报已保存") && p.html.contains("已报送（第 1 版）"), "{}", p.html);
        assert!(p.html.contains("货车通行证还没办下来") && p.html.contains("转为诉求"));
        // The blocker becomes a ticket in one step; the page shows its status.
        let marker = "/blockers/";
        let at = p.html.find(marker).unwrap() + marker.len();
        let id: String = p.html[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
        let filed = b.post(&format!("/daily/2022-04-28/blockers/{id}/ticket"), &[("urgency", "urgent"), ("title", "货车通行证")]).await;
        assert_eq!(filed.status, 303, "{}", filed.html);
        let p = b.get("/daily/2022-04-28?done=ticket").await;
        assert!(p.html.contains("已转为诉求") && p.html.contains("待签收"), "{}", p.html);
        // The ticket's page names the report it came from.
        let marker = "已转为诉求 <a href=\"/tickets/";
        let at = p.html.find(marker).unwrap() + marker.len();
        let ticket: String = p.html[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
        let t = b.get(&format!("/tickets/{ticket}")).await;
        assert!(t.html.contains("2022-04-28 日报中的堵点") && t.html.contains("href=\"/daily/2022-04-28\""), "{}", t.html);
        // A day ahead is no page; staff have no report to file.
        assert_eq!(b.get("/daily/2022-04-29").await.status, 404);
        // Once corrections are closed, the report is shown as it stands.
        app.clock.set(bj22(5, 6, 9, 0));
        let closed = b.get("/daily/2022-04-28").await;
        assert!(!closed.html.contains("name=\"staff_on_duty\""), "no form: {}", closed.html);
        for seen in ["<dt>生产状态</dt><dd>正常生产</dd>", "<dt>当日在岗人数</dt><dd>900</dd>", "<dd>1300 套</dd>", "<dd>3</dd>"] {
            assert!(closed.html.contains(seen), "{seen}: {}", closed.html);
        }
    }

    async fn the_supervisor_reads_the_board_and_urges_the_missing(app) {
        app.clock.set(bj22(4, 28, 9, 0));
        let c = cast(&app).await;
        for e in [c.parts, c.chips] {
            app.put_as(&format!("/api/v1/monitoring/lists/{}/members/{e}", c.list), &c.lead, &json!({})).await;
        }
        let token = app.token("parts@e.example").await;
        app.put_as("/api/v1/daily-reports/2022-04-28", &token, &report("running", 900, 1000, 80)).await;
        let shanghai = app.department_of("310000").await;
        app.user("supervisor", "sup@sh.example", Some(shanghai), None).await;
        let b = Browser::new(&app);
        b.login("sup@sh.example").await;
        let p = b.get("/monitoring").await;
        assert_eq!(p.status, 200);
        for seen in ["每日调度看板", "上海市首批复工企业", "复工率", "50.0%", "缺报名单（1 家）", "上海某集成电路有限公司", "口径说明"] {
            assert!(p.html.contains(seen), "{seen}: {}", p.html);
        }
        assert!(p.html.contains("<svg"), "the trend chart");
        let quick = p.html.find("快速选择").map(|i| &p.html[i..i + 400]).unwrap_or("");
        assert!(p.html.contains("from=2022-04-22"), "{quick}");
        // Drill down to Shanghai's districts.
        let q = format!("/monitoring?list={}&date=2022-04-28&region=310000", c.list);
        let d = b.get(&q).await;
        assert!(d.html.contains("浦东新区") && d.html.contains("嘉定区"), "{}", d.html);
        // A half-typed compared period comes back as typed, marked by its field.
        let half = b.get(&format!("/monitoring?list={}&from=2022-04-22&to=2022-04-28&compare_from=2022-04-15", c.list)).await;
        assert!(half.html.contains("name=\"compare_from\" type=\"date\" value=\"2022-04-15\">"), "{}", half.html);
        assert!(half.html.contains("name=\"compare_to\" type=\"date\" value=\"\" aria-invalid=\"true\""), "{}", half.html);
        assert!(half.html.contains("value=\"2022-04-22\"") && half.html.contains("对比期的开始和结束日期请一并填写"), "{}", half.html);
        // Urge the missing, once.
        let urged = b.post("/monitoring/urge", &[("list", &c.list.to_string()), ("date", "2022-04-28"), ("back", &format!("list={}&date=2022-04-28", c.list))]).await;
        assert_eq!(urged.status, 303);
        let after = b.get(urged.location.as_deref().unwrap()).await;
        assert!(after.html.contains("已向缺报企业发出催报通知") && after.html.contains("已催报"), "{}", after.html);
        // The board as a file.
        let csv = b.get(&format!("/exports/monitoring.csv?list={}&date=2022-04-28", c.list)).await;
        assert_eq!(csv.status, 200);
        assert!(csv.html.contains("报送率"));
        // Bad dates come back with a reason, and the board of today.
        let bad = b.get(&format!("/monitoring?list={}&date=2022-13-01", c.list)).await;
        assert_eq!(bad.status, 200);
        assert!(bad.html.contains("class=\"errors\""), "{}", bad.html);
    }

    async fn a_department_keeps_its_lists_on_the_lists_page(app) {
        app.clock.set(bj22(4, 28, 9, 0));
        let c = cast(&app).await;
        let b = Browser::new(&app);
        b.login("lead@sh.example").await;
        let p = b.get("/monitoring/lists").await;
        assert!(p.html.contains("上海市首批复工企业") && p.html.contains("新建名单"), "{}", p.html);
        // A name too short comes back with what was typed.
        let bad = b.post("/monitoring/lists", &[("name", "甲"), ("source", "members")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.html.contains("value=\"甲\"") && bad.html.contains("名单名称应为"), "{}", bad.html);
        let made = b.post("/monitoring/lists", &[("name", "浦东重点企业"), ("source", "members")]).await;
        assert_eq!(made.status, 303);
        let list = made.location.unwrap();
        // Add by name; an enterprise outside Shanghai is refused with a reason.
        let added = b.post(&format!("{list}/members"), &[("enterprise", "上海某汽车零部件有限公司")]).await;
        assert_eq!(added.status, 303, "{}", added.html);
        let page = b.get(&format!("{list}?done=added")).await;
        assert!(page.html.contains("企业已加入名单") && page.html.contains("汽车零部件及配件制造（C3670）"), "{}", page.html);
        let outside = b.post(&format!("{list}/members"), &[("enterprise", "苏州某精密制造有限公司")]).await;
        assert_eq!(outside.status, 422);
        assert!(outside.html.contains("不在本部门辖区内") && outside.html.contains("value=\"苏州某精密制造有限公司\""), "{}", outside.html);
        // Recoded, then taken off.
        let recoded = b.post(&format!("{list}/members/{}/industry", c.parts), &[("code", "C3611")]).await;
        assert_eq!(recoded.status, 303);
        let removed = b.post(&format!("{list}/members/{}/remove", c.parts), &[]).await;
        assert_eq!(removed.status, 303);
        let page = b.get(&format!("{list}?done=removed")).await;
        assert!(page.html.contains("企业已移出名单") && page.html.contains("没有名单企业"), "{}", page.html);
    }
}
