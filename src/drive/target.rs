//! What `--target` names (a protocol and an address), what a connection to
//! it can do, and what the server reports about itself.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;

use super::DriveError;

/// How long a connection waits to be accepted, and for any reply, before
/// the server counts as gone.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The protocols a target may speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Redis's RESP (Redis, Valkey, KeyDB).
    Redis,
    /// memcached's text protocol.
    Memcached,
}

impl Protocol {
    /// The URL scheme of the protocol.
    pub fn scheme(self) -> &'static str {
        match self {
            Protocol::Redis => "redis",
            Protocol::Memcached => "memcached",
        }
    }

    /// The server's own names for its get hits, get misses and evictions.
    pub fn counter_names(self) -> [&'static str; 3] {
        match self {
            Protocol::Redis => ["keyspace_hits", "keyspace_misses", "evicted_keys"],
            Protocol::Memcached => ["get_hits", "get_misses", "evictions"],
        }
    }
}

/// A server to drive: `redis://HOST:PORT` or `memcached://HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The protocol it speaks.
    pub protocol: Protocol,
    /// The host as written.
    pub host: String,
    /// The port.
    pub port: u16,
}

/// What a target string may look like, for error messages.
const ALLOWED: &str = "redis://HOST:PORT (Redis or Valkey) or memcached://HOST:PORT";

impl Target {
    /// Parses `redis://127.0.0.1:6379` or `memcached://localhost:11211`.
    pub fn parse(text: &str) -> Result<Target, DriveError> {
        let bad = |why: &str| DriveError::BadTarget {
            text: text.to_string(),
            why: format!("{why}; a target is {ALLOWED}"),
        };
        let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let protocol = match scheme {
            "redis" | "valkey" => Protocol::Redis,
            "memcached" | "memcache" => Protocol::Memcached,
            other => return Err(bad(&format!("unknown scheme `{other}`"))),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad("no port"))?;
        let port: u16 = port
            .parse()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| bad(&format!("`{port}` is not a port from 1 to 65535")))?;
        if host.is_empty() || host.contains(['/', '@', '?']) {
            return Err(bad(&format!(
                "`{host}` is not a host (no user, database or options)"
            )));
        }
        Ok(Target {
            protocol,
            host: host.to_string(),
            port,
        })
    }

    /// The target on the loopback interface at `port`.
    pub fn loopback(protocol: Protocol, port: u16) -> Target {
        Target {
            protocol,
            host: "127.0.0.1".to_string(),
            port,
        }
    }

    /// The first address the host resolves to.
    pub(super) fn address(&self) -> Result<SocketAddr, DriveError> {
        let resolve_error = |message: String| DriveError::Connect {
            target: self.to_string(),
            message,
        };
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| resolve_error(e.to_string()))?
            .next()
            .ok_or_else(|| resolve_error("the host resolves to no address".into()))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}:{}",
            self.protocol.scheme(),
            self.host,
            self.port
        )
    }
}

/// One command of a batch, with the object's key and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Read the object.
    Get(u64),
    /// Store a value of the given size, with a TTL in seconds (0: none).
    Set(u64, u32, u32),
    /// Remove the object.
    Delete(u64),
}

/// The key an object is stored under: its number with a prefix, so that a
/// run against a shared server cannot clobber keys of other programs.
pub fn key_name(key: u64) -> String {
    format!("cachelab:{key}")
}

/// The server's software, version and configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServerInfo {
    /// `redis`, `valkey` or `memcached`.
    pub software: String,
    /// Its version as it reports it.
    pub version: String,
    /// Its configuration that bears on caching (maxmemory and policy, or
    /// memcached's memory limit and slab settings), as it reports them.
    pub config: BTreeMap<String, String>,
}

/// The server's counters, by its own names (`keyspace_hits`, `get_hits`, ...).
pub type Counters = BTreeMap<String, u64>;

/// A connection to a server, speaking its protocol.
pub trait Connection: Send {
    /// Sends `commands` together (one pipeline) and returns, for each,
    /// whether it was a get that hit (false for misses, sets and deletes).
    /// A reply that is an error is an error.
    fn exchange(&mut self, commands: &[Command]) -> Result<Vec<bool>, String>;
    /// The server's software, version and configuration.
    fn info(&mut self) -> Result<ServerInfo, String>;
    /// The server's counters now.
    fn counters(&mut self) -> Result<Counters, String>;
    /// The keys the server holds now (Redis `DBSIZE`, memcached's
    /// `curr_items`), asked on this connection so that no other client's
    /// buffers count against its memory while it answers.
    fn held_keys(&mut self) -> Result<u64, String>;
    /// The keys the server has evicted since it started (Redis
    /// `evicted_keys`, memcached's `evictions`).
    fn evicted_keys(&mut self) -> Result<u64, String>;
}

/// Opens a connection to `target`.
pub fn connect(target: &Target) -> Result<Box<dyn Connection>, DriveError> {
    let address = target.address()?;
    let opened = match target.protocol {
        Protocol::Redis => {
            super::redis::RedisConnection::open(address).map(|c| Box::new(c) as Box<dyn Connection>)
        }
        Protocol::Memcached => super::memcached::MemcachedConnection::open(address)
            .map(|c| Box::new(c) as Box<dyn Connection>),
    };
    opened.map_err(|message| DriveError::Connect {
        target: target.to_string(),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::super::spawn::{Program, test_server};
    use super::*;

    /// Against a real `program`: replies say hit or miss in request order
    /// (with a 0-byte value and one larger than any read buffer), the
    /// server's own counters follow them, and its software is `software`.
    fn replies_and_counters(program: Program, protocol: Protocol, software: &str) {
        let Some(server) = test_server(program) else {
            return;
        };
        let mut connection = connect(&server.target).unwrap();
        let before = connection.counters().unwrap();
        let replies = connection
            .exchange(&[
                Command::Get(1),
                Command::Set(1, 0, 0),
                Command::Get(1),
                Command::Set(2, 300_000, 0),
                Command::Get(2),
                Command::Delete(1),
                Command::Get(1),
                Command::Delete(3),
            ])
            .unwrap();
        assert_eq!(
            replies,
            [false, false, true, false, true, false, false, false]
        );
        let after = connection.counters().unwrap();
        let [hits, misses, _] = protocol.counter_names();
        assert_eq!(after[hits] - before[hits], 2);
        assert_eq!(after[misses] - before[misses], 2);
        let info = connection.info().unwrap();
        assert_eq!(info.software, software);
        assert!(
            info.version.starts_with(|c: char| c.is_ascii_digit()),
            "{info:?}"
        );
    }

    #[test]
    fn redis_replies_say_hit_or_miss_in_order_and_the_counters_follow() {
        replies_and_counters(Program::RedisServer, Protocol::Redis, "redis");
    }

    #[test]
    fn memcached_replies_say_hit_or_miss_in_order_and_the_counters_follow() {
        replies_and_counters(Program::Memcached, Protocol::Memcached, "memcached");
    }

    #[test]
    fn targets_parse_and_print_back() {
        let t = Target::parse("redis://127.0.0.1:6379").unwrap();
        assert_eq!(t, Target::loopback(Protocol::Redis, 6379));
        assert_eq!(t.to_string(), "redis://127.0.0.1:6379");
        let t = Target::parse("memcached://localhost:11211/").unwrap();
        assert_eq!(t.protocol, Protocol::Memcached);
        assert_eq!(t.host, "localhost");
        assert_eq!(
            Target::parse("valkey://h:1").unwrap().protocol,
            Protocol::Redis
        );
    }

    #[test]
    fn bad_targets_say_what_is_allowed() {
        for text in [
            "127.0.0.1:6379",
            "http://h:1",
            "redis://h",
            "redis://h:0",
            "redis://h:99999",
            "redis://:6379",
            "redis://user@h:1",
        ] {
            let message = Target::parse(text).unwrap_err().to_string();
            assert!(message.contains(text), "{message}");
            assert!(message.contains(ALLOWED), "{message}");
        }
    }
}
