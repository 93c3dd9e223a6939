//! Security events, alerts, reports, the status, recommendations and history.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::contracts::events::DomainEvent;
use cid_common::{Envelope, FieldIssue, Role};
use cid_kit::events::Delivered;
use cid_kit::idempotency::{self, Command};
use cid_kit::roles::STAFF;
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, JsonBody, Paging, ReadableCustomer, RequestContext, audit,
};

use super::dto::{
    AlertResponse, EventRequest, EventResponse, RecommendationResponse, ReportRequest,
    ReportResponse, ResolveRequest, StatusResponse,
};
use crate::SecurityState;
use crate::domain::rules::AlertStatus;
use crate::ops::watch::{self as ops, level, recommendations, score};
use crate::store::{self, NewEvent};

/// Records a security event (services) and runs the rules over it: 201 with the alerts it
/// raised.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/events", tag = "security",
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
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(&[Role::Service])?;
    let id = state
        .registry
        .writable(customer.as_str(), &caller, &[Role::Service], &ctx)
        .await?
        .customer_id;
    let now = Utc::now().naive_utc();
    let e = body
        .parse::<EventRequest>()?
        .checked(now)
        .map_err(ApiError::validation)?;
    let new = NewEvent {
        customer_id: id,
        event_type: e.event_type,
        ip_address: e.ip_address,
        device_id: e.device_id,
        country: e.country,
        occurred_at: e.occurred_at,
        recorded_at: now,
    };
    let (rules, rid, locale) = (state.config.rules, ctx.request_id.clone(), ctx.locale);
    // A retry with the same Idempotency-Key (a login service that lost the answer) is not
    // a second failed login.
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let (event, raised) = ops::record_event(c, &new, &rules, &rid, now)?;
        let mut shown = EventResponse::new(&event);
        shown.alerts_raised = Some(
            raised
                .iter()
                .map(|a| AlertResponse::new(a, locale))
                .collect(),
        );
        Ok(shown)
    })
    .await
}

/// The customer's alerts, newest first; `?status=open|resolved`.
#[utoipa::path(get, path = "/api/customer-id/security/{customerId}/alerts", tag = "security",
    params(("customerId" = String, Path), ("status" = Option<String>, Query),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<AlertResponse>>))))]
pub async fn alerts(
    customer: ReadableCustomer,
    page: Paging,
    query: web::Query<HashMap<String, String>>,
    ctx: RequestContext,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let status = match query.get("status") {
        None => None,
        Some(raw) => Some(AlertStatus::parse(raw.trim()).ok_or_else(|| {
            ApiError::field(
                "status",
                FieldIssue::OneOf {
                    allowed: AlertStatus::ALL
                        .iter()
                        .map(|s| s.as_str().to_owned())
                        .collect(),
                },
            )
        })?),
    };
    let id = customer.id;
    cid_kit::list_page(
        &db,
        page.0,
        move |c, before, limit| store::alerts(c, &id, status, before, limit),
        |a| a.id,
        |a| AlertResponse::new(a, ctx.locale),
    )
    .await
}

/// Resolves an alert with an optional note: its customer or staff (staff resolutions are
/// audited).
#[utoipa::path(patch, path = "/api/customer-id/security/{customerId}/alerts/{alertId}", tag = "security",
    params(("customerId" = String, Path), ("alertId" = String, Path)), request_body = ResolveRequest,
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<AlertResponse>)),
        (status = 404, description = "ALERT_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "ALERT_RESOLVED", body = cid_common::Problem)))]
pub async fn resolve_alert(
    caller: Caller,
    customer: CustomerPath,
    path: web::Path<(String, String)>,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    let id = state
        .registry
        .writable(customer.as_str(), &caller, STAFF, &ctx)
        .await?
        .customer_id;
    let request = body.parse::<ResolveRequest>()?;
    let note = request
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let alert_id = path.into_inner().1;
    let staff = !caller.has(Role::Customer) || caller.subject != id;
    let actor = audit::Actor::new(&caller, &ctx);
    let (rid, now) = (ctx.request_id.clone(), Utc::now().naive_utc());
    let after = db
        .write(move |c| {
            let (before, after) = ops::resolve_alert(
                c,
                &id,
                &alert_id,
                &actor.subject,
                note.as_deref(),
                &rid,
                now,
            )?;
            if staff {
                let shown =
                    |a: &store::Alert| serde_json::json!({"status": a.status, "note": a.note});
                audit::record(
                    c,
                    &actor,
                    "security.alert_resolved",
                    &format!("alert:{}", after.alert_id),
                    Some(&shown(&before)),
                    Some(&shown(&after)),
                    now,
                )?;
            }
            Ok::<_, crate::error::SecurityError>(after)
        })
        .await
        .map_err(ApiError::from)?;
    Ok(cid_kit::ok(AlertResponse::new(&after, ctx.locale)))
}

/// A customer reports suspicious activity: 201; the report, the profile's count and a
/// `security.activity_reported` event are written together.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/report", tag = "security",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = ReportRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<ReportResponse>))))]
pub async fn report(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    let id = state
        .registry
        .writable(customer.as_str(), &caller, STAFF, &ctx)
        .await?
        .customer_id;
    let request = body.parse::<ReportRequest>()?;
    let activity = request
        .activity()
        .ok_or_else(|| ApiError::field("activityType", FieldIssue::InvalidFormat))?;
    let description = request.description.trim().to_owned();
    let evidence = request
        .evidence
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    let (rid, now) = (ctx.request_id.clone(), Utc::now().naive_utc());
    idempotency::execute(&db, scope, StatusCode::CREATED, move |c| {
        let r = ops::report(
            c,
            &id,
            activity.as_str(),
            &description,
            evidence.as_deref(),
            &rid,
            now,
        )?;
        Ok(ReportResponse::new(&r))
    })
    .await
}

/// The customer's risk and what stands behind it.
#[utoipa::path(get, path = "/api/customer-id/security/{customerId}/status", tag = "security",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<StatusResponse>))))]
pub async fn status(
    customer: ReadableCustomer,
    ctx: RequestContext,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let (id, now) = (customer.id, Utc::now().naive_utc());
    let who = id.clone();
    let snap = db
        .read(move |c| ops::snapshot(c, &who, now))
        .await
        .map_err(ApiError::from)?;
    let risk_score = score(&snap.state);
    Ok(cid_kit::ok(StatusResponse {
        customer_id: id,
        overall_risk: level(risk_score),
        risk_score,
        two_factor_enabled: snap.state.two_factor,
        last_login: snap.last_login.map(cid_common::time::rfc3339),
        suspicious_activities: snap.state.open.len() as i64,
        failed_logins_last_24h: snap.state.failed_logins_24h,
        recent_alerts: snap
            .recent
            .iter()
            .map(|a| AlertResponse::new(a, ctx.locale))
            .collect(),
    }))
}

/// What the customer should do now, computed from the current state; most urgent first.
#[utoipa::path(get, path = "/api/customer-id/security/{customerId}/recommendations", tag = "security",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<RecommendationResponse>>))))]
pub async fn recommendations_for(
    customer: ReadableCustomer,
    ctx: RequestContext,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let (id, now) = (customer.id, Utc::now().naive_utc());
    let snap = db
        .read(move |c| ops::snapshot(c, &id, now))
        .await
        .map_err(ApiError::from)?;
    let shown: Vec<RecommendationResponse> = recommendations(&snap.state)
        .into_iter()
        .map(|a| {
            let (title, description) = a.text(ctx.locale);
            RecommendationResponse {
                id: a,
                priority: a.priority(),
                title: title.to_owned(),
                description: description.to_owned(),
            }
        })
        .collect();
    Ok(cid_kit::ok(shown))
}

/// The customer's security events, newest first, in cursor pages.
#[utoipa::path(get, path = "/api/customer-id/security/{customerId}/history", tag = "security",
    params(("customerId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<EventResponse>>))))]
pub async fn history(
    customer: ReadableCustomer,
    page: Paging,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id;
    cid_kit::list_page(
        &db,
        page.0,
        move |c, before, limit| store::events(c, &id, before, limit),
        |e| e.id,
        EventResponse::new,
    )
    .await
}

/// Takes in other services' domain events (services: the outbox of loyalty): a redemption
/// goes through the redemption rule. A redelivered event is recognised by its ID: 202 with
/// `duplicate: true`.
#[utoipa::path(post, path = "/api/customer-id/security/domain-events", tag = "security",
    request_body = DomainEvent, security(("bearer" = [])),
    responses((status = 202, body = inline(Envelope<TakenIn>))))]
pub async fn take_in(
    Delivered(event): Delivered,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    let new = take(&state, &db, event).await?;
    Ok(HttpResponse::Accepted().json(Envelope::ok(TakenIn { duplicate: !new })))
}

/// Takes one domain event, arrived over HTTP or from the event bus; false for a repeat.
pub async fn take(state: &SecurityState, db: &Db, event: DomainEvent) -> Result<bool, ApiError> {
    let (rules, now) = (state.config.rules, Utc::now().naive_utc());
    db.write(move |c| ops::take_in(c, &event, &rules, now).map_err(ApiError::from))
        .await
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = SecurityTakenIn)]
pub struct TakenIn {
    pub duplicate: bool,
}
