//! Request and response bodies of the security service.

use chrono::NaiveDateTime;
use cid_common::locale::Locale;
use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue};
use cid_kit::json::{Validate, check_text, reported_time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::country;
use crate::domain::risk::Advice;
use crate::domain::rules::{AlertStatus, EventType, Rule, Severity};
use crate::store::{Alert, Event, Report};

/// `{code}`: six digits from the authenticator app, or (where allowed) a recovery code
/// `xxxx-xxxx-xxxx`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = SecurityCodeRequest)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "123456"}))]
pub struct CodeRequest {
    #[schema(min_length = 6, max_length = 32, example = "123456")]
    pub code: String,
}

impl Validate for CodeRequest {
    fn validate(&self) -> Vec<FieldError> {
        if self.code.chars().count() > 32 {
            return vec![FieldError::new("code", FieldIssue::TooLong { max: 32 })];
        }
        Vec::new()
    }
}

/// A new enrollment: what an authenticator app needs, three ways.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentResponse {
    pub customer_id: String,
    /// False until a code confirms the enrollment (`2fa/verify`).
    pub two_factor_enabled: bool,
    /// Base32, no padding: for typing into the app.
    pub secret: String,
    /// `otpauth://totp/<issuer>:<customerId>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_uri: String,
    /// The URI as a QR code: `data:image/svg+xml;base64,…`.
    pub qr_code: String,
    pub issuer: String,
    pub algorithm: &'static str,
    pub digits: u32,
    pub period: i64,
}

/// 2FA on: the recovery codes, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryCodesResponse {
    pub customer_id: String,
    pub two_factor_enabled: bool,
    /// Ten one-time codes; keep them somewhere safe. They are not shown again.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorStateResponse {
    pub customer_id: String,
    pub two_factor_enabled: bool,
}

/// A code the login service checked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityCheckResponse)]
#[serde(rename_all = "camelCase")]
pub struct CheckResponse {
    pub customer_id: String,
    pub valid: bool,
    /// `totp` or `recovery` (a recovery code is used up by the check).
    pub method: &'static str,
    pub recovery_codes_left: i64,
}

/// `POST /security/{customerId}/events` (services).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = SecurityEventRequest)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"type": "login", "ipAddress": "203.0.113.7", "deviceId": "ios-5F2C9A", "country": "SA", "occurredAt": "2026-11-30T09:15:00Z"}))]
pub struct EventRequest {
    /// `login`, `login_failed`, `logout`, `password_change`, `profile_update`,
    /// `device_added`, `payment` or `redemption`.
    #[serde(rename = "type")]
    #[schema(example = "login_failed")]
    pub event_type: String,
    /// IPv4 or IPv6.
    #[schema(max_length = 45, example = "203.0.113.7")]
    pub ip_address: Option<String>,
    #[schema(min_length = 1, max_length = 128)]
    pub device_id: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `SA`.
    #[schema(pattern = "^[A-Za-z]{2}$", example = "SA")]
    pub country: Option<String>,
    /// RFC 3339; at most 5 minutes ahead of the server's clock.
    #[schema(format = DateTime)]
    pub occurred_at: String,
}

/// An event as checked: the wire form's fields parsed.
pub struct CheckedEvent {
    pub event_type: EventType,
    pub ip_address: Option<String>,
    pub device_id: Option<String>,
    pub country: Option<String>,
    pub occurred_at: NaiveDateTime,
}

impl EventRequest {
    /// The event, or every field that is wrong.
    pub fn checked(&self, now: NaiveDateTime) -> Result<CheckedEvent, Vec<FieldError>> {
        let mut errors = Vec::new();
        let event_type = EventType::parse(self.event_type.trim());
        if event_type.is_none() {
            errors.push(FieldError::new(
                "type",
                FieldIssue::OneOf {
                    allowed: EventType::ALL
                        .iter()
                        .map(|t| t.as_str().to_owned())
                        .collect(),
                },
            ));
        }
        let ip = self.ip_address.as_deref().map(str::trim);
        let ip_address = match ip.map(|i| i.parse::<std::net::IpAddr>()) {
            None => None,
            Some(Ok(addr)) => Some(addr.to_string()),
            Some(Err(_)) => {
                errors.push(FieldError::new("ipAddress", FieldIssue::InvalidFormat));
                None
            }
        };
        check_text(
            &mut errors,
            "deviceId",
            self.device_id.as_deref(),
            false,
            128,
        );
        if self
            .device_id
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            errors.push(FieldError::new("deviceId", FieldIssue::Required));
        }
        let country = self
            .country
            .as_deref()
            .map(|c| c.trim().to_ascii_uppercase());
        if country.as_deref().is_some_and(|c| !country::is_assigned(c)) {
            errors.push(FieldError::new("country", FieldIssue::InvalidFormat));
        }
        let occurred_at = reported_time(&mut errors, "occurredAt", self.occurred_at.trim(), now);
        match (event_type, occurred_at) {
            (Some(event_type), Some(occurred_at)) if errors.is_empty() => Ok(CheckedEvent {
                event_type,
                ip_address,
                device_id: self.device_id.as_deref().map(|d| d.trim().to_owned()),
                country,
                occurred_at,
            }),
            _ => Err(errors),
        }
    }
}

impl Validate for EventRequest {}

/// An event as recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityEventResponse)]
#[serde(rename_all = "camelCase")]
pub struct EventResponse {
    pub event_id: i64,
    pub customer_id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub ip_address: Option<String>,
    pub device_id: Option<String>,
    pub country: Option<String>,
    #[schema(format = DateTime)]
    pub occurred_at: String,
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// On `POST` only: the alerts this event raised (none when the same cause is open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts_raised: Option<Vec<AlertResponse>>,
}

impl EventResponse {
    pub fn new(e: &Event) -> Self {
        Self {
            event_id: e.id,
            customer_id: e.customer_id.clone(),
            event_type: e.event_type,
            ip_address: e.ip_address.clone(),
            device_id: e.device_id.clone(),
            country: e.country.clone(),
            occurred_at: rfc3339(e.occurred_at),
            recorded_at: rfc3339(e.recorded_at),
            alerts_raised: None,
        }
    }
}

/// An alert in the caller's language.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityAlertResponse)]
#[serde(rename_all = "camelCase")]
pub struct AlertResponse {
    pub alert_id: String,
    pub rule: Rule,
    pub severity: Severity,
    pub status: AlertStatus,
    pub title: String,
    pub recommended_action: String,
    /// What the rule saw (e.g. `deviceId`, `from`/`to` countries, `failedLogins`).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    pub resolved_by: Option<String>,
    pub note: Option<String>,
}

impl AlertResponse {
    pub fn new(a: &Alert, locale: Locale) -> Self {
        Self {
            alert_id: a.alert_id.clone(),
            rule: a.rule,
            severity: a.severity,
            status: a.status,
            title: a.rule.title(locale).to_owned(),
            recommended_action: a.rule.action(locale).to_owned(),
            details: serde_json::from_str(&a.details).unwrap_or_default(),
            created_at: rfc3339(a.created_at),
            resolved_at: a.resolved_at.map(rfc3339),
            resolved_by: a.resolved_by.clone(),
            note: a.note.clone(),
        }
    }
}

/// `PATCH /security/{customerId}/alerts/{alertId}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = SecurityResolveRequest)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "resolved", "note": "The customer confirmed the new device."}))]
pub struct ResolveRequest {
    /// Only `resolved`.
    #[schema(example = "resolved")]
    pub status: String,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

impl Validate for ResolveRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.status.trim() != "resolved" {
            errors.push(FieldError::new(
                "status",
                FieldIssue::OneOf {
                    allowed: vec!["resolved".into()],
                },
            ));
        }
        check_text(&mut errors, "note", self.note.as_deref(), false, 1000);
        errors
    }
}

cid_common::text_enum! {
    #[derive(Serialize, Deserialize, ToSchema)]
    #[schema(as = SecurityActivityType)]
    #[serde(rename_all = "snake_case")]
    pub enum ActivityType {
        UnauthorizedAccess = "unauthorized_access",
        Phishing = "phishing",
        SuspiciousTransaction = "suspicious_transaction",
        AccountTakeover = "account_takeover",
        Other = "other",
    }
}

/// `POST /security/{customerId}/report`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = SecurityReportRequest)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"activityType": "phishing", "description": "An SMS asked me to confirm my points through a link.", "evidence": "The link: http://marketp1ace.example/points"}))]
pub struct ReportRequest {
    /// `unauthorized_access`, `phishing`, `suspicious_transaction`, `account_takeover` or
    /// `other`.
    pub activity_type: String,
    #[schema(min_length = 1, max_length = 2000)]
    pub description: String,
    /// Free text (links, order numbers, a message's text), up to 2,000 characters.
    #[schema(max_length = 2000)]
    pub evidence: Option<String>,
}

impl ReportRequest {
    pub fn activity(&self) -> Option<ActivityType> {
        ActivityType::parse(self.activity_type.trim())
    }
}

impl Validate for ReportRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.activity().is_none() {
            errors.push(FieldError::new(
                "activityType",
                FieldIssue::OneOf {
                    allowed: ActivityType::ALL
                        .iter()
                        .map(|t| t.as_str().to_owned())
                        .collect(),
                },
            ));
        }
        check_text(
            &mut errors,
            "description",
            Some(&self.description),
            true,
            2000,
        );
        check_text(
            &mut errors,
            "evidence",
            self.evidence.as_deref(),
            false,
            2000,
        );
        errors
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityReportResponse)]
#[serde(rename_all = "camelCase")]
pub struct ReportResponse {
    pub report_id: String,
    pub customer_id: String,
    pub activity_type: String,
    pub description: String,
    pub evidence: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl ReportResponse {
    pub fn new(r: &Report) -> Self {
        Self {
            report_id: r.report_id.clone(),
            customer_id: r.customer_id.clone(),
            activity_type: r.activity_type.clone(),
            description: r.description.clone(),
            evidence: r.evidence.clone(),
            created_at: rfc3339(r.created_at),
        }
    }
}

/// `GET /security/{customerId}/status`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityStatusResponse)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub customer_id: String,
    /// From `riskScore`: `high` from 60, `medium` from 25, else `low`.
    pub overall_risk: Severity,
    /// 0–100; the formula is in the API guide.
    pub risk_score: i64,
    pub two_factor_enabled: bool,
    #[schema(format = DateTime)]
    pub last_login: Option<String>,
    /// Open alerts.
    pub suspicious_activities: i64,
    pub failed_logins_last_24h: i64,
    /// The five latest alerts, open or resolved.
    pub recent_alerts: Vec<AlertResponse>,
}

/// One recommendation in the caller's language, most urgent first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SecurityRecommendationResponse)]
#[serde(rename_all = "camelCase")]
pub struct RecommendationResponse {
    pub id: Advice,
    pub priority: Severity,
    pub title: String,
    pub description: String,
}
