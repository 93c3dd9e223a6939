//! `Idempotency-Key` handling (SPEC §1), one helper for every value-moving POST.
//!
//! A key is claimed in its own short transaction; the effect and the stored response are
//! then written in one transaction, so a crash can never leave an applied effect without
//! its stored response (a retry then replays instead of applying twice).

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime, Utc};
use cid_common::{Envelope, ErrorCode, FieldIssue};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::with_backend;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAY: HeaderName = HeaderName::from_static("idempotency-replay");
pub const MAX_KEY_LEN: usize = 255;
/// How long a key is remembered.
const KEEP_HOURS: i64 = 24;
/// How long a claimed key blocks duplicates before a crashed attempt may be taken over.
const LEASE_SECS: i64 = 60;

diesel::table! {
    idempotency_keys (caller, route, idem_key) {
        caller -> Text,
        route -> Text,
        idem_key -> Text,
        body_hash -> Text,
        status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        locked_until -> Timestamp,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
struct Record {
    body_hash: String,
    status: Option<i32>,
    response_body: Option<String>,
    locked_until: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = idempotency_keys)]
struct NewRecord<'a> {
    caller: &'a str,
    route: &'a str,
    idem_key: &'a str,
    body_hash: &'a str,
    status: Option<i32>,
    response_body: Option<&'a str>,
    locked_until: NaiveDateTime,
    expires_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// Who, where and with which key; `None` when the request carried no key.
#[derive(Debug, Clone)]
pub struct Scope {
    caller: String,
    route: String,
    key: String,
    body_hash: String,
}

impl Scope {
    /// Reads and checks the header. The body hash is over canonical JSON (key order and
    /// whitespace do not matter), or the raw bytes when the body is not JSON.
    pub fn from_request(
        req: &HttpRequest,
        caller: &Caller,
        body: &[u8],
    ) -> Result<Option<Self>, ApiError> {
        let Some(value) = req.headers().get(HEADER) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::field("Idempotency-Key", FieldIssue::InvalidFormat))?;
        if key.len() > MAX_KEY_LEN {
            return Err(ApiError::field(
                "Idempotency-Key",
                FieldIssue::TooLong { max: MAX_KEY_LEN },
            ));
        }
        let canonical = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| serde_json::to_vec(&v).ok());
        let digest = Sha256::digest(canonical.as_deref().unwrap_or(body));
        Ok(Some(Self {
            caller: caller.actor(),
            route: format!("{} {}", req.method(), req.path()),
            key: key.to_owned(),
            body_hash: hex::encode(digest),
        }))
    }
}

/// The input of a value-moving POST: who calls (401 without a valid token), the body as read
/// (parsed by the handler once it has authorized the caller) and the `Idempotency-Key` scope.
pub struct Command {
    pub caller: Caller,
    pub body: crate::json::JsonBody,
    pub scope: Option<Scope>,
}

impl actix_web::FromRequest for Command {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = Caller::extract(req).into_inner();
        let body = crate::json::JsonBody::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let caller = caller?;
            let body = body.await?;
            let scope = Scope::from_request(&req, &caller, &body.raw)?;
            Ok(Self {
                caller,
                body,
                scope,
            })
        })
    }
}

enum Claim {
    Proceed,
    Replay { status: u16, body: String },
}

/// Runs `effect` once per key: the first call applies it and stores the response; repeats
/// replay it with `Idempotency-Replay: true`; a repeat while the first is running is a 409;
/// the same key with another body is a 422. Without a key, `effect` simply runs.
pub async fn execute<T, F>(
    db: &Db,
    scope: Option<Scope>,
    success: StatusCode,
    effect: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    let Some(scope) = scope else {
        let value = db.write(effect).await?;
        return Ok(HttpResponse::build(success).json(Envelope::ok(value)));
    };
    let claim = {
        let scope = scope.clone();
        db.write(move |conn| claim(conn, &scope)).await?
    };
    if let Claim::Replay { status, body } = claim {
        return Ok(replay(status, body));
    }
    let stored = scope.clone();
    let outcome = db
        .write(move |conn| {
            let value = effect(conn)?;
            let body = serde_json::to_string(&Envelope::ok(value)).map_err(ApiError::internal)?;
            complete(conn, &stored, success.as_u16(), &body)?;
            Ok::<_, ApiError>(body)
        })
        .await;
    match outcome {
        Ok(body) => Ok(HttpResponse::build(success)
            .content_type("application/json")
            .body(body)),
        Err(err) if err.status().is_client_error() => {
            // A rule said no: remember the answer so a retry gets the same one.
            let body = serde_json::to_string(&err).map_err(ApiError::internal)?;
            let status = err.status().as_u16();
            db.write(move |conn| complete(conn, &scope, status, &body))
                .await?;
            Err(err)
        }
        Err(err) => {
            // Nothing was applied (the transaction rolled back): free the key for a retry.
            let _ = db.write(move |conn| release(conn, &scope)).await;
            Err(err)
        }
    }
}

fn claim(conn: &mut DbConnection, s: &Scope) -> Result<Claim, ApiError> {
    use idempotency_keys::dsl as k;
    let now = Utc::now().naive_utc();
    let mine = k::caller
        .eq(&s.caller)
        .and(k::route.eq(&s.route))
        .and(k::idem_key.eq(&s.key));
    diesel::delete(
        k::idempotency_keys
            .filter(mine)
            .filter(k::expires_at.lt(now)),
    )
    .execute(conn)?;
    let row = NewRecord {
        caller: &s.caller,
        route: &s.route,
        idem_key: &s.key,
        body_hash: &s.body_hash,
        status: None,
        response_body: None,
        locked_until: now + Duration::seconds(LEASE_SECS),
        expires_at: now + Duration::hours(KEEP_HOURS),
        created_at: now,
    };
    let inserted = with_backend!(conn, |c| diesel::insert_into(k::idempotency_keys)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(Claim::Proceed);
    }
    let existing: Record = k::idempotency_keys
        .filter(mine)
        .select(Record::as_select())
        .first(conn)?;
    if existing.body_hash != s.body_hash {
        return Err(ApiError::new(ErrorCode::IdempotencyKeyReused));
    }
    match (existing.status, existing.response_body) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: status as u16,
            body,
        }),
        _ if existing.locked_until > now => {
            Err(ApiError::new(ErrorCode::IdempotencyInProgress).retry_after(1))
        }
        _ => {
            // The first attempt died before finishing; its effect rolled back with it.
            diesel::update(k::idempotency_keys.filter(mine))
                .set(k::locked_until.eq(now + Duration::seconds(LEASE_SECS)))
                .execute(conn)?;
            Ok(Claim::Proceed)
        }
    }
}

fn complete(conn: &mut DbConnection, s: &Scope, status: u16, body: &str) -> Result<(), ApiError> {
    use idempotency_keys::dsl as k;
    diesel::update(
        k::idempotency_keys
            .filter(k::caller.eq(&s.caller))
            .filter(k::route.eq(&s.route))
            .filter(k::idem_key.eq(&s.key)),
    )
    .set((
        k::status.eq(Some(i32::from(status))),
        k::response_body.eq(Some(body)),
    ))
    .execute(conn)?;
    Ok(())
}

fn release(conn: &mut DbConnection, s: &Scope) -> Result<(), ApiError> {
    use idempotency_keys::dsl as k;
    diesel::delete(
        k::idempotency_keys
            .filter(k::caller.eq(&s.caller))
            .filter(k::route.eq(&s.route))
            .filter(k::idem_key.eq(&s.key))
            .filter(k::status.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

fn replay(status: u16, body: String) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut res = if status.is_success() {
        HttpResponse::build(status)
            .content_type("application/json")
            .body(body)
    } else {
        match serde_json::from_str::<ApiError>(&body) {
            Ok(err) => actix_web::ResponseError::error_response(&err),
            Err(_) => HttpResponse::build(status).finish(),
        }
    };
    res.headers_mut()
        .insert(REPLAY, HeaderValue::from_static("true"));
    res
}

/// Deletes expired keys; services call it periodically.
pub fn purge_expired(conn: &mut DbConnection) -> QueryResult<usize> {
    use idempotency_keys::dsl as k;
    diesel::delete(k::idempotency_keys.filter(k::expires_at.lt(Utc::now().naive_utc())))
        .execute(conn)
}
