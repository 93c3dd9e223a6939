//! The merged OpenAPI document and the offline docs page.
//!
//! The merged document is built from what the running services publish (each serves its
//! own at `/api/customer-id/<group>/openapi.json`), so it always matches what is deployed.
//! Swagger UI's assets are compiled in from the `utoipa-swagger-ui` crate: no CDN.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cid_common::ErrorCode;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use serde_json::{Map, Value, json};

use crate::Gateway;
use crate::pool;
use crate::respond::{Body, full};
use crate::upstream::Upstream;

pub const OPENAPI_PATH: &str = "/api/customer-id/openapi.json";
pub const DOCS_PATH: &str = "/api/customer-id/docs";
const CACHE_FOR: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct DocsCache {
    merged: Mutex<Option<(Instant, Bytes)>>,
}

impl Gateway {
    pub(crate) async fn openapi(&self) -> Response<Body> {
        let cached = self.docs.merged.lock().ok().and_then(|g| g.clone());
        if let Some((at, body)) = cached
            && at.elapsed() < CACHE_FOR
        {
            return full(StatusCode::OK, "application/json", body);
        }
        let mut docs = Vec::new();
        for group in &self.groups {
            let Some(upstream) = group.pick(&self.breaker) else {
                continue;
            };
            let path = format!("/api/customer-id/{}/openapi.json", group.name);
            if let Some(doc) = self.fetch_json(upstream, &path).await {
                docs.push((group.name.clone(), doc));
            }
        }
        let merged = merge(&docs, &self.group_names());
        let body = Bytes::from(serde_json::to_vec(&merged).unwrap_or_default());
        if let Ok(mut g) = self.docs.merged.lock() {
            *g = Some((Instant::now(), body.clone()));
        }
        full(StatusCode::OK, "application/json", body)
    }

    /// GETs `path` from `upstream` and parses the JSON answer (`None` on any failure).
    pub(crate) async fn fetch_json(&self, upstream: &Upstream, path: &str) -> Option<Value> {
        let req = Request::get(path)
            .body(http_body_util::Either::Left(Empty::<Bytes>::new()))
            .ok()?;
        let res = tokio::time::timeout(Duration::from_secs(2), pool::send(upstream, req))
            .await
            .ok()?
            .ok()?;
        if !res.status().is_success() {
            return None;
        }
        let bytes = tokio::time::timeout(Duration::from_secs(2), res.into_body().collect())
            .await
            .ok()?
            .ok()?
            .to_bytes();
        serde_json::from_slice(&bytes).ok()
    }

    /// A docs page or asset, with a CSP that lets it load only its own files (it works
    /// offline) and never be framed by another site.
    pub(crate) fn docs_page(&self, path: &str) -> Response<Body> {
        let mut res = self.docs_file(path);
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            http::HeaderValue::from_static(DOCS_CSP),
        );
        h.insert(
            header::X_FRAME_OPTIONS,
            http::HeaderValue::from_static("DENY"),
        );
        res
    }

    fn docs_file(&self, path: &str) -> Response<Body> {
        let tail = path.strip_prefix(DOCS_PATH).unwrap_or("");
        if tail.is_empty() {
            let mut res = full(StatusCode::MOVED_PERMANENTLY, "text/plain", "");
            if let Ok(v) = http::HeaderValue::from_str(&format!("{DOCS_PATH}/")) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            return res;
        }
        if tail == "/errors" {
            return full(StatusCode::OK, "text/html; charset=utf-8", errors_page());
        }
        match utoipa_swagger_ui::serve(tail.trim_start_matches('/'), self.swagger.clone()) {
            Ok(Some(file)) => {
                let mut res = Response::new(http_body_util::Either::Right(
                    http_body_util::Full::new(Bytes::from(file.bytes.into_owned())),
                ));
                if let Ok(v) = http::HeaderValue::from_str(&file.content_type) {
                    res.headers_mut().insert(header::CONTENT_TYPE, v);
                }
                if file.gzpipped {
                    res.headers_mut().insert(
                        header::CONTENT_ENCODING,
                        http::HeaderValue::from_static("gzip"),
                    );
                }
                res
            }
            _ => full(StatusCode::NOT_FOUND, "text/plain", "not found"),
        }
    }
}

/// Swagger UI's scripts and styles are files of its own (no inline script); it sets inline
/// styles and uses data: images.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn swagger_config() -> Arc<utoipa_swagger_ui::Config<'static>> {
    Arc::new(utoipa_swagger_ui::Config::new([OPENAPI_PATH]))
}

/// Component schemas two documents define differently under one name (the merge would keep
/// only one of them, silently changing the other service's contract).
pub fn schema_conflicts(docs: &[(String, Value)]) -> Vec<String> {
    let mut seen: std::collections::BTreeMap<&str, (&str, &Value)> = Default::default();
    let mut clashes = Vec::new();
    for (group, doc) in docs {
        for (name, schema) in doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
        {
            match seen.get(name.as_str()) {
                Some((first, other)) if *other != schema => {
                    clashes.push(format!(
                        "schema `{name}` differs between {first} and {group}"
                    ));
                }
                Some(_) => {}
                None => {
                    seen.insert(name, (group, schema));
                }
            }
        }
    }
    clashes
}

/// Merges the services' documents: paths, component schemas and tags side by side.
pub fn merge(docs: &[(String, Value)], all_groups: &[String]) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut security = Map::new();
    let mut tags = Vec::new();
    for (_, doc) in docs {
        if let Some(p) = doc["paths"].as_object() {
            paths.extend(p.clone());
        }
        if let Some(s) = doc["components"]["schemas"].as_object() {
            schemas.extend(s.clone());
        }
        if let Some(s) = doc["components"]["securitySchemes"].as_object() {
            security.extend(s.clone());
        }
        if let Some(t) = doc["tags"].as_array() {
            tags.extend(t.iter().cloned());
        }
    }
    let present: Vec<&str> = docs.iter().map(|(g, _)| g.as_str()).collect();
    let missing: Vec<&String> = all_groups
        .iter()
        .filter(|g| !present.contains(&g.as_str()))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Customer ID System",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "All services behind the gateway. Errors are RFC 9457 problem+json; \
                see /api/customer-id/docs/errors for the codes."
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security},
        "tags": tags,
        "x-unavailable-groups": missing,
    })
}

fn errors_page() -> String {
    let mut rows = String::new();
    for code in ErrorCode::ALL {
        let d = code.detail();
        rows.push_str(&format!(
            "<tr id=\"{c}\"><td><code>{c}</code></td><td>{s}</td><td>{t}</td><td>{en}</td><td dir=\"rtl\">{ar}</td></tr>\n",
            c = code.as_str(), s = code.status(), t = code.title(), en = d.en, ar = d.ar
        ));
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Customer ID — error codes</title>\
         <style>body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px 8px}}\
         table{{border-collapse:collapse}}</style></head><body><h1>Error codes</h1>\
         <p>Every error is <code>application/problem+json</code> with these codes.</p>\
         <table><tr><th>code</th><th>status</th><th>title</th><th>detail (en)</th><th>detail (ar)</th></tr>\n{rows}</table></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_joins_paths_and_names_missing_groups() {
        let a = json!({"paths": {"/a": {}}, "components": {"schemas": {"A": {}}}, "tags": [{"name": "a"}]});
        let b = json!({"paths": {"/b": {}}, "components": {"schemas": {"B": {}}}});
        let merged = merge(
            &[("a".into(), a), ("b".into(), b)],
            &["a".into(), "b".into(), "c".into()],
        );
        assert!(merged["paths"]["/a"].is_object() && merged["paths"]["/b"].is_object());
        assert!(merged["components"]["schemas"]["B"].is_object());
        assert_eq!(merged["x-unavailable-groups"], json!(["c"]));
    }
}
