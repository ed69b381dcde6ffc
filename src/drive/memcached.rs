//! memcached through its text protocol, in a small client of our own: a
//! batch is written whole, then its replies read in order, one per command.
//!
//! Why not a crate: a driver must know, for every request of a pipelined
//! batch and in order, whether it hit. The maintained `memcache` crate's
//! multi-get answers with a map by key (a key twice in a batch is one
//! entry, and its order is lost) and it cannot pipeline sets; the text
//! protocol's get, set, delete and stats take a few dozen lines here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::SystemTime;

use super::target::{Command, Connection, Counters, ServerInfo, TIMEOUT, key_name};

/// The `stats` fields kept as counters.
const COUNTERS: [&str; 7] = [
    "bytes",
    "curr_items",
    "evictions",
    "get_hits",
    "get_misses",
    "limit_maxbytes",
    "total_items",
];

/// The longest exptime memcached reads as an offset from now: 30 days.
/// A larger number is a Unix time (its `protocol.txt`, "Storage commands").
const MAX_RELATIVE_EXPTIME: u32 = 60 * 60 * 24 * 30;

/// The exptime field of a set whose TTL is `ttl_s` seconds (0: none),
/// sent at `now`: the TTL itself up to 30 days, and past that the Unix
/// time it ends at, since memcached would read the longer offset as a
/// time in 1970 and the item would be born expired.
fn exptime(ttl_s: u32, now: SystemTime) -> u64 {
    if ttl_s <= MAX_RELATIVE_EXPTIME {
        return u64::from(ttl_s);
    }
    let unix_now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    unix_now + u64::from(ttl_s)
}

/// The `stats settings` fields recorded as configuration.
const SETTINGS: [&str; 6] = [
    "maxbytes",
    "growth_factor",
    "chunk_size",
    "item_size_max",
    "evictions",
    "lru_segmented",
];

/// One connection to a memcached server.
pub struct MemcachedConnection {
    stream: BufReader<TcpStream>,
    /// The requests of a batch, written at once.
    out: Vec<u8>,
    /// Values are prefixes of this buffer, grown to the largest size sent.
    value: Vec<u8>,
    /// One reply line.
    line: Vec<u8>,
}

impl MemcachedConnection {
    /// Connects to `address`, with [`TIMEOUT`] on the connection and on
    /// every reply.
    pub fn open(address: SocketAddr) -> Result<MemcachedConnection, String> {
        let stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| e.to_string())?;
        Ok(MemcachedConnection {
            stream: BufReader::new(stream),
            out: Vec::new(),
            value: Vec::new(),
            line: Vec::new(),
        })
    }

    /// Writes what `out` holds, then clears it.
    fn send(&mut self) -> Result<(), String> {
        let written = self.stream.get_mut().write_all(&self.out);
        self.out.clear();
        written.map_err(|e| format!("sending: {e}"))
    }

    /// Reads one reply line, without its `\r\n`, into `self.line`; an
    /// error line (`ERROR`, `CLIENT_ERROR ..`, `SERVER_ERROR ..`) is an error.
    fn read_line(&mut self) -> Result<&str, String> {
        let text = self.next_line()?;
        if text == "ERROR" || text.starts_with("CLIENT_ERROR") || text.starts_with("SERVER_ERROR") {
            return Err(format!("the server answered `{text}`"));
        }
        Ok(text)
    }

    /// Reads the reply to a set: stored, or refused for want of memory
    /// (`SERVER_ERROR out of memory storing object`, which memcached answers
    /// when the item's class has no page to get and nothing in COLD or HOT
    /// to evict): either way the request goes on, and false is returned.
    fn read_set(&mut self) -> Result<bool, String> {
        match self.next_line()? {
            "STORED" => Ok(false),
            line if line.starts_with("SERVER_ERROR out of memory") => Ok(false),
            other => Err(format!("the server answered `{other}` to a set")),
        }
    }

    /// Reads one reply line, without its `\r\n`, into `self.line`.
    fn next_line(&mut self) -> Result<&str, String> {
        self.line.clear();
        let n = self
            .stream
            .read_until(b'\n', &mut self.line)
            .map_err(|e| format!("reading a reply: {e}"))?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        std::str::from_utf8(&self.line)
            .map_err(|_| "a reply line is not text".to_string())
            .map(|text| text.trim_end_matches(['\r', '\n']))
    }

    /// Reads the reply to a get: a value then `END`, or `END` alone.
    fn read_get(&mut self) -> Result<bool, String> {
        let line = self.read_line()?;
        if line == "END" {
            return Ok(false);
        }
        let bytes: usize = line
            .strip_prefix("VALUE ")
            .and_then(|rest| rest.split(' ').nth(2)?.parse().ok())
            .ok_or_else(|| format!("unexpected reply to get: `{line}`"))?;
        let mut skip = (&mut self.stream).take(bytes as u64 + 2);
        let read = std::io::copy(&mut skip, &mut std::io::sink())
            .map_err(|e| format!("reading a value: {e}"))?;
        if read != bytes as u64 + 2 {
            return Err("the server closed the connection inside a value".into());
        }
        match self.read_line()? {
            "END" => Ok(true),
            other => Err(format!("unexpected reply after a value: `{other}`")),
        }
    }

    /// The counter `name` of `stats`.
    fn stat(&mut self, name: &str) -> Result<u64, String> {
        self.stats("stats")?
            .into_iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| format!("stats has no `{name}`"))
    }

    /// Sends `command` (`stats` or `stats settings`) and reads its
    /// `STAT name value` lines up to `END`.
    fn stats(&mut self, command: &str) -> Result<Vec<(String, String)>, String> {
        self.out.extend_from_slice(command.as_bytes());
        self.out.extend_from_slice(b"\r\n");
        self.send()?;
        let mut fields = Vec::new();
        loop {
            let line = self.read_line()?;
            if line == "END" {
                return Ok(fields);
            }
            let (name, value) = line
                .strip_prefix("STAT ")
                .and_then(|rest| rest.split_once(' '))
                .ok_or_else(|| format!("unexpected reply to {command}: `{line}`"))?;
            fields.push((name.to_string(), value.to_string()));
        }
    }
}

impl Connection for MemcachedConnection {
    fn exchange(&mut self, commands: &[Command]) -> Result<Vec<bool>, String> {
        for command in commands {
            match *command {
                Command::Get(key) => {
                    self.out
                        .extend_from_slice(format!("get {}\r\n", key_name(key)).as_bytes());
                }
                Command::Set(key, size, ttl_s) => {
                    let size = size as usize;
                    if self.value.len() < size {
                        self.value.resize(size, b'x');
                    }
                    let exptime = exptime(ttl_s, SystemTime::now());
                    self.out.extend_from_slice(
                        format!("set {} 0 {exptime} {size}\r\n", key_name(key)).as_bytes(),
                    );
                    self.out.extend_from_slice(&self.value[..size]);
                    self.out.extend_from_slice(b"\r\n");
                }
                Command::Delete(key) => {
                    self.out
                        .extend_from_slice(format!("delete {}\r\n", key_name(key)).as_bytes());
                }
            }
        }
        self.send()?;
        commands
            .iter()
            .map(|command| match command {
                Command::Get(_) => self.read_get(),
                Command::Set(..) => self.read_set(),
                Command::Delete(_) => match self.read_line()? {
                    "DELETED" | "NOT_FOUND" => Ok(false),
                    other => Err(format!("unexpected reply to delete: `{other}`")),
                },
            })
            .collect()
    }

    fn info(&mut self) -> Result<ServerInfo, String> {
        let stats = self.stats("stats")?;
        let version = stats
            .iter()
            .find(|(k, _)| k == "version")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let config = self
            .stats("stats settings")?
            .into_iter()
            .filter(|(k, _)| SETTINGS.contains(&k.as_str()))
            .collect();
        Ok(ServerInfo {
            software: "memcached".to_string(),
            version,
            config,
        })
    }

    fn held_keys(&mut self) -> Result<u64, String> {
        self.stat("curr_items")
    }

    fn evicted_keys(&mut self) -> Result<u64, String> {
        self.stat("evictions")
    }

    fn counters(&mut self) -> Result<Counters, String> {
        let counters: Counters = self
            .stats("stats")?
            .into_iter()
            .filter(|(k, _)| COUNTERS.contains(&k.as_str()))
            .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
            .collect();
        match COUNTERS.iter().find(|c| !counters.contains_key(**c)) {
            Some(missing) => Err(format!("stats has no `{missing}`")),
            None => Ok(counters),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_exptime_is_the_ttl_up_to_30_days_and_a_unix_time_past_it() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(exptime(0, now), 0, "no TTL: never expires");
        assert_eq!(exptime(5, now), 5);
        assert_eq!(exptime(2_592_000, now), 2_592_000, "30 days, an offset");
        assert_eq!(exptime(2_592_001, now), 1_800_000_000 + 2_592_001);
    }
}
