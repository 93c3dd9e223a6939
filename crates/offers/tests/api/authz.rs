//! Every protected route of the service, once, with who may call it.

use cid_kit::roles::{ADMIN, READERS, STAFF, WRITERS};
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
            "/api/customer-id/offers/audit",
            cid_kit::roles::ADMIN,
            false,
        ),
        Route::new(Method::POST, "/api/customer-id/offers", ADMIN, false).body(offer(json!({}))),
        Route::new(Method::GET, "/api/customer-id/offers/catalog", STAFF, false),
        Route::new(
            Method::PUT,
            "/api/customer-id/offers/00000000-0000-0000-0000-000000000000",
            ADMIN,
            false,
        )
        .body(offer(json!({}))),
        Route::new(
            Method::GET,
            "/api/customer-id/offers/{customerId}",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/offers/{customerId}/history",
            READERS,
            true,
        ),
        // Customers apply offers to their own orders; agents do not.
        Route::new(
            Method::POST,
            "/api/customer-id/offers/{customerId}/apply",
            WRITERS,
            true,
        )
        .body(json!({"offerId": "none", "orderAmount": 10})),
        // Rollbacks follow a cancelled or refunded order: never the customer's call.
        Route::new(
            Method::POST,
            "/api/customer-id/offers/{customerId}/rollback",
            WRITERS,
            false,
        )
        .body(json!({"redemptionId": "none", "reason": "refund"})),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
