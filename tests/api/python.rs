//! A Python with the tools the OpenAPI tests run (the reference validator and
//! a client generator, pinned in tests/client/requirements.txt), made once in
//! `target/tmp/test-python` so that `cargo test` needs nothing installed
//! beyond Python 3 itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static MADE: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The venv's interpreter, made on first use. Several test processes may
/// race: each builds in its own folder and the first to rename it wins.
pub fn python() -> PathBuf {
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = made.as_ref() {
        return p.clone();
    }
    let requirements = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/client/requirements.txt");
    let wanted = std::fs::read_to_string(requirements).expect("tests/client/requirements.txt");
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-python");
    let interpreter = home.join("bin").join("python");
    let stamp = home.join("requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let building = home.with_extension(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        run(Command::new("python3").args(["-m", "venv"]).arg(&building));
        run(Command::new(building.join("bin").join("pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ]));
        std::fs::write(building.join("requirements.txt"), &wanted).unwrap();
        // A stale venv (other pins) gives way; a fresh one another process
        // just made wins, and ours is dropped.
        if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
            let _ = std::fs::remove_dir_all(&home);
        }
        if std::fs::rename(&building, &home).is_err() {
            let _ = std::fs::remove_dir_all(&building);
        }
    }
    *made = Some(interpreter.clone());
    interpreter
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("python3 (needed by the OpenAPI tests)");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
