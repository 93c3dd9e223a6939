//! The URL table (literal segments before parameters) and the OpenAPI document.

use actix_web::web;
use cid_kit::openapi::Bearer;
use utoipa::OpenApi;

use crate::handlers::faq;

pub const BASE: &str = "/api/customer-id/support-chat";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(BASE)
            .route("/categories", web::get().to(faq::categories))
            .route("/faq/search", web::get().to(faq::search))
            .route("/faq", web::get().to(faq::list))
            .route("/faq", web::post().to(faq::create))
            .route("/faq/{entryId}", web::put().to(faq::update))
            .route("/faq/{entryId}", web::delete().to(faq::delete)),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Customer ID — support chat", description = "The bilingual FAQ with Arabic-aware search and the support categories; live chat sessions come next."),
    paths(faq::categories, faq::search, faq::list, faq::create, faq::update, faq::delete),
    modifiers(&Bearer),
    tags((name = "support-chat", description = "Support chat and FAQ"))
)]
pub struct ApiDoc;
