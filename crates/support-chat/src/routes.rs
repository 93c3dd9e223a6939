//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers::{chat, faq, live};

pub const BASE: &str = "/api/customer-id/support-chat";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/categories", web::get().to(faq::categories))
            .route("/faq/search", web::get().to(faq::search))
            .route("/faq", web::get().to(faq::list))
            .route("/faq", web::post().to(faq::create))
            .route("/faq/{entryId}", web::put().to(faq::update))
            .route("/faq/{entryId}", web::delete().to(faq::delete))
            .route("/queue", web::get().to(chat::queue))
            .route("/queue/next", web::post().to(chat::take_next))
            .route("/{customerId}/start", web::post().to(chat::start))
            .route("/{customerId}/sessions", web::get().to(chat::sessions))
            .route("/{sessionId}/join", web::post().to(chat::join))
            .route("/{sessionId}/message", web::post().to(chat::message))
            .route("/{sessionId}/history", web::get().to(chat::history))
            .route("/{sessionId}/close", web::post().to(chat::close))
            .route("/{sessionId}/ws", web::get().to(live::live)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — support chat", description = "Live chat sessions (start, queue, join, messages, close) and the bilingual FAQ with Arabic-aware search."),
    paths(faq::categories, faq::search, faq::list, faq::create, faq::update, faq::delete,
        chat::queue, chat::take_next, chat::start, chat::sessions, chat::join, chat::message,
        chat::history, chat::close, live::live),
    modifiers(&Bearer),
    tags((name = "support-chat", description = "Support chat and FAQ"))
)]
pub struct ApiDoc;
