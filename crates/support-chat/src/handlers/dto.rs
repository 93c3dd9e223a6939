//! Request and response bodies of the support chat API (camelCase on the wire).

use cid_common::locale::Locale;
use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use cid_kit::json::check_text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Category;
use crate::domain::faq::topics;
use crate::store::faq::Entry;

pub const MAX_QUERY: usize = 100;

/// Text in both languages.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub en: String,
    pub ar: String,
}

/// An FAQ entry in the caller's language (`Accept-Language`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaqResponse {
    pub entry_id: String,
    pub category: Category,
    pub topic: String,
    pub question: String,
    pub answer: String,
    /// `ar` or `en`.
    pub language: String,
}

impl FaqResponse {
    pub fn new(e: &Entry, locale: Locale) -> Self {
        let (question, answer) = match locale {
            Locale::Ar => (&e.question_ar, &e.answer_ar),
            Locale::En => (&e.question_en, &e.answer_en),
        };
        Self {
            entry_id: e.entry_id.clone(),
            category: e.category,
            topic: e.topic.clone(),
            question: question.clone(),
            answer: answer.clone(),
            language: if locale == Locale::Ar { "ar" } else { "en" }.to_owned(),
        }
    }
}

/// An FAQ entry in both languages (admin routes).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaqEntryResponse {
    pub entry_id: String,
    pub category: Category,
    pub topic: String,
    pub question: Texts,
    pub answer: Texts,
    pub updated_at: String,
}

impl From<&Entry> for FaqEntryResponse {
    fn from(e: &Entry) -> Self {
        Self {
            entry_id: e.entry_id.clone(),
            category: e.category,
            topic: e.topic.clone(),
            question: Texts {
                en: e.question_en.clone(),
                ar: e.question_ar.clone(),
            },
            answer: Texts {
                en: e.answer_en.clone(),
                ar: e.answer_ar.clone(),
            },
            updated_at: rfc3339(e.updated_at),
        }
    }
}

/// `POST /support-chat/faq` (all fields) and `PUT /support-chat/faq/{entryId}` (all fields).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"category": "orders", "topic": "tracking", "question": {"en": "Where is my order?", "ar": "أين طلبي؟"}, "answer": {"en": "Open Orders and choose the order to see its courier and tracking number.", "ar": "افتح الطلبات واختر الطلب لترى شركة الشحن ورقم التتبع."}}))]
pub struct FaqRequest {
    pub category: Category,
    /// One of the category's topics (see `GET /support-chat/categories`).
    pub topic: String,
    pub question: Texts,
    pub answer: Texts,
}

impl Validate for FaqRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let known: Vec<String> = topics(self.category)
            .iter()
            .map(|t| t.key.to_owned())
            .collect();
        if !known.contains(&self.topic) {
            errors.push(FieldError::new(
                "topic",
                FieldIssue::OneOf { allowed: known },
            ));
        }
        check_text(
            &mut errors,
            "question.en",
            Some(&self.question.en),
            true,
            300,
        );
        check_text(
            &mut errors,
            "question.ar",
            Some(&self.question.ar),
            true,
            300,
        );
        check_text(&mut errors, "answer.en", Some(&self.answer.en), true, 3000);
        check_text(&mut errors, "answer.ar", Some(&self.answer.ar), true, 3000);
        errors
    }
}

/// A topic of a category.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopicResponse {
    pub topic: &'static str,
    pub name: &'static str,
}

/// A category with its topics, in the caller's language (and both names of the category).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryResponse {
    pub category: Category,
    pub name: &'static str,
    pub name_en: &'static str,
    pub name_ar: &'static str,
    pub topics: Vec<TopicResponse>,
}

impl CategoryResponse {
    pub fn new(c: Category, locale: Locale) -> Self {
        let n = c.name();
        Self {
            category: c,
            name: n.get(locale),
            name_en: n.en,
            name_ar: n.ar,
            topics: topics(c)
                .iter()
                .map(|t| TopicResponse {
                    topic: t.key,
                    name: t.name.get(locale),
                })
                .collect(),
        }
    }
}

pub const MAX_MESSAGE: usize = 2000;

/// `POST /support-chat/{customerId}/start`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"topic": "tracking", "message": "Where is my order ORD-1001?"}))]
pub struct StartRequest {
    #[schema(max_length = 100)]
    pub topic: String,
    /// The first message.
    #[schema(max_length = 2000)]
    pub message: String,
}

impl Validate for StartRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "topic", Some(&self.topic), true, 100);
        check_text(
            &mut errors,
            "message",
            Some(&self.message),
            true,
            MAX_MESSAGE,
        );
        errors
    }
}

/// `POST /support-chat/{sessionId}/message`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "My order ORD-1001 shows delivered, but nothing arrived."}))]
pub struct MessageRequest {
    #[schema(max_length = 2000)]
    pub message: String,
}

impl Validate for MessageRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(
            &mut errors,
            "message",
            Some(&self.message),
            true,
            MAX_MESSAGE,
        );
        errors
    }
}

/// `POST /support-chat/{sessionId}/close`: a rating and feedback from the customer only.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": 5, "feedback": "Quick and helpful, thank you."}))]
pub struct CloseRequest {
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 5)]
    pub rating: Option<serde_json::Number>,
    #[schema(max_length = 1000)]
    pub feedback: Option<String>,
}

impl CloseRequest {
    pub fn rating(&self) -> Option<i32> {
        self.rating
            .as_ref()
            .and_then(serde_json::Number::as_i64)
            .filter(|r| (1..=5).contains(r))
            .map(|r| r as i32)
    }
}

impl Validate for CloseRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.rating.is_some() && self.rating().is_none() {
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
            1000,
        );
        errors
    }
}

/// A chat session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub session_id: String,
    pub customer_id: String,
    pub topic: String,
    pub status: crate::domain::chat::SessionStatus,
    pub agent_id: Option<String>,
    pub created_at: String,
    pub joined_at: Option<String>,
    pub closed_at: Option<String>,
    pub rating: Option<i32>,
    pub feedback: Option<String>,
}

impl From<&crate::store::chat::Session> for SessionResponse {
    fn from(s: &crate::store::chat::Session) -> Self {
        Self {
            session_id: s.session_id.clone(),
            customer_id: s.customer_id.clone(),
            topic: s.topic.clone(),
            status: s.status,
            agent_id: s.agent_id.clone(),
            created_at: rfc3339(s.created_at),
            joined_at: s.joined_at.map(rfc3339),
            closed_at: s.closed_at.map(rfc3339),
            rating: s.rating,
            feedback: s.feedback.clone(),
        }
    }
}

/// A message or a notice (`agent_joined`, `session_closed`) of a session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageResponse {
    /// Increases with every message: `?after=` takes it.
    pub message_id: i64,
    pub session_id: String,
    pub sender: String,
    /// `customer` or `agent`.
    pub sender_role: String,
    /// `message` or `notice`.
    pub kind: String,
    pub message: String,
    pub created_at: String,
}

impl MessageResponse {
    pub fn new(m: &crate::store::chat::Message, session_id: &str) -> Self {
        Self {
            message_id: m.id,
            session_id: session_id.to_owned(),
            sender: m.sender.clone(),
            sender_role: m.sender_role.clone(),
            kind: m.kind.clone(),
            message: m.body.clone(),
            created_at: rfc3339(m.created_at),
        }
    }
}

/// `start`'s answer: the waiting session, where it stands and the first message.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartResponse {
    #[serde(flatten)]
    pub session: SessionResponse,
    /// Seconds (see the API guide for the formula).
    pub estimated_wait_time: i64,
    pub estimated_wait_text: String,
    pub first_message: MessageResponse,
}

/// A waiting session in the agents' queue.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuedResponse {
    #[serde(flatten)]
    pub session: SessionResponse,
    /// How long it has waited, in seconds.
    pub waiting_seconds: i64,
}

/// `close`'s answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloseResponse {
    #[serde(flatten)]
    pub session: SessionResponse,
    /// From start to close.
    pub duration_seconds: i64,
    /// The same, in words in the caller's language.
    pub duration: String,
}
