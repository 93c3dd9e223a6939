//! JWT verification and the `Caller` extractor (SPEC §2).

use std::cell::RefCell;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use cid_common::{Claims, CustomerId, ErrorCode, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use crate::error::ApiError;
use crate::settings::AuthSettings;

/// Verifies bearer tokens with the configured key, issuer and audience.
#[derive(Clone)]
pub struct Verifier {
    /// Which verifier a cached token passed (a process may hold several, with other keys).
    id: u64,
    key: DecodingKey,
    validation: Validation,
    leeway: i64,
    /// Longest `exp - iat` accepted, when set (production).
    max_lifetime: Option<i64>,
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
        validation.validate_nbf = true;
        validation.leeway = s.leeway_secs;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Ok(Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            key,
            validation,
            leeway: i64::try_from(s.leeway_secs).unwrap_or(i64::MAX),
            max_lifetime: s
                .max_token_lifetime_secs
                .map(|m| i64::try_from(m).unwrap_or(i64::MAX)),
        })
    }

    /// The claims of a valid token; anything else (bad signature, `alg: none`, wrong issuer
    /// or audience, expired) is `INVALID_TOKEN`.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                tracing::debug!(reason = %e, "token rejected");
                ApiError::new(ErrorCode::InvalidToken)
            })?;
        let now = chrono::Utc::now().timestamp();
        // A token issued in the future was minted by a clock (or a forger) not to be trusted,
        // and one living longer than allowed would outlast a revocation window.
        let issued_ahead = claims.iat > now.saturating_add(self.leeway);
        let too_long = self
            .max_lifetime
            .is_some_and(|max| claims.exp.saturating_sub(claims.iat) > max);
        if issued_ahead || too_long {
            tracing::debug!(issued_ahead, too_long, "token rejected");
            return Err(ApiError::new(ErrorCode::InvalidToken));
        }
        Ok(claims)
    }

    /// Verifies the `Authorization` header value, if any. `Ok(None)` when absent.
    pub fn verify_header(&self, header: Option<&[u8]>) -> Result<Option<Claims>, ApiError> {
        let Some(raw) = header else { return Ok(None) };
        let text = std::str::from_utf8(raw).map_err(|_| ApiError::new(ErrorCode::InvalidToken))?;
        // Authentication schemes are case-insensitive (RFC 9110 §11.1).
        let (scheme, token) = text
            .split_once(' ')
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::new(ErrorCode::InvalidToken));
        }
        self.verify(token.trim()).map(Some)
    }

    /// Whose a header value is, if this verifier passed it before and it is still valid.
    pub fn cached(&self, header: &[u8]) -> Option<Rc<Caller>> {
        let now = chrono::Utc::now().timestamp();
        VERIFIED.with(|m| {
            m.borrow()
                .get(&self.id)?
                .get(header)
                .filter(|(valid_until, _)| now < *valid_until)
                .map(|(_, caller)| caller.clone())
        })
    }

    /// [`Verifier::verify_header`] through a per-thread cache of header values already
    /// verified. Clients send the same token for many requests, and checking its signature
    /// again is most of what a cheap request costs. Only tokens that passed full
    /// verification are kept, each until its own expiry (plus the leeway), so the cache
    /// never admits a token verification would refuse.
    pub fn caller(&self, header: Option<&[u8]>) -> Result<Option<Rc<Caller>>, ApiError> {
        let Some(raw) = header else { return Ok(None) };
        if let Some(hit) = self.cached(raw) {
            return Ok(Some(hit));
        }
        let Some(claims) = self.verify_header(Some(raw))? else {
            return Ok(None);
        };
        let caller = Rc::new(Caller {
            subject: claims.sub,
            roles: claims.roles,
        });
        let now = chrono::Utc::now().timestamp();
        VERIFIED.with(|m| {
            let mut m = m.borrow_mut();
            let tokens = m.entry(self.id).or_default();
            if tokens.len() >= VERIFIED_CAPACITY {
                tokens.retain(|_, (until, _)| *until > now);
                if tokens.len() >= VERIFIED_CAPACITY {
                    tokens.clear();
                }
            }
            tokens.insert(
                raw.into(),
                (claims.exp.saturating_add(self.leeway), caller.clone()),
            );
        });
        Ok(Some(caller))
    }
}

/// Verified header values kept per thread and verifier.
const VERIFIED_CAPACITY: usize = 4096;

/// Header value → (valid until, whose). Only verified tokens are keys, so a fast hash
/// without a random seed cannot be flooded.
type Verified = rustc_hash::FxHashMap<Box<[u8]>, (i64, Rc<Caller>)>;

thread_local! {
    static VERIFIED: RefCell<rustc_hash::FxHashMap<u64, Verified>> =
        RefCell::new(rustc_hash::FxHashMap::default());
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
        aud: cid_common::auth::Audience::one(s.audience.clone()),
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
    match verifier.caller(header)? {
        Some(caller) => Ok(Caller::clone(&caller)),
        None => Err(ApiError::new(ErrorCode::Unauthorized)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;

    fn settings(max_lifetime: Option<u64>) -> AuthSettings {
        AuthSettings {
            algorithm: "HS256".into(),
            jwt_secret: Secret::new("test-secret-test-secret-test-secret"),
            public_key_pem: None,
            private_key_pem: None,
            issuer: "cid".into(),
            audience: "customer-id".into(),
            leeway_secs: 30,
            max_token_lifetime_secs: max_lifetime,
        }
    }

    fn signed(s: &AuthSettings, claims: serde_json::Value) -> String {
        let key = EncodingKey::from_secret(s.jwt_secret.expose().as_bytes());
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
    }

    fn claims(aud: serde_json::Value, iat_offset: i64, exp_offset: i64) -> serde_json::Value {
        let now = chrono::Utc::now().timestamp();
        serde_json::json!({"sub": "C1", "roles": ["customer"], "iss": "cid", "aud": aud,
            "iat": now + iat_offset, "exp": now + exp_offset})
    }

    #[test]
    fn an_audience_array_naming_ours_is_accepted_and_one_without_it_refused() {
        let s = settings(None);
        let v = Verifier::from_settings(&s).unwrap();
        let ok = signed(
            &s,
            claims(serde_json::json!(["web", "customer-id"]), 0, 600),
        );
        assert_eq!(v.verify(&ok).unwrap().sub, "C1");
        let other = signed(&s, claims(serde_json::json!(["web", "admin"]), 0, 600));
        assert!(v.verify(&other).is_err());
    }

    #[test]
    fn a_cached_token_holds_for_its_own_verifier_only_and_until_it_expires() {
        let s = settings(None);
        let v = Verifier::from_settings(&s).unwrap();
        let aud = serde_json::json!("customer-id");
        let header = format!("Bearer {}", signed(&s, claims(aud.clone(), 0, 600)));
        assert!(v.cached(header.as_bytes()).is_none());
        let caller = v.caller(Some(header.as_bytes())).unwrap().unwrap();
        assert_eq!(caller.subject, "C1");
        assert_eq!(v.cached(header.as_bytes()).unwrap().subject, "C1");
        // Another key in the same process (and thread) does not take the first one's word.
        let mut other = settings(None);
        other.jwt_secret = Secret::new("another-secret-another-secret-another");
        let w = Verifier::from_settings(&other).unwrap();
        assert!(w.cached(header.as_bytes()).is_none());
        assert!(w.caller(Some(header.as_bytes())).is_err());
        // A refused token is not kept; an expiring one is kept until exp + leeway only.
        assert!(v.caller(Some(b"Bearer nope")).is_err());
        assert!(v.cached(b"Bearer nope").is_none());
        let mut brief = settings(None);
        brief.leeway_secs = 0;
        let b = Verifier::from_settings(&brief).unwrap();
        let expiring = format!("Bearer {}", signed(&brief, claims(aud, 0, 1)));
        assert!(b.caller(Some(expiring.as_bytes())).unwrap().is_some());
        std::thread::sleep(std::time::Duration::from_millis(2100));
        assert!(b.cached(expiring.as_bytes()).is_none());
        assert!(b.caller(Some(expiring.as_bytes())).is_err());
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_other_schemes_are_refused() {
        let s = settings(None);
        let v = Verifier::from_settings(&s).unwrap();
        let token = signed(&s, claims(serde_json::json!("customer-id"), 0, 600));
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let header = format!("{scheme} {token}");
            assert!(v.verify_header(Some(header.as_bytes())).is_ok(), "{scheme}");
        }
        for header in [
            format!("Basic {token}"),
            token.clone(),
            format!("Bearer{token}"),
        ] {
            assert!(
                v.verify_header(Some(header.as_bytes())).is_err(),
                "{header}"
            );
        }
    }

    #[test]
    fn future_iat_future_nbf_and_overlong_lifetimes_are_refused() {
        let s = settings(Some(3600));
        let v = Verifier::from_settings(&s).unwrap();
        let aud = serde_json::json!("customer-id");
        assert!(v.verify(&signed(&s, claims(aud.clone(), 0, 3600))).is_ok());
        assert!(
            v.verify(&signed(&s, claims(aud.clone(), 0, 3601 + 60)))
                .is_err()
        );
        assert!(
            v.verify(&signed(&s, claims(aud.clone(), 600, 1200)))
                .is_err()
        );
        let mut nbf = claims(aud.clone(), 0, 1200);
        nbf["nbf"] = serde_json::json!(chrono::Utc::now().timestamp() + 600);
        assert!(v.verify(&signed(&s, nbf)).is_err());
        // Within the leeway is fine.
        assert!(v.verify(&signed(&s, claims(aud, 10, 600))).is_ok());
    }
}
