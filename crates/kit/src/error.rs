//! `ApiError`: what a handler returns when it cannot succeed. It renders as problem+json in
//! the request's language with its request ID (see [`crate::context`]).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use cid_common::{ErrorCode, FieldError, FieldIssue};
use serde::{Deserialize, Serialize};

use crate::db::DbError;

/// A client-visible error: a stable code, its detail arguments and invalid fields.
/// Serializable so an idempotent replay can render the same error again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    #[serde(default)]
    pub args: Vec<(String, String)>,
    #[serde(default)]
    pub fields: Vec<FieldError>,
    /// Seconds for a `Retry-After` header.
    #[serde(default)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            args: Vec::new(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    pub fn arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self {
            fields,
            ..Self::new(ErrorCode::ValidationFailed)
        }
    }

    pub fn field(name: &str, issue: FieldIssue) -> Self {
        Self::validation(vec![FieldError::new(name, issue)])
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::InternalError)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.as_str())
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// The body is rendered later by the request-context middleware, which knows the
    /// language and the request ID; the error travels in the response extensions.
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::new(self.status());
        res.extensions_mut().insert(self.clone());
        res
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(msg) => {
                tracing::error!(error = %msg, "database unavailable");
                ApiError::new(ErrorCode::DatabaseUnavailable).retry_after(1)
            }
            DbError::Query(q) => q.into(),
            DbError::Task(msg) => ApiError::internal(msg),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::new(ErrorCode::NotFound),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::new(ErrorCode::Conflict)
            }
            e if crate::db::is_unavailable(&e) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::new(ErrorCode::DatabaseUnavailable).retry_after(1)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(fields: Vec<FieldError>) -> Self {
        Self::validation(fields)
    }
}

impl From<FieldError> for ApiError {
    fn from(field: FieldError) -> Self {
        Self::validation(vec![field])
    }
}
