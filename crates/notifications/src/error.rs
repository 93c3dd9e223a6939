//! The notifications service's errors and their problem+json codes.

use cid_common::{ErrorCode, FieldError, FieldIssue};
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error("security notifications cannot be switched off")]
    SecurityAlwaysOn,
    #[error("notification {0} not found")]
    NotFound(String),
    #[error("webhook {0} not found")]
    WebhookNotFound(String),
    #[error("webhook {0} has no delivery {1}")]
    DeliveryNotFound(String, i64),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
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
            NotificationsError::NotFound(id) => {
                ApiError::new(ErrorCode::NotificationNotFound).arg("notificationId", id)
            }
            NotificationsError::WebhookNotFound(id) => {
                ApiError::new(ErrorCode::WebhookNotFound).arg("webhookId", id)
            }
            NotificationsError::DeliveryNotFound(id, delivery) => {
                ApiError::new(ErrorCode::WebhookDeliveryNotFound)
                    .arg("webhookId", id)
                    .arg("deliveryId", delivery)
            }
            NotificationsError::Api(e) => e,
            NotificationsError::Db(e) => e.into(),
            NotificationsError::Query(e) => e.into(),
        }
    }
}
