//! HTTP tests of the loyalty service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod audit;
mod auth;
mod authz;
mod catalog;
mod concurrency;
mod events;
mod helpers;
mod idempotency;
mod ledger;
mod migrations;
mod milestones;
mod pipelined;
mod registry;
mod validation;
