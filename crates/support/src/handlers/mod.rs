//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod dto;

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{Envelope, ErrorCode, FieldIssue, Role};
use cid_kit::idempotency::{self, Command};
use cid_kit::roles::STAFF;
use cid_kit::{
    ApiError, Caller, CustomerPath, Db, JsonBody, Paging, ReadableCustomer, RequestContext, audit,
};

use crate::SupportState;
use crate::domain::{Category, Priority, Status};
use crate::error::SupportError;
use crate::ops::{self, Move, Opening, Viewer};
use crate::store::{self, Assigned, NewComment};
use dto::{
    AssignRequest, CategoryResponse, ChangeResponse, CommentRequest, CommentResponse,
    RatingRequest, StatusRequest, TicketDetails, TicketRequest, TicketResponse,
};

/// Who may act on tickets as the support team: agents, admins and services.
const TEAM: &[Role] = &[Role::Agent, Role::Admin, Role::Service];

fn viewer(caller: &Caller) -> Viewer {
    if TEAM.iter().any(|r| caller.has(*r)) {
        Viewer::Staff
    } else {
        Viewer::Customer(caller.subject.clone())
    }
}

/// A ticket as answered, with its rating.
fn shown(
    c: &mut cid_kit::DbConnection,
    t: &crate::store::Ticket,
    now: chrono::NaiveDateTime,
) -> Result<TicketResponse, ApiError> {
    Ok(TicketResponse::new(t, &store::ratings(c, &[t.id])?, now))
}

/// Opens a ticket for the customer (the customer, an agent, an admin or a service).
#[utoipa::path(post, path = "/api/customer-id/support/{customerId}/ticket", tag = "support",
    params(("customerId" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = TicketRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<TicketResponse>))))]
pub async fn open_ticket(
    Command {
        caller,
        body,
        scope,
    }: Command,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<SupportState>,
) -> Result<HttpResponse, ApiError> {
    let id = state
        .registry
        .writable(customer.as_str(), &caller, TEAM, &ctx)
        .await?
        .customer_id;
    let request = body.parse::<TicketRequest>()?;
    let opening = Opening {
        customer: id,
        subject: request.subject(),
        description: request
            .description
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        category: request.category.unwrap_or(Category::Account),
        priority: request.priority.unwrap_or(Priority::Medium),
        created_by: caller.subject.clone(),
        request_id: ctx.request_id.clone(),
    };
    let sla = state.config.sla_hours;
    let now = Utc::now().naive_utc();
    // A random ticket ID that is already taken (1 in 31^8 per ticket) is a unique violation:
    // the whole transaction is tried again with another.
    for _ in 0..3 {
        let o = opening.clone();
        let result = idempotency::execute(&db, scope.clone(), StatusCode::CREATED, move |c| {
            let t = ops::open(c, &o, &sla, now)?;
            Ok(TicketResponse::new(&t, &[], now))
        })
        .await;
        match result {
            Err(e) if e.code == ErrorCode::Conflict => continue,
            other => return other,
        }
    }
    Err(ApiError::new(ErrorCode::Conflict))
}

/// The customer's tickets, newest first; `?status=` filters.
#[utoipa::path(get, path = "/api/customer-id/support/{customerId}/tickets", tag = "support",
    params(("customerId" = String, Path), ("status" = Option<String>, Query), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<TicketResponse>>))))]
pub async fn tickets(
    customer: ReadableCustomer,
    page: Paging,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let status = match query.get("status") {
        None => None,
        Some(raw) => Some(Status::from_wire(raw.trim()).ok_or_else(|| {
            ApiError::field(
                "status",
                FieldIssue::OneOf {
                    allowed: Status::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
                },
            )
        })?),
    };
    let page = page.0;
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let id = customer.id;
    let (rows, ratings) = db
        .query(move |c| {
            let rows = store::of_customer(c, &id, status, before, limit + 1)?;
            let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
            Ok((rows, store::ratings(c, &ids)?))
        })
        .await?;
    let now = Utc::now().naive_utc();
    Ok(cid_kit::page_response(
        rows,
        page,
        |t| t.id,
        |t| TicketResponse::new(t, &ratings, now),
    ))
}

/// One ticket with its comments and history (its customer or staff; internal notes for staff
/// only). Another customer's ticket is not found.
#[utoipa::path(get, path = "/api/customer-id/support/ticket/{ticketId}", tag = "support",
    params(("ticketId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<TicketDetails>)),
        (status = 404, description = "TICKET_NOT_FOUND", body = cid_common::Problem)))]
pub async fn ticket(
    caller: Caller,
    path: web::Path<String>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let who = viewer(&caller);
    let staff = matches!(who, Viewer::Staff);
    let wanted = path.into_inner();
    let key = wanted.clone();
    let (t, comments, changes, ratings) = db
        .query(move |c| {
            let t = match ops::visible(c, &key, &who) {
                Ok(t) => t,
                Err(SupportError::Query(e)) => return Err(e),
                Err(_) => return Ok(None),
            };
            let comments = store::comments(c, t.id, staff)?;
            let changes = store::changes(c, t.id)?;
            let ratings = store::ratings(c, &[t.id])?;
            Ok(Some((t, comments, changes, ratings)))
        })
        .await?
        .ok_or(SupportError::NotFound(wanted))?;
    let now = Utc::now().naive_utc();
    Ok(cid_kit::ok(TicketDetails {
        ticket: TicketResponse::new(&t, &ratings, now),
        comments: comments.iter().map(CommentResponse::from).collect(),
        history: changes.iter().map(ChangeResponse::from).collect(),
    }))
}

/// Moves a ticket through its states: staff forward (open → in_progress → resolved →
/// closed, open → closed, a resolved one reopened), the customer closes theirs or reopens a
/// resolved one within 14 days. Anything else is a 409 naming the allowed moves.
#[utoipa::path(put, path = "/api/customer-id/support/ticket/{ticketId}/status", tag = "support",
    params(("ticketId" = String, Path)), request_body = StatusRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<TicketResponse>)),
        (status = 404, description = "TICKET_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "INVALID_STATUS_TRANSITION, REOPEN_WINDOW_OVER", body = cid_common::Problem)))]
pub async fn change_status(
    caller: Caller,
    ctx: RequestContext,
    path: web::Path<String>,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<SupportState>,
) -> Result<HttpResponse, ApiError> {
    let request = body.parse::<StatusRequest>()?;
    let to = request
        .status()
        .ok_or_else(|| ApiError::field("status", FieldIssue::InvalidFormat))?;
    let m = Move {
        to,
        note: request
            .note
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
        viewer: viewer(&caller),
        actor: audit::Actor::new(&caller, &ctx),
    };
    let (key, days, now) = (
        path.into_inner(),
        state.config.reopen_days,
        Utc::now().naive_utc(),
    );
    let shown = db
        .write(move |c| {
            let t = ops::change_status(c, &key, &m, days, now)?;
            shown(c, &t, now)
        })
        .await?;
    Ok(cid_kit::ok(shown))
}

/// Adds a comment (the customer or staff); staff may mark it internal.
#[utoipa::path(post, path = "/api/customer-id/support/ticket/{ticketId}/comment", tag = "support",
    params(("ticketId" = String, Path)), request_body = CommentRequest, security(("bearer" = [])),
    responses((status = 201, body = inline(Envelope<CommentResponse>)),
        (status = 404, description = "TICKET_NOT_FOUND", body = cid_common::Problem)))]
pub async fn comment(
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    let request = body.parse::<CommentRequest>()?;
    let who = viewer(&caller);
    if request.internal && !matches!(who, Viewer::Staff) {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    let role = caller
        .roles
        .first()
        .map_or("customer", |r| r.as_str())
        .to_owned();
    let new = NewComment {
        ticket_id: 0,
        author: caller.subject.clone(),
        author_role: role,
        message: request.message.trim().to_owned(),
        internal: request.internal,
        created_at: Utc::now().naive_utc(),
    };
    let key = path.into_inner();
    let added = db
        .write(move |c| ops::comment(c, &key, &who, new).map_err(ApiError::from))
        .await?;
    Ok(cid_kit::created(CommentResponse::from(&added)))
}

/// Rates a resolved ticket, once (its customer).
#[utoipa::path(post, path = "/api/customer-id/support/ticket/{ticketId}/rating", tag = "support",
    params(("ticketId" = String, Path)), request_body = RatingRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<TicketResponse>)),
        (status = 404, description = "TICKET_NOT_FOUND", body = cid_common::Problem),
        (status = 409, description = "TICKET_NOT_RESOLVED, ALREADY_RATED", body = cid_common::Problem)))]
pub async fn rate(
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(&[Role::Customer])?;
    let request = body.parse::<RatingRequest>()?;
    let rating = request
        .rating()
        .ok_or_else(|| ApiError::field("rating", FieldIssue::OutOfRange { min: 1, max: 5 }))?;
    let feedback = request
        .feedback
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    let (key, owner, now) = (
        path.into_inner(),
        caller.subject.clone(),
        Utc::now().naive_utc(),
    );
    let shown = db
        .write(move |c| {
            let t = ops::rate(c, &key, &owner, rating, feedback.as_deref(), now)?;
            shown(c, &t, now)
        })
        .await?;
    Ok(cid_kit::ok(shown))
}

/// Assigns a ticket to an agent (staff): `agentId`, or the caller.
#[utoipa::path(put, path = "/api/customer-id/support/ticket/{ticketId}/assign", tag = "support",
    params(("ticketId" = String, Path)), request_body = Option<AssignRequest>, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<TicketResponse>)),
        (status = 404, description = "TICKET_NOT_FOUND", body = cid_common::Problem)))]
pub async fn assign(
    caller: Caller,
    ctx: RequestContext,
    path: web::Path<String>,
    body: JsonBody,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let request = body.parse::<AssignRequest>()?;
    let agent = request
        .agent_id
        .map(|a| a.trim().to_owned())
        .unwrap_or_else(|| caller.subject.clone());
    let actor = audit::Actor::new(&caller, &ctx);
    let (key, now) = (path.into_inner(), Utc::now().naive_utc());
    let shown = db
        .write(move |c| {
            let t = ops::assign(c, &key, &agent, &actor, now)?;
            shown(c, &t, now)
        })
        .await?;
    Ok(cid_kit::ok(shown))
}

/// The staff queue: open and in-progress tickets of every customer, soonest SLA due time
/// first, breached ones flagged. `?assignee=me|unassigned|<agentId>` narrows it.
#[utoipa::path(get, path = "/api/customer-id/support/queue", tag = "support",
    params(("assignee" = Option<String>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<Vec<TicketResponse>>))))]
pub async fn queue(
    caller: Caller,
    page: Paging,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(STAFF)?;
    let assigned = match query.get("assignee").map(|a| a.trim()) {
        None | Some("") | Some("any") => Assigned::Anyone,
        Some("unassigned") => Assigned::Nobody,
        Some("me") => Assigned::To(caller.subject.clone()),
        Some(agent) if agent.len() <= 64 => Assigned::To(agent.to_owned()),
        Some(_) => return Err(ApiError::field("assignee", FieldIssue::TooLong { max: 64 })),
    };
    let page = page.0;
    let limit = i64::from(page.limit);
    let cursor = page.cursor.map(|c| c.0);
    let rows = db
        .query(move |c| {
            let after = match cursor {
                Some(id) => store::by_position(c, id)?.map(|t| (t.sla_due_at, t.id)),
                None => None,
            };
            store::queue(c, &assigned, after, limit + 1)
        })
        .await?;
    let now = Utc::now().naive_utc();
    // Tickets in the queue are not resolved, so none is rated.
    Ok(cid_kit::page_response(
        rows,
        page,
        |t| t.id,
        |t| TicketResponse::new(t, &[], now),
    ))
}

/// The ticket categories, in both languages (public).
#[utoipa::path(get, path = "/api/customer-id/support/categories", tag = "support",
    responses((status = 200, body = inline(Envelope<Vec<CategoryResponse>>))))]
pub async fn categories() -> HttpResponse {
    let all: Vec<CategoryResponse> = Category::ALL
        .iter()
        .map(|c| CategoryResponse::from(*c))
        .collect();
    cid_kit::ok(all)
}
