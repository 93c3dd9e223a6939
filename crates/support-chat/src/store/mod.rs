//! Diesel queries of the support chat service. Functions return `QueryResult` and never see
//! HTTP.

pub mod chat;
pub mod faq;
