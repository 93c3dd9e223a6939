//! Diesel queries of the rewards service. Functions return `QueryResult` and never see HTTP.

use chrono::{NaiveDate, NaiveDateTime};
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::domain::catalog::Kind;

use crate::schema::reward_instances as ri;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ri)]
pub struct Instance {
    pub id: i64,
    pub reward_id: String,
    pub customer_id: String,
    #[diesel(deserialize_as = String)]
    pub reward_type: Kind,
    pub occurrence: String,
    pub name_en: String,
    pub name_ar: String,
    pub points: i32,
    pub discount_percent: i32,
    pub special_date: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub claimed_at: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ri)]
pub struct NewInstance<'a> {
    pub reward_id: String,
    pub customer_id: &'a str,
    pub reward_type: &'a str,
    pub occurrence: &'a str,
    pub name_en: &'a str,
    pub name_ar: &'a str,
    pub points: i32,
    pub discount_percent: i32,
    pub special_date: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// All of a customer's instances, by window start.
pub fn for_customer(conn: &mut DbConnection, customer: &str) -> QueryResult<Vec<Instance>> {
    ri::table
        .filter(ri::customer_id.eq(customer))
        .order((ri::valid_from.asc(), ri::id.asc()))
        .select(Instance::as_select())
        .load(conn)
}

pub fn by_reward_id(conn: &mut DbConnection, reward_id: &str) -> QueryResult<Option<Instance>> {
    ri::table
        .filter(ri::reward_id.eq(reward_id))
        .select(Instance::as_select())
        .first(conn)
        .optional()
}

/// Issues an instance unless the customer already has this type and occurrence (a
/// concurrent reader may have issued it first: the unique index decides).
pub fn insert_missing(conn: &mut DbConnection, new: &NewInstance) -> QueryResult<usize> {
    with_backend!(conn, |c| diesel::insert_into(ri::table)
        .values(new)
        .on_conflict_do_nothing()
        .execute(c))
}

/// Moves an unclaimed instance that has not opened yet to new dates.
pub fn move_dates(
    conn: &mut DbConnection,
    id: i64,
    (special, from, until): (NaiveDate, NaiveDate, NaiveDate),
    today: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        ri::table
            .find(id)
            .filter(ri::claimed_at.is_null())
            .filter(ri::valid_from.gt(today)),
    )
    .set((
        ri::special_date.eq(special),
        ri::valid_from.eq(from),
        ri::valid_until.eq(until),
        ri::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Marks an instance claimed unless it already is: 1 for the one claim that wins.
pub fn claim(
    conn: &mut DbConnection,
    id: i64,
    actor: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(ri::table.find(id).filter(ri::claimed_at.is_null()))
        .set((
            ri::claimed_at.eq(Some(now)),
            ri::claimed_by.eq(Some(actor)),
            ri::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Claimed or expired instances, newest first, after the cursor `before`.
pub fn history(
    conn: &mut DbConnection,
    customer: &str,
    today: NaiveDate,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Instance>> {
    let mut q = ri::table
        .filter(ri::customer_id.eq(customer))
        .filter(ri::claimed_at.is_not_null().or(ri::valid_until.lt(today)))
        .order(ri::id.desc())
        .limit(limit)
        .select(Instance::as_select())
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(ri::id.lt(before));
    }
    q.load(conn)
}
