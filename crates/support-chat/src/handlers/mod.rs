//! HTTP in and out: extract, authorize, call one use case or read, shape the response.

pub mod chat;
pub mod dto;
pub mod faq;
pub mod live;
