//! Security events through the rules, alerts, reports and the computed status. An event
//! takes the customer's profile row lock first, so the rules of two events of one customer
//! see each other and one cause raises one alert.

use chrono::{Duration, NaiveDateTime};
use cid_common::contracts::events::types;
use cid_kit::{DbConnection, events};
use serde_json::json;

use crate::domain::risk::{self, State};
use crate::domain::rules::{self, AlertStatus, EventType, Facts, Raised, Rules};
use crate::error::SecurityError;
use crate::store::{self, Alert, Event, NewAlert, NewEvent, Report};

/// Records an event and raises what the rules say; answers the event and the alerts it
/// raised (not those already open for the same cause).
pub fn record_event(
    conn: &mut DbConnection,
    new: &NewEvent,
    rules: &Rules,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<(Event, Vec<Alert>), SecurityError> {
    let customer = new.customer_id.as_str();
    store::ensure_profile(conn, customer, now)?;
    let profile = store::lock_profile(conn, customer)?.ok_or(SecurityError::NotEnabled)?;
    let event = store::insert_event(conn, new)?;
    let at = event.occurred_at;
    let mut facts = Facts {
        event: Some(event.event_type),
        occurred_at: Some(at),
        device: event.device_id.clone(),
        country: event.country.clone(),
        ..Facts::default()
    };
    match event.event_type {
        EventType::LoginFailed => {
            facts.failed_in_window = store::count_events(
                conn,
                customer,
                EventType::LoginFailed,
                rules.failed_window_start(at),
                at,
            )?;
        }
        EventType::Login => {
            if let Some(device) = &event.device_id {
                (facts.device_known, facts.any_device_known) =
                    store::devices_seen(conn, customer, device)?;
                store::remember_device(conn, customer, device, at)?;
            }
            facts.last_login = profile
                .last_login_at
                .map(|t| (t, profile.last_login_country.clone()));
            store::note_login(conn, customer, at, event.country.as_deref())?;
        }
        EventType::DeviceAdded => {
            if let Some(device) = &event.device_id {
                store::remember_device(conn, customer, device, at)?;
            }
        }
        EventType::Redemption => {
            facts.redemptions_in_window = store::count_events(
                conn,
                customer,
                EventType::Redemption,
                rules.redemption_window_start(at),
                at,
            )?;
        }
        _ => {}
    }
    let mut raised = Vec::new();
    for r in rules::evaluate(&facts, rules) {
        if let Some(alert) = raise(conn, customer, r, request_id, now)? {
            raised.push(alert);
        }
    }
    Ok((event, raised))
}

/// Raises an alert unless one is open for the same cause; emits `security.alert_raised`.
pub fn raise(
    conn: &mut DbConnection,
    customer: &str,
    r: Raised,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Option<Alert>, SecurityError> {
    let new = NewAlert {
        alert_id: format!("ALT-{}", uuid::Uuid::now_v7().simple()),
        customer_id: customer.to_owned(),
        rule: r.rule,
        cause: r.cause,
        severity: r.rule.severity(),
        status: AlertStatus::Open,
        details: r.details.to_string(),
        created_at: now,
    };
    let Some(alert) = store::raise(conn, &new)? else {
        return Ok(None);
    };
    events::record(
        conn,
        types::ALERT_RAISED,
        customer,
        json!({"alertId": alert.alert_id, "rule": alert.rule, "severity": alert.severity}),
        Some(request_id),
        now,
    )?;
    Ok(Some(alert))
}

/// Resolves an open alert of `customer` (another customer's is not found).
pub fn resolve_alert(
    conn: &mut DbConnection,
    customer: &str,
    alert_id: &str,
    by: &str,
    note: Option<&str>,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<(Alert, Alert), SecurityError> {
    let before = store::find_alert(conn, alert_id)?
        .filter(|a| a.customer_id == customer)
        .ok_or_else(|| SecurityError::AlertNotFound(alert_id.to_owned()))?;
    if !store::resolve(conn, before.id, by, note, now)? {
        return Err(SecurityError::AlertResolved(alert_id.to_owned()));
    }
    let after = store::find_alert(conn, alert_id)?
        .ok_or_else(|| SecurityError::AlertNotFound(alert_id.to_owned()))?;
    events::record(
        conn,
        types::ALERT_RESOLVED,
        customer,
        json!({"alertId": alert_id, "rule": after.rule}),
        Some(request_id),
        now,
    )?;
    Ok((before, after))
}

/// A customer's report: stored, counted and announced in one transaction.
pub fn report(
    conn: &mut DbConnection,
    customer: &str,
    activity_type: &str,
    description: &str,
    evidence: Option<&str>,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<Report, SecurityError> {
    store::ensure_profile(conn, customer, now)?;
    let id = format!("RPT-{}", uuid::Uuid::now_v7().simple());
    let r = store::insert_report(
        conn,
        &id,
        customer,
        activity_type,
        description,
        evidence,
        now,
    )?;
    store::count_report(conn, customer)?;
    events::record(
        conn,
        types::ACTIVITY_REPORTED,
        customer,
        json!({"reportId": r.report_id, "activityType": r.activity_type}),
        Some(request_id),
        now,
    )?;
    Ok(r)
}

/// What the status and the recommendations are computed from.
pub struct Snapshot {
    pub state: State,
    pub last_login: Option<NaiveDateTime>,
    pub recent: Vec<Alert>,
}

pub fn snapshot(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> Result<Snapshot, SecurityError> {
    let profile = store::profile(conn, customer)?;
    let state = State {
        open: store::open_alerts(conn, customer)?,
        failed_logins_24h: store::count_events(
            conn,
            customer,
            EventType::LoginFailed,
            now - Duration::hours(24),
            now,
        )?,
        reports: profile.as_ref().map_or(0, |p| i64::from(p.reports)),
        two_factor: profile.as_ref().is_some_and(|p| p.two_factor_enabled),
        recovery_codes_left: store::count_unused_codes(conn, customer)?,
    };
    Ok(Snapshot {
        state,
        last_login: profile.and_then(|p| p.last_login_at),
        recent: store::alerts(conn, customer, None, None, 5)?,
    })
}

pub use risk::{level, recommendations, score};

/// Takes in another service's domain event once: a redemption in loyalty is a `redemption`
/// event here, through the same rules. Answers whether it was new.
pub fn take_in(
    conn: &mut DbConnection,
    event: &cid_common::contracts::events::DomainEvent,
    rules: &Rules,
    now: NaiveDateTime,
) -> Result<bool, SecurityError> {
    if !store::first_sight(conn, &event.id, now)? {
        return Ok(false);
    }
    let (Some(customer), true) = (&event.customer_id, event.kind == types::POINTS_REDEEMED) else {
        return Ok(true);
    };
    let occurred_at = chrono::DateTime::parse_from_rfc3339(&event.occurred_at)
        .map(|t| t.naive_utc())
        .unwrap_or(now)
        .min(now);
    let new = NewEvent {
        customer_id: customer.clone(),
        event_type: EventType::Redemption,
        ip_address: None,
        device_id: None,
        country: None,
        occurred_at,
        recorded_at: now,
    };
    let request_id = event.request_id.clone().unwrap_or_default();
    record_event(conn, &new, rules, &request_id, now)?;
    Ok(true)
}
