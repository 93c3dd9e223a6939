//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/analytics";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/{customerId}", web::get().to(handlers::summary))
            .route(
                "/{customerId}/purchase-history",
                web::get().to(handlers::purchase_history),
            )
            .route(
                "/{customerId}/spending-trends",
                web::get().to(handlers::spending_trends),
            )
            .route(
                "/{customerId}/category-breakdown",
                web::get().to(handlers::category_breakdown),
            )
            .route("/{customerId}/activity", web::get().to(handlers::activity))
            .route(
                "/{customerId}/milestones",
                web::get().to(handlers::milestones),
            )
            .route(
                "/{customerId}/engagement",
                web::get().to(handlers::engagement),
            )
            .route(
                "/{customerId}/purchases",
                web::post().to(handlers::record_purchase),
            )
            .route(
                "/{customerId}/events",
                web::post().to(handlers::record_event),
            ),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — analytics", description = "Purchases and engagement events in; per-customer figures out."),
    paths(handlers::summary, handlers::purchase_history, handlers::spending_trends,
        handlers::category_breakdown, handlers::engagement, handlers::activity, handlers::milestones,
        handlers::record_purchase,
        handlers::record_event),
    modifiers(&Bearer),
    tags((name = "analytics", description = "Customer analytics"))
)]
pub struct ApiDoc;
