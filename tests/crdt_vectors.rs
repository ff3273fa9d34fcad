//! Replays the external conflict-tracking vectors against `replicalab_core::crdt`.
//!
//! - `dvvset_vectors.json`: the EUnit tests of the Erlang `dvvset` reference, as scenarios of
//!   `let` steps and `[expression, expected]` pairs. Expressions are small Erlang-like calls
//!   (`sync([$A,$B])`, `lww(F,$X)`, …), evaluated by the interpreter below; values are Erlang
//!   terms (strings for atoms, integers, and `[value, timestamp]` pairs).
//! - `riak_dt_vectors.json`: `riak_dt`'s vclock, gcounter and orswot tests; some steps are
//!   short statements (`A1 = increment(a, A)`, `GC2_2 = GC2_1 +3 at a3`,
//!   `A2 = remove(Z) at a on A`), parsed here.
//!
//! Every step and every expectation in the files is replayed; anything the interpreter cannot
//! read is a failure, never a skip. Failures are collected and reported by scenario. When
//! `../shared` is absent (a checkout without the shared data), the test says so and passes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use replicalab_core::crdt::{DvvSet, GCounter, Orswot, VClock};
use serde_json::Value as Json;

fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/vectors");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent (no shared test data in this checkout)", dir.display());
        None
    }
}

fn load(name: &str) -> Option<Json> {
    let path = vectors_dir()?.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Collects results per scenario and reports them all at the end.
#[derive(Default)]
struct Tally {
    matched: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, scenario: &str, what: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.matched += 1,
            Err(e) => self.failures.push(format!("scenario `{scenario}`, {what}: {e}")),
        }
    }

    fn finish(self, file: &str) {
        println!("{file}: {} expectations matched, {} failed", self.matched, self.failures.len());
        for f in &self.failures {
            println!("  FAILED {f}");
        }
        assert!(self.failures.is_empty(), "{file}: {} failures:\n{}", self.failures.len(), self.failures.join("\n"));
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny expression language: `$var`, `ident`, `'quoted'`, `call(args)`, `[list]`.

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Var(String),
    Ident(String),
    Quoted(String),
    Call(String, Vec<Expr>),
    List(Vec<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Var(String),
    Ident(String),
    Quoted(String),
    Punct(char),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    let word = |i: &mut usize| {
        let start = *i;
        while *i < cs.len() && (cs[*i].is_alphanumeric() || cs[*i] == '_') {
            *i += 1;
        }
        cs[start..*i].iter().collect::<String>()
    };
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '$' {
            i += 1;
            out.push(Tok::Var(word(&mut i)));
        } else if c == '\'' {
            let end = cs[i + 1..].iter().position(|&x| x == '\'').ok_or("unterminated quote")? + i + 1;
            out.push(Tok::Quoted(cs[i + 1..end].iter().collect()));
            i = end + 1;
        } else if c.is_alphanumeric() || c == '_' {
            out.push(Tok::Ident(word(&mut i)));
        } else if "()[],".contains(c) {
            out.push(Tok::Punct(c));
            i += 1;
        } else {
            return Err(format!("unexpected character {c:?} in {s:?}"));
        }
    }
    Ok(out)
}

fn parse_expr(s: &str) -> Result<Expr, String> {
    let toks = tokenize(s)?;
    let mut pos = 0;
    let e = parse_at(&toks, &mut pos)?;
    if pos != toks.len() {
        return Err(format!("trailing input in {s:?}"));
    }
    Ok(e)
}

fn parse_at(t: &[Tok], pos: &mut usize) -> Result<Expr, String> {
    let tok = t.get(*pos).ok_or("unexpected end of expression")?.clone();
    *pos += 1;
    match tok {
        Tok::Var(v) => Ok(Expr::Var(v)),
        Tok::Quoted(q) => Ok(Expr::Quoted(q)),
        Tok::Punct('[') => Ok(Expr::List(parse_seq(t, pos, ']')?)),
        Tok::Ident(name) if t.get(*pos) == Some(&Tok::Punct('(')) => {
            *pos += 1;
            Ok(Expr::Call(name, parse_seq(t, pos, ')')?))
        }
        Tok::Ident(name) => Ok(Expr::Ident(name)),
        Tok::Punct(c) => Err(format!("unexpected {c:?}")),
    }
}

fn parse_seq(t: &[Tok], pos: &mut usize, close: char) -> Result<Vec<Expr>, String> {
    let mut items = vec![];
    if t.get(*pos) == Some(&Tok::Punct(close)) {
        *pos += 1;
        return Ok(items);
    }
    loop {
        items.push(parse_at(t, pos)?);
        match t.get(*pos) {
            Some(Tok::Punct(',')) => *pos += 1,
            Some(Tok::Punct(c)) if *c == close => {
                *pos += 1;
                return Ok(items);
            }
            other => return Err(format!("expected ',' or {close:?}, found {other:?}")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// dvvset_vectors.json

/// An Erlang term as the vectors write values: atoms as strings, integers, tuples as arrays.
/// The derived order is Erlang's: numbers < atoms < tuples.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Term {
    Int(i64),
    Atom(String),
    Tuple(Vec<Term>),
}

fn term(j: &Json) -> Result<Term, String> {
    match j {
        Json::String(s) => Ok(Term::Atom(s.clone())),
        Json::Number(n) => n.as_i64().map(Term::Int).ok_or_else(|| format!("not an integer: {n}")),
        Json::Array(a) => Ok(Term::Tuple(a.iter().map(term).collect::<Result<_, _>>()?)),
        other => Err(format!("not a value: {other}")),
    }
}

type Dvv = DvvSet<String, Term>;

#[derive(Clone, Debug, PartialEq)]
enum Val {
    Clock(Dvv),
    Vector(Vec<(String, u64)>),
    Bool(bool),
    Int(i64),
    Term(Term),
    List(Vec<Val>),
    /// A function named by the scenario: F, F2, sum, min.
    Func(String),
}

fn as_str(j: &Json) -> Result<String, String> {
    j.as_str().map(str::to_string).ok_or_else(|| format!("expected a string, found {j}"))
}

fn as_array(j: &Json) -> Result<&Vec<Json>, String> {
    j.as_array().ok_or_else(|| format!("expected an array, found {j}"))
}

fn vector(j: &Json) -> Result<Vec<(String, u64)>, String> {
    as_array(j)?
        .iter()
        .map(|p| match p.as_array().map(Vec::as_slice) {
            Some([id, n]) => Ok((as_str(id)?, n.as_u64().ok_or("counter")?)),
            _ => Err(format!("expected [id, counter], found {p}")),
        })
        .collect()
}

fn entries(j: &Json) -> Result<Vec<(String, u64, Vec<Term>)>, String> {
    as_array(j)?
        .iter()
        .map(|e| match e.as_array().map(Vec::as_slice) {
            Some([id, n, vals]) => Ok((
                as_str(id)?,
                n.as_u64().ok_or("counter")?,
                as_array(vals)?.iter().map(term).collect::<Result<_, _>>()?,
            )),
            _ => Err(format!("expected [id, counter, values], found {e}")),
        })
        .collect()
}

/// A clock written as `{"entries": …, "anon": …}` (a `comment` key is ignored).
fn literal(j: &Json) -> Result<Dvv, String> {
    let obj = j.as_object().ok_or_else(|| format!("expected a clock, found {j}"))?;
    let anon: Vec<Term> = as_array(obj.get("anon").ok_or("no anon")?)?.iter().map(term).collect::<Result<_, _>>()?;
    let clock =
        DvvSet::from_parts(entries(obj.get("entries").ok_or("no entries")?)?, anon).map_err(|e| e.to_string())?;
    // The library reads the same layout directly when the values are plain strings.
    let mut plain = obj.clone();
    plain.remove("comment");
    if let Ok(direct) = serde_json::from_value::<DvvSet<String, String>>(Json::Object(plain)) {
        let direct = direct.map(|s| Term::Atom(s.clone()));
        if direct != clock {
            return Err(format!("serde reads {direct:?}, from_parts builds {clock:?}"));
        }
    }
    Ok(clock)
}

struct DvvEnv(BTreeMap<String, Val>);

impl DvvEnv {
    fn clock(&self, v: Val) -> Result<Dvv, String> {
        match v {
            Val::Clock(c) => Ok(c),
            other => Err(format!("expected a clock, found {other:?}")),
        }
    }

    /// A step's operand: a `$var`/expression string, or a nested `{"op": …}` object.
    fn operand(&self, j: &Json) -> Result<Val, String> {
        match j {
            Json::String(s) => self.eval(&parse_expr(s)?),
            Json::Object(_) => self.op(j),
            Json::Array(_) => Ok(Val::Vector(vector(j)?)),
            other => Err(format!("cannot read operand {other}")),
        }
    }

    fn op(&self, step: &Json) -> Result<Val, String> {
        let field = |k: &str| step.get(k).ok_or_else(|| format!("step has no {k:?}: {step}"));
        if let Some(lit) = step.get("literal") {
            return Ok(Val::Clock(literal(lit)?));
        }
        if let Some(e) = step.get("literal_entries") {
            return Ok(Val::Clock(DvvSet::from_parts(entries(e)?, []).map_err(|e| e.to_string())?));
        }
        match field("op")?.as_str().ok_or("op is not a string")? {
            "new" => {
                let vv = match self.operand(field("vv")?)? {
                    Val::Vector(v) => v,
                    other => return Err(format!("vv is not a vector: {other:?}")),
                };
                let values: Vec<Term> = as_array(field("values")?)?.iter().map(term).collect::<Result<_, _>>()?;
                Ok(Val::Clock(DvvSet::new(vv, values)))
            }
            "update1" => {
                let client = self.clock(self.operand(field("client")?)?)?;
                Ok(Val::Clock(client.try_update(as_str(field("id")?)?).map_err(|e| e.to_string())?))
            }
            "update2" => {
                let client = self.clock(self.operand(field("client")?)?)?;
                let server = self.clock(self.operand(field("server")?)?)?;
                Ok(Val::Clock(client.try_update_with(&server, as_str(field("id")?)?).map_err(|e| e.to_string())?))
            }
            "join" => Ok(Val::Vector(self.clock(self.operand(field("arg")?)?)?.join())),
            other => Err(format!("unknown op {other:?}")),
        }
    }

    fn eval(&self, e: &Expr) -> Result<Val, String> {
        match e {
            Expr::Var(v) => self.0.get(v).cloned().ok_or_else(|| format!("${v} is not defined")),
            Expr::Quoted(q) => Ok(Val::Term(Term::Atom(q.clone()))),
            Expr::Ident(f) => Ok(Val::Func(f.clone())),
            Expr::List(items) => Ok(Val::List(items.iter().map(|i| self.eval(i)).collect::<Result<_, _>>()?)),
            Expr::Call(name, args) => {
                let args: Vec<Val> = args.iter().map(|a| self.eval(a)).collect::<Result<_, _>>()?;
                self.call(name, args)
            }
        }
    }

    fn call(&self, name: &str, args: Vec<Val>) -> Result<Val, String> {
        let mut it = args.into_iter();
        let mut next = || it.next().ok_or_else(|| format!("{name}: missing argument"));
        let atom = |v: Val| match v {
            Val::Term(Term::Atom(s)) => Ok(s),
            other => Err(format!("{name}: expected an atom, found {other:?}")),
        };
        let func = |v: Val| match v {
            Val::Func(f) => Ok(f),
            other => Err(format!("{name}: expected a function name, found {other:?}")),
        };
        Ok(match name {
            "join" => Val::Vector(self.clock(next()?)?.join()),
            "sync" => match next()? {
                Val::List(cs) => {
                    let cs: Vec<Dvv> = cs.into_iter().map(|c| self.clock(c)).collect::<Result<_, _>>()?;
                    Val::Clock(DvvSet::sync_all(&cs))
                }
                other => return Err(format!("sync takes a list, found {other:?}")),
            },
            "event" => {
                let c = self.clock(next()?)?;
                let (id, v) = (atom(next()?)?, next()?);
                let Val::Term(v) = v else {
                    return Err("event: value".into());
                };
                Val::Clock(c.event(id, v))
            }
            "less" => Val::Bool(self.clock(next()?)?.less(&self.clock(next()?)?)),
            "equal" => Val::Bool(self.clock(next()?)?.equal(&self.clock(next()?)?)),
            "size" => Val::Int(self.clock(next()?)?.size() as i64),
            "ids" => Val::List(self.clock(next()?)?.ids().into_iter().map(|i| Val::Term(Term::Atom(i))).collect()),
            "values" => Val::List(self.clock(next()?)?.values().into_iter().map(Val::Term).collect()),
            "sorted" => match next()? {
                Val::List(mut l) => {
                    let mut terms: Vec<Term> = l
                        .drain(..)
                        .map(|v| match v {
                            Val::Term(t) => Ok(t),
                            other => Err(format!("sorted: not a value: {other:?}")),
                        })
                        .collect::<Result<_, _>>()?;
                    terms.sort();
                    Val::List(terms.into_iter().map(Val::Term).collect())
                }
                other => return Err(format!("sorted takes a list, found {other:?}")),
            },
            "new" => {
                let vv = match next()? {
                    Val::List(l) if l.is_empty() => vec![],
                    Val::Vector(v) => v,
                    other => return Err(format!("new: vv {other:?}")),
                };
                let values = match next()? {
                    Val::List(l) => l
                        .into_iter()
                        .map(|v| match v {
                            Val::Term(t) => Ok(t),
                            other => Err(format!("new: value {other:?}")),
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    other => return Err(format!("new: values {other:?}")),
                };
                Val::Clock(DvvSet::new(vv, values))
            }
            "last" | "lww" => {
                let f = func(next()?)?;
                let c = self.clock(next()?)?;
                let le = le_function(&f)?;
                if name == "last" {
                    Val::Term(c.last(le).cloned().ok_or("last of a clock without values")?)
                } else {
                    Val::Clock(c.lww(le))
                }
            }
            "reconcile" => {
                let f = func(next()?)?;
                let c = self.clock(next()?)?;
                let ints: Vec<i64> = c
                    .values()
                    .iter()
                    .map(|t| match t {
                        Term::Int(i) => Ok(*i),
                        other => Err(format!("reconcile: not an integer {other:?}")),
                    })
                    .collect::<Result<_, _>>()?;
                let winner = match f.as_str() {
                    "sum" => ints.iter().sum(),
                    "min" => *ints.iter().min().ok_or("min of nothing")?,
                    other => return Err(format!("unknown reconcile function {other}")),
                };
                Val::Clock(c.reconcile(|_| Term::Int(winner)))
            }
            other => return Err(format!("unknown function {other}")),
        })
    }
}

/// The "less than or equal" functions of the lww/last tests: F compares whole values, F2 the
/// timestamp (second element) of `[value, timestamp]` pairs.
fn le_function(name: &str) -> Result<fn(&Term, &Term) -> bool, String> {
    fn ts(t: &Term) -> &Term {
        match t {
            Term::Tuple(v) if v.len() == 2 => &v[1],
            other => other,
        }
    }
    match name {
        "F" => Ok(|a, b| a <= b),
        "F2" => Ok(|a, b| ts(a) <= ts(b)),
        other => Err(format!("unknown comparison {other}")),
    }
}

/// Whether a computed value matches the expected JSON.
fn matches(env: &DvvEnv, got: &Val, want: &Json) -> Result<(), String> {
    let ok = match (got, want) {
        (_, Json::String(s)) if s.starts_with("==") => {
            let other = env.eval(&parse_expr(s.trim_start_matches("==").trim())?)?;
            return if *got == other { Ok(()) } else { Err(format!("{got:?} != {other:?}")) };
        }
        (Val::Clock(c), Json::Object(_)) => *c == literal(want)?,
        // event/3 works on entries only: compare the entries, with no anonymous values.
        (Val::Clock(c), Json::Array(_)) => *c == DvvSet::from_parts(entries(want)?, []).map_err(|e| e.to_string())?,
        (Val::Vector(v), Json::Array(_)) => *v == vector(want)?,
        (Val::Bool(b), Json::Bool(w)) => b == w,
        (Val::Int(i), Json::Number(n)) => Some(*i) == n.as_i64(),
        (Val::Term(t), _) => *t == term(want)?,
        (Val::List(items), Json::Array(ws)) => {
            if items.len() != ws.len() {
                false
            } else {
                for (g, w) in items.iter().zip(ws) {
                    matches(env, g, w)?;
                }
                true
            }
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("got {got:?}, expected {want}"))
    }
}

/// The one expectation written as prose ("VV [(A,2),(B,3)] with siblings {v4,v6} as
/// DVVSet", from the reference README): `new(VV, siblings)`.
fn prose_new(s: &str) -> Option<Dvv> {
    let rest = s.strip_prefix("VV [")?;
    let (pairs, rest) = rest.split_once(']')?;
    let siblings = rest.strip_prefix(" with siblings {")?.strip_suffix("} as DVVSet")?;
    let vv: Vec<(String, u64)> = pairs
        .split("),")
        .map(|p| {
            let (id, n) = p.trim_matches(|c| c == '(' || c == ')' || c == ' ').split_once(',')?;
            Some((id.trim().to_string(), n.trim().parse().ok()?))
        })
        .collect::<Option<_>>()?;
    Some(DvvSet::new(vv, siblings.split(',').map(|v| Term::Atom(v.trim().to_string()))))
}

#[test]
fn dvvset_vectors() {
    let Some(doc) = load("dvvset_vectors.json") else {
        return;
    };
    let mut tally = Tally::default();
    let scenarios = doc["scenarios"].as_array().expect("scenarios");
    let mut steps_run = 0;
    for sc in scenarios {
        let name = sc["name"].as_str().unwrap_or("?");
        let mut env = DvvEnv(BTreeMap::new());
        let mut broken = false;
        for (i, step) in sc["steps"].as_array().into_iter().flatten().enumerate() {
            let result = as_str(&step["let"]).and_then(|var| Ok((var, env.op(step)?)));
            match result {
                Ok((var, val)) => {
                    env.0.insert(var, val);
                    steps_run += 1;
                }
                Err(e) => {
                    tally.check(name, &format!("step {i}"), Err(e));
                    broken = true;
                }
            }
        }
        if broken {
            continue;
        }
        for pair in sc["expect"].as_array().into_iter().flatten() {
            let (expr, want) = (pair[0].as_str().unwrap_or(""), &pair[1]);
            let result = match parse_expr(expr).and_then(|e| env.eval(&e)) {
                Ok(got) => matches(&env, &got, want),
                Err(e) => match prose_new(expr) {
                    Some(c) => matches(&env, &Val::Clock(c), want),
                    None => Err(format!("cannot evaluate: {e}")),
                },
            };
            tally.check(name, expr, result);
        }
    }
    println!("dvvset_vectors.json: {} scenarios, {steps_run} steps run", scenarios.len());
    tally.finish("dvvset_vectors.json");
}

// ---------------------------------------------------------------------------------------------
// riak_dt_vectors.json

fn str_map(j: &Json) -> Result<Vec<(String, u64)>, String> {
    let obj = j.as_object().ok_or_else(|| format!("expected a map, found {j}"))?;
    obj.iter().map(|(k, v)| Ok((k.clone(), v.as_u64().ok_or_else(|| format!("not a count: {v}"))?))).collect()
}

fn vclock(j: &Json) -> Result<VClock<String>, String> {
    Ok(str_map(j)?.into_iter().collect())
}

fn gcounter(j: &Json) -> Result<GCounter<String>, String> {
    Ok(str_map(j)?.into_iter().collect())
}

fn eq<T: PartialEq + std::fmt::Debug>(got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got:?}, expected {want:?}"))
    }
}

/// `NAME = rhs` (the statement forms of the vclock and gcounter tests).
fn assignment(s: &str) -> Result<(&str, &str), String> {
    s.split_once(" = ").map(|(l, r)| (l.trim(), r.trim())).ok_or_else(|| format!("not an assignment: {s:?}"))
}

fn riak_vclock(doc: &Json, tally: &mut Tally) {
    let v = &doc["vclock"];
    // example_test: statements, then descends(X,Y) expectations.
    let ex = &v["example_test"];
    let mut env: BTreeMap<String, VClock<String>> = BTreeMap::new();
    let run = |env: &mut BTreeMap<String, VClock<String>>, stmt: &str| -> Result<(), String> {
        let (var, rhs) = assignment(stmt)?;
        let get = |env: &BTreeMap<String, VClock<String>>, e: &Expr| match e {
            Expr::Ident(n) => env.get(n).cloned().ok_or_else(|| format!("{n} is not defined")),
            other => Err(format!("expected a clock name, found {other:?}")),
        };
        let val = match parse_expr(rhs)? {
            Expr::Ident(f) if f == "fresh" => VClock::new(),
            Expr::Call(f, args) if f == "increment" && args.len() == 2 => {
                let Expr::Ident(actor) = &args[0] else {
                    return Err("increment: actor".into());
                };
                let mut c = get(env, &args[1])?;
                c.increment(actor.clone());
                c
            }
            Expr::Call(f, args) if f == "merge" && args.len() == 1 => {
                let Expr::List(items) = &args[0] else {
                    return Err("merge takes a list".into());
                };
                let mut c = VClock::new();
                for i in items {
                    c.merge(&get(env, i)?);
                }
                c
            }
            other => return Err(format!("cannot read {other:?}")),
        };
        env.insert(var.to_string(), val);
        Ok(())
    };
    let mut ok = true;
    for stmt in ex["steps"].as_array().into_iter().flatten() {
        let stmt = stmt.as_str().unwrap_or("");
        if let Err(e) = run(&mut env, stmt) {
            tally.check("vclock example_test", stmt, Err(e));
            ok = false;
        }
    }
    if ok {
        for pair in ex["expect"].as_array().into_iter().flatten() {
            let expr = pair[0].as_str().unwrap_or("");
            let result = match parse_expr(expr) {
                Ok(Expr::Call(f, args)) if f == "descends" && args.len() == 2 => match (&args[0], &args[1]) {
                    (Expr::Ident(a), Expr::Ident(b)) => match (env.get(a), env.get(b)) {
                        (Some(a), Some(b)) => eq(Json::Bool(a.descends(b)), pair[1].clone()),
                        _ => Err("undefined clock".into()),
                    },
                    _ => Err("descends takes two names".into()),
                },
                other => Err(format!("cannot read {other:?}")),
            };
            tally.check("vclock example_test", expr, result);
        }
    }

    // accessor_test
    let acc = &v["accessor_test"];
    match vclock(&acc["vc"]) {
        Ok(vc) => {
            for pair in acc["expect"].as_array().into_iter().flatten() {
                let expr = pair[0].as_str().unwrap_or("");
                let result = match parse_expr(expr) {
                    Ok(Expr::Call(f, args)) if f == "get_counter" && args.len() == 1 => match &args[0] {
                        Expr::Ident(actor) => eq(Some(vc.get(actor)), pair[1].as_u64()),
                        other => Err(format!("actor {other:?}")),
                    },
                    Ok(Expr::Ident(f)) if f == "all_nodes" => {
                        eq(Json::from(vc.actors().cloned().collect::<Vec<_>>()), pair[1].clone())
                    }
                    other => Err(format!("cannot read {other:?}")),
                };
                tally.check("vclock accessor_test", expr, result);
            }
        }
        Err(e) => tally.check("vclock accessor_test", "vc", Err(e)),
    }

    // merge_tests: merge([inputs]) == expect
    for (i, case) in v["merge_tests"].as_array().into_iter().flatten().enumerate() {
        let result = (|| {
            let mut c = VClock::new();
            for input in as_array(&case["inputs"])? {
                c.merge(&vclock(input)?);
            }
            eq(c, vclock(&case["expect"])?)
        })();
        tally.check("vclock merge_tests", &format!("case {i}"), result);
    }

    // subtract_dots_doc_example
    let sd = &v["subtract_dots_doc_example"];
    let result =
        (|| eq(vclock(&sd["dots"])?.subtract_dots(&vclock(&sd["clock"])?), vclock(&sd["expect_remaining_dots"])?))();
    tally.check("vclock subtract_dots_doc_example", "remaining dots", result);
}

fn riak_gcounter(doc: &Json, tally: &mut Tally) {
    let g = &doc["gcounter"];
    for (i, case) in g["value_test"].as_array().into_iter().flatten().enumerate() {
        let result = (|| eq(Some(gcounter(&case["gc"])?.value()), case["value"].as_u64()))();
        tally.check("gcounter value_test", &format!("case {i}"), result);
    }

    let upd = &g["update_increment_test"];
    let result = (|| {
        let mut c = GCounter::new();
        for op in as_array(&upd["ops"])? {
            match op.as_array().map(Vec::as_slice) {
                Some([name, actor]) if name == "increment" => c.increment(as_str(actor)?, 1),
                Some([name, actor, by]) if name == "increment" => c.increment(as_str(actor)?, by.as_u64().ok_or("by")?),
                _ => return Err(format!("cannot read op {op}")),
            }
        }
        eq(c, gcounter(&upd["expect"])?)
    })();
    tally.check("gcounter update_increment_test", "counts", result);

    let m = &g["merge_same_id_test"];
    let result = (|| {
        let mut c = GCounter::new();
        for input in as_array(&m["inputs"])? {
            c.merge(&gcounter(input)?);
        }
        eq(c, gcounter(&m["expect"])?)
    })();
    tally.check("gcounter merge_same_id_test", "counts", result);

    // equal_test: equal(GC1,GC2), and GC1 against the same map built in the other order.
    let e = &g["equal_test"];
    for pair in e["expect"].as_array().into_iter().flatten() {
        let expr = pair[0].as_str().unwrap_or("");
        let result = (|| {
            let (a, b) = expr
                .strip_prefix("equal(")
                .and_then(|s| s.strip_suffix(')'))
                .and_then(|s| s.split_once(','))
                .ok_or_else(|| format!("cannot read {expr:?}"))?;
            let a_map = str_map(&e[a.trim()])?;
            let a_counter: GCounter<String> = a_map.iter().cloned().collect();
            let b_counter: GCounter<String> = match b.trim() {
                "same map in other order" => a_map.iter().rev().cloned().collect(),
                name => gcounter(&e[name])?,
            };
            eq(Json::Bool(a_counter == b_counter), pair[1].clone())
        })();
        tally.check("gcounter equal_test", expr, result);
    }

    // usage_test: "X = fresh +2 at a1", "X = Y +3 at a3", "X = merge(Y, Z)".
    let u = &g["usage_test"];
    let mut env: BTreeMap<String, GCounter<String>> = BTreeMap::new();
    let mut ok = true;
    for stmt in u["steps"].as_array().into_iter().flatten() {
        let stmt = stmt.as_str().unwrap_or("");
        let result = (|| {
            let (var, rhs) = assignment(stmt)?;
            let get = |n: &str| match n.trim() {
                "fresh" => Ok(GCounter::new()),
                n => env.get(n).cloned().ok_or_else(|| format!("{n} is not defined")),
            };
            let val = if let Some(args) = rhs.strip_prefix("merge(").and_then(|s| s.strip_suffix(')')) {
                let (a, b) = args.split_once(',').ok_or("merge takes two counters")?;
                let mut c = get(a)?;
                c.merge(&get(b)?);
                c
            } else {
                let (base, rest) = rhs.split_once(" +").ok_or_else(|| format!("cannot read {rhs:?}"))?;
                let (by, actor) = rest.split_once(" at ").ok_or_else(|| format!("cannot read {rhs:?}"))?;
                let mut c = get(base)?;
                c.increment(actor.trim().to_string(), by.trim().parse().map_err(|_| format!("amount {by:?}"))?);
                c
            };
            env.insert(var.to_string(), val);
            Ok(())
        })();
        if result.is_err() {
            ok = false;
            tally.check("gcounter usage_test", stmt, result);
        }
    }
    if ok {
        for (expr, want) in u["expect"].as_object().into_iter().flatten() {
            let result = (|| {
                let args = expr.strip_prefix("merge(").and_then(|s| s.strip_suffix(')')).ok_or("merge(X, Y)")?;
                let (a, b) = args.split_once(',').ok_or("two counters")?;
                let mut c = env.get(a.trim()).cloned().ok_or("undefined")?;
                c.merge(env.get(b.trim()).ok_or("undefined")?);
                eq(c, gcounter(want)?)
            })();
            tally.check("gcounter usage_test", expr, result);
        }
    }
}

type Set = Orswot<String, String>;

#[derive(Clone, Debug)]
enum OVal {
    Set(Set),
    Context(VClock<String>),
}

/// Removes the parenthesised comments of a statement: a `(` preceded by a space opens one
/// (calls are written `name(`). Returns the statement and the comments.
fn strip_comments(s: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut comments = vec![];
    let mut depth = 0;
    let mut current = String::new();
    let mut prev = ' ';
    for c in s.chars() {
        if depth > 0 {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                comments.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
        } else if c == '(' && prev.is_whitespace() && !out.trim_end().ends_with('=') {
            depth = 1;
        } else {
            out.push(c);
        }
        prev = c;
    }
    (out.trim().to_string(), comments)
}

/// Splits `a, b` at the top-level comma.
fn split_args(s: &str) -> Vec<String> {
    let (mut parts, mut cur, mut depth) = (vec![], String::new(), 0);
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        parts.push(cur.trim().to_string());
    }
    parts
}

/// The argument of `name(…)` at the start of `s`, and what follows it.
fn call_prefix<'a>(s: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let rest = s.strip_prefix(name)?.strip_prefix('(')?;
    let mut depth = 1;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&rest[..i], &rest[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

struct SetEnv(BTreeMap<String, OVal>);

impl SetEnv {
    fn set(&self, name: &str) -> Result<Set, String> {
        match name.trim() {
            "new()" => Ok(Set::new()),
            n => match self.0.get(n) {
                Some(OVal::Set(s)) => Ok(s.clone()),
                _ => Err(format!("{n} is not a set")),
            },
        }
    }

    fn context(&self, name: &str) -> Result<VClock<String>, String> {
        match self.0.get(name.trim()) {
            Some(OVal::Context(c)) => Ok(c.clone()),
            _ => Err(format!("{name} is not a context")),
        }
    }

    /// `rhs` with `with_context`: removes inside an `update([…])` batch use the set's own
    /// precondition context.
    fn eval(&self, rhs: &str, with_context: bool) -> Result<OVal, String> {
        let rhs = rhs.trim();
        if let Some((args, "")) = call_prefix(rhs, "merge") {
            let parts = split_args(args);
            let [a, b] = parts.as_slice() else {
                return Err(format!("merge takes two sets: {rhs:?}"));
            };
            let (OVal::Set(mut a), OVal::Set(b)) = (self.eval(a, with_context)?, self.eval(b, with_context)?) else {
                return Err("merge takes sets".into());
            };
            a.merge(&b);
            return Ok(OVal::Set(a));
        }
        if let Some((arg, "")) = call_prefix(rhs, "precondition_context") {
            return Ok(OVal::Context(self.set(arg)?.context()));
        }
        for op in ["add_all", "add", "remove", "update"] {
            let Some((arg, tail)) = call_prefix(rhs, op) else {
                continue;
            };
            // tail: at [actor] ACTOR [on SET] [using context CTX]
            let words: Vec<&str> = tail.split_whitespace().collect();
            let mut w = words.as_slice();
            let [at, rest @ ..] = w else {
                return Err(format!("no actor in {rhs:?}"));
            };
            if *at != "at" {
                return Err(format!("expected `at` in {rhs:?}"));
            }
            w = rest;
            if w.first() == Some(&"actor") {
                w = &w[1..];
            }
            let [actor, rest @ ..] = w else {
                return Err(format!("no actor in {rhs:?}"));
            };
            let actor = actor.to_string();
            w = rest;
            let mut set = Set::new();
            if let ["on", target, rest @ ..] = w {
                set = self.set(target)?;
                w = rest;
            }
            let mut ctx = None;
            if let ["using", "context", c] = w {
                ctx = Some(self.context(c)?);
                w = &[];
            }
            if !w.is_empty() {
                return Err(format!("cannot read {w:?} in {rhs:?}"));
            }
            let elems = || -> Vec<String> { split_args(arg.trim_start_matches('[').trim_end_matches(']')) };
            match op {
                "add" => set.add(actor, arg.trim().to_string()),
                "add_all" => set.add_all(actor, elems()),
                "remove" => match ctx {
                    Some(c) => set.remove_with_context(&arg.trim().to_string(), &c),
                    None if set.remove(&arg.trim().to_string()) => {}
                    None => return Err(format!("precondition: {arg} is not present")),
                },
                _ => {
                    // update([remove x, add y]): applied in order, all or nothing.
                    let batch_ctx = with_context.then(|| set.context());
                    for item in elems() {
                        match item.split_once(' ') {
                            Some(("add", e)) => set.add(actor.clone(), e.trim().to_string()),
                            Some(("remove", e)) => match &batch_ctx {
                                Some(c) => set.remove_with_context(&e.trim().to_string(), c),
                                None if set.remove(&e.trim().to_string()) => {}
                                None => return Err(format!("precondition: {e} is not present")),
                            },
                            _ => return Err(format!("cannot read batch item {item:?}")),
                        }
                    }
                }
            }
            return Ok(OVal::Set(set));
        }
        match self.0.get(rhs) {
            Some(v) => Ok(v.clone()),
            None => Err(format!("cannot read {rhs:?}")),
        }
    }
}

fn riak_orswot(doc: &Json, tally: &mut Tally) {
    for sc in doc["orswot"]["scenarios"].as_array().into_iter().flatten() {
        let name = format!("orswot {}", sc["name"].as_str().unwrap_or("?"));
        let mut env = SetEnv(BTreeMap::new());
        let mut ok = true;
        for stmt in sc["steps"].as_array().into_iter().flatten() {
            let raw = stmt.as_str().unwrap_or("");
            let (text, comments) = strip_comments(raw);
            let both = comments.iter().any(|c| c.contains("with or without context"));
            for part in text.split(';') {
                let result = assignment(part).and_then(|(var, rhs)| {
                    let val = env.eval(rhs, both)?;
                    if both {
                        // The comment promises the same outcome without the context.
                        let (OVal::Set(with), OVal::Set(without)) = (&val, env.eval(rhs, false)?) else {
                            return Err("update must give a set".into());
                        };
                        if with.value() != without.value() {
                            return Err(format!("with context {:?}, without {:?}", with.value(), without.value()));
                        }
                    }
                    env.0.insert(var.to_string(), val);
                    Ok(())
                });
                if result.is_err() {
                    ok = false;
                    tally.check(&name, part.trim(), result);
                }
            }
        }
        if !ok {
            continue;
        }
        for (expr, want) in sc["expect"].as_object().into_iter().flatten() {
            let result = (|| {
                let (var, "") = call_prefix(expr, "value").ok_or_else(|| format!("cannot read {expr:?}"))? else {
                    return Err(format!("cannot read {expr:?}"));
                };
                eq(Json::from(env.set(var)?.value()), want.clone())
            })();
            tally.check(&name, expr, result);
        }
    }
}

#[test]
fn riak_dt_vectors() {
    let Some(doc) = load("riak_dt_vectors.json") else {
        return;
    };
    let mut tally = Tally::default();
    riak_vclock(&doc, &mut tally);
    riak_gcounter(&doc, &mut tally);
    riak_orswot(&doc, &mut tally);
    tally.finish("riak_dt_vectors.json");
}

#[test]
fn the_interpreter_reads_what_the_files_write() {
    assert_eq!(
        parse_expr("sync([$A, $B])").unwrap(),
        Expr::Call("sync".into(), vec![Expr::List(vec![Expr::Var("A".into()), Expr::Var("B".into())])])
    );
    assert_eq!(
        parse_expr("event($E,'a','v2')").unwrap(),
        Expr::Call("event".into(), vec![Expr::Var("E".into()), Expr::Quoted("a".into()), Expr::Quoted("v2".into())])
    );
    assert!(parse_expr("less($A,").is_err());
    assert_eq!(
        strip_comments("Merged = merge(B2, merge(C, A3))  (fold: acc=A3; acc=merge(C,acc))"),
        ("Merged = merge(B2, merge(C, A3))".to_string(), vec!["fold: acc=A3; acc=merge(C,acc)".to_string()])
    );
    assert_eq!(strip_comments("C = A (replica copy)").0, "C = A");
    assert_eq!(split_args("B2, merge(C, A3)"), vec!["B2", "merge(C, A3)"]);
    let c = prose_new("VV [(A,2),(B,3)] with siblings {v4,v6} as DVVSet").unwrap();
    assert_eq!(c.join(), vec![("A".to_string(), 2), ("B".to_string(), 3)]);
    assert_eq!(c.size(), 2);
}
