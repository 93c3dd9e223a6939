//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/notifications";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route(
                "/{customerId}/preferences",
                web::get().to(handlers::preferences),
            )
            .route(
                "/{customerId}/preferences",
                web::put().to(handlers::update_preferences),
            ),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — notifications", description = "Notification preferences: channels, categories, frequency, quiet hours and language."),
    paths(handlers::preferences, handlers::update_preferences),
    modifiers(&Bearer),
    tags((name = "notifications", description = "Notifications"))
)]
pub struct ApiDoc;
