//! The gateway's token check, with a per-thread cache of tokens already verified.
//!
//! Frontends send the same token for many requests; re-verifying its signature each time is
//! most of the gateway's own CPU per request. Only tokens that passed full verification are
//! cached, each until its own expiry (plus the configured leeway), so the cache can never
//! admit a token that verification would refuse.

use std::cell::RefCell;
use std::collections::HashMap;

use cid_kit::{ApiError, Verifier};

const CAPACITY: usize = 4096;

thread_local! {
    static VERIFIED: RefCell<HashMap<Box<[u8]>, i64>> = RefCell::new(HashMap::new());
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Verifies an `Authorization` header value.
pub fn check(verifier: &Verifier, header: &[u8], leeway: i64) -> Result<(), ApiError> {
    let now = now();
    let hit = VERIFIED.with(|m| m.borrow().get(header).copied());
    if hit.is_some_and(|valid_until| now < valid_until) {
        return Ok(());
    }
    let claims = verifier.verify_header(Some(header))?;
    if let Some(claims) = claims {
        VERIFIED.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= CAPACITY {
                m.retain(|_, until| *until > now);
                if m.len() >= CAPACITY {
                    m.clear();
                }
            }
            m.insert(header.into(), claims.exp.saturating_add(leeway));
        });
    }
    Ok(())
}
