//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{CustomerId, Envelope};
use cid_kit::idempotency::{self, Command};
use cid_kit::outbox;
use cid_kit::roles::WRITERS;
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, JsonBody, Paging, ReadableCustomer, RequestContext,
};

use crate::domain::Event;
use crate::store;
use crate::{ReferralState, ops};
use dto::{
    LinkRequest, LinkResponse, ReferralResponse, RewardsResponse, StatsResponse, TrackRequest,
};

/// The customer's active code and link, issuing one on first use.
#[utoipa::path(post, path = "/api/customer-id/referral/{customerId}/generate-link", tag = "referral",
    params(("customerId" = String, Path)), request_body = Option<LinkRequest>, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<LinkResponse>)), (status = 403, body = cid_common::Problem)))]
pub async fn generate_link(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<ReferralState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let customer = state
        .registry
        .writable(customer.as_str(), &caller, WRITERS, &ctx)
        .await?;
    let request = body.parse::<LinkRequest>()?;
    let id = customer.customer_id;
    let now = Utc::now().naive_utc();
    let code = db
        .write(move |c| ops::issue_code(c, &id, request.regenerate, now))
        .await?;
    Ok(cid_kit::ok(LinkResponse::new(code, &state.link_base)))
}

/// Records a signup (pending) or a first purchase (completed, pays 100 + 50 points through
/// loyalty exactly once, even if loyalty is down right now). Service/admin only.
#[utoipa::path(post, path = "/api/customer-id/referral/{customerId}/track", tag = "referral",
    params(("customerId" = String, Path, description = "the referrer"), ("Idempotency-Key" = Option<String>, Header)),
    request_body = TrackRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<ReferralResponse>)),
        (status = 404, description = "REFERRAL_CODE_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "ALREADY_REFERRED or REFERRAL_COMPLETED", body = cid_common::Problem),
        (status = 422, description = "SELF_REFERRAL", body = cid_common::Problem)))]
pub async fn track(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<ReferralState>,
) -> Result<HttpResponse, ApiError> {
    let referrer = customer;
    caller.require_any(WRITERS)?;
    let t = body.parse::<TrackRequest>()?;
    // Both sides by their standard IDs: an alias of oneself is still a self-referral.
    let referrer = state
        .registry
        .require_active(&referrer, &ctx)
        .await?
        .customer_id;
    let referee = CustomerId::parse(&t.referred_customer_id).map_err(ApiError::from)?;
    let referee = state
        .registry
        .require_active(&referee, &ctx)
        .await?
        .customer_id;
    let event = t.event.event();
    let code = t.referral_code.trim().to_uppercase();
    let now = Utc::now().naive_utc();
    let res = idempotency::execute(&db, scope, StatusCode::OK, move |c| {
        ops::track(c, &referrer, &referee, &code, event, now)
            .map(|r| ReferralResponse::from(&r))
            .map_err(ApiError::from)
    })
    .await?;
    if event == Event::FirstPurchase {
        outbox::deliver_soon(&db, &state.client);
    }
    Ok(res)
}

/// The referrer's referrals, newest first.
#[utoipa::path(get, path = "/api/customer-id/referral/{customerId}/history", tag = "referral",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])), responses((status = 200, body = inline(Envelope<Vec<ReferralResponse>>))))]
pub async fn history(
    customer: ReadableCustomer,
    page: Paging,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let id = customer.id;
    let rows = db
        .query(move |c| store::page(c, &id, before, limit + 1))
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |r| r.id,
        |r| ReferralResponse::from(r),
    ))
}

async fn summary(db: &Db, customer: String) -> Result<ops::Summary, ApiError> {
    db.query(move |c| ops::summary(c, &customer)).await
}

/// What the referrer earned and has pending.
#[utoipa::path(get, path = "/api/customer-id/referral/{customerId}/rewards", tag = "referral",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RewardsResponse>))))]
pub async fn rewards(
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let customer = customer.id;
    let s = summary(&db, customer).await?;
    Ok(cid_kit::ok(RewardsResponse::from(&s)))
}

/// Counts, conversion and the latest referral.
#[utoipa::path(get, path = "/api/customer-id/referral/{customerId}/stats", tag = "referral",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<StatsResponse>))))]
pub async fn stats(
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let customer = customer.id;
    Ok(cid_kit::ok(StatsResponse::from(
        &summary(&db, customer).await?,
    )))
}
