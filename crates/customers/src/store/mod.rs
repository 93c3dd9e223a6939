//! Diesel queries of the registry. Functions return `QueryResult` and never see HTTP.

use chrono::{NaiveDate, NaiveDateTime};
use cid_kit::db::PgReader;
use cid_kit::{DbConnection, with_backend};
use diesel::dsl::{Eq, Filter, Find, Or};
use diesel::prelude::*;

use crate::domain::UserType;

use crate::domain::ids::Lookup;
use crate::schema::customers::{self, dsl as c};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct Customer {
    pub id: i64,
    pub customer_id: String,
    pub short_id: String,
    pub user_id: String,
    #[diesel(deserialize_as = String)]
    pub user_type: UserType,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub locale: Option<String>,
    pub active: bool,
    pub join_date: NaiveDateTime,
    pub deactivated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = customers)]
pub struct NewCustomer {
    /// Placeholders until the sequence number is known (same transaction).
    pub customer_id: String,
    pub short_id: String,
    pub user_id: String,
    #[diesel(serialize_as = String)]
    pub user_type: UserType,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub locale: Option<String>,
    pub active: bool,
    pub join_date: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Profile fields a PUT may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = customers)]
pub struct ProfileChangeset {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub locale: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Inserts the row and returns its sequence number.
pub fn insert(conn: &mut DbConnection, new: &NewCustomer) -> QueryResult<i64> {
    with_backend!(conn, |b| diesel::insert_into(c::customers)
        .values(new.clone())
        .returning(c::id)
        .get_result(b))
}

pub fn set_ids(
    conn: &mut DbConnection,
    id: i64,
    standard: &str,
    short: &str,
) -> QueryResult<Customer> {
    diesel::update(c::customers.find(id))
        .set((c::customer_id.eq(standard), c::short_id.eq(short)))
        .execute(conn)?;
    c::customers
        .find(id)
        .select(Customer::as_select())
        .first(conn)
}

pub fn by_user(conn: &mut DbConnection, user: &str) -> QueryResult<Option<Customer>> {
    c::customers
        .filter(c::user_id.eq(user))
        .select(Customer::as_select())
        .first(conn)
        .optional()
}

/// On the backend's own connection (`with_backend!`): every other service's writes resolve
/// their customer here.
pub fn find(conn: &mut DbConnection, lookup: &Lookup) -> QueryResult<Option<Customer>> {
    with_backend!(conn, |conn| match lookup {
        Lookup::Numeric(n) => by_number(*n)
            .select(Customer::as_select())
            .first(conn)
            .optional(),
        Lookup::Text(t) => by_text(t)
            .select(Customer::as_select())
            .first(conn)
            .optional(),
    })
}

/// [`find`] on a worker's pipelined PostgreSQL connection.
pub async fn find_pipelined(pg: &PgReader, lookup: &Lookup) -> QueryResult<Option<Customer>> {
    let found = match lookup {
        Lookup::Numeric(n) => {
            pg.load(by_number(*n).select(Customer::as_select()).limit(1))
                .await?
        }
        Lookup::Text(t) => {
            pg.load(by_text(t).select(Customer::as_select()).limit(1))
                .await?
        }
    };
    Ok(found.into_iter().next())
}

type ByText<'a> = Filter<c::customers, Or<Eq<c::customer_id, &'a str>, Eq<c::short_id, &'a str>>>;

fn by_number(n: i64) -> Find<c::customers, i64> {
    c::customers.find(n)
}

/// Standard or short form: both are stored and unique.
fn by_text(t: &str) -> ByText<'_> {
    c::customers.filter(c::customer_id.eq(t).or(c::short_id.eq(t)))
}

pub fn update_profile(
    conn: &mut DbConnection,
    id: i64,
    changes: &ProfileChangeset,
) -> QueryResult<Customer> {
    diesel::update(c::customers.find(id))
        .set(changes)
        .execute(conn)?;
    c::customers
        .find(id)
        .select(Customer::as_select())
        .first(conn)
}

pub fn deactivate(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<Customer> {
    diesel::update(c::customers.find(id))
        .set((
            c::active.eq(false),
            c::deactivated_at.eq(Some(now)),
            c::updated_at.eq(now),
        ))
        .execute(conn)?;
    c::customers
        .find(id)
        .select(Customer::as_select())
        .first(conn)
}

/// `(user_type, active, count)` rows.
pub fn counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, bool, i64)>> {
    c::customers
        .group_by((c::user_type, c::active))
        .select((c::user_type, c::active, diesel::dsl::count_star()))
        .load(conn)
}

/// One page of the export, in sequence order after `after`.
pub fn page_after(conn: &mut DbConnection, after: i64, limit: i64) -> QueryResult<Vec<Customer>> {
    c::customers
        .filter(c::id.gt(after))
        .order(c::id.asc())
        .limit(limit)
        .select(Customer::as_select())
        .load(conn)
}
