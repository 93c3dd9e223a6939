//! HTTP tests of the customer registry, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod authz;
mod events;
mod hardening;
mod helpers;
mod migrations;
mod recovery;
mod registry;
