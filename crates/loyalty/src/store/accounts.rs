//! `loyalty_accounts`: the cached balance and tier of each customer.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::dsl::Find;
use diesel::prelude::*;

use crate::domain::tier::Tier;

use crate::schema::loyalty_accounts::{self, dsl as a};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = loyalty_accounts)]
pub struct Account {
    pub customer_id: String,
    pub points: i64,
    pub lifetime_points: i64,
    #[diesel(deserialize_as = String)]
    pub tier: Tier,
    pub tier_since: NaiveDateTime,
    pub total_spent_minor: i64,
    pub currency: String,
    pub next_expiry_at: Option<NaiveDateTime>,
    pub next_expiry_points: i64,
    pub qualifying_points: i64,
    pub qualifying_until: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = loyalty_accounts)]
struct NewAccount<'a> {
    customer_id: &'a str,
    tier: &'a str,
    tier_since: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What a write changes on the account after its ledger entries.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = loyalty_accounts, treat_none_as_null = true)]
pub struct AccountChangeset<'a> {
    pub points: i64,
    pub lifetime_points: i64,
    pub tier: &'a str,
    pub tier_since: NaiveDateTime,
    pub total_spent_minor: i64,
    pub next_expiry_at: Option<NaiveDateTime>,
    pub next_expiry_points: i64,
    pub qualifying_points: i64,
    pub qualifying_until: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// On the backend's own connection, as every read on the account path: through the
/// multi-backend enum diesel renders the whole SQL string again in each pass over a query,
/// even for a cached statement.
pub fn find(conn: &mut DbConnection, customer: &str) -> QueryResult<Option<Account>> {
    with_backend!(conn, |c| by_customer(customer)
        .select(Account::as_select())
        .first(c)
        .optional())
}

/// The account of `customer` (at most one row).
pub fn by_customer(customer: &str) -> Find<a::loyalty_accounts, &str> {
    a::loyalty_accounts.find(customer)
}

/// Creates the account if needed and takes its row lock for the rest of the transaction:
/// the version bump is an UPDATE, so on PostgreSQL concurrent writers of the same account
/// queue here and each sees the previous one's committed balance.
pub fn lock(conn: &mut DbConnection, customer: &str, now: NaiveDateTime) -> QueryResult<Account> {
    let row = NewAccount {
        customer_id: customer,
        tier: "bronze",
        tier_since: now,
        created_at: now,
        updated_at: now,
    };
    with_backend!(conn, |c| diesel::insert_into(a::loyalty_accounts)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    // RETURNING is not expressible on the multi-backend connection; each backend has it.
    with_backend!(conn, |c| diesel::update(a::loyalty_accounts.find(customer))
        .set(a::version.eq(a::version + 1))
        .returning(Account::as_returning())
        .get_result(c))
}

pub fn update(
    conn: &mut DbConnection,
    customer: &str,
    changes: &AccountChangeset,
) -> QueryResult<()> {
    diesel::update(a::loyalty_accounts.find(customer))
        .set(changes)
        .execute(conn)
        .map(drop)
}

/// Accounts holding lots whose expiry has passed, oldest due first.
pub fn due_for_expiry(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    a::loyalty_accounts
        .filter(a::next_expiry_at.le(now))
        .order(a::next_expiry_at.asc())
        .select(a::customer_id)
        .limit(limit)
        .load(conn)
}
