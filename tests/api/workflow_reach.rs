//! Issue 21, the rest: who handles a ticket by name and phone, late
//! ratings of auto-closed tickets, configurable categories and chains.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::{assert_problem, TestApp};

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> Value {
    let res = app
        .post_as(
            &format!("/api/v1/tickets/{id}/actions/{action}"),
            token,
            &body,
        )
        .await;
    assert_eq!(res.status(), 200, "{action}: {}", res.text().await.unwrap());
    res.json().await.unwrap()
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
}
