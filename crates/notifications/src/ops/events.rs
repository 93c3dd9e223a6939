//! Taking in a domain event: recorded once by its ID, queued for every subscriber that wants
//! its type, and turned into a message for the customer when it is one they hear of — all in
//! one transaction, so a repeat delivery (the sender's outbox is at least once) changes
//! nothing.

use chrono::NaiveDateTime;
use cid_common::contracts::events::DomainEvent;
use cid_kit::DbConnection;

use super::send::{self, Content, Recipient, Sent};
use crate::domain::Preferences;
use crate::domain::delivery::DigestClock;
use crate::domain::events::notification_for;
use crate::error::NotificationsError;
use crate::store::hooks::{self, NewEvent};

/// What taking an event did.
#[derive(Debug)]
pub enum Received {
    /// Seen before: nothing done.
    Repeat,
    New {
        /// Subscribers it was queued for.
        webhooks: usize,
        /// The customer's message, if they get one.
        sent: Option<Box<Sent>>,
    },
}

pub fn receive(
    conn: &mut DbConnection,
    event: &DomainEvent,
    payload: &str,
    to: Option<&Recipient>,
    defaults: &Preferences,
    clock: &DigestClock,
    now: NaiveDateTime,
) -> Result<Received, NotificationsError> {
    let new = NewEvent {
        event_id: event.id.clone(),
        event_type: event.kind.clone(),
        customer_id: to
            .map(|r| r.customer_id.clone())
            .or(event.customer_id.clone()),
        payload: payload.to_owned(),
        received_at: now,
    };
    let Some(stored) = hooks::insert_event(conn, &new)? else {
        return Ok(Received::Repeat);
    };
    let wanting: Vec<i64> = hooks::active_webhooks(conn)?
        .into_iter()
        .filter(|w| w.wants(&event.kind))
        .map(|w| w.id)
        .collect();
    if !wanting.is_empty() {
        hooks::fan_out(conn, stored.id, &wanting, now)?;
    }
    let sent = match (notification_for(event), to) {
        (Some((template, params)), Some(to)) => Some(Box::new(send::send(
            conn,
            to,
            &Content::Template { template, params },
            defaults,
            clock,
            Some(&event.id),
            now,
        )?)),
        _ => None,
    };
    Ok(Received::New {
        webhooks: wanting.len(),
        sent,
    })
}
