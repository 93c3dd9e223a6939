//! The loyalty rules, pure and unit-tested: tiers, earning rates, spending from lots,
//! milestones.

pub mod earn;
pub mod entry;
pub mod lots;
pub mod milestones;
pub mod tier;
