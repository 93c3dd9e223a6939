//! What every handler reads and answers the same way: the customer named by the path, a page
//! request, the role sets of SPEC §2, and the success envelopes. One definition each, so a
//! service's handler is only its own logic.

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use cid_common::{CustomerId, Envelope, PageRequest};
use serde::Serialize;

use crate::auth::Caller;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::registry::Registry;

/// The role sets the services share (SPEC §2).
pub mod roles {
    use cid_common::Role;

    /// Staff who read any customer: agents, admins, and services reading on their behalf.
    pub const READERS: &[Role] = &[Role::Agent, Role::Admin, Role::Service];
    /// Machine-to-machine and admin writes (earn, track, register): never the customer.
    pub const WRITERS: &[Role] = &[Role::Service, Role::Admin];
    /// Agents and admins.
    pub const STAFF: &[Role] = &[Role::Agent, Role::Admin];
    /// Admins only.
    pub const ADMIN: &[Role] = &[Role::Admin];
}

/// The customer a route's `{customerId}` (the registry's own routes: `{id}`) names, checked
/// against the path rule: a malformed one is a 400 naming `customerId`.
#[derive(Debug, Clone)]
pub struct CustomerPath(pub CustomerId);

impl CustomerPath {
    pub fn into_inner(self) -> CustomerId {
        self.0
    }
}

impl std::ops::Deref for CustomerPath {
    type Target = CustomerId;
    fn deref(&self) -> &CustomerId {
        &self.0
    }
}

impl FromRequest for CustomerPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let info = req.match_info();
        let raw = info.get("customerId").or_else(|| info.get("id"));
        ready(match raw {
            Some(raw) => CustomerId::parse(raw).map(Self).map_err(ApiError::from),
            None => Err(ApiError::internal(
                "CustomerPath on a route without {customerId}",
            )),
        })
    }
}

/// The customer a read names, checked and resolved in one step: 401 without a valid token,
/// 400 for a malformed `{customerId}`, 403 unless the caller is that customer or staff who
/// read any customer ([`roles::READERS`]); `id` is the standard ID to read under
/// ([`Registry::canonical`]: aliases resolved, an ID the registry does not know kept as
/// given). The service registers its registry as app data (`web::Data<Registry>`).
#[derive(Debug, Clone)]
pub struct ReadableCustomer {
    pub caller: Caller,
    /// The ID as the path named it.
    pub named: CustomerId,
    /// The standard ID to read under.
    pub id: String,
}

impl FromRequest for ReadableCustomer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::extract(req).into_inner();
        let named = CustomerPath::from_request(req, payload).into_inner();
        let ctx = RequestContext::extract(req).into_inner();
        let registry = req.app_data::<web::Data<Registry>>().cloned();
        Box::pin(async move {
            let (caller, named) = (caller?, named?);
            caller.require_owner_or(&named, roles::READERS)?;
            let registry = registry
                .ok_or_else(|| ApiError::internal("the registry is not registered as app data"))?;
            let id = registry.canonical(&named, &ctx?).await;
            Ok(Self {
                caller,
                named: named.0,
                id,
            })
        })
    }
}

/// `?limit=&cursor=` read into a page request; bad values are a 400 naming each field.
#[derive(Debug, Clone, Copy)]
pub struct Paging(pub PageRequest);

impl FromRequest for Paging {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut limit = None;
        let mut cursor = None;
        for (key, value) in url_pairs(req.query_string()) {
            match key.as_str() {
                "limit" => limit = Some(value),
                "cursor" => cursor = Some(value),
                _ => {}
            }
        }
        ready(
            PageRequest::parse(limit.as_deref(), cursor.as_deref())
                .map(Self)
                .map_err(ApiError::from),
        )
    }
}

/// The pairs of a query string, percent-decoded (`+` is a space).
fn url_pairs(query: &str) -> Vec<(String, String)> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

/// 200 with `{"success": true, "data": …}`.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok(data))
}

/// 201 with `{"success": true, "data": …}`.
pub fn created<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Created().json(Envelope::ok(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_customer_path_is_checked_and_bad_pages_name_their_field() {
        let req = TestRequest::default()
            .param("customerId", "CID-2026-000001")
            .to_http_request();
        let got = CustomerPath::from_request(&req, &mut Payload::None)
            .into_inner()
            .unwrap();
        assert_eq!(got.as_str(), "CID-2026-000001");
        let req = TestRequest::default().param("id", "a b").to_http_request();
        let err = CustomerPath::from_request(&req, &mut Payload::None)
            .into_inner()
            .unwrap_err();
        assert_eq!(err.fields[0].field, "customerId");

        let req = TestRequest::with_uri("/x?limit=5&cursor=42&other=1").to_http_request();
        let page = Paging::from_request(&req, &mut Payload::None)
            .into_inner()
            .unwrap();
        assert_eq!((page.0.limit, page.0.cursor.map(|c| c.0)), (5, Some(42)));
        let req = TestRequest::with_uri("/x?limit=500").to_http_request();
        let err = Paging::from_request(&req, &mut Payload::None)
            .into_inner()
            .unwrap_err();
        assert_eq!(err.fields[0].field, "limit");
    }
}
