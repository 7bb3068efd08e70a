use serde_json::Value;

use crate::each_backend;
use crate::helpers::{assert_problem, credit_code, TestApp, TestBackend};

const HEADER: &str =
    "统一社会信用代码,企业名称,所在区县代码,地址,产业链,规模,联系人,联系电话,联系邮箱";

fn row(i: usize, county: &str) -> String {
    let code = credit_code(&format!("91{county}{i:09}"));
    format!(
        "{code},测试企业{i}号,{county},地址{i},汽车,小,联系人{i},021-5555{i:04},c{i}@example.cn"
    )
}

fn csv(rows: &[String]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.into_bytes()
}

async fn admin(app: &TestApp) -> String {
    app.user("admin", "admin@yizhan.cn", None, None).await;
    app.token("admin@yizhan.cn").await
}

async fn count(app: &TestApp) -> i64 {
    app.db
        .run(|conn| Ok(yizhan::storage::enterprises::Enterprise::count(conn)?))
        .await
        .unwrap()
}

each_backend! {
    async fn a_dry_run_reports_every_bad_row_and_writes_nothing(app) {
        let token = admin(&app).await;
        let mut rows: Vec<String> = (1..=5).map(|i| row(i, "310115")).collect();
        rows[1] = rows[1].replace(",310115,", ",310100,"); // not a county (row 3)
        rows.push(rows[0].clone()); // a repeated code (row 7)
        rows.push("91310115591693856B,坏校验位,310115,,,,,,".into()); // row 8
        rows.push("91310115591693856A,未知产业链,310115,,钢铁,,,,".into()); // row 9
        let res = app.upload_as("/api/v1/admin/imports/enterprises?dry_run=true", &token, csv(&rows)).await;
        assert_eq!(res.status(), 200);
        let report: Value = res.json().await.unwrap();
        assert_eq!(report["dry_run"], true);
        assert_eq!(report["applied"], false);
        assert_eq!(report["rows"], 8);
        let errors: Vec<(u64, &str)> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap()))
            .collect();
        assert_eq!(errors, [(3, "county_code"), (7, "credit_code"), (8, "credit_code"), (9, "chains")]);
        assert!(report["errors"][2]["message"].as_str().unwrap().contains("校验位"));
        assert_eq!(count(&app).await, 0);

        // The real run of the same file imports nothing either.
        let res = app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&rows)).await;
        let body = assert_problem(res, 422).await;
        assert_eq!(body["errors"][0]["field"], "rows[3].county_code");
        assert_eq!(count(&app).await, 0);
    }

    async fn importing_twice_changes_nothing(app) {
        let token = admin(&app).await;
        let rows: Vec<String> = (1..=30).map(|i| row(i, "310115")).collect();
        let first: Value = app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&rows)).await.json().await.unwrap();
        assert_eq!((first["applied"].as_bool(), first["inserted"].as_u64()), (Some(true), Some(30)));
        let page: Value = app.get_as("/api/v1/enterprises?limit=200", &token).await.json().await.unwrap();
        let stamps: Vec<Value> = page["items"].as_array().unwrap().iter().map(|e| e["updated_at"].clone()).collect();
        assert_eq!(page["items"][0]["chains"], serde_json::json!(["automotive"]));

        let again: Value = app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&rows)).await.json().await.unwrap();
        assert_eq!((again["inserted"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(0), Some(30)));
        let page: Value = app.get_as("/api/v1/enterprises?limit=200", &token).await.json().await.unwrap();
        let after: Vec<Value> = page["items"].as_array().unwrap().iter().map(|e| e["updated_at"].clone()).collect();
        assert_eq!(stamps, after, "nothing was touched");

        // One changed row is an update.
        let mut changed = rows.clone();
        changed[4] = changed[4].replace("测试企业5号", "测试企业五号");
        let third: Value = app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&changed)).await.json().await.unwrap();
        assert_eq!((third["updated"].as_u64(), third["unchanged"].as_u64()), (Some(1), Some(29)));
        assert_eq!(count(&app).await, 30);
    }

    async fn xlsx_and_gbk_files_import_too(app) {
        let token = admin(&app).await;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in HEADER.split(',').enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        for i in 1..=3u32 {
            for (c, v) in row(i as usize, "320102").split(',').enumerate() {
                sheet.write_string(i, c as u16, v).unwrap();
            }
        }
        let bytes = book.save_to_buffer().unwrap();
        let report: Value = app.upload_as("/api/v1/admin/imports/enterprises", &token, bytes).await.json().await.unwrap();
        assert_eq!(report["inserted"], 3, "{report}");

        let text = format!("{HEADER}\n{}", row(9, "310115"));
        let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
        let report: Value = app.upload_as("/api/v1/admin/imports/enterprises", &token, gbk.into_owned()).await.json().await.unwrap();
        assert_eq!(report["inserted"], 1, "{report}");
        let found: Value = app.get_as("/api/v1/enterprises?q=测试企业9号", &token).await.json().await.unwrap();
        assert_eq!(found["items"].as_array().unwrap().len(), 1);

        let bad = app.upload_as("/api/v1/admin/imports/enterprises", &token, b"name\nx".to_vec()).await;
        let body = assert_problem(bad, 422).await;
        assert!(body["detail"].as_str().unwrap().contains("统一社会信用代码"), "{body}");
        assert_problem(app.upload_as("/api/v1/admin/imports/nothing", &token, b"a".to_vec()).await, 404).await;
    }

    async fn white_list_rows_name_registered_enterprises(app) {
        let token = admin(&app).await;
        let rows: Vec<String> = (1..=3).map(|i| row(i, "310115")).collect();
        app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&rows)).await;
        let code = |i: usize| credit_code(&format!("91310115{i:09}"));
        let file = format!(
            "credit_code,scope,batch,listed_on,chain,note\n{},national,1,2022-04-18,汽车,\n{},310000,1,2022/4/20,,上海第一批\n{},national,2,2022-05-06,automotive,\n",
            code(1), code(2), credit_code("91310115999999999")
        );
        let dry: Value = app.upload_as("/api/v1/admin/imports/whitelist?dry_run=true", &token, file.clone().into_bytes()).await.json().await.unwrap();
        assert_eq!(dry["errors"][0]["row"], 4);
        assert_eq!(dry["errors"][0]["column"], "credit_code");
        let file: String = file.lines().take(3).map(|l| format!("{l}\n")).collect();
        let done: Value = app.upload_as("/api/v1/admin/imports/whitelist", &token, file.clone().into_bytes()).await.json().await.unwrap();
        assert_eq!(done["inserted"], 2, "{done}");
        let again: Value = app.upload_as("/api/v1/admin/imports/whitelist", &token, file.into_bytes()).await.json().await.unwrap();
        assert_eq!(again["unchanged"], 2);
        let check: Value = app.get_json(&format!("/api/v1/whitelist/check?code={}", code(2))).await;
        assert_eq!(check["listings"][0]["scope"], "310000");
        assert_eq!(check["listings"][0]["listed_on"], "2022-04-20");
    }

    async fn an_import_that_fails_midway_leaves_nothing(app) {
        let token = admin(&app).await;
        let rows: Vec<String> = (1..=2000).map(|i| row(i, "310115")).collect();
        let poison = credit_code("91310115000001500");
        // The database refuses row 1,500: as if it failed in the middle.
        let ddl = match app.backend {
            TestBackend::Sqlite => format!(
                "CREATE TRIGGER fail_midway BEFORE INSERT ON enterprises WHEN NEW.credit_code = '{poison}' \
                 BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;"
            ),
            TestBackend::Postgres => format!(
                "CREATE FUNCTION fail_midway() RETURNS trigger AS $$ BEGIN \
                 IF NEW.credit_code = '{poison}' THEN RAISE EXCEPTION 'simulated failure'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER fail_midway BEFORE INSERT ON enterprises FOR EACH ROW EXECUTE FUNCTION fail_midway();"
            ),
        };
        app.db
            .run(move |conn| {
                use diesel::connection::SimpleConnection;
                conn.batch_execute(&ddl)?;
                Ok(())
            })
            .await
            .unwrap();
        let res = app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&rows)).await;
        assert_problem(res, 500).await;
        assert_eq!(count(&app).await, 0, "all or nothing");
    }

    async fn renaming_a_white_listed_enterprise_needs_to_be_asked_for(app) {
        let token = admin(&app).await;
        let rows: Vec<String> = (1..=3).map(|i| row(i, "310115")).collect();
        assert_eq!(app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&rows)).await.status(), 200);
        // The second one is white-listed.
        let ministry = app.get_json("/api/v1/departments/1").await["id"].as_i64().unwrap();
        app.user("officer", "o@miit.cn", Some(ministry), None).await;
        let miit = app.token("o@miit.cn").await;
        let code = credit_code(&format!("91310115{:09}", 2));
        let listed_id = app.db.run({ let code = code.clone(); move |conn| Ok(yizhan::storage::enterprises::Enterprise::by_codes(conn, std::slice::from_ref(&code))?[&code].id) }).await.unwrap();
        let listing = serde_json::json!({"scope": "national", "batch": 1, "listed_on": "2022-04-18", "chain": "automotive"});
        assert_eq!(app.post_as(&format!("/api/v1/enterprises/{listed_id}/whitelist"), &miit, &listing).await.status(), 201);

        // A file that renames both: the listed one is shown and refused.
        let mut renamed = rows.clone();
        renamed[0] = renamed[0].replace("测试企业1号", "测试企业一号");
        renamed[1] = renamed[1].replace("测试企业2号", "别的公司");
        let dry: Value = app.upload_as("/api/v1/admin/imports/enterprises?dry_run=true", &token, csv(&renamed)).await.json().await.unwrap();
        assert_eq!(dry["renames"], serde_json::json!([{"row": 3, "credit_code": code, "from": "测试企业2号", "to": "别的公司"}]), "{dry}");
        assert_eq!(dry["errors"][0]["row"], 3);
        assert_eq!(dry["errors"][0]["column"], "name");
        assert!(dry["errors"][0]["message"].as_str().unwrap().contains("测试企业2号"), "{dry}");
        let refused = app.upload_as("/api/v1/admin/imports/enterprises", &token, csv(&renamed)).await;
        assert_problem(refused, 422).await;
        let name = |app: &TestApp, code: String| { let db = app.db.clone(); async move { db.run(move |conn| Ok(yizhan::storage::enterprises::Enterprise::by_codes(conn, std::slice::from_ref(&code))?[&code].name.clone())).await.unwrap() } };
        assert_eq!(name(&app, code.clone()).await, "测试企业2号", "nothing written");
        // Asked for explicitly: applied, and said.
        let done: Value = app.upload_as("/api/v1/admin/imports/enterprises?allow_renames=true", &token, csv(&renamed)).await.json().await.unwrap();
        assert_eq!(done["applied"], true, "{done}");
        assert_eq!(done["renames"].as_array().unwrap().len(), 1);
        assert_eq!(name(&app, code).await, "别的公司");
    }
}
