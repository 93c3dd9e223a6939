//! HTTP tests of the offers service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set. The registry, analytics, segmentation and loyalty run
//! in-process beside it, so segments, tiers and credited points are their real answers.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod apply;
mod authz;
mod catalog;
mod concurrency;
mod eligibility;
mod helpers;
mod migrations;
mod rollback;
