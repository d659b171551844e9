//! Time-based one-time codes (RFC 6238: SHA-1, 6 digits, 30-second steps, as every authenticator
//! app expects), the secret an app is set up with, and the QR code that carries it.

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Builder, Secret, Totp};

/// A code is accepted one step either side of now, for clocks a little out and slow typing.
const SKEW: u16 = 1;

/// A new random secret (160 bits, the RFC's recommendation), in base 32 as apps show it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    Secret::from(bytes).to_base32()
}

fn totp(secret_base32: &str, account: &str, issuer: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Builder::new()
        .with_secret(secret)
        .with_skew(SKEW)
        .with_account_name(account.replace(':', " "))
        .with_issuer(Some(issuer.replace(':', " ")))
        .build()
        .ok()
}

/// The time step a typed code matches at `unix_time`, if it is right. Spaces in what was typed
/// are ignored ("123 456"). The caller must accept each step only once.
pub fn check(secret_base32: &str, typed: &str, unix_time: u64) -> Option<i64> {
    let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let totp = totp(secret_base32, "account", "Carethread")?;
    totp.check(&code, unix_time).and_then(|step| i64::try_from(step).ok())
}

/// The code for `unix_time`: for tests and for showing what an app would show.
pub fn code_at(secret_base32: &str, unix_time: u64) -> Option<String> {
    Some(totp(secret_base32, "account", "Carethread")?.generate(unix_time).to_string())
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn setup_uri(secret_base32: &str, account: &str, issuer: &str) -> Option<String> {
    totp(secret_base32, account, issuer)?.to_url().ok()
}

/// The QR code of `uri` as an SVG image, drawn in the page's own colours.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    Some(code.render::<svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// The secret in groups of four, for typing into an app by hand.
pub fn grouped(secret_base32: &str) -> String {
    secret_base32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

pub fn unix_now() -> u64 {
    u64::try_from(carethread_store::now().timestamp()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B, with the SHA-1 key "12345678901234567890": at 59 s the 8-digit
    /// code is 94287082, so the 6-digit code is its last six digits.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_test_vectors() {
        assert_eq!(code_at(RFC_SECRET, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(RFC_SECRET, 1_111_111_109).as_deref(), Some("081804"));
        assert_eq!(code_at(RFC_SECRET, 2_000_000_000).as_deref(), Some("279037"));
    }

    #[test]
    fn a_code_is_accepted_a_step_either_side_and_nothing_else_is() {
        let now = 1_700_000_000;
        let code = code_at(RFC_SECRET, now).expect("code");
        let step = i64::try_from(now / 30).expect("fits");
        assert_eq!(check(RFC_SECRET, &code, now), Some(step));
        assert_eq!(check(RFC_SECRET, &format!("{} {}", &code[..3], &code[3..]), now), Some(step), "spaces ignored");
        assert_eq!(check(RFC_SECRET, &code, now + 30), Some(step), "one step late");
        assert_eq!(check(RFC_SECRET, &code, now + 90), None, "three steps late");
        assert_eq!(check(RFC_SECRET, "000000x", now), None);
        assert_eq!(check(RFC_SECRET, "", now), None);
        assert_eq!(check("not base 32!", &code, now), None);
    }

    #[test]
    fn a_new_secret_sets_up_an_app() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32, "160 bits in base 32");
        let uri = setup_uri(&a, "priya:nair", "Westmere Care Partnership").expect("uri");
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={a}")));
        assert!(qr_svg(&uri).expect("svg").starts_with("<?xml"));
        assert_eq!(grouped("ABCDEFGH"), "ABCD EFGH");
    }
}
