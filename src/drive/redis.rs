//! Redis and Valkey through the `redis` crate's synchronous client: a batch
//! is one pipeline, a nil reply to GET a miss, and `INFO` and `CONFIG GET`
//! tell what the server is and did.

use std::net::SocketAddr;

use redis::{ConnectionAddr, Value};

use super::target::{Command, Connection, Counters, ServerInfo, TIMEOUT, key_name};

/// The `INFO` fields kept as counters.
const COUNTERS: [&str; 6] = [
    "used_memory",
    "evicted_keys",
    "keyspace_hits",
    "keyspace_misses",
    "expired_keys",
    "total_commands_processed",
];

/// The configuration recorded with a run.
const CONFIG: [&str; 5] = [
    "maxmemory",
    "maxmemory-policy",
    "maxmemory-samples",
    "lfu-log-factor",
    "lfu-decay-time",
];

/// One connection to a Redis-protocol server.
pub struct RedisConnection {
    connection: redis::Connection,
    /// Values are prefixes of this buffer, grown to the largest size sent.
    value: Vec<u8>,
}

impl RedisConnection {
    /// Connects to `address`, with [`TIMEOUT`] on the connection and on
    /// every reply.
    pub fn open(address: SocketAddr) -> Result<RedisConnection, String> {
        let client = redis::Client::open(ConnectionAddr::Tcp(
            address.ip().to_string(),
            address.port(),
        ))
        .map_err(|e| e.to_string())?;
        let connection = client
            .get_connection_with_timeout(TIMEOUT)
            .map_err(|e| e.to_string())?;
        connection
            .set_read_timeout(Some(TIMEOUT))
            .and_then(|()| connection.set_write_timeout(Some(TIMEOUT)))
            .map_err(|e| e.to_string())?;
        Ok(RedisConnection {
            connection,
            value: Vec::new(),
        })
    }

    /// The `INFO` text, as `field → value`.
    /// The fields of `INFO section` (`default`: the sections plain `INFO`
    /// gives).
    fn info_fields(&mut self, section: &str) -> Result<Vec<(String, String)>, String> {
        let text: String = redis::cmd("INFO")
            .arg(section)
            .query(&mut self.connection)
            .map_err(|e| e.to_string())?;
        Ok(text
            .lines()
            .filter_map(|line| line.trim().split_once(':'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }
}

impl Connection for RedisConnection {
    fn exchange(&mut self, commands: &[Command]) -> Result<Vec<bool>, String> {
        let largest = commands
            .iter()
            .map(|c| match c {
                Command::Set(_, size, _) => *size as usize,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        if self.value.len() < largest {
            self.value.resize(largest, b'x');
        }
        let mut pipe = redis::pipe();
        for command in commands {
            match *command {
                Command::Get(key) => pipe.cmd("GET").arg(key_name(key)),
                Command::Set(key, size, ttl_s) => {
                    pipe.cmd("SET")
                        .arg(key_name(key))
                        .arg(&self.value[..size as usize]);
                    if ttl_s > 0 {
                        pipe.arg("EX").arg(ttl_s);
                    }
                    &mut pipe
                }
                Command::Delete(key) => pipe.cmd("DEL").arg(key_name(key)),
            };
        }
        let replies: Vec<Value> = pipe
            .query(&mut self.connection)
            .map_err(|e| e.to_string())?;
        if replies.len() != commands.len() {
            return Err(format!(
                "{} replies to {} commands",
                replies.len(),
                commands.len()
            ));
        }
        Ok(commands
            .iter()
            .zip(&replies)
            .map(|(command, reply)| {
                matches!(command, Command::Get(_)) && !matches!(reply, Value::Nil)
            })
            .collect())
    }

    fn info(&mut self) -> Result<ServerInfo, String> {
        let fields = self.info_fields("default")?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        // Valkey reports `valkey_version` (and `redis_version` 7.2.4 for
        // compatibility); Redis only the latter.
        let (software, version) = match field("valkey_version") {
            Some(version) => ("valkey", version),
            None => ("redis", field("redis_version").unwrap_or_default()),
        };
        let pairs: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(&CONFIG[..])
            .query(&mut self.connection)
            .map_err(|e| e.to_string())?;
        let config = pairs
            .chunks_exact(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect();
        Ok(ServerInfo {
            software: software.to_string(),
            version,
            config,
        })
    }

    fn evicted_keys(&mut self) -> Result<u64, String> {
        self.info_fields("stats")?
            .into_iter()
            .find(|(k, _)| k == "evicted_keys")
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| "INFO stats has no `evicted_keys`".to_string())
    }

    fn held_keys(&mut self) -> Result<u64, String> {
        redis::cmd("DBSIZE")
            .query(&mut self.connection)
            .map_err(|e| e.to_string())
    }

    fn counters(&mut self) -> Result<Counters, String> {
        let fields = self.info_fields("default")?;
        let mut counters: Counters = fields
            .iter()
            .filter(|(k, _)| COUNTERS.contains(&k.as_str()))
            .filter_map(|(k, v)| Some((k.clone(), v.parse().ok()?)))
            .collect();
        // `db0:keys=N,expires=M,avg_ttl=T`: the keys held, and those of
        // them with a TTL.
        let db0 = fields
            .iter()
            .find(|(k, _)| k == "db0")
            .map(|(_, v)| v.as_str());
        for name in ["keys", "expires"] {
            let value = db0
                .and_then(|v| {
                    v.split(',')
                        .find_map(|field| field.strip_prefix(name)?.strip_prefix('='))
                })
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            counters.insert(name.to_string(), value);
        }
        match COUNTERS.iter().find(|c| !counters.contains_key(**c)) {
            Some(missing) => Err(format!("INFO has no `{missing}`")),
            None => Ok(counters),
        }
    }
}
