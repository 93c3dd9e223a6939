//! Reading an account as `GET /loyalty/{customerId}` shows it, without writing.

use chrono::NaiveDateTime;
use cid_kit::DbConnection;
use cid_kit::db::PgReader;

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
    match of_rows(policy, now, account, recent) {
        Read::Done(snap) => Ok(Some(snap)),
        Read::ExpiryDue => Ok(None),
        Read::QualifyingLapsed(account, recent) => {
            let qualifying = entries::qualifying_since(conn, customer, policy.window_start(now))?.0;
            Ok(Some(standing(policy, now, account, qualifying, recent)))
        }
    }
}

/// [`snapshot`] on a worker's pipelined connection, for the accounts its one read tells
/// (nearly all); `None` leaves the rest to [`snapshot`] on the pool.
pub async fn snapshot_pipelined(
    pg: &PgReader,
    policy: &LoyaltySettings,
    customer: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<Snapshot>> {
    let (account, recent) = entries::newest_with_account_pipelined(pg, customer, 20).await?;
    Ok(match of_rows(policy, now, account, recent) {
        Read::Done(snap) => Some(snap),
        Read::ExpiryDue | Read::QualifyingLapsed(..) => None,
    })
}

/// What the account read's rows tell.
enum Read {
    Done(Snapshot),
    /// Lots are due to expire: a write first.
    ExpiryDue,
    /// The stored qualifying basis has lapsed: the ledger is summed again.
    QualifyingLapsed(Account, Vec<Entry>),
}

fn of_rows(
    policy: &LoyaltySettings,
    now: NaiveDateTime,
    account: Option<Account>,
    recent: Vec<Entry>,
) -> Read {
    let Some(account) = account else {
        return Read::Done(Snapshot {
            account: None,
            standing: Standing {
                tier: Tier::Bronze,
                since: now,
            },
            qualifying: 0,
            recent: Vec::new(),
            next_expiry: None,
        });
    };
    if account.next_expiry_at.is_some_and(|at| at <= now) {
        return Read::ExpiryDue;
    }
    // The basis stored with the last write holds until its oldest entry nears the window's
    // edge; only then is the ledger summed again.
    match account.qualifying_until {
        Some(until) if now >= until => Read::QualifyingLapsed(account, recent),
        _ => {
            let qualifying = account.qualifying_points;
            Read::Done(standing(policy, now, account, qualifying, recent))
        }
    }
}

fn standing(
    policy: &LoyaltySettings,
    now: NaiveDateTime,
    account: Account,
    qualifying: i64,
    recent: Vec<Entry>,
) -> Snapshot {
    let stored = Standing {
        tier: account.tier,
        since: account.tier_since,
    };
    // A downgrade that fell due since the last write shows at once.
    let standing = tier::evaluate(stored, qualifying, now, policy.tier_grace_months);
    let next_expiry = account
        .next_expiry_at
        .map(|at| (account.next_expiry_points, at));
    Snapshot {
        account: Some(account),
        standing,
        qualifying,
        recent,
        next_expiry,
    }
}
