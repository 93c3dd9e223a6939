//! Every protected route of the service, once, with who may call it.

use cid_kit::roles::{ADMIN, READERS, STAFF};
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
            "/api/customer-id/segmentation/audit",
            cid_kit::roles::ADMIN,
            false,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/segmentation/{customerId}",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/segmentation/vip/stats",
            STAFF,
            false,
        ),
        // Customers never change their own segment.
        Route::new(
            Method::PUT,
            "/api/customer-id/segmentation/{customerId}/update",
            ADMIN,
            false,
        )
        .body(json!({"recompute": true})),
        // Events come from other services' outboxes.
        Route::new(
            Method::POST,
            "/api/customer-id/segmentation/domain-events",
            &[cid_common::Role::Service],
            false,
        )
        .body(json!({"id": "e-1", "type": "analytics.purchase_recorded",
            "occurredAt": "2026-01-01T00:00:00Z", "customerId": null, "data": {}, "requestId": null})),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
