//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, Utc};
use cid_common::{CustomerId, Envelope, Locale, Role};
use cid_kit::idempotency::{self, Command};
use cid_kit::outbox;
use cid_kit::roles::{READERS, WRITERS};
use cid_kit::{ApiError, Caller, CustomerPath, Db, Paging, RequestContext};

use crate::domain::catalog::{CATALOG, Kind};
use crate::domain::occurrences::{self, Existing, Status};
use crate::error::RewardsError;
use crate::sources::Lookup;
use crate::store::{self, Instance};
use crate::{RewardsState, ops};
use dto::{
    CatalogResponse, ClaimRequest, ClaimResponse, HolidayResponse, RewardResponse, day, status_of,
};

/// Staff who may read any customer's rewards.
/// Who may claim on a customer's behalf.
const CLAIMERS: &[Role] = WRITERS;
/// `GET /upcoming` lists this many.
const UPCOMING: usize = 5;
/// `special-dates` shows windows that closed up to this many days ago; older ones are history.
const RECENT_DAYS: i64 = 365;

/// The reward catalog; public.
#[utoipa::path(get, path = "/api/customer-id/rewards/all", tag = "rewards",
    responses((status = 200, body = inline(Envelope<Vec<CatalogResponse>>))))]
pub async fn catalog(ctx: RequestContext, state: web::Data<RewardsState>) -> HttpResponse {
    let today = state.today();
    let horizon = |d: NaiveDate| (d - today).num_days() <= 365;
    let items: Vec<_> = CATALOG
        .iter()
        .map(|e| CatalogResponse {
            kind: e.kind.as_str(),
            name: e.name.get(ctx.locale),
            description: e.description.get(ctx.locale),
            points: e.points,
            discount_percent: e.discount_percent,
            validity_days: e.validity_days,
            holidays: (e.kind == Kind::Holiday).then(|| {
                state
                    .calendar
                    .iter()
                    .filter(|h| h.end >= today && horizon(h.start))
                    .map(|h| HolidayResponse {
                        key: h.key.clone(),
                        name: match ctx.locale {
                            Locale::Ar => h.name_ar.clone(),
                            Locale::En => h.name_en.clone(),
                        },
                        start_date: day(h.start),
                        end_date: day(h.end),
                    })
                    .collect()
            }),
        })
        .collect();
    cid_kit::ok(items)
}

/// The customer's instances after issuing whatever today's facts call for. Instances are
/// kept under the standard customer ID, whichever of its formats the path used.
async fn refresh(
    db: &Db,
    state: &RewardsState,
    customer: &str,
    ctx: &RequestContext,
) -> Result<Vec<Instance>, ApiError> {
    let today = state.today();
    let (customer, facts) = match state.sources.lookup(customer, ctx).await {
        Lookup::Known(id, facts) => (id, Some(facts)),
        Lookup::Unknown => return Err(RewardsError::CustomerNotFound(customer.to_owned()).into()),
        Lookup::Unavailable => (customer.to_owned(), None),
    };
    let id = customer.clone();
    let existing = db.query(move |c| store::for_customer(c, &id)).await?;
    let Some(facts) = facts else {
        return Ok(existing);
    };
    let known: Vec<Existing> = existing
        .iter()
        .map(|i| Existing {
            id: i.id,
            kind: i.reward_type,
            occurrence: i.occurrence.clone(),
            claimed: i.claimed_at.is_some(),
            valid_from: i.valid_from,
            valid_until: i.valid_until,
        })
        .collect();
    let desired = occurrences::desired(&facts, &state.calendar, today);
    let changes = occurrences::plan(&known, desired, today);
    if changes.is_empty() {
        return Ok(existing);
    }
    let now = Utc::now().naive_utc();
    db.write(move |c| ops::issue(c, &customer, &changes, today, now))
        .await
}

/// The common start of the list routes: the customer ID checked, the caller allowed, the
/// customer's instances brought up to date; with the business day they were judged on.
async fn readable(
    customer: &CustomerId,
    caller: &Caller,
    ctx: &RequestContext,
    db: &Db,
    state: &RewardsState,
) -> Result<(Vec<Instance>, NaiveDate), ApiError> {
    caller.require_owner_or(customer, READERS)?;
    let rows = refresh(db, state, customer.as_str(), ctx).await?;
    Ok((rows, state.today()))
}

/// The customer's special dates: rewards upcoming, available, claimed or expired, by date
/// (windows that closed more than a year ago are in `history` only).
#[utoipa::path(get, path = "/api/customer-id/rewards/{customerId}/special-dates", tag = "rewards",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<RewardResponse>>)),
        (status = 403, body = cid_common::Problem),
        (status = 404, description = "CUSTOMER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn special_dates(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<RewardsState>,
) -> Result<HttpResponse, ApiError> {
    let (rows, today) = readable(&customer, &caller, &ctx, &db, &state).await?;
    let list: Vec<_> = rows
        .iter()
        .filter(|i| (today - i.valid_until).num_days() <= RECENT_DAYS)
        .map(|i| RewardResponse::new(i, today, ctx.locale))
        .collect();
    Ok(cid_kit::ok(list))
}

/// The next five rewards that are available now or open soonest.
#[utoipa::path(get, path = "/api/customer-id/rewards/{customerId}/upcoming", tag = "rewards",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<RewardResponse>>)),
        (status = 403, body = cid_common::Problem),
        (status = 404, description = "CUSTOMER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn upcoming(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<RewardsState>,
) -> Result<HttpResponse, ApiError> {
    let (rows, today) = readable(&customer, &caller, &ctx, &db, &state).await?;
    let list: Vec<_> = rows
        .iter()
        .filter(|i| matches!(status_of(i, today), Status::Upcoming | Status::Available))
        .take(UPCOMING)
        .map(|i| RewardResponse::new(i, today, ctx.locale))
        .collect();
    Ok(cid_kit::ok(list))
}

/// Claimed and expired rewards, newest first, paginated.
#[utoipa::path(get, path = "/api/customer-id/rewards/{customerId}/history", tag = "rewards",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<RewardResponse>>)),
        (status = 400, body = cid_common::Problem), (status = 403, body = cid_common::Problem),
        (status = 404, description = "CUSTOMER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn history(
    page: Paging,
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<RewardsState>,
) -> Result<HttpResponse, ApiError> {
    let page = page.0;
    let (rows, today) = readable(&customer, &caller, &ctx, &db, &state).await?;
    let customer = match rows.first() {
        Some(r) => r.customer_id.clone(),
        None => customer.into_inner().into_inner(),
    };
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let rows = db
        .read(move |c| {
            store::history(c, &customer, today, before, limit + 1).map_err(ApiError::from)
        })
        .await?;
    let locale = ctx.locale;
    Ok(cid_kit::page_response(
        rows,
        page,
        |r| r.id,
        |r| RewardResponse::new(r, today, locale),
    ))
}

/// One reward: its owner or staff; anyone else gets the 404 an unknown reward gets.
#[utoipa::path(get, path = "/api/customer-id/rewards/{rewardId}/details", tag = "rewards",
    params(("rewardId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RewardResponse>)),
        (status = 404, description = "REWARD_NOT_FOUND", body = cid_common::Problem)))]
pub async fn details(
    path: web::Path<String>,
    caller: Caller,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<RewardsState>,
) -> Result<HttpResponse, ApiError> {
    let reward_id = path.into_inner();
    let not_found = || ApiError::from(RewardsError::NotFound(reward_id.clone()));
    if reward_id.len() > 64 {
        return Err(not_found());
    }
    let id = reward_id.clone();
    let found = db
        .query(move |c| store::by_reward_id(c, &id))
        .await?
        .filter(|i| {
            (caller.has(Role::Customer) && caller.subject == i.customer_id)
                || READERS.iter().any(|r| caller.has(*r))
        })
        .ok_or_else(not_found)?;
    Ok(cid_kit::ok(RewardResponse::new(
        &found,
        state.today(),
        ctx.locale,
    )))
}

/// Claims an available reward of the customer, once; its points are credited in loyalty
/// exactly once (through the outbox, so also when loyalty is down right now). Honours
/// `Idempotency-Key`.
#[utoipa::path(post, path = "/api/customer-id/rewards/{customerId}/claim", tag = "rewards",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ClaimRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<ClaimResponse>)),
        (status = 400, body = cid_common::Problem), (status = 403, body = cid_common::Problem),
        (status = 404, description = "REWARD_NOT_FOUND (unknown or another customer's)", body = cid_common::Problem),
        (status = 409, description = "REWARD_ALREADY_CLAIMED or IDEMPOTENCY_IN_PROGRESS", body = cid_common::Problem),
        (status = 422, description = "REWARD_NOT_YET_AVAILABLE, REWARD_EXPIRED or IDEMPOTENCY_KEY_REUSED", body = cid_common::Problem)))]
pub async fn claim(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<RewardsState>,
) -> Result<HttpResponse, ApiError> {
    let customer = match state
        .sources
        .registry()
        .writable(customer.as_str(), &caller, CLAIMERS, &ctx)
        .await
    {
        Ok(found) => found.customer_id,
        // A reward is issued only to a customer the registry vouched for, and the claim
        // below must find it under the caller's own ID: it stays claimable while the
        // registry is unreachable.
        Err(e) if e.code == cid_common::ErrorCode::ServiceUnavailable => {
            caller.require_owner_or(&customer, CLAIMERS)?;
            customer.as_str().to_owned()
        }
        Err(e) => return Err(e),
    };
    let request = body.parse::<ClaimRequest>()?;
    let (today, locale, actor) = (state.today(), ctx.locale, caller.actor());
    let now = Utc::now().naive_utc();
    let reward_id = request.reward_id.trim().to_owned();
    let res = idempotency::execute(&db, scope, StatusCode::OK, move |c| {
        ops::claim(c, &customer, &reward_id, &actor, today, now)
            .map(|claimed| ClaimResponse {
                reward: RewardResponse::new(&claimed, today, locale),
                points_awarded: claimed.points,
            })
            .map_err(ApiError::from)
    })
    .await?;
    if res.status() == StatusCode::OK {
        outbox::deliver_soon(&db, &state.client);
    }
    Ok(res)
}
