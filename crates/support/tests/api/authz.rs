//! Every protected route of the service, once, with who may call it.

use cid_common::Role;
use cid_kit::roles::{ADMIN, READERS, STAFF};
use cid_testkit::authz::{Route, assert_matrix};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const TEAM: &[Role] = &[Role::Agent, Role::Admin, Role::Service];

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let routes = [
        Route::new(Method::GET, "/api/customer-id/support/audit", ADMIN, false),
        Route::new(
            Method::POST,
            "/api/customer-id/support/{customerId}/ticket",
            TEAM,
            true,
        )
        .body(ticket(json!({}))),
        Route::new(
            Method::GET,
            "/api/customer-id/support/{customerId}/tickets",
            READERS,
            true,
        ),
        Route::new(Method::GET, "/api/customer-id/support/queue", STAFF, false),
        // Ticket routes for a ticket nobody has: staff get past authorization to a 404,
        // customers are told 404 too (a ticket of someone else's is not shown to exist).
        Route::new(
            Method::GET,
            "/api/customer-id/support/ticket/TKT-2026-NONE0000",
            TEAM,
            true,
        ),
        Route::new(
            Method::PUT,
            "/api/customer-id/support/ticket/TKT-2026-NONE0000/status",
            TEAM,
            true,
        )
        .body(json!({"status": "closed"})),
        Route::new(
            Method::POST,
            "/api/customer-id/support/ticket/TKT-2026-NONE0000/comment",
            TEAM,
            true,
        )
        .body(json!({"message": "hi"})),
        Route::new(
            Method::PUT,
            "/api/customer-id/support/ticket/TKT-2026-NONE0000/assign",
            STAFF,
            false,
        )
        .body(json!({})),
        Route::new(
            Method::POST,
            "/api/customer-id/support/ticket/TKT-2026-NONE0000/rating",
            &[],
            true,
        )
        .body(json!({"rating": 5})),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
