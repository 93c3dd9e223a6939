//! HTTP tests of the loyalty service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set.

mod auth;
mod catalog;
mod concurrency;
mod helpers;
mod idempotency;
mod ledger;
mod migrations;
mod validation;
