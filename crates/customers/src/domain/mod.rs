//! The registry's rules, pure and unit-tested: ID formats and CSV quoting.

pub mod csv;
pub mod ids;
