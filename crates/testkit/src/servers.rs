//! Servers of the test's own — NATS and Redis, from Debian's packages — on a free loopback
//! port, that the test can stop and start again to see what an outage does; never the
//! machine's shared ones.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A server child process; killed when dropped.
pub struct LocalServer {
    pub port: u16,
    scheme: &'static str,
    binaries: &'static [&'static str],
    args: fn(u16) -> Vec<String>,
    child: Option<Child>,
    /// What it stores, removed when it is dropped.
    dir: Option<std::path::PathBuf>,
}

fn jetstream_dir(port: u16) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("cid-test-jetstream-{port}"))
}

impl LocalServer {
    /// A `nats-server`, or `None` when it is not installed (`.ci/run` installs it).
    pub async fn nats() -> Option<Self> {
        // Debian puts it in /usr/sbin, which not every PATH has.
        Self::start("nats", &["nats-server", "/usr/sbin/nats-server"], |port| {
            ["-a", "127.0.0.1", "-p", &port.to_string()]
                .map(String::from)
                .to_vec()
        })
        .await
    }

    /// A `nats-server` with JetStream, storing in a directory of its own (kept across
    /// [`LocalServer::restart`], removed when dropped), or `None` when it is not installed.
    pub async fn jetstream() -> Option<Self> {
        let mut server = Self::start("nats", &["nats-server", "/usr/sbin/nats-server"], |port| {
            let dir = jetstream_dir(port);
            [
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-js",
                "-sd",
                &dir.to_string_lossy(),
            ]
            .map(String::from)
            .to_vec()
        })
        .await?;
        server.dir = Some(jetstream_dir(server.port));
        Some(server)
    }

    /// A `redis-server` keeping nothing on disk, or `None` when it is not installed.
    pub async fn redis() -> Option<Self> {
        Self::start(
            "redis",
            &["redis-server", "/usr/bin/redis-server"],
            |port| {
                let port = port.to_string();
                [
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    &port,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ]
                .map(String::from)
                .to_vec()
            },
        )
        .await
    }

    async fn start(
        scheme: &'static str,
        binaries: &'static [&'static str],
        args: fn(u16) -> Vec<String>,
    ) -> Option<Self> {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self {
            port,
            scheme,
            binaries,
            args,
            child: None,
            dir: None,
        };
        server.spawn().await.then_some(server)
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
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
        assert!(self.spawn().await, "{} restarts", self.scheme);
    }

    async fn spawn(&mut self) -> bool {
        let child = self.binaries.iter().find_map(|bin| {
            Command::new(bin)
                .args((self.args)(self.port))
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
        panic!("{} did not listen on {} within 5 s", self.scheme, self.port);
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
