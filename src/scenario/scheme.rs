//! Routing schemes as a scenario names them: which scheme, with which
//! parameters, and the registry of all of them. The routers themselves are
//! built by `cluster::routing`; this is the part a scenario is checked
//! against, so that validation needs nothing of the cluster.

/// Virtual nodes per member on the ring by default: ketama's 160 points per
/// server (twemproxy `KETAMA_POINTS_PER_SERVER`).
pub const DEFAULT_VNODES: u32 = 160;

/// Maglev lookup-table size by default: Envoy's default, a prime.
pub const DEFAULT_MAGLEV_TABLE: u64 = 65_537;

/// The largest Maglev table accepted: Envoy's maximum, a prime. The table
/// holds one [`NodeId`] per slot, so this caps it at 20 MB.
pub const MAX_MAGLEV_TABLE: u64 = 5_000_011;

/// A routing scheme with its parameters, before it is built over members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `mix(key) mod N` over the sorted members.
    Modulo,
    /// Consistent-hash ring with `vnodes` points per member.
    Ring {
        /// Points per member on the ring (at least 1).
        vnodes: u32,
    },
    /// Highest random weight: the member with the largest `hash(key, member)`.
    Rendezvous,
    /// Jump consistent hash over the sorted members as buckets.
    Jump,
    /// Maglev lookup table of `table_size` slots.
    Maglev {
        /// Slots in the lookup table: a prime, at least the member count.
        table_size: u64,
    },
}

/// One registered scheme: its name (as written in scenarios and results),
/// a one-line description, and its default parameters.
#[derive(Clone, Copy, Debug)]
pub struct SchemeSpec {
    /// The name `Scheme::parse` accepts.
    pub name: &'static str,
    /// One line for help texts.
    pub about: &'static str,
    /// The scheme with its default parameters.
    pub default: Scheme,
}

/// Every routing scheme, in the order help texts list them.
pub const SCHEMES: &[SchemeSpec] = &[
    SchemeSpec {
        name: "modulo",
        about: "hash mod N; moves almost every key when N changes",
        default: Scheme::Modulo,
    },
    SchemeSpec {
        name: "ring",
        about: "consistent-hash ring, 160 virtual nodes per member (ketama-like)",
        default: Scheme::Ring {
            vnodes: DEFAULT_VNODES,
        },
    },
    SchemeSpec {
        name: "rendezvous",
        about: "highest random weight (Thaler & Ravishankar 1998); O(N) per lookup",
        default: Scheme::Rendezvous,
    },
    SchemeSpec {
        name: "jump",
        about: "jump consistent hash (Lamping & Veach 2014) over the sorted members",
        default: Scheme::Jump,
    },
    SchemeSpec {
        name: "maglev",
        about: "Maglev lookup table of 65537 slots (Eisenbud et al. 2016)",
        default: Scheme::Maglev {
            table_size: DEFAULT_MAGLEV_TABLE,
        },
    },
];

impl Scheme {
    /// The scheme called `name`, with its default parameters; the error lists
    /// the names accepted.
    pub fn parse(name: &str) -> Result<Scheme, String> {
        SCHEMES
            .iter()
            .find(|spec| spec.name == name)
            .map(|spec| spec.default)
            .ok_or_else(|| {
                let names: Vec<&str> = SCHEMES.iter().map(|spec| spec.name).collect();
                format!(
                    "unknown routing scheme {name:?}; expected one of: {}",
                    names.join(", ")
                )
            })
    }

    /// The registry name of this scheme.
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::Modulo => "modulo",
            Scheme::Ring { .. } => "ring",
            Scheme::Rendezvous => "rendezvous",
            Scheme::Jump => "jump",
            Scheme::Maglev { .. } => "maglev",
        }
    }

    /// Checks the parameters: at least one virtual node, a prime Maglev table
    /// no larger than [`MAX_MAGLEV_TABLE`].
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Scheme::Ring { vnodes: 0 } => Err("ring: vnodes must be at least 1".to_owned()),
            Scheme::Maglev { table_size } if table_size > MAX_MAGLEV_TABLE => Err(format!(
                "maglev: table_size {table_size} exceeds the maximum {MAX_MAGLEV_TABLE}"
            )),
            Scheme::Maglev { table_size } if !is_prime(table_size) => Err(format!(
                "maglev: table_size {table_size} must be a prime (default {DEFAULT_MAGLEV_TABLE})"
            )),
            _ => Ok(()),
        }
    }
}

/// Trial division; the table sizes checked are at most a few million.
fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    (2..)
        .take_while(|d| d * d <= n)
        .all(|d| !n.is_multiple_of(d))
}
