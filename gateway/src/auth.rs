//! The gateway's token check, with a per-thread cache of tokens already verified.
//!
//! Frontends send the same token for many requests; re-verifying its signature each time is
//! most of the gateway's own CPU per request. Only tokens that passed full verification are
//! cached, each until its own expiry (plus the configured leeway), so the cache can never
//! admit a token that verification would refuse.

use std::cell::RefCell;
use std::rc::Rc;

use cid_common::Role;
use cid_kit::{ApiError, Verifier};

const CAPACITY: usize = 4096;

/// Who a verified token names: what rate limits are counted against.
#[derive(Debug)]
pub struct TokenCaller {
    pub subject: String,
    pub roles: Vec<Role>,
}

/// Header value → (valid until, whose). Only verified tokens are keys, so a fast hash
/// without a random seed cannot be flooded.
type Verified = rustc_hash::FxHashMap<Box<[u8]>, (i64, Rc<TokenCaller>)>;

thread_local! {
    static VERIFIED: RefCell<Verified> = RefCell::new(Verified::default());
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Whose an `Authorization` header value is, if it was verified before and is still valid.
pub fn cached(header: &[u8]) -> Option<Rc<TokenCaller>> {
    let now = now();
    VERIFIED.with(|m| {
        m.borrow()
            .get(header)
            .filter(|(valid_until, _)| now < *valid_until)
            .map(|(_, caller)| caller.clone())
    })
}

/// Verifies an `Authorization` header value and tells whose it is.
pub fn check(
    verifier: &Verifier,
    header: &[u8],
    leeway: i64,
) -> Result<Option<Rc<TokenCaller>>, ApiError> {
    let now = now();
    if let Some(hit) = cached(header) {
        return Ok(Some(hit));
    }
    let Some(claims) = verifier.verify_header(Some(header))? else {
        return Ok(None);
    };
    let caller = Rc::new(TokenCaller {
        subject: claims.sub,
        roles: claims.roles,
    });
    VERIFIED.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= CAPACITY {
            m.retain(|_, (until, _)| *until > now);
            if m.len() >= CAPACITY {
                m.clear();
            }
        }
        m.insert(
            header.into(),
            (claims.exp.saturating_add(leeway), caller.clone()),
        );
    });
    Ok(Some(caller))
}
