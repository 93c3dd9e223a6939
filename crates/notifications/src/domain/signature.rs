//! The signature on every request this service makes to an outside receiver (SMS and push
//! providers, webhook subscribers): HMAC-SHA256 with the receiver's secret over
//! `<timestamp>.<body>`, sent as `X-CID-Signature: t=<unix seconds>,v1=<hex>`. A receiver
//! recomputes it over the raw body and refuses a timestamp older than five minutes, so a
//! captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "X-CID-Signature";
/// How old a signed request a receiver should still accept.
pub const TOLERANCE_SECS: i64 = 300;

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// What a receiver does: the signature matches (compared in constant time) and the
/// timestamp is within [`TOLERANCE_SECS`] of `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> bool {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(sig)) = (timestamp, signature) else {
        return false;
    };
    (now - t).abs() <= TOLERANCE_SECS && mac(secret, t, body).verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_the_secret_and_not_when_anything_changed() {
        let header = sign("s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify("s3cret", &header, b"{\"a\":1}", 1_700_000_100));
        assert!(!verify("other", &header, b"{\"a\":1}", 1_700_000_100));
        assert!(!verify("s3cret", &header, b"{\"a\":2}", 1_700_000_100));
        // Replayed six minutes later.
        assert!(!verify("s3cret", &header, b"{\"a\":1}", 1_700_000_360));
        assert!(!verify("s3cret", "t=x,v1=zz", b"", 0));
    }
}
