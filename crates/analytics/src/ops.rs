//! Use cases of the analytics service: one transaction each (the customer's figures row locked
//! first, so concurrent writes for one customer queue), the clock passed in, rows out.

use chrono::{Months, NaiveDateTime};
use cid_common::contracts::events::types;
use cid_kit::{DbConnection, events};
use diesel::QueryResult;
use serde_json::json;

use crate::domain::{self, EventType, PurchaseStatus};
use crate::error::AnalyticsError;
use crate::store::{self, Figures, NewPurchase, Purchase};

/// A purchase as posted (validated).
#[derive(Debug, Clone)]
pub struct PurchaseInput {
    pub order_id: String,
    pub amount_minor: i64,
    pub category: String,
    pub purchased_at: NaiveDateTime,
    pub status: PurchaseStatus,
}

/// What posting a purchase did.
#[derive(Debug, Clone)]
pub enum Recorded {
    Created(Purchase),
    /// The same order again with the same details: nothing changed.
    Replayed(Purchase),
    /// A recorded order posted as refunded: every figure now leaves it out.
    Refunded(Purchase),
}

impl Recorded {
    pub fn purchase(&self) -> &Purchase {
        match self {
            Self::Created(p) | Self::Replayed(p) | Self::Refunded(p) => p,
        }
    }
}

/// Records a purchase of `customer` (standard ID), or replays or refunds a recorded one.
pub fn record_purchase(
    conn: &mut DbConnection,
    customer: &str,
    input: &PurchaseInput,
    now: NaiveDateTime,
) -> Result<Recorded, AnalyticsError> {
    let mut figures = store::figures::lock(conn, customer, now)?;
    let existing = store::purchases::by_order(conn, customer, &input.order_id)?;
    let key = domain::category_key(&input.category);
    let same = |p: &Purchase| {
        p.amount_minor == input.amount_minor
            && p.category_key == key
            && p.purchased_at == input.purchased_at
    };
    let recorded = match (existing, input.status) {
        (None, PurchaseStatus::Refunded) => {
            return Err(AnalyticsError::PurchaseNotFound(input.order_id.clone()));
        }
        (None, PurchaseStatus::Completed) => {
            let new = NewPurchase {
                customer_id: customer.to_owned(),
                order_id: input.order_id.clone(),
                amount_minor: input.amount_minor,
                currency: domain::CURRENCY.to_owned(),
                category: input.category.trim().to_owned(),
                category_key: key,
                status: PurchaseStatus::Completed,
                purchased_at: input.purchased_at,
                refunded_at: None,
                created_at: now,
            };
            let purchase = store::purchases::insert(conn, &new)?;
            count(conn, &mut figures, &purchase, 1)?;
            figures.first_purchase_at = Some(
                figures
                    .first_purchase_at
                    .map_or(purchase.purchased_at, |t| t.min(purchase.purchased_at)),
            );
            figures.last_purchase_at = Some(
                figures
                    .last_purchase_at
                    .map_or(purchase.purchased_at, |t| t.max(purchase.purchased_at)),
            );
            Recorded::Created(purchase)
        }
        // A refund names the order and its amount; a repeat of the purchase must match it all.
        (Some(p), PurchaseStatus::Refunded) if p.amount_minor != input.amount_minor => {
            return Err(AnalyticsError::PurchaseConflict(input.order_id.clone()));
        }
        (Some(p), PurchaseStatus::Completed) if !same(&p) => {
            return Err(AnalyticsError::PurchaseConflict(input.order_id.clone()));
        }
        (Some(p), PurchaseStatus::Completed) => Recorded::Replayed(p),
        (Some(p), PurchaseStatus::Refunded) if p.status == PurchaseStatus::Refunded => {
            Recorded::Replayed(p)
        }
        (Some(p), PurchaseStatus::Refunded) => {
            store::purchases::mark_refunded(conn, p.id, now)?;
            count(conn, &mut figures, &p, -1)?;
            (figures.first_purchase_at, figures.last_purchase_at) =
                store::purchases::first_and_last(conn, customer)?;
            Recorded::Refunded(store::purchases::by_id(conn, p.id)?)
        }
    };
    figures.updated_at = now;
    store::figures::save(conn, customer, &figures)?;
    let kind = match &recorded {
        Recorded::Created(_) => Some(types::PURCHASE_RECORDED),
        Recorded::Refunded(_) => Some(types::PURCHASE_REFUNDED),
        Recorded::Replayed(_) => None,
    };
    if let Some(kind) = kind {
        let p = recorded.purchase();
        let data = json!({"orderId": p.order_id, "amount": cid_common::time::major_units(p.amount_minor),
            "currency": p.currency, "category": p.category});
        events::record(conn, kind, customer, data, None, now)?;
    }
    Ok(recorded)
}

/// Adds (`sign` 1) or takes away (`sign` -1) one purchase from every figure.
fn count(
    conn: &mut DbConnection,
    figures: &mut Figures,
    p: &Purchase,
    sign: i64,
) -> QueryResult<()> {
    figures.purchases += sign;
    figures.spent_minor += sign * p.amount_minor;
    let month = domain::month_key(p.purchased_at);
    store::figures::add_to_month(conn, &p.customer_id, &month, sign, sign * p.amount_minor)?;
    store::figures::add_to_day(conn, &p.customer_id, &domain::day_key(p.purchased_at), sign)?;
    store::figures::add_to_category(
        conn,
        &p.customer_id,
        (&p.category_key, &p.category),
        sign,
        sign * p.amount_minor,
    )
}

/// Records an engagement event and counts it.
pub fn record_event(
    conn: &mut DbConnection,
    customer: &str,
    event: EventType,
    occurred_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mut figures = store::figures::lock(conn, customer, now)?;
    store::purchases::insert_event(conn, customer, event, occurred_at, now)?;
    match event {
        EventType::Visit => figures.visits += 1,
        EventType::Review => figures.reviews += 1,
        EventType::Login => figures.logins += 1,
        EventType::Share => figures.shares += 1,
    }
    figures.updated_at = now;
    store::figures::save(conn, customer, &figures)
}

/// A customer's figures as the summary shows them.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub figures: Figures,
    /// `(name, purchases, spent)` per category with completed purchases.
    pub categories: Vec<(String, i64, i64)>,
    /// Completed purchases and spend of the current month and the eleven before.
    pub last_year: (i64, i64),
}

/// Reads a customer's figures: a handful of rows by key, whatever their history.
pub fn summary(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<Summary> {
    Ok(Summary {
        figures: figures_of(conn, customer, now)?,
        last_year: last_year(conn, customer, now)?,
        categories: store::figures::categories(conn, customer)?,
    })
}

/// The customer's figures row, zeros for a customer with none.
fn figures_of(conn: &mut DbConnection, customer: &str, now: NaiveDateTime) -> QueryResult<Figures> {
    Ok(
        store::figures::find(conn, customer)?.unwrap_or_else(|| Figures {
            customer_id: customer.to_owned(),
            updated_at: now,
            ..Figures::default()
        }),
    )
}

/// Completed purchases and spend of the current month and the eleven before.
fn last_year(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<(i64, i64)> {
    let from = domain::month_key(now.checked_sub_months(Months::new(11)).unwrap_or(now));
    Ok(store::figures::months_from(conn, customer, &from)?
        .into_iter()
        .fold((0, 0), |(n, m), (_, p, s)| (n + p, m + s)))
}

/// One calendar month of a trend: `(year, month, purchases, spent)`, empty months included.
pub type MonthFigures = (i32, u32, i64, i64);

/// The last `months` calendar months of completed purchases, oldest first.
pub fn trends(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
    months: u32,
) -> QueryResult<Vec<MonthFigures>> {
    let window = domain::month_window(now, months);
    let Some(&(year, month)) = window.first() else {
        return Ok(Vec::new());
    };
    let stored = store::figures::months_from(conn, customer, &format!("{year:04}-{month:02}"))?;
    Ok(window
        .into_iter()
        .map(|(y, m)| {
            let key = format!("{y:04}-{m:02}");
            let (purchases, spent) = stored
                .iter()
                .find(|(k, _, _)| *k == key)
                .map_or((0, 0), |(_, p, s)| (*p, *s));
            (y, m, purchases, spent)
        })
        .collect())
}

/// Completed purchases per category, the most spent first: `(name, purchases, spent)`.
pub fn breakdown(conn: &mut DbConnection, customer: &str) -> QueryResult<Vec<(String, i64, i64)>> {
    let mut categories = store::figures::categories(conn, customer)?;
    categories.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    Ok(categories)
}

/// What segmentation classifies a customer by.
pub fn activity(
    conn: &mut DbConnection,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<cid_common::contracts::analytics::CustomerActivity> {
    let figures = figures_of(conn, customer, now)?;
    let (purchases_last_year, spent_last_year_minor) = last_year(conn, customer, now)?;
    let categories = store::figures::categories(conn, customer)?;
    // Whole calendar days (UTC), today included: the last 90 and the 90 before them.
    let day = |back: i64| domain::day_key(now - chrono::Duration::days(back));
    let (recent_from, from, to) = (day(89), day(179), day(0));
    let (mut purchases_last_90_days, mut purchases_previous_90_days) = (0, 0);
    for (d, n) in store::figures::days_between(conn, customer, &from, &to)? {
        if d >= recent_from {
            purchases_last_90_days += n;
        } else {
            purchases_previous_90_days += n;
        }
    }
    Ok(cid_common::contracts::analytics::CustomerActivity {
        customer_id: customer.to_owned(),
        purchases_last_year,
        spent_last_year_minor,
        last_purchase: figures.last_purchase_at.map(cid_common::time::rfc3339),
        purchases_last_90_days,
        purchases_previous_90_days,
        total_purchases: figures.purchases,
        favorite_category: domain::favourite(
            categories.iter().map(|(n, p, m)| (n.as_str(), *p, *m)),
        )
        .map(str::to_owned),
    })
}

/// The purchase milestones reached, each at the time of the purchase that reached it.
pub fn milestones(
    conn: &mut DbConnection,
    customer: &str,
) -> QueryResult<cid_common::contracts::analytics::PurchaseMilestones> {
    let last = domain::PURCHASE_MILESTONES
        .iter()
        .map(|(n, _)| *n)
        .max()
        .unwrap_or(0);
    let times = store::purchases::first_times(conn, customer, last as i64)?;
    Ok(cid_common::contracts::analytics::PurchaseMilestones {
        customer_id: customer.to_owned(),
        milestones: domain::PURCHASE_MILESTONES
            .iter()
            .filter_map(|(n, key)| {
                times
                    .get(n - 1)
                    .map(|at| cid_common::contracts::loyalty::Milestone {
                        milestone: (*key).to_owned(),
                        reached_at: cid_common::time::rfc3339(*at),
                    })
            })
            .collect(),
    })
}
