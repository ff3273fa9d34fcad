//! Scenarios: `(config, seed, timed commands)`, the one description of a run that the CLI runs,
//! the web app shares in a link, and the tests replay. Serialised as versioned JSON; the format
//! is documented in `docs/scenario-format.md`.
//!
//! Decoding never panics: malformed JSON, unknown fields, wrong types, a newer format version
//! and semantically invalid settings (an unknown node, k larger than the followers) all become a
//! [`ScenarioError`] that names the field and the problem.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::net::{validate_probability, Latency, LinkConfig};
use crate::protocol::{ClientId, Key, NodeId, ReadConcern, ReadFrom, Value};
use crate::protocols::leader_follower::LeaderFollowerConfig;
use crate::protocols::leaderless::LeaderlessConfig;
use crate::protocols::multi_leader::MultiLeaderConfig;

/// The `format` field of every scenario file.
pub const FORMAT: &str = "replicalab-scenario";
/// The newest format version this build reads and writes.
pub const VERSION: u32 = 1;
/// Largest scenario text accepted (bytes).
pub const MAX_SCENARIO_BYTES: usize = 4 << 20;
/// Most nodes a cluster may have.
pub const MAX_NODES: usize = 64;
/// Most commands a scenario may carry.
pub const MAX_COMMANDS: usize = 100_000;
/// Longest run a scenario may ask for, in milliseconds (one day).
pub const MAX_DURATION_MS: f64 = 86_400_000.0;

/// A complete, replayable description of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Where the behaviour this scenario reproduces is documented (for presets of real systems:
    /// the system's own documentation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default)]
    pub seed: u64,
    /// How long `replicalab run` simulates, in milliseconds.
    #[serde(default = "default_duration")]
    pub duration_ms: f64,
    pub cluster: ClusterConfig,
    pub protocol: ProtocolConfig,
    /// Clients; by default one per node, attached to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Vec<ClientConfig>>,
    /// A workload running from time 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadConfig>,
    #[serde(default)]
    pub commands: Vec<TimedCommand>,
}

fn default_duration() -> f64 {
    10_000.0
}

/// The machines and the network between them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    pub nodes: usize,
    /// Settings of every node.
    #[serde(default)]
    pub node: NodeConfig,
    /// Per-node exceptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_overrides: Vec<NodeOverride>,
    /// Settings of every link.
    #[serde(default)]
    pub network: LinkConfig,
    /// Per-link exceptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkOverride>,
    /// Latency between a client and the node it is attached to.
    #[serde(default = "default_client_latency")]
    pub client_latency: Latency,
    /// How often replication lag is sampled, in milliseconds.
    #[serde(default = "default_lag_sample")]
    pub lag_sample_ms: f64,
}

fn default_client_latency() -> Latency {
    Latency::Constant { ms: 0.1 }
}

fn default_lag_sample() -> f64 {
    10.0
}

impl ClusterConfig {
    /// `nodes` nodes with every other setting at the format's default (what
    /// `{"nodes": n}` means).
    pub fn new(nodes: usize) -> Self {
        ClusterConfig {
            nodes,
            node: NodeConfig::default(),
            node_overrides: Vec::new(),
            network: LinkConfig::default(),
            links: Vec::new(),
            client_latency: default_client_latency(),
            lag_sample_ms: default_lag_sample(),
        }
    }
}

/// When a node's writes reach stable storage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Fsync {
    /// Every write is durable before the node acts on it: a crash loses nothing.
    #[default]
    Always,
    /// Flushed periodically: a crash loses what was written since the last flush.
    Every { ms: f64 },
}

/// Settings of a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Processing time of one input (message, request, timer), in milliseconds. A node handles
    /// one input at a time, so a busy node queues: this is what makes lag grow under load.
    #[serde(default = "default_service_time")]
    pub service_time_ms: f64,
    #[serde(default)]
    pub fsync: Fsync,
}

fn default_service_time() -> f64 {
    0.02
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig { service_time_ms: default_service_time(), fsync: Fsync::Always }
    }
}

/// Exceptions for one node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeOverride {
    pub node: NodeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_time_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsync: Option<Fsync>,
}

/// Exceptions for one link (or both directions of it with `symmetric`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    pub from: NodeId,
    pub to: NodeId,
    #[serde(default)]
    pub symmetric: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fifo: Option<bool>,
}

/// The replication family and its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ProtocolConfig {
    LeaderFollower(LeaderFollowerConfig),
    MultiLeader(MultiLeaderConfig),
    Leaderless(LeaderlessConfig),
}

/// A client, attached to a node (it sits next to that node: same datacenter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub node: NodeId,
    /// How long the client waits for an answer before it gives up (outcome unknown).
    #[serde(default = "default_timeout")]
    pub timeout_ms: f64,
    /// Session guarantees this client asks for (none by default).
    #[serde(default, skip_serializing_if = "SessionConfig::is_none")]
    pub session: SessionConfig,
    /// Where this client's workload reads go, in place of the workload's `read_from` (default:
    /// as the workload says). Clients of one run can then read differently: DynamoDB's
    /// eventually consistent reads (any replica) beside `ConsistentRead=true` (the leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_from: Option<ReadFrom>,
    /// One operation at a time, as a database session: the workload issues nothing for this
    /// client while its previous operation is outstanding (its turn passes), so a client
    /// whose commit blocks issues nothing more until it returns (a MySQL or PostgreSQL
    /// connection). Default: the workload issues on schedule whatever is outstanding.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synchronous: bool,
    /// The client's driver routes around a node it found down, as Cassandra's drivers do
    /// (absent: every request goes where it is addressed, down or not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reroute: Option<Reroute>,
}

impl ClientConfig {
    /// A client next to `node` with every other setting at its default (as the scenario
    /// format's defaults): one way to build one that stays valid as settings are added.
    pub fn at(node: NodeId) -> ClientConfig {
        ClientConfig {
            node,
            timeout_ms: default_timeout(),
            session: SessionConfig::default(),
            read_from: None,
            synchronous: false,
            reroute: None,
        }
    }
}

/// How a client's driver routes around a node it found down. It cannot know at once: it marks
/// a node down when a request it sent there got no answer before the client's timeout (the
/// operation ends unknown). Until it reconnects, requests the client would send to that node
/// go to the next node (by id, wrapping) it does not hold down. Every `reconnect_ms` it tries
/// to connect again, which succeeds when the node is up and reachable from the client.
/// Requests addressed to one node on purpose (a scenario command's `node`) are not rerouted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reroute {
    #[serde(default = "default_reconnect")]
    pub reconnect_ms: f64,
}

fn default_reconnect() -> f64 {
    1_000.0
}

/// Session guarantees: the fixes for the seed article's three replication-lag problems.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_your_writes: Option<ReadYourWrites>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monotonic_reads: Option<MonotonicReads>,
    /// Carry one token for everything the session wrote and read, so that nothing it sees is
    /// older than something it already knew: consistent prefix / causal order.
    #[serde(default)]
    pub causal: bool,
    /// What a replica that has not caught up with the token does with a read.
    #[serde(default)]
    pub behind: crate::protocol::Behind,
    /// The read concern of the session's reads (leader-follower only; default `local`):
    /// MongoDB's `local`, `majority` or `linearizable`.
    #[serde(default, skip_serializing_if = "ReadConcern::is_local")]
    pub read_concern: ReadConcern,
}

impl SessionConfig {
    pub fn is_none(&self) -> bool {
        self == &SessionConfig::default()
    }
}

/// How read-your-writes is provided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ReadYourWrites {
    /// After a write, read from the leader for this long.
    LeaderFor { ms: f64 },
    /// Carry the write's position; read only from a replica that has it.
    Token,
}

/// How monotonic reads are provided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonotonicReads {
    /// Always read from the same replica (chosen once per client).
    Sticky,
    /// Carry the newest version read; read only from a replica at least that new.
    Token,
}

fn default_timeout() -> f64 {
    1_000.0
}

/// How keys are chosen by a workload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyDistribution {
    #[default]
    Uniform,
    /// Key `i` (from 0) chosen with weight `1 / (i + 1)^exponent`.
    Zipf { exponent: f64 },
}

/// How operation arrival times are spaced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Exponential gaps (an open system of many independent users).
    #[default]
    Poisson,
    /// Even gaps.
    Uniform,
}

/// An open-loop workload generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    /// Operations per second over all clients.
    pub rate_per_s: f64,
    #[serde(default = "half")]
    pub read_fraction: f64,
    /// Of the updates to register keys, the share that are deletes (default none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delete_fraction: f64,
    /// Of the other updates to register keys, the share sent as compare-and-set (Cassandra's
    /// lightweight transaction, leaderless only): each client sets a fresh value if the key
    /// still holds what that client last saw of it (nothing, if it has seen nothing). Default
    /// none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cas_fraction: f64,
    /// Number of keys (keys are `0..keys`).
    #[serde(default = "ten")]
    pub keys: u32,
    #[serde(default)]
    pub key_distribution: KeyDistribution,
    #[serde(default)]
    pub arrivals: Arrivals,
    #[serde(default)]
    pub read_from: ReadFrom,
    /// Which clients issue operations (default: all, in turn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Vec<ClientId>>,
    /// Stop issuing at this time (milliseconds); default: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_ms: Option<f64>,
}

fn half() -> f64 {
    0.5
}

fn one() -> i64 {
    1
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn ten() -> u32 {
    10
}

/// Every change to a running simulation. Faults and heals act on the world; `write` and `read`
/// are client operations; `promote` and `demote` are operator actions on a node's protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// The node stops; volatile state is lost, durable state survives.
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    /// The process stalls (a long GC pause, a frozen VM): it keeps its state and handles
    /// nothing until resumed, then catches up on what queued meanwhile.
    Pause {
        node: NodeId,
    },
    Resume {
        node: NodeId,
    },
    /// Multiplies the node's outgoing latency and processing time (1 = normal).
    Slow {
        node: NodeId,
        factor: f64,
    },
    /// Sets the node's clock: a fixed offset plus a drift rate.
    Clock {
        node: NodeId,
        skew_ms: f64,
        #[serde(default)]
        drift_ppm: f64,
    },
    /// Cuts every link between different groups; nodes in no group form one more group.
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// Cuts the link `from → to` (and back with `both`).
    Cut {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        both: bool,
    },
    /// Restores the link `from → to` (and back with `both`) if it was cut.
    Uncut {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        both: bool,
    },
    /// Restores every cut link.
    Heal {},
    /// Changes the settings of a link (and the way back with `both`).
    Link {
        from: NodeId,
        to: NodeId,
        #[serde(default)]
        both: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency: Option<Latency>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loss: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duplicate: Option<f64>,
    },
    /// A client writes. Without `value` the world picks one unique in the run; without `node`
    /// the client sends it where it believes the leader is.
    Write {
        client: ClientId,
        key: Key,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// Leaderless: W for this write.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quorum: Option<u32>,
    },
    /// A client reads, from `node` or as `from` says.
    Read {
        client: ClientId,
        key: Key,
        #[serde(default)]
        from: ReadFrom,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// Leaderless: R for this read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quorum: Option<u32>,
    },
    /// A client deletes a key (writes a tombstone).
    Delete {
        client: ClientId,
        key: Key,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// Leaderless: W for this delete.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quorum: Option<u32>,
    },
    /// A client adds `by` to a counter key (negative: subtracts).
    Increment {
        client: ClientId,
        key: Key,
        #[serde(default = "one")]
        by: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
    },
    /// A client adds an element to a set key (without `element`, one unique in the run).
    Add {
        client: ClientId,
        key: Key,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        element: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
    },
    /// A client removes an element from a set key.
    Remove {
        client: ClientId,
        key: Key,
        element: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
    },
    /// Starts (or replaces) the workload generator.
    Workload(WorkloadConfig),
    StopWorkload {},
    /// Operator action: make the node leader.
    Promote {
        node: NodeId,
    },
    /// Operator action: make the node step down.
    Demote {
        node: NodeId,
    },
    /// Changes a client's session guarantees.
    Session {
        client: ClientId,
        session: SessionConfig,
    },
    /// Operator action: repair the node's data with its peers once (Cassandra's
    /// `nodetool repair`: a Merkle comparison with every other node, exchanging what differs).
    /// Leaderless only; other families ignore it.
    Repair {
        node: NodeId,
    },
}

impl Command {
    /// The command's name as written in scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Crash { .. } => "crash",
            Command::Restart { .. } => "restart",
            Command::Pause { .. } => "pause",
            Command::Resume { .. } => "resume",
            Command::Slow { .. } => "slow",
            Command::Clock { .. } => "clock",
            Command::Partition { .. } => "partition",
            Command::Cut { .. } => "cut",
            Command::Uncut { .. } => "uncut",
            Command::Heal {} => "heal",
            Command::Link { .. } => "link",
            Command::Write { .. } => "write",
            Command::Read { .. } => "read",
            Command::Delete { .. } => "delete",
            Command::Increment { .. } => "increment",
            Command::Add { .. } => "add",
            Command::Remove { .. } => "remove",
            Command::Workload(_) => "workload",
            Command::StopWorkload {} => "stop_workload",
            Command::Promote { .. } => "promote",
            Command::Demote { .. } => "demote",
            Command::Session { .. } => "session",
            Command::Repair { .. } => "repair",
        }
    }
}

/// A command and the simulated time at which it applies. Written as one JSON object:
/// `{"at_ms": 1200, "crash": {"node": 0}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedCommand {
    pub at_ms: f64,
    pub command: Command,
}

impl Serialize for TimedCommand {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let mut v = serde_json::to_value(&self.command).map_err(S::Error::custom)?;
        let obj = match &mut v {
            serde_json::Value::Object(o) => o,
            _ => return Err(S::Error::custom("a command serialises to an object")),
        };
        let mut out = serde_json::Map::new();
        out.insert("at_ms".into(), serde_json::json!(self.at_ms));
        out.append(obj);
        out.serialize(s)
    }
}

impl<'de> Deserialize<'de> for TimedCommand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let at = map
            .remove("at_ms")
            .ok_or_else(|| D::Error::custom("missing field `at_ms` (when the command applies, in milliseconds)"))?;
        let at_ms = at.as_f64().ok_or_else(|| D::Error::custom(format!("`at_ms` must be a number, got {at}")))?;
        if map.len() != 1 {
            let keys: Vec<&String> = map.keys().collect();
            return Err(D::Error::custom(format!(
                "a command object has `at_ms` and exactly one command name, found {keys:?}"
            )));
        }
        // Read from its text, so an error inside the command says where.
        let text = serde_json::Value::Object(map).to_string();
        let command: Command = crate::json_path::from_str(&text).map_err(|e| {
            let inner = e.inner.to_string();
            // serde_json's place ("at line 1 column 9") means nothing to the scenario's reader.
            let inner = inner.split(" at line ").next().unwrap_or(&inner).to_string();
            match e.path.as_str() {
                // The command's own name is wrong: say so in the scenario's words.
                "." => D::Error::custom(inner.replacen("unknown variant", "unknown command", 1)),
                path => D::Error::custom(format!("{path}: {inner}")),
            }
        })?;
        Ok(TimedCommand { at_ms, command })
    }
}

/// What is wrong with a scenario, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// Dotted path of the offending field (`commands[3].crash.node`); empty for the whole file.
    pub path: String,
    pub message: String,
}

impl ScenarioError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError { path: path.into(), message: message.into() }
    }
}

/// An error at `path` unless `id` names one of the cluster's `n` nodes.
fn check_node(n: usize, path: &str, id: NodeId) -> Result<(), ScenarioError> {
    if id < n {
        Ok(())
    } else {
        Err(ScenarioError::new(path, format!("unknown node {id}; the cluster has nodes 0 to {}", n.saturating_sub(1))))
    }
}

/// An error at `path` unless `id` names one of the scenario's `clients` clients.
fn check_client(clients: usize, path: &str, id: ClientId) -> Result<(), ScenarioError> {
    if id < clients {
        Ok(())
    } else {
        Err(ScenarioError::new(
            path,
            format!("unknown client {id}; there are clients 0 to {}", clients.saturating_sub(1)),
        ))
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at `{}`: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Decodes and validates a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(ScenarioError::new(
                "",
                format!("the scenario is {} bytes; the limit is {MAX_SCENARIO_BYTES}", text.len()),
            ));
        }
        // Editors on some systems start UTF-8 files with a byte-order mark; JSON has none.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ScenarioError::new("", format!("not valid JSON: {e}")))?;
        let obj = value.as_object().ok_or_else(|| ScenarioError::new("", "a scenario is a JSON object"))?;
        if let Some(p) = obj.get("protocol").and_then(|p| p.as_object()) {
            if p.len() != 1 {
                let names: Vec<&String> = p.keys().collect();
                return Err(ScenarioError::new(
                    "protocol",
                    format!(
                        "names exactly one protocol (leader_follower, multi_leader or leaderless), found {}: {names:?}",
                        p.len()
                    ),
                ));
            }
        }
        match obj.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => return Err(ScenarioError::new("format", format!("expected \"{FORMAT}\", got \"{other}\""))),
            None => return Err(ScenarioError::new("format", format!("missing; expected \"{FORMAT}\""))),
        }
        match obj.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == VERSION as u64 => {}
            Some(v) if v > VERSION as u64 => {
                return Err(ScenarioError::new(
                    "version",
                    format!("this scenario uses format version {v}, newer than this replicalab reads ({VERSION}); update replicalab"),
                ))
            }
            Some(v) => return Err(ScenarioError::new("version", format!("unsupported format version {v}"))),
            None => return Err(ScenarioError::new("version", "missing or not a whole number")),
        }
        let scenario: Scenario =
            crate::json_path::from_str(text).map_err(|e| ScenarioError::new(e.path, e.inner.to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// The clients, with the default (one per node) filled in.
    pub fn clients(&self) -> Vec<ClientConfig> {
        self.clients.clone().unwrap_or_else(|| (0..self.cluster.nodes).map(ClientConfig::at).collect())
    }

    /// Checks everything serde cannot: ranges, node and client ids, protocol constraints.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let n = self.cluster.nodes;
        if n == 0 || n > MAX_NODES {
            return Err(ScenarioError::new("cluster.nodes", format!("must be between 1 and {MAX_NODES}, got {n}")));
        }
        let node_ok = |path: &str, id: NodeId| check_node(n, path, id);
        let ms_ok = |path: &str, v: f64, max: f64| -> Result<(), ScenarioError> {
            if v.is_finite() && v >= 0.0 && v <= max {
                Ok(())
            } else {
                Err(ScenarioError::new(path, format!("must be a number of milliseconds between 0 and {max}, got {v}")))
            }
        };
        ms_ok("duration_ms", self.duration_ms, MAX_DURATION_MS)?;
        ms_ok("cluster.node.service_time_ms", self.cluster.node.service_time_ms, 60_000.0)?;
        validate_fsync("cluster.node.fsync", &self.cluster.node.fsync)?;
        for (i, o) in self.cluster.node_overrides.iter().enumerate() {
            let p = format!("cluster.node_overrides[{i}]");
            node_ok(&format!("{p}.node"), o.node)?;
            if let Some(s) = o.service_time_ms {
                ms_ok(&format!("{p}.service_time_ms"), s, 60_000.0)?;
            }
            if let Some(f) = &o.fsync {
                validate_fsync(&format!("{p}.fsync"), f)?;
            }
        }
        validate_link(&self.cluster.network).map_err(|(f, m)| ScenarioError::new(format!("cluster.network.{f}"), m))?;
        for (i, l) in self.cluster.links.iter().enumerate() {
            let p = format!("cluster.links[{i}]");
            node_ok(&format!("{p}.from"), l.from)?;
            node_ok(&format!("{p}.to"), l.to)?;
            if l.from == l.to {
                return Err(ScenarioError::new(p, "a link joins two different nodes"));
            }
            if let Some(lat) = &l.latency {
                lat.validate().map_err(|m| ScenarioError::new(format!("{p}.latency"), m))?;
            }
            for (name, v) in [("loss", l.loss), ("duplicate", l.duplicate)] {
                if let Some(v) = v {
                    validate_probability(v, name).map_err(|m| ScenarioError::new(format!("{p}.{name}"), m))?;
                }
            }
        }
        self.cluster.client_latency.validate().map_err(|m| ScenarioError::new("cluster.client_latency", m))?;
        if !(self.cluster.lag_sample_ms.is_finite()
            && self.cluster.lag_sample_ms >= 0.1
            && self.cluster.lag_sample_ms <= 60_000.0)
        {
            return Err(ScenarioError::new("cluster.lag_sample_ms", "must be between 0.1 and 60000"));
        }
        match &self.protocol {
            ProtocolConfig::LeaderFollower(cfg) => {
                cfg.validate(n).map_err(|(f, m)| ScenarioError::new(format!("protocol.leader_follower.{f}"), m))?
            }
            ProtocolConfig::MultiLeader(cfg) => {
                cfg.validate(n).map_err(|(f, m)| ScenarioError::new(format!("protocol.multi_leader.{f}"), m))?
            }
            ProtocolConfig::Leaderless(cfg) => {
                cfg.validate(n).map_err(|(f, m)| ScenarioError::new(format!("protocol.leaderless.{f}"), m))?
            }
        }
        let clients = self.clients();
        if clients.is_empty() || clients.len() > 1024 {
            return Err(ScenarioError::new("clients", "between 1 and 1024 clients"));
        }
        for (i, c) in clients.iter().enumerate() {
            node_ok(&format!("clients[{i}].node"), c.node)?;
            ms_ok(&format!("clients[{i}].timeout_ms"), c.timeout_ms, 3_600_000.0)?;
            validate_session(&format!("clients[{i}].session"), &c.session)?;
            if let Some(r) = &c.reroute {
                ms_ok(&format!("clients[{i}].reroute.reconnect_ms"), r.reconnect_ms, 3_600_000.0)?;
            }
            let lf = matches!(self.protocol, ProtocolConfig::LeaderFollower(_));
            let ll = matches!(self.protocol, ProtocolConfig::Leaderless(_));
            let serial = c.session.read_concern == ReadConcern::Linearizable;
            let allowed = lf || c.session.read_concern.is_local() || (ll && serial);
            if !allowed {
                return Err(ScenarioError::new(
                    format!("clients[{i}].session.read_concern"),
                    "only leader-follower replication has read concerns (leaderless has `linearizable`: serial reads by Paxos)",
                ));
            }
            if c.timeout_ms < 0.001 {
                return Err(ScenarioError::new(format!("clients[{i}].timeout_ms"), "must be positive"));
            }
        }
        let client_ok = |path: &str, id: ClientId| check_client(clients.len(), path, id);
        if let Some(w) = &self.workload {
            validate_workload("workload", w, &client_ok)?;
            self.validate_cas("workload", w)?;
        }
        if self.sources.len() > 32 || self.sources.iter().any(|u| u.len() > 2_000) {
            return Err(ScenarioError::new("sources", "at most 32 sources of at most 2000 characters each"));
        }
        if self.commands.len() > MAX_COMMANDS {
            return Err(ScenarioError::new("commands", format!("at most {MAX_COMMANDS} commands")));
        }
        for (i, tc) in self.commands.iter().enumerate() {
            let p = format!("commands[{i}]");
            ms_ok(&format!("{p}.at_ms"), tc.at_ms, MAX_DURATION_MS)?;
            self.validate_command(&p, &tc.command)?;
        }
        Ok(())
    }

    /// Checks one command against this scenario's cluster, clients and protocol (`path` names
    /// it in the error: `commands[3]`, or `command` for one applied live).
    pub fn validate_command(&self, path: &str, command: &Command) -> Result<(), ScenarioError> {
        let n = self.cluster.nodes;
        let clients = self.clients().len();
        let node_ok = |path: &str, id: NodeId| check_node(n, path, id);
        let client_ok = |path: &str, id: ClientId| check_client(clients, path, id);
        let p = format!("{path}.{}", command.name());
        match command {
            Command::Crash { node }
            | Command::Restart { node }
            | Command::Pause { node }
            | Command::Resume { node } => node_ok(&format!("{p}.node"), *node)?,
            Command::Repair { node } => {
                node_ok(&format!("{p}.node"), *node)?;
                if !matches!(self.protocol, ProtocolConfig::Leaderless(_)) {
                    return Err(ScenarioError::new(
                        p.clone(),
                        "only a leaderless cluster is repaired by an operator; the other families repair from their replication streams",
                    ));
                }
            }
            Command::Promote { node } | Command::Demote { node } => {
                node_ok(&format!("{p}.node"), *node)?;
                if !matches!(self.protocol, ProtocolConfig::LeaderFollower(_)) {
                    return Err(ScenarioError::new(
                        p.clone(),
                        "only a leader-follower cluster has a leader to promote or demote; \
                         multi-leader and leaderless nodes all accept writes",
                    ));
                }
            }
            Command::Slow { node, factor } => {
                node_ok(&format!("{p}.node"), *node)?;
                if !(factor.is_finite() && *factor >= 0.001 && *factor <= 1000.0) {
                    return Err(ScenarioError::new(
                        format!("{p}.factor"),
                        format!("must be between 0.001 and 1000, got {factor}"),
                    ));
                }
            }
            Command::Clock { node, skew_ms, drift_ppm } => {
                node_ok(&format!("{p}.node"), *node)?;
                if !(skew_ms.is_finite() && skew_ms.abs() <= MAX_DURATION_MS) {
                    return Err(ScenarioError::new(
                        format!("{p}.skew_ms"),
                        format!("must be within ±{MAX_DURATION_MS}, got {skew_ms}"),
                    ));
                }
                if !(drift_ppm.is_finite() && drift_ppm.abs() <= 1e6) {
                    return Err(ScenarioError::new(
                        format!("{p}.drift_ppm"),
                        format!("must be within ±1000000, got {drift_ppm}"),
                    ));
                }
            }
            Command::Partition { groups } => {
                let mut seen = vec![false; n];
                for (g, members) in groups.iter().enumerate() {
                    for (j, &m) in members.iter().enumerate() {
                        node_ok(&format!("{p}.groups[{g}][{j}]"), m)?;
                        if seen[m] {
                            return Err(ScenarioError::new(
                                format!("{p}.groups[{g}][{j}]"),
                                format!("node {m} is in two groups"),
                            ));
                        }
                        seen[m] = true;
                    }
                }
            }
            Command::Cut { from, to, .. } | Command::Uncut { from, to, .. } => {
                node_ok(&format!("{p}.from"), *from)?;
                node_ok(&format!("{p}.to"), *to)?;
                if from == to {
                    return Err(ScenarioError::new(
                        format!("{p}.to"),
                        format!("node {to} is also `from`: a node has no link to itself to cut"),
                    ));
                }
            }
            Command::Heal {} | Command::StopWorkload {} => {}
            Command::Link { from, to, latency, loss, duplicate, .. } => {
                node_ok(&format!("{p}.from"), *from)?;
                node_ok(&format!("{p}.to"), *to)?;
                if let Some(l) = latency {
                    l.validate().map_err(|m| ScenarioError::new(format!("{p}.latency"), m))?;
                }
                for (name, v) in [("loss", loss), ("duplicate", duplicate)] {
                    if let Some(v) = v {
                        validate_probability(*v, name).map_err(|m| ScenarioError::new(format!("{p}.{name}"), m))?;
                    }
                }
            }
            Command::Write { client, node, .. }
            | Command::Read { client, node, .. }
            | Command::Delete { client, node, .. }
            | Command::Increment { client, node, .. }
            | Command::Add { client, node, .. }
            | Command::Remove { client, node, .. } => {
                client_ok(&format!("{p}.client"), *client)?;
                if let Some(node) = node {
                    node_ok(&format!("{p}.node"), *node)?;
                }
            }
            Command::Workload(w) => {
                validate_workload(&p, w, &client_ok)?;
                self.validate_cas(&p, w)?;
            }
            Command::Session { client, session } => {
                client_ok(&format!("{p}.client"), *client)?;
                validate_session(&format!("{p}.session"), session)?;
            }
        }
        Ok(())
    }
}

fn validate_session(path: &str, s: &SessionConfig) -> Result<(), ScenarioError> {
    if let Some(ReadYourWrites::LeaderFor { ms }) = s.read_your_writes {
        if !(ms.is_finite() && (0.0..=3_600_000.0).contains(&ms)) {
            return Err(ScenarioError::new(
                format!("{path}.read_your_writes.leader_for.ms"),
                format!("must be between 0 and 3600000, got {ms}"),
            ));
        }
    }
    Ok(())
}

fn validate_fsync(path: &str, f: &Fsync) -> Result<(), ScenarioError> {
    match f {
        Fsync::Always => Ok(()),
        Fsync::Every { ms } if ms.is_finite() && *ms >= 0.001 && *ms <= 3_600_000.0 => Ok(()),
        Fsync::Every { ms } => {
            Err(ScenarioError::new(format!("{path}.every.ms"), format!("must be between 0.001 and 3600000, got {ms}")))
        }
    }
}

fn validate_link(l: &LinkConfig) -> Result<(), (&'static str, String)> {
    l.latency.validate().map_err(|m| ("latency", m))?;
    validate_probability(l.loss, "loss").map_err(|m| ("loss", m))?;
    validate_probability(l.duplicate, "duplicate").map_err(|m| ("duplicate", m))?;
    Ok(())
}

impl Scenario {
    /// Compare-and-set runs as a lightweight transaction: leaderless, last write wins.
    fn validate_cas(&self, path: &str, w: &WorkloadConfig) -> Result<(), ScenarioError> {
        if w.cas_fraction == 0.0 {
            return Ok(());
        }
        match &self.protocol {
            ProtocolConfig::Leaderless(cfg) if cfg.resolution == crate::conflict::ConflictResolution::Lww => Ok(()),
            ProtocolConfig::Leaderless(_) => Err(ScenarioError::new(
                format!("{path}.cas_fraction"),
                "compare-and-set (a lightweight transaction) needs last-write-wins keys; this cluster keeps siblings",
            )),
            _ => Err(ScenarioError::new(
                format!("{path}.cas_fraction"),
                "compare-and-set is modelled for the leaderless family only (Cassandra's lightweight transactions)",
            )),
        }
    }
}

fn validate_workload(
    path: &str,
    w: &WorkloadConfig,
    client_ok: &dyn Fn(&str, ClientId) -> Result<(), ScenarioError>,
) -> Result<(), ScenarioError> {
    if !(w.rate_per_s.is_finite() && w.rate_per_s > 0.0 && w.rate_per_s <= 1_000_000.0) {
        return Err(ScenarioError::new(
            format!("{path}.rate_per_s"),
            format!("must be more than 0 and at most 1000000 operations per second, got {}", w.rate_per_s),
        ));
    }
    validate_probability(w.read_fraction, "read_fraction")
        .map_err(|m| ScenarioError::new(format!("{path}.read_fraction"), m))?;
    validate_probability(w.delete_fraction, "delete_fraction")
        .map_err(|m| ScenarioError::new(format!("{path}.delete_fraction"), m))?;
    validate_probability(w.cas_fraction, "cas_fraction")
        .map_err(|m| ScenarioError::new(format!("{path}.cas_fraction"), m))?;
    if w.keys == 0 || w.keys > 1_000_000 {
        return Err(ScenarioError::new(
            format!("{path}.keys"),
            format!("must be between 1 and 1000000, got {}", w.keys),
        ));
    }
    if let KeyDistribution::Zipf { exponent } = w.key_distribution {
        if !(exponent.is_finite() && (0.0..=10.0).contains(&exponent)) {
            return Err(ScenarioError::new(
                format!("{path}.key_distribution.zipf.exponent"),
                "must be between 0 and 10",
            ));
        }
    }
    if let Some(cs) = &w.clients {
        if cs.is_empty() {
            return Err(ScenarioError::new(format!("{path}.clients"), "name at least one client"));
        }
        for (i, &c) in cs.iter().enumerate() {
            client_ok(&format!("{path}.clients[{i}]"), c)?;
        }
    }
    if let Some(s) = w.stop_ms {
        if !(s.is_finite() && (0.0..=MAX_DURATION_MS).contains(&s)) {
            return Err(ScenarioError::new(format!("{path}.stop_ms"), "must be a time in milliseconds"));
        }
    }
    Ok(())
}
