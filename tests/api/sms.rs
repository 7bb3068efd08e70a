//! SMS to enterprises through Tencent Cloud SMS (a local sink that checks
//! the TC3-HMAC-SHA256 signature and the SendSms payload): on 受理, 要求补充
//! and 办结 and on nothing else, to a mainland mobile number that is
//! validated, and masked for everyone but the enterprise itself and the
//! staff of the department handling its ticket.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{act, assert_problem};
use crate::http_sink::{HttpSink, Service};
use crate::robots::{cast, deliver, delivery, file, rows};

each_backend! {
    async fn an_enterprise_sets_its_mobile_and_a_wrong_one_is_refused(app) {
        let (county, _, eid) = cast(&app).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let path = format!("/api/v1/enterprises/{eid}/sms-mobile");
        for wrong in ["12345", "12812345678", "021-58880000", "+1 415 555 0100"] {
            let res = app.put_as(&path, &enterprise, &json!({"mobile": wrong})).await;
            let p = assert_problem(res, 422).await;
            assert_eq!(p["type"], "urn:yizhan:problem:invalid-mobile", "{p}");
            assert_eq!(p["errors"][0]["field"], "mobile");
            let said = p["errors"][0]["message"].as_str().unwrap();
            assert!(said.contains("11 位中国大陆手机号"), "{said}");
        }
        let res = app.put_as(&path, &enterprise, &json!({"mobile": "+86 138-1234-5678"})).await;
        assert_eq!(res.status(), 200);
        let mine: Value = res.json().await.unwrap();
        assert_eq!((mine["mobile"].as_str(), mine["sms_on"].as_bool()), (Some("13812345678"), Some(false)));
        // Staff who may change the record see it masked; others, not at all.
        let officer = app.token("o@wuzhong.cn").await;
        let seen: Value = app.get_as(&path, &officer).await.json().await.unwrap();
        assert_eq!(seen["mobile"], "138****5678");
        let other = app.department_of("320505").await;
        app.user("officer", "o@huqiu.cn", Some(other), None).await;
        let stranger = app.token("o@huqiu.cn").await;
        assert_problem(app.get_as(&path, &stranger).await, 404).await;
        // Blank removes it.
        let res = app.put_as(&path, &enterprise, &json!({"mobile": ""})).await;
        let gone: Value = res.json().await.unwrap();
        assert!(gone["mobile"].is_null());
        let _ = county;
    }

    async fn sms_goes_out_on_signed_for_information_requested_and_resolved_only(app) {
        let sink = HttpSink::start().await;
        let (_, _, eid) = cast(&app).await;
        let enterprise = app.token("e@wuzhong.cn").await;
        let officer = app.token("o@wuzhong.cn").await;
        app.put_as(&format!("/api/v1/enterprises/{eid}/sms-mobile"), &enterprise, &json!({"mobile": "13812345678"})).await;

        // While the deployment sends no SMS, none is queued.
        let (quiet, _) = file(&app, "电力负荷受限").await;
        act(&app, &officer, quiet, "sign_for", json!({})).await;
        assert!(rows(&app, "sms").await.is_empty());

        let d = delivery(&app, Some(&sink)).await;
        let (id, number) = file(&app, "复工复产人员返岗受阻，需协调通行证").await;
        act(&app, &officer, id, "sign_for", json!({})).await;
        act(&app, &officer, id, "request_info", json!({"question": "请补充返岗人员名单"})).await;
        act(&app, &enterprise, id, "provide_info", json!({"answer": "名单见附件"})).await;
        act(&app, &officer, id, "comment", json!({"text": "已联系交警"})).await;
        act(&app, &officer, id, "resolve", json!({"resolution": "已协调放行"})).await;
        // A refusal is not one of the three.
        let (other, _) = file(&app, "重复提交").await;
        act(&app, &officer, other, "reject", json!({"reason": "重复诉求"})).await;
        let report = deliver(&app, &d).await;
        assert_eq!(report.dead, 0, "{report:?}");

        let got = sink.of(Service::Sms);
        assert!(sink.bad().is_empty(), "{:?}", sink.bad());
        // Sent side by side: in any order.
        let mut templates: Vec<&str> = got.iter().map(|r| r.body["TemplateId"].as_str().unwrap()).collect();
        templates.sort();
        assert_eq!(templates, ["2001", "2002", "2003"], "signed for, information requested, resolved");
        for r in &got {
            assert_eq!(r.body["PhoneNumberSet"], json!(["+8613812345678"]));
            assert_eq!(r.body["TemplateParamSet"], json!([number, "复工复产人员返岗受阻，需协调通行证"]));
            assert_eq!(r.headers["x-tc-action"], "SendSms");
        }
        // What the enterprise reads, with the templates suggested in
        // config/default.toml and docs/mail.md.
        let suggested = [
            ("2001", "您的诉求{1}（{2}）已受理，办理进度请登录一站服务平台查看。"),
            ("2002", "您的诉求{1}（{2}）需要补充材料，请登录一站服务平台查看并补充。"),
            ("2003", "您的诉求{1}（{2}）已办结，请登录一站服务平台确认并评价。"),
        ];
        for r in &got {
            let (_, text) = suggested.iter().find(|(t, _)| *t == r.body["TemplateId"]).unwrap();
            let p = r.body["TemplateParamSet"].as_array().unwrap();
            let sms = format!("【{}】{}", r.body["SignName"].as_str().unwrap(),
                text.replace("{1}", p[0].as_str().unwrap()).replace("{2}", p[1].as_str().unwrap()));
            println!("SMS: {sms}");
        }
        let sms_rows = rows(&app, "sms").await;
        assert_eq!(sms_rows.len(), 3);
        assert!(sms_rows.iter().all(|m| m.status == "sent" && m.ticket_id == Some(id)));

        // Masked on the delivery page and in the admin API; in full beside
        // the ticket for the department handling it only.
        app.user("admin", "admin@yz.cn", None, None).await;
        let admin = app.token("admin@yz.cn").await;
        let listed: Value = app.get_as("/api/v1/admin/outbox?status=sent&channel=sms", &admin).await.json().await.unwrap();
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{listed}");
        assert!(items.iter().all(|m| m["to_address"] == "138****5678" && m["channel"] == "sms"), "{listed}");
        let b = Browser::new(&app);
        b.login("admin@yz.cn").await;
        let page = b.get("/admin/delivery?status=sent&channel=sms").await;
        assert!(page.html.contains("138****5678") && !page.html.contains("13812345678"), "{}", page.html);
        let handling = Browser::new(&app);
        handling.login("o@wuzhong.cn").await;
        let t = handling.get(&format!("/tickets/{id}")).await;
        assert!(t.html.contains("13812345678"), "the handling officer calls it");
        let above = Browser::new(&app);
        above.login("s@suzhou.cn").await;
        let t = above.get(&format!("/tickets/{id}")).await;
        assert_eq!(t.status, 200);
        assert!(t.html.contains("138****5678") && !t.html.contains("13812345678"), "the city's supervisor sees it masked");
    }
}

each_backend! {
    async fn the_old_delivery_address_redirects(app) {
        let res = app.get("/admin/mail?status=sent").await;
        assert_eq!(res.status(), 301);
        assert_eq!(res.headers()["location"], "/admin/delivery?status=sent");
        let res = app.client.post(app.url("/admin/mail/dead/7/resend")).send().await.unwrap();
        assert_eq!(res.status(), 308, "a form is sent on with its method");
        assert_eq!(res.headers()["location"], "/admin/delivery/dead/7/resend");
    }
}

each_backend! {
    async fn the_enterprise_keeps_its_sms_number_on_its_own_page(app) {
        cast(&app).await;
        let b = Browser::new(&app);
        b.login("e@wuzhong.cn").await;
        let p = b.get("/account/sms").await;
        assert_eq!(p.status, 200);
        assert!(p.html.contains("接收短信的手机号") && p.html.contains("本平台目前未开通短信"), "{}", p.html);
        let p = b.post("/account/sms", &[("mobile", "138123")]).await;
        assert_eq!(p.status, 422);
        assert!(p.html.contains("value=\"138123\"") && p.html.contains("11 位中国大陆手机号"), "{}", p.html);
        let p = b.post("/account/sms", &[("mobile", "139 1234 5678")]).await;
        assert_eq!((p.status, p.location.as_deref()), (303, Some("/account/sms?done=saved")));
        let p = b.get("/account/sms?done=saved").await;
        assert!(p.html.contains("value=\"13912345678\"") && p.html.contains("已保存"), "{}", p.html);
        // Staff have no such page.
        let o = Browser::new(&app);
        o.login("o@wuzhong.cn").await;
        assert_eq!(o.get("/account/sms").await.status, 404);
    }

    async fn a_registration_with_a_mobile_gets_sms_and_one_with_a_landline_does_not(app) {
        let other = crate::helpers::credit_code("91310115MA1K4D8U9");
        for (code, email, phone) in [("91310115591693856A", "wang@parts.example.cn", "+86 139-1234-5678"), (other.as_str(), "li@other.example.cn", "021-5888 0000")] {
            let res = app.post_json("/api/v1/auth/register", &json!({"credit_code": code,
                "enterprise_name": format!("{email} 的企业"), "contact_name": "王经理", "email": email, "phone": phone})).await;
            assert_eq!(res.status(), 202);
            let mail = app.mailbox().await;
            let token = crate::helpers::token_in(&mail.last().unwrap().2);
            let res = app.post_json("/api/v1/auth/activate", &json!({"token": token, "password": crate::helpers::PASSWORD})).await;
            assert_eq!(res.status(), 201);
            let user: Value = res.json().await.unwrap();
            let me = app.token(email).await;
            let n: Value = app.get_as(&format!("/api/v1/enterprises/{}/sms-mobile", user["enterprise_id"]), &me).await.json().await.unwrap();
            let expected = if phone.starts_with('+') { json!("13912345678") } else { Value::Null };
            assert_eq!(n["mobile"], expected, "{phone}");
        }
    }
}
