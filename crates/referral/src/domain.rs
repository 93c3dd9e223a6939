//! Referral rules, pure and unit-tested: codes and what a tracked event does.

use rand::Rng;

/// Points a completed referral pays (SPEC §3.3).
pub const REFERRER_POINTS: i32 = 100;
pub const REFEREE_POINTS: i32 = 50;

/// Crockford's base32 alphabet: no I, L, O, U, so codes read aloud without confusion.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A fresh 8-character code (40 random bits).
pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| char::from(CROCKFORD[rng.random_range(0..32)]))
        .collect()
}

cid_common::text_enum! {
    /// A referral's state, stored as text.
    pub enum ReferralStatus {
        /// Signed up; waiting for the referee's first purchase.
        Pending = "pending",
        /// First purchase seen; both sides paid (through the outbox).
        Completed = "completed",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Signup,
    FirstPurchase,
}

/// What is already known about the referee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: i64,
    pub referrer_id: String,
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Record the referral as pending (signup).
    CreatePending,
    /// Record it and pay at once (a first purchase with no signup seen before).
    CreateCompleted,
    /// Complete a pending referral and pay.
    Complete(i64),
    /// The same signup again: nothing to change.
    Unchanged(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    SelfReferral,
    AlreadyReferred,
    AlreadyCompleted,
}

/// Decides what `event` for `referee` through `referrer`'s code does.
pub fn decide(
    referrer: &str,
    referee: &str,
    existing: Option<&Existing>,
    event: Event,
) -> Result<Action, Refusal> {
    if referrer == referee {
        return Err(Refusal::SelfReferral);
    }
    match (existing, event) {
        (None, Event::Signup) => Ok(Action::CreatePending),
        (None, Event::FirstPurchase) => Ok(Action::CreateCompleted),
        (Some(e), _) if e.referrer_id != referrer => Err(Refusal::AlreadyReferred),
        (Some(e), _) if e.completed => Err(Refusal::AlreadyCompleted),
        (Some(e), Event::Signup) => Ok(Action::Unchanged(e.id)),
        (Some(e), Event::FirstPurchase) => Ok(Action::Complete(e.id)),
    }
}

/// Completed over all, in percent with one decimal; 0 when there are none.
pub fn conversion_rate(completed: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (completed as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing(referrer: &str, completed: bool) -> Existing {
        Existing {
            id: 7,
            referrer_id: referrer.into(),
            completed,
        }
    }

    #[test]
    fn codes_are_eight_crockford_characters() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 8);
            assert!(code.bytes().all(|b| CROCKFORD.contains(&b)), "{code}");
        }
    }

    #[test]
    fn decide_follows_the_referral_lifecycle() {
        assert_eq!(
            decide("A", "B", None, Event::Signup),
            Ok(Action::CreatePending)
        );
        assert_eq!(
            decide("A", "B", None, Event::FirstPurchase),
            Ok(Action::CreateCompleted)
        );
        assert_eq!(
            decide("A", "B", Some(&existing("A", false)), Event::FirstPurchase),
            Ok(Action::Complete(7))
        );
        assert_eq!(
            decide("A", "B", Some(&existing("A", false)), Event::Signup),
            Ok(Action::Unchanged(7))
        );
    }

    #[test]
    fn decide_refuses_self_double_and_repeat_referrals() {
        assert_eq!(
            decide("A", "A", None, Event::Signup),
            Err(Refusal::SelfReferral)
        );
        assert_eq!(
            decide("C", "B", Some(&existing("A", false)), Event::Signup),
            Err(Refusal::AlreadyReferred)
        );
        assert_eq!(
            decide("A", "B", Some(&existing("A", true)), Event::FirstPurchase),
            Err(Refusal::AlreadyCompleted)
        );
    }

    #[test]
    fn conversion_rate_is_a_percentage() {
        assert_eq!(conversion_rate(0, 0), 0.0);
        assert_eq!(conversion_rate(1, 3), 33.3);
        assert_eq!(conversion_rate(2, 2), 100.0);
    }
}
