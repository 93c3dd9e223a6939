//! Domain events in, webhook subscriptions and their delivery log out.

use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use cid_kit::json::check_text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::events::check_types;
use crate::store::hooks::{Attempt, Event, HookDelivery, Webhook};

/// `POST /notifications/events`'s answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventAccepted {
    pub event_id: String,
    /// Seen before: nothing was done again.
    pub duplicate: bool,
    /// The customer's message, when the event makes one.
    pub notification_id: Option<String>,
    /// Subscribers it was queued for.
    pub webhooks: usize,
}

/// What `POST /notifications/webhooks` takes, for the document: a [`WebhookRequest`] with
/// `url` and `eventTypes` required.
#[derive(ToSchema)]
#[schema(example = json!({"url": "https://crm.marketplace.example/hooks/cid", "eventTypes": ["loyalty.points_earned", "loyalty.tier_changed"], "active": true}))]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // a schema only: the handler reads a `WebhookRequest`
pub struct NewWebhookRequest {
    /// http(s); loopback and private addresses only where configured.
    url: String,
    /// Event types (`loyalty.points_earned`, …) or `["*"]` for all.
    #[schema(min_items = 1)]
    event_types: Vec<String>,
    /// 16 to 256 characters; generated (and shown once) when left out.
    #[schema(min_length = 16, max_length = 256)]
    secret: Option<String>,
    /// Default true: inactive subscriptions are sent nothing.
    active: Option<bool>,
}

/// `POST /notifications/webhooks` (url and eventTypes required) and
/// `PATCH /notifications/webhooks/{webhookId}` (any subset).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(min_properties = 1)]
#[schema(example = json!({"url": "https://crm.marketplace.example/hooks/cid", "eventTypes": ["loyalty.points_earned", "loyalty.tier_changed"], "active": true}))]
pub struct WebhookRequest {
    /// http(s); loopback and private addresses only where configured.
    pub url: Option<String>,
    /// Event types (`loyalty.points_earned`, …) or `["*"]` for all.
    #[schema(min_items = 1)]
    pub event_types: Option<Vec<String>>,
    /// 16 to 256 characters; generated (and shown once) when a new subscription has none.
    #[schema(min_length = 16, max_length = 256)]
    pub secret: Option<String>,
    /// Default true: inactive subscriptions are sent nothing.
    pub active: Option<bool>,
}

impl Validate for WebhookRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "url", self.url.as_deref(), false, 2000);
        if let Some(types) = &self.event_types {
            if types.len() > 50 {
                errors.push(FieldError::new(
                    "eventTypes",
                    FieldIssue::TooMany { max: 50 },
                ));
            } else {
                errors.extend(check_types(types));
            }
        }
        if let Some(secret) = &self.secret
            && !(16..=256).contains(&secret.chars().count())
        {
            errors.push(FieldError::new(
                "secret",
                FieldIssue::OutOfRange { min: 16, max: 256 },
            ));
        }
        if self.url.is_none()
            && self.event_types.is_none()
            && self.secret.is_none()
            && self.active.is_none()
        {
            let fields = ["url", "eventTypes", "secret", "active"];
            let fields = fields.iter().map(|f| (*f).to_owned()).collect();
            errors.push(FieldError::new("url", FieldIssue::AtLeastOne { fields }));
        }
        errors
    }
}

/// A subscription. `secret` is shown only when it was just set (created or rotated).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    pub webhook_id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookResponse {
    pub fn new(w: &Webhook, show_secret: bool) -> Self {
        Self {
            webhook_id: w.webhook_id.clone(),
            url: w.url.clone(),
            event_types: w.types(),
            active: w.active,
            created_by: w.created_by.clone(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
            secret: show_secret.then(|| w.secret.clone()),
        }
    }

    /// As written to the audit log: never the secret.
    pub fn audited(w: &Webhook) -> serde_json::Value {
        serde_json::to_value(Self::new(w, false)).unwrap_or_default()
    }
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptResponse {
    pub attempted_at: String,
    /// The subscriber's HTTP status; null when it could not be reached.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event's delivery to a subscriber, with every attempt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookDeliveryResponse {
    pub delivery_id: i64,
    pub event_id: String,
    pub event_type: String,
    /// `queued`, `sent` or `failed` (after the last attempt; re-send by hand).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<String>,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub attempt_log: Vec<AttemptResponse>,
}

impl HookDeliveryResponse {
    pub fn new(d: &HookDelivery, e: &Event, attempts: &[Attempt]) -> Self {
        Self {
            delivery_id: d.id,
            event_id: e.event_id.clone(),
            event_type: e.event_type.clone(),
            status: d.status.clone(),
            attempts: d.attempts,
            next_attempt_at: (d.status == "queued")
                .then_some(d.due_at)
                .flatten()
                .map(rfc3339),
            sent_at: d.sent_at.map(rfc3339),
            last_error: d.last_error.clone(),
            created_at: rfc3339(d.created_at),
            attempt_log: attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| AttemptResponse {
                    attempted_at: rfc3339(a.attempted_at),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}
