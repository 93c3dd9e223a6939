//! The registry's errors and their problem+json codes.

use cid_common::ErrorCode;
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum CustomersError {
    #[error("no customer {0}")]
    NotFound(String),
    #[error("user {user_id} already is {customer_id}")]
    Exists {
        user_id: String,
        customer_id: String,
    },
    #[error("customer {0} is deactivated")]
    Inactive(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<CustomersError> for ApiError {
    fn from(e: CustomersError) -> Self {
        match e {
            CustomersError::NotFound(id) => {
                ApiError::new(ErrorCode::CustomerNotFound).arg("id", id)
            }
            CustomersError::Exists {
                user_id,
                customer_id,
            } => ApiError::new(ErrorCode::CustomerExists)
                .arg("userId", user_id)
                .arg("customerId", customer_id),
            CustomersError::Inactive(id) => {
                ApiError::new(ErrorCode::CustomerInactive).arg("id", id)
            }
            CustomersError::Api(e) => e,
            CustomersError::Db(e) => e.into(),
            CustomersError::Query(e) => e.into(),
        }
    }
}
