//! Diesel queries of the security service: rows in, rows out, no rules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use cid_kit::DbConnection;

use crate::schema::{code_failures as f, recovery_codes as r, security_profiles as p};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = p)]
pub struct Profile {
    pub customer_id: String,
    pub two_factor_enabled: bool,
    pub totp_key_id: Option<String>,
    pub totp_sealed: Option<String>,
    pub totp_last_step: Option<i64>,
    pub enabled_at: Option<NaiveDateTime>,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub last_login_country: Option<String>,
    pub reports: i32,
}

/// Takes the customer's profile row lock for the rest of the transaction: two codes checked at
/// once are checked one after the other, so one step or recovery code is accepted once.
pub fn lock_profile(conn: &mut DbConnection, customer: &str) -> QueryResult<Option<Profile>> {
    let mine = p::customer_id.eq(customer);
    match conn {
        DbConnection::Pg(c) => p::table
            .filter(mine)
            .select(Profile::as_select())
            .for_update()
            .first(c)
            .optional(),
        // SQLite: the kit serializes in-process writers, so the read is already exclusive.
        DbConnection::Sqlite(c) => p::table
            .filter(mine)
            .select(Profile::as_select())
            .first(c)
            .optional(),
    }
}

pub fn profile(conn: &mut DbConnection, customer: &str) -> QueryResult<Option<Profile>> {
    p::table
        .filter(p::customer_id.eq(customer))
        .select(Profile::as_select())
        .first(conn)
        .optional()
}

/// Creates the profile if it is missing (two first enrollments at once make one).
pub fn ensure_profile(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        p::customer_id.eq(customer),
        p::two_factor_enabled.eq(false),
        p::created_at.eq(now),
        p::updated_at.eq(now),
    );
    cid_kit::with_backend!(conn, |c| diesel::insert_into(p::table)
        .values(row)
        .on_conflict(p::customer_id)
        .do_nothing()
        .execute(c))?;
    Ok(())
}

/// A pending (not yet confirmed) secret replaces any earlier one.
pub fn set_pending_secret(
    conn: &mut DbConnection,
    customer: &str,
    key_id: &str,
    sealed: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::customer_id.eq(customer)))
        .set((
            p::totp_key_id.eq(key_id),
            p::totp_sealed.eq(sealed),
            p::totp_last_step.eq(None::<i64>),
            p::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Replaces the sealed secret (the same secret under another key); the step stays.
pub fn reseal(
    conn: &mut DbConnection,
    customer: &str,
    key_id: &str,
    sealed: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::customer_id.eq(customer)))
        .set((
            p::totp_key_id.eq(key_id),
            p::totp_sealed.eq(sealed),
            p::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Records the step of an accepted code.
pub fn accept_step(
    conn: &mut DbConnection,
    customer: &str,
    step: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::customer_id.eq(customer)))
        .set((p::totp_last_step.eq(step), p::updated_at.eq(now)))
        .execute(conn)
}

pub fn set_enabled(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::customer_id.eq(customer)))
        .set((
            p::two_factor_enabled.eq(true),
            p::enabled_at.eq(now),
            p::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Turns 2FA off and forgets the secret.
pub fn set_disabled(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::customer_id.eq(customer)))
        .set((
            p::two_factor_enabled.eq(false),
            p::totp_key_id.eq(None::<String>),
            p::totp_sealed.eq(None::<String>),
            p::totp_last_step.eq(None::<i64>),
            p::enabled_at.eq(None::<NaiveDateTime>),
            p::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_locked_until(
    conn: &mut DbConnection,
    customer: &str,
    until: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::customer_id.eq(customer)))
        .set(p::locked_until.eq(until))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct RecoveryCode {
    pub id: i64,
    pub code_hash: String,
}

/// Replaces the customer's recovery codes with `hashes`.
pub fn replace_codes(
    conn: &mut DbConnection,
    customer: &str,
    hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(r::table.filter(r::customer_id.eq(customer))).execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|h| {
            (
                r::customer_id.eq(customer),
                r::code_hash.eq(h),
                r::created_at.eq(now),
            )
        })
        .collect();
    cid_kit::with_backend!(conn, |c| diesel::insert_into(r::table)
        .values(&rows)
        .execute(c))?;
    Ok(())
}

pub fn unused_codes(conn: &mut DbConnection, customer: &str) -> QueryResult<Vec<RecoveryCode>> {
    r::table
        .filter(r::customer_id.eq(customer).and(r::used_at.is_null()))
        .select(RecoveryCode::as_select())
        .load(conn)
}

pub fn count_unused_codes(conn: &mut DbConnection, customer: &str) -> QueryResult<i64> {
    r::table
        .filter(r::customer_id.eq(customer).and(r::used_at.is_null()))
        .count()
        .get_result(conn)
}

pub fn use_code(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(r::table.filter(r::id.eq(id).and(r::used_at.is_null())))
        .set(r::used_at.eq(now))
        .execute(conn)
}

pub fn add_failure(conn: &mut DbConnection, customer: &str, now: NaiveDateTime) -> QueryResult<()> {
    cid_kit::with_backend!(conn, |c| diesel::insert_into(f::table)
        .values((f::customer_id.eq(customer), f::failed_at.eq(now)))
        .execute(c))?;
    Ok(())
}

/// Wrong codes since `since` (the window, or the end of the last lock if later).
pub fn failures_since(
    conn: &mut DbConnection,
    customer: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    f::table
        .filter(f::customer_id.eq(customer).and(f::failed_at.gt(since)))
        .count()
        .get_result(conn)
}

/// Forgets wrong codes older than `before` (they no longer count toward a lock).
pub fn purge_failures(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(f::table.filter(f::failed_at.lt(before))).execute(conn)
}

pub mod watch;
pub use watch::*;
