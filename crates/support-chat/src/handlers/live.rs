//! The live channel of a session: a WebSocket on which both sides receive every message,
//! notice and typing signal of the session, and send messages (stored first, then
//! delivered) and typing signals. The token comes in the `Authorization` header or, for
//! browsers (which cannot set headers on a WebSocket), the `access_token` query parameter —
//! never logged: the access log writes the path without the query.

use std::collections::HashMap;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::Message;
use chrono::Utc;
use cid_common::ErrorCode;
use cid_kit::server::Stopping;
use cid_kit::{ApiError, Caller, Db, Verifier};
use serde::Deserialize;
use serde_json::json;

use super::chat::{event, viewer};
use crate::ChatState;
use crate::ops::chat::{self, Viewer};

/// How often an idle connection is pinged (proxies close silent ones).
const PING: Duration = Duration::from_secs(20);

/// What a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Incoming {
    Message { message: String },
    Typing,
}

fn caller(req: &HttpRequest, query: &HashMap<String, String>) -> Result<Caller, ApiError> {
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::internal("Verifier missing from app data"))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .map(|h| h.as_bytes());
    let claims = match verifier.verify_header(header)? {
        Some(c) => c,
        None => match query.get("access_token") {
            Some(token) => verifier.verify(token)?,
            None => return Err(ApiError::new(ErrorCode::Unauthorized)),
        },
    };
    Ok(Caller {
        subject: claims.sub,
        roles: claims.roles,
    })
}

/// Opens the session's live channel: its customer, the agent who joined, or an admin. A
/// missing or bad token, another customer's session or another agent are refused before
/// the upgrade.
#[utoipa::path(get, path = "/api/customer-id/support-chat/{sessionId}/ws", tag = "support-chat",
    params(("sessionId" = String, Path), ("access_token" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 101, description = "Switching to the WebSocket protocol: JSON text frames `{type: message|notice|typing|error, data}` both ways (clients send `{type: message, message}` or `{type: typing}`)"),
        (status = 404, description = "CHAT_SESSION_NOT_FOUND", body = cid_common::Problem)))]
pub async fn live(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
    state: web::Data<ChatState>,
    stopping: web::Data<Stopping>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &query)?;
    let who = viewer(&caller);
    let key = path.into_inner();
    let (check_key, check_who) = (key.clone(), who.clone());
    let session = db
        .read(move |c| chat::visible(c, &check_key, &check_who))
        .await
        .map_err(ApiError::from)?;
    if let Viewer::Staff { subject, admin } = &who
        && !admin
        && session.agent_id.as_deref() != Some(subject.as_str())
    {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let (response, mut ws, mut stream) = actix_ws::handle(&req, body)
        .map_err(|_| ApiError::field("Upgrade", cid_common::FieldIssue::InvalidFormat))?;
    let mut events = state.fanout.subscribe(&key);
    let (db, state, mut stopping) = (
        db.get_ref().clone(),
        state.clone(),
        stopping.get_ref().clone(),
    );
    actix_web::rt::spawn(async move {
        let mut ping = tokio::time::interval(PING);
        ping.tick().await;
        loop {
            tokio::select! {
                // In this order: what the session says goes out before the next frame of
                // this client is taken (fairly, a client sending fast would outrun its own
                // deliveries: one branch in four is delivery, as select! starts at random).
                biased;
                () = stopping.wait() => break,
                out = events.recv() => match out {
                    Ok(text) => if ws.text(text).await.is_err() { break; },
                    // Fell behind (a client reading slower than the session writes):
                    // told to catch up with `?after=`, as after an outage between instances.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        if ws.text(crate::fanout::RESYNC).await.is_err() { break; }
                    }
                    Err(_) => break,
                },
                _ = ping.tick() => if ws.ping(b"").await.is_err() { break; },
                incoming = stream.recv() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Ping(bytes))) => {
                            if ws.pong(&bytes).await.is_err() { break; }
                            continue;
                        }
                        Some(Ok(Message::Pong(_) | Message::Binary(_) | Message::Continuation(_) | Message::Nop)) => continue,
                        _ => break,
                    };
                    if let Some(refusal) = take(&db, &state, &key, &who, &text).await
                        && ws.text(refusal).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = ws.close(None).await;
    });
    Ok(response)
}

/// Handles one frame from a client: a message is stored, then delivered to every connection
/// (this one too); typing is delivered only. Returns an `error` frame for the sender alone
/// when the frame is refused.
async fn take(
    db: &Db,
    state: &web::Data<ChatState>,
    key: &str,
    who: &Viewer,
    text: &str,
) -> Option<String> {
    let refused = |e: ApiError| {
        Some(
            json!({"type": "error", "data": {"code": e.code.as_str(), "status": e.code.status()}})
                .to_string(),
        )
    };
    let incoming: Incoming = match serde_json::from_str(text) {
        Ok(i) => i,
        Err(_) => return refused(ApiError::new(ErrorCode::ValidationFailed)),
    };
    match incoming {
        Incoming::Typing => {
            let (sender, role) = match who {
                Viewer::Customer(id) => (id.clone(), "customer"),
                Viewer::Staff { subject, .. } => (subject.clone(), "agent"),
            };
            let typing = json!({"type": "typing", "data": {"sender": sender, "senderRole": role}});
            state.fanout.publish(key, typing.to_string());
            None
        }
        Incoming::Message { message } => {
            let body = message.trim().to_owned();
            if body.is_empty() || body.chars().count() > super::dto::MAX_MESSAGE {
                return refused(ApiError::new(ErrorCode::ValidationFailed));
            }
            let (k, w, now) = (key.to_owned(), who.clone(), Utc::now().naive_utc());
            let posted = db
                .write(move |c| chat::post(c, &k, &w, &body, now).map_err(ApiError::from))
                .await;
            match posted {
                Ok((session, m)) => {
                    state.fanout.publish(key, event(&m, &session.session_id));
                    None
                }
                Err(e) => refused(e),
            }
        }
    }
}
