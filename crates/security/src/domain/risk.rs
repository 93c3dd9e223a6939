//! The risk score and the recommendations, pure, from the customer's current state.
//!
//! `riskScore = min(100, 40 × open high alerts + 20 × open medium + 10 × open low
//!   + 2 × failed logins in the last 24 hours (at most 20) + 10 × reports (at most 20)
//!   + 10 when two-factor authentication is off)`;
//! `overallRisk` is `high` from 60, `medium` from 25, else `low`.

use cid_common::locale::Locale;

use super::rules::{Rule, Severity};

/// What the score and the recommendations read.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Rules of the open alerts, with their severity.
    pub open: Vec<(Rule, Severity)>,
    pub failed_logins_24h: i64,
    pub reports: i64,
    pub two_factor: bool,
    pub recovery_codes_left: i64,
}

pub fn score(s: &State) -> i64 {
    let alerts: i64 = s
        .open
        .iter()
        .map(|(_, sev)| match sev {
            Severity::High => 40,
            Severity::Medium => 20,
            Severity::Low => 10,
        })
        .sum();
    let failed = (2 * s.failed_logins_24h).min(20);
    let reports = (10 * s.reports).min(20);
    let no_2fa = if s.two_factor { 0 } else { 10 };
    (alerts + failed + reports + no_2fa).min(100)
}

pub fn level(score: i64) -> Severity {
    match score {
        60.. => Severity::High,
        25.. => Severity::Medium,
        _ => Severity::Low,
    }
}

cid_common::text_enum! {
    #[derive(serde::Serialize, utoipa::ToSchema)]
    #[schema(as = SecurityAdvice)]
    #[serde(rename_all = "snake_case")]
    pub enum Advice {
        EnableTwoFactor = "enable_two_factor",
        ChangePassword = "change_password",
        ReviewDevices = "review_devices",
        ReviewSignIns = "review_sign_ins",
        ReviewRedemptions = "review_redemptions",
        NewRecoveryCodes = "new_recovery_codes",
        AllGood = "all_good",
    }
}

impl Advice {
    pub fn priority(self) -> Severity {
        match self {
            Self::EnableTwoFactor | Self::ChangePassword => Severity::High,
            Self::ReviewDevices | Self::ReviewSignIns | Self::ReviewRedemptions => Severity::Medium,
            Self::NewRecoveryCodes | Self::AllGood => Severity::Low,
        }
    }

    pub fn text(self, locale: Locale) -> (&'static str, &'static str) {
        match (self, locale) {
            (Self::EnableTwoFactor, Locale::En) => (
                "Turn on two-factor authentication",
                "A code from an authenticator app keeps your account safe even if your password leaks.",
            ),
            (Self::EnableTwoFactor, Locale::Ar) => (
                "فعّل المصادقة الثنائية",
                "رمز من تطبيق المصادقة يحمي حسابك حتى لو تسربت كلمة المرور.",
            ),
            (Self::ChangePassword, Locale::En) => (
                "Change your password",
                "Your account shows signs of someone else trying to use it.",
            ),
            (Self::ChangePassword, Locale::Ar) => (
                "غيّر كلمة المرور",
                "يظهر في حسابك ما يدل على محاولة شخص آخر استخدامه.",
            ),
            (Self::ReviewDevices, Locale::En) => (
                "Review your devices",
                "A device you may not know signed in to your account.",
            ),
            (Self::ReviewDevices, Locale::Ar) => {
                ("راجع أجهزتك", "سجّل جهاز قد لا تعرفه الدخول إلى حسابك.")
            }
            (Self::ReviewSignIns, Locale::En) => (
                "Review recent sign-ins",
                "There were failed sign-ins or sign-ins from another country.",
            ),
            (Self::ReviewSignIns, Locale::Ar) => (
                "راجع عمليات الدخول الأخيرة",
                "حدثت محاولات دخول فاشلة أو دخول من دولة أخرى.",
            ),
            (Self::ReviewRedemptions, Locale::En) => (
                "Review your point redemptions",
                "Points were redeemed unusually often.",
            ),
            (Self::ReviewRedemptions, Locale::Ar) => (
                "راجع عمليات استبدال النقاط",
                "استُبدلت النقاط بكثرة غير معتادة.",
            ),
            (Self::NewRecoveryCodes, Locale::En) => (
                "Get new recovery codes",
                "Few of your recovery codes are left.",
            ),
            (Self::NewRecoveryCodes, Locale::Ar) => (
                "احصل على رموز استرداد جديدة",
                "بقي لديك القليل من رموز الاسترداد.",
            ),
            (Self::AllGood, Locale::En) => (
                "Your account looks secure",
                "Nothing needs your attention now.",
            ),
            (Self::AllGood, Locale::Ar) => ("حسابك يبدو آمنًا", "لا شيء يحتاج انتباهك الآن."),
        }
    }
}

/// What the customer should do now, most urgent first.
pub fn recommendations(s: &State) -> Vec<Advice> {
    let has = |r: Rule| s.open.iter().any(|(rule, _)| *rule == r);
    let mut out = Vec::new();
    if !s.two_factor {
        out.push(Advice::EnableTwoFactor);
    }
    if level(score(s)) == Severity::High
        || has(Rule::FailedLogins)
        || has(Rule::CountryChange)
        || has(Rule::TwoFactorLockout)
    {
        out.push(Advice::ChangePassword);
    }
    if has(Rule::NewDevice) {
        out.push(Advice::ReviewDevices);
    }
    if has(Rule::FailedLogins) || has(Rule::CountryChange) {
        out.push(Advice::ReviewSignIns);
    }
    if has(Rule::RedemptionVelocity) {
        out.push(Advice::ReviewRedemptions);
    }
    if s.two_factor && s.recovery_codes_left <= 2 {
        out.push(Advice::NewRecoveryCodes);
    }
    if out.is_empty() {
        out.push(Advice::AllGood);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_follows_the_formula_and_caps_at_100() {
        let mut s = State::default();
        assert_eq!(score(&s), 10, "2FA off");
        s.two_factor = true;
        assert_eq!(score(&s), 0);
        s.failed_logins_24h = 5;
        assert_eq!(score(&s), 10);
        s.open.push((Rule::FailedLogins, Severity::High));
        assert_eq!(score(&s), 50);
        assert_eq!(level(50), Severity::Medium);
        s.two_factor = false;
        assert_eq!(level(score(&s)), Severity::High);
        s.reports = 9;
        s.failed_logins_24h = 99;
        s.open.push((Rule::NewDevice, Severity::Medium));
        assert_eq!(score(&s), 100);
        assert_eq!(level(24), Severity::Low);
        assert_eq!(level(25), Severity::Medium);
    }

    #[test]
    fn recommendations_follow_the_state() {
        let mut s = State {
            two_factor: true,
            recovery_codes_left: 10,
            ..State::default()
        };
        assert_eq!(recommendations(&s), [Advice::AllGood]);
        s.two_factor = false;
        assert_eq!(recommendations(&s), [Advice::EnableTwoFactor]);
        s.open.push((Rule::FailedLogins, Severity::High));
        assert_eq!(
            recommendations(&s),
            [
                Advice::EnableTwoFactor,
                Advice::ChangePassword,
                Advice::ReviewSignIns
            ]
        );
        s = State {
            two_factor: true,
            recovery_codes_left: 2,
            open: vec![(Rule::NewDevice, Severity::Medium)],
            ..State::default()
        };
        assert_eq!(
            recommendations(&s),
            [Advice::ReviewDevices, Advice::NewRecoveryCodes]
        );
    }
}
