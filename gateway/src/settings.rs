//! `[gateway]` settings.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    pub host: String,
    pub port: u16,
    /// Larger request bodies are refused with 413.
    pub body_limit_bytes: u64,
    /// Time an upstream has to start answering, unless its group sets its own.
    pub timeout_ms: u64,
    /// Per-group timeouts in milliseconds.
    #[serde(default)]
    pub timeouts_ms: BTreeMap<String, u64>,
    /// GETs and HEADs to one upstream that arrive in the same turn of an event loop are
    /// written together on one connection (HTTP/1.1 pipelining), up to this many; 1 turns
    /// it off. At most [`MAX_PIPELINE`] (the services' own limit of requests read ahead).
    pub pipeline_depth: usize,
    /// Per-group depths in place of `pipeline_depth`.
    #[serde(default)]
    pub pipeline_depths: BTreeMap<String, usize>,
    /// Bodiless GETs and HEADs go to the services as streams of one HTTP/2 connection
    /// without TLS per event loop and upstream (prior knowledge; the services serve h2c and
    /// HTTP/1.1 on one port); an upstream that does not answer in HTTP/2 gets HTTP/1.1.
    /// Off by default until `make bench` shows it ahead (bench/README.md, twelfth session).
    #[serde(default)]
    pub h2c: bool,
    /// Extra upstream URLs per group (load-balanced round robin); default is the group's
    /// `services.<group>` endpoint.
    #[serde(default)]
    pub upstreams: BTreeMap<String, Vec<String>>,
    /// Groups whose upstream must be up for `/ready` to pass; default all.
    #[serde(default)]
    pub required: Option<Vec<String>>,
    /// Consecutive failures that open an upstream's circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker skips its upstream.
    pub breaker_open_ms: u64,
    /// Event-loop threads; default one per core.
    #[serde(default)]
    pub threads: Option<usize>,
    /// When set, `/metrics` is served on this port of `metrics_host` (default: `host`) and
    /// the public port answers 404 for it.
    #[serde(default)]
    pub metrics_port: Option<u16>,
    #[serde(default)]
    pub metrics_host: Option<String>,
    /// Browsers on other origins (`[gateway.cors]`).
    #[serde(default)]
    pub cors: crate::cors::CorsSettings,
    /// Per-caller and per-IP limits (SPEC §4).
    #[serde(default)]
    pub rate_limit: crate::ratelimit::RateLimitSettings,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            body_limit_bytes: 64 * 1024,
            timeout_ms: 10_000,
            timeouts_ms: BTreeMap::new(),
            pipeline_depth: 4,
            pipeline_depths: BTreeMap::new(),
            h2c: false,
            upstreams: BTreeMap::new(),
            required: None,
            breaker_failures: 5,
            breaker_open_ms: 5_000,
            threads: None,
            metrics_port: None,
            metrics_host: None,
            cors: crate::cors::CorsSettings::default(),
            rate_limit: crate::ratelimit::RateLimitSettings::default(),
        }
    }
}

/// actix-web reads at most 16 pipelined requests ahead on a connection.
pub const MAX_PIPELINE: usize = 16;

impl GatewaySettings {
    /// A group's pipelining depth, checked.
    pub fn pipeline_depth(&self, group: &str) -> Result<usize, String> {
        let depth = *self
            .pipeline_depths
            .get(group)
            .unwrap_or(&self.pipeline_depth);
        if (1..=MAX_PIPELINE).contains(&depth) {
            Ok(depth)
        } else {
            Err(format!(
                "gateway pipeline depth of {group} must be 1 to {MAX_PIPELINE}, not {depth}"
            ))
        }
    }

    /// The listener for the internal metrics port, when one is set.
    pub fn metrics_listener(&self) -> std::io::Result<Option<std::net::TcpListener>> {
        cid_kit::settings::metrics_listener(
            &self.host,
            self.metrics_host.as_deref(),
            self.metrics_port,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_body_limit_is_the_services_limit() {
        let settings = cid_kit::Settings::load_from(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config"),
            "local",
        )
        .unwrap();
        let gw: GatewaySettings = settings.section("gateway").unwrap();
        let services = cid_kit::json::BodyLimit::default().0 as u64;
        assert_eq!(gw.body_limit_bytes, services);
        assert_eq!(GatewaySettings::default().body_limit_bytes, services);
    }

    #[test]
    fn a_pipeline_depth_is_one_to_sixteen_and_a_group_may_set_its_own() {
        let mut gw = GatewaySettings::default();
        assert_eq!(gw.pipeline_depth("loyalty"), Ok(4));
        gw.pipeline_depths.insert("segmentation".into(), 1);
        assert_eq!(gw.pipeline_depth("segmentation"), Ok(1));
        assert_eq!(gw.pipeline_depth("loyalty"), Ok(4));
        for bad in [0, MAX_PIPELINE + 1] {
            gw.pipeline_depths.insert("offers".into(), bad);
            let err = gw.pipeline_depth("offers").unwrap_err();
            assert!(err.contains("offers") && err.contains("1 to 16"), "{err}");
        }
    }
}
