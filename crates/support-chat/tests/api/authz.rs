//! Every protected route of the service, once, with who may call it.

use cid_kit::roles::ADMIN;
use cid_testkit::authz::{Route, assert_matrix};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let registry =
        cid_testkit::TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
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
    ];
    assert_matrix(&app, &registry, &routes).await;
}
