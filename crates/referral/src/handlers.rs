//! HTTP in and out: extract, authorize, run the use case, shape the response.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDateTime, Utc};
use cid_common::contracts::loyalty::{Credit, EarnType};
use cid_common::time::rfc3339;
use cid_common::{CustomerId, Envelope, FieldError, FieldIssue};
use cid_kit::idempotency::{self, Scope};
use cid_kit::outbox::{self, Message};
use cid_kit::roles::{READERS, WRITERS};
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, DbConnection, JsonBody, Paging, RequestContext, Validate,
};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ReferralState;
use crate::domain::{self, Action, Event, Existing, REFEREE_POINTS, REFERRER_POINTS, Refusal};
use crate::error::ReferralError;
use crate::store::{self, NewReferral, Referral};

/// `POST /referral/{customerId}/generate-link` (body optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LinkRequest {
    /// Retire the current code and issue a new one.
    #[serde(default)]
    pub regenerate: bool,
}

impl Validate for LinkRequest {}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkResponse {
    pub customer_id: String,
    pub referral_code: String,
    pub referral_link: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Signup,
    FirstPurchase,
}

/// `POST /referral/{customerId}/track`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrackRequest {
    /// The code as issued (Crockford base32); case and surrounding spaces do not matter.
    #[schema(pattern = "^[0-9A-Za-z]{1,32}$")]
    pub referral_code: String,
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    pub referred_customer_id: String,
    pub event: EventKind,
}

impl Validate for TrackRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let code = self.referral_code.trim();
        if code.is_empty() || code.chars().count() > 32 {
            errors.push(FieldError::new("referralCode", FieldIssue::InvalidFormat));
        }
        if CustomerId::parse(&self.referred_customer_id).is_err() {
            errors.push(FieldError::new(
                "referredCustomerId",
                FieldIssue::InvalidFormat,
            ));
        }
        errors
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferralResponse {
    pub id: i64,
    pub referrer_id: String,
    pub referred_customer_id: String,
    pub referral_code: String,
    /// pending | completed
    pub status: String,
    pub referrer_points: i32,
    pub referee_points: i32,
    pub signed_up_at: String,
    pub completed_at: Option<String>,
}

impl From<&Referral> for ReferralResponse {
    fn from(r: &Referral) -> Self {
        Self {
            id: r.id,
            referrer_id: r.referrer_id.clone(),
            referred_customer_id: r.referee_id.clone(),
            referral_code: r.code.clone(),
            status: r.status.clone(),
            referrer_points: r.referrer_points,
            referee_points: r.referee_points,
            signed_up_at: rfc3339(r.signed_up_at),
            completed_at: r.completed_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RewardsResponse {
    /// Points earned by this referrer's completed referrals.
    pub total_rewards: i64,
    /// Referrals that completed and paid.
    pub completed_rewards: i64,
    /// Referrals waiting for the referee's first purchase.
    pub pending_rewards: i64,
    pub total_referred: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsResponse {
    pub total_referrals: i64,
    pub total_referred: i64,
    pub successful_referrals: i64,
    pub pending_referrals: i64,
    /// Completed over all, in percent.
    pub conversion_rate: f64,
    pub total_rewards: i64,
    pub last_referral: Option<String>,
}

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
    let code = db
        .write(move |c| {
            let now = Utc::now().naive_utc();
            match store::active_code(c, &id)? {
                Some(code) if !request.regenerate => Ok(code),
                _ => {
                    store::retire(c, &id, now)?;
                    // 40 random bits: a clash is rare, but the primary key decides.
                    for _ in 0..5 {
                        let code = domain::new_code();
                        if store::code(c, &code)?.is_none() {
                            store::insert_code(c, &code, &id, now)?;
                            return store::active_code(c, &id)?
                                .ok_or_else(|| ApiError::internal("code vanished"));
                        }
                    }
                    Err(ApiError::internal("no free referral code after 5 tries"))
                }
            }
        })
        .await?;
    Ok(cid_kit::ok(LinkResponse {
        referral_link: format!(
            "{}/ref/{}",
            state.link_base.trim_end_matches('/'),
            code.code
        ),
        customer_id: code.customer_id,
        referral_code: code.code,
        created_at: rfc3339(code.created_at),
    }))
}

fn payout(conn: &mut DbConnection, r: &Referral, now: NaiveDateTime) -> Result<(), ApiError> {
    for (customer, points, reason, side) in [
        (
            &r.referrer_id,
            REFERRER_POINTS,
            format!("Referral: {} made a first purchase", r.referee_id),
            "referrer",
        ),
        (
            &r.referee_id,
            REFEREE_POINTS,
            "Welcome bonus for joining through a referral".to_owned(),
            "referee",
        ),
    ] {
        let credit = Credit {
            points: i64::from(points),
            reason,
            earn_type: EarnType::Referral,
        };
        let message = Message::credit(customer, &credit, format!("referral:{}:{side}", r.id))
            .map_err(ApiError::internal)?;
        outbox::enqueue(conn, &message, now)?;
    }
    Ok(())
}

fn track_tx(
    conn: &mut DbConnection,
    referrer: &str,
    referee: &str,
    code: &str,
    event: Event,
) -> Result<ReferralResponse, ReferralError> {
    let now = Utc::now().naive_utc();
    store::code(conn, code)?
        .filter(|c| c.active && c.customer_id == referrer)
        .ok_or_else(|| ReferralError::CodeNotFound(code.to_owned()))?;
    let known = store::by_referee(conn, referee)?;
    let existing = known.as_ref().map(|r| Existing {
        id: r.id,
        referrer_id: r.referrer_id.clone(),
        completed: r.status == "completed",
    });
    let action = domain::decide(referrer, referee, existing.as_ref(), event).map_err(
        |refusal| match refusal {
            Refusal::SelfReferral => ReferralError::SelfReferral,
            Refusal::AlreadyReferred => ReferralError::AlreadyReferred(referee.to_owned()),
            Refusal::AlreadyCompleted => ReferralError::Completed(referee.to_owned()),
        },
    )?;
    let insert = |conn: &mut DbConnection, completed: bool| {
        let new = NewReferral {
            referrer_id: referrer,
            referee_id: referee,
            code,
            status: if completed { "completed" } else { "pending" },
            referrer_points: if completed { REFERRER_POINTS } else { 0 },
            referee_points: if completed { REFEREE_POINTS } else { 0 },
            signed_up_at: now,
            completed_at: completed.then_some(now),
            created_at: now,
        };
        store::insert(conn, &new).map_err(|e| match e {
            // A concurrent track for the same referee won the unique index.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ReferralError::AlreadyReferred(referee.to_owned())
            }
            other => other.into(),
        })
    };
    let referral = match action {
        Action::CreatePending => insert(conn, false)?,
        Action::CreateCompleted => {
            let r = insert(conn, true)?;
            payout(conn, &r, now)?;
            r
        }
        Action::Complete(id) => {
            let r = store::complete(conn, id, now, REFERRER_POINTS, REFEREE_POINTS)?
                .ok_or_else(|| ReferralError::Completed(referee.to_owned()))?;
            payout(conn, &r, now)?;
            r
        }
        Action::Unchanged(_) => known.ok_or_else(|| ApiError::internal("referral vanished"))?,
    };
    Ok(ReferralResponse::from(&referral))
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
    req: HttpRequest,
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<ReferralState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let referrer = customer;
    caller.require_any(WRITERS)?;
    let t = body.parse::<TrackRequest>()?;
    let scope = Scope::from_request(&req, &caller, &body.raw)?;
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
    let event = match t.event {
        EventKind::Signup => Event::Signup,
        EventKind::FirstPurchase => Event::FirstPurchase,
    };
    let code = t.referral_code.trim().to_uppercase();
    let res = idempotency::execute(&db, scope, StatusCode::OK, move |c| {
        track_tx(c, &referrer, &referee, &code, event).map_err(ApiError::from)
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
    page: Paging,
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<ReferralState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_owner_or(&customer, READERS)?;
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let id = state.registry.canonical(&customer, &ctx).await;
    let rows = db
        .read(move |c| store::page(c, &id, before, limit + 1).map_err(ApiError::from))
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |r| r.id,
        |r| ReferralResponse::from(r),
    ))
}

async fn summary(db: &Db, customer: String) -> Result<StatsResponse, ApiError> {
    let rows = db
        .read(move |c| store::summary(c, &customer).map_err(ApiError::from))
        .await?;
    let mut s = StatsResponse::default();
    let mut last: Option<NaiveDateTime> = None;
    for (status, count, points, latest) in rows {
        s.total_referrals += count;
        s.total_rewards += points.unwrap_or(0);
        if status == "completed" {
            s.successful_referrals += count;
        } else {
            s.pending_referrals += count;
        }
        last = last.max(latest);
    }
    s.total_referred = s.total_referrals;
    s.conversion_rate = domain::conversion_rate(s.successful_referrals, s.total_referrals);
    s.last_referral = last.map(rfc3339);
    Ok(s)
}

/// What the referrer earned and has pending.
#[utoipa::path(get, path = "/api/customer-id/referral/{customerId}/rewards", tag = "referral",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RewardsResponse>))))]
pub async fn rewards(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<ReferralState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_owner_or(&customer, READERS)?;
    let customer = state.registry.canonical(&customer, &ctx).await;
    let s = summary(&db, customer).await?;
    Ok(cid_kit::ok(RewardsResponse {
        total_rewards: s.total_rewards,
        completed_rewards: s.successful_referrals,
        pending_rewards: s.pending_referrals,
        total_referred: s.total_referred,
    }))
}

/// Counts, conversion and the latest referral.
#[utoipa::path(get, path = "/api/customer-id/referral/{customerId}/stats", tag = "referral",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<StatsResponse>))))]
pub async fn stats(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<ReferralState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_owner_or(&customer, READERS)?;
    let customer = state.registry.canonical(&customer, &ctx).await;
    Ok(cid_kit::ok(summary(&db, customer).await?))
}
