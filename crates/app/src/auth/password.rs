//! Argon2id password hashing, run off the async threads because it is deliberately slow.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 256;

/// Checks a new password against the rules, in plain words.
pub fn check_new(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        Err(format!("A password must be at least {MIN_LENGTH} characters. A few words together make a good one."))
    } else if n > MAX_LENGTH {
        Err(format!("A password must be {MAX_LENGTH} characters or fewer."))
    } else {
        Ok(())
    }
}

/// Argon2id with 46 MiB and one pass, one of OWASP's recommended settings (as strong as the
/// library default of 19 MiB and two passes). Chosen because its working memory is above
/// glibc's largest dynamic mmap threshold (32 MiB): every hash gets fresh pages from the kernel
/// and gives them back, so an idle server does not keep ~20 MB of a past hash resident.
/// Stored hashes carry their own parameters, so hashes made with other settings still verify.
fn hasher() -> Argon2<'static> {
    match Params::new(46 * 1024, 1, 1, None) {
        Ok(params) => Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        Err(_) => Argon2::default(),
    }
}

/// The Argon2id PHC string for `password`, with a fresh random salt.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
    })
    .await?
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let h = hash("correct horse battery".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=47104,t=1,p=1$"), "{h}");
        assert!(verify("correct horse battery".into(), h.clone()).await);
        assert!(!verify("correct horse batterx".into(), h).await);
        assert!(!verify("anything".into(), "not a hash".into()).await);
        assert!(check_new("short").is_err());
        assert!(check_new("long enough password").is_ok());
    }
}
