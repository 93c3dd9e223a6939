//! The fraud rules over security events, pure: what an event and the customer's recent
//! history say, in; the alerts to raise, out. Each alert has a cause; at most one alert per
//! customer, rule and cause is open at a time (the store enforces it), so a burst of events
//! raises one alert, not a storm.

use chrono::{Duration, NaiveDateTime};
use cid_common::locale::Locale;
use serde_json::{Value, json};

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = SecurityEventType)]
    #[serde(rename_all = "snake_case")]
    pub enum EventType {
        Login = "login",
        LoginFailed = "login_failed",
        Logout = "logout",
        PasswordChange = "password_change",
        ProfileUpdate = "profile_update",
        DeviceAdded = "device_added",
        Payment = "payment",
        Redemption = "redemption",
    }
}

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema, PartialOrd, Ord)]
    #[schema(as = AlertSeverity)]
    #[serde(rename_all = "lowercase")]
    pub enum Severity {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = AlertStatus)]
    #[serde(rename_all = "lowercase")]
    pub enum AlertStatus {
        Open = "open",
        Resolved = "resolved",
    }
}

cid_common::text_enum! {
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[schema(as = AlertRule)]
    #[serde(rename_all = "snake_case")]
    pub enum Rule {
        FailedLogins = "failed_logins",
        NewDevice = "new_device",
        CountryChange = "country_change",
        RedemptionVelocity = "redemption_velocity",
        TwoFactorLockout = "two_factor_lockout",
    }
}

impl Rule {
    pub fn severity(self) -> Severity {
        match self {
            Self::NewDevice => Severity::Medium,
            _ => Severity::High,
        }
    }

    pub fn title(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Self::FailedLogins, Locale::En) => "Repeated failed sign-ins",
            (Self::FailedLogins, Locale::Ar) => "محاولات دخول فاشلة متكررة",
            (Self::NewDevice, Locale::En) => "Sign-in from a new device",
            (Self::NewDevice, Locale::Ar) => "تسجيل دخول من جهاز جديد",
            (Self::CountryChange, Locale::En) => "Sign-ins from two countries in a short time",
            (Self::CountryChange, Locale::Ar) => "تسجيل دخول من دولتين خلال وقت قصير",
            (Self::RedemptionVelocity, Locale::En) => "Unusually many point redemptions",
            (Self::RedemptionVelocity, Locale::Ar) => "استبدال نقاط بعدد غير معتاد",
            (Self::TwoFactorLockout, Locale::En) => "Too many wrong verification codes",
            (Self::TwoFactorLockout, Locale::Ar) => "رموز تحقق خاطئة كثيرة",
        }
    }

    pub fn action(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Self::FailedLogins, Locale::En) => {
                "If these were not you, change your password and turn on two-factor authentication."
            }
            (Self::FailedLogins, Locale::Ar) => {
                "إن لم تكن أنت، غيّر كلمة المرور وفعّل المصادقة الثنائية."
            }
            (Self::NewDevice, Locale::En) => {
                "If you do not recognise this device, change your password and review your devices."
            }
            (Self::NewDevice, Locale::Ar) => {
                "إن لم تتعرف على هذا الجهاز، غيّر كلمة المرور وراجع أجهزتك."
            }
            (Self::CountryChange, Locale::En) => {
                "If you did not travel, change your password now and sign out everywhere."
            }
            (Self::CountryChange, Locale::Ar) => {
                "إن لم تكن مسافرًا، غيّر كلمة المرور الآن وسجّل الخروج من كل الأجهزة."
            }
            (Self::RedemptionVelocity, Locale::En) => {
                "If you did not redeem these points, contact support to freeze redemptions."
            }
            (Self::RedemptionVelocity, Locale::Ar) => {
                "إن لم تستبدل هذه النقاط، تواصل مع الدعم لإيقاف الاستبدال."
            }
            (Self::TwoFactorLockout, Locale::En) => {
                "Someone may know your password: change it, and use a recovery code if you lost your authenticator."
            }
            (Self::TwoFactorLockout, Locale::Ar) => {
                "قد يعرف أحدهم كلمة مرورك: غيّرها، واستخدم رمز استرداد إن فقدت تطبيق المصادقة."
            }
        }
    }
}

/// Thresholds of the rules (`[security.rules]`).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// This many failed logins within `failed_login_minutes` raise a high alert.
    pub failed_logins: i64,
    pub failed_login_minutes: i64,
    /// A login from another country than the last login within this many hours: high.
    pub country_change_hours: i64,
    /// More than this many redemptions within `redemption_minutes`: high.
    pub max_redemptions: i64,
    pub redemption_minutes: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            failed_logins: 5,
            failed_login_minutes: 15,
            country_change_hours: 2,
            max_redemptions: 10,
            redemption_minutes: 60,
        }
    }
}

impl Rules {
    pub fn failed_window_start(&self, at: NaiveDateTime) -> NaiveDateTime {
        at - Duration::minutes(self.failed_login_minutes)
    }

    pub fn redemption_window_start(&self, at: NaiveDateTime) -> NaiveDateTime {
        at - Duration::minutes(self.redemption_minutes)
    }
}

/// What the rules look at for one event.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub event: Option<EventType>,
    pub occurred_at: Option<NaiveDateTime>,
    pub device: Option<String>,
    /// The device was seen for this customer before.
    pub device_known: bool,
    /// Any device was seen for this customer before (the first one is not "new").
    pub any_device_known: bool,
    pub country: Option<String>,
    /// The latest login before this one: when and from where.
    pub last_login: Option<(NaiveDateTime, Option<String>)>,
    /// Failed logins in the window ending at this event, this one included.
    pub failed_in_window: i64,
    /// Redemptions in the window ending at this event, this one included.
    pub redemptions_in_window: i64,
}

/// An alert to raise: its rule, its cause (one open alert per cause) and what it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Raised {
    pub rule: Rule,
    pub cause: String,
    pub details: Value,
}

pub fn evaluate(f: &Facts, rules: &Rules) -> Vec<Raised> {
    let mut out = Vec::new();
    let (Some(event), Some(at)) = (f.event, f.occurred_at) else {
        return out;
    };
    match event {
        EventType::LoginFailed if f.failed_in_window >= rules.failed_logins => out.push(Raised {
            rule: Rule::FailedLogins,
            cause: "failed_logins".into(),
            details: json!({"failedLogins": f.failed_in_window,
                "windowMinutes": rules.failed_login_minutes}),
        }),
        EventType::Login => {
            if let Some(device) = &f.device
                && !f.device_known
                && f.any_device_known
            {
                out.push(Raised {
                    rule: Rule::NewDevice,
                    cause: format!("device:{device}"),
                    details: json!({"deviceId": device}),
                });
            }
            if let (Some(country), Some((last_at, Some(last_country)))) =
                (&f.country, &f.last_login)
                && country != last_country
                && (at - *last_at).num_seconds().abs() <= rules.country_change_hours * 3600
            {
                out.push(Raised {
                    rule: Rule::CountryChange,
                    cause: format!("country:{last_country}>{country}"),
                    details: json!({"from": last_country, "to": country,
                        "minutesApart": (at - *last_at).num_minutes().abs()}),
                });
            }
        }
        EventType::Redemption if f.redemptions_in_window > rules.max_redemptions => {
            out.push(Raised {
                rule: Rule::RedemptionVelocity,
                cause: "redemptions".into(),
                details: json!({"redemptions": f.redemptions_in_window,
                    "windowMinutes": rules.redemption_minutes}),
            });
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + min * 60, 0)
            .unwrap()
            .naive_utc()
    }

    fn facts(event: EventType) -> Facts {
        Facts {
            event: Some(event),
            occurred_at: Some(at(0)),
            ..Facts::default()
        }
    }

    #[test]
    fn the_fifth_failed_login_in_the_window_raises_a_high_alert() {
        let r = Rules::default();
        let mut f = facts(EventType::LoginFailed);
        f.failed_in_window = 4;
        assert!(evaluate(&f, &r).is_empty());
        f.failed_in_window = 5;
        let raised = evaluate(&f, &r);
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].rule, Rule::FailedLogins);
        assert_eq!(raised[0].rule.severity(), Severity::High);
    }

    #[test]
    fn a_login_from_an_unseen_device_is_new_unless_it_is_the_first() {
        let r = Rules::default();
        let mut f = facts(EventType::Login);
        f.device = Some("d2".into());
        assert!(evaluate(&f, &r).is_empty(), "the first device");
        f.any_device_known = true;
        let raised = evaluate(&f, &r);
        assert_eq!(
            (raised[0].rule, raised[0].cause.as_str()),
            (Rule::NewDevice, "device:d2")
        );
        assert_eq!(raised[0].rule.severity(), Severity::Medium);
        f.device_known = true;
        assert!(evaluate(&f, &r).is_empty(), "seen before");
    }

    #[test]
    fn another_country_within_two_hours_of_the_last_login_is_high() {
        let r = Rules::default();
        let mut f = facts(EventType::Login);
        f.country = Some("AE".into());
        f.last_login = Some((at(-119), Some("SA".into())));
        let raised = evaluate(&f, &r);
        assert_eq!(
            (raised[0].rule, raised[0].cause.as_str()),
            (Rule::CountryChange, "country:SA>AE")
        );
        f.last_login = Some((at(-121), Some("SA".into())));
        assert!(evaluate(&f, &r).is_empty(), "long enough to travel");
        f.last_login = Some((at(-10), Some("AE".into())));
        assert!(evaluate(&f, &r).is_empty(), "same country");
    }

    #[test]
    fn redemptions_over_the_limit_are_high() {
        let r = Rules::default();
        let mut f = facts(EventType::Redemption);
        f.redemptions_in_window = 10;
        assert!(evaluate(&f, &r).is_empty());
        f.redemptions_in_window = 11;
        assert_eq!(evaluate(&f, &r)[0].rule, Rule::RedemptionVelocity);
    }

    #[test]
    fn every_rule_has_a_title_and_an_action_in_both_languages() {
        for rule in Rule::ALL {
            for l in [Locale::En, Locale::Ar] {
                assert!(!rule.title(l).is_empty() && !rule.action(l).is_empty());
            }
        }
    }
}
