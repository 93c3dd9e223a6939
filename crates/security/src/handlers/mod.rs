//! HTTP in and out: extract, authorize, call one use case, shape the response.

pub mod dto;
pub mod two_factor;
pub mod watch;
