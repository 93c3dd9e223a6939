//! CORS for browsers on other origins (`[gateway.cors]`): preflights are answered here, never
//! forwarded and never a 404; responses to allowed origins carry the allow and expose headers,
//! and `Vary: Origin` is merged into the upstream's `Vary`, not written over it.

use http::header::{self, HeaderMap, HeaderValue};
use serde::Deserialize;

/// `[gateway.cors]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorsSettings {
    /// Origins allowed (`scheme://host[:port]`, or `*` for any); empty: no CORS headers.
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    /// Request headers a page may send.
    pub allow_headers: Vec<String>,
    /// Response headers a page may read.
    pub expose_headers: Vec<String>,
    /// How long a browser may reuse a preflight's answer.
    pub max_age_secs: u64,
}

impl Default for CorsSettings {
    fn default() -> Self {
        let list = |s: &str| s.split(", ").map(str::to_owned).collect();
        Self {
            origins: Vec::new(),
            methods: list("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
            allow_headers: list(
                "Authorization, Content-Type, Accept-Language, Idempotency-Key, X-Request-Id, traceparent, Last-Event-ID",
            ),
            expose_headers: list(
                "X-Request-Id, Idempotency-Replay, Retry-After, Content-Language, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset",
            ),
            max_age_secs: 600,
        }
    }
}

/// The settings as ready-made header values.
#[derive(Debug, Clone)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
    methods: HeaderValue,
    allow_headers: HeaderValue,
    expose_headers: HeaderValue,
    max_age: HeaderValue,
}

impl Cors {
    pub fn new(s: &CorsSettings) -> Result<Self, String> {
        let join = |name: &str, v: &[String]| {
            HeaderValue::from_str(&v.join(", ")).map_err(|_| format!("[gateway.cors] {name}"))
        };
        for o in &s.origins {
            let ok = o == "*"
                || (o.starts_with("http://") || o.starts_with("https://"))
                    && !o.ends_with('/')
                    && !o.contains(char::is_whitespace);
            if !ok {
                return Err(format!(
                    "[gateway.cors] origins: `{o}` is not `*` or scheme://host[:port]"
                ));
            }
        }
        Ok(Self {
            any: s.origins.iter().any(|o| o == "*"),
            origins: s.origins.clone(),
            methods: join("methods", &s.methods)?,
            allow_headers: join("allow_headers", &s.allow_headers)?,
            expose_headers: join("expose_headers", &s.expose_headers)?,
            max_age: HeaderValue::from(s.max_age_secs),
        })
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        self.any
            || self
                .origins
                .iter()
                .any(|o| o.as_bytes() == origin.as_bytes())
    }

    /// A browser's preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    pub fn is_preflight(method: &http::Method, headers: &HeaderMap) -> bool {
        method == http::Method::OPTIONS
            && headers.contains_key(header::ORIGIN)
            && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    }

    /// Headers of the answer to a preflight (a 204 either way: without allow headers the
    /// browser refuses the call itself).
    pub fn preflight(&self, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
        vary(
            out,
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        );
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, self.methods.clone());
        out.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            self.allow_headers.clone(),
        );
        out.insert(header::ACCESS_CONTROL_MAX_AGE, self.max_age.clone());
    }

    /// Headers of any other answer to a request from `origin`.
    pub fn response(&self, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
        if self.origins.is_empty() {
            return;
        }
        // The answer depends on the origin whenever CORS is on (a cache must not hand one
        // origin's answer to another), allowed or not.
        vary(out, "Origin");
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        out.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            self.expose_headers.clone(),
        );
    }
}

/// Adds `names` to `Vary`, keeping what the upstream put there and not repeating a name.
fn vary(out: &mut HeaderMap, names: &'static str) {
    // The usual case on the request path, without allocating.
    if !out.contains_key(header::VARY) {
        out.insert(header::VARY, HeaderValue::from_static(names));
        return;
    }
    let mut merged: Vec<String> = out
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if merged.iter().any(|v| v == "*") {
        return;
    }
    for name in names.split(", ") {
        if !merged.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            merged.push(name.to_owned());
        }
    }
    if let Ok(v) = HeaderValue::from_str(&merged.join(", ")) {
        out.insert(header::VARY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str]) -> Cors {
        Cors::new(&CorsSettings {
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..CorsSettings::default()
        })
        .unwrap()
    }

    #[test]
    fn an_allowed_origin_gets_the_allow_headers_and_max_age_on_a_preflight() {
        let c = cors(&["https://shop.example"]);
        let mut h = HeaderMap::new();
        c.preflight(
            Some(&HeaderValue::from_static("https://shop.example")),
            &mut h,
        );
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://shop.example"
        );
        assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "600");
        assert!(
            h[header::ACCESS_CONTROL_ALLOW_HEADERS]
                .to_str()
                .unwrap()
                .contains("Idempotency-Key")
        );
        let mut h = HeaderMap::new();
        c.preflight(
            Some(&HeaderValue::from_static("https://evil.example")),
            &mut h,
        );
        assert!(!h.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    }

    #[test]
    fn vary_is_merged_with_the_upstreams() {
        let c = cors(&["*"]);
        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
        c.response(
            Some(&HeaderValue::from_static("http://localhost:5173")),
            &mut h,
        );
        assert_eq!(h[header::VARY], "Accept-Language, Origin");
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://localhost:5173"
        );
        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("origin"));
        c.response(Some(&HeaderValue::from_static("http://x.test")), &mut h);
        assert_eq!(h[header::VARY], "origin", "not twice");
        // CORS off: nothing added.
        let mut h = HeaderMap::new();
        cors(&[]).response(Some(&HeaderValue::from_static("http://x.test")), &mut h);
        assert!(h.is_empty());
    }

    #[test]
    fn origins_must_be_origins() {
        for bad in [
            "shop.example",
            "https://shop.example/",
            "ftp://x",
            "https://a b",
        ] {
            let s = CorsSettings {
                origins: vec![bad.into()],
                ..CorsSettings::default()
            };
            assert!(Cors::new(&s).is_err(), "{bad}");
        }
    }
}
