//! Every protected route of the service, once, with who may call it.

use cid_kit::roles::{READERS, WRITERS};
use cid_testkit::authz::{Route, assert_matrix};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let routes = [
        // Every service serves its audit log to admins (from the kit).
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/audit",
            cid_kit::roles::ADMIN,
            false,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/{customerId}",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/{customerId}/purchase-history",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/{customerId}/spending-trends",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/{customerId}/category-breakdown",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/{customerId}/activity",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/{customerId}/milestones",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/analytics/{customerId}/engagement",
            READERS,
            true,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/analytics/{customerId}/purchases",
            WRITERS,
            false,
        )
        .body(purchase("matrix-1", 10.0, "books", 1)),
        Route::new(
            Method::POST,
            "/api/customer-id/analytics/{customerId}/events",
            WRITERS,
            false,
        )
        .body(json!({"type": "visit", "occurredAt": days_ago(0)})),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
