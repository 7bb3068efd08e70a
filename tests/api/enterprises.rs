use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, credit_code, TestApp};

/// A Pudong officer, a Huangpu officer, a Shanghai lead, a Shanghai
/// supervisor, a ministry officer, a Jiangsu lead, a Xuanwu officer and an
/// administrator, each logged in.
struct Staff {
    pudong: String,
    huangpu: String,
    shanghai_lead: String,
    shanghai_supervisor: String,
    ministry: String,
    jiangsu_lead: String,
    xuanwu: String,
    admin: String,
}

async fn staff(app: &TestApp) -> Staff {
    let d = |r: &'static str| async move { app.department_of(r).await };
    app.user("officer", "o@pudong.cn", Some(d("310115").await), None)
        .await;
    app.user("officer", "o@huangpu.cn", Some(d("310101").await), None)
        .await;
    app.user("lead", "lead@shanghai.cn", Some(d("310000").await), None)
        .await;
    app.user(
        "supervisor",
        "sup@shanghai.cn",
        Some(d("310000").await),
        None,
    )
    .await;
    app.user("officer", "o@miit.cn", Some(1), None).await;
    app.user("lead", "lead@jiangsu.cn", Some(d("320000").await), None)
        .await;
    app.user("officer", "o@xuanwu.cn", Some(d("320102").await), None)
        .await;
    app.user("admin", "admin@yizhan.cn", None, None).await;
    Staff {
        pudong: app.token("o@pudong.cn").await,
        huangpu: app.token("o@huangpu.cn").await,
        shanghai_lead: app.token("lead@shanghai.cn").await,
        shanghai_supervisor: app.token("sup@shanghai.cn").await,
        ministry: app.token("o@miit.cn").await,
        jiangsu_lead: app.token("lead@jiangsu.cn").await,
        xuanwu: app.token("o@xuanwu.cn").await,
        admin: app.token("admin@yizhan.cn").await,
    }
}

fn enterprise_body(code: &str, name: &str, county: &str) -> Value {
    json!({
        "credit_code": code, "name": name, "county_code": county,
        "address": "上海市浦东新区张江路 1 号", "chains": ["automotive"], "size": "中",
        "contact_name": "张三", "contact_phone": "021-5555 0101", "contact_email": "zhang@example.cn"
    })
}

async fn items(res: reqwest::Response) -> Vec<Value> {
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

each_backend! {
    async fn credit_codes_are_checked_on_every_path(app) {
        let s = staff(&app).await;
        let cases = [
            ("9131011559169385", "18 位"),
            ("91310115591693856O", "第 18 位"),
            ("9131011559169385IA", "第 17 位"),
            ("91310115591693856B", "校验位应为“A”"),
        ];
        for (code, says) in cases {
            let res = app.post_as("/api/v1/enterprises", &s.pudong, &enterprise_body(code, "某公司", "310115")).await;
            let body = assert_problem(res, 422).await;
            assert_eq!(body["errors"][0]["field"], "credit_code", "{code}");
            assert!(body["errors"][0]["message"].as_str().unwrap().contains(says), "{code}: {body}");
        }
        // Lower case is normalised.
        let res = app
            .post_as("/api/v1/enterprises", &s.pudong, &enterprise_body("91310115591693856a", "上海某汽车零部件有限公司", "310115"))
            .await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        assert_eq!(created["credit_code"], "91310115591693856A");
        assert_eq!(created["chains"], json!(["automotive"]));
        assert_eq!(created["size"], "medium");
        // Registered twice: a conflict.
        let again = app
            .post_as("/api/v1/enterprises", &s.pudong, &enterprise_body("91310115591693856A", "另一家", "310115"))
            .await;
        assert_problem(again, 409).await;
        // Only an administrator waives a wrong check character, and it is stored.
        let mut waived = enterprise_body("91310115591693856B", "试点期企业", "310115");
        waived["accept_bad_checksum"] = json!(true);
        assert_problem(app.post_as("/api/v1/enterprises", &s.pudong, &waived).await, 422).await;
        let res = app.post_as("/api/v1/enterprises", &s.admin, &waived).await;
        assert_eq!(res.status(), 201);
        let pilot: Value = res.json().await.unwrap();
        assert_eq!(pilot["checksum_waived"], true);
        // Listed, its accepted code passes the public check at a checkpoint
        // (issue 22, item 9); the same wrong check character on a code
        // nobody accepted is still refused.
        let listing = json!({"scope": "national", "batch": 1, "listed_on": "2022-04-18", "chain": "automotive"});
        let res = app.post_as(&format!("/api/v1/enterprises/{}/whitelist", pilot["id"]), &s.ministry, &listing).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let checked = app.get("/api/v1/whitelist/check?code=91310115591693856b").await;
        assert_eq!(checked.status(), 200);
        assert_eq!(checked.json::<Value>().await.unwrap()["listed"], true);
        assert_problem(app.get("/api/v1/whitelist/check?code=91310115591693857B").await, 422).await;
        // The public check refuses a malformed code too.
        assert_problem(app.get("/api/v1/whitelist/check?code=ABC").await, 422).await;
    }

    async fn enterprises_are_scoped_by_jurisdiction(app) {
        let s = staff(&app).await;
        let code_a = credit_code("91310115000000001");
        let code_b = credit_code("91310101000000002");
        let a: Value = app.post_as("/api/v1/enterprises", &s.pudong, &enterprise_body(&code_a, "浦东甲公司", "310115")).await.json().await.unwrap();
        // Pudong may not register in Huangpu.
        let refused = app.post_as("/api/v1/enterprises", &s.pudong, &enterprise_body(&code_b, "黄浦乙公司", "310101")).await;
        assert_eq!(assert_problem(refused, 422).await["errors"][0]["field"], "county_code");
        let b: Value = app.post_as("/api/v1/enterprises", &s.huangpu, &enterprise_body(&code_b, "黄浦乙公司", "310101")).await.json().await.unwrap();
        let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());

        let names = |list: Vec<Value>| list.iter().map(|e| e["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(names(items(app.get_as("/api/v1/enterprises", &s.pudong).await).await), ["浦东甲公司"]);
        assert_eq!(names(items(app.get_as("/api/v1/enterprises", &s.shanghai_supervisor).await).await), ["浦东甲公司", "黄浦乙公司"]);
        assert_eq!(names(items(app.get_as("/api/v1/enterprises?region=310101", &s.shanghai_supervisor).await).await), ["黄浦乙公司"]);
        // Asking for another region never widens the view.
        assert!(items(app.get_as("/api/v1/enterprises?region=310101", &s.pudong).await).await.is_empty());
        assert!(items(app.get_as("/api/v1/enterprises", &s.xuanwu).await).await.is_empty());
        assert_eq!(items(app.get_as("/api/v1/enterprises?q=甲", &s.ministry).await).await.len(), 1);
        assert_eq!(items(app.get_as(&format!("/api/v1/enterprises?code={}", code_b.to_lowercase()), &s.admin).await).await.len(), 1);
        assert_eq!(app.get_as(&format!("/api/v1/enterprises/{b_id}"), &s.pudong).await.status(), 404);
        assert_eq!(app.get_as(&format!("/api/v1/enterprises/{a_id}"), &s.pudong).await.status(), 200);

        // The enterprise's own user sees itself only, and changes only contacts.
        app.user("enterprise", "staff@jia.cn", None, Some(a_id)).await;
        let own = app.token("staff@jia.cn").await;
        assert_eq!(names(items(app.get_as("/api/v1/enterprises", &own).await).await), ["浦东甲公司"]);
        assert_eq!(app.get_as(&format!("/api/v1/enterprises/{b_id}"), &own).await.status(), 404);
        let changed = app
            .put_as(
                &format!("/api/v1/enterprises/{a_id}"),
                &own,
                &json!({"name": "改名企图", "county_code": "310101", "contact_name": "李四", "contact_phone": "13800000000", "contact_email": "li@jia.cn"}),
            )
            .await;
        assert_eq!(changed.status(), 200);
        let changed: Value = changed.json().await.unwrap();
        assert_eq!(changed["name"], "浦东甲公司");
        assert_eq!(changed["county_code"], "310115");
        assert_eq!(changed["contact_name"], "李四");
        let own_id = changed["updated_by"].as_i64().unwrap();
        assert_ne!(Some(own_id), changed["created_by"].as_i64(), "registered by Pudong, changed by the enterprise");
        assert_eq!(changed["chains"], json!(["automotive"]));
        // Staff of another district cannot change it: it does not exist for them.
        let res = app.put_as(&format!("/api/v1/enterprises/{a_id}"), &s.huangpu, &enterprise_body(&code_a, "x", "310115")).await;
        assert_problem(res, 404).await;
        // The district can, within its jurisdiction.
        let mut body = enterprise_body(&code_a, "浦东甲汽车有限公司", "310115");
        body["chains"] = json!(["汽车", "integrated_circuits"]);
        let res = app.put_as(&format!("/api/v1/enterprises/{a_id}"), &s.pudong, &body).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap()["chains"], json!(["automotive", "integrated_circuits"]));
    }

    async fn every_region_recognises_every_listing(app) {
        let s = staff(&app).await;
        let code = credit_code("91310115000000003");
        let e: Value = app.post_as("/api/v1/enterprises", &s.pudong, &enterprise_body(&code, "浦东丙公司", "310115")).await.json().await.unwrap();
        let id = e["id"].as_i64().unwrap();
        let listing = |scope: &str, batch: i32| json!({"scope": scope, "batch": batch, "listed_on": "2022-04-18", "chain": "automotive"});

        // Who keeps which list.
        assert_problem(app.post_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.shanghai_lead, &listing("national", 1)).await, 422).await;
        assert_problem(app.post_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.jiangsu_lead, &listing("310000", 1)).await, 404).await;
        assert_problem(app.post_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.shanghai_supervisor, &listing("310000", 1)).await, 422).await;
        let national = app.post_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.ministry, &listing("national", 1)).await;
        assert_eq!(national.status(), 201);
        let national: Value = national.json().await.unwrap();
        assert_eq!(national["issuing_department_id"], 1);
        let provincial = app.post_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.shanghai_lead, &listing("31", 1)).await;
        assert_eq!(provincial.status(), 201);
        assert_eq!(provincial.json::<Value>().await.unwrap()["scope"], "310000");
        // The same batch twice is refused.
        assert_problem(app.post_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.ministry, &listing("national", 1)).await, 422).await;

        // A Nanjing district cannot read the enterprise, but reads its listings.
        assert_eq!(app.get_as(&format!("/api/v1/enterprises/{id}"), &s.xuanwu).await.status(), 404);
        let seen: Value = app.get_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.xuanwu).await.json().await.unwrap();
        assert_eq!(seen.as_array().unwrap().len(), 2);
        assert!(items(app.get_as("/api/v1/enterprises?listed=true", &s.pudong).await).await.len() == 1);

        // The public check: listed, where, which batch and chain; nothing else.
        let check: Value = app.get_json(&format!("/api/v1/whitelist/check?code={}", code.to_lowercase())).await;
        assert_eq!(check["listed"], true);
        let keys: Vec<&String> = check.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["code", "listed", "listings"]);
        for l in check["listings"].as_array().unwrap() {
            let mut k: Vec<&String> = l.as_object().unwrap().keys().collect();
            k.sort();
            assert_eq!(k, ["batch", "chain", "listed_on", "scope"]);
        }
        let text = check.to_string();
        for secret in ["张三", "zhang@example.cn", "5555", "浦东丙公司"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }

        // Removal keeps history; the check then says not listed.
        let entry = national["id"].as_i64().unwrap();
        let removed = app.post_as(&format!("/api/v1/whitelist/{entry}/remove"), &s.ministry, &json!({"removed_on": "2022-12-31"})).await;
        assert_eq!(removed.status(), 200);
        let prov_entry = seen.as_array().unwrap().iter().find(|l| l["scope"] == "310000").unwrap()["id"].as_i64().unwrap();
        assert_problem(app.post_as(&format!("/api/v1/whitelist/{prov_entry}/remove"), &s.ministry, &json!({})).await, 404).await;
        app.post_as(&format!("/api/v1/whitelist/{prov_entry}/remove"), &s.shanghai_lead, &json!({})).await;
        let after: Value = app.get_json(&format!("/api/v1/whitelist/check?code={code}")).await;
        assert_eq!(after["listed"], false);
        let history: Value = app.get_as(&format!("/api/v1/enterprises/{id}/whitelist"), &s.pudong).await.json().await.unwrap();
        assert_eq!(history.as_array().unwrap().len(), 2);
        assert!(history.as_array().unwrap().iter().all(|l| !l["removed_on"].is_null()));
        assert!(items(app.get_as("/api/v1/enterprises?listed=false", &s.pudong).await).await.len() == 1);
    }

    async fn the_public_check_is_rate_limited(app, &[("YIZHAN__SERVER__PUBLIC_CHECK_PER_MINUTE", "3")]) {
        let code = credit_code("91310115000000004");
        for _ in 0..3 {
            assert_eq!(app.get(&format!("/api/v1/whitelist/check?code={code}")).await.status(), 200);
        }
        let res = app.get(&format!("/api/v1/whitelist/check?code={code}")).await;
        assert!(res.headers().contains_key("retry-after"));
        assert_problem(res, 429).await;
    }
}
