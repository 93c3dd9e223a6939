//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod dto;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{Envelope, ErrorCode, FieldIssue};
use cid_kit::idempotency::{self, Command};
use cid_kit::roles::WRITERS;
use cid_kit::{ApiError, CustomerPath, Db, Paging, ReadableCustomer, RequestContext};

use crate::domain::CURRENCY;
use crate::{AnalyticsState, ops, store};
use dto::{
    CategoryResponse, EngagementResponse, EventRequest, EventResponse, MonthResponse,
    PurchaseRequest, PurchaseResponse, SummaryResponse,
};

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
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
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
    customer: ReadableCustomer,
    page: Paging,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let id = customer.id;
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

/// `?months=` of the trends: 1..24, default 6.
fn months_param(query: &HashMap<String, String>) -> Result<u32, ApiError> {
    match query.get("months") {
        None => Ok(6),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=24).contains(m))
            .ok_or_else(|| ApiError::field("months", FieldIssue::OutOfRange { min: 1, max: 24 })),
    }
}

/// Spend per calendar month: the current month and the `months - 1` before it, oldest first,
/// empty months included.
#[utoipa::path(get, path = "/api/customer-id/analytics/{customerId}/spending-trends", tag = "analytics",
    params(("customerId" = String, Path),
        ("months" = Option<u32>, Query, minimum = 1, maximum = 24, description = "1..24, default 6")),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<MonthResponse>>))))]
pub async fn spending_trends(
    customer: ReadableCustomer,
    query: web::Query<HashMap<String, String>>,
    ctx: RequestContext,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let months = months_param(&query)?;
    let id = customer.id;
    let now = Utc::now().naive_utc();
    let rows = db.query(move |c| ops::trends(c, &id, now, months)).await?;
    let list: Vec<_> = rows
        .iter()
        .map(|m| MonthResponse::new(m, ctx.locale))
        .collect();
    Ok(cid_kit::ok(list))
}

/// Spend per category with its share; the shares add up to exactly 100.00.
#[utoipa::path(get, path = "/api/customer-id/analytics/{customerId}/category-breakdown", tag = "analytics",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<CategoryResponse>>))))]
pub async fn category_breakdown(
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    let rows = db.query(move |c| ops::breakdown(c, &id)).await?;
    Ok(cid_kit::ok(dto::breakdown(&rows)))
}

/// The parts of the engagement score, and referrals from the referral service.
#[utoipa::path(get, path = "/api/customer-id/analytics/{customerId}/engagement", tag = "analytics",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<EngagementResponse>))))]
pub async fn engagement(
    customer: ReadableCustomer,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<AnalyticsState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    let now = Utc::now().naive_utc();
    let key = id.clone();
    let s = db.query(move |c| ops::summary(c, &key, now)).await?;
    let referrals = referral_count(&state, &id, &ctx).await;
    Ok(cid_kit::ok(EngagementResponse::new(id, &s, referrals, now)))
}

/// Completed referrals of `customer`; `None` (and a log line) when referral cannot be asked.
async fn referral_count(
    state: &AnalyticsState,
    customer: &str,
    ctx: &RequestContext,
) -> Option<i64> {
    use cid_common::contracts::referral::ReferralCounts;
    let call = cid_kit::client::CallContext {
        request_id: Some(ctx.request_id.clone()),
        trace: Some(ctx.trace.clone()),
        idempotency_key: None,
    };
    let path = ReferralCounts::path(customer);
    match state
        .client
        .call::<(), ReferralCounts>("referral", reqwest::Method::GET, &path, None, &call)
        .await
    {
        Ok(counts) => Some(counts.successful_referrals),
        Err(e) => {
            tracing::warn!(customer, error = %e, "referral counts unavailable");
            None
        }
    }
}

/// What segmentation classifies the customer by (purchase counts and spend over windows).
#[utoipa::path(get, path = "/api/customer-id/analytics/{customerId}/activity", tag = "analytics",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<cid_common::contracts::analytics::CustomerActivity>))))]
pub async fn activity(
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    let now = Utc::now().naive_utc();
    let body = db.query(move |c| ops::activity(c, &id, now)).await?;
    Ok(cid_kit::ok(body))
}

/// The purchase milestones reached (first and tenth completed purchase) and when, which
/// special-date rewards read.
#[utoipa::path(get, path = "/api/customer-id/analytics/{customerId}/milestones", tag = "analytics",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<cid_common::contracts::analytics::PurchaseMilestones>))))]
pub async fn milestones(
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    let body = db.query(move |c| ops::milestones(c, &id)).await?;
    Ok(cid_kit::ok(body))
}
