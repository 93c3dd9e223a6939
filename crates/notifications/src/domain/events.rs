//! Domain events as notifications sees them: which ones a customer is told about (and with
//! which template), what a well-formed event is, and which URLs may subscribe to them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use cid_common::contracts::events::{DomainEvent, types};
use cid_common::{FieldError, FieldIssue};
use serde_json::Value;

use super::templates::Template;

/// The message a customer gets for `event`, if they get one: points earned, tier upgraded,
/// reward claimed, referral completed, points expired.
pub fn notification_for(
    event: &DomainEvent,
) -> Option<(&'static Template, BTreeMap<String, String>)> {
    let d = &event.data;
    let text = |key: &str| match d.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (key, params): (&str, Vec<(&str, Option<String>)>) = match event.kind.as_str() {
        types::POINTS_EARNED => (
            "points_earned",
            vec![("points", text("points")), ("balance", text("balance"))],
        ),
        types::POINTS_EXPIRED => ("points_expired", vec![("points", text("points"))]),
        types::TIER_CHANGED if text("direction").as_deref() == Some("upgrade") => (
            "tier_upgraded",
            vec![("tier", text("to").map(|t| capitalized(&t)))],
        ),
        types::REWARD_CLAIMED => ("reward_claimed", vec![("reward", text("name"))]),
        types::REFERRAL_COMPLETED => ("referral_completed", vec![("points", text("points"))]),
        types::TICKET_STATUS_CHANGED if text("to").as_deref() == Some("resolved") => {
            ("ticket_resolved", vec![("ticketId", text("ticketId"))])
        }
        types::ALERT_RAISED => ("security_alert_raised", vec![]),
        types::TWO_FACTOR_ENABLED => ("two_factor_enabled", vec![]),
        types::TWO_FACTOR_DISABLED => ("two_factor_disabled", vec![]),
        _ => return None,
    };
    let template = Template::find(key)?;
    let params = params
        .into_iter()
        .map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect::<Option<BTreeMap<_, _>>>()?;
    Some((template, params))
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A subscriber URL: http or https, a host, no credentials in it; loopback, private and
/// link-local addresses (and `localhost`) only when `allow_private`.
pub fn check_url(raw: &str, allow_private: bool) -> Result<(), FieldIssue> {
    let url = url::Url::parse(raw.trim()).map_err(|_| FieldIssue::InvalidFormat)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FieldIssue::OneOf {
            allowed: vec!["http".into(), "https".into()],
        });
    }
    if !url.username().is_empty() || url.password().is_some() || raw.len() > 2000 {
        return Err(FieldIssue::InvalidFormat);
    }
    let private = match url.host() {
        None => return Err(FieldIssue::InvalidFormat),
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost") || d.ends_with(".local")
        }
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
    };
    if private && !allow_private {
        return Err(FieldIssue::OneOf {
            allowed: vec!["a public http(s) address".into()],
        });
    }
    Ok(())
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Event types a subscription lists: known ones or `*`, each once; every bad one is named.
pub fn check_types(wanted: &[String]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if wanted.is_empty() {
        errors.push(FieldError::new("eventTypes", FieldIssue::Required));
    }
    for (i, t) in wanted.iter().enumerate() {
        if t != "*" && !types::ALL.contains(&t.as_str()) {
            let mut allowed: Vec<String> = types::ALL.iter().map(|s| (*s).to_owned()).collect();
            allowed.push("*".into());
            errors.push(FieldError::new(
                format!("eventTypes[{i}]"),
                FieldIssue::OneOf { allowed },
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use cid_common::contracts::events::is_event_type;
    use serde_json::json;

    fn event(kind: &str, data: Value) -> DomainEvent {
        DomainEvent {
            id: "e1".into(),
            kind: kind.into(),
            occurred_at: "2026-11-30T10:00:00Z".into(),
            customer_id: Some("CID-2026-000001".into()),
            data,
            request_id: None,
        }
    }

    #[test]
    fn customers_hear_of_earnings_upgrades_rewards_and_referrals_only() {
        let (t, p) = notification_for(&event(
            types::POINTS_EARNED,
            json!({"points": 150, "balance": 1200}),
        ))
        .unwrap();
        assert_eq!(
            (t.key, p["points"].as_str(), p["balance"].as_str()),
            ("points_earned", "150", "1200")
        );
        let (t, p) = notification_for(&event(
            types::TIER_CHANGED,
            json!({"to": "gold", "direction": "upgrade"}),
        ))
        .unwrap();
        assert_eq!((t.key, p["tier"].as_str()), ("tier_upgraded", "Gold"));
        assert!(
            notification_for(&event(
                types::TIER_CHANGED,
                json!({"to": "bronze", "direction": "downgrade"})
            ))
            .is_none()
        );
        assert!(notification_for(&event(types::SEGMENT_CHANGED, json!({}))).is_none());
        let (t, p) = notification_for(&event(
            types::TICKET_STATUS_CHANGED,
            json!({"ticketId": "TKT-2026-AB", "to": "resolved"}),
        ))
        .unwrap();
        assert_eq!(
            (t.key, p["ticketId"].as_str()),
            ("ticket_resolved", "TKT-2026-AB")
        );
        assert!(
            notification_for(&event(
                types::TICKET_STATUS_CHANGED,
                json!({"ticketId": "T", "to": "closed"})
            ))
            .is_none()
        );
        // Security: a new alert; 2FA switched on or off.
        let (t, _) = notification_for(&event(
            types::ALERT_RAISED,
            json!({"alertId": "ALT-1", "rule": "new_device", "severity": "medium"}),
        ))
        .unwrap();
        assert_eq!(t.key, "security_alert_raised");
        let (t, _) = notification_for(&event(types::TWO_FACTOR_DISABLED, json!({}))).unwrap();
        assert_eq!(t.key, "two_factor_disabled");
        // An event without the facts its message needs sends nothing rather than a broken text.
        assert!(notification_for(&event(types::POINTS_EARNED, json!({"points": 1}))).is_none());
    }

    #[test]
    fn subscriber_urls_are_http_and_public_unless_allowed() {
        assert!(check_url("https://hooks.example.com/cid", false).is_ok());
        assert!(check_url("ftp://example.com/x", false).is_err());
        assert!(check_url("not a url", false).is_err());
        assert!(check_url("https://user:pw@example.com/", false).is_err());
        for private in [
            "http://127.0.0.1:9000/h",
            "http://10.1.2.3/",
            "http://localhost/",
            "http://[::1]/",
            "http://169.254.169.254/latest",
            "http://192.168.1.1/",
        ] {
            assert!(check_url(private, false).is_err(), "{private}");
            assert!(check_url(private, true).is_ok(), "{private}");
        }
    }

    #[test]
    fn event_types_are_checked() {
        assert!(is_event_type("loyalty.points_earned"));
        assert!(!is_event_type("Loyalty.PointsEarned"));
        assert!(!is_event_type("loyalty"));
        assert!(check_types(&["*".into(), types::REWARD_CLAIMED.into()]).is_empty());
        assert_eq!(check_types(&["nope".into()])[0].field, "eventTypes[0]");
    }
}
