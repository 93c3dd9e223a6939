//! HTTP tests of the segmentation service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set. The registry and analytics run in-process beside it, so the
//! figures are analytics' real answers.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod assignments;
mod authz;
mod catalog;
mod helpers;
mod migrations;
