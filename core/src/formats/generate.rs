//! Generated histories with known answers, for tests and benchmarks of the checkers.
//!
//! Each generator simulates clients of one atomic object: every operation takes effect at one
//! instant between its invocation and its completion, so the history it writes is
//! linearizable by construction. A *bad* history then breaks that in one documented way. The
//! output is the text of a history file in one of the [`super::Format`]s, so it goes through
//! the same readers as a user's file. Everything is deterministic in the seed.

use std::fmt::Write as _;

use crate::rng::SimRng;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenSpec {
    /// Client processes, each with at most one operation outstanding.
    pub clients: u32,
    /// Operations in all.
    pub ops: u32,
    /// Keys (key-value histories only).
    pub keys: u32,
    /// Of every million writes (puts, appends, writes, compare-and-sets), how many time out:
    /// their completion is `:info`, and each takes effect or not at random.
    pub timeout_ppm: u32,
    pub seed: u64,
}

/// One operation of the atomic object, with what it returned.
struct Planned {
    process: u32,
    call: u64,
    ret: u64,
    /// The instant it takes effect, between call and ret (`None`: a timed-out write that
    /// never took effect).
    at: Option<u64>,
    timed_out: bool,
    f: &'static str,
    key: u32,
    /// Written value (put, append, write), or [from, to] for a cas.
    arg: Arg,
    /// Filled in when the object is replayed: a read's value, whether a cas swapped.
    result: Arg,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Arg {
    #[default]
    None,
    Int(i64),
    Pair(i64, i64),
    Text(String),
    Nil,
}

/// Per process: times of its operations, one after the other, with think time between them.
fn schedule(spec: &GenSpec, rng: &mut SimRng) -> Vec<(u32, u64, u64, u64)> {
    let clients = spec.clients.max(1);
    let mut next_free = vec![0u64; clients as usize];
    let mut out = Vec::with_capacity(spec.ops as usize);
    for _ in 0..spec.ops {
        let p = rng.below(clients as u64) as u32;
        let call = next_free[p as usize] + rng.between(1, 50);
        let at = call + rng.between(0, 100);
        let ret = at + rng.between(0, 100);
        next_free[p as usize] = ret;
        out.push((p, call, at, ret));
    }
    out
}

/// Writes the events in time order: invocations, then completions. Ties: calls first, so
/// operations that touch are concurrent.
fn events(ops: &[Planned], mut line: impl FnMut(&mut String, &Planned, bool)) -> String {
    let mut order: Vec<(u64, u8, usize)> = Vec::with_capacity(ops.len() * 2);
    for (i, op) in ops.iter().enumerate() {
        order.push((op.call, 0, i));
        order.push((op.ret, 1, i));
    }
    crate::sort::sort(&mut order);
    let mut text = String::with_capacity(ops.len() * 120);
    for (_, kind, i) in order {
        line(&mut text, &ops[i], kind == 1);
    }
    text
}

/// Replays the planned operations at their instants, in order, on `apply`.
fn replay(ops: &mut [Planned], mut apply: impl FnMut(&mut Planned)) {
    let mut by_at: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].at.is_some()).collect();
    crate::sort::sort_by_key(&mut by_at, |&i| (ops[i].at, i));
    for i in by_at {
        apply(&mut ops[i]);
    }
}

/// A linearizable key-value history in Porcupine's key-value format: gets, puts and appends
/// over `keys` keys, every key starting as the empty string. Appended pieces are
/// `x <process> <n> y`, as in Porcupine's own test data.
pub fn kv_history(spec: &GenSpec) -> String {
    kv_with(spec, false)
}

/// A key-value history that is not linearizable: as [`kv_history`], except that one get late
/// in the history returns what its key held before a put or append that had completed before
/// the get was invoked (a stale read).
pub fn kv_history_bad(spec: &GenSpec) -> String {
    kv_with(spec, true)
}

fn kv_with(spec: &GenSpec, bad: bool) -> String {
    let mut rng = SimRng::new(spec.seed);
    let times = schedule(spec, &mut rng);
    let keys = spec.keys.max(1);
    let mut counter = vec![0u64; spec.clients.max(1) as usize];
    let mut ops: Vec<Planned> = times
        .into_iter()
        .map(|(p, call, at, ret)| {
            let key = rng.below(keys as u64) as u32;
            let (f, arg) = match rng.below(10) {
                0..=4 => ("get", Arg::None),
                5 => ("put", Arg::Text(format!("x {p} {} y", next(&mut counter, p)))),
                _ => ("append", Arg::Text(format!("x {p} {} y", next(&mut counter, p)))),
            };
            let timed_out = f != "get" && rng.chance_ppm(spec.timeout_ppm);
            let at = if timed_out && rng.below(2) == 0 { None } else { Some(at) };
            Planned { process: p, call, ret, at, timed_out, f, key, arg, result: Arg::None }
        })
        .collect();
    let mut store: Vec<String> = vec![String::new(); keys as usize];
    // Per key, each write that took effect, in order, with the value before it.
    let mut before: Vec<Vec<Written>> = vec![Vec::new(); keys as usize];
    replay(&mut ops, |op| {
        let k = op.key as usize;
        match (op.f, &op.arg) {
            ("get", _) => op.result = Arg::Text(store[k].clone()),
            ("put", Arg::Text(v)) => {
                before[k].push(Written::of(op, &store[k]));
                store[k] = v.clone();
            }
            (_, Arg::Text(v)) => {
                before[k].push(Written::of(op, &store[k]));
                store[k].push_str(v);
            }
            _ => {}
        }
    });
    if bad {
        corrupt_kv(&mut ops, &before);
    }
    events(&ops, |text, op, done| {
        let kind = match (done, op.timed_out) {
            (false, _) => "invoke",
            (true, true) => "info",
            (true, false) => "ok",
        };
        let value = match (op.f, done, &op.arg, &op.result) {
            ("get", true, _, Arg::Text(v)) if !op.timed_out => quote(v),
            ("get", _, _, _) => "nil".to_string(),
            (_, _, Arg::Text(v), _) => quote(v),
            _ => "nil".to_string(),
        };
        let _ = writeln!(
            text,
            "{{:process {}, :type :{kind}, :f :{}, :key \"{}\", :value {value}}}",
            op.process, op.f, op.key
        );
    })
}

fn next(counter: &mut [u64], p: u32) -> u64 {
    let n = counter[p as usize];
    counter[p as usize] += 1;
    n
}

/// A write that took effect, with the value its key held just before.
#[derive(Clone)]
struct Written {
    at: u64,
    call: u64,
    ret: u64,
    timed_out: bool,
    old: String,
}

impl Written {
    fn of(op: &Planned, old: &str) -> Self {
        Written { at: op.at.unwrap_or(0), call: op.call, ret: op.ret, timed_out: op.timed_out, old: old.to_string() }
    }
}

/// Makes the latest get that can be made certainly stale return its key's value from before
/// the last write `w` it saw. Certainly: `w` completed before the get was invoked, and every
/// write before `w` completed (with a known outcome) before `w` was invoked, so every
/// linearization puts them all before `w` and `w` before the get; and since every written
/// piece is unique, nothing after `w` can bring the old value back.
fn corrupt_kv(ops: &mut [Planned], before: &[Vec<Written>]) {
    let mut order: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].f == "get" && !ops[i].timed_out).collect();
    crate::sort::sort_by_key(&mut order, |&i| std::cmp::Reverse(ops[i].call));
    for i in order {
        let (k, call, at) = (ops[i].key as usize, ops[i].call, ops[i].at.unwrap_or(0));
        let Some(j) = before[k].iter().rposition(|w| w.at <= at) else { continue };
        let w = &before[k][j];
        let settled = before[k][..j].iter().all(|e| !e.timed_out && e.ret < w.call);
        if w.ret < call && !w.timed_out && settled {
            ops[i].result = Arg::Text(w.old.clone());
            return;
        }
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A compare-and-set register history as Jepsen EDN (one map per line), register starting as
/// nil: reads, writes and compare-and-sets of small integers. `bad`: one read late in the
/// history returns a value that no operation ever writes, the "impossible read" that makes a
/// history not linearizable whatever the order.
pub fn cas_history(spec: &GenSpec, bad: bool) -> String {
    let mut rng = SimRng::new(spec.seed);
    let times = schedule(spec, &mut rng);
    let mut ops: Vec<Planned> = times
        .into_iter()
        .map(|(p, call, at, ret)| {
            let (f, arg) = match rng.below(5) {
                0 | 1 => ("read", Arg::None),
                2 | 3 => ("write", Arg::Int(rng.below(5) as i64)),
                _ => ("cas", Arg::Pair(rng.below(5) as i64, rng.below(5) as i64)),
            };
            let timed_out = f != "read" && rng.chance_ppm(spec.timeout_ppm);
            let at = if timed_out && rng.below(2) == 0 { None } else { Some(at) };
            Planned { process: p, call, ret, at, timed_out, f, key: 0, arg, result: Arg::None }
        })
        .collect();
    let mut reg: Option<i64> = None;
    replay(&mut ops, |op| match op.arg {
        Arg::Int(v) => reg = Some(v),
        Arg::Pair(from, to) => {
            let swap = reg == Some(from);
            if swap {
                reg = Some(to);
            }
            op.result = Arg::Int(swap as i64);
        }
        _ => op.result = reg.map_or(Arg::Nil, Arg::Int),
    });
    if bad {
        let late = (ops.len() * 9 / 10).min(ops.len().saturating_sub(1));
        if let Some(i) = (late..ops.len()).chain(0..late).find(|&i| ops[i].f == "read") {
            ops[i].result = Arg::Int(1_000_000 + (spec.seed % 1000) as i64);
        }
    }
    events(&ops, |text, op, done| {
        let swapped = op.result == Arg::Int(1);
        let kind = match (done, op.timed_out, op.f) {
            (false, _, _) => "invoke",
            (true, true, _) => "info",
            (true, false, "cas") if !swapped => "fail",
            (true, false, _) => "ok",
        };
        let value = match (&op.arg, &op.result) {
            (Arg::Int(v), _) => v.to_string(),
            (Arg::Pair(a, b), _) => format!("[{a} {b}]"),
            (_, Arg::Int(v)) if done => v.to_string(),
            _ => "nil".to_string(),
        };
        let _ = writeln!(text, "{{:process {}, :type :{kind}, :f :{}, :value {value}}}", op.process, op.f);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{pair, parse, Format};

    fn spec(seed: u64) -> GenSpec {
        GenSpec { clients: 5, ops: 200, keys: 3, timeout_ppm: 50_000, seed }
    }

    #[test]
    fn generated_histories_read_back_and_pair() {
        for seed in 0..5 {
            for (format, text) in [
                (Format::PorcupineKv, kv_history(&spec(seed))),
                (Format::PorcupineKv, kv_history_bad(&spec(seed))),
                (Format::JepsenEdn, cas_history(&spec(seed), false)),
                (Format::JepsenEdn, cas_history(&spec(seed), true)),
            ] {
                let events = parse(format, &text).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                assert_eq!(events.len(), 400, "seed {seed}");
                let paired = pair(&events).unwrap();
                assert_eq!(paired.len(), 200);
                assert!(paired.iter().all(|p| p.completion.is_some()));
            }
        }
        assert_eq!(kv_history(&spec(3)), kv_history(&spec(3)));
        assert_ne!(kv_history(&spec(3)), kv_history(&spec(4)));
    }
}
