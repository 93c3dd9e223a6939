//! Use cases of the security service: one transaction each, the clock passed in. Every code
//! check takes the customer's profile row lock first, so concurrent checks are serial and a
//! step or recovery code is accepted once. A wrong code is a result, not an error: it is
//! recorded (and may start the lock) in the transaction that answers it.

use chrono::NaiveDateTime;
use cid_common::contracts::events::types;
use cid_kit::{DbConnection, events};
use serde_json::json;

use crate::domain::rules::{Raised, Rule};
use crate::domain::sealing::Keyring;
use crate::domain::{Given, Lockout, recovery, totp};
use crate::error::SecurityError;
use crate::store::{self, Profile};

/// What code checks need from the settings.
pub struct Codes<'a> {
    pub keyring: &'a Keyring,
    pub lockout: &'a Lockout,
}

/// A new, unconfirmed enrollment.
pub struct Enrollment {
    pub secret: Vec<u8>,
}

/// Starts (or restarts, before it is confirmed) a TOTP enrollment with a fresh secret.
pub fn enable(
    conn: &mut DbConnection,
    customer: &str,
    keyring: &Keyring,
    now: NaiveDateTime,
) -> Result<Enrollment, SecurityError> {
    store::ensure_profile(conn, customer, now)?;
    let profile = locked(conn, customer)?;
    if profile.two_factor_enabled {
        return Err(SecurityError::AlreadyEnabled);
    }
    let mut secret = vec![0u8; totp::SECRET_BYTES];
    aws_lc_rs::rand::fill(&mut secret).expect("the system's random source");
    let (key_id, sealed) = keyring.seal(&secret, customer);
    store::set_pending_secret(conn, customer, &key_id, &sealed, now)?;
    Ok(Enrollment { secret })
}

/// How a code check came out.
#[derive(Debug)]
pub enum Verdict<T> {
    Accepted(T),
    /// Wrong or used already; recorded. `locked` when this one started the lock.
    Refused {
        locked: Option<NaiveDateTime>,
    },
}

/// A use case that needs a code: it runs only once `given` is accepted.
pub type CodeOp<T> = fn(
    &mut DbConnection,
    &str,
    &Given,
    &Codes<'_>,
    &str,
    NaiveDateTime,
) -> Result<Verdict<T>, SecurityError>;

/// Confirms the enrollment with a current code: 2FA on, ten fresh recovery codes (shown
/// once; only their hashes are kept).
pub fn verify(
    conn: &mut DbConnection,
    customer: &str,
    given: &Given,
    codes: &Codes<'_>,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Verdict<Vec<String>>, SecurityError> {
    let profile = store::lock_profile(conn, customer)?.ok_or(SecurityError::NotEnrolled)?;
    if profile.two_factor_enabled {
        return Err(SecurityError::AlreadyEnabled);
    }
    if profile.totp_sealed.is_none() {
        return Err(SecurityError::NotEnrolled);
    }
    unlocked(&profile, now)?;
    if !accept(conn, &profile, given, codes, now)? {
        return refused(conn, &profile, codes.lockout, request_id, now);
    }
    store::set_enabled(conn, customer, now)?;
    let fresh = new_recovery_codes(conn, customer, now)?;
    events::record(
        conn,
        types::TWO_FACTOR_ENABLED,
        customer,
        json!({}),
        Some(request_id),
        now,
    )?;
    Ok(Verdict::Accepted(fresh))
}

/// Turns 2FA off with a current code or an unused recovery code; the secret and the recovery
/// codes are forgotten.
pub fn disable(
    conn: &mut DbConnection,
    customer: &str,
    given: &Given,
    codes: &Codes<'_>,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Verdict<()>, SecurityError> {
    with_code(conn, customer, given, codes, request_id, now, |conn| {
        store::set_disabled(conn, customer, now)?;
        store::replace_codes(conn, customer, &[], now)?;
        events::record(
            conn,
            types::TWO_FACTOR_DISABLED,
            customer,
            json!({}),
            Some(request_id),
            now,
        )?;
        Ok(())
    })
}

/// Ten new recovery codes in place of the old ones, with a current code or an unused
/// recovery code.
pub fn regenerate(
    conn: &mut DbConnection,
    customer: &str,
    given: &Given,
    codes: &Codes<'_>,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Verdict<Vec<String>>, SecurityError> {
    with_code(conn, customer, given, codes, request_id, now, |conn| {
        let fresh = new_recovery_codes(conn, customer, now)?;
        let kind = types::RECOVERY_CODES_REGENERATED;
        events::record(conn, kind, customer, json!({}), Some(request_id), now)?;
        Ok(fresh)
    })
}

/// The login service's check: a current code, or a recovery code (used up). Answers how
/// many recovery codes remain.
pub fn check(
    conn: &mut DbConnection,
    customer: &str,
    given: &Given,
    codes: &Codes<'_>,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Verdict<i64>, SecurityError> {
    with_code(conn, customer, given, codes, request_id, now, |conn| {
        Ok(store::count_unused_codes(conn, customer)?)
    })
}

/// Runs `then` for a customer with 2FA on once `given` is accepted; a refused code is
/// recorded instead.
fn with_code<T>(
    conn: &mut DbConnection,
    customer: &str,
    given: &Given,
    codes: &Codes<'_>,
    request_id: &str,
    now: NaiveDateTime,
    then: impl FnOnce(&mut DbConnection) -> Result<T, SecurityError>,
) -> Result<Verdict<T>, SecurityError> {
    let profile = enabled(conn, customer, now)?;
    if !accept(conn, &profile, given, codes, now)? {
        return refused(conn, &profile, codes.lockout, request_id, now);
    }
    Ok(Verdict::Accepted(then(conn)?))
}

fn locked(conn: &mut DbConnection, customer: &str) -> Result<Profile, SecurityError> {
    store::lock_profile(conn, customer)?.ok_or(SecurityError::NotEnabled)
}

/// The locked profile of a customer with 2FA on, checks not locked.
fn enabled(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> Result<Profile, SecurityError> {
    let profile = store::lock_profile(conn, customer)?
        .filter(|p| p.two_factor_enabled)
        .ok_or(SecurityError::NotEnabled)?;
    unlocked(&profile, now)?;
    Ok(profile)
}

fn unlocked(profile: &Profile, now: NaiveDateTime) -> Result<(), SecurityError> {
    match profile.locked_until {
        Some(until) if until > now => Err(SecurityError::Locked { until, now }),
        _ => Ok(()),
    }
}

/// Whether `given` is accepted now; an accepted TOTP step or recovery code is used up.
fn accept(
    conn: &mut DbConnection,
    profile: &Profile,
    given: &Given,
    codes: &Codes<'_>,
    now: NaiveDateTime,
) -> Result<bool, SecurityError> {
    match given {
        Given::Totp(code) => {
            let (Some(key_id), Some(sealed)) = (&profile.totp_key_id, &profile.totp_sealed) else {
                return Ok(false);
            };
            let secret = codes.keyring.open(key_id, sealed, &profile.customer_id)?;
            let now_step = totp::step_at(now.and_utc().timestamp());
            match totp::matching_step(&secret, code, now_step, profile.totp_last_step) {
                Some(step) => {
                    store::accept_step(conn, &profile.customer_id, Some(step), now)?;
                    // Sealed under a key that is no longer the active one: sealed again under
                    // the active one, so an old key can be dropped once its secrets were used.
                    if key_id != codes.keyring.active_id() {
                        let (kid, resealed) = codes.keyring.seal(&secret, &profile.customer_id);
                        store::reseal(conn, &profile.customer_id, &kid, &resealed, now)?;
                    }
                    Ok(true)
                }
                None => Ok(false),
            }
        }
        Given::Recovery(code) => {
            for stored in store::unused_codes(conn, &profile.customer_id)? {
                if recovery::matches(code, &stored.code_hash) {
                    return Ok(store::use_code(conn, stored.id, now)? == 1);
                }
            }
            Ok(false)
        }
    }
}

/// Records a wrong code; the one that reaches the limit locks checks and says so.
fn refused<T>(
    conn: &mut DbConnection,
    profile: &Profile,
    lockout: &Lockout,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Verdict<T>, SecurityError> {
    let customer = &profile.customer_id;
    store::add_failure(conn, customer, now)?;
    let since = lockout.counting_since(now, profile.locked_until);
    let failures = store::failures_since(conn, customer, since)?;
    let locked = lockout.lock_after(failures, now);
    if let Some(until) = locked {
        store::set_locked_until(conn, customer, Some(until))?;
        let alert = Raised {
            rule: Rule::TwoFactorLockout,
            cause: "two_factor_lockout".into(),
            details: json!({"failures": failures, "lockedUntil": cid_common::time::rfc3339(until)}),
        };
        watch::raise(conn, customer, alert, request_id, now)?;
        events::record(
            conn,
            types::TWO_FACTOR_LOCKED,
            customer,
            json!({"failures": failures, "lockedUntil": cid_common::time::rfc3339(until)}),
            Some(request_id),
            now,
        )?;
    }
    Ok(Verdict::Refused { locked })
}

fn new_recovery_codes(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> Result<Vec<String>, SecurityError> {
    let fresh = recovery::generate();
    let hashes: Vec<String> = fresh
        .iter()
        .map(|c| recovery::hash(&recovery::normalize(c).expect("generated codes are well formed")))
        .collect();
    store::replace_codes(conn, customer, &hashes, now)?;
    Ok(fresh)
}

pub mod watch;
