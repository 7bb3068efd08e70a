//! The desk's ticket page (issue 24, items 1, 2 and 5): deadlines in the
//! unit of their policy, who filed beside the ticket, the primary action
//! and the notice after it, confirmation before a ticket ends or leaves,
//! canned replies, the printable 办理单, and the overdue mail's wording.

use chrono::Datelike;
use serde_json::{json, Value};
use yizhan::domain::access::Caller;
use yizhan::domain::enterprise::EnterpriseInput;
use yizhan::domain::role::Role;

use crate::browser::{Browser, Page};
use crate::each_backend;
use crate::helpers::{bj, credit_code, TestApp};

struct Desk {
    a: i64,
    officer: &'static str,
    lead: &'static str,
    supervisor: &'static str,
    ent_a: &'static str,
    ent_b: &'static str,
    code_a: String,
}

async fn enterprise(app: &TestApp, name: &str, body17: &str, contact: bool) -> (i64, String) {
    let admin = Caller {
        user_id: 0,
        role: Role::Admin,
        department: None,
        enterprise_id: None,
    };
    let code = credit_code(body17);
    let mut input = EnterpriseInput {
        credit_code: code.clone(),
        name: name.into(),
        county_code: "320506".into(),
        address: "苏州市吴中区东吴北路 88 号".into(),
        ..Default::default()
    };
    if contact {
        input.contact_name = "李四".into();
        input.contact_phone = "13812345678".into();
    }
    let id = yizhan::services::enterprises::create(&app.db, &admin, input, false, app.clock.now())
        .await
        .expect("enterprise created")
        .enterprise
        .id;
    (id, code)
}

async fn desk(app: &TestApp) -> Desk {
    app.clock.set(bj(2, 9, 0));
    let (a, code_a) = enterprise(app, "苏州某精密部件有限公司", "91320506000000011", true).await;
    let (b, _) = enterprise(app, "苏州另一家机械有限公司", "91320506000000022", false).await;
    app.user("enterprise", "e@a.cn", None, Some(a)).await;
    app.user("enterprise", "e@b.cn", None, Some(b)).await;
    let county = app.department_of("320506").await;
    app.user("officer", "o@wuzhong.cn", Some(county), None)
        .await;
    app.user("lead", "lead@wuzhong.cn", Some(county), None)
        .await;
    let city = app.department_of("320500").await;
    app.user("supervisor", "sup@suzhou.cn", Some(city), None)
        .await;
    app.user("officer", "o@miit.cn", Some(1), None).await;
    let ministry = app.token("o@miit.cn").await;
    let listing = json!({"scope": "national", "batch": 3, "listed_on": "2022-04-18"});
    let res = app
        .post_as(
            &format!("/api/v1/enterprises/{a}/whitelist"),
            &ministry,
            &listing,
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    Desk {
        a,
        officer: "o@wuzhong.cn",
        lead: "lead@wuzhong.cn",
        supervisor: "sup@suzhou.cn",
        ent_a: "e@a.cn",
        ent_b: "e@b.cn",
        code_a,
    }
}

/// Files a 一般 ticket as the enterprise user; returns its id.
async fn file(app: &TestApp, email: &str, title: &str) -> i64 {
    let token = app.token(email).await;
    let res = app
        .post_as("/api/v1/tickets", &token, &json!({"category": "logistics", "urgency": "normal", "title": title, "description": "货车无法进入园区，原料断供。"}))
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn ticket(app: &TestApp, email: &str, id: i64) -> Value {
    let token = app.token(email).await;
    app.get_as(&format!("/api/v1/tickets/{id}"), &token)
        .await
        .json()
        .await
        .unwrap()
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let b = Browser::new(app);
    b.login(email).await;
    b
}

/// The part of a page from `start` to the next `end`.
fn between<'a>(p: &'a Page, start: &str, end: &str) -> &'a str {
    let from = p
        .html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {}", p.html));
    let rest = &p.html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// A deadline as the pages write it beside the time left: `3月9日 17:30`.
fn short_beijing(rfc3339: &str) -> String {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Shanghai);
    format!("{}月{}日 {}", at.month(), at.day(), at.format("%H:%M"))
}

each_backend! {
    async fn who_filed_stands_beside_the_ticket_for_staff(app) {
        let d = desk(&app).await;
        let first = file(&app, d.ent_a, "去年的原料断供").await;
        app.clock.set(bj(3, 9, 0));
        let id = file(&app, d.ent_a, "货车无法进园").await;
        let other = file(&app, d.ent_b, "另一家企业的诉求").await;

        let o = signed_in(&app, d.officer).await;
        let p = o.get(&format!("/tickets/{id}")).await;
        assert_eq!(p.status, 200);
        let panel = between(&p, "<aside class=\"filer\"", "</aside>");
        for seen in ["诉求企业", "苏州某精密部件有限公司", d.code_a.as_str(), "全国白名单 第 3 批（2022-04-18 列入）",
                     "苏州市吴中区东吴北路 88 号", "李四", "href=\"tel:13812345678\""] {
            assert!(panel.contains(seen), "{seen}: {panel}");
        }
        // Its earlier ticket, linked, with its status; nobody else's.
        assert!(panel.contains(&format!("href=\"/tickets/{first}\"")) && panel.contains("去年的原料断供") && panel.contains("待签收"), "{panel}");
        assert!(!panel.contains(&format!("href=\"/tickets/{id}\"")), "not itself");
        assert!(!panel.contains("另一家企业的诉求"), "{panel}");

        // A supervisor above sees it, the phone masked.
        let s = signed_in(&app, d.supervisor).await;
        let p = s.get(&format!("/tickets/{id}")).await;
        let panel = between(&p, "<aside class=\"filer\"", "</aside>");
        assert!(panel.contains("138****5678") && !panel.contains("13812345678"), "{panel}");

        // The enterprise knows itself: no panel; another enterprise sees
        // neither the ticket nor its sheet, nor the first's tickets beside its own.
        let a = signed_in(&app, d.ent_a).await;
        let p = a.get(&format!("/tickets/{id}")).await;
        assert_eq!(p.status, 200);
        assert!(!p.html.contains("class=\"filer\""), "{}", p.html);
        let b = signed_in(&app, d.ent_b).await;
        assert_eq!(b.get(&format!("/tickets/{id}")).await.status, 404);
        assert_eq!(b.get(&format!("/tickets/{first}/print")).await.status, 404);
        let own = b.get(&format!("/tickets/{other}")).await;
        assert_eq!(own.status, 200);
        assert!(!own.html.contains("去年的原料断供") && !own.html.contains(&format!("/tickets/{first}")), "{}", own.html);
        let _ = d.a;
    }

    async fn signing_for_is_one_click_and_says_what_happened(app) {
        let d = desk(&app).await;
        let id = file(&app, d.ent_a, "货车无法进园").await;
        let o = signed_in(&app, d.officer).await;
        let p = o.get(&format!("/tickets/{id}")).await;
        // The primary step first, a form with nothing to fill in.
        let primary = between(&p, "<div class=\"action primary\"", "</div>");
        assert!(primary.contains("/act/sign_for") && primary.contains("class=\"primary\">签收</button>"), "{primary}");
        assert!(!primary.contains("<textarea") && !primary.contains("<select"), "{primary}");
        assert!(p.html.find("act-sign_for").unwrap() < p.html.find("act-comment").unwrap());
        // 一般: the sign-for deadline in working time, with the deadline itself.
        let clocks = between(&p, "<ul class=\"clocks\">", "</ul>");
        assert!(clocks.contains("剩余 ") && clocks.contains("（截止 "), "{clocks}");
        assert!(!clocks.contains(" 天"), "no 24-hour days: {clocks}");

        let version = p.hidden("version").unwrap();
        let done = o.post(&format!("/tickets/{id}/act/sign_for"), &[("version", &version)]).await;
        assert_eq!(done.status, 303);
        let location = done.location.unwrap();
        assert_eq!(location, format!("/tickets/{id}?done=sign_for#timeline"));
        let p = o.get(location.split('#').next().unwrap()).await;
        let t = ticket(&app, d.officer, id).await;
        let due = short_beijing(t["resolve_due_at"].as_str().unwrap());
        let notice = between(&p, "<p class=\"notice ok\" role=\"status\">", "</p>");
        assert!(notice.ends_with(&format!("已签收，办结时限 {due}")), "{notice}");
        // 5 working days to resolve: said in working days, the deadline beside it.
        let clocks = between(&p, "<ul class=\"clocks\">", "</ul>");
        assert!(clocks.contains("剩余 4 个工作日") || clocks.contains("剩余 5 个工作日"), "{clocks}");
        assert!(clocks.contains(&format!("（截止 {due}）")), "{clocks}");
    }

    async fn ending_or_sending_a_ticket_away_asks_first(app) {
        let d = desk(&app).await;
        let o = signed_in(&app, d.officer).await;
        let status = |id: i64| {
            let app = &app;
            async move { ticket(app, "o@wuzhong.cn", id).await["status"].as_str().unwrap().to_string() }
        };
        // 不予受理 and 退回 by the officer, 撤回 by the enterprise, 转办 to another county.
        let rejected = file(&app, d.ent_a, "不属于本部门").await;
        let returned = file(&app, d.ent_a, "应由市里办理").await;
        let withdrawn = file(&app, d.ent_a, "已自行解决").await;
        let transferred = file(&app, d.ent_a, "应由别的区办理").await;
        let e = signed_in(&app, d.ent_a).await;
        for (who, id, action, title, done) in [
            (&o, rejected, "reject", "确认不予受理？", "rejected"),
            (&o, returned, "return", "确认退回？", "pending_sign"),
            (&e, withdrawn, "withdraw", "确认撤回？", "withdrawn"),
            (&o, transferred, "transfer", "确认转办？", "pending_sign"),
        ] {
            let page = who.get(&format!("/tickets/{id}")).await;
            let version = page.hidden("version").unwrap();
            let reason = format!("{title}的理由：经核实另行处理");
            let mut fields = vec![("version", version.clone()), ("reason", reason.clone())];
            if action == "transfer" {
                let form = between(&page, "id=\"transfer-dept\"", "</select>");
                let start = form.find("<option value=\"").unwrap() + 15;
                let dept = form[start..].split('"').next().unwrap().to_string();
                fields.push(("department_id", dept));
            }
            let as_refs = |extra: Option<(&'static str, &'static str)>| {
                let mut f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                f.extend(extra);
                f
            };
            let before = ticket(&app, d.officer, id).await["version"].clone();
            // First submit: a page that says what will happen, the reason kept.
            let ask = who.post(&format!("/tickets/{id}/act/{action}"), &as_refs(None)).await;
            assert_eq!(ask.status, 200, "{action}: {}", ask.html);
            assert!(ask.html.contains(title) && ask.html.contains("name=\"confirm\" value=\"yes\""), "{action}: {}", ask.html);
            assert!(ask.html.contains(&format!("name=\"reason\" value=\"{reason}\"")), "{action}: kept {}", ask.html);
            assert_eq!(status(id).await, "pending_sign", "{action}: nothing done yet");
            assert_eq!(ticket(&app, d.officer, id).await["version"], before, "{action}");
            // Back to the form: open, as typed.
            let edit = who.post(&format!("/tickets/{id}/act/{action}"), &as_refs(Some(("confirm", "edit")))).await;
            assert_eq!(edit.status, 200);
            let form = between(&edit, &format!("open id=\"act-{action}\""), "</details>");
            assert!(form.contains(&reason), "{action}: {form}");
            assert_eq!(status(id).await, "pending_sign");
            // Confirmed: done.
            let yes = who.post(&format!("/tickets/{id}/act/{action}"), &as_refs(Some(("confirm", "yes")))).await;
            assert_eq!(yes.status, 303, "{action}: {}", yes.html);
            assert_ne!(ticket(&app, d.officer, id).await["version"], before, "{action}: acted");
            assert_eq!(status(id).await, done, "{action}");
        }
        // Actions that neither end nor send away act at once.
        let id = file(&app, d.ent_a, "留言即可").await;
        let version = o.get(&format!("/tickets/{id}")).await.hidden("version").unwrap();
        let p = o.post(&format!("/tickets/{id}/act/comment"), &[("version", &version), ("text", "已收到")]).await;
        assert_eq!(p.status, 303);
    }

    async fn the_lead_keeps_the_canned_replies_and_officers_insert_them(app) {
        let d = desk(&app).await;
        let id = file(&app, d.ent_a, "货车无法进园").await;
        let lead = signed_in(&app, d.lead).await;
        let settings = lead.get("/admin/departments").await;
        assert!(settings.html.contains("href=\"/desk/replies\""), "linked from 本部门设置");
        let p = lead.get("/desk/replies").await;
        assert_eq!(p.status, 200);
        assert!(p.html.contains("还没有常用语"));
        // Added; a blank title refused by the field, the text kept.
        let bad = lead.post("/desk/replies", &[("title", " "), ("body", "您反映的问题已受理。")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.html.contains("请填写名称") && bad.html.contains("您反映的问题已受理。"), "{}", bad.html);
        let ok = lead.post("/desk/replies", &[("title", "已受理"), ("body", "您反映的问题已受理，我们将尽快办理。")]).await;
        assert_eq!(ok.location.as_deref(), Some("/desk/replies?done=saved"));
        let p = lead.get("/desk/replies?done=saved").await;
        assert!(p.html.contains("已保存常用语") && p.html.contains("您反映的问题已受理，我们将尽快办理。"), "{}", p.html);
        let rid = {
            let start = p.html.find("action=\"/desk/replies/").unwrap() + 22;
            p.html[start..].split('"').next().unwrap().to_string()
        };
        let changed = lead.post(&format!("/desk/replies/{rid}"), &[("title", "已办结"), ("body", "经协调，问题已解决。")]).await;
        assert_eq!(changed.status, 303);
        let _ = lead.post("/desk/replies", &[("title", "待删除"), ("body", "这一条会被删除。")]).await;

        // An officer is refused the page and its forms, with a 403 page.
        let o = signed_in(&app, d.officer).await;
        let refused = o.get("/desk/replies").await;
        assert_eq!(refused.status, 403);
        assert!(refused.html.contains("只有本部门负责人可以编辑常用语"), "{}", refused.html);
        assert_eq!(o.post("/desk/replies", &[("title", "x"), ("body", "y")]).await.status, 403);
        assert_eq!(o.post(&format!("/desk/replies/{rid}/delete"), &[]).await.status, 403);
        // ...but finds the replies beside every text field of the ticket.
        let p = o.get(&format!("/tickets/{id}")).await;
        assert!(p.html.contains("data-canned-for=\"reject-reason\""), "{}", p.html);
        assert!(p.html.contains("<option value=\"经协调，问题已解决。\">已办结</option>"), "{}", p.html);

        // Deleted.
        let p = lead.get("/desk/replies").await;
        let start = p.html.find("这一条会被删除。").unwrap();
        let del = p.html[start..].find("/delete\"").unwrap() + start;
        let from = p.html[..del].rfind("/desk/replies/").unwrap();
        let path = &p.html[from..del + 7];
        let gone = lead.post(path, &[]).await;
        assert_eq!(gone.location.as_deref(), Some("/desk/replies?done=deleted"));
        let p = lead.get("/desk/replies").await;
        assert!(!p.html.contains("这一条会被删除。") && p.html.contains("已办结"));
        // Every change is audited.
        app.user("admin", "root@desk.cn", None, None).await;
        let admin = app.token("root@desk.cn").await;
        let events: Value = app.get_as("/api/v1/admin/auth-events", &admin).await.json().await.unwrap();
        let said = events.to_string();
        assert_eq!(said.matches("canned_reply_saved").count(), 3, "{said}");
        assert_eq!(said.matches("canned_reply_deleted").count(), 1, "{said}");
    }

    async fn the_handling_sheet_prints_the_ticket_and_its_history(app) {
        let d = desk(&app).await;
        let id = file(&app, d.ent_a, "货车无法进园").await;
        let o = signed_in(&app, d.officer).await;
        let page = o.get(&format!("/tickets/{id}")).await;
        assert!(page.html.contains(&format!("href=\"/tickets/{id}/print\"")));
        let version = page.hidden("version").unwrap();
        o.post(&format!("/tickets/{id}/act/sign_for"), &[("version", &version)]).await;
        let version = o.get(&format!("/tickets/{id}")).await.hidden("version").unwrap();
        o.post(&format!("/tickets/{id}/act/resolve"), &[("version", &version), ("resolution", "已协调交警开通绿色通道。")]).await;
        let t = ticket(&app, d.officer, id).await;
        let p = o.get(&format!("/tickets/{id}/print")).await;
        assert_eq!(p.status, 200);
        for seen in ["企业诉求办理单", t["number"].as_str().unwrap(), "苏州某精密部件有限公司", d.code_a.as_str(),
                     "李四", "诉求类别", "紧急程度", "一般", "属地", "受理部门", "时限", "货车无法进入园区，原料断供。",
                     "办理过程", "提交诉求", "签收", "办理结果", "已协调交警开通绿色通道。", "企业评价",
                     "承办人（签字）", "审核人（签字）", "日期"] {
            assert!(p.html.contains(seen), "{seen}: {}", p.html);
        }
        let a = signed_in(&app, d.ent_a).await;
        assert_eq!(a.get(&format!("/tickets/{id}/print")).await.status, 404, "staff's sheet");
    }

    async fn an_overdue_mail_counts_working_days_as_pages_do(app) {
        let d = desk(&app).await;
        let id = file(&app, d.ent_a, "货车无法进园").await;
        app.mailbox().await;
        // Filed Monday 2 March; signing for was due by the end of the 3rd.
        // A week later it is several working days overdue.
        let mut mails = Vec::new();
        for day in 4..=10 {
            app.clock.set(bj(day, 18, 0));
            yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, app.clock.now(), 100, 10).await.unwrap();
            mails.extend(app.mailbox().await);
        }
        let overdue: Vec<&(String, String, String)> = mails.iter().filter(|(to, s, _)| to == d.officer && s.contains("超期")).collect();
        assert!(!overdue.is_empty(), "{mails:?}");
        let said = overdue.iter().map(|(_, _, body)| body.clone()).collect::<Vec<_>>().join("\n");
        assert!(said.contains("已超过签收时限，已超时 ") && said.contains(" 个工作日。"), "{said}");
        assert!(!said.contains(" 天"), "{said}");
        // The page says the same.
        let o = signed_in(&app, d.officer).await;
        let p = o.get(&format!("/tickets/{id}")).await;
        let clocks = between(&p, "<ul class=\"clocks\">", "</ul>");
        assert!(clocks.contains("已超时 ") && clocks.contains("个工作日"), "{clocks}");
    }

    async fn a_warning_mail_says_the_time_left_as_pages_do(app) {
        let d = desk(&app).await;
        let id = file(&app, d.ent_a, "货车无法进园").await;
        app.mailbox().await;
        // Signing for is due by the end of Tuesday 3 March; the warning
        // comes on the way, every half hour of the two days scanned.
        let mut warned = Vec::new();
        'scan: for day in 2..=3 {
            for half in 18..36 {
                app.clock.set(bj(day, half / 2, (half % 2) * 30));
                yizhan::services::sla_scanner::scan_once(&app.db, &app.sla, app.clock.now(), 100, 10).await.unwrap();
                warned.extend(app.mailbox().await.into_iter().filter(|(to, s, _)| to == d.officer && s.contains("临期预警")));
                if !warned.is_empty() {
                    break 'scan;
                }
            }
        }
        let (_, subject, body) = warned.first().unwrap_or_else(|| panic!("no warning for ticket {id}"));
        assert!(subject.contains("签收时限将至"), "{subject}");
        // "签收时限：2026年3月3日 17:30（北京时间），剩余 2 小时（工作时间）"
        let line = body.lines().find(|l| l.starts_with("签收时限：")).unwrap_or_else(|| panic!("{body}"));
        assert!(line.contains("（北京时间），剩余 "), "{line}");
        assert!(line.ends_with("（工作时间）") || line.contains("个工作日"), "{line}");
        assert!(!line.contains(" 天"), "{line}");
    }

    async fn who_filed_and_saved_views_are_in_the_api_too(app) {
        let d = desk(&app).await;
        let first = file(&app, d.ent_a, "去年的原料断供").await;
        app.clock.set(bj(3, 9, 0));
        let id = file(&app, d.ent_a, "货车无法进园").await;
        let officer = app.token(d.officer).await;
        let f: Value = app.get_as(&format!("/api/v1/tickets/{id}/filer"), &officer).await.json().await.unwrap();
        assert_eq!(f["name"], "苏州某精密部件有限公司");
        assert_eq!(f["credit_code"], d.code_a.as_str());
        assert_eq!(f["contact_name"], "李四");
        assert_eq!((f["phone"].as_str(), f["phone_masked"].as_bool()), (Some("13812345678"), Some(false)));
        assert_eq!(f["listings"][0]["scope"], "national");
        assert_eq!(f["listings"][0]["batch"], 3);
        let earlier: Vec<i64> = f["earlier"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
        assert_eq!(earlier, [first]);
        assert_eq!(f["earlier"][0]["status"], "pending_sign");
        // Above the county the phone is masked; the enterprise is told 404.
        let s: Value = app.get_as(&format!("/api/v1/tickets/{id}/filer"), &app.token(d.supervisor).await).await.json().await.unwrap();
        assert_eq!((s["phone"].as_str(), s["phone_masked"].as_bool()), (Some("138****5678"), Some(true)));
        let own = app.get_as(&format!("/api/v1/tickets/{id}/filer"), &app.token(d.ent_a).await).await;
        assert_eq!(own.status(), 404);

        // Saved views: saved, listed as tabs in order, refused with reasons, deleted.
        let saved = app.post_as("/api/v1/me/views", &officer, &json!({"name": "芯片待签", "query": "?tab=sign&q=芯片&cursor=x"})).await;
        assert_eq!(saved.status(), 201);
        let v: Value = saved.json().await.unwrap();
        assert_eq!(v["query"], "tab=sign&q=芯片");
        assert_eq!(v["link"], "/workbench?tab=sign&q=芯片");
        let long = app.post_as("/api/v1/me/views", &officer, &json!({"name": "一二三四五六七八九十一二三四五六七八九十一", "query": ""})).await;
        assert_eq!(long.status(), 422);
        let problem: Value = long.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
        let list: Value = app.get_as("/api/v1/me/views", &officer).await.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        // The page shows it as a tab.
        let o = signed_in(&app, d.officer).await;
        assert!(o.get("/workbench").await.html.contains("芯片待签"));
        let vid = v["id"].as_i64().unwrap();
        let supervisor = app.token(d.supervisor).await;
        assert_eq!(app.client.delete(app.url(&format!("/api/v1/me/views/{vid}"))).bearer_auth(&supervisor).send().await.unwrap().status(), 404, "another's view");
        assert_eq!(app.client.delete(app.url(&format!("/api/v1/me/views/{vid}"))).bearer_auth(&officer).send().await.unwrap().status(), 204);
        let list: Value = app.get_as("/api/v1/me/views", &officer).await.json().await.unwrap();
        assert!(list.as_array().unwrap().is_empty());
    }
}
