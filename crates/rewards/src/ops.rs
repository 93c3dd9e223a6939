//! Use cases of the rewards service: one transaction each, the clock passed in, rows out.

use chrono::{NaiveDate, NaiveDateTime};
use cid_common::contracts::events::types;
use cid_common::contracts::loyalty::Credit;
use cid_kit::outbox::{self, Message};
use cid_kit::{ApiError, DbConnection, events};
use serde_json::json;

use crate::domain::occurrences::{self, Change, Status};
use crate::error::RewardsError;
use crate::store::{self, Instance, NewInstance};

/// Issues and moves the customer's instances as `changes` say, then reads them all.
pub fn issue(
    conn: &mut DbConnection,
    customer: &str,
    changes: &[Change],
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<Vec<Instance>, ApiError> {
    for change in changes {
        match change {
            Change::Insert(d) => {
                store::insert_missing(
                    conn,
                    &NewInstance {
                        reward_id: uuid::Uuid::now_v7().to_string(),
                        customer_id: customer,
                        reward_type: d.kind.as_str(),
                        occurrence: &d.occurrence,
                        name_en: &d.name_en,
                        name_ar: &d.name_ar,
                        points: d.points,
                        discount_percent: d.discount_percent,
                        special_date: d.special_date,
                        valid_from: d.valid_from,
                        valid_until: d.valid_until,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
            }
            Change::Move { id, to } => {
                store::move_dates(
                    conn,
                    *id,
                    (to.special_date, to.valid_from, to.valid_until),
                    today,
                    now,
                )?;
            }
        }
    }
    store::for_customer(conn, customer).map_err(ApiError::from)
}

/// Claims the customer's reward if it is open, once, and queues its points for loyalty in
/// the same transaction; returns the claimed instance.
pub fn claim(
    conn: &mut DbConnection,
    customer: &str,
    reward_id: &str,
    actor: &str,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<Instance, RewardsError> {
    let found = store::by_reward_id(conn, reward_id)?
        .filter(|i| i.customer_id == customer)
        .ok_or_else(|| RewardsError::NotFound(reward_id.to_owned()))?;
    match occurrences::status(
        found.claimed_at.is_some(),
        found.valid_from,
        found.valid_until,
        today,
    ) {
        Status::Claimed => return Err(RewardsError::AlreadyClaimed(reward_id.to_owned())),
        Status::Upcoming => {
            return Err(RewardsError::NotYet(reward_id.to_owned(), found.valid_from));
        }
        Status::Expired => {
            return Err(RewardsError::Expired(
                reward_id.to_owned(),
                found.valid_until,
            ));
        }
        Status::Available => {}
    }
    // A concurrent claim may have won since the read: the conditional update decides.
    if store::claim(conn, found.id, actor, now)? == 0 {
        return Err(RewardsError::AlreadyClaimed(reward_id.to_owned()));
    }
    let kind = found.reward_type;
    let credit = Credit {
        points: i64::from(found.points),
        reason: format!("{} ({})", found.name_en, found.occurrence),
        earn_type: kind.earn_type(),
        order_id: None,
    };
    let message = Message::credit(customer, &credit, format!("reward-claim:{reward_id}"))
        .map_err(ApiError::internal)?;
    outbox::enqueue(conn, &message, now)?;
    let data = json!({"rewardId": reward_id, "type": kind.as_str(), "name": found.name_en,
        "points": found.points, "occurrence": found.occurrence});
    events::record(conn, types::REWARD_CLAIMED, customer, data, None, now)?;
    let claimed = store::by_reward_id(conn, reward_id)?
        .ok_or_else(|| ApiError::internal("claimed reward vanished"))?;
    Ok(claimed)
}
