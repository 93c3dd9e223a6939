//! Chat sessions, their messages and agent presence.

use chrono::NaiveDateTime;
use cid_kit::{DbConnection, with_backend};
use diesel::prelude::*;

use crate::domain::chat::SessionStatus;
use crate::schema::{agent_presence as p, chat_messages as m, chat_sessions as s};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct Session {
    pub id: i64,
    pub session_id: String,
    pub customer_id: String,
    pub topic: String,
    #[diesel(deserialize_as = String)]
    pub status: SessionStatus,
    pub agent_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub joined_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<String>,
    pub rating: Option<i32>,
    pub feedback: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = m)]
pub struct Message {
    pub id: i64,
    pub session_id: i64,
    pub sender: String,
    pub sender_role: String,
    pub kind: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

/// A message to store: `kind` is `message` or `notice`.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub sender: &'a str,
    pub sender_role: &'a str,
    pub kind: &'a str,
    pub body: &'a str,
}

pub fn insert_session(
    conn: &mut DbConnection,
    session_id: &str,
    customer: &str,
    topic: &str,
    now: NaiveDateTime,
) -> QueryResult<Session> {
    with_backend!(conn, |c| diesel::insert_into(s::table)
        .values((
            s::session_id.eq(session_id),
            s::customer_id.eq(customer),
            s::topic.eq(topic),
            s::status.eq(SessionStatus::Waiting.as_str()),
            s::created_at.eq(now),
        ))
        .returning(Session::as_returning())
        .get_result(c))
}

pub fn find(conn: &mut DbConnection, session_id: &str) -> QueryResult<Option<Session>> {
    s::table
        .filter(s::session_id.eq(session_id))
        .select(Session::as_select())
        .first(conn)
        .optional()
}

pub fn of_customer(
    conn: &mut DbConnection,
    customer: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Session>> {
    let mut q = s::table.filter(s::customer_id.eq(customer)).into_boxed();
    if let Some(b) = before {
        q = q.filter(s::id.lt(b));
    }
    q.order(s::id.desc())
        .limit(limit)
        .select(Session::as_select())
        .load(conn)
}

/// Waiting sessions, oldest first, after position `after`.
pub fn waiting(
    conn: &mut DbConnection,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Session>> {
    let mut q = s::table.filter(s::status.eq("waiting")).into_boxed();
    if let Some(a) = after {
        q = q.filter(s::id.gt(a));
    }
    q.order(s::id.asc())
        .limit(limit)
        .select(Session::as_select())
        .load(conn)
}

/// How many sessions wait before position `id`.
pub fn waiting_before(conn: &mut DbConnection, id: i64) -> QueryResult<i64> {
    s::table
        .filter(s::status.eq("waiting"))
        .filter(s::id.lt(id))
        .count()
        .get_result(conn)
}

/// Gives a waiting session to `agent`; false when it was not waiting any more.
pub fn join(
    conn: &mut DbConnection,
    id: i64,
    agent: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        s::table
            .filter(s::id.eq(id))
            .filter(s::status.eq("waiting")),
    )
    .set((
        s::status.eq(SessionStatus::Active.as_str()),
        s::agent_id.eq(Some(agent)),
        s::joined_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Closes a session that is not closed; false when it already was.
pub fn close(
    conn: &mut DbConnection,
    id: i64,
    by: &str,
    rating: Option<i32>,
    feedback: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(s::table.filter(s::id.eq(id)).filter(s::status.ne("closed")))
        .set((
            s::status.eq(SessionStatus::Closed.as_str()),
            s::closed_at.eq(Some(now)),
            s::closed_by.eq(Some(by)),
            s::rating.eq(rating),
            s::feedback.eq(feedback),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// The handling times (join to close) of the last `n` sessions closed, in seconds.
pub fn recent_handling(
    conn: &mut DbConnection,
    n: i64,
) -> QueryResult<Vec<(NaiveDateTime, NaiveDateTime)>> {
    s::table
        .filter(s::status.eq("closed"))
        .filter(s::joined_at.is_not_null())
        .order(s::closed_at.desc())
        .limit(n)
        .select((
            s::joined_at.assume_not_null(),
            s::closed_at.assume_not_null(),
        ))
        .load(conn)
}

pub fn add_message(
    conn: &mut DbConnection,
    session: i64,
    new: &NewMessage<'_>,
    now: NaiveDateTime,
) -> QueryResult<Message> {
    with_backend!(conn, |c| diesel::insert_into(m::table)
        .values((
            m::session_id.eq(session),
            m::sender.eq(new.sender),
            m::sender_role.eq(new.sender_role),
            m::kind.eq(new.kind),
            m::body.eq(new.body),
            m::created_at.eq(now),
        ))
        .returning(Message::as_returning())
        .get_result(c))
}

/// A session's messages in order, after position `after`.
pub fn messages(
    conn: &mut DbConnection,
    session: i64,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let mut q = m::table.filter(m::session_id.eq(session)).into_boxed();
    if let Some(a) = after {
        q = q.filter(m::id.gt(a));
    }
    q.order(m::id.asc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)
}

/// Notes that `agent` is working now.
pub fn seen(conn: &mut DbConnection, agent: &str, now: NaiveDateTime) -> QueryResult<usize> {
    with_backend!(conn, |c| diesel::insert_into(p::table)
        .values((p::agent_id.eq(agent), p::seen_at.eq(now)))
        .on_conflict(p::agent_id)
        .do_update()
        .set(p::seen_at.eq(now))
        .execute(c))
}

/// Agents seen since `since`.
pub fn agents_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<i64> {
    p::table
        .filter(p::seen_at.ge(since))
        .count()
        .get_result(conn)
}
