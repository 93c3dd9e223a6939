//! The segmentation service's errors and their problem+json codes.

use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum SegmentationError {
    #[error("no segment {0}")]
    SegmentNotFound(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<SegmentationError> for ApiError {
    fn from(e: SegmentationError) -> Self {
        match e {
            SegmentationError::SegmentNotFound(name) => {
                ApiError::new(ErrorCode::SegmentNotFound).arg("segment", name)
            }
            SegmentationError::Api(e) => e,
            SegmentationError::Db(e) => e.into(),
            SegmentationError::Query(e) => e.into(),
        }
    }
}
