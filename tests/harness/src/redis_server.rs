//! A private `redis-server` for a test: its own process on a free loopback port, keeping
//! nothing on disk (`--save '' --appendonly no`, its directory a temp dir), stopped when the
//! value is dropped. Tests that need Redis start one each, so a `FLUSHALL` in one test touches
//! no other. It needs Debian's `redis-server` on `PATH` (`apt-get install redis-server`;
//! `.ci/run` installs it): without it [`RedisServer::start`] panics saying so — a Redis test
//! fails rather than skips.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// How long a fresh server may take to answer `PING`.
const STARTUP: Duration = Duration::from_secs(10);

/// A running `redis-server`, killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server, or panics with what is missing.
    pub fn start() -> RedisServer {
        RedisServer::try_start().unwrap_or_else(|e| {
            panic!(
                "{e:#}\nThe Redis tests need Debian's redis-server on PATH \
                 (apt-get install redis-server; .ci/run installs it)."
            )
        })
    }

    /// Starts a server on a free port (another try if the port is taken meanwhile).
    pub fn try_start() -> Result<RedisServer> {
        let mut last = None;
        for _ in 0..3 {
            match RedisServer::start_on(free_port()?) {
                Ok(server) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("redis-server did not start")))
    }

    /// Starts a server on `port` (e.g. where an app was told a Redis would be).
    pub fn start_on(port: u16) -> Result<RedisServer> {
        let dir = tempfile::Builder::new().prefix("redis-test-").tempdir()?;
        let log = dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("redis-server could not be started")?;
        let mut server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(status) = server.child.try_wait()? {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("redis-server exited ({status}) on port {port}:\n{log}");
            }
            if let Ok(mut conn) = server.connection() {
                if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                bail!("redis-server did not answer PING on port {port} within {STARTUP:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`, for a runtime configuration's `url`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A new plain (blocking) connection, to look at or change what the app keeps.
    pub fn connection(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.url())?.get_connection_with_timeout(Duration::from_secs(5))
    }

    fn run<T: redis::FromRedisValue>(&self, command: &mut redis::Cmd) -> T {
        let mut conn = self
            .connection()
            .expect("a connection to the test redis-server");
        command
            .query(&mut conn)
            .expect("the test redis-server answers")
    }

    /// Every key in the database, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.run(redis::cmd("KEYS").arg("*"));
        keys.sort();
        keys
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.run(redis::cmd("GET").arg(key))
    }

    /// Empties every database (`FLUSHALL`), as an operator or an eviction might.
    pub fn flush_all(&self) {
        self.run::<()>(&mut redis::cmd("FLUSHALL"));
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on at the moment.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A Redis URL where no server answers (a free port), for "Redis is down" tests.
pub fn unreachable_url() -> Result<String> {
    Ok(format!("redis://127.0.0.1:{}", free_port()?))
}
