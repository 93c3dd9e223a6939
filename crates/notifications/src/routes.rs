//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers::{self, feed, hooks, stream};

pub const BASE: &str = "/api/customer-id/notifications";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/events", web::post().to(hooks::receive_event))
            .route("/webhooks", web::post().to(hooks::create_webhook))
            .route("/webhooks", web::get().to(hooks::list_webhooks))
            .route(
                "/webhooks/{webhookId}/deliveries/{deliveryId}/resend",
                web::post().to(hooks::resend),
            )
            .route(
                "/webhooks/{webhookId}/deliveries",
                web::get().to(hooks::deliveries),
            )
            .route("/webhooks/{webhookId}", web::get().to(hooks::webhook))
            .route(
                "/webhooks/{webhookId}",
                web::patch().to(hooks::update_webhook),
            )
            .route(
                "/webhooks/{webhookId}",
                web::delete().to(hooks::delete_webhook),
            )
            .route(
                "/{customerId}/preferences",
                web::get().to(handlers::preferences),
            )
            .route(
                "/{customerId}/preferences",
                web::put().to(handlers::update_preferences),
            )
            .route("/{customerId}/send", web::post().to(feed::send))
            .route("/{customerId}/history", web::get().to(feed::history))
            .route(
                "/{customerId}/unread-count",
                web::get().to(feed::unread_count),
            )
            .route(
                "/{customerId}/read-all",
                web::patch().to(feed::mark_all_read),
            )
            .route("/{customerId}/stream", web::get().to(stream::stream))
            .route(
                "/{customerId}/{notificationId}/read",
                web::patch().to(feed::mark_read),
            )
            .route(
                "/{customerId}/{notificationId}",
                web::get().to(feed::notification),
            ),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — notifications", description = "Notification preferences (channels, categories, frequency, quiet hours, language), sending over email, SMS, push and the in-app feed, the feed's history, read state and live stream."),
    paths(handlers::preferences, handlers::update_preferences, feed::send, feed::history,
        feed::unread_count, feed::mark_all_read, stream::stream, feed::mark_read, feed::notification,
        hooks::receive_event, hooks::create_webhook, hooks::list_webhooks, hooks::resend,
        hooks::deliveries, hooks::webhook, hooks::update_webhook, hooks::delete_webhook),
    modifiers(&Bearer),
    tags((name = "notifications", description = "Notifications"))
)]
pub struct ApiDoc;
