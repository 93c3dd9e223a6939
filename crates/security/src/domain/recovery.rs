//! Recovery codes: ten one-time codes shown once, stored as Argon2id hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

/// Codes handed out at a time.
pub const COUNT: usize = 10;
/// No 0/o, 1/l/i: read off a screen or paper without doubt.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const LEN: usize = 12;

/// OWASP's minimum for Argon2id: 19 MiB, two passes, one lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Fresh codes, as shown: `xxxx-xxxx-xxxx`.
pub fn generate() -> Vec<String> {
    let mut rng = rand::rng();
    (0..COUNT)
        .map(|_| {
            let raw: String = (0..LEN)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
        })
        .collect()
}

/// A recovery code as typed (any case, dashes or spaces or none) in its one canonical form,
/// or `None` when it cannot be one.
pub fn normalize(given: &str) -> Option<String> {
    let raw: String = given
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (raw.len() == LEN && raw.bytes().all(|b| ALPHABET.contains(&b))).then_some(raw)
}

/// The stored form (PHC string) of a normalized code.
pub fn hash(normalized: &str) -> String {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).expect("the system's random source");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes of salt");
    hasher()
        .hash_password(normalized.as_bytes(), &salt)
        .expect("hashing a recovery code")
        .to_string()
}

/// Whether `normalized` is the code behind `stored` (Argon2's own constant-time check).
pub fn matches(normalized: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|h| hasher().verify_password(normalized.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_that_match_their_hashes_only() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
        let first = normalize(&codes[0]).unwrap();
        let stored = hash(&first);
        assert!(stored.starts_with("$argon2id$"));
        assert!(!stored.contains(&first));
        assert!(matches(&first, &stored));
        assert!(!matches(&normalize(&codes[1]).unwrap(), &stored));
    }

    #[test]
    fn codes_are_read_in_any_case_with_or_without_dashes() {
        assert_eq!(normalize("ABCD-efgh-jkmn").as_deref(), Some("abcdefghjkmn"));
        assert_eq!(normalize("abcd efgh jkmn").as_deref(), Some("abcdefghjkmn"));
        for bad in [
            "",
            "123456",
            "abcd-efgh-jkm",
            "abcd-efgh-jkm0",
            "abcd-efgh-jkmnp",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
    }
}
