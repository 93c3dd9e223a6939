//! HTTP tests of the support chat service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod authz;
mod chat;
mod faq;
mod helpers;
mod live;
mod migrations;
mod shared;
