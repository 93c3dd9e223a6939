//! Use cases of the support service: one transaction each, the clock passed in, rows out.
//! A status change is a conditional update (the ticket must still be in the status the
//! check saw), so two changes racing cannot both apply.

use chrono::{Datelike, NaiveDateTime};
use cid_common::contracts::events::types;
use cid_kit::{DbConnection, audit, events};
use serde_json::json;

use crate::domain::{self, Category, Mover, Priority, Refusal, SlaHours, Status};
use crate::error::SupportError;
use crate::store::{self, NewComment, NewTicket, Ticket};

/// Who looks at or acts on a ticket.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// An agent, an admin or a service.
    Staff,
    /// A customer (their standard ID).
    Customer(String),
}

impl Viewer {
    fn mover(&self) -> Mover {
        match self {
            Self::Staff => Mover::Staff,
            Self::Customer(_) => Mover::Owner,
        }
    }
}

/// The ticket `ticket_id` as `viewer` may see it: another customer's is not found.
pub fn visible(
    conn: &mut DbConnection,
    ticket_id: &str,
    viewer: &Viewer,
) -> Result<Ticket, SupportError> {
    store::find(conn, ticket_id)?
        .filter(|t| match viewer {
            Viewer::Staff => true,
            Viewer::Customer(id) => t.customer_id == *id,
        })
        .ok_or_else(|| SupportError::NotFound(ticket_id.to_owned()))
}

/// A ticket to open.
#[derive(Debug, Clone)]
pub struct Opening {
    pub customer: String,
    pub subject: String,
    pub description: String,
    pub category: Category,
    pub priority: Priority,
    pub created_by: String,
    pub request_id: String,
}

/// Opens a ticket with a fresh random ID (a clash is a unique violation the caller retries)
/// and its SLA due time; emits `support.ticket_created`.
pub fn open(
    conn: &mut DbConnection,
    o: &Opening,
    sla: &SlaHours,
    now: NaiveDateTime,
) -> Result<Ticket, SupportError> {
    let ticket = store::insert(
        conn,
        &NewTicket {
            ticket_id: domain::ticket_id(now.year(), rand::random()),
            customer_id: o.customer.clone(),
            subject: o.subject.clone(),
            description: o.description.clone(),
            category: o.category.as_str().to_owned(),
            priority: o.priority.as_str().to_owned(),
            status: Status::Open.as_str().to_owned(),
            sla_due_at: sla.due(o.priority, now),
            created_by: o.created_by.clone(),
            created_at: now,
            updated_at: now,
        },
    )?;
    let data =
        json!({"ticketId": ticket.ticket_id, "category": o.category, "priority": o.priority});
    events::record(
        conn,
        types::TICKET_CREATED,
        &o.customer,
        data,
        Some(&o.request_id),
        now,
    )?;
    Ok(ticket)
}

/// A status change asked for.
#[derive(Debug, Clone)]
pub struct Move {
    pub to: Status,
    pub note: Option<String>,
    pub viewer: Viewer,
    pub actor: audit::Actor,
}

/// Moves a ticket through the machine; records the change, emits
/// `support.ticket_status_changed` and, for staff, writes the audit log.
pub fn change_status(
    conn: &mut DbConnection,
    ticket_id: &str,
    m: &Move,
    reopen_days: i64,
    now: NaiveDateTime,
) -> Result<Ticket, SupportError> {
    let t = visible(conn, ticket_id, &m.viewer)?;
    let refused = |r: Refusal, from: Status| match r {
        Refusal::NotAllowed { allowed } => SupportError::Transition {
            from,
            to: m.to,
            allowed,
        },
        Refusal::ReopenWindowOver { resolved_at } => SupportError::ReopenWindowOver {
            days: reopen_days,
            resolved_at,
        },
    };
    domain::check(
        t.status,
        m.to,
        m.viewer.mover(),
        t.resolved_at,
        reopen_days,
        now,
    )
    .map_err(|r| refused(r, t.status))?;
    if !store::change_status(conn, t.id, t.status, m.to, now)? {
        let current = visible(conn, ticket_id, &m.viewer)?.status;
        return Err(SupportError::Transition {
            from: current,
            to: m.to,
            allowed: domain::moves(current, m.viewer.mover()),
        });
    }
    store::record_change(
        conn,
        t.id,
        t.status,
        m.to,
        &m.actor.subject,
        m.note.as_deref(),
        now,
    )?;
    let data = json!({"ticketId": t.ticket_id, "from": t.status, "to": m.to});
    events::record(
        conn,
        types::TICKET_STATUS_CHANGED,
        &t.customer_id,
        data,
        Some(&m.actor.request_id),
        now,
    )?;
    if matches!(m.viewer, Viewer::Staff) {
        audit::record(
            conn,
            &m.actor,
            "support.ticket_status_changed",
            &format!("ticket:{}", t.ticket_id),
            Some(&json!({"status": t.status})),
            Some(&json!({"status": m.to, "note": m.note})),
            now,
        )?;
    }
    visible(conn, ticket_id, &m.viewer)
}

/// Assigns a ticket to an agent (staff), in the audit log.
pub fn assign(
    conn: &mut DbConnection,
    ticket_id: &str,
    agent: &str,
    actor: &audit::Actor,
    now: NaiveDateTime,
) -> Result<Ticket, SupportError> {
    let t = visible(conn, ticket_id, &Viewer::Staff)?;
    store::assign(conn, t.id, agent, now)?;
    audit::record(
        conn,
        actor,
        "support.ticket_assigned",
        &format!("ticket:{}", t.ticket_id),
        Some(&json!({"assignee": t.assignee})),
        Some(&json!({"assignee": agent})),
        now,
    )?;
    visible(conn, ticket_id, &Viewer::Staff)
}

/// Adds a comment; only staff write internal notes (checked by the handler).
pub fn comment(
    conn: &mut DbConnection,
    ticket_id: &str,
    viewer: &Viewer,
    new: NewComment,
) -> Result<store::Comment, SupportError> {
    let t = visible(conn, ticket_id, viewer)?;
    Ok(store::add_comment(
        conn,
        &NewComment {
            ticket_id: t.id,
            ..new
        },
    )?)
}

/// The owner rates a resolved ticket once.
pub fn rate(
    conn: &mut DbConnection,
    ticket_id: &str,
    owner: &str,
    rating: i32,
    feedback: Option<&str>,
    now: NaiveDateTime,
) -> Result<Ticket, SupportError> {
    let t = visible(conn, ticket_id, &Viewer::Customer(owner.to_owned()))?;
    if !store::ratings(conn, &[t.id])?.is_empty() {
        return Err(SupportError::AlreadyRated(t.ticket_id));
    }
    if t.resolved_at.is_none() || !matches!(t.status, Status::Resolved | Status::Closed) {
        return Err(SupportError::NotResolved(t.ticket_id));
    }
    // Two ratings racing: the table's key lets one in.
    if !store::rate(conn, t.id, rating, feedback, now)? {
        return Err(SupportError::AlreadyRated(t.ticket_id));
    }
    Ok(t)
}
