//! Response bodies of the loyalty API (camelCase on the wire).

use cid_common::Locale;
use cid_common::time::{major_units, rfc3339};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::earn::{EarnMethod, EarnType};
use crate::domain::tier::{Tier, TierInfo};
use crate::ops::Movement;
use crate::store::Entry;

/// One ledger entry.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryResponse {
    pub id: i64,
    /// purchase|referral|review|birthday|reward|manual|redeem|expire|reversal
    #[serde(rename = "type")]
    pub entry_type: String,
    pub points: i64,
    pub balance_after: i64,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward_id: Option<String>,
    /// The entry a reversal undoes, or the earning an expiry closes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_entry_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// For earnings: when their unspent points expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub actor: String,
    pub created_at: String,
}

impl From<&Entry> for EntryResponse {
    fn from(e: &Entry) -> Self {
        Self {
            id: e.id,
            entry_type: e.entry_type.as_str().to_owned(),
            points: i64::from(e.points),
            balance_after: e.balance_after,
            reason: e.reason.clone(),
            order_id: e.order_id.clone(),
            reward_id: e.reward_id.clone(),
            related_entry_id: e.related_entry_id,
            purchase_amount: e.purchase_amount_minor.map(major_units),
            currency: e.currency.clone(),
            expires_at: e.expires_at.map(rfc3339),
            actor: e.actor.clone(),
            created_at: rfc3339(e.created_at),
        }
    }
}

/// The result of earn, redeem and reversal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementResponse {
    pub customer_id: String,
    pub entry: EntryResponse,
    pub balance: i64,
    /// The new balance again, under the name the reference implementation's clients read.
    pub points: i64,
    pub tier: Tier,
    pub previous_tier: Tier,
    pub tier_changed: bool,
    /// Expiry entries written before this movement.
    pub expired: Vec<EntryResponse>,
}

impl From<Movement> for MovementResponse {
    fn from(m: Movement) -> Self {
        Self {
            customer_id: m.entry.customer_id.clone(),
            entry: EntryResponse::from(&m.entry),
            balance: m.balance,
            points: m.balance,
            tier: m.tier,
            previous_tier: m.previous_tier,
            tier_changed: m.tier != m.previous_tier,
            expired: m.expired.iter().map(EntryResponse::from).collect(),
        }
    }
}

/// A tier of the catalog in the request's language.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TierResponse {
    pub tier: Tier,
    pub name: String,
    pub min_points: i64,
    pub max_points: Option<i64>,
    pub discount_percent: u8,
    pub benefits: Vec<String>,
}

impl TierResponse {
    pub fn new(info: &TierInfo, locale: Locale) -> Self {
        Self {
            tier: info.tier,
            name: info.name.get(locale).to_owned(),
            min_points: info.min_points,
            max_points: info.max_points,
            discount_percent: info.discount_percent,
            benefits: info
                .benefits
                .iter()
                .map(|b| b.get(locale).to_owned())
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EarnMethodResponse {
    pub method: &'static str,
    #[serde(rename = "type")]
    pub earn_type: EarnType,
    pub points: i64,
    /// Set when points are per unit of a currency (shopping).
    pub per: Option<&'static str>,
    pub name: String,
    pub description: String,
}

impl EarnMethodResponse {
    pub fn new(m: &EarnMethod, locale: Locale) -> Self {
        Self {
            method: m.method,
            earn_type: m.earn_type,
            points: m.points,
            per: m.per,
            name: m.name.get(locale).to_owned(),
            description: m.description.get(locale).to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryResponse {
    pub points: i64,
    pub expires_at: String,
}

/// `GET /loyalty/{customerId}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountResponse {
    pub customer_id: String,
    pub points: i64,
    pub lifetime_points: i64,
    pub tier: Tier,
    pub tier_name: String,
    pub tier_since: Option<String>,
    pub discount_percent: u8,
    pub next_tier: Option<Tier>,
    pub next_tier_name: Option<String>,
    pub points_to_next_tier: i64,
    pub progress_percent: u8,
    /// Points earned in the trailing tier window: the tier basis.
    pub qualifying_points: i64,
    pub join_date: Option<String>,
    pub total_spent: f64,
    pub currency: String,
    pub next_expiry: Option<ExpiryResponse>,
    /// The 20 newest ledger entries.
    pub points_history: Vec<EntryResponse>,
}

/// `GET /loyalty/{customerId}/milestones`: the contract special-date rewards read.
pub use cid_common::contracts::loyalty::{
    Milestone as MilestoneResponse, Milestones as MilestonesResponse,
};
