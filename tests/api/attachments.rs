//! Attachments (issue 25): files attached at filing, with information and
//! with the resolution show on the enterprise's and the officer's ticket
//! pages and download byte for byte; who may read them; the limits. The
//! file makers here serve the other `attachments_*` tests too.

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::each_backend;
use crate::helpers::TestApp;

/// A small real JPEG (a gradient), without metadata.
pub fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8 ^ seed, (y * 5) as u8, seed.wrapping_mul(7)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .unwrap();
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A small real PNG.
pub fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// The JPEG with an EXIF segment naming where it was taken.
pub fn jpeg_with_gps() -> Vec<u8> {
    let plain = jpeg(3);
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 31.2304N GPSLongitude 121.4737E".to_vec();
    let len = (exif.len() + 2) as u16;
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&len.to_be_bytes());
    segment.append(&mut exif);
    let mut out = plain[..2].to_vec();
    out.extend(segment);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A landscape-coded JPEG (64x48) that a phone held upright took: its
/// EXIF says to turn it 90° (orientation 6) and where it was taken.
pub fn upright_jpeg_with_gps() -> Vec<u8> {
    let place = b"GPSLatitude 31.2304N\0";
    let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    // ImageDescription (ASCII) at offset 38, then Orientation (SHORT) = 6.
    for v in [0x010Eu16, 2] {
        tiff.extend_from_slice(&v.to_be_bytes());
    }
    tiff.extend_from_slice(&(place.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&38u32.to_be_bytes());
    for v in [0x0112u16, 3] {
        tiff.extend_from_slice(&v.to_be_bytes());
    }
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&[0, 6, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(place);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(tiff);
    let plain = jpeg(5);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend(exif);
    out.extend_from_slice(&plain[2..]);
    out
}

/// The orientation an image viewer reads from a JPEG's EXIF.
fn orientation(jpeg: &[u8]) -> image::metadata::Orientation {
    use image::ImageDecoder;
    let mut d = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(jpeg)).unwrap();
    d.orientation().unwrap()
}

pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A zip by hand: each entry (name, bytes, declared inflated size, deflated
/// or stored as declared). The bytes are never inflated by the server, so
/// a "deflated" entry may declare any size: that is what a bomb does.
pub fn zip(entries: &[(&str, &[u8], u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, declared) in entries {
        let offset = out.len() as u32;
        let method: u16 = if *declared as usize == data.len() {
            0
        } else {
            8
        };
        let head = |sig: u32, central: bool| {
            let mut h = sig.to_le_bytes().to_vec();
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&[0, 0, 0x21, 0]);
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(*declared as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h
        };
        out.extend(head(0x04034b50, false));
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        let mut c = head(0x02014b50, true);
        c.extend_from_slice(&[0; 8]);
        c.extend_from_slice(&0u32.to_le_bytes()[..2]);
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        central.push(c);
    }
    let cd_at = out.len() as u32;
    let cd: Vec<u8> = central.concat();
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x06054b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

pub fn docx() -> Vec<u8> {
    let types = b"<?xml version=\"1.0\"?><Types/>";
    let doc = b"<w:document><w:body>coordination notice</w:body></w:document>";
    zip(&[
        ("[Content_Types].xml", types, types.len() as u64),
        ("word/document.xml", doc, doc.len() as u64),
    ])
}

/// Uploads files (name, bytes) as `email`; the response.
pub async fn upload(
    app: &TestApp,
    path: &str,
    token: &str,
    files: &[(&str, Vec<u8>)],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads files that must be taken; their ids.
pub async fn uploaded(
    app: &TestApp,
    path: &str,
    token: &str,
    files: &[(&str, Vec<u8>)],
) -> Vec<i64> {
    let res = upload(app, path, token, files).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let body: Value = res.json().await.unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// An enterprise in Wuzhong (苏州吴中) with an account, its county's officer,
/// and their tokens.
pub struct Parties {
    pub enterprise: String,
    pub officer: String,
}

pub async fn parties(app: &TestApp) -> Parties {
    let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
    app.user("enterprise", "e@a.cn", None, Some(e)).await;
    let county = app.department_of("320506").await;
    app.user("officer", "o@wuzhong.cn", Some(county), None)
        .await;
    Parties {
        enterprise: app.token("e@a.cn").await,
        officer: app.token("o@wuzhong.cn").await,
    }
}

/// Files a ticket taking `ids`; its id.
pub async fn file_with(app: &TestApp, token: &str, ids: &[i64]) -> i64 {
    let res = app
        .post_as(
            "/api/v1/tickets",
            token,
            &json!({
                "category": "logistics",
                "urgency": "urgent",
                "title": "货车在检查站滞留",
                "description": "三辆货车在高速检查站排队超过六小时，附排队照片和司机通行证。",
                "attachment_ids": ids,
            }),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn listed(app: &TestApp, ticket: i64, token: &str) -> Vec<Value> {
    let res = app
        .get_as(&format!("/api/v1/tickets/{ticket}/attachments"), token)
        .await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn download(app: &TestApp, url: &str, token: &str) -> reqwest::Response {
    app.get_as(url, token).await
}

each_backend! {
    async fn files_on_every_step_show_on_both_sides_and_download_byte_for_byte(app) {
        let p = parties(&app).await;
        let photo = jpeg(1);
        let pass = pdf();
        let at_filing = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[
            ("排队.jpg", photo.clone()),
            ("通行证.pdf", pass.clone()),
        ]).await;
        let id = file_with(&app, &p.enterprise, &at_filing).await;
        crate::helpers::act(&app, &p.officer, id, "sign_for", json!({})).await;
        let note = "请补充: 车牌号\n".as_bytes().to_vec();
        let asked = uploaded(&app, &format!("/api/v1/tickets/{id}/attachments"), &p.officer,
            &[("说明.txt", note.clone())]).await;
        crate::helpers::act(&app, &p.officer, id, "request_info",
            json!({"question": "请补充车牌号", "attachment_ids": asked})).await;
        let list_png = png();
        let given = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("车牌.png", list_png.clone())]).await;
        crate::helpers::act(&app, &p.enterprise, id, "provide_info",
            json!({"answer": "车牌见附件", "attachment_ids": given})).await;
        let notice = docx();
        let resolution = uploaded(&app, "/api/v1/attachments", &p.officer, &[("协调通知.docx", notice.clone())]).await;
        crate::helpers::act(&app, &p.officer, id, "resolve",
            json!({"resolution": "已协调放行", "attachment_ids": resolution})).await;
        app.thumbnails_made().await;

        let expected: Vec<(&str, &[u8], &str)> = vec![
            ("排队.jpg", &photo, "image/jpeg"),
            ("通行证.pdf", &pass, "application/pdf"),
            ("说明.txt", &note, "text/plain; charset=utf-8"),
            ("车牌.png", &list_png, "image/png"),
            ("协调通知.docx", &notice, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ];
        for token in [&p.enterprise, &p.officer] {
            let items = listed(&app, id, token).await;
            assert_eq!(items.len(), 5, "{items:?}");
            for ((name, bytes, mime), item) in expected.iter().zip(&items) {
                assert_eq!(item["file_name"], *name);
                assert_eq!(item["media_type"], *mime);
                let res = download(&app, item["download_url"].as_str().unwrap(), token).await;
                assert_eq!(res.status(), 200);
                let h = res.headers().clone();
                assert_eq!(h["content-type"], *mime);
                assert_eq!(h["x-content-type-options"], "nosniff");
                let cd = h["content-disposition"].to_str().unwrap();
                assert!(cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''"), "{cd}");
                assert_eq!(&res.bytes().await.unwrap()[..], *bytes, "{name}");
            }
            // Images have thumbnails, as JPEG.
            let thumb = items[0]["thumbnail_url"].as_str().expect("a thumbnail");
            let res = download(&app, thumb, token).await;
            assert_eq!(res.headers()["content-type"], "image/jpeg");
            assert!(res.bytes().await.unwrap().starts_with(b"\xFF\xD8"));
            assert!(items[1]["thumbnail_url"].is_null());
        }
        // The steps they are on: filing, request_info, provide_info, resolve.
        let items = listed(&app, id, &p.officer).await;
        let seqs: Vec<i64> = items.iter().map(|i| i["event_seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs[0], 1);
        assert!(seqs[1] == 1 && seqs[2] > 1 && seqs[3] > seqs[2] && seqs[4] > seqs[3], "{seqs:?}");

        // The pages: both sides see the files with thumbnails and download them.
        for email in ["e@a.cn", "o@wuzhong.cn"] {
            let b = Browser::new(&app);
            b.login(email).await;
            let page = b.get(&format!("/tickets/{id}")).await;
            assert_eq!(page.status, 200);
            for (name, _, _) in &expected {
                assert!(page.html.contains(name), "{email} sees {name}");
            }
            let aid = items[0]["id"].as_i64().unwrap();
            assert!(page.html.contains(&format!("/tickets/{id}/files/{aid}/thumbnail")));
            let file = b.client.get(app.url(&format!("/tickets/{id}/files/{aid}"))).send().await.unwrap();
            assert_eq!(file.status(), 200);
            assert_eq!(&file.bytes().await.unwrap()[..], &photo[..]);
        }
        // The 办理单 lists them, and so does the export.
        let b = Browser::new(&app);
        b.login("o@wuzhong.cn").await;
        let sheet = b.get(&format!("/tickets/{id}/print")).await;
        assert!(sheet.html.contains("协调通知.docx") && sheet.html.contains("排队.jpg"));
        let csv = app.get_as("/api/v1/tickets/export?format=csv", &p.officer).await;
        let csv = csv.text().await.unwrap();
        assert!(csv.contains("排队.jpg、通行证.pdf、说明.txt、车牌.png、协调通知.docx"), "{csv}");
    }

    async fn the_same_file_is_stored_once_and_photos_lose_their_location(app) {
        let p = parties(&app).await;
        let photo = jpeg(9);
        let a = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("a.jpg", photo.clone())]).await;
        let b = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("b.jpg", photo.clone())]).await;
        assert_ne!(a, b);
        let gps = jpeg_with_gps();
        let res = upload(&app, "/api/v1/attachments", &p.enterprise, &[("gps.jpg", gps.clone())]).await;
        assert_eq!(res.status(), 201);
        let stored: Value = res.json().await.unwrap();
        let id = file_with(&app, &p.enterprise, &[a[0], b[0], stored["items"][0]["id"].as_i64().unwrap()]).await;
        let items = listed(&app, id, &p.enterprise).await;
        assert_eq!(items[0]["sha256"], items[1]["sha256"]);
        // A photo with nothing to remove keeps its own hash; a cleaned one
        // is named by the bytes stored.
        assert_eq!(items[0]["sha256"], sha256_hex(&photo));
        let root = std::path::Path::new(&app.settings.attachments.root).join("sha256");
        let objects = walk(&root);
        assert_eq!(objects.len(), 2, "one object per content: {objects:?}");
        let cleaned = download(&app, items[2]["download_url"].as_str().unwrap(), &p.enterprise)
            .await.bytes().await.unwrap();
        assert!(cleaned.len() < gps.len());
        assert!(!cleaned.windows(3).any(|w| w == b"GPS"), "the location is gone");
        assert!(cleaned.starts_with(b"\xFF\xD8"));
        assert_eq!(items[2]["sha256"], sha256_hex(&cleaned));
        // A phone's HEIC photo is taken, without a thumbnail (no decoder in
        // pure Rust): the page shows it as a file, saying so.
        let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        heic.extend_from_slice(&[7u8; 2048]);
        let res = upload(&app, &format!("/api/v1/tickets/{id}/attachments"), &p.enterprise, &[("IMG_0001.HEIC", heic)]).await;
        assert_eq!(res.status(), 201);
        let item: Value = res.json().await.unwrap();
        assert_eq!(item["items"][0]["media_type"], "image/heic");
        assert!(item["items"][0]["thumbnail_url"].is_null());
        crate::helpers::act(&app, &p.enterprise, id, "comment",
            json!({"text": "原图", "attachment_ids": [item["items"][0]["id"]]})).await;
        let b = Browser::new(&app);
        b.login("e@a.cn").await;
        let page = b.get(&format!("/tickets/{id}")).await;
        assert!(page.html.contains("IMG_0001.HEIC") && page.html.contains("HEIC 照片，无缩略图"));
    }

    async fn a_photo_taken_upright_shows_upright_without_its_location(app) {
        use image::metadata::Orientation;
        let p = parties(&app).await;
        let photo = upright_jpeg_with_gps();
        assert_eq!(orientation(&photo), Orientation::Rotate90);
        let ids = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("竖拍.jpg", photo.clone())]).await;
        let id = file_with(&app, &p.enterprise, &ids).await;
        app.thumbnails_made().await;
        let item = &listed(&app, id, &p.enterprise).await[0];
        let stored = download(&app, item["download_url"].as_str().unwrap(), &p.enterprise)
            .await.bytes().await.unwrap();
        assert!(!stored.windows(3).any(|w| w == b"GPS"), "the location is gone");
        assert_eq!(orientation(&stored), Orientation::Rotate90, "still shown upright");
        let thumb = download(&app, item["thumbnail_url"].as_str().unwrap(), &p.enterprise)
            .await.bytes().await.unwrap();
        let thumb = image::load_from_memory(&thumb).unwrap();
        // 64x48 as stored, shown 3:4 upright.
        assert_eq!(thumb.width() * 4, thumb.height() * 3, "the thumbnail is turned upright: {}x{}", thumb.width(), thumb.height());
    }

    async fn internal_files_are_staff_only_and_other_people_read_none(app) {
        let p = parties(&app).await;
        let other = app.enterprise("苏州另一家机械有限公司", "320506").await;
        app.user("enterprise", "e@b.cn", None, Some(other)).await;
        let elsewhere = app.department_of("320505").await;
        app.user("officer", "o@huqiu.cn", Some(elsewhere), None).await;
        let id = file_with(&app, &p.enterprise, &uploaded(&app, "/api/v1/attachments", &p.enterprise,
            &[("公开.pdf", pdf())]).await).await;
        let internal = uploaded(&app, "/api/v1/attachments", &p.officer, &[("内部.txt", b"staff only".to_vec())]).await;
        crate::helpers::act(&app, &p.officer, id, "comment",
            json!({"text": "内部讨论", "internal": true, "attachment_ids": internal})).await;
        let staff_view = listed(&app, id, &p.officer).await;
        assert_eq!(staff_view.len(), 2);
        assert_eq!(staff_view[1]["visibility"], "internal");
        let url = staff_view[1]["download_url"].as_str().unwrap().to_string();
        let public_url = staff_view[0]["download_url"].as_str().unwrap().to_string();
        // The enterprise: the public file only; the internal one is not there.
        let own = listed(&app, id, &p.enterprise).await;
        assert_eq!(own.len(), 1);
        assert_eq!(own[0]["file_name"], "公开.pdf");
        assert_eq!(download(&app, &url, &p.enterprise).await.status(), 404);
        let b = Browser::new(&app);
        b.login("e@a.cn").await;
        let page = b.get(&format!("/tickets/{id}")).await;
        assert!(!page.html.contains("内部.txt"));
        let aid = staff_view[1]["id"].as_i64().unwrap();
        assert_eq!(b.get(&format!("/tickets/{id}/files/{aid}")).await.status, 404);
        // Another enterprise and another county's officer: nothing at all.
        for who in ["e@b.cn", "o@huqiu.cn"] {
            let token = app.token(who).await;
            let res = app.get_as(&format!("/api/v1/tickets/{id}/attachments"), &token).await;
            assert_eq!(res.status(), 404, "{who}");
            assert_eq!(download(&app, &public_url, &token).await.status(), 404, "{who}");
        }
        // An upload is its uploader's until a step takes it.
        let mine = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("x.pdf", pdf())]).await;
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/comment"), &p.officer,
            &json!({"text": "借用", "attachment_ids": mine})).await;
        let problem = crate::helpers::assert_problem(res, 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-unknown-upload");
    }
}

each_backend! {
    async fn limits_of_a_file_a_step_and_a_ticket(app, &[
        ("YIZHAN__ATTACHMENTS__MAX_FILE_BYTES", "50000"),
        ("YIZHAN__ATTACHMENTS__MAX_FILES_PER_STEP", "2"),
        ("YIZHAN__ATTACHMENTS__MAX_TICKET_BYTES", "120000"),
    ]) {
        let p = parties(&app).await;
        let text = |n: usize| "证".repeat(n / 3).into_bytes();
        let res = upload(&app, "/api/v1/attachments", &p.enterprise,
            &[("1.txt", text(300)), ("2.txt", text(600)), ("3.txt", text(900))]).await;
        let problem = crate::helpers::assert_problem(res, 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-too-many-files");
        let res = upload(&app, "/api/v1/attachments", &p.enterprise, &[("big.txt", text(60_000))]).await;
        let problem = crate::helpers::assert_problem(res, 413).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-too-large");
        let two = uploaded(&app, "/api/v1/attachments", &p.enterprise,
            &[("a.txt", text(48_000)), ("b.txt", text(48_003))]).await;
        let id = file_with(&app, &p.enterprise, &two).await;
        let more = uploaded(&app, "/api/v1/attachments", &p.enterprise, &[("c.txt", text(30_000))]).await;
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/comment"), &p.enterprise,
            &json!({"text": "再补一份", "attachment_ids": more})).await;
        let problem = crate::helpers::assert_problem(res, 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-ticket-full");
        // Refused, the step left nothing behind: the comment is not there.
        let ticket = app.get_as(&format!("/api/v1/tickets/{id}"), &p.enterprise).await
            .json::<Value>().await.unwrap();
        assert!(!ticket.to_string().contains("再补一份"));
        // A step that carries no files refuses them.
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/sign_for"), &p.officer,
            &json!({"attachment_ids": [1]})).await;
        let problem = crate::helpers::assert_problem(res, 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-not-on-this-step");
        // An upload a step took is not taken twice.
        let res = app.post_as(&format!("/api/v1/tickets/{id}/actions/comment"), &p.enterprise,
            &json!({"text": "同一个文件", "attachment_ids": [two[0]]})).await;
        let problem = crate::helpers::assert_problem(res, 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-unknown-upload");
    }
}

/// Every file under a directory.
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
