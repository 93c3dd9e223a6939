//! The gateway on its own: settings → telemetry → serve until SIGTERM or SIGINT, then drain
//! and exit 0.

/// mimalloc: the request path allocates many small, short-lived buffers.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cid_gateway::{Gateway, GatewaySettings};
use cid_kit::Settings;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::load()?;
    let gw: GatewaySettings = settings.section("gateway")?;
    if cid_kit::server::is_healthcheck() {
        return Ok(cid_kit::server::healthcheck(gw.port)?);
    }
    cid_kit::telemetry::init(&settings.log, "gateway");
    let signal = cid_kit::server::shutdown_signal()?;
    let listener = std::net::TcpListener::bind((gw.host.as_str(), gw.port))?;
    let gateway = Gateway::from_settings(&settings)?;
    tracing::info!(addr = %listener.local_addr()?, "gateway listening");
    let running = cid_gateway::start_with_metrics(gateway, listener, gw.metrics_listener()?)?;
    let name = signal.await;
    tracing::info!(signal = name, "stopping: draining open requests");
    running.stop().await;
    cid_kit::telemetry::shutdown();
    Ok(())
}
