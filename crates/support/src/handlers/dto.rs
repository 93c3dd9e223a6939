//! Request and response bodies of the support API (camelCase on the wire).

use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use cid_kit::json::check_text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{self, Category, Priority, Status};
use crate::store::{Change, Comment, Rating, Ticket};

pub const MAX_SUBJECT: usize = 200;
pub const MAX_TEXT: usize = 5000;

/// `POST /support/{customerId}/ticket`: `subject` (or the reference's `title`), description,
/// category, priority (default medium).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"subject": "Order ORD-1001 arrived damaged", "description": "The screen is cracked; the box was crushed.", "category": "returns", "priority": "high"}))]
pub struct TicketRequest {
    #[schema(max_length = 200)]
    pub subject: Option<String>,
    /// = `subject`.
    #[schema(max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    pub category: Option<Category>,
    pub priority: Option<Priority>,
}

impl TicketRequest {
    pub fn subject(&self) -> String {
        self.subject
            .as_deref()
            .or(self.title.as_deref())
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

impl Validate for TicketRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match (&self.subject, &self.title) {
            (Some(a), Some(b)) if a.trim() != b.trim() => errors.push(FieldError::new(
                "title",
                FieldIssue::OneOf {
                    allowed: vec!["the same value as subject".into()],
                },
            )),
            (None, None) => errors.push(FieldError::new("subject", FieldIssue::Required)),
            _ => check_text(
                &mut errors,
                "subject",
                Some(&self.subject()),
                true,
                MAX_SUBJECT,
            ),
        }
        check_text(
            &mut errors,
            "description",
            self.description.as_deref(),
            true,
            MAX_TEXT,
        );
        if self.category.is_none() {
            errors.push(FieldError::new("category", FieldIssue::Required));
        }
        errors
    }
}

/// `PUT /support/ticket/{ticketId}/status`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "in_progress", "note": "Asked the courier for a new date."}))]
pub struct StatusRequest {
    /// `open`, `in_progress` (or `in-progress`), `resolved`, `closed`.
    #[schema(example = "in_progress")]
    pub status: String,
    /// Why, shown in the ticket's history.
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

impl StatusRequest {
    pub fn status(&self) -> Option<Status> {
        Status::from_wire(self.status.trim())
    }
}

impl Validate for StatusRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.status().is_none() {
            let mut allowed: Vec<String> =
                Status::ALL.iter().map(|s| s.as_str().to_owned()).collect();
            allowed.push("in-progress".into());
            errors.push(FieldError::new("status", FieldIssue::OneOf { allowed }));
        }
        check_text(&mut errors, "note", self.note.as_deref(), false, 1000);
        errors
    }
}

/// `POST /support/ticket/{ticketId}/comment`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "The courier confirmed a new delivery date: Thursday.", "internal": false}))]
pub struct CommentRequest {
    #[schema(max_length = 5000)]
    pub message: String,
    /// A staff-only note the customer never sees (customers may not set it).
    #[serde(default)]
    pub internal: bool,
}

impl Validate for CommentRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "message", Some(&self.message), true, MAX_TEXT);
        errors
    }
}

/// `POST /support/ticket/{ticketId}/rating`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": 5, "feedback": "Solved on the first reply."}))]
pub struct RatingRequest {
    /// 1..5, a whole number.
    #[schema(value_type = i32, minimum = 1, maximum = 5)]
    pub rating: serde_json::Number,
    #[schema(max_length = 2000)]
    pub feedback: Option<String>,
}

impl RatingRequest {
    pub fn rating(&self) -> Option<i32> {
        self.rating
            .as_i64()
            .filter(|r| (1..=5).contains(r))
            .map(|r| r as i32)
    }
}

impl Validate for RatingRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.rating().is_none() {
            errors.push(FieldError::new(
                "rating",
                FieldIssue::OutOfRange { min: 1, max: 5 },
            ));
        }
        check_text(
            &mut errors,
            "feedback",
            self.feedback.as_deref(),
            false,
            2000,
        );
        errors
    }
}

/// `PUT /support/ticket/{ticketId}/assign`: to `agentId`, or to the caller when left out.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"agentId": "agent-17"}))]
pub struct AssignRequest {
    #[schema(max_length = 64)]
    pub agent_id: Option<String>,
}

impl Validate for AssignRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "agentId", self.agent_id.as_deref(), false, 64);
        if self
            .agent_id
            .as_deref()
            .is_some_and(|a| a.trim().is_empty())
        {
            errors.push(FieldError::new("agentId", FieldIssue::Required));
        }
        errors
    }
}

/// A ticket.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    pub ticket_id: String,
    pub customer_id: String,
    pub subject: String,
    /// = `subject` (the reference's name).
    pub title: String,
    pub description: String,
    pub category: Category,
    pub priority: Priority,
    pub status: Status,
    pub assignee: Option<String>,
    pub sla_due_at: String,
    /// Past its SLA due time while still open or in progress.
    pub sla_breached: bool,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    /// 1..5, once the customer rated it.
    pub rating: Option<i32>,
    pub feedback: Option<String>,
}

impl TicketResponse {
    /// `ratings` may hold other tickets' too (a page's).
    pub fn new(t: &Ticket, ratings: &[Rating], now: chrono::NaiveDateTime) -> Self {
        let rated = ratings.iter().find(|r| r.ticket_id == t.id);
        Self {
            ticket_id: t.ticket_id.clone(),
            customer_id: t.customer_id.clone(),
            subject: t.subject.clone(),
            title: t.subject.clone(),
            description: t.description.clone(),
            category: t.category,
            priority: t.priority,
            status: t.status,
            assignee: t.assignee.clone(),
            sla_due_at: rfc3339(t.sla_due_at),
            sla_breached: domain::breached(t.status, t.sla_due_at, now),
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
            resolved_at: t.resolved_at.map(rfc3339),
            closed_at: t.closed_at.map(rfc3339),
            rating: rated.map(|r| r.rating),
            feedback: rated.and_then(|r| r.feedback.clone()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentResponse {
    pub comment_id: i64,
    pub author: String,
    /// `customer`, `agent`, `admin` or `service`.
    pub author_role: String,
    pub message: String,
    pub internal: bool,
    pub created_at: String,
}

impl From<&Comment> for CommentResponse {
    fn from(c: &Comment) -> Self {
        Self {
            comment_id: c.id,
            author: c.author.clone(),
            author_role: c.author_role.clone(),
            message: c.message.clone(),
            internal: c.internal,
            created_at: rfc3339(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeResponse {
    pub from: String,
    pub to: String,
    pub by: String,
    pub note: Option<String>,
    pub at: String,
}

impl From<&Change> for ChangeResponse {
    fn from(c: &Change) -> Self {
        Self {
            from: c.from_status.clone(),
            to: c.to_status.clone(),
            by: c.actor.clone(),
            note: c.note.clone(),
            at: rfc3339(c.changed_at),
        }
    }
}

/// A ticket with its comments (internal notes only for staff) and status history.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketDetails {
    #[serde(flatten)]
    pub ticket: TicketResponse,
    pub comments: Vec<CommentResponse>,
    pub history: Vec<ChangeResponse>,
}

/// A category of the fixed list, in both languages.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryResponse {
    pub category: Category,
    pub name: Names,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Names {
    pub en: &'static str,
    pub ar: &'static str,
}

impl From<Category> for CategoryResponse {
    fn from(c: Category) -> Self {
        let n = c.name();
        Self {
            category: c,
            name: Names { en: n.en, ar: n.ar },
        }
    }
}
