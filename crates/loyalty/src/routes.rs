//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/loyalty";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/tiers/all", web::get().to(handlers::tiers))
            .route("/earn/methods", web::get().to(handlers::methods))
            .route("/tier/{tier}/benefits", web::get().to(handlers::benefits))
            .route("/{customerId}", web::get().to(handlers::account))
            .route("/{customerId}/history", web::get().to(handlers::history))
            .route(
                "/{customerId}/milestones",
                web::get().to(handlers::milestones),
            )
            .route("/{customerId}/points", web::post().to(handlers::earn))
            .route("/{customerId}/redeem", web::post().to(handlers::redeem))
            .route("/{customerId}/reversal", web::post().to(handlers::reversal)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — loyalty", description = "Points ledger, tiers, expiry and redemption."),
    paths(
        handlers::tiers, handlers::methods, handlers::benefits, handlers::account,
        handlers::history, handlers::milestones, handlers::earn, handlers::redeem, handlers::reversal
    ),
    modifiers(&Bearer),
    tags((name = "loyalty", description = "Loyalty points and tiers"))
)]
pub struct ApiDoc;
