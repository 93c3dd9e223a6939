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
