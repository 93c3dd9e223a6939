//! Every protected route of the service, once, with who may call it.

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
    ];
    assert_matrix(&app, app.peer("customers"), &routes).await;
}
