//! Secrets at rest: AES-256-GCM under a key named by an ID, so keys rotate — new secrets are
//! sealed with the active key, and every configured key still opens what it sealed. The
//! customer ID is the associated data: a sealed secret copied to another row does not open.

use std::collections::BTreeMap;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The configured keys and the one new secrets use.
pub struct Keyring {
    active: String,
    keys: BTreeMap<String, LessSafeKey>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("no key `{0}` is configured")]
    UnknownKey(String),
    #[error("key `{0}` is not 32 bytes of base64")]
    BadKey(String),
    #[error("the active key `{0}` is not among the keys")]
    NoActiveKey(String),
    #[error("the sealed secret does not open")]
    Corrupt,
}

impl Keyring {
    /// Keys as base64 of 32 bytes each, by ID.
    pub fn new(active: &str, keys: &BTreeMap<String, String>) -> Result<Self, SealError> {
        let mut ring = BTreeMap::new();
        for (id, b64) in keys {
            let bytes = STANDARD
                .decode(b64.trim())
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| SealError::BadKey(id.clone()))?;
            let key =
                UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SealError::BadKey(id.clone()))?;
            ring.insert(id.clone(), LessSafeKey::new(key));
        }
        if !ring.contains_key(active) {
            return Err(SealError::NoActiveKey(active.to_owned()));
        }
        Ok(Self {
            active: active.to_owned(),
            keys: ring,
        })
    }

    /// The ID of the key new secrets are sealed with.
    pub fn active_id(&self) -> &str {
        &self.active
    }

    /// `(key ID, base64 of nonce ‖ ciphertext ‖ tag)`.
    pub fn seal(&self, plain: &[u8], owner: &str) -> (String, String) {
        let key = &self.keys[&self.active];
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).expect("the system's random source");
        let mut sealed = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(owner.as_bytes()),
            &mut sealed,
        )
        .expect("sealing a short secret");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        (self.active.clone(), STANDARD.encode(out))
    }

    pub fn open(&self, key_id: &str, sealed: &str, owner: &str) -> Result<Vec<u8>, SealError> {
        let key = self
            .keys
            .get(key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
        let bytes = STANDARD.decode(sealed).map_err(|_| SealError::Corrupt)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Corrupt);
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Corrupt)?;
        let mut buf = rest.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(owner.as_bytes()), &mut buf)
            .map_err(|_| SealError::Corrupt)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(&str, u8)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(id, b)| ((*id).to_owned(), STANDARD.encode([*b; 32])))
            .collect()
    }

    #[test]
    fn a_secret_opens_with_its_key_and_owner_only() {
        let ring = Keyring::new("k1", &keys(&[("k1", 1)])).unwrap();
        let (kid, sealed) = ring.seal(b"secret", "CID-1");
        assert_eq!(kid, "k1");
        assert!(!sealed.contains("secret"));
        assert_eq!(ring.open("k1", &sealed, "CID-1").unwrap(), b"secret");
        assert_eq!(ring.open("k1", &sealed, "CID-2"), Err(SealError::Corrupt));
        assert_eq!(
            ring.open("k9", &sealed, "CID-1"),
            Err(SealError::UnknownKey("k9".into()))
        );
        // Two seals of one secret differ (fresh nonces).
        assert_ne!(ring.seal(b"secret", "CID-1").1, sealed);
    }

    #[test]
    fn after_a_rotation_old_secrets_open_and_new_ones_use_the_new_key() {
        let old = Keyring::new("k1", &keys(&[("k1", 1)])).unwrap();
        let (_, sealed) = old.seal(b"secret", "CID-1");
        let rotated = Keyring::new("k2", &keys(&[("k1", 1), ("k2", 2)])).unwrap();
        assert_eq!(rotated.open("k1", &sealed, "CID-1").unwrap(), b"secret");
        assert_eq!(rotated.seal(b"x", "CID-1").0, "k2");
    }

    #[test]
    fn bad_key_settings_are_refused() {
        assert!(matches!(
            Keyring::new("k1", &keys(&[("k2", 1)])),
            Err(SealError::NoActiveKey(_))
        ));
        let mut short = BTreeMap::new();
        short.insert("k1".to_owned(), STANDARD.encode([1u8; 16]));
        assert!(matches!(
            Keyring::new("k1", &short),
            Err(SealError::BadKey(_))
        ));
    }
}
