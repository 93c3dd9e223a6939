//! End-to-end suites live in `tests/e2e`: the gateway and services started in-process.
