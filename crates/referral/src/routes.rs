//! The URL table and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/referral";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route(
                "/{customerId}/generate-link",
                web::post().to(handlers::generate_link),
            )
            .route("/{customerId}/track", web::post().to(handlers::track))
            .route("/{customerId}/history", web::get().to(handlers::history))
            .route("/{customerId}/rewards", web::get().to(handlers::rewards))
            .route("/{customerId}/stats", web::get().to(handlers::stats)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — referral", description = "Referral codes, tracking and payouts."),
    paths(handlers::generate_link, handlers::track, handlers::history, handlers::rewards, handlers::stats),
    modifiers(&Bearer),
    tags((name = "referral", description = "Referral programme"))
)]
pub struct ApiDoc;
