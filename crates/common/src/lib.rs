//! Shared types of the Customer ID System: what every service and the gateway agree on.
//!
//! No database, no HTTP server: only the shapes on the wire (success envelope, problem+json
//! body, error-code catalog with Arabic and English texts), the request language, identifiers,
//! pagination and the JWT claims.

pub mod auth;
pub mod contracts;
pub mod envelope;
pub mod error;
pub mod ids;
pub mod locale;
pub mod page;
pub mod text;
pub mod time;

pub use auth::{Claims, Role};
pub use envelope::{Envelope, PageInfo};
pub use error::{ErrorCode, FieldError, FieldIssue, Problem};
pub use ids::CustomerId;
pub use locale::{Locale, Localized};
pub use page::{Cursor, PageRequest};
