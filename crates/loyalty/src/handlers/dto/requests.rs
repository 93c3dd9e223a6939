//! Request bodies of the loyalty API and their rules.

use cid_common::time::minor_units;
use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use cid_kit::json::check_text as text;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::earn::{EARN_CURRENCY, EarnRules, EarnType};
use crate::error::LoyaltyError;
use crate::ops::{Earning, ReversalTarget};

pub const MAX_POINTS: i64 = 1_000_000;
const MAX_REASON: usize = 500;
const MAX_REF: usize = 128;

fn points_in_range(errors: &mut Vec<FieldError>, field: &str, points: i64) {
    if !(1..=MAX_POINTS).contains(&points) {
        errors.push(FieldError::new(
            field,
            FieldIssue::OutOfRange {
                min: 1,
                max: MAX_POINTS,
            },
        ));
    }
}

/// `POST /loyalty/{customerId}/points`: either `points` (with a `reason`), or a
/// `purchaseAmount` earning 1 point per riyal, or just a `type` with a fixed rate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"purchaseAmount": 250.0, "currency": "SAR", "orderId": "ORD-1001"}))]
pub struct EarnRequest {
    /// 1..1000000.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub points: Option<i64>,
    pub reason: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>, example = "purchase")]
    pub earn_type: Option<EarnType>,
    pub order_id: Option<String>,
    /// Major units, at most 2 decimals.
    pub purchase_amount: Option<f64>,
    /// ISO 4217; only `SAR` earns.
    pub currency: Option<String>,
}

impl Validate for EarnRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let fixed = self.earn_type.and_then(EarnType::fixed_points).is_some();
        match (self.points, self.purchase_amount) {
            (Some(_), Some(_)) | (None, None) if !(fixed && self.purchase_amount.is_none()) => {
                errors.push(FieldError::new(
                    "points",
                    FieldIssue::ExactlyOne {
                        fields: vec!["points".into(), "purchaseAmount".into()],
                    },
                ));
            }
            _ => {}
        }
        if let Some(points) = self.points {
            points_in_range(&mut errors, "points", points);
        }
        let reason_required = self.points.is_some();
        let reason = self.reason.as_deref();
        text(&mut errors, "reason", reason, reason_required, MAX_REASON);
        self.check_purchase(&mut errors);
        text(
            &mut errors,
            "orderId",
            self.order_id.as_deref(),
            false,
            MAX_REF,
        );
        errors
    }
}

impl EarnRequest {
    /// The purchase side: the amount's precision and range, its type and currency.
    fn check_purchase(&self, errors: &mut Vec<FieldError>) {
        if let Some(amount) = self.purchase_amount {
            match minor_units(amount) {
                None => errors.push(FieldError::new(
                    "purchaseAmount",
                    FieldIssue::TooManyDecimals { max: 2 },
                )),
                Some(minor) if minor <= 0 || minor > 1_000_000_000 => errors.push(FieldError::new(
                    "purchaseAmount",
                    FieldIssue::OutOfRange {
                        min: 0,
                        max: 10_000_000,
                    },
                )),
                _ => {}
            }
            if self.earn_type.is_some_and(|t| t != EarnType::Purchase) {
                errors.push(FieldError::new(
                    "type",
                    FieldIssue::OneOf {
                        allowed: vec!["purchase".into()],
                    },
                ));
            }
        }
        if let Some(currency) = &self.currency {
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                errors.push(FieldError::new("currency", FieldIssue::InvalidFormat));
            }
            if self.purchase_amount.is_none() {
                errors.push(FieldError::new("currency", FieldIssue::UnknownField));
            }
        }
    }
}

impl EarnRequest {
    /// The earning this request asks for; a currency we do not earn in is a 422.
    pub fn into_earning(self) -> Result<Earning, LoyaltyError> {
        let order_id = self
            .order_id
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty());
        if let Some(amount) = self.purchase_amount {
            let currency = self.currency.unwrap_or_else(|| EARN_CURRENCY.to_owned());
            if currency != EARN_CURRENCY {
                return Err(LoyaltyError::UnsupportedCurrency);
            }
            let minor = minor_units(amount).unwrap_or(0);
            return Ok(Earning {
                earn_type: EarnType::Purchase,
                points: crate::domain::earn::purchase_points(minor),
                reason: self
                    .reason
                    .unwrap_or_else(|| EarnType::Purchase.default_reason().into()),
                order_id,
                purchase_amount_minor: Some(minor),
                currency: Some(currency),
            });
        }
        let earn_type = self.earn_type.unwrap_or(EarnType::Manual);
        let points = self.points.or(earn_type.fixed_points()).unwrap_or(0);
        Ok(Earning {
            earn_type,
            points,
            reason: self
                .reason
                .unwrap_or_else(|| earn_type.default_reason().into()),
            order_id,
            purchase_amount_minor: None,
            currency: None,
        })
    }
}

/// `POST /loyalty/{customerId}/redeem`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"points": 500, "rewardId": "voucher-50-sar"}))]
pub struct RedeemRequest {
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub points: i64,
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    pub reward_id: String,
}

impl Validate for RedeemRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        points_in_range(&mut errors, "points", self.points);
        text(
            &mut errors,
            "rewardId",
            Some(&self.reward_id),
            true,
            MAX_REF,
        );
        errors
    }
}

/// `POST /loyalty/{customerId}/reversal`: exactly one of `orderId` and `entryId`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"orderId": "ORD-1001", "reason": "Order refunded"}))]
pub struct ReversalRequest {
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    pub order_id: Option<String>,
    #[schema(minimum = 1)]
    pub entry_id: Option<i64>,
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub reason: String,
}

impl Validate for ReversalRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.order_id.is_some() == self.entry_id.is_some() {
            errors.push(FieldError::new(
                "orderId",
                FieldIssue::ExactlyOne {
                    fields: vec!["orderId".into(), "entryId".into()],
                },
            ));
        }
        text(
            &mut errors,
            "orderId",
            self.order_id.as_deref(),
            false,
            MAX_REF,
        );
        if self.entry_id.is_some_and(|id| id < 1) {
            errors.push(FieldError::new(
                "entryId",
                FieldIssue::OutOfRange {
                    min: 1,
                    max: i64::MAX,
                },
            ));
        }
        text(&mut errors, "reason", Some(&self.reason), true, MAX_REASON);
        errors
    }
}

impl ReversalRequest {
    pub fn target(&self) -> ReversalTarget {
        match (&self.order_id, self.entry_id) {
            (Some(order), _) => ReversalTarget::Order(order.trim().to_owned()),
            (None, id) => ReversalTarget::Entry(id.unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use cid_common::contracts::loyalty::{Credit, Reversal};

    use super::*;

    /// What referral and rewards send (through their outboxes) is what the earn route reads:
    /// every earn type, with its points and reason kept.
    #[test]
    fn a_credit_from_another_service_is_an_earning_as_sent() {
        for earn_type in [
            EarnType::Purchase,
            EarnType::Referral,
            EarnType::Review,
            EarnType::Birthday,
            EarnType::Reward,
            EarnType::Manual,
        ] {
            let credit = Credit {
                points: 150,
                reason: "Referral: a first purchase".into(),
                earn_type,
                order_id: Some("offer-redemption:R1".into()),
            };
            let wire = serde_json::to_vec(&credit).unwrap();
            let request: EarnRequest = cid_kit::json::parse(&wire).unwrap();
            assert!(request.validate().is_empty(), "{earn_type:?}");
            let earning = request.into_earning().unwrap();
            assert_eq!(
                (earning.earn_type, earning.points, earning.reason.as_str()),
                (earn_type, 150, "Referral: a first purchase")
            );
            assert_eq!(earning.order_id.as_deref(), Some("offer-redemption:R1"));
        }
        let reversal = Reversal {
            order_id: "offer-redemption:R1".into(),
            reason: "order cancelled".into(),
        };
        let wire = serde_json::to_vec(&reversal).unwrap();
        let request: ReversalRequest = cid_kit::json::parse(&wire).unwrap();
        assert!(request.validate().is_empty());
    }
}
