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
        app.thumbnails_made().await;
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

    // The service answers an upload before its thumbnail is made. Here this
    // instance makes none (as one of several whose job is off), so the page
    // says the preview is on its way; another instance's job then takes it,
    // while a third, looking at the same moment, finds nothing left to take.
    async fn a_photo_is_answered_first_and_its_thumbnail_follows(app, &[("YIZHAN__ATTACHMENTS__THUMBNAIL_POLL_SECS", "0")]) {
        let p = parties(&app).await;
        let res = crate::attachments::upload(&app, "/api/v1/attachments", &p.enterprise, &[("排队.jpg", jpeg(4))]).await;
        assert_eq!(res.status(), 201);
        let item: serde_json::Value = res.json().await.unwrap();
        let item = &item["items"][0];
        assert_eq!(item["thumbnail_pending"], true);
        assert!(item["thumbnail_url"].is_null());
        let id = crate::attachments::file_with(&app, &p.enterprise, &[item["id"].as_i64().unwrap()]).await;
        let b = Browser::new(&app);
        b.login("e@a.cn").await;
        let page = b.get(&format!("/tickets/{id}")).await;
        assert!(page.html.contains("缩略图生成中，稍后刷新即可看到"), "the page says the preview is coming");
        assert!(!page.html.contains("/thumbnail"));

        let other = yizhan::services::attachments::Attachments::new(&app.settings.attachments).await.unwrap();
        let now = app.clock.now();
        let made = yizhan::services::attachments::make_due_thumbnails(&app.db, &other, now).await.unwrap();
        assert_eq!(made, 1);
        assert_eq!(yizhan::services::attachments::make_due_thumbnails(&app.db, &other, now).await.unwrap(), 0);
        let page = b.get(&format!("/tickets/{id}")).await;
        assert!(!page.html.contains("缩略图生成中"));
        let items: serde_json::Value = app.get_as(&format!("/api/v1/tickets/{id}/attachments"), &p.enterprise).await.json().await.unwrap();
        let item = &items["items"][0];
        assert_eq!(item["thumbnail_pending"], false);
        let thumb = item["thumbnail_url"].as_str().expect("the thumbnail follows");
        assert!(page.html.contains(&thumb.replace("/api/v1/tickets", "/tickets").replace("/attachments/", "/files/")));
        let res = app.get_as(thumb, &p.enterprise).await;
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert!(res.bytes().await.unwrap().starts_with(b"\xFF\xD8"));
    }

    // Two instances' jobs never take the same image at once; one that took
    // images and died leaves them to the next after its lease.
    async fn a_due_thumbnail_is_taken_by_one_job_at_a_time(app, &[("YIZHAN__ATTACHMENTS__THUMBNAIL_POLL_SECS", "0")]) {
        use yizhan::storage::attachments::claim_thumbnails;
        let p = parties(&app).await;
        uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("a.jpg", jpeg(4)), ("b.jpg", jpeg(5))]).await;
        let now = app.clock.now().naive_utc();
        let lease = now + chrono::Duration::seconds(120);
        let claim = |at: chrono::NaiveDateTime| {
            let db = app.db.clone();
            async move {
                db.run_write(move |c| Ok(yizhan::storage::write_transaction(c, |c| claim_thumbnails(c, at, lease, 10))?))
                    .await
                    .unwrap()
            }
        };
        let (first, second) = tokio::join!(claim(now), claim(now));
        assert_eq!(first.len() + second.len(), 2, "each image is taken once");
        assert!(claim(now).await.is_empty(), "nothing is left to take while they are leased");
        // The job that took them died: after the lease, another takes them.
        let later = lease + chrono::Duration::seconds(1);
        assert_eq!(claim(later).await.len(), 2);
    }

    async fn the_sweep_deletes_orphans_once_and_keeps_what_is_attached(app) {
        let p = parties(&app).await;
        let attached = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("a.jpg", jpeg(4))]).await;
        crate::attachments::file_with(&app, &p.enterprise, &attached).await;
        uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("orphan.pdf", pdf())]).await;
        let root = std::path::PathBuf::from(&app.settings.attachments.root);
        app.thumbnails_made().await;
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
