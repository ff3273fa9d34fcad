//! The node graph: nodes on a ring, links between them, cut links dashed, and messages moving
//! along directed lanes. A pure function of the view; clicking a node (or Enter / Space on a
//! focused node) asks to crash or restart it.

use std::collections::BTreeMap;
use std::rc::Rc;

use replicalab_core::protocol::NodeId;
use replicalab_core::view::{Health, NodeState, Role};
use yew::prelude::*;

use crate::format::{format_duration, message_class};
use crate::geometry::{self, Point, LABEL_LINE, VIEW_BOX};
use crate::state::Snapshot;

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub snapshot: Rc<Snapshot>,
    /// Draw messages as busy lanes instead of moving dots.
    pub reduced_motion: bool,
    pub on_toggle_node: Callback<NodeId>,
}

/// Most messages drawn as dots; beyond that the lanes show counts (a flood is unreadable anyway
/// and would slow every frame).
const MAX_DOTS: usize = 400;

#[function_component]
pub fn Graph(props: &GraphProps) -> Html {
    let view = &props.snapshot.view;
    let n = view.nodes.len();
    let centres = geometry::node_positions(n);
    let r = geometry::node_radius(n);
    let now = view.now;

    let links = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).map(|(a, b)| {
        let (s, e) = geometry::link_line(centres[a], centres[b], r);
        html! { <line key={format!("{a}-{b}")} class="link" x1={s.x.to_string()} y1={s.y.to_string()} x2={e.x.to_string()} y2={e.y.to_string()} /> }
    });

    let cuts = view.links.iter().filter(|l| l.cut && l.from < n && l.to < n).map(|l| {
        let (s, e) = geometry::lane(centres[l.from], centres[l.to], r);
        html! {
            <line key={format!("cut-{}-{}", l.from, l.to)} class="link-cut" data-cut={format!("{}-{}", l.from, l.to)}
                x1={s.x.to_string()} y1={s.y.to_string()} x2={e.x.to_string()} y2={e.y.to_string()}>
                <title>{format!("link n{} → n{} is cut", l.from, l.to)}</title>
            </line>
        }
    });

    let in_flight: Vec<_> = view.messages.iter().filter(|m| m.from < n && m.to < n && m.from != m.to).collect();
    let messages = if props.reduced_motion || in_flight.len() > MAX_DOTS {
        // One static mark per busy lane, with the number of messages on it.
        let mut lanes: BTreeMap<(NodeId, NodeId), usize> = BTreeMap::new();
        for m in &in_flight {
            *lanes.entry((m.from, m.to)).or_default() += 1;
        }
        lanes
            .into_iter()
            .map(|((from, to), count)| {
                let (s, e) = geometry::lane(centres[from], centres[to], r);
                let mid = s.lerp(e, 0.5);
                html! {
                    <g key={format!("lane-{from}-{to}")} class="lane-busy" data-lane={format!("{from}-{to}")}>
                        <line x1={s.x.to_string()} y1={s.y.to_string()} x2={e.x.to_string()} y2={e.y.to_string()} />
                        <text x={mid.x.to_string()} y={(mid.y + 4.0).to_string()}>{count}</text>
                        <title>{format!("{count} message(s) in flight n{from} → n{to}")}</title>
                    </g>
                }
            })
            .collect::<Html>()
    } else {
        in_flight
            .iter()
            .map(|m| {
                let lane = geometry::lane(centres[m.from], centres[m.to], r);
                let p = geometry::message_point(lane, m.sent, m.deliver, now);
                html! {
                    <circle key={m.id.to_string()} class={message_class(&m.label)} data-msg={m.id.to_string()}
                        cx={p.x.to_string()} cy={p.y.to_string()} r="4">
                        <title>{format!("n{} → n{}: {}", m.from, m.to, m.label)}</title>
                    </circle>
                }
            })
            .collect::<Html>()
    };

    let nodes = view.nodes.iter().enumerate().map(|(i, node)| {
        let on_toggle = props.on_toggle_node.clone();
        html! { <NodeGlyph key={i} node={node.clone()} centre={centres[i]} radius={r} show_labels={n <= 8} {on_toggle} /> }
    });

    html! {
        <svg class="graph" viewBox={VIEW_BOX} role="group" data-testid="graph"
            aria-label={format!("Replication graph of {n} nodes. Select a node to crash or restart it.")}>
            <g class="links">{ for links }</g>
            <g class="cuts">{ for cuts }</g>
            <g class="messages" aria-hidden="true">{ messages }</g>
            <g class="nodes">{ for nodes }</g>
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct NodeGlyphProps {
    node: NodeState,
    centre: Point,
    radius: f64,
    show_labels: bool,
    on_toggle: Callback<NodeId>,
}

#[function_component]
fn NodeGlyph(props: &NodeGlyphProps) -> Html {
    let NodeGlyphProps { node, centre, radius: r, show_labels, .. } = props;
    let (id, p) = (node.id, &node.protocol);
    let role = role_name(p.role);
    let health = health_name(node.health);
    let onclick = {
        let cb = props.on_toggle.clone();
        Callback::from(move |_: MouseEvent| cb.emit(id))
    };
    let onkeydown = {
        let cb = props.on_toggle.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                cb.emit(id);
            }
        })
    };
    let verb = match node.health {
        Health::Up => "crash it",
        Health::Crashed => "restart it",
        Health::Paused => "resume it",
    };
    let lag_text = node.lag.filter(|l| l.positions > 0).map(|l| format!("lag {}", l.positions));
    let label = format!(
        "Node {id}: {role}, {health}, term {}, log position {}, commit {}{}. Activate to {verb}.",
        p.term,
        p.position,
        p.commit,
        node.lag
            .filter(|l| l.positions > 0)
            .map(|l| format!(", {} behind ({})", l.positions, format_duration(l.time)))
            .unwrap_or_default(),
    );
    let origin = geometry::label_origin(*centre, *r);
    let (lx, ly) = (origin.x - centre.x, origin.y - centre.y);
    let k = r * 0.45;
    html! {
        <g class={classes!("node", format!("role-{role}"), format!("health-{health}"))}
            transform={format!("translate({} {})", centre.x, centre.y)}
            data-node={id.to_string()} data-role={role} data-health={health}
            data-term={p.term.to_string()} data-position={p.position.to_string()} data-commit={p.commit.to_string()}
            tabindex="0" role="button" aria-label={label} {onclick} {onkeydown}>
            <title>{format!("n{id} — {role}, {health}: click to {verb}")}</title>
            <circle class="focus-ring" r={(r + 6.0).to_string()} />
            <circle class="disc" r={r.to_string()} />
            if node.health == Health::Crashed {
                <path class="cross" d={format!("M {} {} L {k} {k} M {k} {} L {} {k}", -k, -k, -k, -k)} />
            }
            if node.health == Health::Paused {
                <g class="pause-bars">
                    <rect x={(-k * 0.6).to_string()} y={(-k).to_string()} width={(k * 0.4).to_string()} height={(2.0 * k).to_string()} />
                    <rect x={(k * 0.2).to_string()} y={(-k).to_string()} width={(k * 0.4).to_string()} height={(2.0 * k).to_string()} />
                </g>
            }
            <text class="node-id" y={if *r >= 20.0 { "-2" } else { "4" }}>{format!("n{id}")}</text>
            if *r >= 20.0 {
                <text class="node-role" y="12">{role}</text>
            }
            if let Some(text) = lag_text {
                <g class="lag-badge" data-testid="lag" transform={format!("translate({} {})", r * 0.75, -r * 0.85)}>
                    <rect x="-2" y="-10" width={(text.len() as f64 * 5.6 + 6.0).to_string()} height="14" rx="7" />
                    <text x="1" y="1">{text}</text>
                </g>
            }
            if *show_labels {
                <text class="node-label" x={lx.to_string()} y={ly.to_string()}>{&p.summary}</text>
                <text class="node-label node-term" x={lx.to_string()} y={(ly + LABEL_LINE).to_string()}>{format!("term {}", p.term)}</text>
            }
        </g>
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Leader => "leader",
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::Replica => "replica",
    }
}

fn health_name(health: Health) -> &'static str {
    match health {
        Health::Up => "up",
        Health::Crashed => "crashed",
        Health::Paused => "paused",
    }
}
