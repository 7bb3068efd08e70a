//! Attachments on the pages and the sweep (issue 25): the filing form and
//! the ticket page's forms take files (multipart, from a phone's camera
//! too: `accept="image/*"`), say the limits and that photos lose their
//! location; a refused file shows the form again as typed, the files
//! already stored kept. The sweep forgets uploads no step took and deletes
//! their objects once, however many instances sweep at once.

use crate::attachments::{jpeg, parties, pdf, uploaded, walk};
use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::TestApp;

/// Posts a multipart form as the browser would, files under `file`.
async fn post_files(
    b: &Browser,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, Vec<u8>)],
) -> (u16, Option<String>, String) {
    let csrf = b.csrf().await;
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in files {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    let res = b
        .client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, res.text().await.unwrap())
}

const FILING: [(&str, &str); 4] = [
    ("category", "logistics"),
    ("urgency", "urgent"),
    ("title", "零部件运输车辆滞留"),
    ("description", "两辆运输车在省界检查站滞留，附现场照片。"),
];

each_backend! {
    async fn the_forms_take_files_and_keep_what_was_typed(app) {
        let p = parties(&app).await;
        let b = Browser::new(&app);
        b.login("e@a.cn").await;
        let form = b.get("/tickets/new").await;
        assert!(form.html.contains(r#"enctype="multipart/form-data""#));
        assert!(form.html.contains(r#"type="file" name="file" multiple accept="image/*"#));
        assert!(form.html.contains("20MB") && form.html.contains("拍摄地点"), "the limits and the location said");
        // A refused file: the form again, as typed, and why.
        let svg = b"<svg onload='alert(1)'></svg>".to_vec();
        let photo = jpeg(2);
        let (status, _, html) = post_files(&b, &app, "/tickets/new", &FILING,
            &[("现场.jpg", photo.clone()), ("x.svg", svg)]).await;
        assert_eq!(status, 415, "{html}");
        assert!(html.contains("零部件运输车辆滞留") && html.contains("两辆运输车在省界检查站滞留"));
        assert!(html.contains("image/svg+xml"));
        // The photo stored before the refused file is kept for the next try.
        let kept = html.split(r#"name="attachment_ids" value=""#).nth(1)
            .and_then(|r| r.split('"').next()).expect("kept uploads").to_string();
        assert!(!kept.is_empty());
        let key = html.split(r#"name="key" value=""#).nth(1).unwrap().split('"').next().unwrap().to_string();
        let mut fields: Vec<(&str, &str)> = FILING.to_vec();
        fields.push(("attachment_ids", &kept));
        fields.push(("key", &key));
        let (status, location, html) = post_files(&b, &app, "/tickets/new", &fields,
            &[("通行证.pdf", pdf())]).await;
        assert_eq!(status, 303, "{html}");
        let ticket = location.unwrap();
        let page = b.get(&ticket).await;
        assert!(page.html.contains("现场.jpg") && page.html.contains("通行证.pdf"));
        assert!(page.html.contains("/thumbnail"));
        let id: i64 = ticket.trim_start_matches("/tickets/").split('?').next().unwrap().parse().unwrap();

        // The officer resolves with a file from the ticket page.
        crate::helpers::act(&app, &p.officer, id, "sign_for", serde_json::json!({})).await;
        let o = Browser::new(&app);
        o.login("o@wuzhong.cn").await;
        let page = o.get(&format!("/tickets/{id}")).await;
        assert!(page.html.contains(&format!(r#"action="/tickets/{id}/act/resolve" enctype="multipart/form-data""#)));
        let version = page.hidden("version").unwrap();
        let (status, _, html) = post_files(&o, &app, &format!("/tickets/{id}/act/resolve"),
            &[("version", &version), ("resolution", "已协调放行，附协调单。")],
            &[("协调单.pdf", pdf())]).await;
        assert_eq!(status, 303, "{html}");
        let page = b.get(&format!("/tickets/{id}")).await;
        assert!(page.html.contains("协调单.pdf"), "the enterprise sees the resolution's file");
        // A url-encoded form (no file field filled, no JavaScript) still works.
        let page = o.get(&format!("/tickets/{id}")).await;
        assert!(page.status == 200);
    }

    async fn the_sweep_deletes_orphans_once_and_keeps_what_is_attached(app) {
        let p = parties(&app).await;
        let attached = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("a.jpg", jpeg(4))]).await;
        crate::attachments::file_with(&app, &p.enterprise, &attached).await;
        uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("orphan.pdf", pdf())]).await;
        let root = std::path::PathBuf::from(&app.settings.attachments.root);
        // The photo, its thumbnail, and the orphan.
        assert_eq!(walk(&root).len(), 3);
        let attachments = yizhan::services::attachments::Attachments::new(&app.settings.attachments)
            .await
            .unwrap();
        // Within the day, nothing goes.
        let r = yizhan::services::attachments::sweep(&app.db, &attachments, app.clock.now()).await.unwrap();
        assert_eq!((r.pending_forgotten, r.objects_deleted), (0, 0));
        app.clock.advance(chrono::Duration::hours(25));
        // Two instances sweeping at once: the orphan is deleted once.
        let now = app.clock.now();
        let (a, b) = tokio::join!(
            yizhan::services::attachments::sweep(&app.db, &attachments, now),
            yizhan::services::attachments::sweep(&app.db, &attachments, now),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.pending_forgotten + b.pending_forgotten, 1);
        assert_eq!(a.objects_deleted + b.objects_deleted, 1);
        let left = walk(&root);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.iter().all(|p| !p.to_string_lossy().contains("orphan")));
        // What is attached still downloads.
        let items: serde_json::Value = app.get_as("/api/v1/tickets/1/attachments", &p.enterprise).await.json().await.unwrap();
        let url = items["items"][0]["download_url"].as_str().unwrap();
        assert_eq!(app.get_as(url, &p.enterprise).await.status(), 200);
        // Every row's object is there.
        let rows = app.db.run(|c| Ok(yizhan::storage::attachments::Attachment::keys_in_use(c)?)).await.unwrap();
        for key in rows {
            assert!(root.join(&key).is_file(), "{key}");
        }
    }
}
