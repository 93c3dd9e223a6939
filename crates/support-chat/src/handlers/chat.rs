//! Live chat over HTTP: start, the agents' queue, join, messages with polling, close.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{Envelope, FieldIssue, Role};
use cid_kit::idempotency::{self, Command};
use cid_kit::roles::{STAFF, WRITERS};
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, JsonBody, Paging, ReadableCustomer, RequestContext,
};

use super::dto::{
    CloseRequest, CloseResponse, MessageRequest, MessageResponse, QueuedResponse, SessionResponse,
    StartRequest, StartResponse,
};
use crate::ChatState;
use crate::domain::chat::duration_text;
use crate::ops::chat::{self, Viewer};
use crate::store::chat as store;

/// A stored message or notice as a live frame: `{"type": "message"|"notice", "data": …}`.
pub fn event(m: &crate::store::chat::Message, session_id: &str) -> String {
    serde_json::json!({"type": m.kind, "data": MessageResponse::new(m, session_id)}).to_string()
}

pub fn viewer(caller: &Caller) -> Viewer {
    if STAFF.iter().any(|r| caller.has(*r)) {
        Viewer::Staff {
            subject: caller.subject.clone(),
            admin: caller.has(Role::Admin),
        }
    } else {
        Viewer::Customer(caller.subject.clone())
    }
}

/// Starts a chat (the customer, a service or an admin): 201 `waiting`, with the first
/// message stored and the expected wait.
#[utoipa::path(post, path = "/api/customer-id/support-chat/{customerId}/start", tag = "support-chat",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = StartRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<StartResponse>))))]
pub async fn start(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<ChatState>,
) -> Result<HttpResponse, ApiError> {
    let id = state
        .registry
        .writable(customer.as_str(), &caller, WRITERS, &ctx)
        .await?
        .customer_id;
    let request = body.parse::<StartRequest>()?;
    let (topic, first) = (
        request.topic.trim().to_owned(),
        request.message.trim().to_owned(),
    );
    let (now, locale) = (Utc::now().naive_utc(), ctx.locale);
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let (session, message) = chat::start(c, &id, &topic, &first, now)?;
        let wait = chat::estimate(c, session.id, now)?;
        Ok(StartResponse {
            session: SessionResponse::from(&session),
            estimated_wait_time: wait,
            estimated_wait_text: duration_text(wait, locale),
            first_message: MessageResponse::new(&message, &session.session_id),
        })
    })
    .await
}

/// The customer's sessions, newest first.
#[utoipa::path(get, path = "/api/customer-id/support-chat/{customerId}/sessions", tag = "support-chat",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<SessionResponse>>))))]
pub async fn sessions(
    customer: ReadableCustomer,
    page: Paging,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    cid_kit::list_page(
        &db,
        page.0,
        move |c, before, limit| store::of_customer(c, &id, before, limit),
        |s| s.id,
        |s| SessionResponse::from(s),
    )
    .await
}

/// Sessions waiting for an agent, oldest first (agents, admins); calling it counts the agent
/// as online for the wait estimate.
#[utoipa::path(get, path = "/api/customer-id/support-chat/queue", tag = "support-chat",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<QueuedResponse>>))))]
pub async fn queue(
    caller: Caller,
    page: Paging,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let page = page.0;
    let (limit, after, agent) = (
        i64::from(page.limit),
        page.cursor.map(|c| c.0),
        caller.subject.clone(),
    );
    let now = Utc::now().naive_utc();
    let rows = db
        .transact(move |c| {
            store::seen(c, &agent, now)?;
            store::waiting(c, after, limit + 1)
        })
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |s| s.id,
        |s| QueuedResponse {
            session: SessionResponse::from(s),
            waiting_seconds: (now - s.created_at).num_seconds().max(0),
        },
    ))
}

/// Takes the oldest waiting session (agents, admins): `active`, with an `agent_joined` notice.
#[utoipa::path(post, path = "/api/customer-id/support-chat/queue/next", tag = "support-chat",
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<SessionResponse>)),
        (status = 409, description = "CHAT_QUEUE_EMPTY", body = cid_common::Problem)))]
pub async fn take_next(
    caller: Caller,
    db: web::Data<Db>,
    state: web::Data<ChatState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let (agent, now) = (caller.subject.clone(), Utc::now().naive_utc());
    let (session, notice) = db
        .write(move |c| chat::join(c, None, &agent, now).map_err(ApiError::from))
        .await?;
    state
        .fanout
        .publish(&session.session_id, event(&notice, &session.session_id));
    Ok(cid_kit::ok(SessionResponse::from(&session)))
}

/// Takes a chosen waiting session (agents, admins).
#[utoipa::path(post, path = "/api/customer-id/support-chat/{sessionId}/join", tag = "support-chat",
    params(("sessionId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<SessionResponse>)),
        (status = 404, description = "CHAT_SESSION_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "CHAT_SESSION_TAKEN, CHAT_SESSION_CLOSED", body = cid_common::Problem)))]
pub async fn join(
    caller: Caller,
    path: web::Path<String>,
    db: web::Data<Db>,
    state: web::Data<ChatState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let (agent, key, now) = (
        caller.subject.clone(),
        path.into_inner(),
        Utc::now().naive_utc(),
    );
    let (session, notice) = db
        .write(move |c| chat::join(c, Some(&key), &agent, now).map_err(ApiError::from))
        .await?;
    state
        .fanout
        .publish(&session.session_id, event(&notice, &session.session_id));
    Ok(cid_kit::ok(SessionResponse::from(&session)))
}

/// Sends a message: the session's customer (also while waiting) or the agent who joined;
/// the sender comes from the token.
#[utoipa::path(post, path = "/api/customer-id/support-chat/{sessionId}/message", tag = "support-chat",
    params(("sessionId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = MessageRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<MessageResponse>)),
        (status = 404, description = "CHAT_SESSION_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "CHAT_SESSION_CLOSED", body = cid_common::Problem)))]
pub async fn message(
    Command {
        caller,
        body,
        scope,
    }: Command,
    path: web::Path<String>,
    db: web::Data<Db>,
    state: web::Data<ChatState>,
) -> Result<HttpResponse, ApiError> {
    let request = body.parse::<MessageRequest>()?;
    let (who, key, now) = (viewer(&caller), path.into_inner(), Utc::now().naive_utc());
    let text = request.message.trim().to_owned();
    // Filled only when the message is stored now (not when a repeat is answered from the
    // idempotency record), and delivered live only once the transaction committed.
    let stored = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = stored.clone();
    let res = idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let (session, m) = chat::post(c, &key, &who, &text, now)?;
        *slot.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((session.session_id.clone(), event(&m, &session.session_id)));
        Ok(MessageResponse::new(&m, &session.session_id))
    })
    .await?;
    let frame = stored.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some((session, frame)) = frame {
        state.fanout.publish(&session, frame);
    }
    Ok(res)
}

/// A session's messages and notices in order (its customer or staff); `?after=<messageId>`
/// for what came since.
#[utoipa::path(get, path = "/api/customer-id/support-chat/{sessionId}/history", tag = "support-chat",
    params(("sessionId" = String, Path), ("after" = Option<i64>, Query), ("limit" = Option<u32>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<MessageResponse>>)),
        (status = 404, description = "CHAT_SESSION_NOT_FOUND", body = cid_common::Problem)))]
pub async fn history(
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let after = match query.get("after") {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| ApiError::field("after", FieldIssue::InvalidFormat))?,
        ),
    };
    let limit = match query.get("limit") {
        None => 100,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| ApiError::field("limit", FieldIssue::OutOfRange { min: 1, max: 500 }))?,
    };
    let (who, key) = (viewer(&caller), path.into_inner());
    let (session, rows) = db
        .read(move |c| {
            let s = chat::visible(c, &key, &who)?;
            let rows = store::messages(c, s.id, after, limit)?;
            Ok::<_, crate::error::ChatError>((s, rows))
        })
        .await
        .map_err(ApiError::from)?;
    let shown: Vec<MessageResponse> = rows
        .iter()
        .map(|m| MessageResponse::new(m, &session.session_id))
        .collect();
    Ok(cid_kit::ok(shown))
}

/// Closes a session (its customer, its agent or an admin) with the customer's optional
/// rating and feedback; closing twice is a 409.
#[utoipa::path(post, path = "/api/customer-id/support-chat/{sessionId}/close", tag = "support-chat",
    params(("sessionId" = String, Path)), request_body = CloseRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<CloseResponse>)),
        (status = 404, description = "CHAT_SESSION_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "CHAT_SESSION_CLOSED", body = cid_common::Problem)))]
pub async fn close(
    caller: Caller,
    ctx: RequestContext,
    path: web::Path<String>,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<ChatState>,
) -> Result<HttpResponse, ApiError> {
    let request = if body.raw.iter().all(u8::is_ascii_whitespace) {
        CloseRequest::default()
    } else {
        body.parse::<CloseRequest>()?
    };
    let rating = request.rating();
    let feedback = request
        .feedback
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    let (who, key, now) = (viewer(&caller), path.into_inner(), Utc::now().naive_utc());
    let (session, notice) = db
        .write(move |c| {
            chat::close(c, &key, &who, rating, feedback.as_deref(), now).map_err(ApiError::from)
        })
        .await?;
    state
        .fanout
        .publish(&session.session_id, event(&notice, &session.session_id));
    let secs = session
        .closed_at
        .map_or(0, |c| (c - session.created_at).num_seconds().max(0));
    Ok(cid_kit::ok(CloseResponse {
        session: SessionResponse::from(&session),
        duration_seconds: secs,
        duration: duration_text(secs, ctx.locale),
    }))
}
