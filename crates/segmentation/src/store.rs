//! Diesel queries of the segmentation service. Functions return `QueryResult` and never see
//! HTTP.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::domain::{Segment, Source};
use crate::schema::{segment_assignments as a, segment_changes as ch};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = a)]
pub struct Assignment {
    pub customer_id: String,
    #[diesel(deserialize_as = String)]
    pub segment: Segment,
    #[diesel(deserialize_as = String)]
    pub source: Source,
    pub reason: Option<String>,
    pub metrics: String,
    pub spent_last_year_minor: i64,
    pub assigned_at: NaiveDateTime,
    pub computed_at: NaiveDateTime,
    pub version: i64,
}

/// What an assignment is set to.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = a, treat_none_as_null = true)]
pub struct AssignmentChangeset {
    pub segment: String,
    pub source: String,
    pub reason: Option<String>,
    pub metrics: String,
    pub spent_last_year_minor: i64,
    pub assigned_at: NaiveDateTime,
    pub computed_at: NaiveDateTime,
}

/// One change of a customer's segment.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ch)]
pub struct NewChange<'a> {
    pub customer_id: &'a str,
    pub from_segment: Option<&'a str>,
    pub to_segment: &'a str,
    pub source: &'a str,
    pub reason: Option<&'a str>,
    pub metrics: &'a str,
    pub actor: &'a str,
    pub changed_at: NaiveDateTime,
}

/// On the backend's own connection (`with_backend!`): it is on every read of a segment.
pub fn find(conn: &mut DbConnection, customer: &str) -> QueryResult<Option<Assignment>> {
    with_backend!(conn, |c| a::table
        .find(customer)
        .select(Assignment::as_select())
        .first(c)
        .optional())
}

/// Creates the customer's assignment with `first` if they have none (returns whether it did),
/// then takes its row lock for the rest of the transaction.
pub fn lock(
    conn: &mut DbConnection,
    customer: &str,
    first: &AssignmentChangeset,
) -> QueryResult<(bool, Assignment)> {
    let created = with_backend!(conn, |c| diesel::insert_into(a::table)
        .values((
            a::customer_id.eq(customer),
            a::segment.eq(&first.segment),
            a::source.eq(&first.source),
            a::reason.eq(&first.reason),
            a::metrics.eq(&first.metrics),
            a::spent_last_year_minor.eq(first.spent_last_year_minor),
            a::assigned_at.eq(first.assigned_at),
            a::computed_at.eq(first.computed_at),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    let locked = with_backend!(conn, |c| diesel::update(a::table.find(customer))
        .set(a::version.eq(a::version + 1))
        .returning(Assignment::as_returning())
        .get_result(c))?;
    Ok((created == 1, locked))
}

pub fn update(
    conn: &mut DbConnection,
    customer: &str,
    changes: &AssignmentChangeset,
) -> QueryResult<Assignment> {
    diesel::update(a::table.find(customer))
        .set(changes)
        .execute(conn)?;
    a::table
        .find(customer)
        .select(Assignment::as_select())
        .first(conn)
}

pub fn insert_change(conn: &mut DbConnection, change: &NewChange) -> QueryResult<usize> {
    diesel::insert_into(ch::table).values(change).execute(conn)
}

/// `(segment, members)` of every segment with members.
pub fn members(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    a::table
        .group_by(a::segment)
        .select((a::segment, diesel::dsl::count_star()))
        .load(conn)
}

/// `(members, total 12-month spend in halalas)` of one segment.
pub fn segment_totals(conn: &mut DbConnection, segment: Segment) -> QueryResult<(i64, i64)> {
    a::table
        .filter(a::segment.eq(segment.as_str()))
        .select((
            diesel::dsl::count_star(),
            sql::<BigInt>("CAST(COALESCE(SUM(spent_last_year_minor), 0) AS BIGINT)"),
        ))
        .first(conn)
}

/// Customers whose assignment was last computed before `before`, oldest first.
pub fn stale(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    a::table
        .filter(a::computed_at.lt(before))
        .order(a::computed_at.asc())
        .limit(limit)
        .select(a::customer_id)
        .load(conn)
}
