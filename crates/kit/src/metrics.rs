//! Prometheus metrics of one service (its own registry, so several services can share a
//! process under `cid up`).

use std::time::Duration;

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    /// Set when scraped.
    pub state: StateGauges,
}

/// What a scrape reads of the service's state: its database pool, its outbox and the process.
pub struct StateGauges {
    pub pool_size: IntGauge,
    pub pool_in_use: IntGauge,
    pub pool_waiting: IntGauge,
    /// A counter kept by the database handle, brought up to date when scraped.
    pub pipelined_reads: IntCounter,
    pub outbox_pending: IntGauge,
    pub outbox_oldest_age: Gauge,
    pub resident_bytes: IntGauge,
    pub threads: IntGauge,
    pub open_fds: IntGauge,
    pub cpu_seconds: Gauge,
}

impl StateGauges {
    fn new(registry: &Registry, service: &str) -> Self {
        let int = |name: &str, help: &str| {
            let g = IntGauge::with_opts(Opts::new(name, help).const_label("service", service))
                .expect("static metric definition");
            let _ = registry.register(Box::new(g.clone()));
            g
        };
        let float = |name: &str, help: &str| {
            let g = Gauge::with_opts(Opts::new(name, help).const_label("service", service))
                .expect("static metric definition");
            let _ = registry.register(Box::new(g.clone()));
            g
        };
        Self {
            pool_size: int("db_pool_size", "Connections the database pool may hold"),
            pool_in_use: int(
                "db_pool_in_use",
                "Pooled connections lent to requests and jobs",
            ),
            pool_waiting: int(
                "db_pool_waiting",
                "Requests waiting for a pooled connection",
            ),
            pipelined_reads: {
                let c = IntCounter::with_opts(
                    Opts::new(
                        "db_pipelined_reads_total",
                        "Reads served on the workers' pipelined PostgreSQL connections",
                    )
                    .const_label("service", service),
                )
                .expect("static metric definition");
                let _ = registry.register(Box::new(c.clone()));
                c
            },
            outbox_pending: int("outbox_pending", "Outbox messages not yet delivered"),
            outbox_oldest_age: float(
                "outbox_oldest_age_seconds",
                "Age of the oldest undelivered outbox message (0 when none)",
            ),
            resident_bytes: int(
                "process_resident_memory_bytes",
                "Resident memory of the process",
            ),
            threads: int("process_threads", "Threads of the process"),
            open_fds: int("process_open_fds", "Open file descriptors of the process"),
            cpu_seconds: float(
                "process_cpu_seconds_total",
                "CPU time of the process (user + system)",
            ),
        }
    }

    /// Reads `/proc/self` (Linux; elsewhere the process gauges stay 0).
    pub fn read_process(&self) {
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            for line in status.lines() {
                let value = |l: &str| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<i64>().ok())
                };
                if line.starts_with("VmRSS:") {
                    self.resident_bytes.set(value(line).unwrap_or(0) * 1024);
                } else if line.starts_with("Threads:") {
                    self.threads.set(value(line).unwrap_or(0));
                }
            }
        }
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(i64::try_from(dir.count()).unwrap_or(0));
        }
        // utime and stime, fields 14 and 15, in clock ticks (100 a second on Linux).
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat")
            && let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
        {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            self.cpu_seconds.set((ticks(11) + ticks(12)) / 100.0);
        }
    }
}

impl Metrics {
    pub fn new(service: &str) -> Self {
        let registry = Registry::new_custom(Some("cid".into()), None).unwrap_or_default();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests served")
                .const_label("service", service),
            &["method", "route", "status"],
        )
        .expect("static metric definition");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer HTTP requests",
            )
            .const_label("service", service)
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["method", "route"],
        )
        .expect("static metric definition");
        let _ = registry.register(Box::new(requests.clone()));
        let _ = registry.register(Box::new(duration.clone()));
        let state = StateGauges::new(&registry, service);
        Self {
            registry,
            requests,
            duration,
            state,
        }
    }

    /// Records one answer. Every label has a bounded set of values whatever a client sends:
    /// the method is one of the standard ones or `OTHER`, the route is a registered pattern
    /// or `unmatched`, the status a three-digit code.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        let status = status.clamp(100, 599);
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.duration
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// The method as a metrics label: standard methods by name, anything else `OTHER`.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        let m = Metrics::new("test");
        for i in 0..100 {
            m.observe(&format!("ZZ{i}"), "unmatched", 404, Duration::ZERO);
        }
        m.observe("GET", "/x", 200, Duration::ZERO);
        let text = m.render();
        assert!(text.contains(r#"method="OTHER""#));
        assert!(!text.contains("ZZ"));
        assert_eq!(
            text.matches("cid_http_requests_total{").count(),
            2,
            "{text}"
        );
    }
}
