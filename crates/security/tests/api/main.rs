//! HTTP tests of the security service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set. The customer registry runs in-process beside it.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod authz;
mod clock;
mod faults;
mod helpers;
mod migrations;
mod settings;
mod two_factor;
mod watch;
