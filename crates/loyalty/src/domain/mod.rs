//! The loyalty rules, pure and unit-tested: tiers, earning rates, spending from lots.

pub mod earn;
pub mod lots;
pub mod tier;
