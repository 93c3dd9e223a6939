//! The figures kept on write: per customer, per month, per day and per category. Every read of a
//! customer's figures is a few rows by primary key, however long their history.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::schema::{
    category_spend as cs, customer_figures as f, daily_purchases as dp, monthly_spend as ms,
};

#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = f)]
pub struct Figures {
    pub customer_id: String,
    pub purchases: i64,
    pub spent_minor: i64,
    pub first_purchase_at: Option<NaiveDateTime>,
    pub last_purchase_at: Option<NaiveDateTime>,
    pub visits: i64,
    pub reviews: i64,
    pub logins: i64,
    pub shares: i64,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = f, treat_none_as_null = true)]
pub struct FiguresChangeset {
    pub purchases: i64,
    pub spent_minor: i64,
    pub first_purchase_at: Option<NaiveDateTime>,
    pub last_purchase_at: Option<NaiveDateTime>,
    pub visits: i64,
    pub reviews: i64,
    pub logins: i64,
    pub shares: i64,
    pub updated_at: NaiveDateTime,
}

impl From<&Figures> for FiguresChangeset {
    fn from(x: &Figures) -> Self {
        Self {
            purchases: x.purchases,
            spent_minor: x.spent_minor,
            first_purchase_at: x.first_purchase_at,
            last_purchase_at: x.last_purchase_at,
            visits: x.visits,
            reviews: x.reviews,
            logins: x.logins,
            shares: x.shares,
            updated_at: x.updated_at,
        }
    }
}

/// This and the summary's other reads run on the backend's own connection (`with_backend!`):
/// they are on every segmentation read too.
pub fn find(conn: &mut DbConnection, customer: &str) -> QueryResult<Option<Figures>> {
    with_backend!(conn, |c| f::table
        .find(customer)
        .select(Figures::as_select())
        .first(c)
        .optional())
}

/// Creates the customer's figures if needed and takes their row lock for the rest of the
/// transaction (the version bump is an UPDATE): concurrent writers of one customer queue here
/// on PostgreSQL; SQLite has one writer anyway.
pub fn lock(conn: &mut DbConnection, customer: &str, now: NaiveDateTime) -> QueryResult<Figures> {
    with_backend!(conn, |c| diesel::insert_into(f::table)
        .values((f::customer_id.eq(customer), f::updated_at.eq(now)))
        .on_conflict_do_nothing()
        .execute(c))?;
    with_backend!(conn, |c| diesel::update(f::table.find(customer))
        .set(f::version.eq(f::version + 1))
        .returning(Figures::as_returning())
        .get_result(c))
}

pub fn save(conn: &mut DbConnection, customer: &str, x: &Figures) -> QueryResult<()> {
    diesel::update(f::table.find(customer))
        .set(FiguresChangeset::from(x))
        .execute(conn)
        .map(drop)
}

/// Adds `purchases` and `minor` (negative for a refund) to one month.
pub fn add_to_month(
    conn: &mut DbConnection,
    customer: &str,
    month: &str,
    purchases: i64,
    minor: i64,
) -> QueryResult<()> {
    with_backend!(conn, |c| diesel::insert_into(ms::table)
        .values((ms::customer_id.eq(customer), ms::month.eq(month)))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(ms::table.find((customer, month)))
        .set((
            ms::purchases.eq(ms::purchases + purchases),
            ms::spent_minor.eq(ms::spent_minor + minor),
        ))
        .execute(conn)
        .map(drop)
}

/// Adds `purchases` (negative for a refund) to one day.
pub fn add_to_day(
    conn: &mut DbConnection,
    customer: &str,
    day: &str,
    purchases: i64,
) -> QueryResult<()> {
    with_backend!(conn, |c| diesel::insert_into(dp::table)
        .values((dp::customer_id.eq(customer), dp::day.eq(day)))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(dp::table.find((customer, day)))
        .set(dp::purchases.eq(dp::purchases + purchases))
        .execute(conn)
        .map(drop)
}

/// `(day, purchases)` of the days from `from` to `to` (`YYYY-MM-DD`, both inclusive) that
/// have any: at most one row a day.
pub fn days_between(
    conn: &mut DbConnection,
    customer: &str,
    from: &str,
    to: &str,
) -> QueryResult<Vec<(String, i64)>> {
    dp::table
        .filter(dp::customer_id.eq(customer))
        .filter(dp::day.ge(from))
        .filter(dp::day.le(to))
        .select((dp::day, dp::purchases))
        .load(conn)
}

/// Adds `purchases` and `minor` (negative for a refund) to one category; the first spelling
/// seen names it.
pub fn add_to_category(
    conn: &mut DbConnection,
    customer: &str,
    (key, name): (&str, &str),
    purchases: i64,
    minor: i64,
) -> QueryResult<()> {
    with_backend!(conn, |c| diesel::insert_into(cs::table)
        .values((
            cs::customer_id.eq(customer),
            cs::category_key.eq(key),
            cs::category.eq(name),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    diesel::update(cs::table.find((customer, key)))
        .set((
            cs::purchases.eq(cs::purchases + purchases),
            cs::spent_minor.eq(cs::spent_minor + minor),
        ))
        .execute(conn)
        .map(drop)
}

/// `(name, purchases, spent)` of the categories with completed purchases.
pub fn categories(conn: &mut DbConnection, customer: &str) -> QueryResult<Vec<(String, i64, i64)>> {
    with_backend!(conn, |c| cs::table
        .filter(cs::customer_id.eq(customer))
        .filter(cs::purchases.gt(0))
        .select((cs::category, cs::purchases, cs::spent_minor))
        .load(c))
}

/// `(month, purchases, spent)` from `from` (`YYYY-MM`, inclusive) on.
pub fn months_from(
    conn: &mut DbConnection,
    customer: &str,
    from: &str,
) -> QueryResult<Vec<(String, i64, i64)>> {
    with_backend!(conn, |c| ms::table
        .filter(ms::customer_id.eq(customer))
        .filter(ms::month.ge(from))
        .order(ms::month.asc())
        .select((ms::month, ms::purchases, ms::spent_minor))
        .load(c))
}
