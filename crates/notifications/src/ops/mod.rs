//! Use cases of the notifications service: one transaction each (the customer's row locked
//! first), the clock passed in, rows out.

pub mod events;
pub mod send;

use chrono::NaiveDateTime;
use cid_kit::DbConnection;
use diesel::QueryResult;

use crate::domain::{Change, Preferences};
use crate::store::{self, Row};

/// Applies `change` to the customer's preferences (the defaults when they have none yet);
/// returns them before and after.
pub fn change_preferences(
    conn: &mut DbConnection,
    customer: &str,
    defaults: &Preferences,
    change: &Change,
    now: NaiveDateTime,
) -> QueryResult<(Preferences, Row)> {
    let current = store::lock(conn, &Row::new(customer, defaults, now))?;
    let before = current.preferences();
    let next = Row::new(customer, &change.apply(&before), now);
    store::save(conn, &next)?;
    Ok((before, next))
}
