use super::*;
use proptest::prelude::*;

fn entry(name: &str, compressed: u64, uncompressed: u64) -> ZipEntry {
    ZipEntry {
        name: name.into(),
        compressed,
        uncompressed,
    }
}

#[test]
fn kinds_are_told_by_their_first_bytes() {
    assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Sniffed::Is(MediaType::Jpeg));
    assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Sniffed::Is(MediaType::Png));
    assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Sniffed::Is(MediaType::Webp));
    assert_eq!(
        sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
        Sniffed::Is(MediaType::Heic)
    );
    assert_eq!(
        sniff(b"\0\0\0\x18ftypavif\0\0\0\0"),
        Sniffed::Refused("image/avif")
    );
    assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0\0\0"), Sniffed::Unknown);
    assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Is(MediaType::Pdf));
    assert_eq!(sniff(b"PK\x03\x04...."), Sniffed::Zip);
    assert_eq!(sniff("货车滞留，排队三公里".as_bytes()), Sniffed::MaybeText);
    assert_eq!(sniff(b"GIF89a\0\0"), Sniffed::Unknown);
}

#[test]
fn markup_is_refused_by_name_and_a_pdf_after_html_is_html() {
    assert_eq!(
        sniff(b"\xEF\xBB\xBF  <?xml version='1.0'?><svg onload='alert(1)'>"),
        Sniffed::Refused("image/svg+xml")
    );
    assert_eq!(
        sniff(b"<html><script>alert(1)</script>%PDF-1.4"),
        Sniffed::Refused("text/html")
    );
    assert_eq!(sniff(b"\n<!DOCTYPE HTML>"), Sniffed::Refused("text/html"));
    assert_eq!(sniff(b"<note>hi</note>"), Sniffed::MaybeText);
    // A PDF that also holds HTML is a PDF: served as one, never as HTML.
    assert_eq!(
        sniff(b"%PDF-1.4\n<html><script>alert(1)</script>"),
        Sniffed::Is(MediaType::Pdf)
    );
}

#[test]
fn text_is_utf8_without_nuls_even_split_mid_character() {
    let text = "通行证已过期".as_bytes();
    let mut check = TextCheck::default();
    check.feed(&text[..4]);
    check.feed(&text[4..]);
    assert!(check.is_text());
    let mut cut = TextCheck::default();
    cut.feed(&text[..4]);
    assert!(!cut.is_text(), "ends mid-character");
    let mut nul = TextCheck::default();
    nul.feed(b"abc\0def");
    assert!(!nul.is_text());
    let mut latin1 = TextCheck::default();
    latin1.feed(b"caf\xE9 ok");
    assert!(!latin1.is_text());
}

#[test]
fn zips_are_documents_by_their_parts() {
    let docx = [
        entry("[Content_Types].xml", 300, 1_000),
        entry("word/document.xml", 2_000, 9_000),
    ];
    assert_eq!(classify_zip(&docx), Ok(MediaType::Docx));
    let xlsx = [
        entry("[Content_Types].xml", 300, 1_000),
        entry("xl/workbook.xml", 500, 2_000),
    ];
    assert_eq!(classify_zip(&xlsx), Ok(MediaType::Xlsx));
    let ofd = [
        entry("OFD.xml", 200, 600),
        entry("Doc_0/Document.xml", 1, 1),
    ];
    assert_eq!(classify_zip(&ofd), Ok(MediaType::Ofd));
    assert_eq!(
        classify_zip(&[
            entry("[Content_Types].xml", 1, 1),
            entry("ppt/presentation.xml", 1, 1)
        ]),
        Err(ZipRefusal::NotADocument)
    );
}

#[test]
fn a_zip_bomb_is_refused_from_its_directory() {
    // One entry of 4 GB squeezed into 4 MB, dressed as a DOCX.
    let bomb = [
        entry("[Content_Types].xml", 300, 1_000),
        entry("word/document.xml", 4 << 20, 4 << 30),
    ];
    assert_eq!(classify_zip(&bomb), Err(ZipRefusal::Bomb));
    // Many modest entries that add up.
    let wide: Vec<ZipEntry> = (0..2_000)
        .map(|i| entry(&format!("word/media/{i}.xml"), 100_000, 1_000_000))
        .chain([
            entry("[Content_Types].xml", 1, 1),
            entry("word/document.xml", 1, 1),
        ])
        .collect();
    assert_eq!(classify_zip(&wide), Err(ZipRefusal::Bomb));
    let crowded: Vec<ZipEntry> = (0..=ZIP_MAX_ENTRIES)
        .map(|i| entry(&i.to_string(), 1, 1))
        .collect();
    assert_eq!(classify_zip(&crowded), Err(ZipRefusal::Bomb));
}

#[test]
fn names_lose_paths_and_control_characters() {
    let pdf = MediaType::Pdf;
    assert_eq!(sanitize_file_name("../../etc/passwd", pdf), "passwd");
    assert_eq!(
        sanitize_file_name("C:\\Users\\a\\通行证.jpg", pdf),
        "通行证.jpg"
    );
    assert_eq!(
        sanitize_file_name("bad\r\nname\u{0}.pdf", pdf),
        "badname.pdf"
    );
    assert_eq!(
        sanitize_file_name("invoice\u{202E}fdp.exe", pdf),
        "invoicefdp.exe"
    );
    assert_eq!(sanitize_file_name(".htaccess", pdf), "htaccess");
    assert_eq!(sanitize_file_name("..", pdf), "file.pdf");
    assert_eq!(sanitize_file_name("", MediaType::Jpeg), "file.jpg");
    let long = format!("{}.pdf", "长".repeat(300));
    let cut = sanitize_file_name(&long, pdf);
    assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
    assert!(cut.ends_with(".pdf"));
}

#[test]
fn limits_of_a_file_a_step_and_a_ticket() {
    let l = Limits {
        file_bytes: 20,
        files_per_step: 2,
        ticket_bytes: 50,
    };
    assert_eq!(l.check_step(&[20, 20], 10), Ok(()));
    assert_eq!(
        l.check_step(&[1, 1, 1], 0),
        Err(LimitBreach::TooManyFiles { limit: 2 })
    );
    assert_eq!(
        l.check_step(&[21], 0),
        Err(LimitBreach::FileTooLarge { limit: 20 })
    );
    assert_eq!(
        l.check_step(&[20, 20], 11),
        Err(LimitBreach::TicketFull {
            limit: 50,
            used: 11
        })
    );
    assert!(l.request_bytes() > 40);
}

#[test]
fn steps_that_carry_files() {
    assert!(carries_files(TicketAction::Resolve));
    assert!(carries_files(TicketAction::CommentInternal));
    assert!(!carries_files(TicketAction::SignFor));
    assert!(!carries_files(TicketAction::Rate));
    assert_eq!(Visibility::of_step(true), Visibility::Internal);
    assert_eq!(Visibility::parse("internal").as_str(), "internal");
}

#[test]
fn keys_spread_objects_over_folders() {
    let sha = "ab".repeat(32);
    assert_eq!(object_key(&sha), format!("sha256/ab/ab/{sha}"));
    assert_eq!(thumbnail_key(&sha), format!("thumbs/ab/{sha}.jpg"));
    for t in MediaType::ALL {
        assert_eq!(MediaType::parse(t.mime()), Some(t));
    }
}

proptest! {
    #[test]
    fn a_sanitised_name_is_never_a_path_nor_holds_a_control(raw in "\\PC*|[/\\\\.\\x00-\\x1f a-z]{0,200}") {
        let name = sanitize_file_name(&raw, MediaType::Text);
        prop_assert!(!name.is_empty());
        prop_assert!(!name.contains('/') && !name.contains('\\'));
        prop_assert!(!name.chars().any(char::is_control));
        prop_assert!(!name.starts_with('.'));
        prop_assert!(name.chars().count() <= MAX_NAME_CHARS);
    }

    #[test]
    fn text_checked_in_pieces_reads_as_checked_whole(s in "\\PC{0,40}", cut in 0usize..200) {
        let bytes = s.as_bytes();
        let cut = cut.min(bytes.len());
        let mut check = TextCheck::default();
        check.feed(&bytes[..cut]);
        check.feed(&bytes[cut..]);
        prop_assert_eq!(check.is_text(), !bytes.contains(&0));
    }
}

#[test]
fn internal_files_are_for_staff_who_may_read_the_ticket() {
    use crate::domain::access::{may_read_attachment, may_upload_attachments};
    use crate::domain::fixtures::{enterprise, staff, ticket};
    use crate::domain::role::Role;
    let t = ticket(7, 400, 400);
    assert!(may_read_attachment(&enterprise(7), &t, false));
    assert!(!may_read_attachment(&enterprise(7), &t, true));
    assert!(!may_read_attachment(&enterprise(8), &t, false));
    assert!(may_read_attachment(&staff(Role::Officer, 400), &t, true));
    // Another county's officer reads neither.
    assert!(!may_read_attachment(&staff(Role::Officer, 401), &t, false));
    assert!(may_upload_attachments(&enterprise(7)));
    let mut admin = staff(Role::Admin, 400);
    admin.department = None;
    assert!(!may_upload_attachments(&admin));
}
