//! The FAQ: public reads and search in the caller's language, admin edits (audited).

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{Envelope, FieldIssue};
use cid_kit::roles::ADMIN;
use cid_kit::{ApiError, Caller, Db, JsonBody, RequestContext, audit};

use super::dto::{CategoryResponse, FaqEntryResponse, FaqRequest, FaqResponse, MAX_QUERY};
use crate::domain::Category;
use crate::error::ChatError;
use crate::ops;
use crate::store::faq::{self, EntryFields};

const MAX_RESULTS: usize = 20;

fn category_param(query: &HashMap<String, String>) -> Result<Option<Category>, ApiError> {
    match query.get("category").map(|c| c.trim()) {
        None | Some("") => Ok(None),
        Some(raw) => Category::parse(raw).map(Some).ok_or_else(|| {
            ApiError::field(
                "category",
                FieldIssue::OneOf {
                    allowed: Category::ALL
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect(),
                },
            )
        }),
    }
}

/// The FAQ in the caller's language (public); `?category=` narrows it.
#[utoipa::path(get, path = "/api/customer-id/support-chat/faq", tag = "support-chat",
    params(("category" = Option<String>, Query)),
    responses((status = 200, body = inline(Envelope<Vec<FaqResponse>>))))]
pub async fn list(
    ctx: RequestContext,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let category = category_param(&query)?;
    let entries = db.query(move |c| faq::list(c, category)).await?;
    let shown: Vec<FaqResponse> = entries
        .iter()
        .map(|e| FaqResponse::new(e, ctx.locale))
        .collect();
    Ok(cid_kit::ok(shown))
}

/// Searches the FAQ in both languages (public): Arabic matched without diacritics, tatweel
/// or hamza forms; entries matching every word first, question matches above answer
/// matches. `query` is required (1..100 characters); at most 20 results, in the caller's
/// language.
#[utoipa::path(get, path = "/api/customer-id/support-chat/faq/search", tag = "support-chat",
    params(("query" = String, Query), ("category" = Option<String>, Query)),
    responses((status = 200, body = inline(Envelope<Vec<FaqResponse>>))))]
pub async fn search(
    ctx: RequestContext,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let text = query
        .get("query")
        .map(|q| q.trim().to_owned())
        .unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::field("query", FieldIssue::Required));
    }
    if text.chars().count() > MAX_QUERY {
        return Err(ApiError::field(
            "query",
            FieldIssue::TooLong { max: MAX_QUERY },
        ));
    }
    let category = category_param(&query)?;
    let found = db
        .query(move |c| ops::search(c, &text, category, MAX_RESULTS))
        .await?;
    let shown: Vec<FaqResponse> = found
        .iter()
        .map(|(e, _)| FaqResponse::new(e, ctx.locale))
        .collect();
    Ok(cid_kit::ok(shown))
}

/// The six categories with their topics, in the caller's language (public).
#[utoipa::path(get, path = "/api/customer-id/support-chat/categories", tag = "support-chat",
    responses((status = 200, body = inline(Envelope<Vec<CategoryResponse>>))))]
pub async fn categories(ctx: RequestContext) -> HttpResponse {
    let all: Vec<CategoryResponse> = Category::ALL
        .iter()
        .map(|c| CategoryResponse::new(*c, ctx.locale))
        .collect();
    cid_kit::ok(all)
}

fn fields(r: &FaqRequest, now: chrono::NaiveDateTime) -> EntryFields {
    EntryFields {
        category: r.category.as_str().to_owned(),
        topic: r.topic.clone(),
        question_en: r.question.en.trim().to_owned(),
        question_ar: r.question.ar.trim().to_owned(),
        answer_en: r.answer.en.trim().to_owned(),
        answer_ar: r.answer.ar.trim().to_owned(),
        updated_at: now,
    }
}

async fn entry(db: &Db, entry_id: &str) -> Result<crate::store::faq::Entry, ApiError> {
    let key = entry_id.to_owned();
    db.query(move |c| faq::find(c, &key))
        .await?
        .ok_or_else(|| ChatError::FaqNotFound(entry_id.to_owned()).into())
}

/// Adds an entry (admin), in the audit log.
#[utoipa::path(post, path = "/api/customer-id/support-chat/faq", tag = "support-chat",
    request_body = FaqRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<FaqEntryResponse>))))]
pub async fn create(
    caller: Caller,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let request = body.parse::<FaqRequest>()?;
    let now = Utc::now().naive_utc();
    let id = format!("faq-{}", uuid::Uuid::now_v7().simple());
    let (new, actor, key) = (
        fields(&request, now),
        audit::Actor::new(&caller, &ctx),
        id.clone(),
    );
    let created = db
        .transact(move |c| {
            faq::insert(c, &key, &new, now)?;
            let e = faq::find(c, &key)?.ok_or(diesel::result::Error::NotFound)?;
            let after = serde_json::to_value(FaqEntryResponse::from(&e)).ok();
            ops::edit(
                c,
                &actor,
                "support-chat.faq_created",
                &key,
                None,
                after.as_ref(),
                now,
            )?;
            Ok(e)
        })
        .await?;
    Ok(cid_kit::created(FaqEntryResponse::from(&created)))
}

/// Replaces an entry's category, topic and texts (admin), in the audit log.
#[utoipa::path(put, path = "/api/customer-id/support-chat/faq/{entryId}", tag = "support-chat",
    params(("entryId" = String, Path)), request_body = FaqRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<FaqEntryResponse>)),
        (status = 404, description = "FAQ_NOT_FOUND", body = cid_common::Problem)))]
pub async fn update(
    caller: Caller,
    ctx: RequestContext,
    path: web::Path<String>,
    body: JsonBody,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let request = body.parse::<FaqRequest>()?;
    let current = entry(&db, &path).await?;
    let now = Utc::now().naive_utc();
    let (change, actor) = (fields(&request, now), audit::Actor::new(&caller, &ctx));
    let updated = db
        .transact(move |c| {
            faq::update(c, current.id, &change)?;
            let e = faq::find(c, &current.entry_id)?.ok_or(diesel::result::Error::NotFound)?;
            let before = serde_json::to_value(FaqEntryResponse::from(&current)).ok();
            let after = serde_json::to_value(FaqEntryResponse::from(&e)).ok();
            let action = "support-chat.faq_updated";
            ops::edit(
                c,
                &actor,
                action,
                &e.entry_id,
                before.as_ref(),
                after.as_ref(),
                now,
            )?;
            Ok(e)
        })
        .await?;
    Ok(cid_kit::ok(FaqEntryResponse::from(&updated)))
}

/// Removes an entry (admin; a shipped one does not come back), in the audit log.
#[utoipa::path(delete, path = "/api/customer-id/support-chat/faq/{entryId}", tag = "support-chat",
    params(("entryId" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "FAQ_NOT_FOUND", body = cid_common::Problem)))]
pub async fn delete(
    caller: Caller,
    ctx: RequestContext,
    path: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let current = entry(&db, &path).await?;
    let (now, actor) = (Utc::now().naive_utc(), audit::Actor::new(&caller, &ctx));
    db.transact(move |c| {
        faq::delete(c, current.id, now)?;
        let before = serde_json::to_value(FaqEntryResponse::from(&current)).ok();
        let action = "support-chat.faq_deleted";
        ops::edit(
            c,
            &actor,
            action,
            &current.entry_id,
            before.as_ref(),
            None,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
