//! What every service needs at run time: settings, database, telemetry, auth, idempotency,
//! request context and the app builder. Services stay thin by leaning on this crate.

pub mod allow;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod cache;
pub mod client;
pub mod context;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod idempotency;
pub mod json;
pub mod lease;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod registry;
pub mod server;
pub mod settings;
pub mod target;
pub mod telemetry;
pub mod trace;

pub use auth::{Caller, Verifier};
pub use context::RequestContext;
pub use db::{Db, DbConnection, DbError, Migrations};
pub use error::ApiError;
pub use extract::{CustomerPath, Paging, ReadableCustomer, created, ok, roles};
pub use json::{JsonBody, Validate};
pub use registry::Registry;
pub use settings::Settings;

/// Reads one page of a list and answers it: `load(conn, before, limit + 1)` gives the rows
/// after the cursor (positions below `before`), newest first; see [`page_response`].
pub async fn list_page<R, T, L>(
    db: &Db,
    page: cid_common::PageRequest,
    load: L,
    id: impl Fn(&R) -> i64,
    to_body: impl Fn(&R) -> T,
) -> Result<actix_web::HttpResponse, ApiError>
where
    R: Send + 'static,
    T: serde::Serialize,
    L: FnOnce(&mut DbConnection, Option<i64>, i64) -> diesel::QueryResult<Vec<R>> + Send + 'static,
{
    let (limit, before) = (i64::from(page.limit), page.cursor.map(|c| c.0));
    let rows = db.query(move |c| load(c, before, limit + 1)).await?;
    Ok(page_response(rows, page, id, to_body))
}

/// Answers a page of a list read with `limit + 1` rows (newest first, keyed by a numeric ID):
/// the extra row only tells that another page exists, and the last row shown is the cursor.
pub fn page_response<R, T: serde::Serialize>(
    rows: Vec<R>,
    page: cid_common::PageRequest,
    id: impl Fn(&R) -> i64,
    to_body: impl Fn(&R) -> T,
) -> actix_web::HttpResponse {
    let shown = &rows[..rows.len().min(page.limit as usize)];
    let next_cursor = (rows.len() > shown.len())
        .then(|| shown.last().map(|r| cid_common::Cursor(id(r)).encode()))
        .flatten();
    let data: Vec<T> = shown.iter().map(to_body).collect();
    actix_web::HttpResponse::Ok().json(cid_common::Envelope::paged(
        data,
        cid_common::PageInfo {
            limit: page.limit,
            next_cursor,
        },
    ))
}
