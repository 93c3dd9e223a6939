//! Chat use cases: start, join, post, close, each in one transaction with the clock passed
//! in. Joining and closing are conditional updates, so racing agents or double closes
//! resolve to one winner and a 409.

use chrono::{Duration, NaiveDateTime};
use cid_kit::DbConnection;
use diesel::QueryResult;

use crate::domain::chat::{self, SessionStatus};
use crate::error::ChatError;
use crate::store::chat::{self as store, Message, NewMessage, Session};

/// Agents seen within this window count as online for the wait estimate.
pub const ONLINE_WINDOW_MINUTES: i64 = 5;
/// Handling times averaged for the estimate.
pub const RECENT_SESSIONS: i64 = 20;

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// A customer (their standard ID).
    Customer(String),
    /// An agent (or an admin, who may close any session).
    Staff { subject: String, admin: bool },
}

/// The session as `viewer` may see it: another customer's is not found.
pub fn visible(
    conn: &mut DbConnection,
    session_id: &str,
    viewer: &Viewer,
) -> Result<Session, ChatError> {
    store::find(conn, session_id)?
        .filter(|s| match viewer {
            Viewer::Customer(id) => s.customer_id == *id,
            Viewer::Staff { .. } => true,
        })
        .ok_or_else(|| ChatError::SessionNotFound(session_id.to_owned()))
}

/// The expected wait of the session at position `id`, in seconds.
pub fn estimate(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<i64> {
    let ahead = store::waiting_before(conn, id)?;
    let agents = store::agents_since(conn, now - Duration::minutes(ONLINE_WINDOW_MINUTES))?;
    let handled = store::recent_handling(conn, RECENT_SESSIONS)?;
    let mean = (!handled.is_empty()).then(|| {
        handled
            .iter()
            .map(|(j, c)| (*c - *j).num_seconds().max(0))
            .sum::<i64>()
            / handled.len() as i64
    });
    Ok(chat::estimated_wait(ahead, agents, mean))
}

/// Opens a waiting session with the customer's first message.
pub fn start(
    conn: &mut DbConnection,
    customer: &str,
    topic: &str,
    first: &str,
    now: NaiveDateTime,
) -> QueryResult<(Session, Message)> {
    let id = uuid::Uuid::now_v7().to_string();
    let session = store::insert_session(conn, &id, customer, topic, now)?;
    let message = store::add_message(
        conn,
        session.id,
        &NewMessage {
            sender: customer,
            sender_role: "customer",
            kind: "message",
            body: first,
        },
        now,
    )?;
    Ok((session, message))
}

/// Gives `agent` the waiting session `session_id`, or the oldest waiting one.
pub fn join(
    conn: &mut DbConnection,
    session_id: Option<&str>,
    agent: &str,
    now: NaiveDateTime,
) -> Result<(Session, Message), ChatError> {
    store::seen(conn, agent, now)?;
    let session = match session_id {
        Some(id) => visible(
            conn,
            id,
            &Viewer::Staff {
                subject: agent.to_owned(),
                admin: false,
            },
        )?,
        None => store::waiting(conn, None, 1)?
            .into_iter()
            .next()
            .ok_or(ChatError::QueueEmpty)?,
    };
    if session.status != SessionStatus::Waiting || !store::join(conn, session.id, agent, now)? {
        return Err(
            match store::find(conn, &session.session_id)?.map(|s| s.status) {
                Some(SessionStatus::Closed) => ChatError::Closed(session.session_id),
                _ => ChatError::Taken(session.session_id),
            },
        );
    }
    let notice = store::add_message(
        conn,
        session.id,
        &NewMessage {
            sender: agent,
            sender_role: "agent",
            kind: "notice",
            body: "agent_joined",
        },
        now,
    )?;
    let joined = store::find(conn, &session.session_id)?
        .ok_or_else(|| ChatError::SessionNotFound(session.session_id.clone()))?;
    Ok((joined, notice))
}

/// Stores a message: from the session's customer (while waiting or active) or its agent.
pub fn post(
    conn: &mut DbConnection,
    session_id: &str,
    viewer: &Viewer,
    body: &str,
    now: NaiveDateTime,
) -> Result<(Session, Message), ChatError> {
    let session = visible(conn, session_id, viewer)?;
    let (sender, role) = match viewer {
        Viewer::Customer(id) => (id.clone(), "customer"),
        Viewer::Staff { subject, .. } if session.agent_id.as_deref() == Some(subject) => {
            store::seen(conn, subject, now)?;
            (subject.clone(), "agent")
        }
        Viewer::Staff { .. } => return Err(ChatError::NotParticipant),
    };
    if session.status == SessionStatus::Closed {
        return Err(ChatError::Closed(session.session_id));
    }
    let message = store::add_message(
        conn,
        session.id,
        &NewMessage {
            sender: &sender,
            sender_role: role,
            kind: "message",
            body,
        },
        now,
    )?;
    Ok((session, message))
}

/// Closes a session (its customer, its agent or an admin); a rating only from the customer.
pub fn close(
    conn: &mut DbConnection,
    session_id: &str,
    viewer: &Viewer,
    rating: Option<i32>,
    feedback: Option<&str>,
    now: NaiveDateTime,
) -> Result<(Session, Message), ChatError> {
    let session = visible(conn, session_id, viewer)?;
    let by = match viewer {
        Viewer::Customer(id) => id.clone(),
        Viewer::Staff { subject, admin }
            if *admin || session.agent_id.as_deref() == Some(subject) =>
        {
            if rating.is_some() || feedback.is_some() {
                return Err(ChatError::NotParticipant);
            }
            subject.clone()
        }
        Viewer::Staff { .. } => return Err(ChatError::NotParticipant),
    };
    if !store::close(conn, session.id, &by, rating, feedback, now)? {
        return Err(ChatError::Closed(session.session_id));
    }
    let notice = store::add_message(
        conn,
        session.id,
        &NewMessage {
            sender: &by,
            sender_role: if matches!(viewer, Viewer::Customer(_)) {
                "customer"
            } else {
                "agent"
            },
            kind: "notice",
            body: "session_closed",
        },
        now,
    )?;
    let closed = store::find(conn, session_id)?
        .ok_or_else(|| ChatError::SessionNotFound(session_id.to_owned()))?;
    Ok((closed, notice))
}
