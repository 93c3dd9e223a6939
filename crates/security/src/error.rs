//! The security service's errors and their problem+json codes.

use chrono::NaiveDateTime;
use cid_common::ErrorCode;
use cid_common::time::rfc3339;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("two-factor authentication is on")]
    AlreadyEnabled,
    #[error("two-factor authentication is off")]
    NotEnabled,
    #[error("no enrollment to confirm")]
    NotEnrolled,
    #[error("two-factor checks locked")]
    Locked {
        until: NaiveDateTime,
        now: NaiveDateTime,
    },
    #[error("alert {0} not found")]
    AlertNotFound(String),
    #[error("alert {0} resolved already")]
    AlertResolved(String),
    #[error("a sealed secret does not open: {0}")]
    Sealing(#[from] crate::domain::sealing::SealError),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<SecurityError> for ApiError {
    fn from(e: SecurityError) -> Self {
        match e {
            SecurityError::AlreadyEnabled => ApiError::new(ErrorCode::TwoFactorEnabled),
            SecurityError::NotEnabled => ApiError::new(ErrorCode::TwoFactorNotEnabled),
            SecurityError::NotEnrolled => ApiError::new(ErrorCode::TwoFactorNotEnrolled),
            SecurityError::Locked { until, now } => {
                let secs = (until - now).num_seconds().max(1);
                ApiError::new(ErrorCode::TwoFactorLocked)
                    .arg("until", rfc3339(until))
                    .retry_after(u64::try_from(secs).unwrap_or(1))
            }
            SecurityError::AlertNotFound(id) => {
                ApiError::new(ErrorCode::AlertNotFound).arg("alertId", id)
            }
            SecurityError::AlertResolved(id) => {
                ApiError::new(ErrorCode::AlertResolved).arg("alertId", id)
            }
            // A key removed from the settings while secrets still use it: the operator's
            // mistake, said in the log, never the secret.
            SecurityError::Sealing(e) => ApiError::internal(e),
            SecurityError::Api(e) => e,
            SecurityError::Db(e) => e.into(),
            SecurityError::Query(e) => e.into(),
        }
    }
}
