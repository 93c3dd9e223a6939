//! Every protected route of the service, once, with who may call it.

use cid_common::Role;
use cid_kit::roles::{ADMIN, READERS, WRITERS};
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
            "/api/customer-id/notifications/audit",
            ADMIN,
            false,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/notifications/{customerId}/preferences",
            READERS,
            true,
        ),
        Route::new(
            Method::PUT,
            "/api/customer-id/notifications/{customerId}/preferences",
            WRITERS,
            true,
        )
        .body(json!({"frequency": "daily"})),
        Route::new(
            Method::POST,
            "/api/customer-id/notifications/{customerId}/send",
            WRITERS,
            false,
        )
        .body(json!({"type": "order", "title": "t", "message": "m"})),
        Route::new(
            Method::GET,
            "/api/customer-id/notifications/{customerId}/history",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/notifications/{customerId}/unread-count",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/notifications/{customerId}/stream",
            READERS,
            true,
        ),
        Route::new(
            Method::PATCH,
            "/api/customer-id/notifications/{customerId}/read-all",
            WRITERS,
            true,
        ),
        Route::new(
            Method::PATCH,
            "/api/customer-id/notifications/{customerId}/0190-none/read",
            WRITERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/notifications/{customerId}/0190-none",
            READERS,
            true,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/notifications/events",
            &[Role::Service],
            false,
        )
        .body(json!({"id": "e-authz", "type": "customers.created", "occurredAt": "2026-11-30T10:00:00Z",
            "customerId": null, "data": {}, "requestId": null})),
        Route::new(Method::POST, "/api/customer-id/notifications/webhooks", ADMIN, false)
            .body(json!({"url": "https://hooks.example.com/x", "eventTypes": ["*"]})),
        Route::new(Method::GET, "/api/customer-id/notifications/webhooks", ADMIN, false),
        Route::new(Method::GET, "/api/customer-id/notifications/webhooks/wh_none", ADMIN, false),
        Route::new(Method::PATCH, "/api/customer-id/notifications/webhooks/wh_none", ADMIN, false)
            .body(json!({"active": false})),
        Route::new(Method::DELETE, "/api/customer-id/notifications/webhooks/wh_none", ADMIN, false),
        Route::new(
            Method::GET,
            "/api/customer-id/notifications/webhooks/wh_none/deliveries",
            ADMIN,
            false,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/notifications/webhooks/wh_none/deliveries/1/resend",
            ADMIN,
            false,
        ),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
