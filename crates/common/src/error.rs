//! The error catalog and the problem+json body (RFC 9457 plus the reference's fields).
//!
//! Every error a client can see has a stable `code`, one HTTP status and a detail text in
//! both languages. Details may carry `{name}` placeholders filled from the error's arguments.

use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Localized};

macro_rules! error_codes {
    ($( $variant:ident = $code:literal, $status:literal, $title:literal,
        $en:literal, $ar:literal; )*) => {
        /// Stable error codes; the string form is part of the API contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $( #[serde(rename = $code)] $variant, )*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $code, )* }
            }

            pub fn status(self) -> u16 {
                match self { $( Self::$variant => $status, )* }
            }

            pub fn title(self) -> &'static str {
                match self { $( Self::$variant => $title, )* }
            }

            pub fn detail(self) -> Localized {
                match self { $( Self::$variant => Localized::new($en, $ar), )* }
            }
        }
    };
}

error_codes! {
    ValidationFailed = "VALIDATION_FAILED", 400, "Invalid request",
        "The request has invalid fields.", "يحتوي الطلب على حقول غير صالحة.";
    MalformedJson = "MALFORMED_JSON", 400, "Malformed JSON",
        "The request body is not valid JSON.", "نص الطلب ليس JSON صالحًا.";
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported media type",
        "Send the request body as application/json.", "أرسل نص الطلب بصيغة application/json.";
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", 413, "Payload too large",
        "The request body is larger than {limit} bytes.", "نص الطلب أكبر من {limit} بايت.";
    MalformedRequest = "MALFORMED_REQUEST", 400, "Malformed request",
        "The request is not valid HTTP/1.1.", "الطلب ليس HTTP/1.1 صالحًا.";
    HeadersTooLarge = "HEADERS_TOO_LARGE", 431, "Headers too large",
        "The request headers are too large.", "ترويسات الطلب كبيرة جدًا.";
    UriTooLong = "URI_TOO_LONG", 414, "URI too long",
        "The request target is longer than {limit} bytes.", "عنوان الطلب أطول من {limit} بايت.";
    Unauthorized = "UNAUTHORIZED", 401, "Authentication required",
        "A valid bearer token is required.", "مطلوب رمز دخول صالح.";
    InvalidToken = "INVALID_TOKEN", 401, "Invalid token",
        "The bearer token is invalid or expired.", "رمز الدخول غير صالح أو منتهي الصلاحية.";
    Forbidden = "FORBIDDEN", 403, "Forbidden",
        "You are not allowed to access this resource.", "غير مسموح لك بالوصول إلى هذا المورد.";
    NotFound = "NOT_FOUND", 404, "Not found",
        "No resource exists at this address.", "لا يوجد مورد على هذا العنوان.";
    MethodNotAllowed = "METHOD_NOT_ALLOWED", 405, "Method not allowed",
        "This method is not allowed on this resource.", "هذه الطريقة غير مسموحة على هذا المورد.";
    TierNotFound = "TIER_NOT_FOUND", 404, "Tier not found",
        "There is no tier named '{tier}'.", "لا يوجد مستوى باسم '{tier}'.";
    EntryNotFound = "ENTRY_NOT_FOUND", 404, "Ledger entry not found",
        "No earning entry matches this order or entry for the customer.",
        "لا يوجد قيد اكتساب يطابق هذا الطلب أو القيد لهذا العميل.";
    CustomerNotFound = "CUSTOMER_NOT_FOUND", 404, "Customer not found",
        "No customer has the ID '{id}'.", "لا يوجد عميل بالمعرف '{id}'.";
    CustomerExists = "CUSTOMER_EXISTS", 409, "Customer exists",
        "User {userId} already has customer ID {customerId}.",
        "المستخدم {userId} لديه معرف العميل {customerId} من قبل.";
    CustomerInactive = "CUSTOMER_INACTIVE", 409, "Customer deactivated",
        "Customer {id} is deactivated.", "تم إلغاء تفعيل العميل {id}.";
    ReferralCodeNotFound = "REFERRAL_CODE_NOT_FOUND", 404, "Referral code not found",
        "No active referral code '{code}' belongs to this customer.",
        "لا يوجد رمز إحالة فعال '{code}' لهذا العميل.";
    SelfReferral = "SELF_REFERRAL", 422, "Self-referral",
        "Customers cannot refer themselves.", "لا يمكن للعميل أن يحيل نفسه.";
    AlreadyReferred = "ALREADY_REFERRED", 409, "Already referred",
        "Customer {customerId} was already referred by someone else.",
        "تمت إحالة العميل {customerId} من قبل شخص آخر.";
    ReferralCompleted = "REFERRAL_COMPLETED", 409, "Referral already completed",
        "The referral of {customerId} is already completed.", "إحالة العميل {customerId} مكتملة من قبل.";
    RewardNotFound = "REWARD_NOT_FOUND", 404, "Reward not found",
        "No reward '{rewardId}' belongs to this customer.",
        "لا توجد مكافأة '{rewardId}' لهذا العميل.";
    RewardAlreadyClaimed = "REWARD_ALREADY_CLAIMED", 409, "Reward already claimed",
        "Reward {rewardId} was already claimed.", "تمت المطالبة بالمكافأة {rewardId} من قبل.";
    RewardNotYetAvailable = "REWARD_NOT_YET_AVAILABLE", 422, "Reward not yet available",
        "Reward {rewardId} can be claimed from {validFrom}.",
        "يمكن المطالبة بالمكافأة {rewardId} ابتداءً من {validFrom}.";
    RewardExpired = "REWARD_EXPIRED", 422, "Reward expired",
        "Reward {rewardId} could be claimed until {validUntil}.",
        "كان يمكن المطالبة بالمكافأة {rewardId} حتى {validUntil}.";
    InsufficientPoints = "INSUFFICIENT_POINTS", 422, "Insufficient points",
        "The balance of {balance} points does not cover the {requested} points requested.",
        "رصيد النقاط {balance} لا يغطي {requested} نقطة مطلوبة.";
    UnsupportedCurrency = "UNSUPPORTED_CURRENCY", 422, "Unsupported currency",
        "Points are earned on amounts in {supported} only.",
        "تكتسب النقاط على المبالغ بعملة {supported} فقط.";
    OrderAlreadyCredited = "ORDER_ALREADY_CREDITED", 409, "Order already credited",
        "Order {orderId} has already earned points.", "الطلب {orderId} اكتسب نقاطًا من قبل.";
    AlreadyReversed = "ALREADY_REVERSED", 409, "Already reversed",
        "These points have already been reversed.", "تم عكس هذه النقاط من قبل.";
    SegmentNotFound = "SEGMENT_NOT_FOUND", 404, "Segment not found",
        "There is no segment named '{segment}'.", "لا توجد شريحة باسم '{segment}'.";
    PurchaseNotFound = "PURCHASE_NOT_FOUND", 404, "Purchase not found",
        "No purchase {orderId} is recorded for this customer.",
        "لا يوجد شراء {orderId} مسجل لهذا العميل.";
    PurchaseConflict = "PURCHASE_CONFLICT", 409, "Purchase conflict",
        "Order {orderId} is already recorded with other details.",
        "الطلب {orderId} مسجل من قبل بتفاصيل أخرى.";
    OfferNotFound = "OFFER_NOT_FOUND", 404, "Offer not found",
        "There is no offer '{offerId}'.", "لا يوجد عرض '{offerId}'.";
    OfferNotActive = "OFFER_NOT_ACTIVE", 422, "Offer not active",
        "Offer {offerId} is valid from {validFrom} until {validUntil}.",
        "العرض {offerId} صالح من {validFrom} حتى {validUntil}.";
    OfferNotEligible = "OFFER_NOT_ELIGIBLE", 422, "Not eligible",
        "Customer {customerId} is not eligible for offer {offerId}.",
        "العميل {customerId} غير مؤهل للعرض {offerId}.";
    BelowMinPurchase = "BELOW_MIN_PURCHASE", 422, "Below minimum purchase",
        "Offer {offerId} needs an order of at least {minPurchase} SAR.",
        "يتطلب العرض {offerId} طلبًا لا يقل عن {minPurchase} ريال.";
    OfferLimitReached = "OFFER_LIMIT_REACHED", 409, "Offer limit reached",
        "Offer {offerId} can be used {limit} time(s) per customer.",
        "يمكن استخدام العرض {offerId} {limit} مرة لكل عميل.";
    OfferBudgetSpent = "OFFER_BUDGET_SPENT", 409, "Offer budget spent",
        "The budget of offer {offerId} is spent.", "نفدت ميزانية العرض {offerId}.";
    RedemptionNotFound = "REDEMPTION_NOT_FOUND", 404, "Redemption not found",
        "No redemption '{redemptionId}' belongs to this customer.",
        "لا يوجد استخدام '{redemptionId}' لهذا العميل.";
    AlreadyRolledBack = "ALREADY_ROLLED_BACK", 409, "Already rolled back",
        "Redemption {redemptionId} was already rolled back.",
        "تم التراجع عن الاستخدام {redemptionId} من قبل.";
    SecurityAlwaysOn = "SECURITY_ALWAYS_ON", 422, "Security notifications are always on",
        "Security notifications cannot be switched off.", "لا يمكن إيقاف إشعارات الأمان.";
    NotificationNotFound = "NOTIFICATION_NOT_FOUND", 404, "Notification not found",
        "No notification '{notificationId}' belongs to this customer.",
        "لا يوجد إشعار '{notificationId}' لهذا العميل.";
    TicketNotFound = "TICKET_NOT_FOUND", 404, "Ticket not found",
        "There is no ticket '{ticketId}'.", "لا توجد تذكرة '{ticketId}'.";
    InvalidStatusTransition = "INVALID_STATUS_TRANSITION", 409, "Status change not allowed",
        "A ticket that is {from} cannot become {to}; allowed: {allowed}.",
        "لا يمكن نقل تذكرة حالتها {from} إلى {to}؛ المسموح: {allowed}.";
    ReopenWindowOver = "REOPEN_WINDOW_OVER", 409, "Too late to reopen",
        "A resolved ticket can be reopened within {days} days of its resolution ({resolvedAt}).",
        "يمكن إعادة فتح التذكرة خلال {days} يومًا من حلها ({resolvedAt}).";
    TicketNotResolved = "TICKET_NOT_RESOLVED", 409, "Ticket not resolved",
        "Ticket {ticketId} can be rated once it is resolved.", "يمكن تقييم التذكرة {ticketId} بعد حلها.";
    AlreadyRated = "ALREADY_RATED", 409, "Already rated",
        "Ticket {ticketId} has been rated already.", "تم تقييم التذكرة {ticketId} من قبل.";
    ChatSessionNotFound = "CHAT_SESSION_NOT_FOUND", 404, "Chat session not found",
        "There is no chat session '{sessionId}'.", "لا توجد جلسة محادثة '{sessionId}'.";
    ChatSessionClosed = "CHAT_SESSION_CLOSED", 409, "Chat session closed",
        "Chat session {sessionId} is closed.", "جلسة المحادثة {sessionId} مغلقة.";
    ChatSessionTaken = "CHAT_SESSION_TAKEN", 409, "Chat session not waiting",
        "Chat session {sessionId} is not waiting for an agent.", "جلسة المحادثة {sessionId} لا تنتظر موظفًا.";
    ChatQueueEmpty = "CHAT_QUEUE_EMPTY", 409, "No chat waiting",
        "No chat session is waiting for an agent.", "لا توجد جلسة محادثة بانتظار موظف.";
    FaqNotFound = "FAQ_NOT_FOUND", 404, "FAQ entry not found",
        "There is no FAQ entry '{entryId}'.", "لا يوجد سؤال شائع '{entryId}'.";
    InvalidCode = "INVALID_CODE", 422, "Invalid code",
        "The code is wrong or was used already.", "الرمز غير صحيح أو استُخدم من قبل.";
    TwoFactorEnabled = "TWO_FACTOR_ENABLED", 409, "Two-factor authentication is on",
        "Two-factor authentication is already on; turn it off before enrolling again.",
        "المصادقة الثنائية مفعلة من قبل؛ أوقفها قبل التسجيل من جديد.";
    TwoFactorNotEnabled = "TWO_FACTOR_NOT_ENABLED", 409, "Two-factor authentication is off",
        "Two-factor authentication is not on for this customer.",
        "المصادقة الثنائية غير مفعلة لهذا العميل.";
    TwoFactorNotEnrolled = "TWO_FACTOR_NOT_ENROLLED", 409, "No enrollment to confirm",
        "Start with 2fa/enable, then confirm with a code from the authenticator app.",
        "ابدأ بـ 2fa/enable ثم أكد برمز من تطبيق المصادقة.";
    TwoFactorLocked = "TWO_FACTOR_LOCKED", 429, "Too many wrong codes",
        "Too many wrong codes: two-factor checks are locked until {until}.",
        "رموز خاطئة كثيرة: التحقق الثنائي مقفل حتى {until}.";
    AlertNotFound = "ALERT_NOT_FOUND", 404, "Alert not found",
        "No alert '{alertId}' belongs to this customer.", "لا يوجد تنبيه '{alertId}' لهذا العميل.";
    AlertResolved = "ALERT_RESOLVED", 409, "Alert already resolved",
        "Alert {alertId} is resolved already.", "التنبيه {alertId} تمت معالجته من قبل.";
    WebhookNotFound = "WEBHOOK_NOT_FOUND", 404, "Webhook not found",
        "There is no webhook subscription '{webhookId}'.", "لا يوجد اشتراك ويب هوك '{webhookId}'.";
    WebhookDeliveryNotFound = "WEBHOOK_DELIVERY_NOT_FOUND", 404, "Webhook delivery not found",
        "Webhook '{webhookId}' has no delivery {deliveryId}.",
        "لا يوجد للويب هوك '{webhookId}' تسليم رقم {deliveryId}.";
    IdempotencyInProgress = "IDEMPOTENCY_IN_PROGRESS", 409, "Request in progress",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        "طلب بنفس مفتاح عدم التكرار ما زال قيد المعالجة؛ أعد المحاولة بعد قليل.";
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED", 422, "Idempotency key reused",
        "This Idempotency-Key was already used with a different request body.",
        "استُخدم مفتاح عدم التكرار هذا من قبل مع نص طلب مختلف.";
    Conflict = "CONFLICT", 409, "Conflict",
        "The request conflicts with the current state.", "يتعارض الطلب مع الحالة الحالية.";
    RateLimited = "RATE_LIMITED", 429, "Too many requests",
        "Too many requests; retry later.", "طلبات كثيرة جدًا؛ أعد المحاولة لاحقًا.";
    InternalError = "INTERNAL_ERROR", 500, "Internal error",
        "An unexpected error occurred.", "حدث خطأ غير متوقع.";
    BadGateway = "BAD_GATEWAY", 502, "Bad gateway",
        "The {service} service gave an invalid answer.", "أعطت خدمة {service} إجابة غير صالحة.";
    ServiceUnavailable = "SERVICE_UNAVAILABLE", 503, "Service unavailable",
        "The {service} service is unavailable; retry later.",
        "خدمة {service} غير متاحة؛ أعد المحاولة لاحقًا.";
    DatabaseUnavailable = "DATABASE_UNAVAILABLE", 503, "Database unavailable",
        "The database is unavailable; retry later.", "قاعدة البيانات غير متاحة؛ أعد المحاولة لاحقًا.";
    GatewayTimeout = "GATEWAY_TIMEOUT", 504, "Gateway timeout",
        "The {service} service did not answer in time.", "لم تستجب خدمة {service} في الوقت المحدد.";
}

impl ErrorCode {
    /// The problem `type` URI: a page of the API guide served by the gateway.
    pub fn type_uri(self) -> String {
        format!("/api/customer-id/docs/errors#{}", self.as_str())
    }

    /// The detail in `locale` with `{name}` placeholders filled from `args`.
    pub fn render(self, locale: Locale, args: &[(String, String)]) -> String {
        let mut text = self.detail().get(locale).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FieldIssue {
    Required,
    UnknownField,
    WrongType {
        expected: String,
    },
    OutOfRange {
        min: i64,
        max: i64,
    },
    InvalidFormat,
    TooLong {
        max: usize,
    },
    OneOf {
        allowed: Vec<String>,
    },
    /// Exactly one of several fields must be given.
    ExactlyOne {
        fields: Vec<String>,
    },
    TooManyDecimals {
        max: u32,
    },
    /// Holds a control character (NUL, an escape, …); see `text::is_forbidden_control`.
    ControlCharacters,
    /// A time that must come after another field's.
    MustBeAfter {
        field: String,
    },
    /// A list longer than allowed.
    TooMany {
        max: usize,
    },
    /// A change that names nothing to change: one of these fields must be given.
    AtLeastOne {
        fields: Vec<String>,
    },
}

impl FieldIssue {
    pub fn message(&self, locale: Locale) -> String {
        match (self, locale) {
            (Self::Required, Locale::En) => "is required".into(),
            (Self::Required, Locale::Ar) => "حقل مطلوب".into(),
            (Self::UnknownField, Locale::En) => "is not a known field".into(),
            (Self::UnknownField, Locale::Ar) => "حقل غير معروف".into(),
            (Self::WrongType { expected }, Locale::En) => format!("must be {expected}"),
            (Self::WrongType { expected }, Locale::Ar) => {
                format!("يجب أن يكون من النوع {}", arabic_type(expected))
            }
            (Self::OutOfRange { min, max }, Locale::En) => {
                format!("must be a whole number from {min} to {max}")
            }
            (Self::OutOfRange { min, max }, Locale::Ar) => {
                format!("يجب أن يكون عددًا صحيحًا من {min} إلى {max}")
            }
            (Self::InvalidFormat, Locale::En) => "has an invalid format".into(),
            (Self::InvalidFormat, Locale::Ar) => "صيغته غير صالحة".into(),
            (Self::TooLong { max }, Locale::En) => format!("must be at most {max} characters"),
            (Self::TooLong { max }, Locale::Ar) => format!("يجب ألا يتجاوز {max} حرفًا"),
            (Self::OneOf { allowed }, Locale::En) => {
                format!("must be one of: {}", allowed.join(", "))
            }
            (Self::OneOf { allowed }, Locale::Ar) => {
                format!("يجب أن يكون أحد القيم: {}", allowed.join("، "))
            }
            (Self::ExactlyOne { fields }, Locale::En) => {
                format!("give exactly one of: {}", fields.join(", "))
            }
            (Self::ExactlyOne { fields }, Locale::Ar) => {
                format!("أرسل واحدًا فقط من: {}", fields.join("، "))
            }
            (Self::TooManyDecimals { max }, Locale::En) => {
                format!("must have at most {max} decimal places")
            }
            (Self::TooManyDecimals { max }, Locale::Ar) => {
                format!("يجب ألا يزيد عن {max} منازل عشرية")
            }
            (Self::ControlCharacters, Locale::En) => "must not contain control characters".into(),
            (Self::ControlCharacters, Locale::Ar) => "يجب ألا يحتوي على محارف تحكم".into(),
            (Self::MustBeAfter { field }, Locale::En) => format!("must be after {field}"),
            (Self::MustBeAfter { field }, Locale::Ar) => format!("يجب أن يكون بعد {field}"),
            (Self::TooMany { max }, Locale::En) => format!("must have at most {max} items"),
            (Self::TooMany { max }, Locale::Ar) => format!("يجب ألا يزيد عن {max} عنصرًا"),
            (Self::AtLeastOne { fields }, Locale::En) => {
                format!("give at least one of: {}", fields.join(", "))
            }
            (Self::AtLeastOne { fields }, Locale::Ar) => {
                format!("أرسل واحدًا على الأقل من: {}", fields.join("، "))
            }
        }
    }
}

fn arabic_type(expected: &str) -> &str {
    match expected {
        "an integer" => "عدد صحيح",
        "a number" => "رقم",
        "a string" => "نص",
        "a boolean" => "قيمة منطقية",
        "an object" => "كائن",
        other => other,
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub issue: FieldIssue,
}

impl FieldError {
    pub fn new(field: impl Into<String>, issue: FieldIssue) -> Self {
        Self {
            field: field.into(),
            issue,
        }
    }
}

/// The wire form of a field error: `{"field": "points", "message": "…"}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details plus the reference implementation's `success` and `error`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub success: bool,
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    pub error: String,
    pub request_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
}

impl Problem {
    pub const CONTENT_TYPE: &'static str = "application/problem+json";

    pub fn build(
        code: ErrorCode,
        locale: Locale,
        args: &[(String, String)],
        fields: &[FieldError],
        request_id: &str,
    ) -> Self {
        let detail = code.render(locale, args);
        Self {
            success: false,
            type_uri: code.type_uri(),
            title: code.title().to_owned(),
            status: code.status(),
            error: detail.clone(),
            detail,
            code: code.as_str().to_owned(),
            request_id: request_id.to_owned(),
            errors: fields
                .iter()
                .map(|f| FieldErrorBody {
                    field: f.field.clone(),
                    message: f.issue.message(locale),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_both_languages_and_a_client_or_server_status() {
        for code in ErrorCode::ALL {
            assert!(!code.detail().en.is_empty() && !code.detail().ar.is_empty());
            assert!((400..600).contains(&code.status()), "{code:?}");
        }
    }

    #[test]
    fn render_fills_placeholders_in_the_requested_language() {
        let args = vec![
            ("balance".into(), "5".into()),
            ("requested".into(), "10".into()),
        ];
        let en = ErrorCode::InsufficientPoints.render(Locale::En, &args);
        let ar = ErrorCode::InsufficientPoints.render(Locale::Ar, &args);
        assert_eq!(
            en,
            "The balance of 5 points does not cover the 10 points requested."
        );
        assert!(ar.contains('5') && ar.contains("10") && !ar.contains('{'));
    }

    #[test]
    fn problem_repeats_detail_as_error_and_names_fields() {
        let fields = [FieldError::new("points", FieldIssue::Required)];
        let p = Problem::build(
            ErrorCode::ValidationFailed,
            Locale::En,
            &[],
            &fields,
            "req-1",
        );
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["error"], json["detail"]);
        assert_eq!(json["code"], "VALIDATION_FAILED");
        assert_eq!(json["errors"][0]["field"], "points");
        assert_eq!(json["errors"][0]["message"], "is required");
        assert_eq!(json["success"], false);
    }
}
