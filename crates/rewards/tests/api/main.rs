//! HTTP tests of the rewards service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set. The registry and loyalty run in-process beside it, so the
//! dates, milestones and credits are the real services' answers.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod authz;
mod catalog;
mod claims;
mod helpers;
mod migrations;
mod registry;
mod special_dates;
