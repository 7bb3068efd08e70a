use crate::each_backend;
use crate::helpers::assert_problem;

each_backend! {
    async fn unknown_api_routes_are_problems(app) {
        let res = app.get("/api/v1/no-such-thing").await;
        let body = assert_problem(res, 404).await;
        assert_eq!(body["title"], "未找到");
        assert_eq!(body["type"], "urn:yizhan:problem:not-found");
        assert_eq!(body["instance"], "/api/v1/no-such-thing");
        assert!(body["request_id"].as_str().is_some());
    }

    async fn titles_follow_accept_language(app) {
        let res = app
            .client
            .get(app.url("/api/v1/no-such-thing"))
            .header("Accept-Language", "en-US,en;q=0.9")
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 404).await;
        assert_eq!(body["title"], "Not found");
        assert!(body["detail"].as_str().unwrap().contains("No such endpoint"));
    }

    async fn a_wrong_method_is_a_problem(app) {
        let res = app.client.delete(app.url("/api/v1/regions")).send().await.unwrap();
        // RFC 9110: a 405 says what the resource does allow.
        assert_eq!(res.headers()["allow"], "GET");
        assert_problem(res, 405).await;
        let res = app.client.delete(app.url("/api/v1/tickets/7/actions/sign_for")).send().await.unwrap();
        assert_eq!(res.headers()["allow"], "POST");
        assert_problem(res, 405).await;
        let res = app.client.patch(app.url("/api/v1/admin/message-templates/new_ticket/zh")).send().await.unwrap();
        assert_eq!(res.headers()["allow"], "GET, PUT, DELETE");
        assert_problem(res, 405).await;
    }

    async fn a_malformed_body_is_a_problem(app) {
        let res = app
            .client
            .post(app.url("/api/v1/regions/lookup"))
            .header("content-type", "application/json")
            .body("{\"codes\": [\"310115\",")
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 400).await;
        assert_eq!(body["title"], "请求格式有误");
        assert!(body["detail"].as_str().unwrap().contains("JSON"));
    }

    async fn a_body_of_the_wrong_shape_is_a_validation_problem(app) {
        let res = app
            .client
            .post(app.url("/api/v1/regions/lookup"))
            .json(&serde_json::json!({"codes": "310115"}))
            .send()
            .await
            .unwrap();
        assert_problem(res, 422).await;
    }

    async fn a_body_that_is_not_json_is_refused(app) {
        let res = app
            .client
            .post(app.url("/api/v1/regions/lookup"))
            .header("content-type", "text/plain")
            .body("codes=310115")
            .send()
            .await
            .unwrap();
        assert_problem(res, 415).await;
    }

    async fn an_oversized_body_is_a_problem(app) {
        let codes: Vec<String> = (0..40_000).map(|i| format!("{:06}", i)).collect();
        let res = app
            .client
            .post(app.url("/api/v1/regions/lookup"))
            .json(&serde_json::json!({ "codes": codes }))
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 413).await;
        assert!(body["detail"].as_str().unwrap().contains("262144"), "{body}");
    }

    async fn every_bad_field_is_listed(app) {
        let res = app
            .client
            .post(app.url("/api/v1/regions/lookup"))
            .json(&serde_json::json!({"codes": ["310115", "31x115", "1234567"]}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(res, 422).await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["codes[1]", "codes[2]"]);
    }

    async fn pages_outside_the_api_get_a_readable_page(app) {
        let res = app.get("/no-such-page").await;
        assert_eq!(res.status(), 404);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(res.text().await.unwrap().contains("页面不存在"));
    }
}
