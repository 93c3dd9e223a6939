//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers::{self, catalog};

pub const BASE: &str = "/api/customer-id/offers";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("", web::post().to(catalog::create))
            .route("/catalog", web::get().to(catalog::list))
            .route("/{offerId}/details", web::get().to(catalog::details))
            .route("/{offerId}", web::put().to(catalog::update))
            .route("/{customerId}", web::get().to(handlers::eligible))
            .route("/{customerId}/history", web::get().to(handlers::history))
            .route("/{customerId}/apply", web::post().to(handlers::apply))
            .route("/{customerId}/rollback", web::post().to(handlers::rollback)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — offers", description = "Targeted offers: an admin catalog, eligibility by segment and tier, exact budgets, redemptions with rollback."),
    paths(catalog::create, catalog::list, catalog::details, catalog::update,
        handlers::eligible, handlers::history, handlers::apply, handlers::rollback),
    modifiers(&Bearer),
    tags((name = "offers", description = "Personalized offers"))
)]
pub struct ApiDoc;
