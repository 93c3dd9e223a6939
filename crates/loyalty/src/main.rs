//! The loyalty service on its own: settings → telemetry → serve.

/// mimalloc: the request path allocates many small, short-lived buffers.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cid_kit::Settings;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::load()?;
    cid_kit::telemetry::init(&settings.log, cid_loyalty::SERVICE);
    let endpoint = settings.endpoint(cid_loyalty::SERVICE)?;
    let listener = std::net::TcpListener::bind((endpoint.host.as_str(), endpoint.port))?;
    let spec = cid_loyalty::app_spec(&settings, &settings.database_url(cid_loyalty::SERVICE))?;
    tracing::info!(addr = %listener.local_addr()?, "loyalty listening");
    let running = cid_loyalty::start(spec, listener)?;
    tokio::signal::ctrl_c().await?;
    running.stop().await;
    cid_kit::telemetry::shutdown();
    Ok(())
}
