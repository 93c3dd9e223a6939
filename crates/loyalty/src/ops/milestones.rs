//! Milestones reached (first and tenth purchase, 1,000 lifetime points) and when, as the
//! special-date rewards read them.

use std::collections::HashSet;

use cid_common::contracts::loyalty::{Milestone, Milestones};
use cid_common::time::rfc3339;
use cid_kit::DbConnection;
use diesel::QueryResult;

use crate::domain::entry::EntryType;
use crate::domain::milestones;
use crate::store::{accounts, entries};

/// The milestones `customer` (standard ID) reached; reversed earnings do not count.
pub fn reached(conn: &mut DbConnection, customer: &str) -> QueryResult<Milestones> {
    let reversed: HashSet<i64> = entries::reversed_ids(conn, customer)?.into_iter().collect();
    let (purchase_limit, earning_limit) = milestones::load_limits(reversed.len());
    let purchases = entries::earnings(conn, customer, Some(EntryType::Purchase), purchase_limit)?;
    let earnings = entries::earnings(conn, customer, None, earning_limit)?;
    let lifetime_points = accounts::find(conn, customer)?.map_or(0, |a| a.lifetime_points);
    Ok(Milestones {
        milestones: milestones::reached(&purchases, &earnings, &reversed)
            .into_iter()
            .map(|(key, at)| Milestone {
                milestone: key.to_owned(),
                reached_at: rfc3339(at),
            })
            .collect(),
        customer_id: customer.to_owned(),
        lifetime_points,
    })
}
