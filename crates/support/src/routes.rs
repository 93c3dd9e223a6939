//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers;

pub const BASE: &str = "/api/customer-id/support";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/categories", web::get().to(handlers::categories))
            .route("/queue", web::get().to(handlers::queue))
            .route("/ticket/{ticketId}", web::get().to(handlers::ticket))
            .route(
                "/ticket/{ticketId}/status",
                web::put().to(handlers::change_status),
            )
            .route(
                "/ticket/{ticketId}/comment",
                web::post().to(handlers::comment),
            )
            .route("/ticket/{ticketId}/rating", web::post().to(handlers::rate))
            .route("/ticket/{ticketId}/assign", web::put().to(handlers::assign))
            .route(
                "/{customerId}/ticket",
                web::post().to(handlers::open_ticket),
            )
            .route("/{customerId}/tickets", web::get().to(handlers::tickets)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — support", description = "Support tickets: SLA by priority, a status machine, comments and internal notes, ratings, the staff queue."),
    paths(handlers::categories, handlers::queue, handlers::ticket, handlers::change_status,
        handlers::comment, handlers::rate, handlers::assign, handlers::open_ticket, handlers::tickets),
    modifiers(&Bearer),
    tags((name = "support", description = "Support tickets"))
)]
pub struct ApiDoc;
