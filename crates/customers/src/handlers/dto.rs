//! Request and response bodies of the registry API (camelCase on the wire).

use chrono::NaiveDate;
use cid_common::contracts::customers::RegistryCustomer;
use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::csv;
use crate::ops::Stats;
use crate::store::Customer;

pub use crate::domain::UserType;

/// Profile fields shared by create and update.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"name": "Sara Al-Harbi", "email": "sara.h@example.com", "locale": "en"}))]
pub struct Profile {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 254, pattern = r"^[^@\s]+@[^\s.]\S*\.\S*[^\s.]$")]
    pub email: Option<String>,
    #[schema(pattern = r"^\+?(?:[ ()-]*[0-9]){7,15}[ ()-]*$")]
    pub phone: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub birth_date: Option<String>,
    /// `ar` or `en`.
    #[schema(pattern = "^(ar|en)$")]
    pub locale: Option<String>,
}

impl Profile {
    fn check(&self, errors: &mut Vec<FieldError>) {
        let too_long =
            |v: &Option<String>, max: usize| v.as_ref().is_some_and(|s| s.chars().count() > max);
        if too_long(&self.name, 200) {
            errors.push(FieldError::new("name", FieldIssue::TooLong { max: 200 }));
        }
        if let Some(email) = &self.email {
            let ok = email.len() <= 254
                && email.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                })
                && !email.chars().any(char::is_whitespace);
            if !ok {
                errors.push(FieldError::new("email", FieldIssue::InvalidFormat));
            }
        }
        if let Some(phone) = &self.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let ok = (7..=15).contains(&digits)
                && phone.chars().enumerate().all(|(i, ch)| {
                    ch.is_ascii_digit() || " ()-".contains(ch) || (i == 0 && ch == '+')
                });
            if !ok {
                errors.push(FieldError::new("phone", FieldIssue::InvalidFormat));
            }
        }
        if self.birth_date.is_some() && self.birth_date().is_none() {
            errors.push(FieldError::new("birthDate", FieldIssue::InvalidFormat));
        }
        if let Some(locale) = &self.locale
            && locale != "ar"
            && locale != "en"
        {
            errors.push(FieldError::new(
                "locale",
                FieldIssue::OneOf {
                    allowed: vec!["ar".into(), "en".into()],
                },
            ));
        }
    }

    /// The birth date when it is a real, past date.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let date = NaiveDate::parse_from_str(self.birth_date.as_deref()?, "%Y-%m-%d").ok()?;
        let today = chrono::Utc::now().date_naive();
        (date <= today && date.year_ce().1 >= 1900).then_some(date)
    }
}

use chrono::Datelike;

/// `POST /customers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"userId": "user-42", "userType": "buyer", "name": "Sara Al-Harbi", "email": "sara@example.com", "phone": "+966501234567", "birthDate": "1990-02-28", "locale": "ar"}))]
pub struct CreateRequest {
    /// 1–128 characters, not only spaces.
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    pub user_id: String,
    pub user_type: UserType,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 254, pattern = r"^[^@\s]+@[^\s.]\S*\.\S*[^\s.]$")]
    pub email: Option<String>,
    #[schema(pattern = r"^\+?(?:[ ()-]*[0-9]){7,15}[ ()-]*$")]
    pub phone: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub birth_date: Option<String>,
    /// `ar` or `en`.
    #[schema(pattern = "^(ar|en)$")]
    pub locale: Option<String>,
}

impl CreateRequest {
    /// The profile part (serde cannot flatten beside `deny_unknown_fields`).
    pub fn profile(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            birth_date: self.birth_date.clone(),
            locale: self.locale.clone(),
        }
    }
}

impl Validate for CreateRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let user = self.user_id.trim();
        if user.is_empty() {
            errors.push(FieldError::new("userId", FieldIssue::Required));
        } else if user.chars().count() > 128 {
            errors.push(FieldError::new("userId", FieldIssue::InvalidFormat));
        }
        self.profile().check(&mut errors);
        errors
    }
}

impl Validate for Profile {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.check(&mut errors);
        errors
    }
}

/// A customer and all formats of their ID.
/// A customer: the part other services rely on (the shared contract) and the profile.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerResponse {
    #[serde(flatten)]
    pub registry: RegistryCustomer,
    /// The same as `customerId`.
    pub standard_id: String,
    pub user_id: String,
    pub user_type: String,
    pub name: Option<String>,
    pub deactivated_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Customer> for CustomerResponse {
    fn from(c: &Customer) -> Self {
        Self {
            registry: RegistryCustomer {
                customer_id: c.customer_id.clone(),
                short_id: c.short_id.clone(),
                numeric_id: c.id,
                active: c.active,
                birth_date: c.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
                join_date: rfc3339(c.join_date),
                email: c.email.clone(),
                phone: c.phone.clone(),
                locale: c.locale.clone(),
            },
            standard_id: c.customer_id.clone(),
            user_id: c.user_id.clone(),
            user_type: c.user_type.as_str().to_owned(),
            name: c.name.clone(),
            deactivated_at: c.deactivated_at.map(rfc3339),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypeCounts {
    pub total: i64,
    pub active: i64,
    pub inactive: i64,
}

/// `GET /customers/stats/overview`.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsResponse {
    pub total: i64,
    pub active: i64,
    pub inactive: i64,
    pub by_type: std::collections::BTreeMap<String, TypeCounts>,
}

/// The export's columns, in order.
pub const CSV_HEADER: [&str; 13] = [
    "customerId",
    "shortId",
    "numericId",
    "userId",
    "userType",
    "name",
    "email",
    "phone",
    "birthDate",
    "locale",
    "active",
    "joinDate",
    "deactivatedAt",
];

/// One customer as an RFC 4180 line of the export.
pub fn csv_row(c: &Customer) -> String {
    let r = CustomerResponse::from(c);
    let (p, id) = (&r, &r.registry);
    let numeric = id.numeric_id.to_string();
    let active = id.active.to_string();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let (name, email, phone, birth, locale, deact) = (
        opt(&r.name),
        opt(&r.registry.email),
        opt(&r.registry.phone),
        opt(&id.birth_date),
        opt(&r.registry.locale),
        opt(&r.deactivated_at),
    );
    csv::record([
        id.customer_id.as_str(),
        &id.short_id,
        &numeric,
        &p.user_id,
        &p.user_type,
        &name,
        &email,
        &phone,
        &birth,
        &locale,
        &active,
        &id.join_date,
        &deact,
    ])
}

impl From<&Stats> for StatsResponse {
    fn from(s: &Stats) -> Self {
        let mut out = StatsResponse::default();
        for kind in [UserType::Buyer, UserType::Seller, UserType::Traveler] {
            out.by_type
                .insert(kind.as_str().to_owned(), TypeCounts::default());
        }
        for (kind, active, n) in &s.counts {
            let t = out.by_type.entry(kind.clone()).or_default();
            t.total += n;
            out.total += n;
            if *active {
                t.active += n;
                out.active += n;
            } else {
                t.inactive += n;
                out.inactive += n;
            }
        }
        out
    }
}
