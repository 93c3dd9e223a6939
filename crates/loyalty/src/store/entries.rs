//! `ledger_entries`: the append-only ledger and the earning lots within it.

use chrono::NaiveDateTime;
use cid_kit::db::PgReader;
use cid_kit::{DbConnection, with_backend};
use diesel::dsl::{min, sum};
use diesel::prelude::*;

use crate::domain::entry::EntryType;
use crate::domain::lots::Lot;
use crate::schema::ledger_entries::{self, dsl as e};
use crate::schema::loyalty_accounts::dsl as a;
use crate::store::accounts::{self, Account};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_entries)]
pub struct Entry {
    pub id: i64,
    pub customer_id: String,
    #[diesel(deserialize_as = String)]
    pub entry_type: EntryType,
    pub points: i32,
    pub balance_after: i64,
    pub remaining: i32,
    pub expires_at: Option<NaiveDateTime>,
    pub reason: String,
    pub order_id: Option<String>,
    pub reward_id: Option<String>,
    pub related_entry_id: Option<i64>,
    pub purchase_amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub actor: String,
    pub request_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ledger_entries)]
pub struct NewEntry {
    pub customer_id: String,
    #[diesel(serialize_as = String)]
    pub entry_type: EntryType,
    pub points: i32,
    pub balance_after: i64,
    pub remaining: i32,
    pub expires_at: Option<NaiveDateTime>,
    pub reason: String,
    pub order_id: Option<String>,
    pub reward_id: Option<String>,
    pub related_entry_id: Option<i64>,
    pub purchase_amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub actor: String,
    pub request_id: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, entry: &NewEntry) -> QueryResult<Entry> {
    with_backend!(conn, |c| diesel::insert_into(e::ledger_entries)
        .values(entry.clone())
        .returning(Entry::as_returning())
        .get_result(c))
}

/// Newest first; `before` is the cursor (an entry ID) of the previous page. Not boxed, and
/// on the backend's own connection: each shape is a statement cached by its type, not one
/// rendered to SQL on every call to find it in the cache.
pub fn page(
    conn: &mut DbConnection,
    customer: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    with_backend!(conn, |c| {
        let q = e::ledger_entries
            .filter(e::customer_id.eq(customer))
            .select(Entry::as_select())
            .order(e::id.desc())
            .limit(limit);
        match before {
            Some(before) => q.filter(e::id.lt(before)).load(c),
            None => q.load(c),
        }
    })
}

/// The account with its `limit` newest entries, in one round trip: each entry row carries
/// its account's columns (the join walks the customer's entries newest first and stops at
/// `limit`, so it does not grow with the ledger). An account with no entries yet, or no
/// account, takes a second read.
pub fn newest_with_account(
    conn: &mut DbConnection,
    customer: &str,
    limit: i64,
) -> QueryResult<(Option<Account>, Vec<Entry>)> {
    let rows: Vec<(Entry, Account)> = match conn {
        DbConnection::Pg(c) => NewestWithAccount::new(customer, limit).load(c),
        // SQLite has no LATERAL; its per-entry account lookup is an in-process B-tree probe.
        DbConnection::Sqlite(c) => e::ledger_entries
            .inner_join(a::loyalty_accounts)
            .filter(e::customer_id.eq(customer))
            .order(e::id.desc())
            .limit(limit)
            .select((Entry::as_select(), Account::as_select()))
            .load(c),
    }?;
    match grouped(rows) {
        Some(read) => Ok(read),
        None => Ok((accounts::find(conn, customer)?, Vec::new())),
    }
}

/// [`newest_with_account`] on a worker's pipelined PostgreSQL connection.
pub async fn newest_with_account_pipelined(
    pg: &PgReader,
    customer: &str,
    limit: i64,
) -> QueryResult<(Option<Account>, Vec<Entry>)> {
    let rows = pg.load(NewestWithAccount::new(customer, limit)).await?;
    match grouped(rows) {
        Some(read) => Ok(read),
        None => {
            let found = pg
                .load(accounts::by_customer(customer).select(Account::as_select()))
                .await?;
            Ok((found.into_iter().next(), Vec::new()))
        }
    }
}

/// The account and its entries from the rows of the account read; `None` when there were no
/// rows (no entries, perhaps no account: a second read tells).
fn grouped(rows: Vec<(Entry, Account)>) -> Option<(Option<Account>, Vec<Entry>)> {
    let mut rows = rows.into_iter();
    let (first, account) = rows.next()?;
    let mut entries = Vec::with_capacity(rows.len() + 1);
    entries.push(first);
    entries.extend(rows.map(|(entry, _)| entry));
    Some((Some(account), entries))
}

/// The account read on PostgreSQL: the account row looked up once and joined with its
/// newest entries (`CROSS JOIN LATERAL`), where the plain join looks the account up again for
/// every entry (a nested loop over the entries: twenty index probes for twenty entries). The
/// same rows, columns and order as the SQLite query above.
struct NewestWithAccount<'a> {
    customer: &'a str,
    limit: i64,
    entry: <Entry as Selectable<diesel::pg::Pg>>::SelectExpression,
    account: <Account as Selectable<diesel::pg::Pg>>::SelectExpression,
}

impl<'a> NewestWithAccount<'a> {
    fn new(customer: &'a str, limit: i64) -> Self {
        Self {
            customer,
            limit,
            entry: <Entry as Selectable<diesel::pg::Pg>>::construct_selection(),
            account: <Account as Selectable<diesel::pg::Pg>>::construct_selection(),
        }
    }
}

/// The statement's identity for diesel's prepared-statement cache: its SQL never varies.
struct NewestWithAccountId;

impl diesel::query_builder::QueryId for NewestWithAccount<'_> {
    type QueryId = NewestWithAccountId;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::Query for NewestWithAccount<'_> {
    type SqlType = (
        diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Entry, diesel::pg::Pg>>,
        diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Account, diesel::pg::Pg>>,
    );
}

impl<Conn> RunQueryDsl<Conn> for NewestWithAccount<'_> {}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for NewestWithAccount<'_> {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql("SELECT ");
        // Entry's columns name "ledger_entries": the lateral subquery is aliased so.
        self.entry.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.account.walk_ast(out.reborrow())?;
        out.push_sql(
            " FROM \"loyalty_accounts\" CROSS JOIN LATERAL (SELECT * FROM \"ledger_entries\" \
             WHERE \"ledger_entries\".\"customer_id\" = \"loyalty_accounts\".\"customer_id\" \
             ORDER BY \"ledger_entries\".\"id\" DESC LIMIT ",
        );
        out.push_bind_param::<diesel::sql_types::BigInt, _>(&self.limit)?;
        out.push_sql(") AS \"ledger_entries\" WHERE \"loyalty_accounts\".\"customer_id\" = ");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.customer)?;
        out.push_sql(" ORDER BY \"ledger_entries\".\"id\" DESC");
        Ok(())
    }
}

/// Lots with points left, soonest-expiring first.
pub fn open_lots(conn: &mut DbConnection, customer: &str) -> QueryResult<Vec<Lot>> {
    e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::remaining.gt(0))
        .order((e::expires_at.asc(), e::id.asc()))
        .select((e::id, e::remaining))
        .load::<(i64, i32)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(entry_id, remaining)| Lot {
                    entry_id,
                    remaining: i64::from(remaining),
                })
                .collect()
        })
}

pub fn take_from_lot(conn: &mut DbConnection, entry_id: i64, points: i32) -> QueryResult<()> {
    diesel::update(e::ledger_entries.find(entry_id))
        .set(e::remaining.eq(e::remaining - points))
        .execute(conn)
        .map(drop)
}

/// Lots whose expiry has passed with points left.
pub fn due_lots(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<Entry>> {
    e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::remaining.gt(0))
        .filter(e::expires_at.le(now))
        .order((e::expires_at.asc(), e::id.asc()))
        .select(Entry::as_select())
        .load(conn)
}

/// Points earned (net of reversals) since `since` — the tier basis — and the oldest such
/// entry's time.
pub fn qualifying_since(
    conn: &mut DbConnection,
    customer: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    // Spelled as two comparisons rather than IN (…) so the statement can be cached.
    e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::created_at.ge(since))
        .filter(e::entry_type.ne(EntryType::Redeem.as_str()))
        .filter(e::entry_type.ne(EntryType::Expire.as_str()))
        .select((sum(e::points), min(e::created_at)))
        .get_result::<(Option<i64>, Option<NaiveDateTime>)>(conn)
        .map(|(total, oldest)| (total.unwrap_or_default(), oldest))
}

/// The ledger's sum: by the ledger's invariant, the balance.
pub fn sum_of(conn: &mut DbConnection, customer: &str) -> QueryResult<i64> {
    e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .select(sum(e::points))
        .get_result::<Option<i64>>(conn)
        .map(Option::unwrap_or_default)
}

/// The earning entry of an order, or an entry by ID, belonging to `customer`.
pub fn find_earning(
    conn: &mut DbConnection,
    customer: &str,
    order_id: Option<&str>,
    entry_id: Option<i64>,
) -> QueryResult<Option<Entry>> {
    let mut q = e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::points.gt(0))
        .select(Entry::as_select())
        .into_boxed();
    if let Some(order) = order_id {
        q = q.filter(e::order_id.eq(order));
    }
    if let Some(id) = entry_id {
        q = q.filter(e::id.eq(id));
    }
    q.first(conn).optional()
}

pub fn reversal_of(conn: &mut DbConnection, entry_id: i64) -> QueryResult<Option<Entry>> {
    e::ledger_entries
        .filter(e::related_entry_id.eq(entry_id))
        .filter(e::entry_type.eq(EntryType::Reversal.as_str()))
        .select(Entry::as_select())
        .first(conn)
        .optional()
}

pub fn by_order(
    conn: &mut DbConnection,
    customer: &str,
    order_id: &str,
) -> QueryResult<Option<Entry>> {
    e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::order_id.eq(order_id))
        .select(Entry::as_select())
        .first(conn)
        .optional()
}

/// Points of a lot that already expired (they must not be taken again by a reversal).
pub fn expired_from(conn: &mut DbConnection, lot_id: i64) -> QueryResult<i64> {
    e::ledger_entries
        .filter(e::related_entry_id.eq(lot_id))
        .filter(e::entry_type.eq(EntryType::Expire.as_str()))
        .select(sum(e::points))
        .get_result::<Option<i64>>(conn)
        .map(|s| -s.unwrap_or_default())
}

/// The soonest expiry among open lots and the points expiring then.
pub fn next_expiry(
    conn: &mut DbConnection,
    customer: &str,
) -> QueryResult<Option<(i64, NaiveDateTime)>> {
    let first: Option<NaiveDateTime> = e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::remaining.gt(0))
        .select(diesel::dsl::min(e::expires_at))
        .get_result(conn)?;
    let Some(at) = first else { return Ok(None) };
    let points = e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::remaining.gt(0))
        .filter(e::expires_at.eq(at))
        .select(sum(e::remaining))
        .get_result::<Option<i64>>(conn)?
        .unwrap_or_default();
    Ok(Some((points, at)))
}

/// Earnings that were reversed (their IDs).
pub fn reversed_ids(conn: &mut DbConnection, customer: &str) -> QueryResult<Vec<i64>> {
    e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::entry_type.eq(EntryType::Reversal.as_str()))
        .select(e::related_entry_id)
        .load::<Option<i64>>(conn)
        .map(|ids| ids.into_iter().flatten().collect())
}

/// The first `limit` earnings, oldest first, all or of one type: `(id, points, created at)`.
pub fn earnings(
    conn: &mut DbConnection,
    customer: &str,
    of_type: Option<EntryType>,
    limit: i64,
) -> QueryResult<Vec<(i64, i32, NaiveDateTime)>> {
    let mut q = e::ledger_entries
        .filter(e::customer_id.eq(customer))
        .filter(e::points.gt(0))
        .filter(e::entry_type.ne(EntryType::Reversal.as_str()))
        .order(e::id.asc())
        .limit(limit)
        .select((e::id, e::points, e::created_at))
        .into_boxed();
    if let Some(t) = of_type {
        q = q.filter(e::entry_type.eq(t.as_str()));
    }
    q.load(conn)
}
