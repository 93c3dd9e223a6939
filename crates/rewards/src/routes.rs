//! The URL table and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/rewards";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            // Literal before parameter routes: `/all` is never a customer ID.
            .route("/all", web::get().to(handlers::catalog))
            .route(
                "/{customerId}/special-dates",
                web::get().to(handlers::special_dates),
            )
            .route("/{customerId}/upcoming", web::get().to(handlers::upcoming))
            .route("/{customerId}/history", web::get().to(handlers::history))
            .route("/{rewardId}/details", web::get().to(handlers::details))
            .route("/{customerId}/claim", web::post().to(handlers::claim)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — rewards", description = "Special-date rewards: birthdays, anniversaries, holidays and milestones."),
    paths(
        handlers::catalog, handlers::special_dates, handlers::upcoming, handlers::history,
        handlers::details, handlers::claim
    ),
    modifiers(&Bearer),
    tags((name = "rewards", description = "Special-date rewards"))
)]
pub struct ApiDoc;
