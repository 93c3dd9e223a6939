//! The analytics service's errors and their problem+json codes.

use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// A refund of an order never recorded for the customer.
    #[error("order {0} not recorded")]
    PurchaseNotFound(String),
    /// The order is recorded with another amount, category or time.
    #[error("order {0} recorded with other details")]
    PurchaseConflict(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<AnalyticsError> for ApiError {
    fn from(e: AnalyticsError) -> Self {
        match e {
            AnalyticsError::PurchaseNotFound(order) => {
                ApiError::new(ErrorCode::PurchaseNotFound).arg("orderId", order)
            }
            AnalyticsError::PurchaseConflict(order) => {
                ApiError::new(ErrorCode::PurchaseConflict).arg("orderId", order)
            }
            AnalyticsError::Api(e) => e,
            AnalyticsError::Db(e) => e.into(),
            AnalyticsError::Query(e) => e.into(),
        }
    }
}
