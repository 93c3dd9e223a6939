//! The catalog's routes: admin create and update (each recorded with before and after),
//! the staff list, and the public details of one offer.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::Envelope;
use cid_kit::roles::{ADMIN, STAFF};
use cid_kit::{ApiError, Caller, Db, JsonBody, Paging, RequestContext, audit};

use super::dto::{OfferRequest, OfferResponse, OfferView};
use crate::error::OffersError;
use crate::{OffersState, ops, store};

/// The standard IDs of the customers an offer names (aliases resolved; an ID the registry
/// never issued is a 400 naming it).
async fn targeted_customers(
    request: &OfferRequest,
    ctx: &RequestContext,
    state: &OffersState,
) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::new();
    for (i, id) in request.customer_ids().into_iter().enumerate() {
        if id.is_standard_form() {
            ids.push(id.as_str().to_owned());
            continue;
        }
        match state.registry.require_known(&id, ctx).await {
            Ok(c) => ids.push(c.customer_id),
            Err(e) if e.code == cid_common::ErrorCode::CustomerNotFound => {
                return Err(ApiError::field(
                    &format!("targeting.customerIds[{i}]"),
                    cid_common::FieldIssue::InvalidFormat,
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(ids)
}

/// Creates an offer (admin).
#[utoipa::path(post, path = "/api/customer-id/offers", tag = "offers",
    request_body = OfferRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<OfferResponse>))))]
pub async fn create(
    caller: Caller,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<OffersState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let request = body.parse::<OfferRequest>()?;
    let definition = request.definition(targeted_customers(&request, &ctx, &state).await?);
    let (actor, now) = (audit::Actor::new(&caller, &ctx), Utc::now().naive_utc());
    let offer = db
        .write(move |c| {
            ops::create(c, &definition, &actor, now, OfferResponse::snapshot)
                .map_err(ApiError::from)
        })
        .await?;
    Ok(cid_kit::created(OfferResponse::new(&offer, now)))
}

/// Replaces an offer's definition (admin); what was used of its budget stays.
#[utoipa::path(put, path = "/api/customer-id/offers/{offerId}", tag = "offers",
    params(("offerId" = String, Path)), request_body = OfferRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<OfferResponse>)),
        (status = 404, description = "OFFER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn update(
    caller: Caller,
    path: web::Path<String>,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<OffersState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let offer_id = path.into_inner();
    let request = body.parse::<OfferRequest>()?;
    let definition = request.definition(targeted_customers(&request, &ctx, &state).await?);
    let (actor, now) = (audit::Actor::new(&caller, &ctx), Utc::now().naive_utc());
    let offer = db
        .write(move |c| {
            ops::update(
                c,
                &offer_id,
                &definition,
                &actor,
                now,
                OfferResponse::snapshot,
            )
            .map_err(ApiError::from)
        })
        .await?;
    Ok(cid_kit::ok(OfferResponse::new(&offer, now)))
}

/// The whole catalog with targets and budgets, newest first (staff).
#[utoipa::path(get, path = "/api/customer-id/offers/catalog", tag = "offers",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<OfferResponse>>))))]
pub async fn list(
    page: Paging,
    caller: Caller,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let rows = db
        .query(move |c| store::catalog(c, before, limit + 1))
        .await?;
    let now = Utc::now().naive_utc();
    Ok(cid_kit::page_response(
        rows,
        page,
        |o| o.id,
        |o| OfferResponse::new(o, now),
    ))
}

/// One offer as customers see it; public. Unknown → 404.
#[utoipa::path(get, path = "/api/customer-id/offers/{offerId}/details", tag = "offers",
    params(("offerId" = String, Path)),
    responses((status = 200, body = inline(Envelope<OfferView>)),
        (status = 404, description = "OFFER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn details(
    path: web::Path<String>,
    ctx: RequestContext,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let offer_id = path.into_inner();
    let not_found = || ApiError::from(OffersError::NotFound(offer_id.clone()));
    if offer_id.len() > 64 {
        return Err(not_found());
    }
    let key = offer_id.clone();
    let offer = db
        .query(move |c| store::by_offer_id(c, &key))
        .await?
        .ok_or_else(not_found)?;
    let now = Utc::now().naive_utc();
    Ok(cid_kit::ok(OfferView::new(&offer, ctx.locale, now)))
}
