//! Request and response bodies of the notifications API (camelCase on the wire), in both
//! spellings of a setting: the nested one and the reference's flat keys.

use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Change, Frequency, Language, Preferences, QuietHours, one_of};

/// Channels, each on or off.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Channels {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub push: Option<bool>,
    pub in_app: Option<bool>,
}

/// Categories, each on or off; `security` is always on (false is a 422).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Categories {
    pub promotional: Option<bool>,
    pub order_updates: Option<bool>,
    pub loyalty_updates: Option<bool>,
    pub security: Option<bool>,
}

/// `{"start": "22:00", "end": "07:00", "timeZone": "Asia/Riyadh"}`: no non-security message
/// in between, on the customer's clock (the window may wrap past midnight).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QuietHoursBody {
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$", example = "22:00")]
    pub start: String,
    #[schema(pattern = "^[0-2][0-9]:[0-5][0-9]$", example = "07:00")]
    pub end: String,
    /// An IANA zone name, in any case; returned as the tz database spells it.
    #[schema(example = "Asia/Riyadh")]
    pub time_zone: String,
}

/// `PUT /notifications/{customerId}/preferences`: any subset; what is left out stays. Each
/// flat key is another spelling of a nested setting: given both, they must agree.
/// `quietHours: null` clears quiet hours.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(min_properties = 1)]
#[schema(example = json!({"channels": {"email": true, "sms": false, "push": true, "inApp": true}, "categories": {"promotional": false}, "frequency": "instant", "quietHours": {"start": "22:00", "end": "07:00", "timeZone": "Asia/Riyadh"}, "language": "ar"}))]
pub struct PreferencesRequest {
    pub channels: Option<Channels>,
    pub categories: Option<Categories>,
    pub frequency: Option<Frequency>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<QuietHoursBody>)]
    pub quiet_hours: Option<Option<QuietHoursBody>>,
    pub language: Option<Language>,
    /// = `channels.email`.
    pub email_notifications: Option<bool>,
    /// = `channels.sms`.
    pub sms_notifications: Option<bool>,
    /// = `channels.push`.
    pub push_notifications: Option<bool>,
    /// = `categories.promotional`.
    pub promotional_emails: Option<bool>,
    /// = `categories.orderUpdates`.
    pub order_updates: Option<bool>,
    /// = `categories.loyaltyUpdates`.
    pub loyalty_updates: Option<bool>,
}

/// A key given as `null` is `Some(None)`; a key left out stays `None` (`#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl PreferencesRequest {
    /// The change this body asks for, or every field that is wrong.
    pub fn change(&self) -> Result<Change, Vec<FieldError>> {
        let ch = self.channels.clone().unwrap_or_default();
        let cat = self.categories.clone().unwrap_or_default();
        let mut errors = Vec::new();
        let mut pick = |nested, flat, flat_name: &str, nested_name: &str| {
            one_of(nested, flat, flat_name, nested_name).unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let mut change = Change {
            email: pick(
                ch.email,
                self.email_notifications,
                "emailNotifications",
                "channels.email",
            ),
            sms: pick(
                ch.sms,
                self.sms_notifications,
                "smsNotifications",
                "channels.sms",
            ),
            push: pick(
                ch.push,
                self.push_notifications,
                "pushNotifications",
                "channels.push",
            ),
            in_app: ch.in_app,
            promotional: pick(
                cat.promotional,
                self.promotional_emails,
                "promotionalEmails",
                "categories.promotional",
            ),
            order_updates: pick(
                cat.order_updates,
                self.order_updates,
                "orderUpdates",
                "categories.orderUpdates",
            ),
            loyalty_updates: pick(
                cat.loyalty_updates,
                self.loyalty_updates,
                "loyaltyUpdates",
                "categories.loyaltyUpdates",
            ),
            frequency: self.frequency,
            quiet_hours: None,
            language: self.language,
        };
        match &self.quiet_hours {
            None => {}
            Some(None) => change.quiet_hours = Some(None),
            Some(Some(q)) => {
                match QuietHours::parse(q.start.trim(), q.end.trim(), q.time_zone.trim()) {
                    Ok(q) => change.quiet_hours = Some(Some(q)),
                    Err(e) => errors.extend(e),
                }
            }
        }
        if errors.is_empty() {
            Ok(change)
        } else {
            Err(errors)
        }
    }
}

impl Validate for PreferencesRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = self.change().err().unwrap_or_default();
        let nothing = self.channels.is_none()
            && self.categories.is_none()
            && self.frequency.is_none()
            && self.quiet_hours.is_none()
            && self.language.is_none()
            && [
                self.email_notifications,
                self.sms_notifications,
                self.push_notifications,
                self.promotional_emails,
                self.order_updates,
                self.loyalty_updates,
            ]
            .iter()
            .all(Option::is_none);
        if nothing {
            let fields = [
                "channels",
                "categories",
                "frequency",
                "quietHours",
                "language",
            ];
            let fields = fields.iter().map(|f| (*f).to_owned()).collect();
            errors.push(FieldError::new(
                "channels",
                FieldIssue::AtLeastOne { fields },
            ));
        }
        errors
    }
}

/// The preferences in both spellings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreferencesResponse {
    pub customer_id: String,
    pub channels: Channels,
    pub categories: Categories,
    pub frequency: Frequency,
    pub quiet_hours: Option<QuietHoursBody>,
    pub language: Language,
    pub email_notifications: bool,
    pub sms_notifications: bool,
    pub push_notifications: bool,
    pub promotional_emails: bool,
    pub order_updates: bool,
    pub loyalty_updates: bool,
    /// RFC 3339; null while the customer has the defaults.
    pub updated_at: Option<String>,
}

impl PreferencesResponse {
    pub fn new(customer: String, p: &Preferences, updated_at: Option<String>) -> Self {
        Self {
            customer_id: customer,
            channels: Channels {
                email: Some(p.email),
                sms: Some(p.sms),
                push: Some(p.push),
                in_app: Some(p.in_app),
            },
            categories: Categories {
                promotional: Some(p.promotional),
                order_updates: Some(p.order_updates),
                loyalty_updates: Some(p.loyalty_updates),
                security: Some(true),
            },
            frequency: p.frequency,
            quiet_hours: p.quiet_hours.as_ref().map(|q| QuietHoursBody {
                start: q.start.format("%H:%M").to_string(),
                end: q.end.format("%H:%M").to_string(),
                time_zone: q.zone.name().to_owned(),
            }),
            language: p.language,
            email_notifications: p.email,
            sms_notifications: p.sms,
            push_notifications: p.push,
            promotional_emails: p.promotional,
            order_updates: p.order_updates,
            loyalty_updates: p.loyalty_updates,
            updated_at,
        }
    }
}
