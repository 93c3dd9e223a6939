//! The notifications service's errors and their problem+json codes.

use cid_common::{ErrorCode, FieldError, FieldIssue};
use cid_kit::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error("security notifications cannot be switched off")]
    SecurityAlwaysOn,
}

impl From<NotificationsError> for ApiError {
    fn from(e: NotificationsError) -> Self {
        match e {
            NotificationsError::SecurityAlwaysOn => {
                let mut err = ApiError::new(ErrorCode::SecurityAlwaysOn);
                err.fields.push(FieldError::new(
                    "categories.security",
                    FieldIssue::OneOf {
                        allowed: vec!["true".into()],
                    },
                ));
                err
            }
        }
    }
}
