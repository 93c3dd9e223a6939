//! The rewards service's errors and their problem+json codes.

use chrono::NaiveDate;
use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum RewardsError {
    /// Unknown, or another customer's (the two are not told apart).
    #[error("reward {0} not found")]
    NotFound(String),
    #[error("customer {0} not in the registry")]
    CustomerNotFound(String),
    #[error("reward {0} already claimed")]
    AlreadyClaimed(String),
    #[error("reward {0} opens on {1}")]
    NotYet(String, NaiveDate),
    #[error("reward {0} closed on {1}")]
    Expired(String, NaiveDate),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl From<RewardsError> for ApiError {
    fn from(e: RewardsError) -> Self {
        match e {
            RewardsError::NotFound(id) => {
                ApiError::new(ErrorCode::RewardNotFound).arg("rewardId", id)
            }
            RewardsError::CustomerNotFound(id) => {
                ApiError::new(ErrorCode::CustomerNotFound).arg("id", id)
            }
            RewardsError::AlreadyClaimed(id) => {
                ApiError::new(ErrorCode::RewardAlreadyClaimed).arg("rewardId", id)
            }
            RewardsError::NotYet(id, from) => ApiError::new(ErrorCode::RewardNotYetAvailable)
                .arg("rewardId", id)
                .arg("validFrom", day(from)),
            RewardsError::Expired(id, until) => ApiError::new(ErrorCode::RewardExpired)
                .arg("rewardId", id)
                .arg("validUntil", day(until)),
            RewardsError::Api(e) => e,
            RewardsError::Db(e) => e.into(),
            RewardsError::Query(e) => e.into(),
        }
    }
}
