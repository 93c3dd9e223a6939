//! HTTP in and out: extract, authorize, call the store, shape the response.

pub mod dto;

use actix_web::{HttpResponse, web};
use bytes::Bytes;
use chrono::Utc;
use cid_common::{CustomerId, Envelope, Role};
use cid_kit::db::PgReader;
use cid_kit::roles::{ADMIN, READERS, STAFF, WRITERS};
use cid_kit::{ApiError, Caller, CustomerPath, Db, JsonBody, RequestContext, audit};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use crate::domain::{csv, ids};
use crate::error::CustomersError;
use crate::store::{self, Customer, NewCustomer, ProfileChangeset};
use crate::{CustomersState, ops};
use dto::{CreateRequest, CustomerResponse, Profile, StatsResponse};

fn owns(caller: &Caller, c: &Customer) -> bool {
    caller.has(Role::Customer)
        && (caller.subject == c.customer_id
            || caller.subject == c.short_id
            || caller.subject == c.id.to_string())
}

/// Loads a customer by any ID format and checks the caller may act on it. A customer asking
/// for someone else gets 403 whether or not that ID exists.
async fn load(
    db: &Db,
    id: &CustomerId,
    caller: &Caller,
    others: &[Role],
) -> Result<Customer, ApiError> {
    let raw = id.as_str().to_owned();
    let lookup = ids::lookup(&raw);
    let pipelined = {
        let lookup = lookup.clone();
        |pg: PgReader| async move { store::find_pipelined(&pg, &lookup).await.map(Some) }
    };
    let found = db
        .read_pipelined(pipelined, move |c| {
            store::find(c, &lookup).map_err(ApiError::from)
        })
        .await?;
    match found {
        Some(c) if owns(caller, &c) => Ok(c),
        _ if !others.iter().any(|r| caller.has(*r)) => {
            Err(ApiError::new(cid_common::ErrorCode::Forbidden))
        }
        Some(c) => Ok(c),
        None => Err(CustomersError::NotFound(raw).into()),
    }
}

/// Registers a customer (service/admin): one global sequence, so IDs never collide.
#[utoipa::path(post, path = "/api/customer-id/customers", tag = "customers", request_body = CreateRequest,
    security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<CustomerResponse>)), (status = 400, body = cid_common::Problem),
        (status = 403, body = cid_common::Problem), (status = 409, description = "CUSTOMER_EXISTS", body = cid_common::Problem)))]
pub async fn create(
    caller: Caller,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<CustomersState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(WRITERS)?;
    let request = body.parse::<CreateRequest>()?;
    let profile = request.profile();
    let now = Utc::now().naive_utc();
    let pending = format!("pending-{}", uuid::Uuid::new_v4());
    let new = NewCustomer {
        customer_id: pending.clone(),
        short_id: pending,
        user_id: request.user_id.trim().to_owned(),
        user_type: request.user_type,
        name: profile.name.clone(),
        email: profile.email.clone(),
        phone: profile.phone.clone(),
        birth_date: profile.birth_date(),
        locale: profile.locale.clone(),
        active: true,
        join_date: now,
        created_at: now,
        updated_at: now,
    };
    let prefix = state.prefix.clone();
    let user = new.user_id.clone();
    let request_id = ctx.request_id.clone();
    let created = db
        .write(move |c| ops::register(c, new, &prefix, &request_id, now))
        .await;
    let customer = match created {
        Ok(c) => c,
        // Two creates for one user raced past the check; the unique index let one through.
        Err(CustomersError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => {
            let existing = db.query(move |c| store::by_user(c, &user)).await?;
            return Err(match existing {
                Some(e) => CustomersError::Exists {
                    user_id: e.user_id,
                    customer_id: e.customer_id,
                }
                .into(),
                None => ApiError::new(cid_common::ErrorCode::Conflict),
            });
        }
        Err(e) => return Err(e.into()),
    };
    Ok(cid_kit::created(CustomerResponse::from(&customer)))
}

/// A customer by standard, short or numeric ID.
#[utoipa::path(get, path = "/api/customer-id/customers/{id}", tag = "customers",
    params(("id" = String, Path, description = "CID-2026-000001, CID000001 or 1")), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<CustomerResponse>)), (status = 403, body = cid_common::Problem),
        (status = 404, description = "CUSTOMER_NOT_FOUND", body = cid_common::Problem)))]
pub async fn get(
    caller: Caller,
    id: CustomerPath,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let customer = load(&db, &id, &caller, READERS).await?;
    Ok(cid_kit::ok(CustomerResponse::from(&customer)))
}

/// Updates profile fields (the customer themself, service or admin); absent fields stay.
#[utoipa::path(put, path = "/api/customer-id/customers/{id}", tag = "customers", request_body = Option<Profile>,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<CustomerResponse>)), (status = 400, body = cid_common::Problem),
        (status = 409, description = "CUSTOMER_INACTIVE", body = cid_common::Problem)))]
pub async fn update(
    caller: Caller,
    id: CustomerPath,
    db: web::Data<Db>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let customer = load(&db, &id, &caller, WRITERS).await?;
    let profile = body.parse::<Profile>()?;
    let changes = ProfileChangeset {
        birth_date: profile.birth_date(),
        name: profile.name,
        email: profile.email,
        phone: profile.phone,
        locale: profile.locale,
        updated_at: Some(Utc::now().naive_utc()),
    };
    let updated = db
        .write(move |c| ops::update_profile(c, &customer, &changes).map_err(ApiError::from))
        .await?;
    Ok(cid_kit::ok(CustomerResponse::from(&updated)))
}

/// Deactivates a customer (service/admin); the record and its ID are kept.
#[utoipa::path(delete, path = "/api/customer-id/customers/{id}", tag = "customers",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<CustomerResponse>)), (status = 404, body = cid_common::Problem)))]
pub async fn deactivate(
    caller: Caller,
    id: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(WRITERS)?;
    let customer = load(&db, &id, &caller, WRITERS).await?;
    let now = Utc::now().naive_utc();
    let actor = audit::Actor::new(&caller, &ctx);
    let done = db
        .transact(move |c| {
            let done = ops::deactivate(c, &customer, &actor.request_id, now)?;
            if customer.active {
                audit::record(
                    c,
                    &actor,
                    "customers.deactivated",
                    &format!("customer:{}", done.customer_id),
                    Some(&json!({"active": true})),
                    Some(&json!({"active": done.active})),
                    now,
                )?;
            }
            Ok(done)
        })
        .await?;
    Ok(cid_kit::ok(CustomerResponse::from(&done)))
}

/// Totals by user type and state (staff).
#[utoipa::path(get, path = "/api/customer-id/customers/stats/overview", tag = "customers", security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<StatsResponse>)), (status = 403, body = cid_common::Problem)))]
pub async fn stats(caller: Caller, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let stats = db.query(ops::stats).await?;
    Ok(cid_kit::ok(StatsResponse::from(&stats)))
}

/// Every customer as RFC 4180 CSV (admin), streamed page by page.
#[utoipa::path(get, path = "/api/customer-id/customers/export.csv", tag = "customers", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = cid_common::Problem)))]
pub async fn export(caller: Caller, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    caller.require_any(ADMIN)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, ApiError>>(4);
    let db = db.get_ref().clone();
    tokio::spawn(async move {
        if tx
            .send(Ok(Bytes::from(csv::record(dto::CSV_HEADER))))
            .await
            .is_err()
        {
            return;
        }
        let mut after = 0;
        loop {
            let page = db.query(move |c| store::page_after(c, after, 500)).await;
            let rows = match page {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let Some(last) = rows.last() else { return };
            after = last.id;
            let chunk: String = rows.iter().map(dto::csv_row).collect();
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"customers.csv\"",
        ))
        .streaming(stream))
}
