//! Who owns a key, as the clients see it: the configured members, the nodes
//! clients have detected as down, the router over them, the copies of each
//! key (replication, hot keys), and the failover route (database, rehash,
//! gutter). Routing changes report the share of keys that moved, measured
//! on a fixed sample of keys.

use rand::RngExt;
use rustc_hash::FxHashSet;

use super::routing::{self, NodeId, Router, Scheme};
use crate::scenario::config::{ClusterConfig, OnFailure};
use crate::seed::{Rng, Seed, mix64};

/// Keys sampled to measure how many move when routing changes.
const SAMPLE_KEYS: u64 = 100_000;

/// Most copies of one key (as validated in the scenario).
const MAX_COPIES: usize = crate::scenario::MAX_COPIES as usize;

/// Which pool a node belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    /// The main cache nodes.
    Main,
    /// The gutter pool.
    Gutter,
}

/// Where a client sends a request for a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// This node of this pool.
    Node(Pool, NodeId),
    /// Straight to the database.
    Database,
}

/// The nodes holding copies of a key, primary first.
#[derive(Clone, Copy, Debug)]
pub struct Copies {
    ids: [NodeId; MAX_COPIES],
    len: usize,
}

impl Copies {
    /// The nodes.
    pub fn ids(&self) -> &[NodeId] {
        &self.ids[..self.len]
    }
}

/// The clients' view of the cluster.
pub struct Membership {
    scheme: Scheme,
    on_failure: OnFailure,
    members: Vec<NodeId>,
    down: Vec<bool>,
    router: Option<Box<dyn Router>>,
    gutter: Option<Box<dyn Router>>,
    sample: Vec<u64>,
    copies: usize,
    hot: FxHashSet<u64>,
    hot_copies: usize,
    choice: Rng,
}

impl Membership {
    /// Nodes `0..nodes` all up, `gutter_nodes` gutter nodes, and the keys
    /// that get extra copies.
    pub fn new(
        config: &ClusterConfig,
        nodes: u32,
        gutter_nodes: u32,
        hot: FxHashSet<u64>,
        seed: Seed,
    ) -> Membership {
        let gutter_ids: Vec<NodeId> = (0..gutter_nodes).collect();
        let rep = &config.replication;
        let mut membership = Membership {
            scheme: config.routing,
            on_failure: config.cache.on_failure,
            members: (0..nodes).collect(),
            down: vec![false; nodes as usize],
            router: None,
            gutter: (!gutter_ids.is_empty()).then(|| routing::build(&config.routing, &gutter_ids)),
            sample: (0..SAMPLE_KEYS).map(|i| mix64(i ^ seed.0)).collect(),
            copies: rep.copies as usize,
            hot,
            hot_copies: rep.hot_copies as usize,
            choice: seed.derive("replica-choice").rng(),
        };
        membership.router = membership.build_router();
        membership
    }

    fn routed_members(&self) -> Vec<NodeId> {
        let rehash = self.on_failure == OnFailure::Rehash;
        self.members
            .iter()
            .copied()
            .filter(|&id| !(rehash && self.down[id as usize]))
            .collect()
    }

    fn build_router(&self) -> Option<Box<dyn Router>> {
        let members = self.routed_members();
        (!members.is_empty()).then(|| routing::build(&self.scheme, &members))
    }

    /// Rebuilds the router; returns the share of sampled keys that moved if
    /// the routed set changed.
    fn rebuild(&mut self) -> Option<f64> {
        let before_members = self
            .router
            .as_ref()
            .map(|r| r.members().to_vec())
            .unwrap_or_default();
        let after = self.build_router();
        let after_members = after
            .as_ref()
            .map(|r| r.members().to_vec())
            .unwrap_or_default();
        if before_members == after_members {
            return None;
        }
        let moved = match (&self.router, &after) {
            (Some(before), Some(after)) => {
                routing::moved_fraction(before.as_ref(), after.as_ref(), &self.sample)
            }
            _ => 1.0,
        };
        self.router = after;
        Some(moved)
    }

    /// The nodes holding `key`: its owner, then the owners of salted hashes
    /// of the key until enough distinct nodes are found (replica `i` of a
    /// key is the owner of `mix64(key ^ i)`, whatever the routing scheme).
    #[inline]
    pub fn copies(&self, key: u64) -> Copies {
        let mut copies = Copies {
            ids: [0; MAX_COPIES],
            len: 0,
        };
        let Some(router) = &self.router else {
            return copies;
        };
        copies.ids[0] = router.route(key);
        copies.len = 1;
        let wanted = if !self.hot.is_empty() && self.hot.contains(&key) {
            self.copies.max(self.hot_copies)
        } else {
            self.copies
        };
        let wanted = wanted.min(router.members().len());
        let mut salt = 1u64;
        while copies.len < wanted && salt < 64 * MAX_COPIES as u64 {
            let id = router.route(mix64(key ^ salt));
            if !copies.ids().contains(&id) {
                copies.ids[copies.len] = id;
                copies.len += 1;
            }
            salt += 1;
        }
        copies
    }

    /// Where a read of `key` goes: a live copy (chosen at random when there
    /// are several), else the failover route.
    #[inline]
    pub fn read_target(&mut self, key: u64) -> Target {
        // One copy per key and no hot keys: the primary, when it is up
        // (what `copies` would find, without building the list).
        if self.copies <= 1
            && self.hot.is_empty()
            && let Some(router) = &self.router
        {
            let primary = router.route(key);
            if !self.down[primary as usize] {
                return Target::Node(Pool::Main, primary);
            }
        }
        let copies = self.copies(key);
        if copies.len == 0 {
            return Target::Database;
        }
        let primary = copies.ids[0];
        if copies.len == 1 && !self.down[primary as usize] {
            return Target::Node(Pool::Main, primary);
        }
        let live = copies
            .ids()
            .iter()
            .filter(|&&id| !self.down[id as usize])
            .count();
        if live > 0 {
            let pick = if live == 1 {
                0
            } else {
                self.choice.random_range(0..live)
            };
            let id = copies
                .ids()
                .iter()
                .copied()
                .filter(|&id| !self.down[id as usize])
                .nth(pick);
            return Target::Node(Pool::Main, id.expect("a live copy"));
        }
        match (self.on_failure, &self.gutter) {
            (OnFailure::Gutter, Some(gutter)) => Target::Node(Pool::Gutter, gutter.route(key)),
            _ => Target::Database,
        }
    }

    /// The live copies a write or an invalidation of `key` goes to (main
    /// nodes only: the gutter pool gets no invalidations).
    pub fn write_targets(&self, key: u64) -> Copies {
        let mut copies = self.copies(key);
        let mut live = 0;
        for i in 0..copies.len {
            if !self.down[copies.ids[i] as usize] {
                copies.ids[live] = copies.ids[i];
                live += 1;
            }
        }
        copies.len = live;
        copies
    }

    /// Whether clients believe `node` is down.
    pub fn is_down(&self, node: NodeId) -> bool {
        self.down[node as usize]
    }

    /// Clients now believe `node` is down (or up). Returns the share of keys
    /// moved, when routing changed.
    pub fn set_down(&mut self, node: NodeId, down: bool) -> Option<f64> {
        self.down[node as usize] = down;
        self.rebuild()
    }

    /// A new node joins; returns the share of keys moved.
    pub fn add(&mut self, node: NodeId) -> Option<f64> {
        self.members.push(node);
        if self.down.len() <= node as usize {
            self.down.resize(node as usize + 1, false);
        }
        self.rebuild()
    }

    /// A node leaves; returns the share of keys moved.
    pub fn remove(&mut self, node: NodeId) -> Option<f64> {
        self.members.retain(|&m| m != node);
        self.rebuild()
    }
}
