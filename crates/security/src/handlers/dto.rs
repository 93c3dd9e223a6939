//! Request and response bodies of the security service.

use cid_common::{FieldError, FieldIssue};
use cid_kit::json::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `{code}`: six digits from the authenticator app, or (where allowed) a recovery code
/// `xxxx-xxxx-xxxx`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    #[schema(min_length = 6, max_length = 16, example = "123456")]
    pub code: String,
}

impl Validate for CodeRequest {
    fn validate(&self) -> Vec<FieldError> {
        if self.code.chars().count() > 32 {
            return vec![FieldError::new("code", FieldIssue::TooLong { max: 16 })];
        }
        Vec::new()
    }
}

/// A new enrollment: what an authenticator app needs, three ways.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentResponse {
    pub customer_id: String,
    /// False until a code confirms the enrollment (`2fa/verify`).
    pub two_factor_enabled: bool,
    /// Base32, no padding: for typing into the app.
    pub secret: String,
    /// `otpauth://totp/<issuer>:<customerId>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_uri: String,
    /// The URI as a QR code: `data:image/svg+xml;base64,…`.
    pub qr_code: String,
    pub issuer: String,
    pub algorithm: &'static str,
    pub digits: u32,
    pub period: i64,
}

/// 2FA on: the recovery codes, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodesResponse {
    pub customer_id: String,
    pub two_factor_enabled: bool,
    /// Ten one-time codes; keep them somewhere safe. They are not shown again.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorStateResponse {
    pub customer_id: String,
    pub two_factor_enabled: bool,
}

/// A code the login service checked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckResponse {
    pub customer_id: String,
    pub valid: bool,
    /// `totp` or `recovery` (a recovery code is used up by the check).
    pub method: &'static str,
    pub recovery_codes_left: i64,
}
