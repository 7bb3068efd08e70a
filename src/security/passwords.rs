//! argon2id password hashing, off the async executor and bounded in
//! concurrency so that a burst of log-ins cannot starve other requests.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::configuration::AuthSettings;

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of nothing in particular: verified against when the account
    /// does not exist, so that an unknown e-mail costs as much as a wrong password.
    decoy: Arc<String>,
}

impl PasswordHasher {
    pub fn from_settings(auth: &AuthSettings) -> Result<PasswordHasher, String> {
        let params = Params::new(
            auth.argon2_memory_kib,
            auth.argon2_iterations,
            auth.argon2_parallelism,
            None,
        )
        .map_err(|e| format!("auth.argon2_* parameters: {e}"))?;
        let permits = match auth.max_concurrent_hashes {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        };
        let decoy = hash_with(&params, "decoy password for unknown accounts")?;
        Ok(PasswordHasher {
            params,
            permits: Arc::new(Semaphore::new(permits)),
            decoy: Arc::new(decoy),
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let params = self.params.clone();
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(|e| e.to_string())?
    }

    /// Whether `password` matches `hash`; with no hash, checks the decoy and
    /// answers false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let (stored, real) = match hash {
            Some(h) => (h, true),
            None => (self.decoy.as_ref().clone(), false),
        };
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        matched && real
    }
}

/// Makes the memory of finished hashes go back to the system. Each argon2
/// hash works in a fresh 19 MiB area; glibc raises its mmap threshold to the
/// largest block freed, so from the second hash on it serves these areas
/// from its heaps, one per blocking thread, and keeps them: under a log-in
/// flood the service grew past 300 MB (`bench/abuse_memory.py`). A fixed
/// threshold keeps blocks of 1 MiB and more in mappings of their own,
/// unmapped on free. Call once, at the start of the process.
pub fn return_freed_work_areas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before
    // any thread that allocates is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash password: {e}"))
}
