//! The support chat and FAQ rules, pure and unit-tested.

pub mod chat;
pub mod faq;
pub mod search;

pub use cid_common::contracts::support::Category;
