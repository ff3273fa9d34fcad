//! [`AnyNode`]: a node of any family behind one type, so that the simulator is compiled once
//! instead of once per family.
//!
//! `Sim<P>` is generic over the protocol, and each family it runs with is a full copy of the
//! simulator and of everything it instantiates. The WebAssembly builds, where every kilobyte is
//! downloaded, run every scenario as `Sim<AnyNode>` (see [`crate::Simulation::new`]); natively
//! each family keeps its own simulator, which dispatches nothing. Messages and timers hash as
//! the family's own, so a scenario gives the same trace hash either way (tested over every
//! preset).

use std::fmt;
use std::hash::{Hash, Hasher};

use super::leader_follower::{self as lf, LeaderFollowerNode};
use super::leaderless::{self as ll, LeaderlessNode};
use super::multi_leader::{self as ml, MultiLeaderNode};
use crate::protocol::{
    Ctx, Input, Key, KeyType, Message, MessageClass, MessageKind, NodeId, OpId, Out, Protocol, Value,
};
use crate::time::Time;
use crate::view::{Lag, NodeView, Role};

/// A node of one of the families, with the buffer its own step writes into. (A cluster holds a
/// handful of nodes of one family, so the variants' sizes matter little; boxing would add an
/// indirection to every step.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum AnyNode {
    LeaderFollower(LeaderFollowerNode, Out<lf::Msg, lf::Timer>),
    MultiLeader(MultiLeaderNode, Out<ml::Msg, ml::Timer>),
    Leaderless(LeaderlessNode, Out<ll::Msg, ll::Timer>),
}

impl From<LeaderFollowerNode> for AnyNode {
    fn from(n: LeaderFollowerNode) -> Self {
        AnyNode::LeaderFollower(n, Out::default())
    }
}
impl From<MultiLeaderNode> for AnyNode {
    fn from(n: MultiLeaderNode) -> Self {
        AnyNode::MultiLeader(n, Out::default())
    }
}
impl From<LeaderlessNode> for AnyNode {
    fn from(n: LeaderlessNode) -> Self {
        AnyNode::Leaderless(n, Out::default())
    }
}

/// A message of one of the families.
#[derive(Clone, PartialEq, Eq)]
pub enum AnyMsg {
    LeaderFollower(lf::Msg),
    MultiLeader(ml::Msg),
    Leaderless(ll::Msg),
}

/// A timer of one of the families.
#[derive(Clone, PartialEq, Eq)]
pub enum AnyTimer {
    LeaderFollower(lf::Timer),
    MultiLeader(ml::Timer),
    Leaderless(ll::Timer),
}

macro_rules! each {
    ($ty:ident, $value:expr, $inner:ident => $body:expr) => {
        match $value {
            $ty::LeaderFollower($inner, ..) => $body,
            $ty::MultiLeader($inner, ..) => $body,
            $ty::Leaderless($inner, ..) => $body,
        }
    };
}

// As the family's own: the trace hash must not see the wrapper.
impl Hash for AnyMsg {
    fn hash<H: Hasher>(&self, state: &mut H) {
        each!(AnyMsg, self, m => m.hash(state))
    }
}
impl Hash for AnyTimer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        each!(AnyTimer, self, t => t.hash(state))
    }
}
impl fmt::Debug for AnyMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(AnyMsg, self, m => m.fmt(f))
    }
}
impl fmt::Debug for AnyTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(AnyTimer, self, t => t.fmt(f))
    }
}

impl Message for AnyMsg {
    fn label(&self) -> String {
        each!(AnyMsg, self, m => m.label())
    }
    fn class(&self) -> MessageClass {
        each!(AnyMsg, self, m => m.class())
    }
    fn kind(&self) -> MessageKind {
        each!(AnyMsg, self, m => m.kind())
    }
    fn op(&self) -> Option<OpId> {
        each!(AnyMsg, self, m => m.op())
    }
}

/// A message or timer of another family than the node's: the world never delivers one.
fn foreign<T>() -> T {
    unreachable!("an input of another family")
}

/// Steps a family's node: the input unwrapped, the effects wrapped.
macro_rules! step_as {
    ($variant:ident, $node:expr, $scratch:expr, $ctx:expr, $input:expr, $out:expr) => {{
        let input = $input.map(
            |m| if let AnyMsg::$variant(m) = m { m } else { foreign() },
            |t| if let AnyTimer::$variant(t) = t { t } else { foreign() },
        );
        $node.step($ctx, input, $scratch);
        $out.effects.extend($scratch.effects.drain(..).map(|e| e.map(AnyMsg::$variant, AnyTimer::$variant)));
    }};
}

impl Protocol for AnyNode {
    type Msg = AnyMsg;
    type Timer = AnyTimer;

    fn step(&mut self, ctx: &Ctx, input: Input<AnyMsg, AnyTimer>, out: &mut Out<AnyMsg, AnyTimer>) {
        match self {
            AnyNode::LeaderFollower(n, scratch) => step_as!(LeaderFollower, n, scratch, ctx, input, out),
            AnyNode::MultiLeader(n, scratch) => step_as!(MultiLeader, n, scratch, ctx, input, out),
            AnyNode::Leaderless(n, scratch) => step_as!(Leaderless, n, scratch, ctx, input, out),
        }
    }
    fn crash(&mut self) {
        each!(AnyNode, self, n => n.crash())
    }
    fn view(&self) -> NodeView {
        each!(AnyNode, self, n => n.view())
    }
    fn leader_hint(&self) -> Option<NodeId> {
        each!(AnyNode, self, n => n.leader_hint())
    }
    fn role(&self) -> Role {
        each!(AnyNode, self, n => n.role())
    }
    fn term(&self) -> u64 {
        each!(AnyNode, self, n => n.term())
    }
    fn single_leader(&self) -> bool {
        each!(AnyNode, self, n => n.single_leader())
    }
    fn keeps_history(&self) -> bool {
        each!(AnyNode, self, n => n.keeps_history())
    }
    fn replicates(&self, key: Key) -> bool {
        each!(AnyNode, self, n => Protocol::replicates(n, key))
    }
    fn key_type(&self, key: Key) -> KeyType {
        each!(AnyNode, self, n => n.key_type(key))
    }
    fn holds_data(&self) -> bool {
        each!(AnyNode, self, n => n.holds_data())
    }
    fn for_each_write(&self, f: &mut dyn FnMut(Key, Value)) {
        each!(AnyNode, self, n => n.for_each_write(f))
    }
    fn for_each_write_in_transit(&self, f: &mut dyn FnMut(Key, Value)) {
        each!(AnyNode, self, n => n.for_each_write_in_transit(f))
    }
    fn holds_write(&self, key: Key, value: Value) -> bool {
        each!(AnyNode, self, n => n.holds_write(key, value))
    }

    fn compact_logs(nodes: &mut [Self], before_op: OpId, dropped: &mut dyn FnMut(Key, Value)) {
        if let Some(AnyNode::LeaderFollower(..)) = nodes.first() {
            let mut lf: Vec<&mut LeaderFollowerNode> = nodes.iter_mut().map(AnyNode::leader_follower_mut).collect();
            return LeaderFollowerNode::compact_logs_of(&mut lf, before_op, dropped);
        }
        // The other families compact each node on its own.
        for n in nodes {
            match n {
                AnyNode::MultiLeader(n, _) => {
                    MultiLeaderNode::compact_logs(std::slice::from_mut(n), before_op, dropped)
                }
                AnyNode::Leaderless(n, _) => LeaderlessNode::compact_logs(std::slice::from_mut(n), before_op, dropped),
                AnyNode::LeaderFollower(..) => unreachable!("one family per cluster"),
            }
        }
    }

    fn replication_lag(nodes: &[Self], up: &[bool], now: Time, lags: &mut Vec<Option<Lag>>) {
        if let Some(AnyNode::LeaderFollower(..)) = nodes.first() {
            let lf: Vec<&LeaderFollowerNode> = nodes.iter().map(AnyNode::leader_follower).collect();
            return LeaderFollowerNode::replication_lag_of(&lf, up, now, lags);
        }
        // The other families have no replication lag (the trait's default).
        lags.clear();
        lags.resize(nodes.len(), None);
    }
}

impl AnyNode {
    fn leader_follower(&self) -> &LeaderFollowerNode {
        match self {
            AnyNode::LeaderFollower(n, _) => n,
            _ => unreachable!("one family per cluster"),
        }
    }
    fn leader_follower_mut(&mut self) -> &mut LeaderFollowerNode {
        match self {
            AnyNode::LeaderFollower(n, _) => n,
            _ => unreachable!("one family per cluster"),
        }
    }
}
