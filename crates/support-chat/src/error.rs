//! The support chat service's errors and their problem+json codes.

use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("FAQ entry {0} not found")]
    FaqNotFound(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::FaqNotFound(id) => ApiError::new(ErrorCode::FaqNotFound).arg("entryId", id),
            ChatError::Api(e) => e,
            ChatError::Db(e) => e.into(),
            ChatError::Query(e) => e.into(),
        }
    }
}
