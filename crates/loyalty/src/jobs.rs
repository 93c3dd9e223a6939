//! Periodic work: expiring due lots of accounts nobody touched, so balances (and, later, the
//! expiry events) do not wait for the customer's next visit.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cid_kit::server::Job;
use cid_kit::{ApiError, Db};

use crate::LoyaltySettings;
use crate::ops::{self, Who};
use crate::store::accounts;

/// Accounts settled per transaction batch of one sweep.
const BATCH: i64 = 500;

/// Settles every account with due lots, each in its own transaction; returns how many.
pub async fn expire_due_accounts(db: &Db, policy: LoyaltySettings) -> Result<usize, ApiError> {
    let who = Who {
        actor: "system:expiry".into(),
        request_id: cid_kit::trace::request_id(None),
    };
    let mut settled = 0;
    loop {
        let now = Utc::now().naive_utc();
        let due = db
            .query(move |c| accounts::due_for_expiry(c, now, BATCH))
            .await?;
        let count = due.len();
        for id in due {
            let who = who.clone();
            db.write(move |c| {
                ops::settle_expiry(c, &policy, &id, &who, now).map_err(ApiError::from)
            })
            .await?;
        }
        settled += count;
        if count < BATCH as usize {
            return Ok(settled);
        }
    }
}

pub fn expiry_job(policy: LoyaltySettings) -> Job {
    Job {
        name: "expire due loyalty points",
        every: Duration::from_secs(policy.expiry_sweep_secs.max(1)),
        run: Arc::new(move |db: Db| {
            Box::pin(async move { expire_due_accounts(&db, policy).await })
        }),
    }
}
