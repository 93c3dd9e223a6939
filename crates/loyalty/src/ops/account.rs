//! Reading an account as `GET /loyalty/{customerId}` shows it, without writing.

use chrono::NaiveDateTime;
use cid_kit::DbConnection;

use crate::LoyaltySettings;
use crate::domain::tier::{self, Standing, Tier};
use crate::error::LoyaltyError;
use crate::store::accounts::Account;
use crate::store::entries::{self, Entry};

/// What `GET /loyalty/{customerId}` shows.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub account: Option<Account>,
    pub standing: Standing,
    pub qualifying: i64,
    pub recent: Vec<Entry>,
    pub next_expiry: Option<(i64, NaiveDateTime)>,
}

/// Reads an account; `None` when lots are due to expire and a write must come first.
pub fn snapshot(
    conn: &mut DbConnection,
    policy: &LoyaltySettings,
    customer: &str,
    now: NaiveDateTime,
) -> Result<Option<Snapshot>, LoyaltyError> {
    let (account, recent) = entries::newest_with_account(conn, customer, 20)?;
    let Some(account) = account else {
        return Ok(Some(Snapshot {
            account: None,
            standing: Standing {
                tier: Tier::Bronze,
                since: now,
            },
            qualifying: 0,
            recent: Vec::new(),
            next_expiry: None,
        }));
    };
    if account.next_expiry_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    // The basis stored with the last write holds until its oldest entry nears the window's
    // edge; only then is the ledger summed again.
    let qualifying = match account.qualifying_until {
        Some(until) if now >= until => {
            entries::qualifying_since(conn, customer, policy.window_start(now))?.0
        }
        _ => account.qualifying_points,
    };
    let stored = Standing {
        tier: account.tier,
        since: account.tier_since,
    };
    // A downgrade that fell due since the last write shows at once.
    let standing = tier::evaluate(stored, qualifying, now, policy.tier_grace_months);
    let next_expiry = account
        .next_expiry_at
        .map(|at| (account.next_expiry_points, at));
    Ok(Some(Snapshot {
        account: Some(account),
        standing,
        qualifying,
        recent,
        next_expiry,
    }))
}
