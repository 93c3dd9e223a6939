//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/customers";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("", web::post().to(handlers::create))
            .route("/stats/overview", web::get().to(handlers::stats))
            .route("/export.csv", web::get().to(handlers::export))
            .route("/{id}", web::get().to(handlers::get))
            .route("/{id}", web::put().to(handlers::update))
            .route("/{id}", web::delete().to(handlers::deactivate)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — customers", description = "The customer ID registry."),
    paths(
        handlers::create, handlers::get, handlers::update, handlers::deactivate,
        handlers::stats, handlers::export
    ),
    modifiers(&Bearer),
    tags((name = "customers", description = "Customer IDs and profiles"))
)]
pub struct ApiDoc;
