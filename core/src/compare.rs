//! The measured comparison: one workload and one fault schedule run against single-leader sync,
//! single-leader async, multi-leader and leaderless replication, side by side.
//!
//! The seed article sums the four approaches up in a table of adjectives — consistency
//! "Strong" or "Eventual", availability "Lower" or "Highest", write latency "Higher" or "Low",
//! complexity "Low" or "High". [`compare`] fills that table with numbers measured on the same
//! run: the anomalies the checkers found, the share of operations that succeeded, write and
//! read latency quantiles, and the acknowledged writes that were lost.
//!
//! How a base [`Scenario`] becomes one scenario per [`Contender`] ([`contender_scenario`]):
//! the cluster (nodes, network, links, fsync), the clients, the workload, the seed, the
//! duration and every fault command are kept; only `protocol` is replaced.
//!
//! - **sync**: leader-follower, `ack: "sync"` (a write waits for every follower), automatic
//!   failover by election (Raft-like, fencing terms on) so a crashed leader is replaced.
//! - **async**: the same with `ack: "async"` (acknowledged as soon as the leader has it).
//! - **multi**: multi-leader, one datacenter per node (or the base's datacenters when the base
//!   is multi-leader), all-to-all, last write wins on every key, causal delivery.
//! - **leaderless**: N = 3 (or the cluster size if smaller), W = R = a majority of N (strict
//!   quorums, W + R > N), no sloppy quorum, read repair on.
//!
//! Settings the families share (heartbeat, batch, initial leader, election timeouts; for
//! leaderless everything but N, W, R, read repair and sloppy quorum) are taken from the base
//! when it is of that family. Commands that mean nothing to a family are dropped and listed in the row
//! ([`ComparisonRow::dropped_commands`]): `promote` and `demote` outside leader-follower, and
//! the merge operations (`increment`, `add`, `remove`) everywhere, since every contender keeps
//! plain registers; a `quorum` on a `write`, `read` or `delete` is kept (clamped to N) for the
//! leaderless contender and removed for the others. Faults (crash, restart, pause, resume,
//! slow, clock, partition, cut, heal, link), client operations, sessions and workload changes
//! apply to every contender unchanged.
//!
//! With several seeds every contender runs once per seed; counts are summed over the seeds,
//! and shares and latency quantiles are computed over the operations of all seeds pooled
//! ([`Comparison::aggregation`] says so in words). Everything is pure and single-threaded:
//! the same base and options always give the same [`Comparison`], natively and in
//! WebAssembly. [`Comparer`] makes the same comparison one run per call, for a caller that
//! wants to show progress between animation frames.
//!
//! ```
//! use replicalab_core::compare::{self, CompareOptions, Contender};
//!
//! let mut base = compare::default_scenario();
//! base.duration_ms = 1_500.0;
//! let options = CompareOptions { contenders: vec![Contender::Sync, Contender::Async], ..Default::default() };
//! let comparison = compare::compare(&base, &options).unwrap();
//! assert_eq!(comparison.rows.len(), 2);
//! // Waiting for every follower costs a round trip that the async leader does not pay.
//! assert!(comparison.rows[0].write_latency_ms.p50 > comparison.rows[1].write_latency_ms.p50);
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::conflict::ConflictResolution;
use crate::metrics::Quantiles;
use crate::protocols::leader_follower::{AckPolicy, Failover, Fencing, LeaderFollowerConfig};
use crate::protocols::leaderless::LeaderlessConfig;
use crate::protocols::multi_leader::{MultiLeaderConfig, Topology};
use crate::scenario::{Command, ProtocolConfig, Scenario, ScenarioError, TimedCommand, MAX_DURATION_MS};
use crate::simulation::Simulation;
use crate::time::{from_ms, Dur};

/// One of the four replication approaches of the seed article's comparison table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contender {
    /// Single leader, synchronous replication, automatic failover by election.
    Sync,
    /// Single leader, asynchronous replication, automatic failover by election.
    Async,
    /// Multi-leader: one leader per datacenter, last write wins.
    Multi,
    /// Leaderless with strict quorums (W = R = a majority of N).
    Leaderless,
}

/// What the seed article's table says about an approach, word for word.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleColumns {
    pub consistency: String,
    pub availability: String,
    pub write_latency: String,
    pub complexity: String,
}

impl Contender {
    /// Every contender, in the article's order.
    pub const ALL: [Contender; 4] = [Contender::Sync, Contender::Async, Contender::Multi, Contender::Leaderless];

    /// The short name used on the command line (`--only sync,async,multi,leaderless`).
    pub fn key(self) -> &'static str {
        match self {
            Contender::Sync => "sync",
            Contender::Async => "async",
            Contender::Multi => "multi",
            Contender::Leaderless => "leaderless",
        }
    }

    /// The row title, as in the article's table.
    pub fn title(self) -> &'static str {
        match self {
            Contender::Sync => "Single leader, sync",
            Contender::Async => "Single leader, async",
            Contender::Multi => "Multi-leader",
            Contender::Leaderless => "Leaderless (quorum)",
        }
    }

    /// Parses a short name; a few spellings are accepted (`multi-leader`, `single-sync`, …).
    pub fn parse(name: &str) -> Result<Contender, CompareError> {
        let n = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match n.as_str() {
            "sync" | "single_sync" | "single_leader_sync" | "lf_sync" => Ok(Contender::Sync),
            "async" | "single_async" | "single_leader_async" | "lf_async" => Ok(Contender::Async),
            "multi" | "multi_leader" | "ml" => Ok(Contender::Multi),
            "leaderless" | "quorum" | "ll" => Ok(Contender::Leaderless),
            _ => Err(CompareError::UnknownContender(name.trim().to_string())),
        }
    }

    /// Parses a comma-separated list (`"sync,multi"`), keeping the order given, without repeats.
    pub fn parse_list(list: &str) -> Result<Vec<Contender>, CompareError> {
        let mut out = Vec::new();
        for part in list.split(',').filter(|p| !p.trim().is_empty()) {
            let c = Contender::parse(part)?;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Err(CompareError::NoContenders);
        }
        Ok(out)
    }

    /// The seed article's qualitative columns for this approach.
    pub fn article(self) -> ArticleColumns {
        let (consistency, availability, write_latency, complexity) = match self {
            Contender::Sync => ("Strong", "Lower (leader failure stalls writes)", "Higher", "Low"),
            Contender::Async => ("Eventual", "Good", "Low", "Low"),
            Contender::Multi => ("Eventual (conflicts)", "Highest", "Low (local writes)", "High"),
            Contender::Leaderless => ("Tunable", "High", "Depends on W", "High"),
        };
        ArticleColumns {
            consistency: consistency.into(),
            availability: availability.into(),
            write_latency: write_latency.into(),
            complexity: complexity.into(),
        }
    }
}

impl fmt::Display for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What to compare.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    /// The contenders, in row order (repeats are ignored). Default: all four.
    pub contenders: Vec<Contender>,
    /// Seeds to run every contender with; empty: the base scenario's own seed.
    pub seeds: Vec<u64>,
    /// Simulate to this time in milliseconds instead of the base's `duration_ms`.
    pub until_ms: Option<f64>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { contenders: Contender::ALL.to_vec(), seeds: Vec::new(), until_ms: None }
    }
}

/// Why a comparison could not be made. The messages say what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompareError {
    /// A contender name that is none of `sync`, `async`, `multi`, `leaderless`.
    UnknownContender(String),
    /// The list of contenders is empty.
    NoContenders,
    /// `until_ms` is negative, not a number, or longer than a day.
    BadUntil(String),
    /// A contender's scenario does not validate (for example a cluster the family cannot run).
    Scenario { contender: Contender, error: ScenarioError },
}

impl fmt::Display for CompareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompareError::UnknownContender(name) => write!(
                f,
                "unknown contender {name:?}; the contenders are: {}",
                Contender::ALL.map(Contender::key).join(", ")
            ),
            CompareError::NoContenders => {
                write!(f, "name at least one contender ({})", Contender::ALL.map(Contender::key).join(", "))
            }
            CompareError::BadUntil(v) => {
                write!(f, "the end time must be a number of milliseconds between 0 and {MAX_DURATION_MS}, got {v}")
            }
            CompareError::Scenario { contender, error } => write!(f, "the {contender} scenario: {error}"),
        }
    }
}

impl std::error::Error for CompareError {}

/// Latency of successful operations, in milliseconds (nearest rank; zeros without samples).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Successful operations measured.
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    fn of(samples: &[Dur]) -> Latency {
        let q = Quantiles::of(samples);
        Latency { count: q.count, p50: q.p50, p99: q.p99, max: q.max }
    }
}

/// Anomalies the checkers found, by kind (summed over the seeds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyCounts {
    /// A read missed a write acknowledged before it began.
    pub stale_reads: usize,
    /// Read-your-writes, monotonic-reads and causal-order violations together.
    pub session_violations: usize,
    /// Acknowledged writes no node holds any more.
    pub lost_writes: usize,
    /// Two simultaneous leaders that both acknowledged writes.
    pub split_brain: usize,
    /// Replicas that still disagreed once the cluster had been quiet for a second (checked
    /// only when the run ends quiet: no fault and no write in its last second).
    pub divergence: usize,
    /// Keys whose history no real-time order explains.
    pub not_linearizable: usize,
    /// Every anomaly, of any kind.
    pub total: usize,
}

impl AnomalyCounts {
    fn add_report(&mut self, counts: &BTreeMap<String, usize>) {
        let get = |k: &str| counts.get(k).copied().unwrap_or(0);
        self.stale_reads += get("stale_read");
        self.session_violations += get("read_your_writes") + get("monotonic_reads") + get("causal_order");
        self.lost_writes += get("lost_write");
        self.split_brain += get("split_brain");
        self.divergence += get("divergence");
        self.not_linearizable += get("not_linearizable");
        self.total += counts.values().sum::<usize>();
    }
}

/// One contender's run with one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    pub seed: u64,
    /// The run's trace hash: `replicalab run` on [`contender_scenario`] with this seed gives it.
    pub trace_hash: String,
    pub ops_ok: u64,
    pub ops_failed: u64,
    pub ops_unknown: u64,
    /// Acknowledged writes lost in this run.
    pub lost_writes: usize,
    /// Anomalies of any kind in this run.
    pub anomalies: usize,
}

/// One row of the comparison: one contender, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    pub contender: Contender,
    /// The row title (`Single leader, sync`).
    pub title: String,
    /// The simulator family (`leader_follower`, `multi_leader`, `leaderless`).
    pub family: String,
    /// The settings used, in one line (`ack sync, election failover 150-300 ms, …`).
    pub settings: String,
    /// What the seed article's table says, for the qualitative columns.
    pub article: ArticleColumns,
    /// Operations that succeeded, summed over the seeds.
    pub ops_ok: u64,
    /// Operations refused (not leader, no quorum, …), summed over the seeds.
    pub ops_failed: u64,
    /// Operations with no answer before the client's timeout, summed over the seeds.
    pub ops_unknown: u64,
    /// `ops_ok` over every completed operation (1 when nothing completed).
    pub ok_share: f64,
    /// Write latency of acknowledged writes, all seeds pooled.
    pub write_latency_ms: Latency,
    /// Read latency of successful reads, all seeds pooled.
    pub read_latency_ms: Latency,
    /// Acknowledged writes lost, summed over the seeds (the same as `anomalies.lost_writes`).
    pub lost_writes: usize,
    /// Anomalies by kind, summed over the seeds.
    pub anomalies: AnomalyCounts,
    /// Leader failures the family noticed (leader-follower only), summed over the seeds.
    pub failovers: usize,
    /// The longest time from a leader failure to the first write acknowledged by its successor,
    /// in milliseconds, over every seed (`None`: no failover, or none completed).
    pub max_unavailability_ms: Option<f64>,
    /// Counts of notable protocol events (`election`, `lww_discard`, `read_repair`, …), summed
    /// over the seeds.
    pub notes: BTreeMap<String, u64>,
    /// Commands of the base scenario this contender did not run, as `"at_ms name"`.
    pub dropped_commands: Vec<String>,
    /// Each seed's run.
    pub runs: Vec<SeedRun>,
}

/// The measured comparison: one row per contender, same workload, faults and seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The base scenario's name and description.
    pub scenario: String,
    pub description: String,
    /// The seeds every contender ran with, in order.
    pub seeds: Vec<u64>,
    /// Simulated time of every run, in milliseconds.
    pub until_ms: f64,
    /// How rows combine several seeds, in words.
    pub aggregation: String,
    pub rows: Vec<ComparisonRow>,
}

impl Comparison {
    /// The row of a contender, if it was compared.
    pub fn row(&self, contender: Contender) -> Option<&ComparisonRow> {
        self.rows.iter().find(|r| r.contender == contender)
    }
}

/// The ready-made comparison scenario: five nodes a few milliseconds apart, a steady workload
/// of reads (from any replica) and writes, the first leader (node 0) crashing from 2 s to 3.5 s,
/// then nodes 3 and 4 cut off from 0, 1 and 2 from 5 s to 6.5 s (when the leader elected after
/// the crash is 3 or 4 it is on the minority side); the workload stops at 7 s so the run ends
/// quiet and divergence is checked.
pub const DEFAULT_SCENARIO_JSON: &str = r#"{
  "format": "replicalab-scenario",
  "version": 1,
  "name": "compare-default",
  "description": "Five nodes, 150 operations per second (40% reads from any replica); node 0, the first leader, crashes from 2 s to 3.5 s; nodes 3-4 are cut off from 0-2 from 5 s to 6.5 s; the workload stops at 7 s.",
  "seed": 1,
  "duration_ms": 8500,
  "cluster": {
    "nodes": 5,
    "network": { "latency": { "uniform": { "min_ms": 2, "max_ms": 10 } } }
  },
  "protocol": {
    "leader_follower": { "leader": 0, "ack": "async", "failover": { "election": { "timeout_ms": [150, 300] } } }
  },
  "workload": { "rate_per_s": 150, "read_fraction": 0.4, "keys": 10, "read_from": "any" },
  "commands": [
    { "at_ms": 2000, "crash": { "node": 0 } },
    { "at_ms": 3500, "restart": { "node": 0 } },
    { "at_ms": 5000, "partition": { "groups": [[0, 1, 2], [3, 4]] } },
    { "at_ms": 6500, "heal": {} },
    { "at_ms": 7000, "stop_workload": {} }
  ]
}"#;

/// The ready-made comparison scenario ([`DEFAULT_SCENARIO_JSON`]).
pub fn default_scenario() -> Scenario {
    Scenario::from_json(DEFAULT_SCENARIO_JSON).expect("the default comparison scenario is valid")
}

/// The protocol a contender runs on the base's cluster, and its settings in one line.
fn contender_protocol(base: &Scenario, contender: Contender) -> (ProtocolConfig, String) {
    let n = base.cluster.nodes;
    match contender {
        Contender::Sync | Contender::Async => {
            let from_base = match &base.protocol {
                ProtocolConfig::LeaderFollower(cfg) => Some(cfg),
                _ => None,
            };
            let timeout_ms = match from_base.map(|c| &c.failover) {
                Some(Failover::Election { timeout_ms }) => *timeout_ms,
                _ => [150.0, 300.0],
            };
            let defaults = LeaderFollowerConfig::default();
            let leader = from_base.map_or(0, |c| c.leader).min(n - 1);
            let cfg = LeaderFollowerConfig {
                leader,
                ack: if contender == Contender::Sync { AckPolicy::Sync } else { AckPolicy::Async },
                heartbeat_ms: from_base.map_or(defaults.heartbeat_ms, |c| c.heartbeat_ms),
                batch: from_base.map_or(defaults.batch, |c| c.batch),
                failover: Failover::Election { timeout_ms },
                candidates: None,
                fencing: Fencing::default(),
                ..defaults
            };
            let settings = format!(
                "ack {}, leader {leader}, election failover {}-{} ms, fencing terms, heartbeat {} ms",
                contender.key(),
                timeout_ms[0],
                timeout_ms[1],
                cfg.heartbeat_ms
            );
            (ProtocolConfig::LeaderFollower(cfg), settings)
        }
        Contender::Multi => {
            let from_base = match &base.protocol {
                ProtocolConfig::MultiLeader(cfg) => Some(cfg),
                _ => None,
            };
            let defaults = MultiLeaderConfig::default();
            let cfg = MultiLeaderConfig {
                datacenters: from_base.and_then(|c| c.datacenters.clone()),
                topology: Topology::AllToAll,
                conflicts: ConflictResolution::Lww,
                key_spaces: Vec::new(),
                causal_delivery: true,
                heartbeat_ms: from_base.map_or(defaults.heartbeat_ms, |c| c.heartbeat_ms),
                batch: from_base.map_or(defaults.batch, |c| c.batch),
                consistency: Default::default(),
            };
            let dcs = cfg.leaders(n).len();
            let layout = if dcs == n { "one datacenter per node".to_string() } else { format!("{dcs} datacenters") };
            let settings = format!("{layout}, all-to-all, {}, causal delivery", cfg.conflicts);
            (ProtocolConfig::MultiLeader(cfg), settings)
        }
        Contender::Leaderless => {
            let from_base = match &base.protocol {
                ProtocolConfig::Leaderless(cfg) => Some(cfg.clone()),
                _ => None,
            };
            let replicas = n.min(3);
            let quorum = crate::protocol::majority(replicas);
            let cfg = LeaderlessConfig {
                replicas,
                w: quorum,
                r: quorum,
                read_repair: true,
                sloppy_quorum: false,
                ..from_base.unwrap_or_default()
            };
            let mut settings = format!(
                "N={replicas}, W={quorum}, R={quorum} (strict quorum), {}, read repair, request timeout {} ms",
                cfg.resolution, cfg.request_timeout_ms
            );
            if let Some(ms) = cfg.anti_entropy_ms {
                settings += &format!(", anti-entropy every {ms} ms");
            }
            (ProtocolConfig::Leaderless(cfg), settings)
        }
    }
}

/// Translates one command for a contender: `None` when it does not apply to the family.
fn translate(command: &Command, contender: Contender, replicas: usize) -> Option<Command> {
    let leaderless = contender == Contender::Leaderless;
    let leader_follower = matches!(contender, Contender::Sync | Contender::Async);
    let quorum = |q: Option<u32>| if leaderless { q.map(|q| q.clamp(1, replicas as u32)) } else { None };
    match command.clone() {
        Command::Promote { .. } | Command::Demote { .. } if !leader_follower => None,
        Command::Repair { .. } if !leaderless => None,
        Command::Increment { .. } | Command::Add { .. } | Command::Remove { .. } => None,
        Command::Write { client, key, value, node, quorum: q } => {
            Some(Command::Write { client, key, value, node, quorum: quorum(q) })
        }
        Command::Read { client, key, from, node, quorum: q } => {
            Some(Command::Read { client, key, from, node, quorum: quorum(q) })
        }
        Command::Delete { client, key, node, quorum: q } => {
            Some(Command::Delete { client, key, node, quorum: quorum(q) })
        }
        other => Some(other),
    }
}

/// The scenario a contender runs: the base with its protocol replaced and its commands
/// translated, with the settings in one line and the commands dropped (`"at_ms name"`).
pub fn contender_scenario(base: &Scenario, contender: Contender) -> (Scenario, String, Vec<String>) {
    let (protocol, settings) = contender_protocol(base, contender);
    let replicas = match &protocol {
        ProtocolConfig::Leaderless(cfg) => cfg.replicas,
        _ => base.cluster.nodes,
    };
    let mut dropped = Vec::new();
    let mut commands = Vec::with_capacity(base.commands.len());
    for tc in &base.commands {
        match translate(&tc.command, contender, replicas) {
            Some(command) => commands.push(TimedCommand { at_ms: tc.at_ms, command }),
            None => dropped.push(format!("{} {}", tc.at_ms, tc.command.name())),
        }
    }
    let mut s = base.clone();
    s.name = if base.name.is_empty() { contender.key().to_string() } else { format!("{}-{}", base.name, contender) };
    s.description = format!("{} ({settings}) on: {}", contender.title(), base.description);
    s.protocol = protocol;
    s.commands = commands;
    (s, settings, dropped)
}

/// Runs every contender of `options` on `base` with every seed and measures them.
pub fn compare(base: &Scenario, options: &CompareOptions) -> Result<Comparison, CompareError> {
    let mut comparer = Comparer::new(base, options)?;
    while comparer.step() {}
    Ok(comparer.finish())
}

/// A comparison made one run at a time, so a caller with one thread (the web app, between
/// animation frames) can show progress: [`Comparer::step`] runs the next (contender, seed) pair,
/// [`Comparer::finish`] builds the [`Comparison`] — the same value [`compare`] returns.
#[derive(Clone, Debug)]
pub struct Comparer {
    scenario: String,
    description: String,
    seeds: Vec<u64>,
    until_ms: f64,
    /// Per contender, in row order: its scenario, settings line and dropped commands.
    plans: Vec<Plan>,
    /// Finished runs, contender-major, seed-minor.
    done: Vec<Measured>,
}

#[derive(Clone, Debug)]
struct Plan {
    contender: Contender,
    scenario: Scenario,
    settings: String,
    dropped_commands: Vec<String>,
}

/// What one run leaves for its row.
#[derive(Clone, Debug)]
struct Measured {
    run: SeedRun,
    family: String,
    writes: Vec<Dur>,
    reads: Vec<Dur>,
    anomalies: AnomalyCounts,
    notes: BTreeMap<String, u64>,
    failovers: usize,
    unavailability_ms: Vec<f64>,
}

impl Comparer {
    /// Checks the options and prepares every contender's scenario; runs nothing yet.
    pub fn new(base: &Scenario, options: &CompareOptions) -> Result<Comparer, CompareError> {
        let mut contenders: Vec<Contender> = Vec::new();
        for &c in &options.contenders {
            if !contenders.contains(&c) {
                contenders.push(c);
            }
        }
        if contenders.is_empty() {
            return Err(CompareError::NoContenders);
        }
        let until_ms = options.until_ms.unwrap_or(base.duration_ms);
        if !(until_ms.is_finite() && (0.0..=MAX_DURATION_MS).contains(&until_ms)) {
            return Err(CompareError::BadUntil(until_ms.to_string()));
        }
        let mut seeds: Vec<u64> = Vec::new();
        for &s in if options.seeds.is_empty() { std::slice::from_ref(&base.seed) } else { &options.seeds[..] } {
            if !seeds.contains(&s) {
                seeds.push(s);
            }
        }
        let mut plans = Vec::with_capacity(contenders.len());
        for contender in contenders {
            let (scenario, settings, dropped_commands) = contender_scenario(base, contender);
            scenario.validate().map_err(|error| CompareError::Scenario { contender, error })?;
            plans.push(Plan { contender, scenario, settings, dropped_commands });
        }
        Ok(Comparer {
            scenario: base.name.clone(),
            description: base.description.clone(),
            seeds,
            until_ms,
            plans,
            done: Vec::new(),
        })
    }

    /// Runs finished so far and runs in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.done.len(), self.plans.len() * self.seeds.len())
    }

    /// The contender and seed the next [`Comparer::step`] runs (`None`: all done).
    pub fn next_run(&self) -> Option<(Contender, u64)> {
        let i = self.done.len();
        let plan = self.plans.get(i / self.seeds.len())?;
        Some((plan.contender, self.seeds[i % self.seeds.len()]))
    }

    /// Runs the next contender and seed; `false` when every run was already done.
    pub fn step(&mut self) -> bool {
        let i = self.done.len();
        let Some(plan) = self.plans.get(i / self.seeds.len()) else {
            return false;
        };
        let seed = self.seeds[i % self.seeds.len()];
        let measured = run_one(&plan.scenario, seed, self.until_ms);
        self.done.push(measured);
        true
    }

    /// Runs whatever is left and builds the comparison.
    pub fn finish(mut self) -> Comparison {
        while self.step() {}
        let per = self.seeds.len();
        let mut done = self.done.into_iter();
        let rows = self
            .plans
            .into_iter()
            .map(|plan| {
                let runs: Vec<Measured> = done.by_ref().take(per).collect();
                row(plan, runs)
            })
            .collect();
        let aggregation = if self.seeds.len() == 1 {
            format!("one run per contender (seed {})", self.seeds[0])
        } else {
            format!(
                "{} runs per contender (seeds {}): operation and anomaly counts are sums over the seeds; \
                 the ok share and the latency quantiles are over the operations of all seeds pooled",
                self.seeds.len(),
                self.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
            )
        };
        Comparison {
            scenario: self.scenario,
            description: self.description,
            seeds: self.seeds,
            until_ms: self.until_ms,
            aggregation,
            rows,
        }
    }
}

/// Runs a contender's scenario with one seed to `until_ms` and keeps what its row needs.
fn run_one(scenario: &Scenario, seed: u64, until_ms: f64) -> Measured {
    let mut s = scenario.clone();
    s.seed = seed;
    let mut sim = Simulation::new(&s);
    sim.run_until(from_ms(until_ms));
    let report = sim.report(&s.name);
    let mut anomalies = AnomalyCounts::default();
    anomalies.add_report(&report.anomaly_counts);
    Measured {
        run: SeedRun {
            seed,
            trace_hash: report.trace_hash.clone(),
            ops_ok: report.metrics.ops_ok,
            ops_failed: report.metrics.ops_failed,
            ops_unknown: report.metrics.ops_unknown,
            lost_writes: report.metrics.lost_writes,
            anomalies: report.anomaly_counts.values().sum(),
        },
        family: report.family.clone(),
        // (Compaction folds latencies of long runs; these are all of them.)
        writes: sim.metrics().latency_samples(true),
        reads: sim.metrics().latency_samples(false),
        anomalies,
        notes: report.metrics.notes.clone(),
        failovers: report.metrics.failovers.len(),
        unavailability_ms: report.metrics.failovers.iter().filter_map(|f| f.unavailability_ms).collect(),
    }
}

/// Sums one contender's runs up in a row.
fn row(plan: Plan, measured: Vec<Measured>) -> ComparisonRow {
    let mut writes: Vec<Dur> = Vec::new();
    let mut reads: Vec<Dur> = Vec::new();
    let mut anomalies = AnomalyCounts::default();
    let mut notes: BTreeMap<String, u64> = BTreeMap::new();
    let mut failovers = 0;
    let mut max_unavailability_ms: Option<f64> = None;
    let mut family = String::new();
    let mut runs = Vec::with_capacity(measured.len());
    for m in measured {
        writes.extend_from_slice(&m.writes);
        reads.extend_from_slice(&m.reads);
        let a = m.anomalies;
        anomalies.stale_reads += a.stale_reads;
        anomalies.session_violations += a.session_violations;
        anomalies.lost_writes += a.lost_writes;
        anomalies.split_brain += a.split_brain;
        anomalies.divergence += a.divergence;
        anomalies.not_linearizable += a.not_linearizable;
        anomalies.total += a.total;
        for (k, v) in m.notes {
            *notes.entry(k).or_insert(0) += v;
        }
        failovers += m.failovers;
        for u in m.unavailability_ms {
            max_unavailability_ms = Some(max_unavailability_ms.map_or(u, |x: f64| x.max(u)));
        }
        family = m.family;
        runs.push(m.run);
    }
    let ops_ok: u64 = runs.iter().map(|r| r.ops_ok).sum();
    let ops_failed: u64 = runs.iter().map(|r| r.ops_failed).sum();
    let ops_unknown: u64 = runs.iter().map(|r| r.ops_unknown).sum();
    let completed = ops_ok + ops_failed + ops_unknown;
    ComparisonRow {
        contender: plan.contender,
        title: plan.contender.title().into(),
        family,
        settings: plan.settings,
        article: plan.contender.article(),
        ops_ok,
        ops_failed,
        ops_unknown,
        ok_share: if completed == 0 { 1.0 } else { ops_ok as f64 / completed as f64 },
        write_latency_ms: Latency::of(&writes),
        read_latency_ms: Latency::of(&reads),
        lost_writes: runs.iter().map(|r| r.lost_writes).sum(),
        anomalies,
        failovers,
        max_unavailability_ms,
        notes,
        dropped_commands: plan.dropped_commands,
        runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_is_valid() {
        let s = default_scenario();
        assert_eq!(s.cluster.nodes, 5);
        for c in Contender::ALL {
            let (scenario, _, dropped) = contender_scenario(&s, c);
            scenario.validate().unwrap();
            assert!(dropped.is_empty(), "{c}: {dropped:?}");
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!(Contender::parse_list("sync, multi-leader,sync").unwrap(), vec![Contender::Sync, Contender::Multi]);
        assert_eq!(Contender::parse_list(" , "), Err(CompareError::NoContenders));
        let e = Contender::parse_list("sync,paxos").unwrap_err();
        assert!(e.to_string().contains("\"paxos\"") && e.to_string().contains("leaderless"), "{e}");
        for c in Contender::ALL {
            assert_eq!(Contender::parse(c.key()), Ok(c));
        }
    }

    #[test]
    fn commands_are_translated_per_family() {
        let mut s = default_scenario();
        s.commands = vec![
            TimedCommand { at_ms: 10.0, command: Command::Promote { node: 1 } },
            TimedCommand { at_ms: 20.0, command: Command::Increment { client: 0, key: 1, by: 1, node: None } },
            TimedCommand {
                at_ms: 30.0,
                command: Command::Write { client: 0, key: 1, value: None, node: None, quorum: Some(9) },
            },
            TimedCommand { at_ms: 40.0, command: Command::Crash { node: 2 } },
        ];
        let (lf, _, dropped) = contender_scenario(&s, Contender::Sync);
        assert_eq!(dropped, vec!["20 increment".to_string()]);
        assert_eq!(lf.commands.len(), 3);
        assert!(matches!(lf.commands[1].command, Command::Write { quorum: None, .. }));
        let (ll, _, dropped) = contender_scenario(&s, Contender::Leaderless);
        assert_eq!(dropped, vec!["10 promote".to_string(), "20 increment".to_string()]);
        assert!(matches!(ll.commands[0].command, Command::Write { quorum: Some(3), .. }));
        assert!(matches!(ll.commands[1].command, Command::Crash { node: 2 }));
        ll.validate().unwrap();
    }

    #[test]
    fn small_clusters_get_small_quorums() {
        let mut s = default_scenario();
        s.cluster.nodes = 2;
        s.commands.clear();
        let (ll, settings, _) = contender_scenario(&s, Contender::Leaderless);
        ll.validate().unwrap();
        assert!(settings.starts_with("N=2, W=2, R=2"), "{settings}");
    }

    #[test]
    fn a_comparer_stepped_by_hand_gives_what_compare_gives() {
        let mut s = default_scenario();
        s.duration_ms = 800.0;
        let options = CompareOptions {
            contenders: vec![Contender::Multi, Contender::Sync],
            seeds: vec![5, 6, 5],
            until_ms: None,
        };
        let mut c = Comparer::new(&s, &options).unwrap();
        assert_eq!(c.progress(), (0, 4));
        assert_eq!(c.next_run(), Some((Contender::Multi, 5)));
        assert!(c.step() && c.step() && c.step());
        assert_eq!(c.next_run(), Some((Contender::Sync, 6)));
        assert!(c.step());
        assert!(!c.step());
        assert_eq!(c.progress(), (4, 4));
        assert_eq!(c.next_run(), None);
        let by_hand = c.finish();
        assert_eq!(by_hand, compare(&s, &options).unwrap());
        assert_eq!(by_hand.seeds, vec![5, 6]);
        assert_eq!(by_hand.rows[1].runs.iter().map(|r| r.seed).collect::<Vec<_>>(), vec![5, 6]);
    }

    #[test]
    fn bad_options_are_errors() {
        let s = default_scenario();
        let none = CompareOptions { contenders: vec![], ..Default::default() };
        assert_eq!(compare(&s, &none), Err(CompareError::NoContenders));
        let bad = CompareOptions { until_ms: Some(-1.0), ..Default::default() };
        assert!(matches!(compare(&s, &bad), Err(CompareError::BadUntil(_))));
    }
}
