//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers::two_factor;

pub const BASE: &str = "/api/customer-id/security";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route(
                "/{customerId}/2fa/enable",
                web::post().to(two_factor::enable),
            )
            .route(
                "/{customerId}/2fa/verify",
                web::post().to(two_factor::verify),
            )
            .route(
                "/{customerId}/2fa/disable",
                web::post().to(two_factor::disable),
            )
            .route(
                "/{customerId}/2fa/recovery-codes",
                web::post().to(two_factor::regenerate),
            )
            .route("/{customerId}/2fa/check", web::post().to(two_factor::check)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — security", description = "Two-factor authentication (TOTP, RFC 6238) with recovery codes."),
    paths(two_factor::enable, two_factor::verify, two_factor::disable, two_factor::regenerate,
        two_factor::check),
    modifiers(&Bearer),
    tags((name = "security", description = "Account security"))
)]
pub struct ApiDoc;
