//! The kinds of failure and membership change a scenario can schedule: a
//! vocabulary shared by the scenario format, the cluster model that applies
//! them and the metrics that report them, so it sits below all three.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What happens to a node.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FailureAction {
    /// The node stops and loses its contents.
    Crash,
    /// A crashed node comes back, empty.
    Recover,
    /// The node serves `factor` times slower.
    Slow,
    /// A slow node returns to normal speed.
    Restore,
    /// Clients cannot reach the node; it keeps its contents.
    Partition,
    /// A partition ends.
    Heal,
    /// A new node joins (id: the next free one).
    Add,
    /// The node leaves for good, planned: clients are told at once.
    Remove,
}

impl FailureAction {
    /// Every action, in the order the docs list them. A new kind of failure
    /// is its variant here (with its answers below) and its handler in the
    /// cluster model; a test holds this list equal to the schema's.
    pub const ALL: [FailureAction; 8] = [
        FailureAction::Crash,
        FailureAction::Recover,
        FailureAction::Slow,
        FailureAction::Restore,
        FailureAction::Partition,
        FailureAction::Heal,
        FailureAction::Add,
        FailureAction::Remove,
    ];

    /// Names an existing node (`node = N`); `add` names none, the new node
    /// gets the next id.
    pub fn takes_node(self) -> bool {
        match self {
            FailureAction::Add => false,
            FailureAction::Crash
            | FailureAction::Recover
            | FailureAction::Slow
            | FailureAction::Restore
            | FailureAction::Partition
            | FailureAction::Heal
            | FailureAction::Remove => true,
        }
    }

    /// The name as scenario files write it.
    pub fn name(self) -> &'static str {
        match self {
            FailureAction::Crash => "crash",
            FailureAction::Recover => "recover",
            FailureAction::Slow => "slow",
            FailureAction::Restore => "restore",
            FailureAction::Partition => "partition",
            FailureAction::Heal => "heal",
            FailureAction::Add => "add",
            FailureAction::Remove => "remove",
        }
    }

    /// Takes a service-time `factor`.
    pub fn takes_factor(self) -> bool {
        matches!(self, FailureAction::Slow)
    }

    /// Starts a disturbance (rather than ending one): crash, partition,
    /// slow, add, remove.
    pub fn is_disturbance(self) -> bool {
        match self {
            FailureAction::Crash
            | FailureAction::Partition
            | FailureAction::Slow
            | FailureAction::Add
            | FailureAction::Remove => true,
            FailureAction::Recover | FailureAction::Heal | FailureAction::Restore => false,
        }
    }
}

impl std::fmt::Display for FailureAction {
    /// The name as scenario files write it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
