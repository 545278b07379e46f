//! A private tansu broker for tests that stop and restart the broker: its own
//! port and sqlite file, so other tests keep their broker.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The tansu binary `dev/services` builds into the cache.
fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CAREPULSE_TANSU_BIN") {
        return path.into();
    }
    let cache = std::env::var_os("CAREPULSE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/carepulse")
        });
    cache.join("tansu-0.6.0/bin/tansu")
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A tansu process with sqlite storage in a temporary directory.
pub struct PrivateBroker {
    /// Its port.
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateBroker {
    /// Starts a broker on a free port and waits until it accepts connections.
    pub fn start(name: &str) -> PrivateBroker {
        let dir = std::env::temp_dir().join(crate::unique_name(name));
        std::fs::create_dir_all(&dir).unwrap();
        let mut broker = PrivateBroker {
            port: free_port(),
            dir,
            child: None,
        };
        broker.restart();
        broker
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and storage.
    pub fn restart(&mut self) {
        let binary = tansu_binary();
        assert!(
            binary.exists(),
            "no tansu binary at {}: run `dev/services up` once (it builds tansu into the cache)",
            binary.display()
        );
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = Command::new(&binary)
            .current_dir(&self.dir)
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args([
                "--storage-engine",
                "sqlite://tansu.db",
                "--cluster-id",
                "carepulse-test",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(self.address()).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen on {}",
                self.address()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the broker (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
