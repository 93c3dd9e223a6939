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
            "/api/customer-id/referral/audit",
            cid_kit::roles::ADMIN,
            false,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/referral/{customerId}/generate-link",
            WRITERS,
            true,
        )
        .body(json!({})),
        Route::new(
            Method::POST,
            "/api/customer-id/referral/{customerId}/track",
            WRITERS,
            false,
        )
        .body(
            json!({"referralCode": "ABCDEFGH", "referredCustomerId": "CID-2026-999999",
            "event": "signup"}),
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/referral/{customerId}/history",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/referral/{customerId}/rewards",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/referral/{customerId}/stats",
            READERS,
            true,
        ),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
