//! The JSON report of a run, as `replicalab run` prints it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checkers::Anomaly;
use crate::history::{Operation, Outcome};
use crate::metrics::{Metrics, MetricsReport};
use crate::protocol::{ClientId, Key, NodeId, OpId, OpKind, Value};
use crate::time::to_ms;

/// One client operation in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpReport {
    pub id: OpId,
    pub client: ClientId,
    pub node: NodeId,
    /// `read`, `write`, `delete`, `increment`, `add`, `remove` or `cas`.
    pub f: String,
    pub key: Key,
    /// The value written, the tombstone a delete wrote, or the element added or removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// How much an increment added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<i64>,
    /// The value a compare-and-set required the key to hold (absent for a `cas`: that it held
    /// nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Value>,
    /// An acknowledged compare-and-set: whether it applied (otherwise `values` is what the key
    /// held).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
    pub invoke_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_ms: Option<f64>,
    /// `ok`, `fail`, `unknown` or `pending` (still outstanding when the run ended).
    pub outcome: String,
    /// What an acknowledged read returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    /// Why it failed, or why a node gave up on it with its outcome unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unknown to the client, but its request never reached a node: it did not take effect.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub undelivered: bool,
}

impl From<&Operation> for OpReport {
    fn from(op: &Operation) -> Self {
        let (f, value, by) = match op.kind {
            OpKind::Read { .. } => ("read", None, None),
            OpKind::Write { value, .. } => ("write", Some(value), None),
            OpKind::Delete { value, .. } => ("delete", Some(value), None),
            OpKind::Increment { by, .. } => ("increment", None, Some(by)),
            OpKind::Add { element, .. } => ("add", Some(element), None),
            OpKind::Remove { element, .. } => ("remove", Some(element), None),
            OpKind::Cas { value, .. } => ("cas", Some(value), None),
        };
        let why = op.completion.as_ref().and_then(|c| c.why.as_ref().map(ToString::to_string));
        let (outcome, values, reason) = match op.completion.as_ref().map(|c| &c.outcome) {
            None => ("pending", None, None),
            Some(Outcome::Ok { values }) => {
                ("ok", if f == "read" || f == "cas" { Some(values.clone()) } else { None }, None)
            }
            Some(Outcome::Fail { reason }) => ("fail", None, Some(reason.to_string())),
            Some(Outcome::Unknown) => ("unknown", None, why),
        };
        OpReport {
            id: op.id,
            client: op.client,
            node: op.node,
            f: f.into(),
            key: op.key(),
            value,
            by,
            expect: match op.kind {
                OpKind::Cas { expect, .. } => expect,
                _ => None,
            },
            applied: op.cas_applied(),
            invoke_ms: to_ms(op.invoke),
            complete_ms: op.completion.as_ref().map(|c| to_ms(c.time)),
            outcome: outcome.into(),
            values,
            reason,
            undelivered: op.completion.as_ref().is_some_and(|c| c.undelivered),
        }
    }
}

/// One anomaly in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnomalyReport {
    /// snake_case kind: `stale_read`, `lost_write`, …
    pub kind: String,
    pub time_ms: f64,
    pub ops: Vec<OpId>,
    pub nodes: Vec<NodeId>,
    pub explanation: String,
}

impl From<&Anomaly> for AnomalyReport {
    fn from(a: &Anomaly) -> Self {
        AnomalyReport {
            kind: a.kind.name().into(),
            time_ms: to_ms(a.time),
            ops: a.ops.clone(),
            nodes: a.nodes.clone(),
            explanation: a.explanation.clone(),
        }
    }
}

/// Replication lag of every node at one instant, in milliseconds (`null`: not a follower).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagPoint {
    pub t_ms: f64,
    pub lag_ms: Vec<Option<f64>>,
    pub lag_positions: Vec<Option<u64>>,
}

/// Everything `replicalab run` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub scenario: String,
    pub family: String,
    pub seed: u64,
    /// Hash of the whole trace: equal hashes mean identical runs.
    pub trace_hash: String,
    /// Events processed.
    pub events: u64,
    pub end_time_ms: f64,
    pub metrics: MetricsReport,
    pub anomalies: Vec<AnomalyReport>,
    /// Counts of anomalies by kind (those compaction dropped from `anomalies` included).
    pub anomaly_counts: BTreeMap<String, usize>,
    /// The operations still held when the run ended: all of them, unless the run was long
    /// enough for compaction to drop settled ones (`history_dropped` says how many).
    pub history: Vec<OpReport>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub history_dropped: u64,
    /// Replication lag over time (thinned evenly to a bounded number of samples).
    pub lag_series: Vec<LagPoint>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn build(
        scenario: &str,
        family: &str,
        seed: u64,
        trace_hash: String,
        events: u64,
        end: u64,
        metrics: &Metrics,
        anomalies: &[Anomaly],
        counts: &BTreeMap<crate::checkers::AnomalyKind, usize>,
        history: &crate::history::History,
    ) -> Report {
        let anomaly_counts: BTreeMap<String, usize> = counts.iter().map(|(k, &n)| (k.name().to_string(), n)).collect();
        Report {
            scenario: scenario.into(),
            family: family.into(),
            seed,
            trace_hash,
            events,
            end_time_ms: to_ms(end),
            metrics: {
                let mut m = metrics.summary();
                m.lost_writes = counts.get(&crate::checkers::AnomalyKind::LostWrite).copied().unwrap_or(0);
                m
            },
            anomalies: anomalies.iter().map(AnomalyReport::from).collect(),
            anomaly_counts,
            history: history.ops.iter().map(OpReport::from).collect(),
            history_dropped: history.first_id(),
            lag_series: metrics
                .lag_series
                .iter()
                .map(|s| LagPoint {
                    t_ms: to_ms(s.time),
                    lag_ms: s.lags.iter().map(|l| l.map(|l| to_ms(l.time))).collect(),
                    lag_positions: s.lags.iter().map(|l| l.map(|l| l.positions)).collect(),
                })
                .collect(),
        }
    }
}
