//! Use cases of the referral service: one transaction each, the clock passed in, rows out.

use chrono::NaiveDateTime;
use cid_common::contracts::events::types;
use cid_common::contracts::loyalty::{Credit, EarnType};
use cid_kit::outbox::{self, Message};
use cid_kit::{ApiError, DbConnection, events};
use diesel::QueryResult;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use crate::domain::{
    self, Action, Event, Existing, REFEREE_POINTS, REFERRER_POINTS, ReferralStatus, Refusal,
};
use crate::error::ReferralError;
use crate::store::{self, Code, NewReferral, Referral};

/// The customer's active code, issuing one on first use or when `regenerate` retires it.
pub fn issue_code(
    conn: &mut DbConnection,
    customer: &str,
    regenerate: bool,
    now: NaiveDateTime,
) -> Result<Code, ApiError> {
    if let Some(code) = store::active_code(conn, customer)?
        && !regenerate
    {
        return Ok(code);
    }
    store::retire(conn, customer, now)?;
    // 40 random bits: a clash is rare, but the primary key decides.
    for _ in 0..5 {
        let code = domain::new_code();
        if store::code(conn, &code)?.is_none() {
            store::insert_code(conn, &code, customer, now)?;
            return store::active_code(conn, customer)?
                .ok_or_else(|| ApiError::internal("code vanished"));
        }
    }
    Err(ApiError::internal("no free referral code after 5 tries"))
}

/// A referrer's referrals counted by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: i64,
    pub completed: i64,
    pub pending: i64,
    /// Points paid to the referrer.
    pub points: i64,
    pub last: Option<NaiveDateTime>,
}

pub fn summary(conn: &mut DbConnection, referrer: &str) -> QueryResult<Summary> {
    let mut s = Summary::default();
    for (status, count, points, latest) in store::summary(conn, referrer)? {
        s.total += count;
        s.points += points.unwrap_or(0);
        if ReferralStatus::parse(&status) == Some(ReferralStatus::Completed) {
            s.completed += count;
        } else {
            s.pending += count;
        }
        s.last = s.last.max(latest);
    }
    Ok(s)
}

/// Queues the referrer's and the referee's points for loyalty, once per referral and side,
/// and emits `referral.completed` (about the referrer).
fn payout(conn: &mut DbConnection, r: &Referral, now: NaiveDateTime) -> Result<(), ApiError> {
    let data = json!({"referralId": r.id, "refereeId": r.referee_id, "points": REFERRER_POINTS,
        "refereePoints": REFEREE_POINTS});
    events::record(
        conn,
        types::REFERRAL_COMPLETED,
        &r.referrer_id,
        data,
        None,
        now,
    )?;
    for (customer, points, reason, side) in [
        (
            &r.referrer_id,
            REFERRER_POINTS,
            format!("Referral: {} made a first purchase", r.referee_id),
            "referrer",
        ),
        (
            &r.referee_id,
            REFEREE_POINTS,
            "Welcome bonus for joining through a referral".to_owned(),
            "referee",
        ),
    ] {
        let credit = Credit {
            points: i64::from(points),
            reason,
            earn_type: EarnType::Referral,
            order_id: None,
        };
        let message = Message::credit(customer, &credit, format!("referral:{}:{side}", r.id))
            .map_err(ApiError::internal)?;
        outbox::enqueue(conn, &message, now)?;
    }
    Ok(())
}

/// Records `event` for `referee` through `referrer`'s `code` (both standard IDs); a
/// completion queues both payouts in the same transaction.
pub fn track(
    conn: &mut DbConnection,
    referrer: &str,
    referee: &str,
    code: &str,
    event: Event,
    now: NaiveDateTime,
) -> Result<Referral, ReferralError> {
    store::code(conn, code)?
        .filter(|c| c.active && c.customer_id == referrer)
        .ok_or_else(|| ReferralError::CodeNotFound(code.to_owned()))?;
    let known = store::by_referee(conn, referee)?;
    let existing = known.as_ref().map(|r| Existing {
        id: r.id,
        referrer_id: r.referrer_id.clone(),
        completed: r.status == ReferralStatus::Completed,
    });
    let action = domain::decide(referrer, referee, existing.as_ref(), event).map_err(
        |refusal| match refusal {
            Refusal::SelfReferral => ReferralError::SelfReferral,
            Refusal::AlreadyReferred => ReferralError::AlreadyReferred(referee.to_owned()),
            Refusal::AlreadyCompleted => ReferralError::Completed(referee.to_owned()),
        },
    )?;
    let referral = match action {
        Action::CreatePending => record(conn, (referrer, referee, code), false, now)?,
        Action::CreateCompleted => {
            let r = record(conn, (referrer, referee, code), true, now)?;
            payout(conn, &r, now)?;
            r
        }
        Action::Complete(id) => {
            let r = store::complete(conn, id, now, REFERRER_POINTS, REFEREE_POINTS)?
                .ok_or_else(|| ReferralError::Completed(referee.to_owned()))?;
            payout(conn, &r, now)?;
            r
        }
        Action::Unchanged(_) => known.ok_or_else(|| ApiError::internal("referral vanished"))?,
    };
    Ok(referral)
}

/// A new referral of `referee` by `referrer` through `code`, completed (and so paid) or
/// pending.
fn record(
    conn: &mut DbConnection,
    (referrer, referee, code): (&str, &str, &str),
    completed: bool,
    now: NaiveDateTime,
) -> Result<Referral, ReferralError> {
    let new = NewReferral {
        referrer_id: referrer,
        referee_id: referee,
        code,
        status: if completed {
            ReferralStatus::Completed
        } else {
            ReferralStatus::Pending
        },
        referrer_points: if completed { REFERRER_POINTS } else { 0 },
        referee_points: if completed { REFEREE_POINTS } else { 0 },
        signed_up_at: now,
        completed_at: completed.then_some(now),
        created_at: now,
    };
    store::insert(conn, new).map_err(|e| match e {
        // A concurrent track for the same referee won the unique index.
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            ReferralError::AlreadyReferred(referee.to_owned())
        }
        other => other.into(),
    })
}
