//! The support service's errors and their problem+json codes.

use chrono::NaiveDateTime;
use cid_common::time::rfc3339;
use cid_common::{ErrorCode, FieldError, FieldIssue};
use cid_kit::{ApiError, DbError};

use crate::domain::Status;

#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    #[error("ticket {0} not found")]
    NotFound(String),
    #[error("ticket cannot move from {from} to {to}")]
    Transition {
        from: Status,
        to: Status,
        allowed: Vec<Status>,
    },
    #[error("reopen window over")]
    ReopenWindowOver {
        days: i64,
        resolved_at: NaiveDateTime,
    },
    #[error("ticket {0} is not resolved")]
    NotResolved(String),
    #[error("ticket {0} already rated")]
    AlreadyRated(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<SupportError> for ApiError {
    fn from(e: SupportError) -> Self {
        match e {
            SupportError::NotFound(id) => {
                ApiError::new(ErrorCode::TicketNotFound).arg("ticketId", id)
            }
            SupportError::Transition { from, to, allowed } => {
                let names: Vec<String> = allowed.iter().map(|s| s.as_str().to_owned()).collect();
                let shown = if names.is_empty() {
                    "—".to_owned()
                } else {
                    names.join(", ")
                };
                let mut err = ApiError::new(ErrorCode::InvalidStatusTransition)
                    .arg("from", from)
                    .arg("to", to)
                    .arg("allowed", shown);
                err.fields.push(FieldError::new(
                    "status",
                    FieldIssue::OneOf { allowed: names },
                ));
                err
            }
            SupportError::ReopenWindowOver { days, resolved_at } => {
                ApiError::new(ErrorCode::ReopenWindowOver)
                    .arg("days", days)
                    .arg("resolvedAt", rfc3339(resolved_at))
            }
            SupportError::NotResolved(id) => {
                ApiError::new(ErrorCode::TicketNotResolved).arg("ticketId", id)
            }
            SupportError::AlreadyRated(id) => {
                ApiError::new(ErrorCode::AlreadyRated).arg("ticketId", id)
            }
            SupportError::Api(e) => e,
            SupportError::Db(e) => e.into(),
            SupportError::Query(e) => e.into(),
        }
    }
}
