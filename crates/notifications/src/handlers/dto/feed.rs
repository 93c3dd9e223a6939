//! Sending and the in-app feed: what a sender posts, and a message with its deliveries as
//! every reader sees it.

use std::collections::BTreeMap;

use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use cid_kit::json::check_text;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::delivery::{Category, Channel, Reason, Status};
use crate::domain::templates::Template;
use crate::ops::send::Content;
use crate::store::feed::{Delivery, Notification};

pub const MAX_TITLE: usize = 200;
pub const MAX_MESSAGE: usize = 2000;
const MAX_PARAM: usize = 200;

/// `POST /notifications/{customerId}/send`: either `{type, title, message}` or
/// `{template, params}` (rendered in the customer's language).
///
/// Its document is the two forms as `oneOf` (`SendText`, `SendTemplate`): the flat struct,
/// all fields optional, let a checker take a text message that also names `params` for an
/// invalid template request. A key of the other form may be present as `null` (read as
/// absent), as the handler reads it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SendRequest {
    /// The category: promotional, orderUpdates, loyaltyUpdates or security (the reference's
    /// order, loyalty, offer and alert are accepted too).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
    /// A template key, e.g. `points_earned`.
    pub template: Option<String>,
    /// The template's parameters: strings or numbers.
    pub params: Option<BTreeMap<String, Value>>,
}

/// `{type, title, message}`: a message in the sender's words.
#[derive(ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"type": "loyaltyUpdates", "title": "You earned 250 points", "message": "Your order ORD-1001 earned 250 points; your balance is 1,250."}))]
#[allow(dead_code)] // the document's shape; `SendRequest` reads the body
pub struct SendText {
    /// The category: promotional, orderUpdates, loyaltyUpdates or security (the reference's
    /// order, loyalty, offer and alert are accepted too).
    #[serde(rename = "type")]
    #[schema(example = "loyaltyUpdates")]
    kind: String,
    #[schema(max_length = 200)]
    title: String,
    #[schema(max_length = 2000)]
    message: String,
    #[schema(schema_with = null_only)]
    template: Option<()>,
    #[schema(schema_with = null_only)]
    params: Option<()>,
}

/// `{template, params}`: a bilingual template, rendered in the customer's language.
#[derive(ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"template": "points_earned", "params": {"points": 250, "balance": 1250}}))]
#[allow(dead_code)] // the document's shape; `SendRequest` reads the body
pub struct SendTemplate {
    /// A template key, e.g. `points_earned`.
    template: String,
    /// The template's parameters: strings or numbers.
    #[schema(value_type = Option<Object>)]
    params: Option<BTreeMap<String, Value>>,
    #[serde(rename = "type")]
    #[schema(schema_with = null_only)]
    kind: Option<()>,
    #[schema(schema_with = null_only)]
    title: Option<()>,
    #[schema(schema_with = null_only)]
    message: Option<()>,
}

/// A key of the other form: absent or `null`.
fn null_only() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Null)
        .build()
}

impl utoipa::PartialSchema for SendRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::OneOfBuilder::new()
            .description(Some(
                "Either `{type, title, message}` or `{template, params}` (rendered in the \
                 customer's language).",
            ))
            .item(utoipa::openapi::Ref::from_schema_name(SendText::name()))
            .item(utoipa::openapi::Ref::from_schema_name(SendTemplate::name()))
            .into()
    }
}

impl ToSchema for SendRequest {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((SendText::name().into(), SendText::schema()));
        schemas.push((SendTemplate::name().into(), SendTemplate::schema()));
    }
}

impl SendRequest {
    /// What to send, or every field that is wrong.
    pub fn content(&self) -> Result<Content, Vec<FieldError>> {
        let mut errors = Vec::new();
        let text = self.kind.is_some() || self.title.is_some() || self.message.is_some();
        let templated = self.template.is_some() || self.params.is_some();
        if text == templated {
            errors.push(FieldError::new(
                "template",
                FieldIssue::ExactlyOne {
                    fields: vec!["template".into(), "type".into()],
                },
            ));
            return Err(errors);
        }
        if text {
            let category = match self.kind.as_deref().map(str::trim) {
                None | Some("") => {
                    errors.push(FieldError::new("type", FieldIssue::Required));
                    None
                }
                Some(k) => Category::from_wire(k).or_else(|| {
                    errors.push(FieldError::new(
                        "type",
                        FieldIssue::OneOf {
                            allowed: Category::wire_names(),
                        },
                    ));
                    None
                }),
            };
            check_text(&mut errors, "title", self.title.as_deref(), true, MAX_TITLE);
            check_text(
                &mut errors,
                "message",
                self.message.as_deref(),
                true,
                MAX_MESSAGE,
            );
            return match category {
                Some(category) if errors.is_empty() => Ok(Content::Text {
                    category,
                    title: self.title.as_deref().unwrap_or_default().trim().to_owned(),
                    message: self
                        .message
                        .as_deref()
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                }),
                _ => Err(errors),
            };
        }
        let template = match self.template.as_deref() {
            None => {
                errors.push(FieldError::new("template", FieldIssue::Required));
                None
            }
            Some(key) => Template::find(key).or_else(|| {
                errors.push(FieldError::new(
                    "template",
                    FieldIssue::OneOf {
                        allowed: Template::keys(),
                    },
                ));
                None
            }),
        };
        let mut params = BTreeMap::new();
        for (name, value) in self.params.iter().flatten() {
            let field = format!("params.{name}");
            let text = match value {
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                _ => {
                    errors.push(FieldError::new(
                        field,
                        FieldIssue::WrongType {
                            expected: "string or number".into(),
                        },
                    ));
                    continue;
                }
            };
            check_text(&mut errors, &field, Some(&text), true, MAX_PARAM);
            params.insert(name.clone(), text);
        }
        match template {
            // Both languages use the same parameters: checking one checks the other.
            Some(t) => match t.render(crate::domain::Language::En, &params) {
                Err(e) => {
                    errors.extend(e);
                    Err(errors)
                }
                Ok(_) if errors.is_empty() => Ok(Content::Template {
                    template: t,
                    params,
                }),
                Ok(_) => Err(errors),
            },
            None => Err(errors),
        }
    }
}

impl Validate for SendRequest {
    fn validate(&self) -> Vec<FieldError> {
        self.content().err().unwrap_or_default()
    }
}

/// One channel's delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResponse {
    pub channel: Channel,
    pub status: Status,
    /// Why it is suppressed or scheduled.
    pub reason: Option<Reason>,
    /// RFC 3339: when a scheduled or retried delivery is next tried.
    pub scheduled_for: Option<String>,
    pub sent_at: Option<String>,
    pub attempts: i32,
    /// The transport's last error (retried until the last attempt, then `failed`).
    pub error: Option<String>,
}

impl From<&Delivery> for DeliveryResponse {
    fn from(d: &Delivery) -> Self {
        let status = Status::parse(&d.status).unwrap_or(Status::Queued);
        Self {
            channel: Channel::parse(&d.channel).unwrap_or(Channel::InApp),
            status,
            reason: d.reason.as_deref().and_then(Reason::parse),
            scheduled_for: matches!(status, Status::Queued | Status::Scheduled)
                .then_some(d.due_at)
                .flatten()
                .map(rfc3339),
            sent_at: d.sent_at.map(rfc3339),
            attempts: d.attempts,
            error: d.last_error.clone(),
        }
    }
}

/// A message: in the feed with its read state, and with its deliveries.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationResponse {
    pub notification_id: String,
    pub customer_id: String,
    /// The category (`type` in the request).
    #[serde(rename = "type")]
    pub kind: Category,
    pub template: Option<String>,
    pub title: String,
    pub message: String,
    pub language: crate::domain::Language,
    /// In the in-app feed.
    pub in_app: bool,
    pub read: bool,
    pub read_at: Option<String>,
    pub created_at: String,
    pub deliveries: Vec<DeliveryResponse>,
}

impl NotificationResponse {
    pub fn new(n: &Notification, deliveries: &[Delivery]) -> Self {
        Self {
            notification_id: n.notification_id.clone(),
            customer_id: n.customer_id.clone(),
            kind: Category::parse(&n.category).unwrap_or(Category::OrderUpdates),
            template: n.template.clone(),
            title: n.title.clone(),
            message: n.message.clone(),
            language: crate::domain::Language::parse(&n.language)
                .unwrap_or(crate::domain::Language::En),
            in_app: n.in_app,
            read: n.read_at.is_some(),
            read_at: n.read_at.map(rfc3339),
            created_at: rfc3339(n.created_at),
            deliveries: deliveries
                .iter()
                .filter(|d| d.notification_id == n.id)
                .map(DeliveryResponse::from)
                .collect(),
        }
    }
}

/// `GET /notifications/{customerId}/unread-count`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnreadResponse {
    pub customer_id: String,
    pub unread: i64,
}

/// `PATCH /notifications/{customerId}/read-all`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadAllResponse {
    pub customer_id: String,
    /// How many were unread and are now read.
    pub marked: usize,
    pub unread: i64,
}
