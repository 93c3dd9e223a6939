//! Diesel queries of the loyalty service. Functions return `QueryResult` and never see HTTP.

pub mod accounts;
pub mod entries;

pub use accounts::Account;
pub use entries::{Entry, NewEntry};
