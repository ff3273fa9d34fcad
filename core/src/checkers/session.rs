//! Session guarantees: `read_your_writes`, `monotonic_reads` and `causal_order`, checked per
//! client session.
//!
//! Every session keeps, per key, the writes it has *observed*: its own acknowledged writes, the
//! writes whose values it read, and everything those writes causally depended on (what their
//! writers had observed when they wrote them). A later read of the key must reflect each
//! observed write — return it, or something that overwrote it. A read that does not is a
//! violation, named after how the session came to know the write it missed:
//!
//! - its own write: `read_your_writes` (the comment that disappears);
//! - a write it had already read: `monotonic_reads` (time going backwards);
//! - a write it knew only through another write that depended on it: `causal_order` (the
//!   reply seen before the message it answers).
//!
//! The checker is generic over what "reflects" means ([`Model`]): for registers with unique
//! values (the simulator's history) a read reflects a write when it returned that write's value
//! or the value of a write not known to precede it; for key-value maps with append (Porcupine's
//! histories) when the returned string contains the appended text or comes from a later put.
//! Events must be fed in time order (completions before invocations at equal times).

use litemap::LiteMap;
use std::collections::BTreeMap;

use super::{Anomaly, AnomalyKind};
use crate::protocol::{Key, NodeId, OpId, Value};
use crate::time::{to_ms, Time};

/// How a session came to know a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// The session wrote it (and it was acknowledged).
    Own,
    /// The session read it.
    Read,
    /// The session read a write that depended on it.
    Causal,
}

impl Origin {
    fn kind(self) -> AnomalyKind {
        match self {
            Origin::Own => AnomalyKind::ReadYourWrites,
            Origin::Read => AnomalyKind::MonotonicReads,
            Origin::Causal => AnomalyKind::CausalOrder,
        }
    }
}

/// What the checker needs to know about the data type.
pub trait Model {
    /// Whether the (acknowledged) read reflects the write.
    fn reflects(&self, read: OpId, write: OpId) -> bool;
    /// Appends to `out` (a buffer the caller reuses) the writes whose effects the read returned.
    fn sources(&self, read: OpId, out: &mut Vec<OpId>);
    /// Whether `older` certainly took effect before `newer` and `newer` overwrites it, so that
    /// observing `newer` makes `older` redundant. Only an optimisation; `false` is always safe.
    fn covers(&self, _newer: OpId, _older: OpId) -> bool {
        false
    }
    /// A short description of an operation for explanations ("write k1 = v5").
    fn describe(&self, op: OpId) -> String;
    /// A short description of what a read returned ("nothing", "v3").
    fn describe_result(&self, read: OpId) -> String;
}

// Keyed by the workload's keys (up to a million): a B-tree, since keys arrive in any order and
// a sorted vector's inserts would cost a move of everything after them.
type Observed = BTreeMap<Key, Vec<(OpId, Origin)>>;

/// What one session has observed.
#[derive(Clone, Debug, Default)]
struct Session {
    /// Per key, the observed writes not made redundant by a newer observed one.
    observed: Observed,
    /// Every observation in order, with its position: a write's causal past is a prefix of
    /// its writer's log, so it is remembered as a length, not copied. Compaction removes the
    /// entries of dropped writes wherever they are (positions stay absolute).
    log: Vec<(usize, Key, OpId)>,
    /// The position of the next observation.
    log_len: usize,
    /// Per other session, how much of its log has been merged into this one.
    merged: LiteMap<usize, usize>,
}

impl Session {
    fn observe(&mut self, key: Key, write: OpId, origin: Origin, model: &dyn Model, limit: usize) {
        let list = self.observed.entry(key).or_default();
        if let Some(e) = list.iter_mut().find(|(w, _)| *w == write) {
            e.1 = e.1.min(origin);
            return;
        }
        if list.iter().any(|&(w, _)| model.covers(w, write)) {
            return;
        }
        list.retain(|&(w, _)| !model.covers(write, w));
        list.push((write, origin));
        if list.len() > limit {
            let drop = list.len() - limit;
            list.drain(..drop);
        }
        self.log.push((self.log_len, key, write));
        self.log_len += 1;
    }
}

impl SessionChecker {
    /// Compaction: drops the causal context of writes not `kept`, and from each session's log
    /// the observations of writes not kept (a causal dependency that old is no longer
    /// inherited) — unless some session still counts the write among what it observed or a
    /// pending read started from it: a newer write may then still be asked whether its causal
    /// past includes that one, and the answer must not change because of compaction.
    pub fn compact(&mut self, kept: &dyn Fn(OpId) -> bool) {
        let mut live: Vec<OpId> = Vec::new();
        for s in self.sessions.values() {
            live.extend(s.observed.values().flatten().map(|&(op, _)| op));
        }
        live.extend(self.pending_reads.values().flatten().map(|&(op, _)| op));
        crate::sort::sort_ids(&mut live);
        live.dedup();
        let keep = |op: OpId| kept(op) || live.binary_search(&op).is_ok();
        self.context.retain(|&op, _| keep(op));
        for (_, s) in self.sessions.iter_mut() {
            s.log.retain(|&(_, _, op)| keep(op));
        }
    }

    /// The operations this checker may still look up in the history.
    pub fn referenced(&self, out: &mut Vec<OpId>) {
        for s in self.sessions.values() {
            out.extend(s.observed.values().flatten().map(|&(op, _)| op));
            out.extend(s.log.iter().map(|&(_, _, op)| op));
        }
        out.extend(self.pending_reads.values().flatten().map(|&(op, _)| op));
        out.extend(self.context.keys().copied());
    }
}

/// Incremental session checker.
#[derive(Clone, Debug, Default)]
pub struct SessionChecker {
    sessions: LiteMap<usize, Session>,
    /// The causal past of each write: its writer session and that session's log length when
    /// the write was invoked.
    context: LiteMap<OpId, (usize, usize)>,
    /// What a read's session had observed of its key when the read was invoked.
    pending_reads: LiteMap<OpId, Vec<(OpId, Origin)>>,
    /// Most entries kept per session and key (older ones are dropped first).
    limit: usize,
    /// Emptied lists of `pending_reads`, reused by the next reads.
    spare: Vec<Vec<(OpId, Origin)>>,
    /// Buffers reused by every read (nothing in them outlives one call): its sources, and the
    /// causal past one of them brings.
    sources: Vec<OpId>,
    inherited: Vec<(Key, OpId)>,
}

impl SessionChecker {
    pub fn new() -> Self {
        SessionChecker { limit: 64, ..Default::default() }
    }

    pub fn on_read_invoked(&mut self, session: usize, read: OpId, key: Key) {
        let mut seen = self.spare.pop().unwrap_or_default();
        if let Some(list) = self.sessions.get(&session).and_then(|s| s.observed.get(&key)) {
            seen.extend_from_slice(list);
        }
        self.pending_reads.insert(read, seen);
    }

    pub fn on_write_invoked(&mut self, session: usize, write: OpId) {
        let len = self.sessions.get(&session).map_or(0, |s| s.log_len);
        self.context.insert(write, (session, len));
    }

    pub fn on_write_acked(&mut self, session: usize, write: OpId, key: Key, model: &dyn Model) {
        let limit = self.limit.max(1);
        self.sessions.entry(session).or_default().observe(key, write, Origin::Own, model, limit);
    }

    /// A read that did not complete successfully.
    pub fn on_read_failed(&mut self, read: OpId) {
        if let Some(seen) = self.pending_reads.remove(&read) {
            self.recycle(seen);
        }
    }

    fn recycle(&mut self, mut seen: Vec<(OpId, Origin)>) {
        if seen.capacity() > 0 {
            seen.clear();
            self.spare.push(seen);
        }
    }

    /// Checks an acknowledged read, then records what it observed.
    pub fn on_read_ok(
        &mut self,
        session: usize,
        read: OpId,
        key: Key,
        node: NodeId,
        time: Time,
        model: &dyn Model,
    ) -> Option<Anomaly> {
        let seen = self.pending_reads.remove(&read).unwrap_or_default();
        let missed =
            seen.iter().filter(|&&(w, _)| !model.reflects(read, w)).min_by_key(|&&(w, origin)| (origin, w)).copied();
        let anomaly = missed.map(|(write, origin)| {
            let kind = origin.kind();
            let (what, why) = match origin {
                Origin::Own => ("its own", "read-your-writes"),
                Origin::Read => ("an already read", "monotonic reads"),
                Origin::Causal => ("a causally earlier", "causal order"),
            };
            Anomaly {
                kind,
                time,
                ops: vec![read, write],
                nodes: vec![node],
                explanation: format!(
                    "session {session}: read op{read} of k{key} at n{node} returned {} at {:.3} ms, missing {what} op{write} ({}): {why} violated",
                    model.describe_result(read),
                    to_ms(time),
                    model.describe(write),
                ),
            }
        });
        self.recycle(seen);
        let limit = self.limit.max(1);
        let mut sources = std::mem::take(&mut self.sources);
        let mut inherited = std::mem::take(&mut self.inherited);
        sources.clear();
        model.sources(read, &mut sources);
        for &s in &sources {
            // The write's causal past: the prefix of its writer's log not merged here yet.
            inherited.clear();
            if let Some(&(writer, len)) = self.context.get(&s).filter(|&&(writer, _)| writer != session) {
                let from = self.sessions.get(&session).and_then(|me| me.merged.get(&writer)).copied().unwrap_or(0);
                if let Some(w) = self.sessions.get(&writer).filter(|_| from < len) {
                    let a = w.log.partition_point(|&(pos, _, _)| pos < from);
                    let b = w.log.partition_point(|&(pos, _, _)| pos < len);
                    inherited.extend(w.log[a..b].iter().map(|&(_, k, op)| (k, op)));
                }
            }
            let me = self.sessions.entry(session).or_default();
            me.observe(key, s, Origin::Read, model, limit);
            for &(k, w) in &inherited {
                me.observe(k, w, Origin::Causal, model, limit);
            }
            if let Some(&(writer, len)) = self.context.get(&s) {
                if writer != session {
                    let m = me.merged.entry(writer).or_insert(0);
                    *m = (*m).max(len);
                }
            }
        }
        self.sources = sources;
        self.inherited = inherited;
        anomaly
    }
}

/// One operation for the offline checker: a read or write of a key by a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOp {
    pub id: OpId,
    pub session: usize,
    pub node: NodeId,
    pub key: Key,
    pub write: bool,
    pub invoke: Time,
    /// Completion time and whether it succeeded (`None`: never completed).
    pub complete: Option<(Time, bool)>,
}

/// Checks a whole history. `ops[i].id` must be `i`.
pub fn check(ops: &[SessionOp], model: &dyn Model) -> Vec<Anomaly> {
    let mut events: Vec<(Time, u8, OpId)> = Vec::new();
    for op in ops {
        events.push((op.invoke, 1, op.id));
        if let Some((t, _)) = op.complete {
            events.push((t, 0, op.id));
        }
    }
    crate::sort::sort(&mut events);
    let mut checker = SessionChecker::new();
    let mut out = Vec::new();
    for (t, what, id) in events {
        let op = &ops[id as usize];
        match (what, op.write) {
            (1, true) => checker.on_write_invoked(op.session, id),
            (1, false) => checker.on_read_invoked(op.session, id, op.key),
            (_, true) => {
                if op.complete.is_some_and(|(_, ok)| ok) {
                    checker.on_write_acked(op.session, id, op.key, model);
                }
            }
            (_, false) => {
                if op.complete.is_some_and(|(_, ok)| ok) {
                    out.extend(checker.on_read_ok(op.session, id, op.key, op.node, t, model));
                } else {
                    checker.on_read_failed(id);
                }
            }
        }
    }
    out
}

/// The register model over the simulator's history: every write writes a unique value, and a
/// delete writes "nothing" (a read of nothing reflects the deletes of its key).
pub struct RegisterModel<'a> {
    pub history: &'a crate::history::History,
    /// Which write wrote each value (and which delete each tombstone).
    pub writer: &'a LiteMap<Value, OpId>,
    /// The deletes of each key.
    pub deletes: &'a BTreeMap<Key, Vec<OpId>>,
}

impl RegisterModel<'_> {
    fn ack(&self, op: OpId) -> Option<Time> {
        self.history.get(op).and_then(|o| o.ok_time())
    }
    fn invoke(&self, op: OpId) -> Time {
        self.history.get(op).map_or(0, |o| o.invoke)
    }
    /// `a` was acknowledged before `b` was invoked.
    fn before(&self, a: OpId, b: OpId) -> bool {
        self.ack(a).is_some_and(|t| t < self.invoke(b))
    }
    /// The writes whose effects the read returned: the writers of its values, or for a read of
    /// nothing the deletes of its key.
    fn each_source(&self, read: OpId) -> impl Iterator<Item = OpId> + '_ {
        let (deletes, values): (Option<&Vec<OpId>>, &[Value]) =
            match self.history.get(read).and_then(|o| Some((o, o.read_values()?))) {
                Some((o, [])) => (self.deletes.get(&o.key()), &[]),
                Some((_, values)) => (None, values),
                None => (None, &[]),
            };
        deletes.into_iter().flatten().copied().chain(values.iter().filter_map(|v| self.writer.get(v).copied()))
    }
}

impl Model for RegisterModel<'_> {
    fn reflects(&self, read: OpId, write: OpId) -> bool {
        // Without collecting the sources: a read checks every write its session observed.
        self.each_source(read).any(|s| s == write || !self.before(s, write))
    }
    fn sources(&self, read: OpId, out: &mut Vec<OpId>) {
        out.extend(self.each_source(read));
    }
    fn covers(&self, newer: OpId, older: OpId) -> bool {
        self.before(older, newer)
    }
    fn describe(&self, op: OpId) -> String {
        match self.history.get(op) {
            Some(o) => o.kind.describe(),
            None => format!("op{op}"),
        }
    }
    fn describe_result(&self, read: OpId) -> String {
        match self.history.get(read).and_then(|o| o.read_values()) {
            Some([]) | None => "nothing".into(),
            Some(vs) => vs.iter().map(|v| format!("v{v}")).collect::<Vec<_>>().join(", "),
        }
    }
}

/// Runs the session checker over the simulator's history (clients are sessions).
pub fn check_history(history: &crate::history::History) -> Vec<Anomaly> {
    let writer: LiteMap<_, _> = history.ops.iter().filter_map(|o| o.written().map(|v| (v, o.id))).collect();
    let mut deletes: BTreeMap<Key, Vec<OpId>> = BTreeMap::new();
    for o in history.ops.iter().filter(|o| o.is_delete()) {
        deletes.entry(o.key()).or_default().push(o.id);
    }
    let model = RegisterModel { history, writer: &writer, deletes: &deletes };
    let ops: Vec<SessionOp> = history
        .ops
        .iter()
        .filter(|o| o.kind.is_register())
        .map(|o| SessionOp {
            id: o.id,
            session: o.client,
            node: o.node,
            key: o.key(),
            write: o.kind.is_write(),
            invoke: o.invoke,
            complete: o.completion.as_ref().map(|c| (c.time, matches!(c.outcome, crate::history::Outcome::Ok { .. }))),
        })
        .collect();
    check(&ops, &model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Completion, History, Operation, Outcome};
    use crate::protocol::OpKind;

    fn op(id: u64, client: usize, kind: OpKind, invoke: Time, done: Time, values: Vec<u64>) -> Operation {
        Operation {
            id,
            client,
            node: 1,
            kind,
            invoke,
            completion: Some(Completion { time: done, outcome: Outcome::Ok { values }, why: None, undelivered: false }),
            quorum: None,
        }
    }
    fn w(id: u64, client: usize, key: Key, value: u64, inv: Time, done: Time) -> Operation {
        op(id, client, OpKind::Write { key, value }, inv, done, vec![])
    }
    fn r(id: u64, client: usize, key: Key, vals: Vec<u64>, inv: Time, done: Time) -> Operation {
        op(id, client, OpKind::Read { key }, inv, done, vals)
    }

    fn kinds(ops: Vec<Operation>) -> Vec<(AnomalyKind, OpId)> {
        check_history(&History { ops: ops.into(), ..Default::default() })
            .into_iter()
            .map(|a| (a.kind, a.ops[0]))
            .collect()
    }

    /// A named history and the anomalies it must show.
    type Case = (&'static str, Vec<Operation>, Vec<(AnomalyKind, OpId)>);

    #[test]
    fn table() {
        use AnomalyKind::*;
        let cases: Vec<Case> = vec![
            ("own write then read it", vec![w(0, 0, 1, 10, 0, 5), r(1, 0, 1, vec![10], 6, 7)], vec![]),
            (
                "own write then read nothing",
                vec![w(0, 0, 1, 10, 0, 5), r(1, 0, 1, vec![], 6, 7)],
                vec![(ReadYourWrites, 1)],
            ),
            ("another session may miss it", vec![w(0, 0, 1, 10, 0, 5), r(1, 1, 1, vec![], 6, 7)], vec![]),
            (
                "a newer write by someone else is fine",
                vec![w(0, 0, 1, 10, 0, 5), w(1, 1, 1, 11, 6, 8), r(2, 0, 1, vec![11], 9, 10)],
                vec![],
            ),
            (
                "time going backwards",
                vec![
                    w(0, 1, 1, 10, 0, 2),
                    w(1, 1, 1, 11, 3, 4),
                    r(2, 0, 1, vec![11], 5, 6),
                    r(3, 0, 1, vec![10], 7, 8),
                ],
                vec![(MonotonicReads, 3)],
            ),
            (
                "the reply before the message",
                vec![
                    w(0, 0, 1, 10, 0, 2),       // A asks (k1)
                    r(1, 1, 1, vec![10], 3, 4), // B reads the question
                    w(2, 1, 2, 20, 5, 6),       // B answers (k2)
                    r(3, 2, 2, vec![20], 7, 8), // C sees the answer
                    r(4, 2, 1, vec![], 9, 10),  // C does not see the question
                ],
                vec![(CausalOrder, 4)],
            ),
            (
                "answer without reading the question is not causal",
                vec![w(0, 0, 1, 10, 0, 2), w(2, 1, 2, 20, 5, 6), r(3, 2, 2, vec![20], 7, 8), r(4, 2, 1, vec![], 9, 10)]
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut o)| {
                        o.id = i as u64;
                        o
                    })
                    .collect(),
                vec![],
            ),
        ];
        for (name, ops, want) in cases {
            assert_eq!(kinds(ops), want, "{name}");
        }
    }
}

/// Session checking for key-value histories with `put`, `append` and `get` (Porcupine's
/// key-value test data): each client process is a session, time is the event order.
pub mod kv {
    use std::collections::BTreeMap;

    use super::{check, Model, SessionOp};
    use crate::checkers::Anomaly;
    use crate::formats::edn::Value as Edn;
    use crate::formats::{pair, Event, EventType, FormatError};
    use crate::protocol::OpId;

    struct Op {
        f: String,
        key: String,
        /// Written text for put/append, returned text for get.
        text: String,
        invoke: usize,
        done: Option<usize>,
    }

    /// A get reflects a write when the returned text contains the appended text, or came from
    /// a put that was not certainly before the write.
    struct KvModel {
        ops: Vec<Op>,
    }

    impl KvModel {
        fn before(&self, a: usize, b: usize) -> bool {
            self.ops[a].done.is_some_and(|d| d < self.ops[b].invoke)
        }
        fn each_source(&self, read: OpId) -> impl Iterator<Item = OpId> + '_ {
            let r = &self.ops[read as usize];
            self.ops
                .iter()
                .enumerate()
                // A write invoked after the read completed cannot be what it returned, even when
                // it wrote the same text.
                .filter(move |(_, w)| w.f != "get" && w.key == r.key && !w.text.is_empty() && r.text.contains(&w.text))
                .filter(move |(_, w)| r.done.is_none_or(|d| w.invoke < d))
                .map(|(i, _)| i as OpId)
        }
    }

    impl Model for KvModel {
        fn reflects(&self, read: OpId, write: OpId) -> bool {
            let w = &self.ops[write as usize];
            let r = &self.ops[read as usize];
            if r.text.contains(&w.text) {
                return true;
            }
            self.each_source(read).any(|s| self.ops[s as usize].f == "put" && !self.before(s as usize, write as usize))
        }
        fn sources(&self, read: OpId, out: &mut Vec<OpId>) {
            out.extend(self.each_source(read));
        }
        fn describe(&self, op: OpId) -> String {
            let o = &self.ops[op as usize];
            format!("{} {:?} {:?}", o.f, o.key, o.text)
        }
        fn describe_result(&self, read: OpId) -> String {
            format!("{:?}", self.ops[read as usize].text)
        }
    }

    fn text(v: &Edn) -> String {
        match v {
            Edn::Str(s) => s.clone(),
            Edn::Nil => String::new(),
            other => other.to_string(),
        }
    }

    /// Where an operation's events are: its invocation line and, if it completed, its
    /// completion line.
    pub type OpLines = (usize, Option<usize>);

    /// Checks the session guarantees of a parsed key-value history. Anomalies name operations
    /// by their position among the history's operations; the event lines are in `lines`.
    pub fn check_events(events: &[Event]) -> Result<(Vec<Anomaly>, Vec<OpLines>), FormatError> {
        let paired = pair(events)?;
        let mut keys: BTreeMap<String, u32> = BTreeMap::new();
        let mut ops = Vec::new();
        let mut session_ops = Vec::new();
        let mut lines = Vec::new();
        for (i, p) in paired.iter().enumerate() {
            let inv = &events[p.invoke];
            let done = p.completion.map(|c| &events[c]);
            let key = inv.key.as_ref().map(text).unwrap_or_default();
            let n = keys.len() as u32;
            let key_id = *keys.entry(key.clone()).or_insert(n);
            let is_get = p.f == "get";
            let t = if is_get { done.map(|d| text(&d.value)).unwrap_or_default() } else { text(&inv.value) };
            let ok = p.outcome(events) == EventType::Ok;
            ops.push(Op { f: p.f.clone(), key, text: t, invoke: p.invoke, done: p.completion.filter(|_| ok) });
            session_ops.push(SessionOp {
                id: i as OpId,
                session: p.process.max(0) as usize,
                node: 0,
                key: key_id,
                write: !is_get,
                invoke: p.invoke as u64,
                complete: p.completion.map(|c| (c as u64, ok)),
            });
            lines.push((inv.line, done.map(|d| d.line)));
        }
        let model = KvModel { ops };
        Ok((check(&session_ops, &model), lines))
    }
}
