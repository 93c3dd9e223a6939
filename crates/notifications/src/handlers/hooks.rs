//! Domain events in (from every service's outbox), and the webhook subscriptions admins
//! manage: create, list, read, change, delete, the delivery log and re-sending by hand.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::contracts::events::DomainEvent;
use cid_common::{Envelope, FieldError};
use cid_kit::events::Delivered;
use cid_kit::registry::Lookup;
use cid_kit::roles::ADMIN;
use cid_kit::{ApiError, Caller, Db, JsonBody, Paging, RequestContext, audit};
use rand::RngCore;

use super::dto::{
    EventAccepted, HookDeliveryResponse, NewWebhookRequest, WebhookRequest, WebhookResponse,
};
use crate::NotificationsState;
use crate::domain::Language;
use crate::domain::events::check_url;
use crate::error::NotificationsError;
use crate::ops::events::{self, Received};
use crate::ops::send::Recipient;
use crate::store::hooks::{self, NewWebhook, WebhookChangeset};

/// Takes a domain event (services only). A repeat of an event ID is answered like the first
/// and changes nothing. With the registry unreachable it is a 503 and nothing is stored: the
/// sender's outbox tries again.
#[utoipa::path(post, path = "/api/customer-id/notifications/events", tag = "notifications",
    request_body = DomainEvent, security(("bearer" = [])),
    responses((status = 202, body = inline(Envelope<EventAccepted>))))]
pub async fn receive_event(
    Delivered(event): Delivered,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    let accepted = take(&state, &db, event, &ctx).await?;
    Ok(HttpResponse::Accepted().json(Envelope::ok(accepted)))
}

/// Takes one domain event, arrived over HTTP or from the event bus.
pub async fn take(
    state: &NotificationsState,
    db: &Db,
    event: DomainEvent,
    ctx: &RequestContext,
) -> Result<EventAccepted, ApiError> {
    let to = match &event.customer_id {
        None => None,
        Some(id) => match state.registry.lookup(id, ctx).await {
            // A deactivated customer is told nothing more; subscribers still hear of it.
            Lookup::Known(c) if !c.active => None,
            Lookup::Known(c) => Some(Recipient {
                customer_id: c.customer_id,
                email: c.email,
                phone: c.phone,
                language: c.locale.as_deref().and_then(Language::parse),
            }),
            Lookup::Unknown => None,
            Lookup::Unavailable => {
                return Err(ApiError::new(cid_common::ErrorCode::ServiceUnavailable)
                    .arg("service", cid_kit::registry::REGISTRY)
                    .retry_after(2));
            }
        },
    };
    let payload = serde_json::to_string(&event).map_err(ApiError::internal)?;
    let (defaults, clock, now) = (
        state.defaults.clone(),
        state.clock.clone(),
        Utc::now().naive_utc(),
    );
    let recipient = to.clone();
    let received = db
        .write(move |c| {
            events::receive(
                c,
                &event,
                &payload,
                recipient.as_ref(),
                &defaults,
                &clock,
                now,
            )
            .map(|r| (event.id, r))
            .map_err(ApiError::from)
        })
        .await?;
    let (event_id, received) = received;
    let body = match received {
        Received::Repeat => EventAccepted {
            event_id,
            duplicate: true,
            notification_id: None,
            webhooks: 0,
        },
        Received::New { webhooks, sent } => {
            if let Some(to) = &to {
                state.announce(&to.customer_id);
            }
            state.deliverer.soon();
            state.hooks.soon();
            EventAccepted {
                event_id,
                duplicate: false,
                notification_id: sent.map(|s| s.notification.notification_id),
                webhooks,
            }
        }
    };
    Ok(body)
}

fn secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn checked_url(state: &NotificationsState, url: &str) -> Result<String, ApiError> {
    check_url(url, state.allow_private_webhooks)
        .map_err(|issue| ApiError::validation(vec![FieldError::new("url", issue)]))?;
    Ok(url.trim().to_owned())
}

/// Subscribes a URL to event types (admin). The secret (given, or generated) is in this
/// answer only.
#[utoipa::path(post, path = "/api/customer-id/notifications/webhooks", tag = "notifications",
    request_body = NewWebhookRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<WebhookResponse>))))]
pub async fn create_webhook(
    caller: Caller,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let request = body.parse::<WebhookRequest>()?;
    let (Some(url), Some(types)) = (&request.url, &request.event_types) else {
        let missing = if request.url.is_none() {
            "url"
        } else {
            "eventTypes"
        };
        return Err(ApiError::field(missing, cid_common::FieldIssue::Required));
    };
    let now = Utc::now().naive_utc();
    let new = NewWebhook {
        webhook_id: format!("wh_{}", uuid::Uuid::now_v7().simple()),
        url: checked_url(&state, url)?,
        event_types: serde_json::to_string(types).map_err(ApiError::internal)?,
        secret: request.secret.clone().unwrap_or_else(secret),
        active: request.active.unwrap_or(true),
        created_by: caller.subject.clone(),
        created_at: now,
        updated_at: now,
    };
    let actor = audit::Actor::new(&caller, &ctx);
    let created = db
        .transact(move |c| {
            let w = hooks::insert_webhook(c, &new)?;
            let target = format!("webhook:{}", w.webhook_id);
            let after = WebhookResponse::audited(&w);
            audit::record(
                c,
                &actor,
                "notifications.webhook_created",
                &target,
                None,
                Some(&after),
                now,
            )?;
            Ok(w)
        })
        .await?;
    Ok(cid_kit::created(WebhookResponse::new(&created, true)))
}

/// Every subscription (admin), without secrets.
#[utoipa::path(get, path = "/api/customer-id/notifications/webhooks", tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<WebhookResponse>>))))]
pub async fn list_webhooks(caller: Caller, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let all = db.query(hooks::webhooks).await?;
    let shown: Vec<_> = all.iter().map(|w| WebhookResponse::new(w, false)).collect();
    Ok(cid_kit::ok(shown))
}

async fn found(db: &Db, webhook_id: &str) -> Result<hooks::Webhook, ApiError> {
    let key = webhook_id.to_owned();
    db.query(move |c| hooks::webhook(c, &key))
        .await?
        .ok_or_else(|| NotificationsError::WebhookNotFound(webhook_id.to_owned()).into())
}

/// One subscription (admin), without its secret.
#[utoipa::path(get, path = "/api/customer-id/notifications/webhooks/{webhookId}", tag = "notifications",
    params(("webhookId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<WebhookResponse>)),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = cid_common::Problem)))]
pub async fn webhook(
    caller: Caller,
    path: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let w = found(&db, &path).await?;
    Ok(cid_kit::ok(WebhookResponse::new(&w, false)))
}

/// Changes a subscription (admin): any of url, eventTypes, secret (shown once), active.
#[utoipa::path(patch, path = "/api/customer-id/notifications/webhooks/{webhookId}", tag = "notifications",
    params(("webhookId" = String, Path)), request_body = WebhookRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<WebhookResponse>)),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = cid_common::Problem)))]
pub async fn update_webhook(
    caller: Caller,
    ctx: RequestContext,
    path: web::Path<String>,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let request = body.parse::<WebhookRequest>()?;
    let url = request
        .url
        .as_deref()
        .map(|u| checked_url(&state, u))
        .transpose()?;
    let current = found(&db, &path).await?;
    let now = Utc::now().naive_utc();
    let change = WebhookChangeset {
        url: url.unwrap_or_else(|| current.url.clone()),
        event_types: match &request.event_types {
            Some(t) => serde_json::to_string(t).map_err(ApiError::internal)?,
            None => current.event_types.clone(),
        },
        secret: request
            .secret
            .clone()
            .unwrap_or_else(|| current.secret.clone()),
        active: request.active.unwrap_or(current.active),
        updated_at: now,
    };
    let rotated = request.secret.is_some();
    let actor = audit::Actor::new(&caller, &ctx);
    let updated = db
        .transact(move |c| {
            let w = hooks::update_webhook(c, current.id, &change)?;
            let target = format!("webhook:{}", w.webhook_id);
            let mut after = WebhookResponse::audited(&w);
            after["secretRotated"] = rotated.into();
            let before = WebhookResponse::audited(&current);
            audit::record(
                c,
                &actor,
                "notifications.webhook_updated",
                &target,
                Some(&before),
                Some(&after),
                now,
            )?;
            Ok(w)
        })
        .await?;
    Ok(cid_kit::ok(WebhookResponse::new(&updated, rotated)))
}

/// Deletes a subscription (admin): nothing more is sent to it; its log stays readable to the
/// audit trail, not through this API.
#[utoipa::path(delete, path = "/api/customer-id/notifications/webhooks/{webhookId}", tag = "notifications",
    params(("webhookId" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = cid_common::Problem)))]
pub async fn delete_webhook(
    caller: Caller,
    ctx: RequestContext,
    path: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let current = found(&db, &path).await?;
    let now = Utc::now().naive_utc();
    let actor = audit::Actor::new(&caller, &ctx);
    db.transact(move |c| {
        hooks::delete_webhook(c, current.id, now)?;
        let target = format!("webhook:{}", current.webhook_id);
        let before = WebhookResponse::audited(&current);
        audit::record(
            c,
            &actor,
            "notifications.webhook_deleted",
            &target,
            Some(&before),
            None,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A subscription's deliveries, newest first, each with every attempt (admin).
#[utoipa::path(get, path = "/api/customer-id/notifications/webhooks/{webhookId}/deliveries", tag = "notifications",
    params(("webhookId" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<HookDeliveryResponse>>)),
        (status = 404, description = "WEBHOOK_NOT_FOUND", body = cid_common::Problem)))]
pub async fn deliveries(
    caller: Caller,
    path: web::Path<String>,
    page: Paging,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let w = found(&db, &path).await?;
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let (rows, attempts) = db
        .query(move |c| {
            let rows = hooks::log(c, w.id, before, limit + 1)?;
            let ids: Vec<i64> = rows.iter().map(|(d, _)| d.id).collect();
            Ok((rows, hooks::attempts_of(c, &ids)?))
        })
        .await?;
    Ok(cid_kit::page_response(
        rows,
        page,
        |(d, _)| d.id,
        |(d, e)| HookDeliveryResponse::new(d, e, &attempts),
    ))
}

/// Sends a delivery again (admin): queued now with a fresh count of attempts.
#[utoipa::path(post, path = "/api/customer-id/notifications/webhooks/{webhookId}/deliveries/{deliveryId}/resend", tag = "notifications",
    params(("webhookId" = String, Path), ("deliveryId" = i64, Path)), security(("bearer" = [])),
    responses((status = 202, body = inline(Envelope<HookDeliveryResponse>)),
        (status = 404, description = "WEBHOOK_NOT_FOUND, WEBHOOK_DELIVERY_NOT_FOUND", body = cid_common::Problem)))]
pub async fn resend(
    caller: Caller,
    path: web::Path<(String, String)>,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let (webhook_id, raw) = path.into_inner();
    let w = found(&db, &webhook_id).await?;
    let missing = || NotificationsError::DeliveryNotFound(webhook_id.clone(), 0);
    let delivery: i64 = raw.parse().map_err(|_| missing())?;
    let now = Utc::now().naive_utc();
    let done = db
        .transact(move |c| {
            let Some((d, e)) = hooks::requeue(c, w.id, delivery, now)? else {
                return Ok(None);
            };
            let attempts = hooks::attempts_of(c, &[d.id])?;
            Ok(Some(HookDeliveryResponse::new(&d, &e, &attempts)))
        })
        .await?
        .ok_or_else(|| NotificationsError::DeliveryNotFound(webhook_id.clone(), delivery))?;
    state.hooks.soon();
    Ok(HttpResponse::Accepted().json(Envelope::ok(done)))
}
