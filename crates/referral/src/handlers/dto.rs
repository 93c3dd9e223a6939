//! Request and response bodies of the referral API (camelCase on the wire).

use cid_common::contracts::referral::ReferralCounts;
use cid_common::time::rfc3339;
use cid_common::{CustomerId, FieldError, FieldIssue};
use cid_kit::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{self, Event};
use crate::ops::Summary;
use crate::store::{Code, Referral};

/// `POST /referral/{customerId}/generate-link` (body optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"regenerate": false}))]
pub struct LinkRequest {
    /// Retire the current code and issue a new one.
    #[serde(default)]
    pub regenerate: bool,
}

impl Validate for LinkRequest {}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkResponse {
    pub customer_id: String,
    pub referral_code: String,
    pub referral_link: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Signup,
    FirstPurchase,
}

/// `POST /referral/{customerId}/track`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"referralCode": "7K2M9QXA", "referredCustomerId": "CID-2026-000043", "event": "signup"}))]
pub struct TrackRequest {
    /// The code as issued (Crockford base32); case and surrounding spaces do not matter.
    #[schema(pattern = "^[0-9A-Za-z]{1,32}$")]
    pub referral_code: String,
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    pub referred_customer_id: String,
    pub event: EventKind,
}

impl Validate for TrackRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let code = self.referral_code.trim();
        if code.is_empty() || code.chars().count() > 32 {
            errors.push(FieldError::new("referralCode", FieldIssue::InvalidFormat));
        }
        if CustomerId::parse(&self.referred_customer_id).is_err() {
            errors.push(FieldError::new(
                "referredCustomerId",
                FieldIssue::InvalidFormat,
            ));
        }
        errors
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferralResponse {
    pub id: i64,
    pub referrer_id: String,
    pub referred_customer_id: String,
    pub referral_code: String,
    /// pending | completed
    pub status: String,
    pub referrer_points: i32,
    pub referee_points: i32,
    pub signed_up_at: String,
    pub completed_at: Option<String>,
}

impl From<&Referral> for ReferralResponse {
    fn from(r: &Referral) -> Self {
        Self {
            id: r.id,
            referrer_id: r.referrer_id.clone(),
            referred_customer_id: r.referee_id.clone(),
            referral_code: r.code.clone(),
            status: r.status.as_str().to_owned(),
            referrer_points: r.referrer_points,
            referee_points: r.referee_points,
            signed_up_at: rfc3339(r.signed_up_at),
            completed_at: r.completed_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RewardsResponse {
    /// Points earned by this referrer's completed referrals.
    pub total_rewards: i64,
    /// Referrals that completed and paid.
    pub completed_rewards: i64,
    /// Referrals waiting for the referee's first purchase.
    pub pending_rewards: i64,
    pub total_referred: i64,
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsResponse {
    /// `totalReferrals`, `successfulReferrals`, `pendingReferrals`: the contract other
    /// services read.
    #[serde(flatten)]
    pub counts: ReferralCounts,
    pub total_referred: i64,
    /// Completed over all, in percent.
    pub conversion_rate: f64,
    pub total_rewards: i64,
    pub last_referral: Option<String>,
}

impl EventKind {
    pub fn event(self) -> Event {
        match self {
            Self::Signup => Event::Signup,
            Self::FirstPurchase => Event::FirstPurchase,
        }
    }
}

impl LinkResponse {
    pub fn new(code: Code, link_base: &str) -> Self {
        Self {
            referral_link: format!("{}/ref/{}", link_base.trim_end_matches('/'), code.code),
            customer_id: code.customer_id,
            referral_code: code.code,
            created_at: rfc3339(code.created_at),
        }
    }
}

impl From<&Summary> for StatsResponse {
    fn from(s: &Summary) -> Self {
        Self {
            counts: ReferralCounts {
                total_referrals: s.total,
                successful_referrals: s.completed,
                pending_referrals: s.pending,
            },
            total_referred: s.total,
            conversion_rate: domain::conversion_rate(s.completed, s.total),
            total_rewards: s.points,
            last_referral: s.last.map(rfc3339),
        }
    }
}

impl From<&Summary> for RewardsResponse {
    fn from(s: &Summary) -> Self {
        Self {
            total_rewards: s.points,
            completed_rewards: s.completed,
            pending_rewards: s.pending,
            total_referred: s.total,
        }
    }
}
