//! Random secrets (session ids, form tokens, API tokens) and how they are stored: only as a
//! SHA-256 hash, so a copy of the database cannot be used to sign in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe text.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    // The operating system's generator failing is unrecoverable for a security service.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// An invitation code a person can read out or type: 12 characters from an alphabet without
/// look-alikes (no I, L, O or U), about 60 random bits, shown in groups of four.
pub struct InviteCode(String);

/// Crockford's base 32: digits and letters a person will not confuse.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn invite_code() -> InviteCode {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    InviteCode(bytes.iter().map(|b| CODE_ALPHABET[usize::from(b % 32)] as char).collect())
}

impl InviteCode {
    /// The code as stored (hashed) and put in links: upper case, no separators.
    pub fn normalised(&self) -> String {
        self.0.clone()
    }
    /// The code as shown: `ABCD-EFGH-JKMN`.
    pub fn display(&self) -> String {
        self.0.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
    }
    /// What someone typed, as the code it stands for: case, spaces and dashes ignored, and the
    /// look-alikes read as the digits they resemble.
    pub fn normalise(typed: &str) -> String {
        typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .take(64)
            .collect()
    }
}

/// Compares two secrets in time that does not depend on where they first differ.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashes_are_stable() {
        let (a, b) = (random_secret(), random_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same("abc", "abcd"));
    }

    #[test]
    fn invite_codes_survive_being_read_out_and_typed_back() {
        let code = invite_code();
        assert_eq!(code.normalised().len(), 12);
        assert!(code.normalised().bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_eq!(InviteCode::normalise(&code.display()), code.normalised());
        assert_eq!(InviteCode::normalise(&code.display().to_lowercase()), code.normalised());
        assert_eq!(InviteCode::normalise(" 0abc-1def "), "0ABC1DEF");
        assert_eq!(InviteCode::normalise("oabc-idef-L"), "0ABC1DEF1", "look-alikes read as digits");
        assert_ne!(invite_code().normalised(), code.normalised());
    }
}
