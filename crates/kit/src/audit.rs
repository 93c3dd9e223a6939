//! The audit log (SPEC §4): staff and service actions that change state, recorded
//! append-only in the same transaction as the change (who, with which roles, what, on what,
//! the state before and after, the request ID), and read by admins at
//! `GET /api/customer-id/<group>/audit` — a route every service gets from the kit.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime};
use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue, Role};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::context::RequestContext;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::extract::Paging;

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor -> Text,
        roles -> Text,
        action -> Text,
        target -> Text,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
        request_id -> Text,
        at -> Timestamp,
    }
}

/// Who acts: the caller's subject and roles, and the request it came with.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub roles: String,
    pub request_id: String,
}

impl Actor {
    pub fn new(caller: &Caller, ctx: &RequestContext) -> Self {
        let roles: Vec<&str> = caller.roles.iter().map(|r| r.as_str()).collect();
        Self {
            subject: caller.subject.clone(),
            roles: roles.join("+"),
            request_id: ctx.request_id.clone(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    actor: &'a str,
    roles: &'a str,
    action: &'a str,
    target: &'a str,
    before_state: Option<String>,
    after_state: Option<String>,
    request_id: &'a str,
    at: NaiveDateTime,
}

/// Records `action` (`<group>.<what>`, e.g. `loyalty.points_adjusted`) on `target`
/// (`<kind>:<id>`, e.g. `customer:CID-2026-000001`) in the caller's transaction.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(&NewEntry {
            actor: &actor.subject,
            roles: &actor.roles,
            action,
            target,
            before_state: before.map(Value::to_string),
            after_state: after.map(Value::to_string),
            request_id: &actor.request_id,
            at,
        })
        .execute(conn)
        .map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
struct Row {
    id: i64,
    actor: String,
    roles: String,
    action: String,
    target: String,
    before_state: Option<String>,
    after_state: Option<String>,
    request_id: String,
    at: NaiveDateTime,
}

/// One entry of the audit log.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub roles: String,
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: String,
    pub at: String,
}

impl From<&Row> for AuditEntry {
    fn from(r: &Row) -> Self {
        let json = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str(s).ok());
        Self {
            id: r.id,
            actor: r.actor.clone(),
            roles: r.roles.clone(),
            action: r.action.clone(),
            target: r.target.clone(),
            before: json(&r.before_state),
            after: json(&r.after_state),
            request_id: r.request_id.clone(),
            at: rfc3339(r.at),
        }
    }
}

/// The filters of a read: each given one must match.
#[derive(Debug, Clone, Default)]
struct Filters {
    actor: Option<String>,
    target: Option<String>,
    action: Option<String>,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
}

const MAX_FILTER: usize = 200;

fn filters(query: &HashMap<String, String>) -> Result<Filters, ApiError> {
    let mut errors = Vec::new();
    let text = |name: &str, errors: &mut Vec<FieldError>| {
        let v = query.get(name)?.trim().to_owned();
        if v.chars().count() > MAX_FILTER {
            errors.push(FieldError::new(
                name,
                FieldIssue::TooLong { max: MAX_FILTER },
            ));
        }
        (!v.is_empty()).then_some(v)
    };
    let time = |name: &str, errors: &mut Vec<FieldError>| {
        let raw = query.get(name)?;
        match DateTime::parse_from_rfc3339(raw.trim()) {
            Ok(t) => Some(t.naive_utc()),
            Err(_) => {
                errors.push(FieldError::new(name, FieldIssue::InvalidFormat));
                None
            }
        }
    };
    let f = Filters {
        actor: text("actor", &mut errors),
        target: text("target", &mut errors),
        action: text("action", &mut errors),
        from: time("from", &mut errors),
        to: time("to", &mut errors),
    };
    if let (Some(from), Some(to)) = (f.from, f.to)
        && to <= from
    {
        errors.push(FieldError::new(
            "to",
            FieldIssue::MustBeAfter {
                field: "from".into(),
            },
        ));
    }
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(ApiError::validation(errors))
    }
}

fn page(
    conn: &mut DbConnection,
    f: &Filters,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    use audit_log::dsl as a;
    let mut q = a::audit_log.select(Row::as_select()).into_boxed();
    if let Some(v) = &f.actor {
        q = q.filter(a::actor.eq(v.clone()));
    }
    if let Some(v) = &f.target {
        q = q.filter(a::target.eq(v.clone()));
    }
    if let Some(v) = &f.action {
        q = q.filter(a::action.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(a::at.ge(v));
    }
    if let Some(v) = f.to {
        q = q.filter(a::at.lt(v));
    }
    if let Some(v) = before {
        q = q.filter(a::id.lt(v));
    }
    q.order(a::id.desc()).limit(limit).load(conn)
}

/// `GET /api/customer-id/<group>/audit` (admin): the service's audit log, newest first, with
/// `actor`, `target`, `action` (exact) and `from`/`to` (RFC 3339, `to` exclusive) filters.
pub async fn list(
    page_request: Paging,
    caller: Caller,
    query: web::Query<HashMap<String, String>>,
    db: web::Data<Db>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(&[Role::Admin])?;
    let f = filters(&query)?;
    let request = page_request.0;
    let (limit, before) = (i64::from(request.limit), request.cursor.map(|c| c.0));
    let rows = db.query(move |c| page(c, &f, before, limit + 1)).await?;
    Ok(crate::page_response(
        rows,
        request,
        |r| r.id,
        |r| AuditEntry::from(r),
    ))
}

/// The route's OpenAPI operation, added to every service's document by
/// [`crate::openapi::finish`].
pub fn openapi_path(service: &str) -> (String, Value) {
    let entry = serde_json::json!({
        "type": "object",
        "required": ["id", "actor", "roles", "action", "target", "requestId", "at"],
        "properties": {
            "id": {"type": "integer", "format": "int64"},
            "actor": {"type": "string"},
            "roles": {"type": "string", "description": "the actor's roles, joined with +"},
            "action": {"type": "string", "example": "loyalty.points_adjusted"},
            "target": {"type": "string", "example": "customer:CID-2026-000001"},
            "before": {"description": "the state before (JSON), null when created"},
            "after": {"description": "the state after (JSON)"},
            "requestId": {"type": "string"},
            "at": {"type": "string", "format": "date-time"}
        }
    });
    let text = |name: &str, what: &str| {
        serde_json::json!({"name": name, "in": "query", "required": false,
            "description": what, "schema": {"type": "string", "maxLength": MAX_FILTER}})
    };
    let time = |name: &str, what: &str| {
        serde_json::json!({"name": name, "in": "query", "required": false,
            "description": what, "schema": {"type": "string", "format": "date-time"}})
    };
    let op = serde_json::json!({
        "get": {
            "tags": [service],
            "summary": "The service's audit log (admin), newest first, paginated.",
            "operationId": "audit_log",
            "security": [{"bearer": []}],
            "parameters": [
                text("actor", "the actor's subject, exactly"),
                text("target", "e.g. customer:CID-2026-000001, exactly"),
                text("action", "e.g. loyalty.points_adjusted, exactly"),
                time("from", "entries at or after (RFC 3339)"),
                time("to", "entries before (RFC 3339), after `from`"),
                {"name": "limit", "in": "query", "required": false,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                {"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {"description": "entries", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["success", "data"],
                    "properties": {
                        "success": {"type": "boolean"},
                        "data": {"type": "array", "items": entry},
                        "page": {"type": "object", "properties": {
                            "limit": {"type": "integer"},
                            "nextCursor": {"type": ["string", "null"]}
                        }}
                    }
                }}}}
            }
        }
    });
    (format!("/api/customer-id/{service}/audit"), op)
}
