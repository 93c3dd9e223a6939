//! Use cases of the registry: one transaction each, the clock passed in, rows out.

use chrono::{Datelike, NaiveDateTime};
use cid_common::contracts::events::types;
use cid_kit::{DbConnection, events};
use diesel::QueryResult;
use serde_json::json;

use crate::domain::ids;
use crate::error::CustomersError;
use crate::store::{self, Customer, NewCustomer, ProfileChangeset};

/// Registers `new` and gives it its IDs: the row's sequence number in every format, so IDs
/// never collide across user types. A user already registered is `Exists`. Emits
/// `customers.created`.
pub fn register(
    conn: &mut DbConnection,
    new: NewCustomer,
    prefix: &str,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Customer, CustomersError> {
    if let Some(existing) = store::by_user(conn, &new.user_id)? {
        return Err(CustomersError::Exists {
            user_id: new.user_id.clone(),
            customer_id: existing.customer_id,
        });
    }
    let n = store::insert(conn, &new)?;
    let f = ids::formats(prefix, now.year(), n);
    let customer = store::set_ids(conn, n, &f.standard, &f.short)?;
    let data = json!({"shortId": customer.short_id, "userType": customer.user_type.as_str()});
    events::record(
        conn,
        types::CUSTOMER_CREATED,
        &customer.customer_id,
        data,
        Some(request_id),
        now,
    )?;
    Ok(customer)
}

/// Changes the profile fields given; a deactivated customer is `Inactive`.
pub fn update_profile(
    conn: &mut DbConnection,
    customer: &Customer,
    changes: &ProfileChangeset,
) -> Result<Customer, CustomersError> {
    if !customer.active {
        return Err(CustomersError::Inactive(customer.customer_id.clone()));
    }
    Ok(store::update_profile(conn, customer.id, changes)?)
}

/// Deactivates (never erases) a customer; the ID is never reused. Emits
/// `customers.deactivated` the first time.
pub fn deactivate(
    conn: &mut DbConnection,
    customer: &Customer,
    request_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Customer> {
    let done = store::deactivate(conn, customer.id, now)?;
    if customer.active {
        events::record(
            conn,
            types::CUSTOMER_DEACTIVATED,
            &done.customer_id,
            json!({}),
            Some(request_id),
            now,
        )?;
    }
    Ok(done)
}

/// Customers counted by user type and state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// `(user type, active, count)`.
    pub counts: Vec<(String, bool, i64)>,
}

pub fn stats(conn: &mut DbConnection) -> QueryResult<Stats> {
    Ok(Stats {
        counts: store::counts(conn)?,
    })
}
