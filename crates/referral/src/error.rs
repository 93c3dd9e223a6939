//! The referral service's errors and their problem+json codes.

use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    #[error("unknown code {0}")]
    CodeNotFound(String),
    #[error("self-referral")]
    SelfReferral,
    #[error("{0} already referred")]
    AlreadyReferred(String),
    #[error("referral of {0} already completed")]
    Completed(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<ReferralError> for ApiError {
    fn from(e: ReferralError) -> Self {
        match e {
            ReferralError::CodeNotFound(code) => {
                ApiError::new(ErrorCode::ReferralCodeNotFound).arg("code", code)
            }
            ReferralError::SelfReferral => ApiError::new(ErrorCode::SelfReferral),
            ReferralError::AlreadyReferred(id) => {
                ApiError::new(ErrorCode::AlreadyReferred).arg("customerId", id)
            }
            ReferralError::Completed(id) => {
                ApiError::new(ErrorCode::ReferralCompleted).arg("customerId", id)
            }
            ReferralError::Api(e) => e,
            ReferralError::Db(e) => e.into(),
            ReferralError::Query(e) => e.into(),
        }
    }
}
