//! A private server for one run: started on a free loopback port with the
//! given memory limit, in a temporary directory, and stopped (killed and
//! waited for) when its guard is dropped — at the end, on an error, or on
//! a panic. Ctrl-C reaches it without help: the child stays in the
//! terminal's process group, so the interrupt stops it with us.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;
use tempfile::TempDir;

use super::DriveError;
use super::target::{Protocol, Target};

/// How long a server has to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The servers `--spawn` can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Program {
    /// `redis-server`.
    #[serde(rename = "redis-server")]
    RedisServer,
    /// `valkey-server`, which takes the same options.
    #[serde(rename = "valkey-server")]
    ValkeyServer,
    /// `memcached`.
    #[serde(rename = "memcached")]
    Memcached,
}

/// What a private server is started with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpawnConfig {
    /// The server.
    pub program: Program,
    /// Its memory limit in bytes (Redis's `maxmemory`; memcached's `-m`,
    /// which must then be whole MiB); `None` keeps the server's default.
    pub maxmemory: Option<u64>,
    /// Redis's `maxmemory-policy`; `None` is `allkeys-lru` (a cache: Redis's
    /// own default, `noeviction`, refuses writes once full).
    pub policy: Option<String>,
    /// Redis's `maxmemory-samples` (keys its eviction samples per pass,
    /// 1 to 64); `None` keeps the server's default, 5.
    pub samples: Option<u32>,
}

/// Redis's bounds on `maxmemory-samples` (`config.c`).
pub const SAMPLES: std::ops::RangeInclusive<u32> = 1..=64;

impl Program {
    /// Parses `redis-server`, `valkey-server` or `memcached`.
    pub fn parse(text: &str) -> Result<Program, DriveError> {
        match text {
            "redis-server" | "redis" => Ok(Program::RedisServer),
            "valkey-server" | "valkey" => Ok(Program::ValkeyServer),
            "memcached" => Ok(Program::Memcached),
            other => Err(DriveError::Spawn {
                program: other.to_string(),
                message: "unknown server; --spawn takes redis-server, valkey-server or memcached"
                    .into(),
            }),
        }
    }

    /// The executable's name, looked up on `PATH`.
    pub fn binary(self) -> &'static str {
        match self {
            Program::RedisServer => "redis-server",
            Program::ValkeyServer => "valkey-server",
            Program::Memcached => "memcached",
        }
    }

    /// The protocol the server speaks.
    pub fn protocol(self) -> Protocol {
        match self {
            Program::RedisServer | Program::ValkeyServer => Protocol::Redis,
            Program::Memcached => Protocol::Memcached,
        }
    }
}

impl SpawnConfig {
    /// The server's command line for `port` with its files in `dir`.
    fn arguments(&self, port: u16, dir: &TempDir) -> Result<Vec<String>, DriveError> {
        let fail = |message: String| DriveError::Spawn {
            program: self.program.binary().to_string(),
            message,
        };
        let mut args: Vec<String> = Vec::new();
        match self.program.protocol() {
            Protocol::Redis => {
                let dir = dir.path().to_string_lossy().into_owned();
                for (name, value) in [
                    ("--port", port.to_string()),
                    ("--bind", "127.0.0.1".to_string()),
                    ("--save", String::new()),
                    ("--appendonly", "no".to_string()),
                    ("--daemonize", "no".to_string()),
                    ("--dir", dir),
                ] {
                    args.extend([name.to_string(), value]);
                }
                if let Some(bytes) = self.maxmemory {
                    args.extend(["--maxmemory".to_string(), bytes.to_string()]);
                }
                let policy = self.policy.as_deref().unwrap_or("allkeys-lru");
                args.extend(["--maxmemory-policy".to_string(), policy.to_string()]);
                if let Some(samples) = self.samples {
                    if !SAMPLES.contains(&samples) {
                        return Err(fail(format!(
                            "--maxmemory-samples {samples}: Redis takes {} to {}",
                            SAMPLES.start(),
                            SAMPLES.end()
                        )));
                    }
                    args.extend(["--maxmemory-samples".to_string(), samples.to_string()]);
                }
            }
            Protocol::Memcached => {
                if self.policy.is_some() || self.samples.is_some() {
                    return Err(fail(
                        "memcached has no eviction policy to choose (--policy and --maxmemory-samples are for Redis)".into(),
                    ));
                }
                // `-u` only matters when run as root, which memcached
                // otherwise refuses; `-U 0` turns UDP off.
                for (name, value) in [
                    ("-p", port.to_string()),
                    ("-l", "127.0.0.1".to_string()),
                    ("-U", "0".to_string()),
                    ("-u", "root".to_string()),
                ] {
                    args.extend([name.to_string(), value]);
                }
                if let Some(bytes) = self.maxmemory {
                    const MIB: u64 = 1 << 20;
                    if bytes == 0 || bytes % MIB != 0 {
                        return Err(fail(format!(
                            "--maxmemory {bytes}: memcached's -m takes whole MiB (64MiB, 1MiB, ...)"
                        )));
                    }
                    args.extend(["-m".to_string(), (bytes / MIB).to_string()]);
                }
            }
        }
        Ok(args)
    }
}

/// A running private server; dropping it kills the server and waits for it.
pub struct Spawned {
    child: Child,
    /// Where the server is listening.
    pub target: Target,
    /// Its working directory and log, removed after it stops.
    dir: TempDir,
}

impl Spawned {
    /// Starts the server on a free loopback port and waits until it accepts
    /// connections.
    pub fn start(config: &SpawnConfig) -> Result<Spawned, DriveError> {
        let binary = config.program.binary();
        let fail = |message: String| DriveError::Spawn {
            program: binary.to_string(),
            message,
        };
        let dir = tempfile::Builder::new()
            .prefix("cachelab-server.")
            .tempdir()
            .map_err(|e| fail(format!("a temporary directory: {e}")))?;
        let port = free_port().map_err(|e| fail(format!("finding a free port: {e}")))?;
        let args = config.arguments(port, &dir)?;
        let log_path = dir.path().join("server.log");
        let log = File::create(&log_path).map_err(|e| fail(format!("its log file: {e}")))?;
        let log_err = log
            .try_clone()
            .map_err(|e| fail(format!("its log file: {e}")))?;
        let child = Command::new(binary)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => fail(format!(
                    "not found on PATH (Debian: apt-get install {binary})"
                )),
                _ => fail(e.to_string()),
            })?;
        let mut spawned = Spawned {
            child,
            target: Target::loopback(config.program.protocol(), port),
            dir,
        };
        spawned.wait_until_listening()?;
        Ok(spawned)
    }

    /// Waits until the server accepts a connection, or fails with the end
    /// of its log if it exits or takes longer than [`START_TIMEOUT`].
    fn wait_until_listening(&mut self) -> Result<(), DriveError> {
        let started = Instant::now();
        let address = (Ipv4Addr::LOCALHOST, self.target.port).into();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failed(&format!("exited at start ({status})")));
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(self.failed(&format!(
                    "not listening on port {} after {START_TIMEOUT:?}",
                    self.target.port
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The error of a server that did not start, with its log's last lines.
    fn failed(&self, what: &str) -> DriveError {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join("\n");
        DriveError::Spawn {
            program: self.program_name(),
            message: format!("{what}; its log ends:\n{tail}"),
        }
    }

    fn program_name(&self) -> String {
        match self.target.protocol {
            Protocol::Redis => "the Redis server".into(),
            Protocol::Memcached => "memcached".into(),
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server and waits for it (what dropping the guard does).
    pub fn stop(&mut self) {
        // An error means the server has exited already: nothing to stop.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port no one listens on now (the OS's choice of an ephemeral
/// port, released at once for the server to take).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A private server with its default memory for a unit test, or `None`
/// (said on standard error) when it is not installed and neither `CI` nor
/// `CACHELAB_REQUIRE_SERVERS=1` requires it.
#[cfg(test)]
pub(super) fn test_server(program: Program) -> Option<Spawned> {
    let binary = program.binary();
    let installed = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(binary).is_file()));
    if !installed {
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("CACHELAB_REQUIRE_SERVERS").is_some_and(|v| v == "1");
        assert!(!required, "{binary} is not installed, and CI requires it");
        eprintln!("skipped: {binary} is not installed (apt-get install {binary})");
        return None;
    }
    let config = SpawnConfig {
        program,
        maxmemory: None,
        policy: None,
        samples: None,
    };
    Some(Spawned::start(&config).expect("the server starts"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_is_started_private_and_memcached_in_whole_mib() {
        let dir = tempfile::tempdir().unwrap();
        let redis = SpawnConfig {
            program: Program::RedisServer,
            maxmemory: Some(2 << 20),
            policy: Some("allkeys-lfu".into()),
            samples: None,
        };
        let args = redis.arguments(7000, &dir).unwrap().join(" ");
        assert!(args.starts_with(
            "--port 7000 --bind 127.0.0.1 --save  --appendonly no --daemonize no --dir "
        ));
        assert!(args.ends_with("--maxmemory 2097152 --maxmemory-policy allkeys-lfu"));
        let unlimited = SpawnConfig {
            maxmemory: None,
            policy: None,
            samples: None,
            ..redis
        };
        let args = unlimited.arguments(7000, &dir).unwrap().join(" ");
        assert!(args.ends_with(" --maxmemory-policy allkeys-lru"), "{args}");
        let memcached = SpawnConfig {
            program: Program::Memcached,
            maxmemory: Some(3 << 20),
            policy: None,
            samples: None,
        };
        let args = memcached.arguments(7001, &dir).unwrap().join(" ");
        assert_eq!(args, "-p 7001 -l 127.0.0.1 -U 0 -u root -m 3");
        let odd = SpawnConfig {
            maxmemory: Some(1000),
            ..memcached.clone()
        };
        assert!(
            odd.arguments(1, &dir)
                .unwrap_err()
                .to_string()
                .contains("whole MiB")
        );
        let policy = SpawnConfig {
            policy: Some("allkeys-lru".into()),
            samples: None,
            ..memcached
        };
        assert!(policy.arguments(1, &dir).is_err());
        let sampled = |samples| SpawnConfig {
            program: Program::RedisServer,
            maxmemory: None,
            policy: None,
            samples: Some(samples),
        };
        let args = sampled(10).arguments(7000, &dir).unwrap().join(" ");
        assert!(
            args.ends_with("--maxmemory-policy allkeys-lru --maxmemory-samples 10"),
            "{args}"
        );
        for bad in [0, 65] {
            let error = sampled(bad).arguments(7000, &dir).unwrap_err().to_string();
            assert!(error.contains("1 to 64"), "{error}");
        }
        let on_memcached = SpawnConfig {
            policy: None,
            samples: Some(5),
            ..policy
        };
        assert!(on_memcached.arguments(1, &dir).is_err());
        assert!(
            Program::parse("nginx")
                .unwrap_err()
                .to_string()
                .contains("redis-server, valkey-server or memcached")
        );
    }
}
