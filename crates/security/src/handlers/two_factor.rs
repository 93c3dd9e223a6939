//! Two-factor authentication: enroll, confirm, turn off, new recovery codes, and the login
//! service's check. Codes never reach a log, an error or the audit log.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use cid_common::{Envelope, ErrorCode, FieldIssue, Role};
use cid_kit::{ApiError, Caller, CustomerPath, Db, JsonBody, RequestContext};

use super::dto::{
    CheckResponse, CodeRequest, EnrollmentResponse, RecoveryCodesResponse, TwoFactorStateResponse,
};
use crate::SecurityState;
use crate::domain::{Given, qr, totp};
use crate::ops::{self, Codes, Verdict};

/// Who may change a customer's 2FA besides the customer: admins.
const OWNER_OR_ADMIN: &[Role] = &[Role::Admin];

/// The customer to act for: the caller may (owner or `roles`), and the registry knows them
/// as active.
async fn customer_for(
    state: &SecurityState,
    customer: &CustomerPath,
    caller: &Caller,
    roles: &[Role],
    ctx: &RequestContext,
) -> Result<String, ApiError> {
    Ok(state
        .registry
        .writable(customer.as_str(), caller, roles, ctx)
        .await?
        .customer_id)
}

fn code_of(body: &JsonBody, recovery: bool) -> Result<Given, ApiError> {
    let request = body.parse::<CodeRequest>()?;
    Given::read(&request.code, recovery)
        .ok_or_else(|| ApiError::field("code", FieldIssue::InvalidFormat))
}

/// A refused code: 422, or 429 with `Retry-After` when it started the lock.
fn refusal(locked: Option<chrono::NaiveDateTime>) -> ApiError {
    match locked {
        None => ApiError::new(ErrorCode::InvalidCode),
        Some(until) => crate::error::SecurityError::Locked {
            until,
            now: Utc::now().naive_utc(),
        }
        .into(),
    }
}

fn codes(state: &SecurityState) -> Codes<'_> {
    Codes {
        keyring: &state.keyring,
        lockout: &state.config.lockout,
    }
}

/// Starts a TOTP enrollment (no body needed): the secret, the `otpauth://` URI and its QR
/// code; 2FA stays off until `2fa/verify`. Again before that: a new secret replaces it.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/enable", tag = "security",
    params(("customerId" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<EnrollmentResponse>)),
        (status = 409, description = "TWO_FACTOR_ENABLED", body = cid_common::Problem)))]
pub async fn enable(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_for(&state, &customer, &caller, OWNER_OR_ADMIN, &ctx).await?;
    let now = Utc::now().naive_utc();
    let (st, who) = (state.clone(), id.clone());
    let enrollment = db
        .write(move |c| ops::enable(c, &who, &st.keyring, now).map_err(ApiError::from))
        .await?;
    let secret = totp::base32(&enrollment.secret);
    let issuer = state.config.totp_issuer.clone();
    let uri = totp::uri(&issuer, &id, &secret);
    let qr_code = qr::svg_data_uri(&uri)
        .ok_or_else(|| ApiError::internal("the enrollment URI does not fit a QR code"))?;
    Ok(cid_kit::ok(EnrollmentResponse {
        customer_id: id,
        two_factor_enabled: false,
        secret,
        otpauth_uri: uri,
        qr_code,
        issuer,
        algorithm: "SHA1",
        digits: totp::DIGITS,
        period: totp::STEP,
    }))
}

/// Confirms the enrollment with a current code: 2FA on, and ten recovery codes shown once.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/verify", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RecoveryCodesResponse>)),
        (status = 409, description = "TWO_FACTOR_ENABLED, TWO_FACTOR_NOT_ENROLLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn verify(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_for(&state, &customer, &caller, OWNER_OR_ADMIN, &ctx).await?;
    let Given::Totp(code) = code_of(&body, false)? else {
        return Err(ApiError::field("code", FieldIssue::InvalidFormat));
    };
    let (st, who, rid, now) = (
        state.clone(),
        id.clone(),
        ctx.request_id.clone(),
        Utc::now().naive_utc(),
    );
    let verdict = db
        .write(move |c| ops::verify(c, &who, &code, &codes(&st), &rid, now).map_err(ApiError::from))
        .await?;
    match verdict {
        Verdict::Accepted(recovery_codes) => Ok(cid_kit::ok(RecoveryCodesResponse {
            customer_id: id,
            two_factor_enabled: true,
            recovery_codes,
        })),
        Verdict::Refused { locked } => Err(refusal(locked)),
    }
}

/// Turns 2FA off with a current code or an unused recovery code.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/disable", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<TwoFactorStateResponse>)),
        (status = 409, description = "TWO_FACTOR_NOT_ENABLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn disable(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_for(&state, &customer, &caller, OWNER_OR_ADMIN, &ctx).await?;
    let given = code_of(&body, true)?;
    let (st, who, rid, now) = (
        state.clone(),
        id.clone(),
        ctx.request_id.clone(),
        Utc::now().naive_utc(),
    );
    let verdict = db
        .write(move |c| {
            ops::disable(c, &who, &given, &codes(&st), &rid, now).map_err(ApiError::from)
        })
        .await?;
    match verdict {
        Verdict::Accepted(()) => Ok(cid_kit::ok(TwoFactorStateResponse {
            customer_id: id,
            two_factor_enabled: false,
        })),
        Verdict::Refused { locked } => Err(refusal(locked)),
    }
}

/// Ten new recovery codes (the old ones stop working), with a current code or an unused
/// recovery code.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/recovery-codes", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RecoveryCodesResponse>)),
        (status = 409, description = "TWO_FACTOR_NOT_ENABLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn regenerate(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_for(&state, &customer, &caller, OWNER_OR_ADMIN, &ctx).await?;
    let given = code_of(&body, true)?;
    let (st, who, rid, now) = (
        state.clone(),
        id.clone(),
        ctx.request_id.clone(),
        Utc::now().naive_utc(),
    );
    let verdict = db
        .write(move |c| {
            ops::regenerate(c, &who, &given, &codes(&st), &rid, now).map_err(ApiError::from)
        })
        .await?;
    match verdict {
        Verdict::Accepted(recovery_codes) => Ok(cid_kit::ok(RecoveryCodesResponse {
            customer_id: id,
            two_factor_enabled: true,
            recovery_codes,
        })),
        Verdict::Refused { locked } => Err(refusal(locked)),
    }
}

/// The login service checks a customer's second factor (services only): a current code, or a
/// recovery code, which the check uses up.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/check", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<CheckResponse>)),
        (status = 409, description = "TWO_FACTOR_NOT_ENABLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn check(
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
) -> Result<HttpResponse, ApiError> {
    caller.require_any(&[Role::Service])?;
    let id = customer_for(&state, &customer, &caller, &[Role::Service], &ctx).await?;
    let given = code_of(&body, true)?;
    let method = match given {
        Given::Totp(_) => "totp",
        Given::Recovery(_) => "recovery",
    };
    let (st, who, rid, now) = (
        state.clone(),
        id.clone(),
        ctx.request_id.clone(),
        Utc::now().naive_utc(),
    );
    let verdict = db
        .write(move |c| ops::check(c, &who, &given, &codes(&st), &rid, now).map_err(ApiError::from))
        .await?;
    match verdict {
        Verdict::Accepted(left) => Ok(cid_kit::ok(CheckResponse {
            customer_id: id,
            valid: true,
            method,
            recovery_codes_left: left,
        })),
        Verdict::Refused { locked } => Err(refusal(locked)),
    }
}
