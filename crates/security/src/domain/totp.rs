//! TOTP (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 6 digits, 30-second steps — the settings
//! every authenticator app accepts. Pure: the time comes in.

use aws_lc_rs::hmac;

/// Seconds per step.
pub const STEP: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// The step `unix_secs` falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP)
}

/// HOTP of `secret` at `counter`, `digits` long.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    bin % 10u32.pow(digits)
}

/// The code of `secret` at `step`, zero-padded.
pub fn code(secret: &[u8], step: i64) -> String {
    let n = hotp(secret, u64::try_from(step).unwrap_or(0), DIGITS);
    format!("{n:0width$}", width = DIGITS as usize)
}

/// A code's shape: exactly six ASCII digits.
pub fn well_formed(code: &str) -> bool {
    code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit())
}

/// The step at which `given` is `secret`'s code, looking one step either side of `now_step`
/// (clocks drift) and only at steps after `last_used` (a code accepted once is not accepted
/// again). Every candidate is compared in constant time.
pub fn matching_step(
    secret: &[u8],
    given: &str,
    now_step: i64,
    last_used: Option<i64>,
) -> Option<i64> {
    let mut found = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        let expected = code(secret, step);
        let same = aws_lc_rs::constant_time::verify_slices_are_equal(
            expected.as_bytes(),
            given.as_bytes(),
        )
        .is_ok();
        if same && last_used.is_none_or(|used| step > used) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI authenticator apps read (Key URI Format): issuer and account as the
/// label and parameters, secret in base32 without padding.
pub fn uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// Base32 (RFC 4648, no padding) as authenticator apps take it.
pub fn base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 are our code).
    const SEED: &[u8] = b"12345678901234567890";
    const VECTORS: &[(i64, u32)] = &[
        (59, 94287082),
        (1111111109, 7081804),
        (1111111111, 14050471),
        (1234567890, 89005924),
        (2000000000, 69279037),
        (20000000000, 65353130),
    ];

    #[test]
    fn rfc_6238_test_vectors() {
        for (t, expected) in VECTORS {
            let step = u64::try_from(step_at(*t)).unwrap();
            assert_eq!(hotp(SEED, step, 8), *expected, "T = {t}");
            assert_eq!(
                code(SEED, step_at(*t)),
                format!("{:06}", expected % 1_000_000)
            );
        }
    }

    #[test]
    fn a_code_matches_one_step_either_side_and_only_after_the_last_used() {
        let now = step_at(1111111111);
        let current = code(SEED, now);
        assert_eq!(matching_step(SEED, &current, now, None), Some(now));
        assert_eq!(
            matching_step(SEED, &code(SEED, now - 1), now, None),
            Some(now - 1)
        );
        assert_eq!(
            matching_step(SEED, &code(SEED, now + 1), now, None),
            Some(now + 1)
        );
        assert_eq!(matching_step(SEED, &code(SEED, now - 2), now, None), None);
        assert_eq!(matching_step(SEED, &code(SEED, now + 2), now, None), None);
        // Replay: the step was used.
        assert_eq!(matching_step(SEED, &current, now, Some(now)), None);
        assert_eq!(
            matching_step(SEED, &code(SEED, now - 1), now, Some(now)),
            None
        );
        assert_eq!(
            matching_step(SEED, &code(SEED, now + 1), now, Some(now)),
            Some(now + 1)
        );
    }

    #[test]
    fn codes_are_six_digits() {
        assert!(well_formed("012345"));
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 12345"] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        assert_eq!(
            uri("Customer ID", "CID-2026-000001", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Customer%20ID:CID-2026-000001?secret=JBSWY3DPEHPK3PXP&issuer=Customer%20ID&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(base32(b"Hello!\xde\xad\xbe\xef"), "JBSWY3DPEHPK3PXP");
    }
}
