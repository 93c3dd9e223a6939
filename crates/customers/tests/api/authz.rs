//! Every protected route of the registry, once, with who may call it.

use cid_kit::roles::{ADMIN, READERS, STAFF, WRITERS};
use cid_testkit::authz::{Route, assert_matrix};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    let app = spawn_app().await;
    let one = "/api/customer-id/customers/{customerId}";
    let routes = [
        // Every service serves its audit log to admins (from the kit).
        Route::new(
            Method::GET,
            "/api/customer-id/customers/audit",
            cid_kit::roles::ADMIN,
            false,
        ),
        Route::new(Method::POST, "/api/customer-id/customers", WRITERS, false)
            .body(json!({"userId": "matrix-user", "userType": "buyer"})),
        Route::new(Method::GET, one, READERS, true),
        Route::new(Method::PUT, one, WRITERS, true).body(json!({"name": "Matrix"})),
        Route::new(
            Method::GET,
            "/api/customer-id/customers/stats/overview",
            STAFF,
            false,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/customers/export.csv",
            ADMIN,
            false,
        ),
        // Last: it deactivates the customer the others name.
        Route::new(Method::DELETE, one, WRITERS, false),
    ];
    assert_matrix(&app, &app, &routes).await;
}
