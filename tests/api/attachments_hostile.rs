//! Hostile files (issue 25): refused or made harmless. A PDF/HTML polyglot
//! is HTML when it starts as HTML (refused) and a PDF served as a download
//! when it starts as a PDF; an SVG with a script and a zip bomb dressed as
//! a DOCX are refused by name; a 2 GB upload is refused from its
//! Content-Length without a byte read; a file larger than it says is cut
//! off; a name with a path and control characters is cleaned.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::attachments::{file_with, parties, upload, uploaded, zip};
use crate::each_backend;
use crate::helpers::{assert_problem, TestApp};

async fn refused(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>, status: u16) -> Value {
    let res = upload(app, "/api/v1/attachments", token, &[(name, bytes)]).await;
    assert_problem(res, status).await
}

/// A raw request with a Content-Length and no body: the answer, read
/// within a few seconds (the server must not wait for the body).
async fn declared_only(app: &TestApp, path: &str, token: &str, length: u64) -> String {
    let addr = app.address.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {length}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // A first slice of the promised body, as a client streaming 2 GB would.
    s.write_all(&vec![b'x'; 64 * 1024]).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

each_backend! {
    async fn hostile_files_are_refused_or_made_harmless(app) {
        let p = parties(&app).await;
        let t = &p.enterprise;
        // HTML first, a PDF inside: HTML, refused by name.
        let html_first = b"<html><body><script>alert(document.cookie)</script></body></html>\n%PDF-1.4\n%%EOF".to_vec();
        let problem = refused(&app, t, "invoice.pdf", html_first, 415).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-type-refused");
        assert!(problem["detail"].as_str().unwrap().contains("text/html"), "{problem}");
        // An SVG with a script.
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#.to_vec();
        let problem = refused(&app, t, "photo.jpg", svg, 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("image/svg+xml"), "{problem}");
        // Other kinds are named too.
        let problem = refused(&app, t, "a.gif", b"GIF89a\x01\0\x01\0\0\0\0;".to_vec(), 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("image/gif"), "{problem}");
        let problem = refused(&app, t, "a.exe", b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec(), 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("application/"), "{problem}");
        // A zip bomb dressed as a DOCX: 100 KB declaring 3.9 GB.
        let bomb = zip(&[
            ("[Content_Types].xml", b"<Types/>", 8),
            ("word/document.xml", &[0u8; 100_000], 3_900_000_000),
        ]);
        let problem = refused(&app, t, "report.docx", bomb, 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-zip-bomb");
        // A plain zip is no document.
        let problem = refused(&app, t, "a.zip", zip(&[("a.txt", b"hi", 2)]), 415).await;
        assert!(problem["detail"].as_str().unwrap().contains("application/zip"));

        // A PDF that also holds HTML is stored, and only ever served as a
        // PDF to be saved, never rendered as a page.
        let polyglot = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF".to_vec();
        let ids = uploaded(&app, "/api/v1/attachments", t, &[("../..\\evil\t\u{202E}fdp.exe.pdf", polyglot.clone())]).await;
        let id = file_with(&app, t, &ids).await;
        let items: Value = app.get_as(&format!("/api/v1/tickets/{id}/attachments"), t).await.json().await.unwrap();
        let item = &items["items"][0];
        // The path and the control characters are gone.
        assert_eq!(item["file_name"], "evilfdp.exe.pdf");
        let res = app.get_as(item["download_url"].as_str().unwrap(), t).await;
        let h = res.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let cd = h["content-disposition"].to_str().unwrap();
        assert!(cd.starts_with("attachment;"), "{cd}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("sandbox"));
        assert_eq!(&res.bytes().await.unwrap()[..], &polyglot[..]);

        // 2 GB declared: refused from the Content-Length, the body unread.
        let answer = declared_only(&app, "/api/v1/attachments", t, 2 << 30).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("attachment-request-too-large"), "{answer}");
        let answer = declared_only(&app, &format!("/api/v1/tickets/{id}/attachments"), t, 2 << 30).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        // The filing page answers a page.
        let answer = declared_only(&app, "/tickets/new", t, 2 << 30).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        // The app still serves.
        assert_eq!(app.get_as(&format!("/api/v1/tickets/{id}"), t).await.status(), 200);
    }
}

each_backend! {
    async fn a_file_larger_than_allowed_is_cut_off_as_it_arrives(app, &[
        ("YIZHAN__ATTACHMENTS__MAX_FILE_BYTES", "100000"),
    ]) {
        let p = parties(&app).await;
        // Within the request's limit (10 files), over the file's.
        let problem = refused(&app, &p.enterprise, "big.txt", vec![b'a'; 300_000], 413).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-too-large");
        let problem = refused(&app, &p.enterprise, "empty.txt", Vec::new(), 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-empty");
        let res = app.client.post(app.url("/api/v1/attachments"))
            .bearer_auth(&p.enterprise)
            .multipart(reqwest::multipart::Form::new().text("note", "no file"))
            .send().await.unwrap();
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem["type"], "urn:yizhan:problem:attachment-no-file");
        // Nothing was left in the store.
        let root = std::path::Path::new(&app.settings.attachments.root);
        assert!(crate::attachments::walk(root).is_empty());
    }
}
