//! Every protected route of the service, once, with who may call it.

use cid_common::Role;
use cid_kit::roles::{ADMIN, READERS, STAFF};
use cid_testkit::authz::{Route, assert_matrix};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const SERVICE_ONLY: &[Role] = &[Role::Service];

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let code = json!({"code": "123456"});
    let routes = [
        Route::new(Method::GET, "/api/customer-id/security/audit", ADMIN, false),
        Route::new(
            Method::POST,
            "/api/customer-id/security/{customerId}/2fa/enable",
            ADMIN,
            true,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/security/{customerId}/2fa/verify",
            ADMIN,
            true,
        )
        .body(code.clone()),
        Route::new(
            Method::POST,
            "/api/customer-id/security/{customerId}/2fa/disable",
            ADMIN,
            true,
        )
        .body(code.clone()),
        Route::new(
            Method::POST,
            "/api/customer-id/security/{customerId}/2fa/recovery-codes",
            ADMIN,
            true,
        )
        .body(code.clone()),
        Route::new(
            Method::POST,
            "/api/customer-id/security/{customerId}/2fa/check",
            SERVICE_ONLY,
            false,
        )
        .body(code),
        Route::new(
            Method::POST,
            "/api/customer-id/security/domain-events",
            SERVICE_ONLY,
            false,
        )
        .body(json!({"id": "e-1", "type": "loyalty.points_earned",
            "occurredAt": "2026-01-01T00:00:00Z", "customerId": null, "data": {}, "requestId": null})),
        Route::new(
            Method::POST,
            "/api/customer-id/security/{customerId}/events",
            SERVICE_ONLY,
            false,
        )
        .body(json!({"type": "logout", "occurredAt": "2026-01-01T00:00:00Z"})),
        Route::new(
            Method::GET,
            "/api/customer-id/security/{customerId}/status",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/security/{customerId}/alerts",
            READERS,
            true,
        ),
        // An alert nobody has: allowed callers get past authorization to a 404.
        Route::new(
            Method::PATCH,
            "/api/customer-id/security/{customerId}/alerts/ALT-none",
            STAFF,
            true,
        )
        .body(json!({"status": "resolved"})),
        Route::new(
            Method::POST,
            "/api/customer-id/security/{customerId}/report",
            STAFF,
            true,
        )
        .body(json!({"activityType": "other", "description": "Odd email"})),
        Route::new(
            Method::GET,
            "/api/customer-id/security/{customerId}/recommendations",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/security/{customerId}/history",
            READERS,
            true,
        ),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
