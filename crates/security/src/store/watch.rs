//! Events, devices, alerts and reports.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use cid_kit::DbConnection;

use crate::domain::rules::{AlertStatus, EventType, Rule, Severity};
use crate::schema::{
    domain_events_seen as seen, known_devices as d, security_alerts as a, security_events as e,
    security_profiles as p, security_reports as r,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = e)]
pub struct Event {
    pub id: i64,
    pub customer_id: String,
    #[diesel(deserialize_as = String)]
    pub event_type: EventType,
    pub ip_address: Option<String>,
    pub device_id: Option<String>,
    pub country: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = e)]
pub struct NewEvent {
    pub customer_id: String,
    #[diesel(serialize_as = String)]
    pub event_type: EventType,
    pub ip_address: Option<String>,
    pub device_id: Option<String>,
    pub country: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
}

pub fn insert_event(conn: &mut DbConnection, new: &NewEvent) -> QueryResult<Event> {
    cid_kit::with_backend!(conn, |c| diesel::insert_into(e::table)
        .values(new.clone())
        .returning(Event::as_returning())
        .get_result(c))
}

/// Events of `kind` that happened in `(from, to]`.
pub fn count_events(
    conn: &mut DbConnection,
    customer: &str,
    kind: EventType,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<i64> {
    e::table
        .filter(
            e::customer_id
                .eq(customer)
                .and(e::event_type.eq(kind.as_str()))
                .and(e::occurred_at.gt(from))
                .and(e::occurred_at.le(to)),
        )
        .count()
        .get_result(conn)
}

/// A customer's events, newest first, before position `before`.
pub fn events(
    conn: &mut DbConnection,
    customer: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut q = e::table.filter(e::customer_id.eq(customer)).into_boxed();
    if let Some(before) = before {
        q = q.filter(e::id.lt(before));
    }
    q.order(e::id.desc())
        .limit(limit)
        .select(Event::as_select())
        .load(conn)
}

/// Whether the device was seen for the customer, and whether any was.
pub fn devices_seen(
    conn: &mut DbConnection,
    customer: &str,
    device: &str,
) -> QueryResult<(bool, bool)> {
    let this: i64 = d::table
        .filter(d::customer_id.eq(customer).and(d::device_id.eq(device)))
        .count()
        .get_result(conn)?;
    let any: Option<String> = d::table
        .filter(d::customer_id.eq(customer))
        .select(d::device_id)
        .first(conn)
        .optional()?;
    Ok((this > 0, any.is_some()))
}

pub fn remember_device(
    conn: &mut DbConnection,
    customer: &str,
    device: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        d::customer_id.eq(customer),
        d::device_id.eq(device),
        d::first_seen_at.eq(at),
    );
    cid_kit::with_backend!(conn, |c| diesel::insert_into(d::table)
        .values(row)
        .on_conflict((d::customer_id, d::device_id))
        .do_nothing()
        .execute(c))?;
    Ok(())
}

/// Keeps the latest login (by when it happened) on the profile.
pub fn note_login(
    conn: &mut DbConnection,
    customer: &str,
    at: NaiveDateTime,
    country: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(
        p::table.filter(
            p::customer_id
                .eq(customer)
                .and(p::last_login_at.is_null().or(p::last_login_at.lt(at))),
        ),
    )
    .set((p::last_login_at.eq(at), p::last_login_country.eq(country)))
    .execute(conn)
}

pub fn count_report(conn: &mut DbConnection, customer: &str) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::customer_id.eq(customer)))
        .set(p::reports.eq(p::reports + 1))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = a)]
pub struct Alert {
    pub id: i64,
    pub alert_id: String,
    pub customer_id: String,
    #[diesel(deserialize_as = String)]
    pub rule: Rule,
    pub cause: String,
    #[diesel(deserialize_as = String)]
    pub severity: Severity,
    #[diesel(deserialize_as = String)]
    pub status: AlertStatus,
    pub details: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = a)]
pub struct NewAlert {
    pub alert_id: String,
    pub customer_id: String,
    #[diesel(serialize_as = String)]
    pub rule: Rule,
    pub cause: String,
    #[diesel(serialize_as = String)]
    pub severity: Severity,
    #[diesel(serialize_as = String)]
    pub status: AlertStatus,
    pub details: String,
    pub created_at: NaiveDateTime,
}

/// Raises the alert unless one is open for its customer, rule and cause (then `None`).
pub fn raise(conn: &mut DbConnection, new: &NewAlert) -> QueryResult<Option<Alert>> {
    cid_kit::with_backend!(conn, |c| diesel::insert_into(a::table)
        .values(new.clone())
        .on_conflict_do_nothing()
        .returning(Alert::as_returning())
        .get_result(c)
        .optional())
}

pub fn alerts(
    conn: &mut DbConnection,
    customer: &str,
    status: Option<AlertStatus>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Alert>> {
    let mut q = a::table.filter(a::customer_id.eq(customer)).into_boxed();
    if let Some(s) = status {
        q = q.filter(a::status.eq(s.as_str()));
    }
    if let Some(before) = before {
        q = q.filter(a::id.lt(before));
    }
    q.order(a::id.desc())
        .limit(limit)
        .select(Alert::as_select())
        .load(conn)
}

pub fn find_alert(conn: &mut DbConnection, alert_id: &str) -> QueryResult<Option<Alert>> {
    a::table
        .filter(a::alert_id.eq(alert_id))
        .select(Alert::as_select())
        .first(conn)
        .optional()
}

/// Resolves the alert if it is still open; whether it was.
pub fn resolve(
    conn: &mut DbConnection,
    id: i64,
    by: &str,
    note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n =
        diesel::update(a::table.filter(a::id.eq(id).and(a::status.eq(AlertStatus::Open.as_str()))))
            .set((
                a::status.eq(AlertStatus::Resolved.as_str()),
                a::resolved_at.eq(now),
                a::resolved_by.eq(by),
                a::note.eq(note),
            ))
            .execute(conn)?;
    Ok(n == 1)
}

/// The rules and severities of the customer's open alerts (few: one per rule and cause).
pub fn open_alerts(conn: &mut DbConnection, customer: &str) -> QueryResult<Vec<(Rule, Severity)>> {
    let rows: Vec<(String, String)> = a::table
        .filter(
            a::customer_id
                .eq(customer)
                .and(a::status.eq(AlertStatus::Open.as_str())),
        )
        .select((a::rule, a::severity))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(r, s)| Some((Rule::parse(&r)?, Severity::parse(&s)?)))
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct Report {
    pub id: i64,
    pub report_id: String,
    pub customer_id: String,
    pub activity_type: String,
    pub description: String,
    pub evidence: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert_report(
    conn: &mut DbConnection,
    report_id: &str,
    customer: &str,
    activity_type: &str,
    description: &str,
    evidence: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Report> {
    let row = (
        r::report_id.eq(report_id),
        r::customer_id.eq(customer),
        r::activity_type.eq(activity_type),
        r::description.eq(description),
        r::evidence.eq(evidence),
        r::created_at.eq(now),
    );
    cid_kit::with_backend!(conn, |c| diesel::insert_into(r::table)
        .values(row)
        .returning(Report::as_returning())
        .get_result(c))
}

/// Notes a domain event as taken in; false when it was already.
pub fn first_sight(
    conn: &mut DbConnection,
    event_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (seen::event_id.eq(event_id), seen::seen_at.eq(now));
    let n = cid_kit::with_backend!(conn, |c| diesel::insert_into(seen::table)
        .values(row)
        .on_conflict(seen::event_id)
        .do_nothing()
        .execute(c))?;
    Ok(n == 1)
}
