//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod dto;
pub mod feed;
pub mod hooks;
pub mod stream;

use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::Envelope;
use cid_common::time::rfc3339;
use cid_kit::roles::WRITERS;
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, JsonBody, ReadableCustomer, RequestContext, audit,
};

use crate::error::NotificationsError;
use crate::{NotificationsState, ops, store};
use dto::{PreferencesRequest, PreferencesResponse};

/// The customer's preferences in both spellings; the defaults for a customer never seen
/// (nothing is stored by reading).
#[utoipa::path(get, path = "/api/customer-id/notifications/{customerId}/preferences", tag = "notifications",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<PreferencesResponse>))))]
pub async fn preferences(
    customer: ReadableCustomer,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer.id.clone();
    let row = db.query(move |c| store::find(c, &id)).await?;
    let body = match row {
        Some(r) => {
            PreferencesResponse::new(customer.id, &r.preferences(), Some(rfc3339(r.updated_at)))
        }
        None => PreferencesResponse::new(customer.id, &state.defaults, None),
    };
    Ok(cid_kit::ok(body))
}

/// Changes any subset of the preferences (the customer, a service or an admin); what the body
/// leaves out stays. Security messages cannot be switched off (422). A change by someone else
/// than the customer is in the audit log.
#[utoipa::path(put, path = "/api/customer-id/notifications/{customerId}/preferences", tag = "notifications",
    params(("customerId" = String, Path)), request_body = PreferencesRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<PreferencesResponse>)),
        (status = 422, description = "SECURITY_ALWAYS_ON", body = cid_common::Problem)))]
pub async fn update_preferences(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<NotificationsState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = state
        .registry
        .writable(customer.as_str(), &caller, WRITERS, &ctx)
        .await?
        .customer_id;
    let request = body.parse::<PreferencesRequest>()?;
    if request.categories.as_ref().and_then(|c| c.security) == Some(false) {
        return Err(NotificationsError::SecurityAlwaysOn.into());
    }
    let change = request.change().map_err(ApiError::validation)?;
    let by_staff = caller.subject != id;
    let (actor, defaults, now) = (
        audit::Actor::new(&caller, &ctx),
        state.defaults.clone(),
        Utc::now().naive_utc(),
    );
    let key = id.clone();
    let row = db
        .transact(move |c| {
            let (before, row) = ops::change_preferences(c, &key, &defaults, &change, now)?;
            if by_staff {
                let shown =
                    |p| serde_json::to_value(PreferencesResponse::new(key.clone(), p, None)).ok();
                audit::record(
                    c,
                    &actor,
                    "notifications.preferences_changed",
                    &format!("customer:{key}"),
                    shown(&before).as_ref(),
                    shown(&row.preferences()).as_ref(),
                    now,
                )?;
            }
            Ok(row)
        })
        .await?;
    Ok(cid_kit::ok(PreferencesResponse::new(
        id,
        &row.preferences(),
        Some(rfc3339(row.updated_at)),
    )))
}
