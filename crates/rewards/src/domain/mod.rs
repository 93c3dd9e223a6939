//! The special-date rules, pure and unit-tested: the catalog, which instances a customer
//! should have, and their states.

pub mod catalog;
pub mod occurrences;

use chrono::{Duration, NaiveDate, Utc};

/// The business day at a fixed offset from UTC: a birthday starts at local midnight.
pub fn today(utc_offset_minutes: i32) -> NaiveDate {
    (Utc::now() + Duration::minutes(i64::from(utc_offset_minutes))).date_naive()
}
