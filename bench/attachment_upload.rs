//! Uploading photos (issue 25): 1,000 photos of 3 MB (JPEGs with their
//! position in EXIF, each a little different so that none is stored only
//! once by its hash) sent by 16 clients to `POST /api/v1/attachments` of
//! the service running as its own process (release build, local store),
//! while its resident memory is watched; compared in the same run with the
//! local disk's sequential write speed: the same bytes written with
//! `std::fs` and an `fsync` per file into the same file system.
//!
//! Targets: resident memory stays under 150 MB, and uploads reach at least
//! 80% of the disk's speed. Thumbnails are made by a job after each upload
//! is answered (on threads of lower priority): the run also reports how
//! many were still due when the last upload was answered and how long that
//! backlog took to drain, memory watched throughout.
//!
//! `cargo bench --bench attachment_upload`; `BENCH_PHOTOS` (1000),
//! `BENCH_PHOTO_MB` (3) and `BENCH_CLIENTS` (16) change the run (a tiny
//! count checks that it works: `BENCH_PHOTOS=8 BENCH_PHOTO_MB=1`).
//! `BENCH_KIND=pdf` sends PDFs of the same size instead: the upload path
//! without a photo's work (no metadata to strip, no thumbnail to decode),
//! to tell the two costs apart.

mod support;

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::service::{login, Service};

const MEMORY_LIMIT_MB: f64 = 150.0;
const SPEED_SHARE: f64 = 0.8;

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A noisy JPEG of at least `bytes`, with an EXIF segment naming a place.
fn base_photo(bytes: usize) -> Vec<u8> {
    let mut side = 800u32;
    loop {
        let mut seed = 0x2545_F491u32;
        let img = image::RgbImage::from_fn(side * 4 / 3, side, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let n = (seed & 0x3F) as u8;
            image::Rgb([
                ((x / 7) as u8).wrapping_add(n),
                ((y / 5) as u8).wrapping_add(n),
                n * 3,
            ])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
            .encode_image(&img)
            .unwrap();
        if jpeg.len() >= bytes {
            let mut exif =
                b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 31.2304N GPSLongitude 121.4737E".to_vec();
            let mut out = jpeg[..2].to_vec();
            out.extend_from_slice(&[0xFF, 0xE1]);
            out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
            out.append(&mut exif);
            out.extend_from_slice(&jpeg[2..]);
            return out;
        }
        // Small steps: the photo ends up just over the size asked for.
        side = side * 33 / 32;
    }
}

/// A PDF of `bytes`: a header, then incompressible bytes (a scan's image).
fn base_pdf(bytes: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut seed = 0x9E37_79B9u32;
    while out.len() < bytes - 64 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        out.push((seed >> 7) as u8);
    }
    out.extend_from_slice(b"\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    out
}

/// Photo `i`: the base with a few bytes of its picture data changed (a
/// few pixels differ; the file is still a JPEG, and its hash its own).
fn photo(base: &[u8], i: usize) -> Vec<u8> {
    let mut p = base.to_vec();
    let at = p.len() - 64;
    // `i` in base 253, each digit + 1: never 0xFF (a marker) nor 0, and
    // distinct for every i (bytes of i itself would repeat every 253).
    let mut rest = i;
    for k in 0..4 {
        p[at + k] = (rest % 253 + 1) as u8;
        rest /= 253;
    }
    p
}

/// The disk alone: the same bytes as files, each written and synced.
fn disk_speed(dir: &std::path::Path, base: &[u8], count: usize) -> f64 {
    std::fs::create_dir_all(dir).unwrap();
    let started = Instant::now();
    let mut total = 0u64;
    for i in 0..count {
        let bytes = photo(base, i);
        let mut f = std::fs::File::create(dir.join(format!("{i}.jpg"))).unwrap();
        f.write_all(&bytes).unwrap();
        f.sync_all().unwrap();
        total += bytes.len() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(dir);
    total as f64 / (1 << 20) as f64 / secs
}

#[tokio::main]
async fn main() {
    let count: usize = env_or("BENCH_PHOTOS", 1000);
    let mb: usize = env_or("BENCH_PHOTO_MB", 3);
    let clients: usize = env_or("BENCH_CLIENTS", 16);
    let b = support::setup("sqlite").await;
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(&b, dir.path()).await;
    let pdf = std::env::var("BENCH_KIND").is_ok_and(|k| k == "pdf");
    let base = Arc::new(if pdf {
        base_pdf(mb << 20)
    } else {
        base_photo(mb << 20)
    });
    let extension = if pdf { "pdf" } else { "jpg" };
    println!(
        "attachment_upload: {count} {} of {:.1} MB, {clients} clients",
        if pdf { "PDFs" } else { "photos" },
        base.len() as f64 / (1 << 20) as f64
    );
    let disk = disk_speed(&dir.path().join("disk"), &base, count);

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let token = login(&client, &service.base, "e@bench.cn").await;
    let next = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (client, token, base_url) = (client.clone(), token.clone(), service.base.clone());
        let (next, sent, failed, base) = (next.clone(), sent.clone(), failed.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let bytes = photo(&base, i);
                let len = bytes.len() as u64;
                let form = reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes)
                        .file_name(format!("IMG_{i:04}.{extension}")),
                );
                let res = client
                    .post(format!("{base_url}/api/v1/attachments"))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        sent.fetch_add(len, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    // Resident memory, sampled while the uploads run.
    let mut peak_rss = 0f64;
    while workers.iter().any(|w| !w.is_finished()) {
        peak_rss = peak_rss.max(service.memory().0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for w in workers {
        w.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let speed = sent.load(Ordering::Relaxed) as f64 / (1 << 20) as f64 / secs;
    let failed = failed.load(Ordering::Relaxed);
    // Thumbnails are made after the uploads are answered: how long the
    // backlog the run left takes to drain (memory still watched).
    let due = "SELECT COUNT(*) AS n FROM attachments WHERE thumbnail_due_at IS NOT NULL";
    let backlog = b.count(due).await;
    let draining = Instant::now();
    // (A run with the job turned off, to time the uploads alone, stops
    // waiting once nothing moves for ten seconds.)
    let (mut left, mut moved) = (backlog, Instant::now());
    while left > 0 && moved.elapsed() < Duration::from_secs(10) {
        peak_rss = peak_rss.max(service.memory().0);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = b.count(due).await;
        if now < left {
            moved = Instant::now();
        }
        left = now;
    }
    let drain = draining.elapsed().as_secs_f64();
    let thumbnails = b
        .count("SELECT COUNT(*) AS n FROM attachments WHERE thumbnail_key IS NOT NULL")
        .await;
    let (_, hwm) = service.memory();
    let stored = walk_count(&dir.path().join("data-attachments"));
    let memory_ok = hwm < MEMORY_LIMIT_MB;
    let speed_ok = speed >= SPEED_SHARE * disk;
    println!(
        "| files | failed | objects | uploads MB/s | disk MB/s (write + fsync) | share | thumbnails due at the end / made | backlog drained in | peak RSS MB (sampled / VmHWM) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {count} | {failed} | {stored} | {speed:.1} | {disk:.1} | {:.0}% | {backlog} / {thumbnails} | {drain:.1} s | {peak_rss:.1} / {hwm:.1} |",
        100.0 * speed / disk
    );
    println!(
        "resident memory under {MEMORY_LIMIT_MB} MB: {}; at least {:.0}% of the disk's speed: {}",
        if memory_ok { "pass" } else { "FAIL" },
        SPEED_SHARE * 100.0,
        if speed_ok { "pass" } else { "FAIL" }
    );
    service.stop();
    b.finish();
    assert_eq!(failed, 0, "every upload is stored");
    // A run with this instance's thumbnail job turned off leaves its backlog.
    let job_off = std::env::var("YIZHAN__ATTACHMENTS__THUMBNAIL_POLL_SECS").is_ok_and(|v| v == "0");
    assert!(
        job_off || left == 0,
        "the thumbnail backlog drains: {left} left"
    );
}

fn walk_count(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk_count(&e.path())
            } else {
                1
            }
        })
        .sum()
}
