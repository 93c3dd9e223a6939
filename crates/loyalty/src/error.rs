//! The loyalty service's errors and their problem+json codes.

use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum LoyaltyError {
    #[error("balance {balance} does not cover {requested}")]
    InsufficientPoints { balance: i64, requested: i64 },
    #[error("unknown tier {0}")]
    TierNotFound(String),
    #[error("no earning entry matches")]
    EntryNotFound,
    #[error("order {0} already earned points")]
    OrderAlreadyCredited(String),
    #[error("already reversed")]
    AlreadyReversed,
    #[error("unsupported currency")]
    UnsupportedCurrency,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<LoyaltyError> for ApiError {
    fn from(e: LoyaltyError) -> Self {
        match e {
            LoyaltyError::InsufficientPoints { balance, requested } => {
                ApiError::new(ErrorCode::InsufficientPoints)
                    .arg("balance", balance)
                    .arg("requested", requested)
            }
            LoyaltyError::TierNotFound(tier) => {
                ApiError::new(ErrorCode::TierNotFound).arg("tier", tier)
            }
            LoyaltyError::EntryNotFound => ApiError::new(ErrorCode::EntryNotFound),
            LoyaltyError::OrderAlreadyCredited(order) => {
                ApiError::new(ErrorCode::OrderAlreadyCredited).arg("orderId", order)
            }
            LoyaltyError::AlreadyReversed => ApiError::new(ErrorCode::AlreadyReversed),
            LoyaltyError::UnsupportedCurrency => ApiError::new(ErrorCode::UnsupportedCurrency)
                .arg("supported", crate::domain::earn::EARN_CURRENCY),
            LoyaltyError::Api(e) => e,
            LoyaltyError::Db(e) => e.into(),
            LoyaltyError::Query(e) => e.into(),
        }
    }
}
