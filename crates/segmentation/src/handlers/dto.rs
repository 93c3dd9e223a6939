//! Request and response bodies of the segmentation API (camelCase on the wire).

use cid_common::contracts::analytics::CustomerActivity;
use cid_common::time::{major_units, rfc3339};
use cid_common::{FieldError, FieldIssue, Locale};
use cid_kit::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Entry, Segment, SegmentEntry, Source};
use crate::store::Assignment;

/// A segment's catalog data in the request's language.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SegmentInfo {
    pub segment: Segment,
    pub name: &'static str,
    pub criteria: &'static str,
    pub benefits: Vec<&'static str>,
    pub discount: u8,
}

impl SegmentInfo {
    pub fn new(e: &Entry, locale: Locale) -> Self {
        Self {
            segment: e.segment,
            name: e.name.get(locale),
            criteria: e.criteria.get(locale),
            benefits: e.benefits.iter().map(|b| b.get(locale)).collect(),
            discount: e.discount_percent,
        }
    }
}

/// `GET /segmentation/{customerId}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentResponse {
    pub customer_id: String,
    #[serde(flatten)]
    pub info: SegmentInfo,
    pub source: Source,
    /// Why, for a manual override or a recomputation.
    pub reason: Option<String>,
    pub assigned_at: String,
    /// When the figures below were stored (a read that finds them unchanged keeps it).
    pub computed_at: Option<String>,
    /// The analytics figures the segment was computed from; null before any computation.
    pub metrics: Option<CustomerActivity>,
    /// True when analytics could not be asked: this is the last stored assignment.
    pub stale: bool,
}

impl AssignmentResponse {
    pub fn new(a: &Assignment, stale: bool, locale: Locale) -> Self {
        Self {
            customer_id: a.customer_id.clone(),
            info: SegmentInfo::new(a.segment.entry(), locale),
            source: a.source,
            reason: a.reason.clone(),
            assigned_at: rfc3339(a.assigned_at),
            computed_at: Some(rfc3339(a.computed_at)),
            metrics: serde_json::from_str(&a.metrics).ok(),
            stale,
        }
    }

    /// A customer never computed while analytics cannot be asked: new, so occasional.
    pub fn unknown(customer: String, now: chrono::NaiveDateTime, locale: Locale) -> Self {
        Self {
            customer_id: customer,
            info: SegmentInfo::new(Segment::Occasional.entry(), locale),
            source: Source::Computed,
            reason: None,
            assigned_at: rfc3339(now),
            computed_at: None,
            metrics: None,
            stale: true,
        }
    }
}

/// One segment of `GET /segmentation/all/segments`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SegmentListItem {
    #[serde(flatten)]
    pub info: SegmentInfo,
    /// Customers currently assigned to it.
    pub members: i64,
}

/// `GET /segmentation/{segment}/stats`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SegmentStats {
    pub segment: Segment,
    pub members: i64,
    /// Members over all assigned customers, in percent with two decimals.
    pub share: f64,
    /// Average spend of the members over their last twelve months, SAR.
    pub average_spend: f64,
}

impl SegmentStats {
    pub fn new(segment: Segment, (members, spent): (i64, i64), all: i64) -> Self {
        Self {
            segment,
            members,
            share: if all == 0 {
                0.0
            } else {
                (members as f64 * 10_000.0 / all as f64).round() / 100.0
            },
            average_spend: if members == 0 {
                0.0
            } else {
                major_units((spent * 2 + members) / (members * 2))
            },
        }
    }
}

/// `PUT /segmentation/{customerId}/update`: `{segment, reason}` to override, or
/// `{"recompute": true}` to clear the override and compute again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"segment": "vip", "reason": "Key account agreed with sales"}))]
pub struct UpdateRequest {
    pub segment: Option<Segment>,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
    pub recompute: Option<bool>,
}

impl Validate for UpdateRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let recompute = self.recompute == Some(true);
        if self.segment.is_some() == recompute {
            errors.push(FieldError::new(
                "segment",
                FieldIssue::ExactlyOne {
                    fields: vec!["segment".into(), "recompute".into()],
                },
            ));
        }
        let reason = self.reason.as_deref().map(str::trim).unwrap_or("");
        if self.segment.is_some() && reason.is_empty() {
            errors.push(FieldError::new("reason", FieldIssue::Required));
        } else if reason.chars().count() > 500 {
            errors.push(FieldError::new("reason", FieldIssue::TooLong { max: 500 }));
        }
        errors
    }
}
