//! Diesel queries of the notifications service. Functions return `QueryResult` and never see
//! HTTP. This file holds the preferences; `feed` the messages and their deliveries.

pub mod feed;
pub mod hooks;

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::domain::{Frequency, Language, Preferences, QuietHours};
use crate::schema::preferences as p;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = p, treat_none_as_null = true)]
pub struct Row {
    pub customer_id: String,
    pub email: bool,
    pub sms: bool,
    pub push: bool,
    pub in_app: bool,
    pub promotional: bool,
    pub order_updates: bool,
    pub loyalty_updates: bool,
    pub frequency: String,
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub time_zone: Option<String>,
    pub language: String,
    pub updated_at: NaiveDateTime,
}

impl Row {
    pub fn new(customer: &str, p: &Preferences, at: NaiveDateTime) -> Self {
        let q = p.quiet_hours.as_ref();
        Self {
            customer_id: customer.to_owned(),
            email: p.email,
            sms: p.sms,
            push: p.push,
            in_app: p.in_app,
            promotional: p.promotional,
            order_updates: p.order_updates,
            loyalty_updates: p.loyalty_updates,
            frequency: p.frequency.as_str().to_owned(),
            quiet_start: q.map(|q| q.start.format("%H:%M").to_string()),
            quiet_end: q.map(|q| q.end.format("%H:%M").to_string()),
            time_zone: q.map(|q| q.zone.name().to_owned()),
            language: p.language.as_str().to_owned(),
            updated_at: at,
        }
    }

    /// The stored preferences (written by [`Row::new`] only, so every column reads).
    pub fn preferences(&self) -> Preferences {
        let quiet_hours = match (&self.quiet_start, &self.quiet_end, &self.time_zone) {
            (Some(s), Some(e), Some(z)) => QuietHours::parse(s, e, z).ok(),
            _ => None,
        };
        Preferences {
            email: self.email,
            sms: self.sms,
            push: self.push,
            in_app: self.in_app,
            promotional: self.promotional,
            order_updates: self.order_updates,
            loyalty_updates: self.loyalty_updates,
            frequency: Frequency::parse(&self.frequency).unwrap_or(Frequency::Instant),
            quiet_hours,
            language: Language::parse(&self.language).unwrap_or(Language::En),
        }
    }
}

pub fn find(conn: &mut DbConnection, customer: &str) -> QueryResult<Option<Row>> {
    p::table
        .find(customer)
        .select(Row::as_select())
        .first(conn)
        .optional()
}

/// Creates the customer's row with `first` if they have none, then takes its row lock for the
/// rest of the transaction and returns it.
pub fn lock(conn: &mut DbConnection, first: &Row) -> QueryResult<Row> {
    with_backend!(conn, |c| diesel::insert_into(p::table)
        .values(first)
        .on_conflict_do_nothing()
        .execute(c))?;
    with_backend!(conn, |c| diesel::update(p::table.find(&first.customer_id))
        .set(p::version.eq(p::version + 1))
        .returning(Row::as_returning())
        .get_result(c))
}

pub fn save(conn: &mut DbConnection, row: &Row) -> QueryResult<usize> {
    diesel::update(p::table.find(&row.customer_id))
        .set(row)
        .execute(conn)
}
