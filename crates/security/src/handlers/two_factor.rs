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
/// Who checks codes at login: services.
const SERVICES: &[Role] = &[Role::Service];

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

/// Runs a use case that needs a code for the customer the path names: `recovery` says
/// whether a recovery code may stand for a TOTP code. A refused code is a 422, or a 429 with
/// `Retry-After` when it started the lock.
async fn with_code<T: Send + 'static>(
    req: CodeCall,
    roles: &'static [Role],
    recovery: bool,
    op: ops::CodeOp<T>,
) -> Result<(String, Given, T), ApiError> {
    let CodeCall {
        caller,
        customer,
        ctx,
        body,
        db,
        state,
    } = req;
    let id = customer_for(&state, &customer, &caller, roles, &ctx).await?;
    let given = code_of(&body, recovery)?;
    let (st, who, g, rid, now) = (
        state.clone(),
        id.clone(),
        given.clone(),
        ctx.request_id.clone(),
        Utc::now().naive_utc(),
    );
    let verdict = db
        .write(move |c| op(c, &who, &g, &codes(&st), &rid, now).map_err(ApiError::from))
        .await?;
    match verdict {
        Verdict::Accepted(out) => Ok((id, given, out)),
        Verdict::Refused { locked } => Err(refusal(locked)),
    }
}

/// What every code route extracts.
pub struct CodeCall {
    caller: Caller,
    customer: CustomerPath,
    ctx: RequestContext,
    body: JsonBody,
    db: web::Data<Db>,
    state: web::Data<SecurityState>,
}

impl actix_web::FromRequest for CodeCall {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    /// In the order every route answers in: the token (401/403) before the path (400), the
    /// body last.
    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let caller = Caller::extract(req).into_inner();
        let customer = CustomerPath::extract(req).into_inner();
        let ctx = RequestContext::extract(req).into_inner();
        let body = JsonBody::from_request(req, payload);
        let db = req.app_data::<web::Data<Db>>().cloned();
        let state = req.app_data::<web::Data<SecurityState>>().cloned();
        Box::pin(async move {
            let caller = caller?;
            let customer = customer?;
            Ok(Self {
                caller,
                customer,
                ctx: ctx?,
                body: body.await?,
                db: db.ok_or_else(|| ApiError::internal("Db missing from app data"))?,
                state: state.ok_or_else(|| ApiError::internal("state missing from app data"))?,
            })
        })
    }
}

/// Confirms the enrollment with a current code: 2FA on, and ten recovery codes shown once.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/verify", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RecoveryCodesResponse>)),
        (status = 409, description = "TWO_FACTOR_ENABLED, TWO_FACTOR_NOT_ENROLLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn verify(call: CodeCall) -> Result<HttpResponse, ApiError> {
    let (customer_id, _, recovery_codes) =
        with_code(call, OWNER_OR_ADMIN, false, ops::verify).await?;
    Ok(cid_kit::ok(RecoveryCodesResponse {
        customer_id,
        two_factor_enabled: true,
        recovery_codes,
    }))
}

/// Turns 2FA off with a current code or an unused recovery code.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/disable", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<TwoFactorStateResponse>)),
        (status = 409, description = "TWO_FACTOR_NOT_ENABLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn disable(call: CodeCall) -> Result<HttpResponse, ApiError> {
    let (customer_id, _, ()) = with_code(call, OWNER_OR_ADMIN, true, ops::disable).await?;
    Ok(cid_kit::ok(TwoFactorStateResponse {
        customer_id,
        two_factor_enabled: false,
    }))
}

/// Ten new recovery codes (the old ones stop working), with a current code or an unused
/// recovery code.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/recovery-codes", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<RecoveryCodesResponse>)),
        (status = 409, description = "TWO_FACTOR_NOT_ENABLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn regenerate(call: CodeCall) -> Result<HttpResponse, ApiError> {
    let (customer_id, _, recovery_codes) =
        with_code(call, OWNER_OR_ADMIN, true, ops::regenerate).await?;
    Ok(cid_kit::ok(RecoveryCodesResponse {
        customer_id,
        two_factor_enabled: true,
        recovery_codes,
    }))
}

/// The login service checks a customer's second factor (services only): a current code, or a
/// recovery code, which the check uses up.
#[utoipa::path(post, path = "/api/customer-id/security/{customerId}/2fa/check", tag = "security",
    params(("customerId" = String, Path)), request_body = CodeRequest, security(("bearer" = [])),
    responses((status = 200, body = inline(Envelope<CheckResponse>)),
        (status = 409, description = "TWO_FACTOR_NOT_ENABLED", body = cid_common::Problem),
        (status = 422, description = "INVALID_CODE", body = cid_common::Problem),
        (status = 429, description = "TWO_FACTOR_LOCKED (with Retry-After)", body = cid_common::Problem)))]
pub async fn check(call: CodeCall) -> Result<HttpResponse, ApiError> {
    call.caller.require_any(SERVICES)?;
    let (customer_id, given, left) = with_code(call, SERVICES, true, ops::check).await?;
    Ok(cid_kit::ok(CheckResponse {
        customer_id,
        valid: true,
        method: match given {
            Given::Totp(_) => "totp",
            Given::Recovery(_) => "recovery",
        },
        recovery_codes_left: left,
    }))
}
