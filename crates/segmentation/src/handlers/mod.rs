//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod dto;

use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::Envelope;
use cid_common::contracts::events::DomainEvent;
use cid_kit::events::Delivered;
use cid_kit::roles::{ADMIN, STAFF};
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, JsonBody, ReadableCustomer, RequestContext, audit,
};
use serde_json::json;

use cid_kit::registry::Lookup;

use crate::domain::{CATALOG, Segment, SegmentEntry, classify};
use crate::error::SegmentationError;
use crate::{SegmentationState, ops, store};
use dto::{AssignmentResponse, SegmentInfo, SegmentListItem, SegmentStats, UpdateRequest};

/// The customer's segment, computed from analytics' figures and stored with its history;
/// the last stored one with `stale: true` when analytics cannot be asked.
#[utoipa::path(get, path = "/api/customer-id/segmentation/{customerId}", tag = "segmentation",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<AssignmentResponse>))))]
pub async fn assignment(
    customer: ReadableCustomer,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<SegmentationState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    let now = Utc::now().naive_utc();
    let key = id.clone();
    let stored = db.query(move |c| store::find(c, &key)).await?;
    if stored.is_none() {
        // A first read stores an assignment: only for a customer the registry issued, so
        // that made-up IDs never count as members of a segment.
        state.registry.require_known(&customer.named, &ctx).await?;
    }
    let body = match state.activity(&id, Some(&ctx)).await {
        Some(activity) => {
            let segment = classify(&activity, &state.thresholds, now);
            match stored.filter(|a| ops::is_current(a, segment, &activity)) {
                Some(a) => AssignmentResponse::new(&a, false, ctx.locale),
                None => {
                    let a = db
                        .transact(move |c| ops::record_computed(c, &id, segment, &activity, now))
                        .await?;
                    AssignmentResponse::new(&a, false, ctx.locale)
                }
            }
        }
        None => match stored {
            Some(a) => AssignmentResponse::new(&a, true, ctx.locale),
            None => AssignmentResponse::unknown(id, now, ctx.locale),
        },
    };
    Ok(cid_kit::ok(body))
}

/// The five segments with their benefits and current member counts; public.
#[utoipa::path(get, path = "/api/customer-id/segmentation/all/segments", tag = "segmentation",
    responses((status = 200, body = inline(Envelope<Vec<SegmentListItem>>))))]
pub async fn all_segments(
    ctx: RequestContext,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let counts = db.query(store::members).await?;
    let list: Vec<_> = CATALOG
        .iter()
        .map(|e| SegmentListItem {
            info: SegmentInfo::new(e, ctx.locale),
            members: counts
                .iter()
                .find(|(s, _)| s == e.segment.as_str())
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    Ok(cid_kit::ok(list))
}

fn segment_of(raw: &str) -> Result<Segment, ApiError> {
    Segment::parse(&raw.to_ascii_lowercase().replace('-', "_"))
        .ok_or_else(|| SegmentationError::SegmentNotFound(raw.to_owned()).into())
}

/// One segment's benefits; public. Unknown → 404.
#[utoipa::path(get, path = "/api/customer-id/segmentation/{segment}/benefits", tag = "segmentation",
    params(("segment" = String, Path, description = "vip, frequent, occasional, inactive or at_risk")),
    responses((status = 200, body = inline(Envelope<SegmentInfo>)),
        (status = 404, description = "SEGMENT_NOT_FOUND", body = cid_common::Problem)))]
pub async fn benefits(
    path: web::Path<String>,
    ctx: RequestContext,
) -> Result<HttpResponse, ApiError> {
    let segment = segment_of(&path)?;
    Ok(cid_kit::ok(SegmentInfo::new(segment.entry(), ctx.locale)))
}

/// One segment's members, share and average twelve-month spend (staff), from stored
/// assignments.
#[utoipa::path(get, path = "/api/customer-id/segmentation/{segment}/stats", tag = "segmentation",
    params(("segment" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<SegmentStats>)),
        (status = 404, description = "SEGMENT_NOT_FOUND", body = cid_common::Problem)))]
pub async fn stats(
    caller: Caller,
    path: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let segment = segment_of(&path)?;
    let (totals, all) = db
        .query(move |c| {
            let totals = store::segment_totals(c, segment)?;
            let all = store::members(c)?.iter().map(|(_, n)| n).sum::<i64>();
            Ok((totals, all))
        })
        .await?;
    Ok(cid_kit::ok(SegmentStats::new(segment, totals, all)))
}

/// A manual override `{segment, reason}` (kept until cleared) or `{"recompute": true}`
/// (clears it and computes again); admin only.
#[utoipa::path(put, path = "/api/customer-id/segmentation/{customerId}/update", tag = "segmentation",
    params(("customerId" = String, Path)), request_body = UpdateRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<AssignmentResponse>))))]
pub async fn update(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<SegmentationState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let request = body.parse::<UpdateRequest>()?;
    let id = state
        .registry
        .require_active(&customer, &ctx)
        .await?
        .customer_id;
    let (now, actor) = (Utc::now().naive_utc(), caller.actor());
    let auditor = audit::Actor::new(&caller, &ctx);
    let a = match request.segment {
        Some(segment) => {
            let reason = request.reason.unwrap_or_default().trim().to_owned();
            db.transact(move |c| {
                let before = store::find(c, &id)?;
                let a = ops::set_manual(c, &id, segment, &reason, &actor, now)?;
                audited(
                    c,
                    &auditor,
                    "segmentation.segment_overridden",
                    before,
                    &a,
                    now,
                )?;
                Ok(a)
            })
            .await?
        }
        None => {
            let activity = state.activity(&id, Some(&ctx)).await.ok_or_else(|| {
                ApiError::new(cid_common::ErrorCode::ServiceUnavailable)
                    .arg("service", "analytics")
                    .retry_after(2)
            })?;
            let segment = classify(&activity, &state.thresholds, now);
            db.transact(move |c| {
                let before = store::find(c, &id)?;
                let a = ops::recompute(c, &id, segment, &activity, &actor, now)?;
                audited(
                    c,
                    &auditor,
                    "segmentation.segment_recomputed",
                    before,
                    &a,
                    now,
                )?;
                Ok(a)
            })
            .await?
        }
    };
    Ok(cid_kit::ok(AssignmentResponse::new(&a, false, ctx.locale)))
}

/// Takes a domain event that can move a customer's segment (a purchase or a refund; services
/// only): the segment is computed again from analytics' figures at once. Analytics unreachable
/// → 503 and the sender tries again; a repeat computes the same segment and changes nothing.
#[utoipa::path(post, path = "/api/customer-id/segmentation/domain-events", tag = "segmentation",
    request_body = DomainEvent, security(("bearer" = [])),
    responses((status = 202, body = inline(Envelope<SegmentationTakenIn>))))]
pub async fn take_in(
    Delivered(event): Delivered,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<SegmentationState>,
) -> Result<HttpResponse, ApiError> {
    let segment = take(&state, &db, event, &ctx).await?;
    Ok(HttpResponse::Accepted().json(Envelope::ok(SegmentationTakenIn { segment })))
}

/// Takes one domain event, arrived over HTTP or from the event bus: the customer's segment
/// after it (none for an event about no customer, or of a type that moves no segment).
pub async fn take(
    state: &SegmentationState,
    db: &Db,
    event: DomainEvent,
    ctx: &RequestContext,
) -> Result<Option<Segment>, ApiError> {
    let wanted = cid_kit::events::subscribed_types(crate::SERVICE)
        .is_some_and(|t| t.contains(&event.kind.as_str()));
    let Some(named) = event.customer_id.filter(|_| wanted) else {
        return Ok(None);
    };
    // Only customers the registry issued get an assignment (as on a first read), stored
    // under their standard ID.
    let id = match state.registry.lookup(&named, ctx).await {
        Lookup::Known(c) => c.customer_id,
        Lookup::Unknown => return Ok(None),
        Lookup::Unavailable => {
            return Err(ApiError::new(cid_common::ErrorCode::ServiceUnavailable)
                .arg("service", cid_kit::registry::REGISTRY)
                .retry_after(2));
        }
    };
    let activity = state.activity(&id, Some(ctx)).await.ok_or_else(|| {
        ApiError::new(cid_common::ErrorCode::ServiceUnavailable)
            .arg("service", "analytics")
            .retry_after(2)
    })?;
    let now = Utc::now().naive_utc();
    let segment = classify(&activity, &state.thresholds, now);
    let a = db
        .transact(move |c| ops::record_computed(c, &id, segment, &activity, now))
        .await?;
    Ok(Some(a.segment))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SegmentationTakenIn {
    /// The customer's segment after the event.
    pub segment: Option<Segment>,
}

/// Records an admin's change of a customer's segment in the audit log, in its transaction.
fn audited(
    c: &mut cid_kit::DbConnection,
    actor: &audit::Actor,
    action: &str,
    before: Option<store::Assignment>,
    after: &store::Assignment,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<()> {
    let state = |a: &store::Assignment| json!({"segment": a.segment, "source": a.source, "reason": a.reason});
    let target = format!("customer:{}", after.customer_id);
    let before = before.as_ref().map(state);
    audit::record(
        c,
        actor,
        action,
        &target,
        before.as_ref(),
        Some(&state(after)),
        now,
    )
}
