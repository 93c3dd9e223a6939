//! JWT verification and the `Caller` extractor (SPEC §2).

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use cid_common::{Claims, CustomerId, ErrorCode, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use crate::error::ApiError;
use crate::settings::AuthSettings;

/// Verifies bearer tokens with the configured key, issuer and audience.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    #[error("auth: unsupported algorithm `{0}` (HS256, RS256 or EdDSA)")]
    Algorithm(String),
    #[error("auth: {0}")]
    Key(String),
}

fn algorithm(name: &str) -> Result<Algorithm, AuthConfigError> {
    match name {
        "HS256" => Ok(Algorithm::HS256),
        "RS256" => Ok(Algorithm::RS256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        other => Err(AuthConfigError::Algorithm(other.to_owned())),
    }
}

impl Verifier {
    pub fn from_settings(s: &AuthSettings) -> Result<Self, AuthConfigError> {
        let alg = algorithm(&s.algorithm)?;
        let key = match alg {
            Algorithm::HS256 => DecodingKey::from_secret(s.jwt_secret.expose().as_bytes()),
            _ => {
                let pem = s.public_key_pem.as_deref().ok_or_else(|| {
                    AuthConfigError::Key(format!("{} needs auth.public_key_pem", s.algorithm))
                })?;
                let key = if alg == Algorithm::RS256 {
                    DecodingKey::from_rsa_pem(pem.as_bytes())
                } else {
                    DecodingKey::from_ed_pem(pem.as_bytes())
                };
                key.map_err(|e| AuthConfigError::Key(e.to_string()))?
            }
        };
        let mut validation = Validation::new(alg);
        validation.set_audience(&[&s.audience]);
        validation.set_issuer(&[&s.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = s.leeway_secs;
        Ok(Self { key, validation })
    }

    /// The claims of a valid token; anything else (bad signature, `alg: none`, wrong issuer
    /// or audience, expired) is `INVALID_TOKEN`.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                tracing::debug!(reason = %e, "token rejected");
                ApiError::new(ErrorCode::InvalidToken)
            })
    }

    /// Verifies the `Authorization` header value, if any. `Ok(None)` when absent.
    pub fn verify_header(&self, header: Option<&[u8]>) -> Result<Option<Claims>, ApiError> {
        let Some(raw) = header else { return Ok(None) };
        let text = std::str::from_utf8(raw).map_err(|_| ApiError::new(ErrorCode::InvalidToken))?;
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken))?;
        self.verify(token.trim()).map(Some)
    }
}

/// Mints tokens (the CLI's `cid token` and the tests). HS256 uses the secret; RS256/EdDSA
/// need `auth.private_key_pem`.
pub fn mint(
    s: &AuthSettings,
    sub: &str,
    roles: &[Role],
    ttl_secs: i64,
) -> Result<String, AuthConfigError> {
    let alg = algorithm(&s.algorithm)?;
    let key = match alg {
        Algorithm::HS256 => EncodingKey::from_secret(s.jwt_secret.expose().as_bytes()),
        _ => {
            let pem = s.private_key_pem.as_ref().ok_or_else(|| {
                AuthConfigError::Key(format!("{} tokens need auth.private_key_pem", s.algorithm))
            })?;
            let key = if alg == Algorithm::RS256 {
                EncodingKey::from_rsa_pem(pem.expose().as_bytes())
            } else {
                EncodingKey::from_ed_pem(pem.expose().as_bytes())
            };
            key.map_err(|e| AuthConfigError::Key(e.to_string()))?
        }
    };
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: sub.to_owned(),
        roles: roles.to_vec(),
        exp: now + ttl_secs,
        iat: now,
        iss: s.issuer.clone(),
        aud: s.audience.clone(),
    };
    jsonwebtoken::encode(&Header::new(alg), &claims, &key)
        .map_err(|e| AuthConfigError::Key(e.to_string()))
}

/// The authenticated caller of a request. Extracting it without a valid token is a 401.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub roles: Vec<Role>,
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_staff(&self) -> bool {
        self.has(Role::Admin) || self.has(Role::Agent)
    }

    /// Passes when the caller holds one of `roles`, else 403.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden))
        }
    }

    /// Passes for the customer themself or a caller holding one of `others`, else 403.
    pub fn require_owner_or(&self, id: &CustomerId, others: &[Role]) -> Result<(), ApiError> {
        let owner = self.has(Role::Customer) && self.subject == id.as_str();
        if owner {
            Ok(())
        } else {
            self.require_any(others)
        }
    }

    /// A stable string naming the caller for idempotency scoping and audit.
    pub fn actor(&self) -> String {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        format!("{}:{}", roles.join("+"), self.subject)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller_of(req))
    }
}

fn caller_of(req: &HttpRequest) -> Result<Caller, ApiError> {
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::internal("Verifier missing from app data"))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .map(|h| h.as_bytes());
    match verifier.verify_header(header)? {
        Some(claims) => Ok(Caller {
            subject: claims.sub,
            roles: claims.roles,
        }),
        None => Err(ApiError::new(ErrorCode::Unauthorized)),
    }
}
