//! The offers service's errors and their problem+json codes.

use chrono::NaiveDateTime;
use cid_common::ErrorCode;
use cid_common::time::{major_units, rfc3339};
use cid_kit::{ApiError, DbError};

#[derive(Debug, thiserror::Error)]
pub enum OffersError {
    #[error("offer {0} not found")]
    NotFound(String),
    #[error("offer {0} is not open now")]
    NotActive(String, NaiveDateTime, NaiveDateTime),
    #[error("customer {customer} is not eligible for offer {offer}")]
    NotEligible { offer: String, customer: String },
    #[error("offer {0} needs an order of at least {1} halalas")]
    BelowMinPurchase(String, i64),
    #[error("offer {0} used {1} times already")]
    LimitReached(String, i64),
    #[error("the budget of offer {0} is spent")]
    BudgetSpent(String),
    #[error("the {0} service could not tell whether the customer is eligible")]
    FactsUnavailable(&'static str),
    #[error("redemption {0} not found")]
    RedemptionNotFound(String),
    #[error("redemption {0} already rolled back")]
    AlreadyRolledBack(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<OffersError> for ApiError {
    fn from(e: OffersError) -> Self {
        match e {
            OffersError::NotFound(id) => ApiError::new(ErrorCode::OfferNotFound).arg("offerId", id),
            OffersError::NotActive(id, from, until) => ApiError::new(ErrorCode::OfferNotActive)
                .arg("offerId", id)
                .arg("validFrom", rfc3339(from))
                .arg("validUntil", rfc3339(until)),
            OffersError::NotEligible { offer, customer } => {
                ApiError::new(ErrorCode::OfferNotEligible)
                    .arg("offerId", offer)
                    .arg("customerId", customer)
            }
            OffersError::BelowMinPurchase(id, min) => ApiError::new(ErrorCode::BelowMinPurchase)
                .arg("offerId", id)
                .arg("minPurchase", format!("{:.2}", major_units(min))),
            OffersError::LimitReached(id, limit) => ApiError::new(ErrorCode::OfferLimitReached)
                .arg("offerId", id)
                .arg("limit", limit.to_string()),
            OffersError::BudgetSpent(id) => {
                ApiError::new(ErrorCode::OfferBudgetSpent).arg("offerId", id)
            }
            OffersError::FactsUnavailable(service) => ApiError::new(ErrorCode::ServiceUnavailable)
                .arg("service", service)
                .retry_after(1),
            OffersError::RedemptionNotFound(id) => {
                ApiError::new(ErrorCode::RedemptionNotFound).arg("redemptionId", id)
            }
            OffersError::AlreadyRolledBack(id) => {
                ApiError::new(ErrorCode::AlreadyRolledBack).arg("redemptionId", id)
            }
            OffersError::Api(e) => e,
            OffersError::Db(e) => e.into(),
            OffersError::Query(e) => e.into(),
        }
    }
}
