//! Every protected route of the service, once, with who may call it.

use cid_common::Role;
use cid_kit::roles::{ADMIN, READERS, STAFF, WRITERS};
use cid_testkit::authz::{Route, assert_matrix};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const ANY: &[Role] = &[Role::Agent, Role::Admin, Role::Service];

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    let app = spawn_app_with_registry().await;
    let entry = json!({"category": "orders", "topic": "delivery",
        "question": {"en": "Q?", "ar": "س؟"}, "answer": {"en": "A.", "ar": "ج."}});
    let routes = [
        Route::new(
            Method::GET,
            "/api/customer-id/support-chat/audit",
            ADMIN,
            false,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/support-chat/faq",
            ADMIN,
            false,
        )
        .body(entry.clone()),
        Route::new(
            Method::PUT,
            "/api/customer-id/support-chat/faq/technical-5",
            ADMIN,
            false,
        )
        .body(entry),
        Route::new(
            Method::DELETE,
            "/api/customer-id/support-chat/faq/technical-4",
            ADMIN,
            false,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/support-chat/{customerId}/start",
            WRITERS,
            true,
        )
        .body(json!({"topic": "orders", "message": "hi"})),
        Route::new(
            Method::GET,
            "/api/customer-id/support-chat/{customerId}/sessions",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/support-chat/queue",
            STAFF,
            false,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/support-chat/queue/next",
            STAFF,
            false,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/support-chat/0190-none/join",
            STAFF,
            false,
        ),
        // A session nobody has: anyone with a token gets past authorization to a 404 (a
        // customer's own and someone else's look the same).
        Route::new(
            Method::POST,
            "/api/customer-id/support-chat/0190-none/message",
            ANY,
            true,
        )
        .body(json!({"message": "hi"})),
        Route::new(
            Method::GET,
            "/api/customer-id/support-chat/0190-none/history",
            ANY,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/support-chat/0190-none/ws",
            ANY,
            true,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/support-chat/0190-none/close",
            ANY,
            true,
        )
        .body(json!({})),
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
