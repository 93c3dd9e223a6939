//! Diesel queries of the analytics service. Functions return `QueryResult` and never see HTTP.

pub mod figures;
pub mod purchases;

pub use figures::Figures;
pub use purchases::{NewPurchase, Purchase};
