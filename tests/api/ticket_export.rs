//! A ticket list exported as CSV and XLSX: every ticket the caller may
//! see, across many pages, once each; formulas made harmless.

use std::collections::HashSet;

use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::each_backend;
use crate::helpers::{assert_problem, TestApp};

/// Copies of one ticket written straight in SQL: enough to need several pages.
const COPIES: usize = 1_100;

async fn copy_ticket(app: &TestApp, id: i64) {
    let sql = format!(
        "INSERT INTO tickets (number, enterprise_id, filer_id, category, urgency, title, \
         description, place_code, regions_involved, chains, whitelisted, status, \
         handling_department_id, sign_due_at, resolve_due_at, filed_at, updated_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {COPIES}) \
         SELECT 'COPY-' || n.i, enterprise_id, filer_id, category, urgency, title, \
         description, place_code, regions_involved, chains, whitelisted, status, \
         handling_department_id, sign_due_at, resolve_due_at, filed_at, updated_at \
         FROM n, tickets WHERE tickets.id = {id}"
    );
    app.db
        .run(move |conn| Ok(diesel::sql_query(sql).execute(conn)?))
        .await
        .unwrap();
}

fn csv_lines(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "a byte order mark"
    );
    csv::Reader::from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The rows of a CSV file, its header first.
fn csv_lines_with_header(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

each_backend! {
    async fn a_long_ticket_list_exports_whole_in_csv_and_xlsx(app) {
        use calamine::Reader;
        let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
        let other = app.enterprise("苏州另一家公司", "320506").await;
        app.user("enterprise", "e@wuzhong.cn", None, Some(e)).await;
        app.user("enterprise", "e@other.cn", None, Some(other)).await;
        let wuzhong = app.department_of("320506").await;
        app.user("officer", "o@wuzhong.cn", Some(wuzhong), None).await;
        let (enterprise, officer) = (app.token("e@wuzhong.cn").await, app.token("o@wuzhong.cn").await);
        let mut ids = Vec::new();
        for title in ["=cmd|' /C calc'!A0", "零部件断供"] {
            let res = app
                .post_as("/api/v1/tickets", &enterprise, &json!({"category": "logistics", "urgency": "normal", "title": title, "description": "物流受阻。"}))
                .await;
            assert_eq!(res.status(), 201);
            ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
        }
        copy_ticket(&app, ids[1]).await;
        let total = COPIES + 2;

        let res = app.get_as("/api/v1/tickets/export?format=csv&status=pending_sign", &officer).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.contains("tickets-") && disposition.ends_with(".csv\""), "{disposition}");
        let bytes = res.bytes().await.unwrap();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("工单编号,标题,类别,紧急程度,状态,企业,发生地,承办部门"), "{}", &text[..200]);
        let rows = csv_lines(&bytes);
        assert_eq!(rows.len(), total, "every ticket once, across pages");
        let numbers: HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(numbers.len(), total, "no ticket twice");
        let formula = rows.iter().find(|r| r[1].contains("cmd")).unwrap();
        assert_eq!(formula[1], "'=cmd|' /C calc'!A0", "a formula is made inert");
        let copy = rows.iter().find(|r| r[0] == "COPY-7").unwrap();
        assert_eq!(&copy[1..7], ["零部件断供", "物流运输", "一般", "待签收", "苏州某精密部件有限公司", "吴中区（320506）"]);
        assert!(copy[7].contains("吴中"), "{copy:?}");
        // Time left in the unit of the sign-for window (一般: working days), as pages say it.
        let header = csv_lines_with_header(&bytes);
        let left_col = header[0].iter().position(|h| h == "剩余时间").expect("a time-left column");
        let left = &header.iter().find(|r| r[0] == "COPY-7").unwrap()[left_col];
        assert!(left.starts_with("剩余 ") || left.starts_with("已超时 "), "{left}");
        assert!(!left.contains(" 天"), "working time is not counted in 24-hour days: {left}");

        let res = app.get_as("/api/v1/tickets/export?format=xlsx", &officer).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).expect("an XLSX file");
        let sheet = book.worksheet_range("工单").expect("the sheet");
        let cells: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(cells.len(), total + 1);
        assert_eq!(cells[0][0], "工单编号");
        let xlsx_numbers: HashSet<&str> = cells[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(xlsx_numbers, numbers, "the same tickets as the CSV");
        // A string cell: XLSX stores it as text and never evaluates it.
        assert!(cells.iter().any(|r| r[1] == "=cmd|' /C calc'!A0"));
        // Dates are date cells (issue 22, item 8), in Beijing time.
        use calamine::DataType;
        let filed_col = cells[0].iter().position(|h| h.starts_with("提交时间")).expect("a filing column");
        let row = sheet.rows().nth(1).unwrap();
        let filed = &row[filed_col];
        assert!(filed.is_datetime(), "{filed:?}");
        let csv_row = rows.iter().find(|r| r[0] == cells[1][0]).unwrap();
        let as_date = filed.as_datetime().unwrap().format("%Y-%m-%d %H:%M").to_string();
        assert_eq!(as_date, csv_row[filed_col], "the same Beijing time as the CSV says");
        let formulas = book.worksheet_formula("工单").unwrap();
        assert!(formulas.cells().all(|(_, _, f)| f.is_empty()), "no formula in the file");

        // English headers; the enterprise sees its own tickets, another none.
        let english = app
            .client
            .get(app.url("/api/v1/tickets/export?format=csv&q=%E9%9B%B6%E9%83%A8%E4%BB%B6"))
            .bearer_auth(&enterprise)
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let text = String::from_utf8(english[3..].to_vec()).unwrap();
        assert!(text.starts_with("Number,Title,Category,Urgency,Status"), "{}", &text[..100]);
        let rows = csv_lines(&english);
        assert_eq!(rows.len(), total - 1, "the search applies");
        assert_eq!(&rows[0][2..5], ["Logistics", "normal", "pending_sign"]);
        let none = app.get_as("/api/v1/tickets/export?format=csv", &app.token("e@other.cn").await).await;
        assert_eq!(csv_lines(&none.bytes().await.unwrap()).len(), 0);

        assert_problem(app.get_as("/api/v1/tickets/export?format=pdf", &officer).await, 422).await;
        assert_problem(app.get_as("/api/v1/tickets/export?format=csv&sort=size", &officer).await, 422).await;
        assert_eq!(app.get("/api/v1/tickets/export?format=csv").await.status(), 401);
    }
}
