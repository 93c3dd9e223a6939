//! HTTP tests of the referral service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set. Payouts reaching loyalty are tested in `tests/e2e`.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod authz;
mod helpers;
mod migrations;
mod referrals;
mod registry;
