//! Who owns a key, as the clients see it: the configured members, the nodes
//! clients have detected as down, the router over them, and the failover
//! route (database, rehash, gutter). Routing changes report the share of keys
//! that moved, measured on a fixed sample of keys.

use super::routing::{self, NodeId, Router, Scheme};
use crate::scenario::Scenario;
use crate::scenario::file::OnFailure;
use crate::seed::{Seed, mix64};

/// Keys sampled to measure how many move when routing changes.
const SAMPLE_KEYS: u64 = 100_000;

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

/// The clients' view of the cluster.
pub struct Membership {
    scheme: Scheme,
    on_failure: OnFailure,
    members: Vec<NodeId>,
    down: Vec<bool>,
    router: Option<Box<dyn Router>>,
    gutter: Option<Box<dyn Router>>,
    sample: Vec<u64>,
}

impl Membership {
    /// Nodes `0..nodes` all up, and `gutter_nodes` gutter nodes.
    pub fn new(scenario: &Scenario, nodes: u32, gutter_nodes: u32, seed: Seed) -> Membership {
        let gutter_ids: Vec<NodeId> = (0..gutter_nodes).collect();
        let mut membership = Membership {
            scheme: scenario.scheme,
            on_failure: scenario.file.cache.on_failure,
            members: (0..nodes).collect(),
            down: vec![false; nodes as usize],
            router: None,
            gutter: (!gutter_ids.is_empty()).then(|| routing::build(&scenario.scheme, &gutter_ids)),
            sample: (0..SAMPLE_KEYS).map(|i| mix64(i ^ seed.0)).collect(),
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

    /// Where a request for `key` goes.
    #[inline]
    pub fn target(&self, key: u64) -> Target {
        let Some(router) = &self.router else {
            return Target::Database;
        };
        let owner = router.route(key);
        if !self.down[owner as usize] {
            return Target::Node(Pool::Main, owner);
        }
        match (self.on_failure, &self.gutter) {
            (OnFailure::Gutter, Some(gutter)) => Target::Node(Pool::Gutter, gutter.route(key)),
            _ => Target::Database,
        }
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
