//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{Envelope, ErrorCode};
use cid_kit::idempotency::{self, Command};
use cid_kit::roles::{READERS, WRITERS};
use cid_kit::{ApiError, Caller, CustomerPath, Db, Paging, RequestContext};

use crate::domain::CURRENCY;
use crate::{AnalyticsState, ops, store};
use dto::{EventRequest, EventResponse, PurchaseRequest, PurchaseResponse, SummaryResponse};

/// Records a purchase (service/admin), or replays it, or turns it into a refund
/// (`status: refunded`). Idempotent by `orderId`; honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/customer-id/analytics/{customerId}/purchases", tag = "analytics",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = PurchaseRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<PurchaseResponse>)),
        (status = 404, description = "PURCHASE_NOT_FOUND (a refund of an unknown order)", body = cid_common::Problem),
        (status = 409, description = "PURCHASE_CONFLICT (the order is recorded with other details)", body = cid_common::Problem),
        (status = 422, description = "UNSUPPORTED_CURRENCY", body = cid_common::Problem)))]
pub async fn record_purchase(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<AnalyticsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(WRITERS)?;
    let request = body.parse::<PurchaseRequest>()?;
    if request.currency != CURRENCY {
        return Err(ApiError::new(ErrorCode::UnsupportedCurrency).arg("supported", CURRENCY));
    }
    let now = Utc::now().naive_utc();
    let input = request
        .input(now)
        .ok_or_else(|| ApiError::internal("validated purchase did not convert"))?;
    let customer = state.registry.require_active(&customer, &ctx).await?;
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        ops::record_purchase(c, &customer.customer_id, &input, now)
            .map(|r| PurchaseResponse::from(&r))
            .map_err(ApiError::from)
    })
    .await
}

/// Records an engagement event (service/admin).
#[utoipa::path(post, path = "/api/customer-id/analytics/{customerId}/events", tag = "analytics",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = EventRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<EventResponse>))))]
pub async fn record_event(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<AnalyticsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(WRITERS)?;
    let request = body.parse::<EventRequest>()?;
    let now = Utc::now().naive_utc();
    let occurred_at = request
        .occurred_at(now)
        .ok_or_else(|| ApiError::internal("validated event did not convert"))?;
    let customer = state.registry.require_active(&customer, &ctx).await?;
    let event_type = request.event_type;
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let id = customer.customer_id;
        ops::record_event(c, &id, event_type, occurred_at, now).map_err(ApiError::from)?;
        Ok(EventResponse {
            customer_id: id,
            event_type,
            occurred_at: cid_common::time::rfc3339(occurred_at),
        })
    })
    .await
}

/// A customer's figures, all from stored data (zeros for a customer with none).
#[utoipa::path(get, path = "/api/customer-id/analytics/{customerId}", tag = "analytics",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<SummaryResponse>))))]
pub async fn summary(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<AnalyticsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_owner_or(&customer, READERS)?;
    let id = state.registry.canonical(&customer, &ctx).await;
    let now = Utc::now().naive_utc();
    let key = id.clone();
    let s = db.query(move |c| ops::summary(c, &key, now)).await?;
    Ok(cid_kit::ok(SummaryResponse::new(id, &s, now)))
}

/// The customer's purchases, newest recorded first, refunds included (with their status).
#[utoipa::path(get, path = "/api/customer-id/analytics/{customerId}/purchase-history", tag = "analytics",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<PurchaseResponse>>))))]
pub async fn purchase_history(
    caller: Caller,
    customer: CustomerPath,
    page: Paging,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<AnalyticsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_owner_or(&customer, READERS)?;
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let id = state.registry.canonical(&customer, &ctx).await;
    let rows = db
        .query(move |c| store::purchases::page(c, &id, before, limit + 1))
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |p| p.id,
        |p| PurchaseResponse::new(p, false),
    ))
}
