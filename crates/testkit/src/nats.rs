//! A NATS server of the test's own (the `nats-server` binary from Debian's package), on a
//! free loopback port, that the test can stop and start again to see what an outage does —
//! never the machine's shared server.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `nats-server` child process; killed when dropped.
pub struct NatsServer {
    pub port: u16,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts one, or `None` when the binary is not installed (`.ci/run` installs it).
    pub async fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self { port, child: None };
        server.spawn().await.then_some(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Ends the server (as a crash or a restart would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        assert!(self.spawn().await, "nats-server restarts");
    }

    async fn spawn(&mut self) -> bool {
        // Debian puts it in /usr/sbin, which not every PATH has.
        let child = ["nats-server", "/usr/sbin/nats-server"]
            .iter()
            .find_map(|bin| {
                Command::new(bin)
                    .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .ok()
            });
        let Some(child) = child else { return false };
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nats-server did not listen on {} within 5 s", self.port);
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
