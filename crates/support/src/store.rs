//! Diesel queries of the support service. Functions return `QueryResult` and never see HTTP.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::domain::{Category, Priority, Status};
use crate::schema::{ticket_changes as h, ticket_comments as c, ticket_ratings as r, tickets as t};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = t)]
pub struct Ticket {
    pub id: i64,
    pub ticket_id: String,
    pub customer_id: String,
    pub subject: String,
    pub description: String,
    #[diesel(deserialize_as = String)]
    pub category: Category,
    #[diesel(deserialize_as = String)]
    pub priority: Priority,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub assignee: Option<String>,
    pub sla_due_at: NaiveDateTime,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct Rating {
    pub ticket_id: i64,
    pub rating: i32,
    pub feedback: Option<String>,
    pub rated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = t)]
pub struct NewTicket {
    pub ticket_id: String,
    pub customer_id: String,
    pub subject: String,
    pub description: String,
    pub category: String,
    pub priority: String,
    pub status: String,
    pub sla_due_at: NaiveDateTime,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = c)]
pub struct Comment {
    pub id: i64,
    pub ticket_id: i64,
    pub author: String,
    pub author_role: String,
    pub message: String,
    pub internal: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = c)]
pub struct NewComment {
    pub ticket_id: i64,
    pub author: String,
    pub author_role: String,
    pub message: String,
    pub internal: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = h)]
pub struct Change {
    pub id: i64,
    pub ticket_id: i64,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub note: Option<String>,
    pub changed_at: NaiveDateTime,
}

/// Inserts a ticket; a clash of its ID is the unique violation the caller retries on.
pub fn insert(conn: &mut DbConnection, new: &NewTicket) -> QueryResult<Ticket> {
    with_backend!(conn, |c| diesel::insert_into(t::table)
        .values(new)
        .returning(Ticket::as_returning())
        .get_result(c))
}

pub fn find(conn: &mut DbConnection, ticket_id: &str) -> QueryResult<Option<Ticket>> {
    t::table
        .filter(t::ticket_id.eq(ticket_id))
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

/// A customer's tickets, newest first, before position `before`, optionally of one status.
pub fn of_customer(
    conn: &mut DbConnection,
    customer: &str,
    status: Option<Status>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    let mut q = t::table.filter(t::customer_id.eq(customer)).into_boxed();
    if let Some(s) = status {
        q = q.filter(t::status.eq(s.as_str()));
    }
    if let Some(before) = before {
        q = q.filter(t::id.lt(before));
    }
    q.order(t::id.desc())
        .limit(limit)
        .select(Ticket::as_select())
        .load(conn)
}

/// Who a queue page shows.
#[derive(Debug, Clone)]
pub enum Assigned {
    Anyone,
    Nobody,
    To(String),
}

/// Tickets waiting for the team, soonest SLA first, after the ticket at `after` (its due
/// time and position).
pub fn queue(
    conn: &mut DbConnection,
    assigned: &Assigned,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
) -> QueryResult<Vec<Ticket>> {
    let mut q = t::table
        .filter(t::status.eq_any(["open", "in_progress"]))
        .into_boxed();
    match assigned {
        Assigned::Anyone => {}
        Assigned::Nobody => q = q.filter(t::assignee.is_null()),
        Assigned::To(agent) => q = q.filter(t::assignee.eq(agent.clone())),
    }
    if let Some((due, id)) = after {
        q = q.filter(
            t::sla_due_at
                .gt(due)
                .or(t::sla_due_at.eq(due).and(t::id.gt(id))),
        );
    }
    q.order((t::sla_due_at.asc(), t::id.asc()))
        .limit(limit)
        .select(Ticket::as_select())
        .load(conn)
}

pub fn by_position(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Ticket>> {
    t::table
        .find(id)
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

/// Moves the ticket from `from` to `to` if it is still in `from`; false when another change
/// came first.
pub fn change_status(
    conn: &mut DbConnection,
    id: i64,
    from: Status,
    to: Status,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let resolved_at = match to {
        Status::Resolved => Some(Some(now)),
        Status::Open => Some(None),
        _ => None,
    };
    let closed_at = (to == Status::Closed).then_some(now);
    let target = t::table
        .filter(t::id.eq(id))
        .filter(t::status.eq(from.as_str()));
    let n = match resolved_at {
        Some(r) => diesel::update(target)
            .set((
                t::status.eq(to.as_str()),
                t::resolved_at.eq(r),
                t::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                t::status.eq(to.as_str()),
                t::closed_at.eq(closed_at),
                t::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}

pub fn record_change(
    conn: &mut DbConnection,
    id: i64,
    from: Status,
    to: Status,
    actor: &str,
    note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(h::table)
        .values((
            h::ticket_id.eq(id),
            h::from_status.eq(from.as_str()),
            h::to_status.eq(to.as_str()),
            h::actor.eq(actor),
            h::note.eq(note),
            h::changed_at.eq(now),
        ))
        .execute(conn)
}

pub fn assign(
    conn: &mut DbConnection,
    id: i64,
    agent: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(t::table.find(id))
        .set((t::assignee.eq(Some(agent)), t::updated_at.eq(now)))
        .execute(conn)
}

/// Rates a ticket; false when it was rated already.
pub fn rate(
    conn: &mut DbConnection,
    id: i64,
    rating: i32,
    feedback: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_backend!(conn, |c| diesel::insert_into(r::table)
        .values((
            r::ticket_id.eq(id),
            r::rating.eq(rating),
            r::feedback.eq(feedback),
            r::rated_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))
    .map(|n| n == 1)
}

pub fn ratings(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<Rating>> {
    r::table
        .filter(r::ticket_id.eq_any(ids))
        .select(Rating::as_select())
        .load(conn)
}

pub fn add_comment(conn: &mut DbConnection, new: &NewComment) -> QueryResult<Comment> {
    with_backend!(conn, |c| diesel::insert_into(c::table)
        .values(new)
        .returning(Comment::as_returning())
        .get_result(c))
}

pub fn comments(conn: &mut DbConnection, id: i64, internal: bool) -> QueryResult<Vec<Comment>> {
    let mut q = c::table.filter(c::ticket_id.eq(id)).into_boxed();
    if !internal {
        q = q.filter(c::internal.eq(false));
    }
    q.order(c::id.asc()).select(Comment::as_select()).load(conn)
}

pub fn changes(conn: &mut DbConnection, id: i64) -> QueryResult<Vec<Change>> {
    h::table
        .filter(h::ticket_id.eq(id))
        .order(h::id.asc())
        .select(Change::as_select())
        .load(conn)
}
