//! Sending, and the in-app feed frontends show: history with read state, one message with
//! its deliveries, marking read, the unread count.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{Envelope, FieldError, FieldIssue};
use cid_kit::idempotency::{self, Command};
use cid_kit::roles::WRITERS;
use cid_kit::{ApiError, Caller, CustomerPath, Db, Paging, ReadableCustomer, RequestContext};

use super::dto::{NotificationResponse, ReadAllResponse, SendRequest, UnreadResponse};
use crate::NotificationsState;
use crate::domain::Language;
use crate::error::NotificationsError;
use crate::ops::send::{self, Recipient};
use crate::store::feed;

/// Sends a message to the customer (service or admin): one delivery per channel, each with
/// its status — `sent` for the in-app feed, `queued` for the transports (sent within a
/// second or retried with backoff), `scheduled` until quiet hours end or the next digest,
/// `suppressed` with the reason. Security messages ignore quiet hours, digests and category
/// switches.
#[utoipa::path(post, path = "/api/customer-id/notifications/{customerId}/send", tag = "notifications",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = SendRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<NotificationResponse>))))]
pub async fn send(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(WRITERS)?;
    let content = body
        .parse::<SendRequest>()?
        .content()
        .map_err(ApiError::validation)?;
    let found = state.registry.require_active(&customer, &ctx).await?;
    let to = Recipient {
        customer_id: found.customer_id,
        email: found.email,
        phone: found.phone,
        language: found.locale.as_deref().and_then(Language::parse),
    };
    let id = to.customer_id.clone();
    let (defaults, clock, now) = (
        state.defaults.clone(),
        state.clock.clone(),
        Utc::now().naive_utc(),
    );
    let res = idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let sent = send::send(c, &to, &content, &defaults, &clock, None, now)?;
        Ok(NotificationResponse::new(
            &sent.notification,
            &sent.deliveries,
        ))
    })
    .await?;
    state.deliverer.soon();
    state.announce(&id);
    Ok(res)
}

/// The in-app feed, newest first, with read state; `?unread=true` for unread only.
#[utoipa::path(get, path = "/api/customer-id/notifications/{customerId}/history", tag = "notifications",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query),
        ("unread" = Option<bool>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<NotificationResponse>>))))]
pub async fn history(
    customer: ReadableCustomer,
    page: Paging,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let unread = match query.get("unread").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::field(
                "unread",
                FieldIssue::OneOf {
                    allowed: vec!["true".into(), "false".into()],
                },
            ));
        }
    };
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let id = customer.id;
    let (rows, deliveries) = db
        .query(move |c| {
            let rows = feed::feed(c, &id, before, unread, limit + 1)?;
            let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
            Ok((rows, feed::deliveries_of(c, &ids)?))
        })
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |n| n.id,
        |n| NotificationResponse::new(n, &deliveries),
    ))
}

/// One message with the state of each delivery.
#[utoipa::path(get, path = "/api/customer-id/notifications/{customerId}/{notificationId}", tag = "notifications",
    params(("customerId" = String, Path), ("notificationId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<NotificationResponse>)),
        (status = 404, description = "NOTIFICATION_NOT_FOUND", body = cid_common::Problem)))]
pub async fn notification(
    customer: ReadableCustomer,
    path: web::Path<(String, String)>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let wanted = path.into_inner().1;
    let (id, key) = (customer.id, wanted.clone());
    let found = db
        .query(move |c| {
            let n = feed::find(c, &id, &key)?;
            shown(c, n)
        })
        .await?;
    found
        .map(cid_kit::ok)
        .ok_or_else(|| NotificationsError::NotFound(wanted).into())
}

/// A message with its deliveries, as answered.
fn shown(
    c: &mut cid_kit::DbConnection,
    n: Option<feed::Notification>,
) -> diesel::QueryResult<Option<NotificationResponse>> {
    let Some(n) = n else { return Ok(None) };
    let deliveries = feed::deliveries_of(c, &[n.id])?;
    Ok(Some(NotificationResponse::new(&n, &deliveries)))
}

/// How many feed entries the customer has not read.
#[utoipa::path(get, path = "/api/customer-id/notifications/{customerId}/unread-count", tag = "notifications",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<UnreadResponse>))))]
pub async fn unread_count(
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id.clone();
    let unread = db.query(move |c| feed::unread(c, &id)).await?;
    Ok(cid_kit::ok(UnreadResponse {
        customer_id: customer.id,
        unread,
    }))
}

/// Marks one feed entry read (the customer, a service or an admin); marking it again keeps
/// the first `readAt`.
#[utoipa::path(patch, path = "/api/customer-id/notifications/{customerId}/{notificationId}/read", tag = "notifications",
    params(("customerId" = String, Path), ("notificationId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<NotificationResponse>)),
        (status = 404, description = "NOTIFICATION_NOT_FOUND", body = cid_common::Problem)))]
pub async fn mark_read(
    caller: Caller,
    customer: CustomerPath,
    path: web::Path<(String, String)>,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    let id = state
        .registry
        .writable(customer.as_str(), &caller, WRITERS, &ctx)
        .await?
        .customer_id;
    let wanted = path.into_inner().1;
    let (key, now) = (wanted.clone(), Utc::now().naive_utc());
    let found = db
        .transact(move |c| {
            let n = feed::mark_read(c, &id, &key, now)?;
            shown(c, n)
        })
        .await?;
    found
        .map(cid_kit::ok)
        .ok_or_else(|| NotificationsError::NotFound(wanted).into())
}

/// Marks every feed entry read.
#[utoipa::path(patch, path = "/api/customer-id/notifications/{customerId}/read-all", tag = "notifications",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<ReadAllResponse>))))]
pub async fn mark_all_read(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    let id = state
        .registry
        .writable(customer.as_str(), &caller, WRITERS, &ctx)
        .await?
        .customer_id;
    let (key, now) = (id.clone(), Utc::now().naive_utc());
    let (marked, unread) = db
        .transact(move |c| {
            let marked = feed::mark_all_read(c, &key, now)?;
            Ok((marked, feed::unread(c, &key)?))
        })
        .await?;
    Ok(cid_kit::ok(ReadAllResponse {
        customer_id: id,
        marked,
        unread,
    }))
}

/// `Last-Event-ID` (header, or `lastEventId` in the query for a first connection): a feed
/// position, digits only.
pub fn last_event_id(header: Option<&str>, query: Option<&str>) -> Result<Option<i64>, ApiError> {
    match header.or(query).map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "Last-Event-ID",
                    FieldIssue::InvalidFormat,
                )])
            }),
    }
}
