use crate::each_backend;
use crate::helpers::assert_problem;

each_backend! {
    async fn the_tree_has_31_provinces_342_cities_2978_counties(app) {
        let provinces = app.get_json("/api/v1/regions").await;
        let provinces = provinces.as_array().unwrap();
        assert_eq!(provinces.len(), 31);
        let mut cities = 0;
        let mut counties = 0;
        for p in provinces {
            assert_eq!(p["level"], "province");
            let code = p["code"].as_str().unwrap();
            let list = app.get_json(&format!("/api/v1/regions?parent={code}")).await;
            for c in list.as_array().unwrap() {
                assert_eq!(c["level"], "city");
                cities += 1;
                let code = c["code"].as_str().unwrap();
                let list = app.get_json(&format!("/api/v1/regions?parent={code}")).await;
                counties += list.as_array().unwrap().len();
            }
        }
        assert_eq!(cities, 342);
        assert_eq!(counties, 2978);
    }

    async fn a_municipality_serves_its_districts_directly(app) {
        let shanghai = app.get_json("/api/v1/regions/310000").await;
        assert_eq!(shanghai["name"], "上海市");
        assert_eq!(shanghai["level"], "province");
        let children = shanghai["children"].as_array().unwrap();
        assert_eq!(children.len(), 1);
        assert_eq!(children[0]["name"], "市辖区");
        assert_eq!(children[0]["nominal"], true);
        let municipal = shanghai["department_id"].as_i64().unwrap();
        assert_eq!(children[0]["department_id"], municipal);

        let pudong = app.get_json("/api/v1/regions/310115").await;
        assert_eq!(pudong["name"], "浦东新区");
        let ancestors: Vec<&str> = pudong["ancestors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap())
            .collect();
        assert_eq!(ancestors, ["310000", "310100"]);

        let dept = app
            .get_json(&format!("/api/v1/departments/{}", pudong["department_id"]))
            .await;
        assert_eq!(dept["kind"], "county");
        assert_eq!(dept["name"], "上海市浦东新区工业和信息化局");
        assert_eq!(dept["parent_id"], municipal);
        let ancestry: Vec<&str> = dept["ancestors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap())
            .collect();
        assert_eq!(ancestry, ["ministry", "province"]);

        let municipal_dept = app.get_json(&format!("/api/v1/departments/{municipal}")).await;
        assert_eq!(municipal_dept["region"]["code"], "310000");
        assert_eq!(municipal_dept["children"].as_array().unwrap().len(), 16);
    }

    async fn a_prefecture_without_counties_answers_as_the_city(app) {
        let dongguan = app.get_json("/api/v1/regions/441900").await;
        assert_eq!(dongguan["level"], "city");
        let children = dongguan["children"].as_array().unwrap();
        assert_eq!(children.len(), 1);
        assert_eq!(children[0]["level"], "county");
        assert_eq!(children[0]["department_id"], dongguan["department_id"]);
    }

    async fn the_ministry_is_the_root_with_its_chain_platforms(app) {
        let ministry = app.get_json("/api/v1/departments/1").await;
        assert_eq!(ministry["kind"], "ministry");
        assert_eq!(ministry["name"], "工业和信息化部");
        assert!(ministry["parent_id"].is_null());
        let kinds: Vec<&str> = ministry["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.iter().filter(|k| **k == "chain_platform").count(), 8);
        assert_eq!(kinds.iter().filter(|k| **k == "province").count(), 31);

        let auto = ministry["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "汽车产业链供应链协调平台")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let platform = app.get_json(&format!("/api/v1/departments/{auto}")).await;
        assert_eq!(platform["chain"]["code"], "automotive");
        assert_eq!(platform["chain"]["name_zh"], "汽车");

        let chains = app.get_json("/api/v1/chains").await;
        assert_eq!(chains.as_array().unwrap().len(), 8);
    }

    async fn unknown_and_malformed_codes_are_problems(app) {
        let missing = assert_problem(app.get("/api/v1/regions/999999").await, 404).await;
        assert!(missing["detail"].as_str().unwrap().contains("999999"));
        assert_problem(app.get("/api/v1/regions?parent=999999").await, 404).await;
        let bad = assert_problem(app.get("/api/v1/regions/31011x").await, 422).await;
        assert_eq!(bad["errors"][0]["field"], "code");
        assert_problem(app.get("/api/v1/departments/999999").await, 404).await;
        assert_problem(app.get("/api/v1/departments/abc").await, 404).await;
    }

    async fn many_codes_resolve_in_one_request(app) {
        let res = app
            .client
            .post(app.url("/api/v1/regions/lookup"))
            .json(&serde_json::json!({"codes": ["310115", "441900", "999999", "31"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        let found: Vec<(&str, &str)> = body["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["code"].as_str().unwrap(), r["level"].as_str().unwrap()))
            .collect();
        assert_eq!(
            found,
            [("310000", "province"), ("310115", "county"), ("441900", "city"), ("441900", "county")]
        );
        assert_eq!(body["unknown"], serde_json::json!(["999999"]));
    }
}
