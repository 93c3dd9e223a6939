//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers::{two_factor, watch};

pub const BASE: &str = "/api/customer-id/security";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/domain-events", web::post().to(watch::take_in))
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
            .route("/{customerId}/2fa/check", web::post().to(two_factor::check))
            .route("/{customerId}/events", web::post().to(watch::record_event))
            .route("/{customerId}/status", web::get().to(watch::status))
            .route("/{customerId}/alerts", web::get().to(watch::alerts))
            .route(
                "/{customerId}/alerts/{alertId}",
                web::patch().to(watch::resolve_alert),
            )
            .route("/{customerId}/report", web::post().to(watch::report))
            .route(
                "/{customerId}/recommendations",
                web::get().to(watch::recommendations_for),
            )
            .route("/{customerId}/history", web::get().to(watch::history)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — security", description = "Two-factor authentication (TOTP, RFC 6238) with recovery codes; security events through fraud rules, alerts, reports, the risk score and recommendations."),
    paths(two_factor::enable, two_factor::verify, two_factor::disable, two_factor::regenerate,
        two_factor::check, watch::record_event, watch::status, watch::alerts,
        watch::resolve_alert, watch::report, watch::recommendations_for, watch::history,
        watch::take_in),
    modifiers(&Bearer),
    tags((name = "security", description = "Account security"))
)]
pub struct ApiDoc;
