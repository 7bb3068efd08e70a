//! Attachments in a real browser on a phone-size window (issue 25): an
//! enterprise files a problem with a photo chosen in the form's file field
//! (as a phone's camera hands it over), sees its thumbnail on the ticket
//! page, and the county's officer sees the same thumbnail. Screenshots at
//! 390×844 and 1366×900 under `target/browser-screenshots/attach-*`.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::chromium::{body_text, log_in, log_out, session, Shots, PHONE};
use crate::each_backend;

async fn both_sizes(c: &Client, shots: &mut Shots, name: &str) {
    for (w, h, size) in [(390, 844, "390"), (1366, 900, "1366")] {
        c.set_window_size(w, h).await.unwrap();
        shots.take(c, &format!("{name}-{size}")).await;
    }
    c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
}

/// How many thumbnails on the page have loaded as pictures, waiting up to
/// ten seconds for them (the image requests run after the page's).
async fn thumbnails_loaded(c: &Client) -> u64 {
    let mut loaded = 0;
    for _ in 0..100 {
        loaded = c
            .execute(
                "return Array.from(document.querySelectorAll('ul.files img')).filter(i => i.complete && i.naturalWidth > 0).length;",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0);
        if loaded > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    loaded
}

/// A photo as a phone takes it: a few hundred kilobytes, with its position in EXIF.
fn phone_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1200, 900, |x, y| {
        let band = ((x / 60 + y / 45) % 2) as u8;
        image::Rgb([120 + band * 90, (x % 200) as u8, (y % 180) as u8 + 40])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .unwrap();
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 31.2304N".to_vec();
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.append(&mut exif);
    out.extend_from_slice(&plain[2..]);
    out
}

each_backend! {
    async fn a_photo_filed_from_a_phone_shows_as_a_thumbnail_on_both_sides(app) {
        let e = app.enterprise("苏州某精密部件有限公司", "320506").await;
        app.user("enterprise", "e@a.cn", None, Some(e)).await;
        let county = app.department_of("320506").await;
        app.user("officer", "o@wuzhong.cn", Some(county), None).await;
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("检查站排队.jpg");
        std::fs::write(&photo, phone_photo()).unwrap();
        let mut shots = Shots::new(&format!("attach-{:?}", app.backend).to_lowercase());
        let Some((driver, c)) = session(PHONE).await else { return };

        log_in(&c, &app, "e@a.cn").await;
        c.goto(&app.url("/tickets/new")).await.unwrap();
        c.find(Locator::Id("category")).await.unwrap().select_by_value("logistics").await.unwrap();
        c.find(Locator::Css("input[name=urgency][value=urgent]")).await.unwrap().click().await.unwrap();
        c.find(Locator::Id("title")).await.unwrap().send_keys("货车在检查站滞留").await.unwrap();
        c.find(Locator::Id("description")).await.unwrap()
            .send_keys("三辆运输零部件的货车在高速检查站排队超过六小时，附现场照片。").await.unwrap();
        let field = c.find(Locator::Id("filing-files")).await.unwrap();
        field.send_keys(&photo.display().to_string()).await.unwrap();
        let accept = field.attr("accept").await.unwrap().unwrap_or_default();
        assert!(accept.starts_with("image/*"), "{accept}");
        assert!(body_text(&c).await.contains("拍摄地点"));
        // The field speaks the page's language, not the browser's, and names
        // what was chosen.
        let text = body_text(&c).await;
        assert!(text.contains("拍照或选择文件") && text.contains("已选择 1 个文件：检查站排队.jpg"), "{text}");
        c.execute("document.getElementById('filing-files').scrollIntoView({block: 'center'});", vec![]).await.unwrap();
        both_sizes(&c, &mut shots, "filing-form").await;
        c.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
        // The thumbnail is made just after the answer: a moment later a
        // refresh shows it, as the page says while it is on its way.
        c.wait().for_element(Locator::Css("ul.files li")).await.unwrap();
        app.thumbnails_made().await;
        c.refresh().await.unwrap();
        c.wait().for_element(Locator::Css("ul.files img")).await.unwrap();
        assert!(body_text(&c).await.contains("检查站排队.jpg"));
        assert_eq!(thumbnails_loaded(&c).await, 1, "the thumbnail shows");
        let url = c.current_url().await.unwrap();
        let path = url.path().to_string();
        c.execute("document.getElementById('timeline').scrollIntoView({block: 'start'});", vec![]).await.unwrap();
        both_sizes(&c, &mut shots, "enterprise-ticket").await;
        log_out(&c).await;

        log_in(&c, &app, "o@wuzhong.cn").await;
        c.goto(&app.url(&path)).await.unwrap();
        c.wait().for_element(Locator::Css("ul.files img")).await.unwrap();
        assert_eq!(thumbnails_loaded(&c).await, 1, "the officer sees it too");
        c.execute("document.getElementById('timeline').scrollIntoView({block: 'start'});", vec![]).await.unwrap();
        both_sizes(&c, &mut shots, "officer-ticket").await;
        // The resolve form carries a file field too.
        let id: i64 = path.trim_start_matches("/tickets/").parse().unwrap();
        crate::helpers::act(&app, &app.token("o@wuzhong.cn").await, id, "sign_for", json!({})).await;
        c.goto(&app.url(&path)).await.unwrap();
        c.find(Locator::Id("resolve-files")).await.unwrap();
        c.execute("document.getElementById('act-resolve').scrollIntoView({block: 'start'});", vec![]).await.unwrap();
        both_sizes(&c, &mut shots, "resolve-form").await;
        c.close().await.unwrap();
        drop(driver);
        assert_eq!(shots.n, 8);
    }
}
