//! The support chat service's errors and their problem+json codes.

use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("FAQ entry {0} not found")]
    FaqNotFound(String),
    #[error("chat session {0} not found")]
    SessionNotFound(String),
    #[error("chat session {0} is closed")]
    Closed(String),
    #[error("chat session {0} is not waiting")]
    Taken(String),
    #[error("no chat session is waiting")]
    QueueEmpty,
    #[error("not a participant of the session")]
    NotParticipant,
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
            ChatError::SessionNotFound(id) => {
                ApiError::new(ErrorCode::ChatSessionNotFound).arg("sessionId", id)
            }
            ChatError::Closed(id) => {
                ApiError::new(ErrorCode::ChatSessionClosed).arg("sessionId", id)
            }
            ChatError::Taken(id) => ApiError::new(ErrorCode::ChatSessionTaken).arg("sessionId", id),
            ChatError::QueueEmpty => ApiError::new(ErrorCode::ChatQueueEmpty),
            ChatError::NotParticipant => ApiError::new(ErrorCode::Forbidden),
            ChatError::Api(e) => e,
            ChatError::Db(e) => e.into(),
            ChatError::Query(e) => e.into(),
        }
    }
}
