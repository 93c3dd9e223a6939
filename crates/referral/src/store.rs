//! Diesel queries of the referral service. Functions return `QueryResult` and never see HTTP.

use chrono::NaiveDateTime;
use cid_kit::DbConnection;
use diesel::prelude::*;

use crate::domain::ReferralStatus;
use crate::schema::{referral_codes as rc, referrals as r};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rc)]
pub struct Code {
    pub code: String,
    pub customer_id: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct Referral {
    pub id: i64,
    pub referrer_id: String,
    pub referee_id: String,
    pub code: String,
    #[diesel(deserialize_as = String)]
    pub status: ReferralStatus,
    pub referrer_points: i32,
    pub referee_points: i32,
    pub signed_up_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = r)]
pub struct NewReferral<'a> {
    pub referrer_id: &'a str,
    pub referee_id: &'a str,
    pub code: &'a str,
    #[diesel(serialize_as = String)]
    pub status: ReferralStatus,
    pub referrer_points: i32,
    pub referee_points: i32,
    pub signed_up_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn active_code(conn: &mut DbConnection, customer: &str) -> QueryResult<Option<Code>> {
    rc::table
        .filter(rc::customer_id.eq(customer))
        .filter(rc::active.eq(true))
        .select(Code::as_select())
        .first(conn)
        .optional()
}

pub fn code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Code>> {
    rc::table
        .find(code)
        .select(Code::as_select())
        .first(conn)
        .optional()
}

pub fn retire(conn: &mut DbConnection, customer: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        rc::table
            .filter(rc::customer_id.eq(customer))
            .filter(rc::active.eq(true)),
    )
    .set((rc::active.eq(false), rc::retired_at.eq(Some(now))))
    .execute(conn)
}

pub fn insert_code(
    conn: &mut DbConnection,
    code: &str,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(rc::table)
        .values((
            rc::code.eq(code),
            rc::customer_id.eq(customer),
            rc::active.eq(true),
            rc::created_at.eq(now),
        ))
        .execute(conn)
}

pub fn by_referee(conn: &mut DbConnection, referee: &str) -> QueryResult<Option<Referral>> {
    r::table
        .filter(r::referee_id.eq(referee))
        .select(Referral::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, new: NewReferral) -> QueryResult<Referral> {
    let referee = new.referee_id;
    diesel::insert_into(r::table).values(new).execute(conn)?;
    r::table
        .filter(r::referee_id.eq(referee))
        .select(Referral::as_select())
        .first(conn)
}

/// Completes a pending referral; `None` when it was no longer pending.
pub fn complete(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
    referrer: i32,
    referee: i32,
) -> QueryResult<Option<Referral>> {
    let pending = ReferralStatus::Pending.as_str();
    let changed = diesel::update(r::table.find(id).filter(r::status.eq(pending)))
        .set((
            r::status.eq(ReferralStatus::Completed.as_str()),
            r::completed_at.eq(Some(now)),
            r::referrer_points.eq(referrer),
            r::referee_points.eq(referee),
        ))
        .execute(conn)?;
    // Zero rows: a concurrent track completed it first (and paid); this one must say so.
    if changed == 0 {
        return Ok(None);
    }
    r::table
        .find(id)
        .select(Referral::as_select())
        .first(conn)
        .map(Some)
}

/// A referrer's referrals, newest first, after the cursor `before`.
pub fn page(
    conn: &mut DbConnection,
    referrer: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Referral>> {
    let mut q = r::table
        .filter(r::referrer_id.eq(referrer))
        .order(r::id.desc())
        .limit(limit)
        .select(Referral::as_select())
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(r::id.lt(before));
    }
    q.load(conn)
}

/// `(status, count, referrer points, latest signup)`.
pub type StatusSummary = (String, i64, Option<i64>, Option<NaiveDateTime>);

/// One [`StatusSummary`] per status of a referrer's referrals.
pub fn summary(conn: &mut DbConnection, referrer: &str) -> QueryResult<Vec<StatusSummary>> {
    r::table
        .filter(r::referrer_id.eq(referrer))
        .group_by(r::status)
        .select((
            r::status,
            diesel::dsl::count_star(),
            diesel::dsl::sum(r::referrer_points),
            diesel::dsl::max(r::signed_up_at),
        ))
        .load(conn)
}
