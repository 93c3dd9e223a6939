//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/segmentation";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/all/segments", web::get().to(handlers::all_segments))
            .route("/domain-events", web::post().to(handlers::take_in))
            .route("/{segment}/benefits", web::get().to(handlers::benefits))
            .route("/{segment}/stats", web::get().to(handlers::stats))
            .route("/{customerId}", web::get().to(handlers::assignment))
            .route("/{customerId}/update", web::put().to(handlers::update)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — segmentation", description = "Customer segments from analytics' figures, with history and manual overrides."),
    paths(handlers::all_segments, handlers::benefits, handlers::stats, handlers::assignment, handlers::update, handlers::take_in),
    modifiers(&Bearer),
    tags((name = "segmentation", description = "Customer segments"))
)]
pub struct ApiDoc;
