//! The bilingual message templates: each names its category and its `{parameters}`, and is
//! written in Arabic and English. A message is rendered once, at send time, in the customer's
//! language.

use std::collections::BTreeMap;

use cid_common::{FieldError, FieldIssue};

use super::Language;
use super::delivery::Category;

/// A template: title and body in each language, with `{name}` placeholders.
#[derive(Debug)]
pub struct Template {
    pub key: &'static str,
    pub category: Category,
    pub en: (&'static str, &'static str),
    pub ar: (&'static str, &'static str),
}

pub const TEMPLATES: &[Template] = &[
    Template {
        key: "points_earned",
        category: Category::LoyaltyUpdates,
        en: (
            "You earned {points} points",
            "Your balance is now {balance} points.",
        ),
        ar: ("ربحت {points} نقطة", "رصيدك الآن {balance} نقطة."),
    },
    Template {
        key: "points_redeemed",
        category: Category::LoyaltyUpdates,
        en: (
            "You redeemed {points} points",
            "Your balance is now {balance} points.",
        ),
        ar: ("استبدلت {points} نقطة", "رصيدك الآن {balance} نقطة."),
    },
    Template {
        key: "points_expired",
        category: Category::LoyaltyUpdates,
        en: (
            "{points} points expired",
            "Points expire a year after you earn them.",
        ),
        ar: (
            "انتهت صلاحية {points} نقطة",
            "تنتهي صلاحية النقاط بعد سنة من كسبها.",
        ),
    },
    Template {
        key: "tier_upgraded",
        category: Category::LoyaltyUpdates,
        en: (
            "Welcome to {tier}",
            "You have reached the {tier} tier. Enjoy its benefits.",
        ),
        ar: (
            "مرحبًا بك في فئة {tier}",
            "وصلت إلى فئة {tier}. استمتع بمزاياها.",
        ),
    },
    Template {
        key: "reward_claimed",
        category: Category::LoyaltyUpdates,
        en: (
            "Your reward is on its way",
            "You claimed your {reward} reward.",
        ),
        ar: ("مكافأتك في الطريق", "حصلت على مكافأة {reward}."),
    },
    Template {
        key: "referral_completed",
        category: Category::LoyaltyUpdates,
        en: (
            "Your friend joined",
            "Your referral is complete: {points} points are yours.",
        ),
        ar: ("انضم صديقك", "اكتملت إحالتك: لك {points} نقطة."),
    },
    Template {
        key: "order_shipped",
        category: Category::OrderUpdates,
        en: ("Order {orderId} has shipped", "Your order is on its way."),
        ar: ("تم شحن الطلب {orderId}", "طلبك في الطريق إليك."),
    },
    Template {
        key: "offer_available",
        category: Category::Promotional,
        en: ("A new offer for you", "{offer} is waiting for you."),
        ar: ("عرض جديد لك", "{offer} بانتظارك."),
    },
    Template {
        key: "ticket_resolved",
        category: Category::OrderUpdates,
        en: (
            "Ticket {ticketId} is resolved",
            "Tell us how we did: rate it in the app.",
        ),
        ar: (
            "تم حل التذكرة {ticketId}",
            "أخبرنا برأيك: قيّمها في التطبيق.",
        ),
    },
    Template {
        key: "security_alert",
        category: Category::Security,
        en: (
            "Security alert",
            "{detail} If this was not you, contact support.",
        ),
        ar: ("تنبيه أمني", "{detail} إذا لم تكن أنت، تواصل مع الدعم."),
    },
    // From the security service's events; the alert itself, in the customer's language, is
    // on the account's security page.
    Template {
        key: "security_alert_raised",
        category: Category::Security,
        en: (
            "New security alert",
            "Something unusual happened on your account. Open its security page to review it; if it was not you, change your password.",
        ),
        ar: (
            "تنبيه أمني جديد",
            "حدث أمر غير معتاد في حسابك. افتح صفحة الأمان لمراجعته؛ وإن لم يكن هذا أنت، غيّر كلمة المرور.",
        ),
    },
    Template {
        key: "two_factor_enabled",
        category: Category::Security,
        en: (
            "Two-factor authentication is on",
            "Keep your recovery codes somewhere safe.",
        ),
        ar: ("المصادقة الثنائية مفعلة", "احفظ رموز الاسترداد في مكان آمن."),
    },
    Template {
        key: "two_factor_disabled",
        category: Category::Security,
        en: (
            "Two-factor authentication is off",
            "If you did not turn it off, change your password and contact support.",
        ),
        ar: (
            "المصادقة الثنائية متوقفة",
            "إن لم توقفها أنت، غيّر كلمة المرور وتواصل مع الدعم.",
        ),
    },
];

impl Template {
    pub fn find(key: &str) -> Option<&'static Template> {
        TEMPLATES.iter().find(|t| t.key == key)
    }

    pub fn keys() -> Vec<String> {
        TEMPLATES.iter().map(|t| t.key.to_owned()).collect()
    }

    /// The names between braces, in order of first use, from both languages.
    pub fn params(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for text in [self.en.0, self.en.1, self.ar.0, self.ar.1] {
            let mut rest = text;
            while let Some(open) = rest.find('{') {
                let after = &rest[open + 1..];
                let Some(close) = after.find('}') else { break };
                let name = &after[..close];
                if !names.contains(&name) {
                    names.push(name);
                }
                rest = &after[close + 1..];
            }
        }
        names
    }

    /// Title and body in `language` with `params` filled in. Every placeholder must have a
    /// value and every value a placeholder; each missing or unknown one is named.
    pub fn render(
        &self,
        language: Language,
        params: &BTreeMap<String, String>,
    ) -> Result<(String, String), Vec<FieldError>> {
        let names = self.params();
        let mut errors: Vec<FieldError> = names
            .iter()
            .filter(|n| !params.contains_key(**n))
            .map(|n| FieldError::new(format!("params.{n}"), FieldIssue::Required))
            .collect();
        errors.extend(
            params
                .keys()
                .filter(|k| !names.contains(&k.as_str()))
                .map(|k| FieldError::new(format!("params.{k}"), FieldIssue::UnknownField)),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        let (title, body) = match language {
            Language::En => self.en,
            Language::Ar => self.ar,
        };
        let fill = |text: &str| {
            params.iter().fold(text.to_owned(), |t, (k, v)| {
                t.replace(&format!("{{{k}}}"), v)
            })
        };
        Ok((fill(title), fill(body)))
    }
}

/// One message carrying several held ones (a digest): a count in the title, one line per
/// message, oldest first.
pub fn digest(language: Language, items: &[(&str, &str)]) -> (String, String) {
    let n = items.len();
    let title = match language {
        Language::En if n == 1 => "Your update".to_owned(),
        Language::En => format!("Your {n} updates"),
        Language::Ar => format!("تحديثاتك ({n})"),
    };
    let body = items
        .iter()
        .map(|(t, m)| format!("• {t}: {m}"))
        .collect::<Vec<_>>()
        .join("\n");
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn every_template_uses_the_same_parameters_in_both_languages() {
        for t in TEMPLATES {
            let names = |texts: [&str; 2]| {
                let mut n: Vec<String> = texts
                    .iter()
                    .flat_map(|s| {
                        s.split('{')
                            .skip(1)
                            .map(|p| p.split('}').next().unwrap_or("").to_owned())
                    })
                    .collect();
                n.sort();
                n.dedup();
                n
            };
            assert_eq!(
                names([t.en.0, t.en.1]),
                names([t.ar.0, t.ar.1]),
                "{}",
                t.key
            );
        }
    }

    #[test]
    fn a_template_renders_in_the_customers_language_and_names_what_is_missing() {
        let t = Template::find("points_earned").unwrap();
        let (title, body) = t
            .render(
                Language::Ar,
                &params(&[("points", "150"), ("balance", "1200")]),
            )
            .unwrap();
        assert_eq!(title, "ربحت 150 نقطة");
        assert_eq!(body, "رصيدك الآن 1200 نقطة.");
        let errors = t
            .render(Language::En, &params(&[("points", "1"), ("colour", "red")]))
            .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["params.balance", "params.colour"]);
    }

    #[test]
    fn a_digest_counts_and_lists_what_it_carries() {
        let (title, body) = digest(Language::En, &[("A", "one"), ("B", "two")]);
        assert_eq!(title, "Your 2 updates");
        assert_eq!(body, "• A: one\n• B: two");
        assert_eq!(digest(Language::Ar, &[("A", "one")]).0, "تحديثاتك (1)");
    }
}
