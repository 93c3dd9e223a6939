//! Diesel queries of the offers service. Functions return `QueryResult` and never see HTTP.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::domain::{Budget, Discount, DiscountType, RedemptionStatus, Targeting, Texts};
use crate::schema::{offer_uses as u, offers as o, redemptions as r};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = o)]
pub struct Offer {
    pub id: i64,
    pub offer_id: String,
    pub texts: String,
    pub category: String,
    #[diesel(deserialize_as = String)]
    pub discount_type: DiscountType,
    pub value_hundredths: i64,
    pub min_purchase_minor: i64,
    pub valid_from: NaiveDateTime,
    pub valid_until: NaiveDateTime,
    pub targeting: String,
    pub per_customer_limit: i64,
    pub budget_redemptions: Option<i64>,
    pub budget_amount_minor: Option<i64>,
    pub used_redemptions: i64,
    pub used_amount_minor: i64,
    pub updated_at: NaiveDateTime,
}

impl Offer {
    pub fn discount(&self) -> Discount {
        Discount {
            kind: self.discount_type,
            value_hundredths: self.value_hundredths,
        }
    }

    /// The stored targets (written by [`Definition`] only, so they always read).
    pub fn targeting(&self) -> Targeting {
        serde_json::from_str(&self.targeting).unwrap_or_default()
    }

    pub fn texts(&self) -> Texts {
        serde_json::from_str(&self.texts).unwrap_or_default()
    }

    pub fn budget(&self) -> Budget {
        Budget {
            redemptions: self.budget_redemptions,
            amount_minor: self.budget_amount_minor,
            used_redemptions: self.used_redemptions,
            used_amount_minor: self.used_amount_minor,
        }
    }
}

/// An offer's definition: what create writes and update replaces (the counters stay).
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = o, treat_none_as_null = true)]
pub struct Definition {
    pub texts: String,
    pub category: String,
    pub discount_type: String,
    pub value_hundredths: i64,
    pub min_purchase_minor: i64,
    pub valid_from: NaiveDateTime,
    pub valid_until: NaiveDateTime,
    pub targeting: String,
    pub per_customer_limit: i64,
    pub budget_redemptions: Option<i64>,
    pub budget_amount_minor: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct Redemption {
    pub id: i64,
    pub redemption_id: String,
    pub offer_id: String,
    pub customer_id: String,
    #[diesel(deserialize_as = String)]
    pub discount_type: DiscountType,
    pub order_amount_minor: Option<i64>,
    pub savings_minor: i64,
    pub extra_points: i64,
    #[diesel(deserialize_as = String)]
    pub status: RedemptionStatus,
    pub applied_by: String,
    pub applied_at: NaiveDateTime,
    pub rolled_back_at: Option<NaiveDateTime>,
    pub rolled_back_by: Option<String>,
    pub rollback_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = r)]
pub struct NewRedemption<'a> {
    pub redemption_id: &'a str,
    pub offer_id: &'a str,
    pub customer_id: &'a str,
    pub discount_type: &'a str,
    pub order_amount_minor: Option<i64>,
    pub savings_minor: i64,
    pub extra_points: i64,
    pub status: &'a str,
    pub applied_by: &'a str,
    pub applied_at: NaiveDateTime,
}

pub fn insert_offer(
    conn: &mut DbConnection,
    offer_id: &str,
    d: &Definition,
    now: NaiveDateTime,
) -> QueryResult<Offer> {
    diesel::insert_into(o::table)
        .values((d, o::offer_id.eq(offer_id), o::updated_at.eq(now)))
        .execute(conn)?;
    by_offer_id(conn, offer_id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn by_offer_id(conn: &mut DbConnection, offer_id: &str) -> QueryResult<Option<Offer>> {
    o::table
        .filter(o::offer_id.eq(offer_id))
        .select(Offer::as_select())
        .first(conn)
        .optional()
}

/// Takes the offer's row lock for the rest of the transaction: applies, rollbacks and edits
/// of one offer run one after the other, so its counters never pass its budget.
pub fn lock_offer(conn: &mut DbConnection, offer_id: &str) -> QueryResult<Option<Offer>> {
    let mine = o::offer_id.eq(offer_id);
    match conn {
        DbConnection::Pg(c) => o::table
            .filter(mine)
            .select(Offer::as_select())
            .for_update()
            .first(c)
            .optional(),
        // SQLite: the kit serializes in-process writers, so the read is already exclusive.
        DbConnection::Sqlite(c) => o::table
            .filter(mine)
            .select(Offer::as_select())
            .first(c)
            .optional(),
    }
}

pub fn replace_definition(
    conn: &mut DbConnection,
    offer_id: &str,
    d: &Definition,
    now: NaiveDateTime,
) -> QueryResult<Offer> {
    diesel::update(o::table.filter(o::offer_id.eq(offer_id)))
        .set((d, o::updated_at.eq(now)))
        .execute(conn)?;
    by_offer_id(conn, offer_id)?.ok_or(diesel::result::Error::NotFound)
}

/// Moves the offer's used counters by one redemption saving `savings_minor` (`sign` -1
/// gives them back).
pub fn count_use(
    conn: &mut DbConnection,
    offer_id: &str,
    savings_minor: i64,
    sign: i64,
) -> QueryResult<usize> {
    diesel::update(o::table.filter(o::offer_id.eq(offer_id)))
        .set((
            o::used_redemptions.eq(o::used_redemptions + sign),
            o::used_amount_minor.eq(o::used_amount_minor + sign * savings_minor),
        ))
        .execute(conn)
}

/// Offers open at `now` (whatever their budget), by end.
pub fn open_at(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<Offer>> {
    o::table
        .filter(o::valid_from.le(now))
        .filter(o::valid_until.gt(now))
        .order((o::valid_until.asc(), o::id.asc()))
        .select(Offer::as_select())
        .load(conn)
}

/// A page of the catalog, newest first.
pub fn catalog(
    conn: &mut DbConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Offer>> {
    let mut q = o::table.select(Offer::as_select()).into_boxed();
    if let Some(before) = before {
        q = q.filter(o::id.lt(before));
    }
    q.order(o::id.desc()).limit(limit).load(conn)
}

/// The customer's redemptions of the offer still applied (one row, whatever the history).
pub fn applied_count(conn: &mut DbConnection, offer_id: &str, customer: &str) -> QueryResult<i64> {
    u::table
        .find((offer_id, customer))
        .select(u::applied)
        .first(conn)
        .optional()
        .map(Option::unwrap_or_default)
}

/// The customer's applied counts of `offers` (those they used).
pub fn applied_counts(
    conn: &mut DbConnection,
    customer: &str,
    offers: &[String],
) -> QueryResult<Vec<(String, i64)>> {
    u::table
        .filter(u::customer_id.eq(customer))
        .filter(u::offer_id.eq_any(offers))
        .select((u::offer_id, u::applied))
        .load(conn)
}

/// Moves the customer's applied count of the offer by `delta` (under the offer's lock).
pub fn count_customer_use(
    conn: &mut DbConnection,
    offer_id: &str,
    customer: &str,
    delta: i64,
) -> QueryResult<usize> {
    with_backend!(conn, |c| diesel::insert_into(u::table)
        .values((
            u::offer_id.eq(offer_id),
            u::customer_id.eq(customer),
            u::applied.eq(delta.max(0)),
        ))
        .on_conflict((u::offer_id, u::customer_id))
        .do_update()
        .set(u::applied.eq(u::applied + delta))
        .execute(c))
}

pub fn insert_redemption(conn: &mut DbConnection, new: &NewRedemption) -> QueryResult<Redemption> {
    diesel::insert_into(r::table).values(new).execute(conn)?;
    r::table
        .filter(r::redemption_id.eq(new.redemption_id))
        .select(Redemption::as_select())
        .first(conn)
}

pub fn redemption(conn: &mut DbConnection, redemption_id: &str) -> QueryResult<Option<Redemption>> {
    r::table
        .filter(r::redemption_id.eq(redemption_id))
        .select(Redemption::as_select())
        .first(conn)
        .optional()
}

/// Marks an applied redemption rolled back; 0 when it no longer was applied.
pub fn roll_back(
    conn: &mut DbConnection,
    redemption_id: &str,
    actor: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        r::table
            .filter(r::redemption_id.eq(redemption_id))
            .filter(r::status.eq(RedemptionStatus::Applied.as_str())),
    )
    .set((
        r::status.eq(RedemptionStatus::RolledBack.as_str()),
        r::rolled_back_at.eq(Some(now)),
        r::rolled_back_by.eq(Some(actor)),
        r::rollback_reason.eq(Some(reason)),
    ))
    .execute(conn)
}

/// A page of the customer's redemptions, newest first.
pub fn history(
    conn: &mut DbConnection,
    customer: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Redemption>> {
    let mut q = r::table
        .filter(r::customer_id.eq(customer))
        .select(Redemption::as_select())
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(r::id.lt(before));
    }
    q.order(r::id.desc()).limit(limit).load(conn)
}
