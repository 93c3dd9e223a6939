//! Use cases of the offers service: one transaction each, the offer's row locked first, the
//! clock passed in, rows out. Budgets and per-customer limits are decided under that lock.

use chrono::NaiveDateTime;
use cid_common::contracts::events::types;
use cid_common::contracts::loyalty::{Credit, EarnType, Reversal};
use cid_kit::outbox::{self, Message};
use cid_kit::{ApiError, DbConnection, audit, events};
use serde_json::{Value, json};

use crate::domain::{Eligibility, Facts, RedemptionStatus};
use crate::error::OffersError;
use crate::store::{self, Definition, NewRedemption, Offer, Redemption};

/// The reference a points-multiplier credit carries in loyalty (a rollback reverses it).
pub fn credit_reference(redemption_id: &str) -> String {
    format!("offer-redemption:{redemption_id}")
}

fn record_edit(
    conn: &mut DbConnection,
    offer: &Offer,
    action: &str,
    actor: &audit::Actor,
    before: Option<&Value>,
    after: &Value,
    now: NaiveDateTime,
) -> Result<(), OffersError> {
    let target = format!("offer:{}", offer.offer_id);
    audit::record(conn, actor, action, &target, before, Some(after), now)?;
    Ok(())
}

/// Creates an offer and records it in the audit log (`snapshot` renders an offer for it).
pub fn create(
    conn: &mut DbConnection,
    definition: &Definition,
    actor: &audit::Actor,
    now: NaiveDateTime,
    snapshot: impl Fn(&Offer) -> Value,
) -> Result<Offer, OffersError> {
    let id = uuid::Uuid::now_v7().to_string();
    let offer = store::insert_offer(conn, &id, definition, now)?;
    record_edit(
        conn,
        &offer,
        "offers.offer_created",
        actor,
        None,
        &snapshot(&offer),
        now,
    )?;
    Ok(offer)
}

/// Replaces an offer's definition (its counters stay) and records before and after in the
/// audit log when anything changed.
pub fn update(
    conn: &mut DbConnection,
    offer_id: &str,
    definition: &Definition,
    actor: &audit::Actor,
    now: NaiveDateTime,
    snapshot: impl Fn(&Offer) -> Value,
) -> Result<Offer, OffersError> {
    let before = store::lock_offer(conn, offer_id)?
        .ok_or_else(|| OffersError::NotFound(offer_id.to_owned()))?;
    // A budget may shrink to what is used (spent), never below it.
    if let Some(max) = definition.budget_redemptions
        && max < before.used_redemptions
    {
        return Err(below_used(
            "budget.redemptions",
            before.used_redemptions,
            max,
        ));
    }
    if let Some(max) = definition.budget_amount_minor
        && max < before.used_amount_minor
    {
        return Err(below_used(
            "budget.amount",
            before.used_amount_minor / 100,
            max / 100,
        ));
    }
    let after = store::replace_definition(conn, offer_id, definition, now)?;
    let (b, a) = (snapshot(&before), snapshot(&after));
    if b != a {
        record_edit(
            conn,
            &after,
            "offers.offer_updated",
            actor,
            Some(&b),
            &a,
            now,
        )?;
    }
    Ok(after)
}

fn below_used(field: &str, used: i64, max: i64) -> OffersError {
    OffersError::Api(ApiError::field(
        field,
        cid_common::FieldIssue::OutOfRange {
            min: used,
            max: used.max(max),
        },
    ))
}

/// What an apply asks for.
pub struct Apply<'a> {
    pub offer_id: &'a str,
    pub customer: &'a str,
    pub order_minor: Option<i64>,
    pub facts: Facts,
    pub shipping_fee_minor: i64,
    pub actor: &'a str,
}

/// Applies an offer once: open, targeted, above its minimum, within the customer's limit and
/// the budget; the redemption and any extra points (through the outbox, under the
/// redemption's key) in one transaction.
pub fn apply(
    conn: &mut DbConnection,
    a: &Apply,
    now: NaiveDateTime,
) -> Result<Redemption, OffersError> {
    let offer = store::lock_offer(conn, a.offer_id)?
        .ok_or_else(|| OffersError::NotFound(a.offer_id.to_owned()))?;
    let id = || offer.offer_id.clone();
    if now < offer.valid_from || now >= offer.valid_until {
        return Err(OffersError::NotActive(
            id(),
            offer.valid_from,
            offer.valid_until,
        ));
    }
    match offer.targeting().eligibility(a.customer, &a.facts) {
        Eligibility::Eligible => {}
        Eligibility::NotTargeted => {
            return Err(OffersError::NotEligible {
                offer: id(),
                customer: a.customer.to_owned(),
            });
        }
        Eligibility::Unknown(services) => {
            return Err(OffersError::FactsUnavailable(services[0]));
        }
    }
    if offer.min_purchase_minor > 0 && a.order_minor.is_none_or(|o| o < offer.min_purchase_minor) {
        return Err(OffersError::BelowMinPurchase(
            id(),
            offer.min_purchase_minor,
        ));
    }
    if store::applied_count(conn, &offer.offer_id, a.customer)? >= offer.per_customer_limit {
        return Err(OffersError::LimitReached(id(), offer.per_customer_limit));
    }
    let savings = offer
        .discount()
        .savings(a.order_minor, a.shipping_fee_minor)
        .ok_or_else(|| ApiError::field("orderAmount", cid_common::FieldIssue::Required))?;
    if !offer.budget().allows(savings.savings_minor) {
        return Err(OffersError::BudgetSpent(id()));
    }
    let redemption_id = uuid::Uuid::now_v7().to_string();
    let redemption = store::insert_redemption(
        conn,
        &NewRedemption {
            redemption_id: &redemption_id,
            offer_id: &offer.offer_id,
            customer_id: a.customer,
            discount_type: offer.discount_type.as_str(),
            order_amount_minor: a.order_minor,
            savings_minor: savings.savings_minor,
            extra_points: savings.extra_points,
            status: RedemptionStatus::Applied.as_str(),
            applied_by: a.actor,
            applied_at: now,
        },
    )?;
    store::count_use(conn, &offer.offer_id, savings.savings_minor, 1)?;
    store::count_customer_use(conn, &offer.offer_id, a.customer, 1)?;
    if savings.extra_points > 0 {
        let credit = Credit {
            points: savings.extra_points,
            reason: format!("Offer: {}", offer.texts().title.en),
            earn_type: EarnType::Purchase,
            order_id: Some(credit_reference(&redemption_id)),
        };
        let message = Message::credit(a.customer, &credit, credit_reference(&redemption_id))
            .map_err(ApiError::internal)?;
        outbox::enqueue(conn, &message, now)?;
    }
    let data = json!({"offerId": offer.offer_id, "redemptionId": redemption_id,
        "savings": cid_common::time::major_units(savings.savings_minor),
        "extraPoints": savings.extra_points});
    events::record(conn, types::OFFER_REDEEMED, a.customer, data, None, now)?;
    Ok(redemption)
}

/// Rolls a redemption back once: its budget share and the customer's count are given back,
/// extra points reversed in loyalty through the outbox.
pub fn rollback(
    conn: &mut DbConnection,
    customer: &str,
    redemption_id: &str,
    reason: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<Redemption, OffersError> {
    let not_found = || OffersError::RedemptionNotFound(redemption_id.to_owned());
    let found = store::redemption(conn, redemption_id)?
        .filter(|r| r.customer_id == customer)
        .ok_or_else(not_found)?;
    // The offer's lock orders this rollback with the offer's applies and other rollbacks.
    store::lock_offer(conn, &found.offer_id)?;
    if store::roll_back(conn, redemption_id, actor, reason, now)? == 0 {
        return Err(OffersError::AlreadyRolledBack(redemption_id.to_owned()));
    }
    store::count_use(conn, &found.offer_id, found.savings_minor, -1)?;
    store::count_customer_use(conn, &found.offer_id, customer, -1)?;
    if found.extra_points > 0 {
        let reversal = Reversal {
            order_id: credit_reference(redemption_id),
            reason: format!("Offer rolled back: {reason}"),
        };
        let message = Message::post(
            "loyalty",
            Reversal::path(customer),
            &reversal,
            format!("offer-rollback:{redemption_id}"),
        )
        .map_err(ApiError::internal)?;
        outbox::enqueue(conn, &message, now)?;
    }
    store::redemption(conn, redemption_id)?.ok_or_else(not_found)
}
