//! Sending one message: rendered in the customer's language, planned per channel from their
//! preferences, stored with its deliveries in one transaction. The deliverer takes the due
//! deliveries from there; the in-app one is done by storing.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use cid_kit::{ApiError, DbConnection};

use crate::domain::delivery::{self, Category, Channel, DigestClock, Status};
use crate::domain::templates::Template;
use crate::domain::{Language, Preferences};
use crate::error::NotificationsError;
use crate::store::{self, feed};

/// Who the message is for, as the registry knows them.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub customer_id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The language on the customer's record, used until they choose one here.
    pub language: Option<Language>,
}

/// What to say: given text, or a template with its parameters.
#[derive(Debug, Clone)]
pub enum Content {
    Text {
        category: Category,
        title: String,
        message: String,
    },
    Template {
        template: &'static Template,
        params: BTreeMap<String, String>,
    },
}

/// A message as stored, with one delivery per channel.
#[derive(Debug, Clone)]
pub struct Sent {
    pub notification: feed::Notification,
    pub deliveries: Vec<feed::Delivery>,
}

/// The customer's preferences: stored, or the defaults in the language of their record.
pub fn preferences_of(
    conn: &mut DbConnection,
    to: &Recipient,
    defaults: &Preferences,
) -> diesel::QueryResult<Preferences> {
    Ok(match store::find(conn, &to.customer_id)? {
        Some(row) => row.preferences(),
        None => Preferences {
            language: to.language.unwrap_or(defaults.language),
            ..defaults.clone()
        },
    })
}

/// Stores the message and its deliveries. With `event_id`, a second call for the same event
/// returns the first message instead of sending again.
pub fn send(
    conn: &mut DbConnection,
    to: &Recipient,
    content: &Content,
    defaults: &Preferences,
    clock: &DigestClock,
    event_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<Sent, NotificationsError> {
    if let Some(event) = event_id
        && let Some(notification) = feed::by_event(conn, event)?
    {
        let deliveries = feed::deliveries_of(conn, &[notification.id])?;
        return Ok(Sent {
            notification,
            deliveries,
        });
    }
    let prefs = preferences_of(conn, to, defaults)?;
    let (category, template, title, message) = match content {
        Content::Text {
            category,
            title,
            message,
        } => (*category, None, title.clone(), message.clone()),
        Content::Template { template, params } => {
            let (title, message) = template
                .render(prefs.language, params)
                .map_err(ApiError::validation)?;
            (
                template.category,
                Some(template.key.to_owned()),
                title,
                message,
            )
        }
    };
    let address = |c: Channel| match c {
        Channel::Email => to.email.clone(),
        Channel::Sms => to.phone.clone(),
        Channel::Push | Channel::InApp => Some(to.customer_id.clone()),
    };
    let plan = delivery::plan(&prefs, category, |c| address(c).is_some(), clock, now);
    let in_app = plan
        .iter()
        .any(|p| p.channel == Channel::InApp && p.status == Status::Sent);
    let notification = feed::insert(
        conn,
        &feed::NewNotification {
            notification_id: uuid::Uuid::now_v7().to_string(),
            customer_id: to.customer_id.clone(),
            category: category.as_str().to_owned(),
            template,
            title,
            message,
            language: prefs.language.as_str().to_owned(),
            in_app,
            event_id: event_id.map(str::to_owned),
            created_at: now,
        },
    )?;
    let rows: Vec<feed::NewDelivery> = plan
        .iter()
        .map(|p| feed::NewDelivery {
            notification_id: notification.id,
            customer_id: to.customer_id.clone(),
            channel: p.channel.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            reason: p.reason.map(|r| r.as_str().to_owned()),
            recipient: (p.status != Status::Suppressed && p.channel != Channel::InApp)
                .then(|| address(p.channel))
                .flatten(),
            digest: p.digest,
            due_at: p.due_at,
            sent_at: (p.status == Status::Sent).then_some(now),
            updated_at: now,
        })
        .collect();
    feed::insert_deliveries(conn, &rows)?;
    let deliveries = feed::deliveries_of(conn, &[notification.id])?;
    Ok(Sent {
        notification,
        deliveries,
    })
}
