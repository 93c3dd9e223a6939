//! Wire types of the calls services make to each other, shared by the service that answers
//! and the ones that call, so that renaming a field fails to compile on both sides instead
//! of failing at run time.

pub mod customers {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// What the registry tells other services about a customer (`GET /customers/{id}`, any
    /// ID format): the part of its answer they rely on.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct RegistryCustomer {
        /// The standard form, `<PREFIX>-<YYYY>-<NNNNNN>`: the key every service stores.
        pub customer_id: String,
        pub short_id: String,
        pub numeric_id: i64,
        /// False once deactivated: no new value moves for them.
        pub active: bool,
        /// `YYYY-MM-DD`.
        pub birth_date: Option<String>,
        /// RFC 3339.
        pub join_date: String,
        /// Where notifications reach them (absent for a customer registered without them).
        #[serde(default)]
        pub email: Option<String>,
        #[serde(default)]
        pub phone: Option<String>,
        /// `ar` or `en` when the customer chose one.
        #[serde(default)]
        pub locale: Option<String>,
    }
}

pub mod loyalty {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// Why points were earned; the ledger entry's type.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum EarnType {
        Purchase,
        Referral,
        Review,
        Birthday,
        Reward,
        Manual,
    }

    impl EarnType {
        pub fn as_str(self) -> &'static str {
            match self {
                Self::Purchase => "purchase",
                Self::Referral => "referral",
                Self::Review => "review",
                Self::Birthday => "birthday",
                Self::Reward => "reward",
                Self::Manual => "manual",
            }
        }
    }

    /// A credit another service asks loyalty for (a referral payout, a claimed reward): a
    /// body `POST /loyalty/{customerId}/points` accepts, sent through the caller's outbox
    /// with an Idempotency-Key.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Credit {
        /// 1..1000000.
        pub points: i64,
        pub reason: String,
        #[serde(rename = "type")]
        pub earn_type: EarnType,
        /// The reference a later [`Reversal`] names; one credit per reference and customer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub order_id: Option<String>,
    }

    /// Takes back a credit made with `orderId` (`POST /loyalty/{customerId}/reversal`), sent
    /// through the caller's outbox with an Idempotency-Key.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Reversal {
        pub order_id: String,
        pub reason: String,
    }

    impl Reversal {
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/loyalty/{customer}/reversal")
        }
    }

    /// Points a purchase of `minor` halalas earns: one per whole riyal, rounded down (SPEC
    /// §3.2). Loyalty credits by it; offers count a points multiplier's extra points by it.
    pub fn purchase_points(minor: i64) -> i64 {
        minor.max(0) / 100
    }

    crate::text_enum! {
        /// A loyalty tier, lowest first (SPEC §3.2); offers target them by name.
        #[derive(PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum Tier {
            Bronze = "bronze",
            Silver = "silver",
            Gold = "gold",
            Platinum = "platinum",
        }
    }

    /// The part of `GET /loyalty/{customerId}` other services rely on: the tier held now
    /// (bronze for a customer who never earned).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct Standing {
        pub customer_id: String,
        pub tier: Tier,
    }

    impl Standing {
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/loyalty/{customer}")
        }
    }

    impl Credit {
        /// Where a credit for `customer` (standard ID) is posted.
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/loyalty/{customer}/points")
        }
    }

    /// A milestone reached: `first_purchase`, `tenth_purchase` or `lifetime_points_1000`, with
    /// the time (RFC 3339) of the earning that reached it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct Milestone {
        pub milestone: String,
        pub reached_at: String,
    }

    /// `GET /loyalty/{customerId}/milestones`, which special-date rewards read.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct Milestones {
        pub customer_id: String,
        pub lifetime_points: i64,
        /// Milestones reached, each with the time of the earning that reached it.
        pub milestones: Vec<Milestone>,
    }

    impl Milestones {
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/loyalty/{customer}/milestones")
        }
    }
}

pub mod referral {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// A referrer's counts (`GET /referral/{customerId}/stats`), which analytics' engagement
    /// reads: the part of the stats other services rely on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct ReferralCounts {
        pub total_referrals: i64,
        pub successful_referrals: i64,
        pub pending_referrals: i64,
    }

    impl ReferralCounts {
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/referral/{customer}/stats")
        }
    }
}

pub mod analytics {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// What segmentation classifies a customer by (`GET /analytics/{customerId}/activity`):
    /// completed purchases only.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct CustomerActivity {
        pub customer_id: String,
        /// Purchases in the current calendar month (UTC) and the eleven before.
        pub purchases_last_year: i64,
        /// Spend of those months, in halalas.
        pub spent_last_year_minor: i64,
        /// RFC 3339; null without a purchase.
        pub last_purchase: Option<String>,
        /// Purchases on the last 90 calendar days (UTC), today included.
        pub purchases_last_90_days: i64,
        /// Purchases on the 90 days before those.
        pub purchases_previous_90_days: i64,
        /// Every completed purchase ever.
        pub total_purchases: i64,
        /// The category with the most spend (ties: the most purchases, then the name); null
        /// without a purchase. Offers rank by it.
        #[serde(default)]
        pub favorite_category: Option<String>,
    }

    impl CustomerActivity {
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/analytics/{customer}/activity")
        }
    }

    /// The purchase milestones (`GET /analytics/{customerId}/milestones`), which special-date
    /// rewards read: `first_purchase` and `tenth_purchase` once reached, each at the
    /// `purchasedAt` of the completed purchase that reached it (refunds do not count).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct PurchaseMilestones {
        pub customer_id: String,
        pub milestones: Vec<super::loyalty::Milestone>,
    }

    impl PurchaseMilestones {
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/analytics/{customer}/milestones")
        }
    }
}

pub mod segmentation {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    crate::text_enum! {
        /// A customer segment (SPEC §3.5); offers target them by name.
        #[derive(PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Segment {
            Vip = "vip",
            Frequent = "frequent",
            Occasional = "occasional",
            Inactive = "inactive",
            AtRisk = "at_risk",
        }
    }

    /// The part of `GET /segmentation/{customerId}` other services rely on.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    pub struct CustomerSegment {
        pub customer_id: String,
        pub segment: Segment,
        /// True when segmentation could not ask analytics: the last stored segment.
        pub stale: bool,
    }

    impl CustomerSegment {
        pub fn path(customer: &str) -> String {
            format!("/api/customer-id/segmentation/{customer}")
        }
    }
}

pub mod events {
    //! Domain events (SPEC §4): what happened, written to the emitting service's outbox in
    //! the transaction of the change and delivered at least once to notifications (which
    //! notifies customers and forwards them to webhook subscribers). `id` is stable across
    //! deliveries: receivers deduplicate on it.

    use serde::{Deserialize, Serialize};
    use serde_json::Value;
    use utoipa::ToSchema;

    use crate::{FieldError, FieldIssue};

    /// The longest event ID, customer ID and type accepted.
    const MAX_ID: usize = 64;

    /// Every event type, `<group>.<event>` in snake case.
    pub mod types {
        pub const CUSTOMER_CREATED: &str = "customers.created";
        pub const CUSTOMER_DEACTIVATED: &str = "customers.deactivated";
        pub const POINTS_EARNED: &str = "loyalty.points_earned";
        pub const POINTS_REDEEMED: &str = "loyalty.points_redeemed";
        pub const POINTS_EXPIRED: &str = "loyalty.points_expired";
        pub const POINTS_REVERSED: &str = "loyalty.points_reversed";
        pub const TIER_CHANGED: &str = "loyalty.tier_changed";
        pub const REFERRAL_COMPLETED: &str = "referral.completed";
        pub const REWARD_CLAIMED: &str = "rewards.claimed";
        pub const PURCHASE_RECORDED: &str = "analytics.purchase_recorded";
        pub const PURCHASE_REFUNDED: &str = "analytics.purchase_refunded";
        pub const SEGMENT_CHANGED: &str = "segmentation.segment_changed";
        pub const OFFER_REDEEMED: &str = "offers.offer_redeemed";
        pub const TICKET_CREATED: &str = "support.ticket_created";
        pub const TICKET_STATUS_CHANGED: &str = "support.ticket_status_changed";
        pub const TWO_FACTOR_ENABLED: &str = "security.two_factor_enabled";
        pub const TWO_FACTOR_DISABLED: &str = "security.two_factor_disabled";
        pub const TWO_FACTOR_LOCKED: &str = "security.two_factor_locked";
        pub const RECOVERY_CODES_REGENERATED: &str = "security.recovery_codes_regenerated";
        pub const ALERT_RAISED: &str = "security.alert_raised";
        pub const ALERT_RESOLVED: &str = "security.alert_resolved";
        pub const ACTIVITY_REPORTED: &str = "security.activity_reported";

        pub const ALL: &[&str] = &[
            CUSTOMER_CREATED,
            CUSTOMER_DEACTIVATED,
            POINTS_EARNED,
            POINTS_REDEEMED,
            POINTS_EXPIRED,
            POINTS_REVERSED,
            TIER_CHANGED,
            REFERRAL_COMPLETED,
            REWARD_CLAIMED,
            PURCHASE_RECORDED,
            PURCHASE_REFUNDED,
            SEGMENT_CHANGED,
            OFFER_REDEEMED,
            TICKET_CREATED,
            TICKET_STATUS_CHANGED,
            TWO_FACTOR_ENABLED,
            TWO_FACTOR_DISABLED,
            TWO_FACTOR_LOCKED,
            RECOVERY_CODES_REGENERATED,
            ALERT_RAISED,
            ALERT_RESOLVED,
            ACTIVITY_REPORTED,
        ];
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[schema(example = json!({"id": "0193a5e2-7c4b-7d1e-9f3a-2b6c8d0e4f51",
        "type": "loyalty.points_redeemed", "occurredAt": "2026-11-30T09:15:00Z",
        "customerId": "CID-2026-000042", "requestId": "0193a5e2-7c40-7aa0-8e11-5d2f9b3c7a10",
        "data": {"points": 500, "balance": 750, "rewardId": "voucher-50-sar", "entryId": 1234}}))]
    pub struct DomainEvent {
        /// Unique per event (a UUID), the same on every delivery.
        pub id: String,
        /// E.g. `loyalty.points_earned`.
        #[serde(rename = "type")]
        pub kind: String,
        /// RFC 3339.
        pub occurred_at: String,
        /// The standard ID of the customer it is about.
        pub customer_id: Option<String>,
        /// The event's facts (see the API guide per type).
        #[schema(value_type = Object)]
        pub data: Value,
        /// The request that caused it, when a request did (jobs have none).
        pub request_id: Option<String>,
    }

    impl DomainEvent {
        /// Where notifications receives events.
        pub const PATH: &'static str = "/api/customer-id/notifications/events";

        /// What an event must be: an ID, a `<group>.<event>` type, an RFC 3339 time.
        pub fn problems(&self) -> Vec<FieldError> {
            let mut errors = Vec::new();
            if self.id.trim().is_empty() || self.id.len() > MAX_ID {
                errors.push(FieldError::new("id", FieldIssue::InvalidFormat));
            }
            if !is_event_type(&self.kind) {
                errors.push(FieldError::new("type", FieldIssue::InvalidFormat));
            }
            if chrono::DateTime::parse_from_rfc3339(&self.occurred_at).is_err() {
                errors.push(FieldError::new("occurredAt", FieldIssue::InvalidFormat));
            }
            if self
                .customer_id
                .as_ref()
                .is_some_and(|c| c.is_empty() || c.len() > MAX_ID)
            {
                errors.push(FieldError::new("customerId", FieldIssue::InvalidFormat));
            }
            if !self.data.is_object() {
                let expected = "object".to_owned();
                errors.push(FieldError::new("data", FieldIssue::WrongType { expected }));
            }
            errors
        }
    }

    /// `<group>.<event>`: lower-case letters, digits, `_` and `-`, one dot.
    pub fn is_event_type(kind: &str) -> bool {
        let ok = |part: &str| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        };
        kind.len() <= MAX_ID && kind.split_once('.').is_some_and(|(g, e)| ok(g) && ok(e))
    }

    /// A service that reacts to some event types itself (besides notifications, which gets
    /// every event): they are delivered to it too, from the emitter's outbox.
    pub struct Subscriber {
        pub service: &'static str,
        pub path: &'static str,
        pub types: &'static [&'static str],
    }

    pub const SUBSCRIBERS: &[Subscriber] = &[
        Subscriber {
            // Redemptions feed security's redemption-velocity rule.
            service: "security",
            path: "/api/customer-id/security/domain-events",
            types: &[types::POINTS_REDEEMED],
        },
        Subscriber {
            // A purchase or refund can move the customer's segment: recomputed at once, so
            // `segmentation.segment_changed` follows the purchase, not the next read.
            service: "segmentation",
            path: "/api/customer-id/segmentation/domain-events",
            types: &[types::PURCHASE_RECORDED, types::PURCHASE_REFUNDED],
        },
    ];
}

pub mod support {
    //! What the two support services share: the six categories tickets, chats and FAQ
    //! entries are filed under.

    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    use crate::locale::Localized;

    crate::text_enum! {
        /// A support category, stored as text.
        #[derive(Serialize, Deserialize, ToSchema)]
        #[schema(as = SupportCategory)]
        #[serde(rename_all = "lowercase")]
        pub enum Category {
            Account = "account",
            Orders = "orders",
            Payments = "payments",
            Returns = "returns",
            Products = "products",
            Technical = "technical",
        }
    }

    impl Category {
        pub fn name(self) -> Localized {
            match self {
                Self::Account => Localized::new("Account", "الحساب"),
                Self::Orders => Localized::new("Orders", "الطلبات"),
                Self::Payments => Localized::new("Payments", "المدفوعات"),
                Self::Returns => Localized::new("Returns and refunds", "الإرجاع والاسترداد"),
                Self::Products => Localized::new("Products", "المنتجات"),
                Self::Technical => Localized::new("Technical help", "المساعدة التقنية"),
            }
        }
    }
}
