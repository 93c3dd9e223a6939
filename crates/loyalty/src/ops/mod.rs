//! The use cases: each runs inside one write transaction that first locks the account, so
//! concurrent writers of one account are serialized and the ledger always sums to the
//! balance.

pub mod account;
pub mod milestones;

pub use account::{Snapshot, snapshot, snapshot_pipelined};

use chrono::NaiveDateTime;
use cid_common::contracts::events::types;
use cid_kit::{DbConnection, events};
use serde_json::{Value, json};

use crate::LoyaltySettings;
use crate::domain::earn::EarnType;
use crate::domain::entry::EntryType;
use crate::domain::lots::allocate;
use crate::domain::tier::{self, Standing, Tier};
use crate::error::LoyaltyError;
use crate::store::accounts::{self, Account, AccountChangeset};
use crate::store::entries::{self, Entry, NewEntry};

/// Who is acting, for the ledger's `actor` and `request_id`.
#[derive(Debug, Clone)]
pub struct Who {
    pub actor: String,
    pub request_id: String,
}

/// A validated earning.
#[derive(Debug, Clone)]
pub struct Earning {
    pub earn_type: EarnType,
    pub points: i64,
    pub reason: String,
    pub order_id: Option<String>,
    pub purchase_amount_minor: Option<i64>,
    pub currency: Option<String>,
}

/// What a reversal undoes.
#[derive(Debug, Clone)]
pub enum ReversalTarget {
    Order(String),
    Entry(i64),
}

/// The result of a movement: its entry and the account after it.
#[derive(Debug, Clone)]
pub struct Movement {
    pub entry: Entry,
    pub balance: i64,
    pub tier: Tier,
    pub previous_tier: Tier,
    pub expired: Vec<Entry>,
}

/// One movement's points as stored: validation caps a movement at 1,000,000.
fn small(points: i64) -> Result<i32, LoyaltyError> {
    i32::try_from(points)
        .map_err(|_| cid_kit::ApiError::internal("movement exceeds INTEGER").into())
}

struct Working {
    account: Account,
    now: NaiveDateTime,
}

impl Working {
    fn entry(
        &self,
        entry_type: EntryType,
        points: i64,
        reason: String,
        who: &Who,
    ) -> Result<NewEntry, LoyaltyError> {
        Ok(NewEntry {
            customer_id: self.account.customer_id.clone(),
            entry_type,
            points: small(points)?,
            balance_after: self.account.points + points,
            remaining: 0,
            expires_at: None,
            reason,
            order_id: None,
            reward_id: None,
            related_entry_id: None,
            purchase_amount_minor: None,
            currency: None,
            actor: who.actor.clone(),
            request_id: Some(who.request_id.clone()),
            created_at: self.now,
        })
    }

    /// Emits a domain event about this account, in the movement's transaction.
    fn emit(
        &self,
        conn: &mut DbConnection,
        kind: &str,
        data: Value,
        who: &Who,
    ) -> Result<(), LoyaltyError> {
        let customer = &self.account.customer_id;
        events::record(conn, kind, customer, data, Some(&who.request_id), self.now)?;
        Ok(())
    }

    fn record(&mut self, conn: &mut DbConnection, new: &NewEntry) -> Result<Entry, LoyaltyError> {
        let entry = entries::insert(conn, new)?;
        self.account.points = entry.balance_after;
        Ok(entry)
    }
}

fn begin(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
    who: &Who,
) -> Result<(Working, Vec<Entry>), LoyaltyError> {
    let account = accounts::lock(conn, customer, now)?;
    let mut w = Working { account, now };
    let expired = expire_due(conn, &mut w, who)?;
    Ok((w, expired))
}

/// Closes every lot whose expiry has passed, one `expire` entry per lot.
fn expire_due(
    conn: &mut DbConnection,
    w: &mut Working,
    who: &Who,
) -> Result<Vec<Entry>, LoyaltyError> {
    let mut written = Vec::new();
    for lot in entries::due_lots(conn, &w.account.customer_id, w.now)? {
        entries::take_from_lot(conn, lot.id, lot.remaining)?;
        let mut new = w.entry(
            EntryType::Expire,
            -i64::from(lot.remaining),
            format!(
                "Points earned {} expired",
                lot.created_at.format("%Y-%m-%d")
            ),
            who,
        )?;
        new.related_entry_id = Some(lot.id);
        written.push(w.record(conn, &new)?);
    }
    let points: i64 = written.iter().map(|e| -i64::from(e.points)).sum();
    if points > 0 {
        let data = json!({"points": points, "balance": w.account.points});
        w.emit(conn, types::POINTS_EXPIRED, data, who)?;
    }
    Ok(written)
}

/// Re-evaluates the tier and stores the account; returns the tier before and after (and
/// emits `loyalty.tier_changed` when they differ).
fn finish(
    conn: &mut DbConnection,
    w: &Working,
    policy: &LoyaltySettings,
    who: &Who,
) -> Result<(Tier, Tier), LoyaltyError> {
    let a = &w.account;
    let before = Standing {
        tier: a.tier,
        since: a.tier_since,
    };
    let (qualifying, oldest) =
        entries::qualifying_since(conn, &a.customer_id, policy.window_start(w.now))?;
    let after = tier::evaluate(before, qualifying, w.now, policy.tier_grace_months);
    let next_expiry = entries::next_expiry(conn, &a.customer_id)?;
    accounts::update(
        conn,
        &a.customer_id,
        &AccountChangeset {
            points: a.points,
            lifetime_points: a.lifetime_points,
            tier: after.tier.as_str(),
            tier_since: after.since,
            total_spent_minor: a.total_spent_minor,
            next_expiry_at: next_expiry.map(|(_, at)| at),
            next_expiry_points: next_expiry.map_or(0, |(points, _)| points),
            qualifying_points: qualifying,
            qualifying_until: oldest.and_then(|o| policy.basis_valid_until(o)),
            updated_at: w.now,
        },
    )?;
    if after.tier != before.tier {
        let direction = if after.tier > before.tier {
            "upgrade"
        } else {
            "downgrade"
        };
        let data = json!({"from": before.tier.as_str(), "to": after.tier.as_str(), "direction": direction});
        w.emit(conn, types::TIER_CHANGED, data, who)?;
    }
    Ok((before.tier, after.tier))
}

fn movement(entry: Entry, w: &Working, tiers: (Tier, Tier), expired: Vec<Entry>) -> Movement {
    Movement {
        entry,
        balance: w.account.points,
        previous_tier: tiers.0,
        tier: tiers.1,
        expired,
    }
}

pub fn earn(
    conn: &mut DbConnection,
    policy: &LoyaltySettings,
    customer: &str,
    earning: &Earning,
    who: &Who,
    now: NaiveDateTime,
) -> Result<Movement, LoyaltyError> {
    let (mut w, expired) = begin(conn, customer, now, who)?;
    if let Some(order) = &earning.order_id
        && entries::by_order(conn, customer, order)?.is_some()
    {
        return Err(LoyaltyError::OrderAlreadyCredited(order.clone()));
    }
    let mut new = w.entry(
        EntryType::from(earning.earn_type),
        earning.points,
        earning.reason.clone(),
        who,
    )?;
    // A negative balance (left by a reversal of spent points) is paid back first.
    new.remaining = small(earning.points.min(new.balance_after.max(0)))?;
    new.expires_at = Some(policy.expiry(now));
    new.order_id = earning.order_id.clone();
    new.purchase_amount_minor = earning.purchase_amount_minor;
    new.currency = earning.currency.clone();
    let entry = w.record(conn, &new)?;
    w.account.lifetime_points += earning.points;
    w.account.total_spent_minor += earning.purchase_amount_minor.unwrap_or(0);
    let data = json!({"points": earning.points, "balance": w.account.points,
        "earnType": earning.earn_type, "orderId": earning.order_id, "entryId": entry.id});
    w.emit(conn, types::POINTS_EARNED, data, who)?;
    let tiers = finish(conn, &w, policy, who)?;
    Ok(movement(entry, &w, tiers, expired))
}

pub fn redeem(
    conn: &mut DbConnection,
    policy: &LoyaltySettings,
    customer: &str,
    points: i64,
    reward_id: &str,
    who: &Who,
    now: NaiveDateTime,
) -> Result<Movement, LoyaltyError> {
    let (mut w, expired) = begin(conn, customer, now, who)?;
    if w.account.points < points {
        return Err(LoyaltyError::InsufficientPoints {
            balance: w.account.points,
            requested: points,
        });
    }
    let (takes, _) = allocate(&entries::open_lots(conn, customer)?, points, None);
    for (lot, take) in takes {
        entries::take_from_lot(conn, lot, small(take)?)?;
    }
    let mut new = w.entry(
        EntryType::Redeem,
        -points,
        format!("Redeemed for reward {reward_id}"),
        who,
    )?;
    new.reward_id = Some(reward_id.to_owned());
    let entry = w.record(conn, &new)?;
    let data = json!({"points": points, "balance": w.account.points, "rewardId": reward_id,
        "entryId": entry.id});
    w.emit(conn, types::POINTS_REDEEMED, data, who)?;
    let tiers = finish(conn, &w, policy, who)?;
    Ok(movement(entry, &w, tiers, expired))
}

/// Undoes an earning once. Points of it that already expired are not taken again; points
/// already spent are, and may leave the balance negative until new earnings cover it.
pub fn reverse(
    conn: &mut DbConnection,
    policy: &LoyaltySettings,
    customer: &str,
    target: &ReversalTarget,
    reason: &str,
    who: &Who,
    now: NaiveDateTime,
) -> Result<Movement, LoyaltyError> {
    let (mut w, expired) = begin(conn, customer, now, who)?;
    let (order, id) = match target {
        ReversalTarget::Order(o) => (Some(o.as_str()), None),
        ReversalTarget::Entry(id) => (None, Some(*id)),
    };
    let original =
        entries::find_earning(conn, customer, order, id)?.ok_or(LoyaltyError::EntryNotFound)?;
    if entries::reversal_of(conn, original.id)?.is_some() {
        return Err(LoyaltyError::AlreadyReversed);
    }
    let amount = i64::from(original.points) - entries::expired_from(conn, original.id)?;
    let (takes, _) = allocate(
        &entries::open_lots(conn, customer)?,
        amount,
        Some(original.id),
    );
    for (lot, take) in takes {
        entries::take_from_lot(conn, lot, small(take)?)?;
    }
    let mut new = w.entry(EntryType::Reversal, -amount, reason.to_owned(), who)?;
    new.related_entry_id = Some(original.id);
    let entry = w.record(conn, &new)?;
    let data = json!({"points": amount, "balance": w.account.points, "reason": reason,
        "entryId": entry.id, "reversedEntryId": original.id, "orderId": original.order_id});
    w.emit(conn, types::POINTS_REVERSED, data, who)?;
    w.account.lifetime_points -= i64::from(original.points);
    w.account.total_spent_minor -= original.purchase_amount_minor.unwrap_or(0);
    let tiers = finish(conn, &w, policy, who)?;
    Ok(movement(entry, &w, tiers, expired))
}

/// Expires due lots of one account (used before reading an account that has some).
pub fn settle_expiry(
    conn: &mut DbConnection,
    policy: &LoyaltySettings,
    customer: &str,
    who: &Who,
    now: NaiveDateTime,
) -> Result<(), LoyaltyError> {
    let (w, _) = begin(conn, customer, now, who)?;
    finish(conn, &w, policy, who)?;
    Ok(())
}
