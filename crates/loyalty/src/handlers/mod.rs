//! HTTP in and out: extract, authorize, call the use case, shape the response.

pub mod dto;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::time::{major_units, rfc3339};
use cid_common::{Envelope, Role};
use cid_kit::db::PgReader;
use cid_kit::idempotency::{self, Command};
use cid_kit::roles::WRITERS;
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, Paging, ReadableCustomer, RequestContext, audit,
};

use crate::LoyaltyState;
use crate::domain::earn::{EARN_CURRENCY, EarnType, METHODS};
use crate::domain::tier::{self, CATALOG, TierRules};
use crate::error::LoyaltyError;
use crate::ops::{self, Who};
use crate::store::entries;
use dto::{
    AccountResponse, EarnMethodResponse, EarnRequest, EntryResponse, ExpiryResponse,
    MilestonesResponse, MovementResponse, RedeemRequest, ReversalRequest, TierResponse,
};

/// Who may credit or reverse points: never the customer.
const CREDITORS: &[Role] = WRITERS;

fn who(caller: &Caller, ctx: &RequestContext) -> Who {
    Who {
        actor: caller.actor(),
        request_id: ctx.request_id.clone(),
    }
}

/// The tier catalog.
#[utoipa::path(get, path = "/api/customer-id/loyalty/tiers/all", tag = "loyalty",
    responses((status = 200, body = inline(Envelope<Vec<TierResponse>>))))]
pub async fn tiers(ctx: RequestContext) -> HttpResponse {
    let tiers: Vec<_> = CATALOG
        .iter()
        .map(|t| TierResponse::new(t, ctx.locale))
        .collect();
    cid_kit::ok(tiers)
}

/// One tier's benefits; the name is case-insensitive.
#[utoipa::path(get, path = "/api/customer-id/loyalty/tier/{tier}/benefits", tag = "loyalty",
    params(("tier" = String, Path, description = "bronze, silver, gold or platinum")),
    responses((status = 200, body = inline(Envelope<TierResponse>)),
        (status = 404, description = "TIER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn benefits(
    path: web::Path<String>,
    ctx: RequestContext,
) -> Result<HttpResponse, ApiError> {
    let tier =
        tier::parse_tier(&path).ok_or_else(|| LoyaltyError::TierNotFound(path.into_inner()))?;
    Ok(cid_kit::ok(TierResponse::new(tier.info(), ctx.locale)))
}

/// The ways to earn, with the rates the earn endpoint applies.
#[utoipa::path(get, path = "/api/customer-id/loyalty/earn/methods", tag = "loyalty",
    responses((status = 200, body = inline(Envelope<Vec<EarnMethodResponse>>))))]
pub async fn methods(ctx: RequestContext) -> HttpResponse {
    let methods: Vec<_> = METHODS
        .iter()
        .map(|m| EarnMethodResponse::new(m, ctx.locale))
        .collect();
    cid_kit::ok(methods)
}

/// A customer's account; an unknown customer has the zero account.
#[utoipa::path(get, path = "/api/customer-id/loyalty/{customerId}", tag = "loyalty",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<AccountResponse>)),
        (status = 401, body = cid_common::Problem), (status = 403, body = cid_common::Problem)))]
pub async fn account(
    customer: ReadableCustomer,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<LoyaltyState>,
) -> Result<HttpResponse, ApiError> {
    let policy = state.policy;
    let id = customer.id.clone();
    let now = Utc::now().naive_utc();
    let read = {
        let id = id.clone();
        move |c: &mut _| ops::snapshot(c, &policy, &id, now).map_err(ApiError::from)
    };
    let pipelined = |pg: PgReader| {
        let id = id.clone();
        async move {
            Ok(ops::snapshot_pipelined(&pg, &policy, &id, now)
                .await?
                .map(Some))
        }
    };
    let snap = match db.read_pipelined(pipelined, read.clone()).await? {
        Some(snap) => snap,
        None => {
            let (who, id) = (who(&customer.caller, &ctx), id.clone());
            db.write(move |c| {
                ops::settle_expiry(c, &policy, &id, &who, now).map_err(ApiError::from)
            })
            .await?;
            db.read(read)
                .await?
                .ok_or_else(|| ApiError::internal("expiry did not settle"))?
        }
    };
    let progress = tier::progress(snap.standing.tier, snap.qualifying);
    let acct = snap.account.as_ref();
    let body = AccountResponse {
        customer_id: id,
        points: acct.map_or(0, |a| a.points),
        lifetime_points: acct.map_or(0, |a| a.lifetime_points),
        tier: snap.standing.tier,
        tier_name: snap.standing.tier.info().name.get(ctx.locale).to_owned(),
        tier_since: acct.map(|_| rfc3339(snap.standing.since)),
        discount_percent: snap.standing.tier.info().discount_percent,
        next_tier: progress.next,
        next_tier_name: progress
            .next
            .map(|t| t.info().name.get(ctx.locale).to_owned()),
        points_to_next_tier: progress.points_to_next,
        progress_percent: progress.percent,
        qualifying_points: snap.qualifying,
        join_date: acct.map(|a| rfc3339(a.created_at)),
        total_spent: major_units(acct.map_or(0, |a| a.total_spent_minor)),
        currency: acct.map_or(EARN_CURRENCY.to_owned(), |a| a.currency.clone()),
        next_expiry: snap.next_expiry.map(|(points, at)| ExpiryResponse {
            points,
            expires_at: rfc3339(at),
        }),
        points_history: snap.recent.iter().map(EntryResponse::from).collect(),
    };
    Ok(cid_kit::ok(body))
}

/// The ledger, newest first, paginated.
#[utoipa::path(get, path = "/api/customer-id/loyalty/{customerId}/history", tag = "loyalty",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<EntryResponse>>)), (status = 400, body = cid_common::Problem)))]
pub async fn history(
    page: Paging,
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let page = page.0;
    let limit = i64::from(page.limit);
    let before = page.cursor.map(|c| c.0);
    let id = customer.id;
    let rows = db
        .query(move |c| entries::page(c, &id, before, limit + 1))
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |r| r.id,
        |r| EntryResponse::from(r),
    ))
}

/// Milestones reached (first and tenth purchase, 1,000 lifetime points) and when; the
/// rewards service issues milestone rewards from them.
#[utoipa::path(get, path = "/api/customer-id/loyalty/{customerId}/milestones", tag = "loyalty",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<MilestonesResponse>)),
        (status = 403, body = cid_common::Problem)))]
pub async fn milestones(
    customer: ReadableCustomer,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    let body = db.query(move |c| ops::milestones::reached(c, &id)).await?;
    Ok(cid_kit::ok(body))
}

/// Credits points (service/admin). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/customer-id/loyalty/{customerId}/points", tag = "loyalty",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = EarnRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<MovementResponse>)),
        (status = 400, body = cid_common::Problem), (status = 403, body = cid_common::Problem),
        (status = 409, description = "ORDER_ALREADY_CREDITED or IDEMPOTENCY_IN_PROGRESS", body = cid_common::Problem),
        (status = 422, description = "UNSUPPORTED_CURRENCY or IDEMPOTENCY_KEY_REUSED", body = cid_common::Problem)))]
pub async fn earn(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<LoyaltyState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer;
    caller.require_any(CREDITORS)?;
    let earning = body.parse::<EarnRequest>()?.into_earning()?;
    let customer = state.registry.require_active(&id, &ctx).await?;
    let (policy, who) = (state.policy, who(&caller, &ctx));
    // Points given by hand (an admin, or a manual credit) are an adjustment the audit log keeps.
    let adjustment = (earning.earn_type == EarnType::Manual || caller.has(Role::Admin))
        .then(|| audit::Actor::new(&caller, &ctx));
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let now = Utc::now().naive_utc();
        let done = ops::earn(c, &policy, &customer.customer_id, &earning, &who, now)
            .map(MovementResponse::from)
            .map_err(ApiError::from)?;
        if let Some(actor) = &adjustment {
            audited(
                c,
                actor,
                "loyalty.points_adjusted",
                &customer.customer_id,
                &done,
                now,
            )?;
        }
        Ok(done)
    })
    .await
}

/// Records a movement made by hand in the audit log, in the movement's transaction.
fn audited(
    c: &mut cid_kit::DbConnection,
    actor: &audit::Actor,
    action: &str,
    customer: &str,
    movement: &MovementResponse,
    now: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    let after = serde_json::to_value(movement).map_err(ApiError::internal)?;
    let target = format!("customer:{customer}");
    audit::record(c, actor, action, &target, None, Some(&after), now)?;
    Ok(())
}

/// Spends points on a reward (the customer themself or admin). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/customer-id/loyalty/{customerId}/redeem", tag = "loyalty",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = RedeemRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<MovementResponse>)),
        (status = 400, body = cid_common::Problem), (status = 403, body = cid_common::Problem),
        (status = 422, description = "INSUFFICIENT_POINTS", body = cid_common::Problem)))]
pub async fn redeem(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<LoyaltyState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer;
    if !caller.has(Role::Customer) {
        caller.require_any(&[Role::Admin])?;
    }
    let request = body.parse::<RedeemRequest>()?;
    let customer = state
        .registry
        .writable(id.as_str(), &caller, &[Role::Admin], &ctx)
        .await?;
    let (policy, who) = (state.policy, who(&caller, &ctx));
    let reward = request.reward_id.trim().to_owned();
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let now = Utc::now().naive_utc();
        ops::redeem(
            c,
            &policy,
            &customer.customer_id,
            request.points,
            &reward,
            &who,
            now,
        )
        .map(MovementResponse::from)
        .map_err(ApiError::from)
    })
    .await
}

/// Reverses the points an order or entry earned, once (service/admin).
#[utoipa::path(post, path = "/api/customer-id/loyalty/{customerId}/reversal", tag = "loyalty",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ReversalRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<MovementResponse>)),
        (status = 404, description = "ENTRY_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "ALREADY_REVERSED", body = cid_common::Problem)))]
pub async fn reversal(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<LoyaltyState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer;
    caller.require_any(CREDITORS)?;
    let request = body.parse::<ReversalRequest>()?;
    let customer = state.registry.require_active(&id, &ctx).await?;
    let (policy, who) = (state.policy, who(&caller, &ctx));
    let (target, reason) = (request.target(), request.reason.trim().to_owned());
    let actor = audit::Actor::new(&caller, &ctx);
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let now = Utc::now().naive_utc();
        let done = ops::reverse(
            c,
            &policy,
            &customer.customer_id,
            &target,
            &reason,
            &who,
            now,
        )
        .map(MovementResponse::from)
        .map_err(ApiError::from)?;
        audited(
            c,
            &actor,
            "loyalty.points_reversed",
            &customer.customer_id,
            &done,
            now,
        )?;
        Ok(done)
    })
    .await
}
