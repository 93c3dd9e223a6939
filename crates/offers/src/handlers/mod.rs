//! HTTP in and out for a customer's offers: extract, authorize, call one use case or read,
//! shape the response. The catalog's routes are in [`catalog`].

pub mod catalog;
pub mod dto;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::Envelope;
use cid_kit::idempotency::{self, Command};
use cid_kit::outbox;
use cid_kit::registry::Lookup;
use cid_kit::roles::{READERS, WRITERS};
use cid_kit::{ApiError, Caller, CustomerPath, Db, Paging, RequestContext};

use crate::clients::Need;
use crate::domain::{Eligibility, category_key, rank};
use crate::error::OffersError;
use crate::{OffersState, ops, store};
use dto::{
    ApplyRequest, CustomerOffer, CustomerOffers, OfferView, RedemptionResponse, RollbackRequest,
};

/// The standard ID of a customer a read names: 404 for an ID the registry never issued;
/// the ID as given while the registry cannot be asked.
async fn readable(
    caller: &Caller,
    customer: &CustomerPath,
    ctx: &RequestContext,
    state: &OffersState,
) -> Result<String, ApiError> {
    caller.require_owner_or(customer, READERS)?;
    match state.registry.lookup(customer.as_str(), ctx).await {
        Lookup::Known(c) => Ok(c.customer_id),
        Lookup::Unknown => {
            Err(ApiError::new(cid_common::ErrorCode::CustomerNotFound).arg("id", customer.as_str()))
        }
        Lookup::Unavailable => Ok(customer.as_str().to_owned()),
    }
}

/// The offers the customer may apply now: open, budget left, uses left, and targeted at
/// them (segment from segmentation, tier from loyalty). An offer whose targeting needs a
/// service that cannot be asked is left out and the service named in `unavailable`; the
/// rest are ranked by analytics' favourite category, then the soonest end.
#[utoipa::path(get, path = "/api/customer-id/offers/{customerId}", tag = "offers",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<CustomerOffers>)),
        (status = 404, description = "CUSTOMER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn eligible(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<OffersState>,
) -> Result<HttpResponse, ApiError> {
    let id = readable(&caller, &customer, &ctx, &state).await?;
    let now = Utc::now().naive_utc();
    let key = id.clone();
    let (open, used) = db
        .query(move |c| {
            let open = store::open_at(c, now)?;
            let ids: Vec<String> = open.iter().map(|o| o.offer_id.clone()).collect();
            Ok((open, store::applied_counts(c, &key, &ids)?))
        })
        .await?;
    let used: HashMap<String, i64> = used.into_iter().collect();
    // Open offers with budget and uses left, their targets read once.
    let candidates: Vec<_> = open
        .into_iter()
        .filter(|o| !o.budget().spent())
        .filter_map(|o| {
            let uses_left = o.per_customer_limit - used.get(&o.offer_id).copied().unwrap_or(0);
            (uses_left > 0).then(|| (o.targeting(), uses_left, o))
        })
        .collect();
    let need = Need {
        segment: candidates.iter().any(|(t, ..)| t.needs_segment()),
        tier: candidates.iter().any(|(t, ..)| t.needs_tier()),
        favourite: !candidates.is_empty(),
    };
    let answers = state.sources.ask(&id, need, false, &ctx).await;
    let favourite = answers.favourite.as_deref().map(category_key);
    let mut eligible: Vec<_> = candidates
        .into_iter()
        .filter(|(t, ..)| t.eligibility(&id, &answers.facts) == Eligibility::Eligible)
        .collect();
    rank(&mut eligible, favourite.as_deref(), |(_, _, o)| {
        (o.category.as_str(), o.valid_until, o.offer_id.as_str())
    });
    let offers = eligible
        .iter()
        .map(|(_, uses_left, o)| CustomerOffer {
            offer: OfferView::new(o, ctx.locale, now),
            uses_left: *uses_left,
            favorite: favourite.as_deref() == Some(o.category.as_str()),
        })
        .collect();
    Ok(cid_kit::ok(CustomerOffers {
        customer_id: id,
        segment: answers.facts.segment,
        segment_stale: answers.segment_stale,
        tier: answers.facts.tier,
        favorite_category: answers.favourite,
        unavailable: answers.unavailable,
        offers,
    }))
}

/// Applies an offer to an order of the customer (the customer, a service or an admin):
/// 404 unknown, 422 not open / not eligible / below the minimum purchase, 409 over the
/// per-customer limit or the budget. A points multiplier's extra points are credited in
/// loyalty exactly once, under the redemption's key. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/customer-id/offers/{customerId}/apply", tag = "offers",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ApplyRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<RedemptionResponse>)),
        (status = 404, description = "OFFER_NOT_FOUND or CUSTOMER_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "OFFER_LIMIT_REACHED, OFFER_BUDGET_SPENT, CUSTOMER_INACTIVE or IDEMPOTENCY_IN_PROGRESS", body = cid_common::Problem),
        (status = 422, description = "OFFER_NOT_ACTIVE, OFFER_NOT_ELIGIBLE, BELOW_MIN_PURCHASE or IDEMPOTENCY_KEY_REUSED", body = cid_common::Problem)))]
pub async fn apply(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<OffersState>,
) -> Result<HttpResponse, ApiError> {
    let customer = state
        .registry
        .writable(customer.as_str(), &caller, WRITERS, &ctx)
        .await?
        .customer_id;
    let request = body.parse::<ApplyRequest>()?;
    let offer_id = request.offer_id.trim().to_owned();
    let key = offer_id.clone();
    let offer = db
        .query(move |c| store::by_offer_id(c, &key))
        .await?
        .ok_or_else(|| OffersError::NotFound(offer_id.clone()))?;
    let targeting = offer.targeting();
    let need = Need {
        segment: targeting.needs_segment(),
        tier: targeting.needs_tier(),
        favourite: false,
    };
    let mut answers = state.sources.ask(&customer, need, false, &ctx).await;
    if targeting.eligibility(&customer, &answers.facts) == Eligibility::NotTargeted {
        // The cache may be behind a change that made the customer eligible: ask again.
        answers = state.sources.ask(&customer, need, true, &ctx).await;
    }
    let actor = caller.actor();
    let (fee, order_minor) = (state.shipping_fee_minor, request.order_minor());
    let res = idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let apply = ops::Apply {
            offer_id: &offer_id,
            customer: &customer,
            order_minor,
            facts: answers.facts,
            shipping_fee_minor: fee,
            actor: &actor,
        };
        ops::apply(c, &apply, Utc::now().naive_utc())
            .map(|r| RedemptionResponse::from(&r))
            .map_err(ApiError::from)
    })
    .await?;
    if res.status() == StatusCode::CREATED {
        outbox::deliver_soon(&db, state.sources.client());
    }
    Ok(res)
}

/// Rolls a redemption back when its order is cancelled or refunded (service or admin):
/// once — its budget share and the customer's use are given back and extra points
/// reversed in loyalty; a second rollback is a 409. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/customer-id/offers/{customerId}/rollback", tag = "offers",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = RollbackRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RedemptionResponse>)),
        (status = 404, description = "REDEMPTION_NOT_FOUND or CUSTOMER_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "ALREADY_ROLLED_BACK or IDEMPOTENCY_IN_PROGRESS", body = cid_common::Problem)))]
pub async fn rollback(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<OffersState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(WRITERS)?;
    // A deactivated customer's orders are still refunded: known is enough.
    let customer = state
        .registry
        .require_known(&customer, &ctx)
        .await?
        .customer_id;
    let request = body.parse::<RollbackRequest>()?;
    let (redemption, reason) = (
        request.redemption_id.trim().to_owned(),
        request.reason.trim().to_owned(),
    );
    let actor = caller.actor();
    let res = idempotency::execute(&db, scope, StatusCode::OK, move |c| {
        let now = Utc::now().naive_utc();
        ops::rollback(c, &customer, &redemption, &reason, &actor, now)
            .map(|r| RedemptionResponse::from(&r))
            .map_err(ApiError::from)
    })
    .await?;
    if res.status() == StatusCode::OK {
        outbox::deliver_soon(&db, state.sources.client());
    }
    Ok(res)
}

/// The customer's redemptions, newest first, paginated.
#[utoipa::path(get, path = "/api/customer-id/offers/{customerId}/history", tag = "offers",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<RedemptionResponse>>)),
        (status = 404, description = "CUSTOMER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn history(
    page: Paging,
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<OffersState>,
) -> Result<HttpResponse, ApiError> {
    let page = page.0;
    let id = readable(&caller, &customer, &ctx, &state).await?;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let rows = db
        .query(move |c| store::history(c, &id, before, limit + 1))
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |r| r.id,
        |r| RedemptionResponse::from(r),
    ))
}
