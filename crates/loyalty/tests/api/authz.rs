//! Every protected route of the service, once, with who may call it.

use cid_common::Role;
use cid_kit::roles::{READERS, WRITERS};
use cid_testkit::authz::{Route, assert_matrix};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let base = "/api/customer-id/loyalty/{customerId}";
    let routes = [
        // Every service serves its audit log to admins (from the kit).
        Route::new(
            Method::GET,
            "/api/customer-id/loyalty/audit",
            cid_kit::roles::ADMIN,
            false,
        ),
        Route::new(Method::GET, base, READERS, true),
        Route::new(
            Method::GET,
            "/api/customer-id/loyalty/{customerId}/history",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/loyalty/{customerId}/milestones",
            READERS,
            true,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/loyalty/{customerId}/points",
            WRITERS,
            false,
        )
        .body(json!({"points": 1, "reason": "matrix"})),
        Route::new(
            Method::POST,
            "/api/customer-id/loyalty/{customerId}/redeem",
            &[Role::Admin],
            true,
        )
        .body(json!({"points": 1, "rewardId": "r-1"})),
        Route::new(
            Method::POST,
            "/api/customer-id/loyalty/{customerId}/reversal",
            WRITERS,
            false,
        )
        .body(json!({"orderId": "o-1", "reason": "matrix"})),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
