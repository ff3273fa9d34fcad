//! The node graph: nodes on a ring, links between them, cut and lossy links marked, partition
//! groups haloed, and messages moving along directed lanes with their labels. A pure function
//! of the snapshot. Clicking (or Enter on) a node selects it; clicking a link selects it;
//! dragging a line across the graph draws a partition (the nodes on each side become a group).

use replicalab_core::protocol::NodeId;
use replicalab_core::scenario::Command;
use replicalab_core::view::Family;
use replicalab_core::view::{Health, NodeState, Role};
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::derive::{quorum_of, OpStatus, QuorumView};
use crate::format::{format_duration, message_class};
use crate::geometry::{self, Point, LABEL_LINE, VIEW_BOX};
use crate::state::{Action, Selection, Shared, Snapshot};

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub snapshot: Shared,
    /// Draw messages as busy lanes instead of moving dots.
    pub reduced_motion: bool,
    /// Touch drags draw partitions (otherwise they scroll the page).
    pub drawing: bool,
    pub on_action: Callback<Action>,
}

/// Most messages drawn as dots; beyond that the lanes show counts (a flood is unreadable anyway
/// and would slow every frame).
const MAX_DOTS: usize = 400;
/// Messages labelled in the graph when no more than this many are in flight.
const MAX_LABELS: usize = 10;
/// Links get a wide invisible click target up to this many nodes; beyond it the full mesh of
/// links is not drawn either (busy lanes and faults still are).
const MAX_LINK_TARGETS: usize = 12;

#[function_component]
pub fn Graph(props: &GraphProps) -> Html {
    let s = &props.snapshot;
    let view = &s.view;
    let n = view.nodes.len();
    let centres = geometry::node_positions(n);
    let r = geometry::node_radius(n);
    let now = view.now;
    let drag = use_state(|| None::<(Point, Point)>);
    let svg_ref = use_node_ref();

    let highlighted_nodes: Vec<NodeId> = match s.selection {
        Selection::Anomaly(i) => {
            s.panels.anomalies.iter().find(|(j, _)| *j == i).map(|(_, a)| a.nodes.clone()).unwrap_or_default()
        }
        Selection::Op(id) => s.panels.ops.iter().find(|o| o.id == id).map(|o| vec![o.node]).unwrap_or_default(),
        _ => Vec::new(),
    };
    let selected_op = match s.selection {
        Selection::Op(id) => Some(id),
        _ => None,
    };

    let selected_link = match s.selection {
        Selection::Link(a, b) => Some((a, b)),
        _ => None,
    };
    let selected_message = match s.selection {
        Selection::Message(id) => Some(id),
        _ => None,
    };
    let links = html! { <Links {n} selected={selected_link} on_action={props.on_action.clone()} /> };

    let faults = view.links.iter().filter(|l| l.from < n && l.to < n).map(|l| {
        let (p, q) = geometry::lane(centres[l.from], centres[l.to], r);
        let class = if l.cut { "link-cut" } else { "link-lossy" };
        let what = if l.cut { "is cut".to_string() } else { format!("loses {:.0}% of messages", l.loss_ppm as f64 / 10_000.0) };
        html! {
            <line key={format!("f-{}-{}", l.from, l.to)} class={class} data-cut={l.cut.then(|| format!("{}-{}", l.from, l.to))}
                x1={p.x.to_string()} y1={p.y.to_string()} x2={q.x.to_string()} y2={q.y.to_string()}>
                <title>{format!("link n{} → n{} {what}", l.from, l.to)}</title>
            </line>
        }
    });

    // Leaderless: which replicas the operation asked, which answered, and whether its quorum
    // was met — for the selected operation, or else the newest one with messages in view.
    let quorum = (view.family == Family::Leaderless).then(|| leaderless_quorum(s, selected_op)).flatten();
    // Each replica's part in it: a ring round the disc, and a word in the node's label lines.
    let quorum_part = |i: NodeId| -> Option<QuorumPart> {
        let q = &quorum.as_ref()?.view;
        if q.coordinator == Some(i) {
            Some(QuorumPart::Coordinator)
        } else if q.answered.contains(&i) {
            Some(QuorumPart::Answered)
        } else if q.asked.contains(&i) {
            Some(QuorumPart::Waiting)
        } else {
            None
        }
    };
    let show_labels = n <= 8;
    let texts: Vec<NodeText> = view
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| node_text(node, s.marks.contains(&i), view.family != Family::Leaderless, quorum_part(i)))
        .collect();
    let in_flight: Vec<_> = view.messages.iter().filter(|m| m.from < n && m.to < n && m.from != m.to).collect();
    let lanes_only = props.reduced_motion || in_flight.len() > MAX_DOTS;
    // Where each moving dot is this frame: drawn below, and matched to a press on the graph
    // (the dots are one path per kind, so a press finds its message here).
    let dots: std::rc::Rc<Vec<(u64, Point)>> = std::rc::Rc::new(if lanes_only {
        Vec::new()
    } else {
        in_flight
            .iter()
            .map(|m| {
                (
                    m.id,
                    geometry::message_point(geometry::lane(centres[m.from], centres[m.to], r), m.sent, m.deliver, now),
                )
            })
            .collect()
    });
    let messages = if lanes_only {
        let mut lanes: BTreeMap<(NodeId, NodeId), usize> = BTreeMap::new();
        for m in &in_flight {
            *lanes.entry((m.from, m.to)).or_default() += 1;
        }
        lanes
            .into_iter()
            .map(|((from, to), count)| {
                let (p, q) = geometry::lane(centres[from], centres[to], r);
                let mid = p.lerp(q, 0.5);
                html! {
                    <g key={format!("lane-{from}-{to}")} class="lane-busy" data-lane={format!("{from}-{to}")}>
                        <line x1={p.x.to_string()} y1={p.y.to_string()} x2={q.x.to_string()} y2={q.y.to_string()} />
                        <text x={mid.x.to_string()} y={(mid.y + 4.0).to_string()}>{count}</text>
                        <title>{format!("{count} message(s) in flight n{from} → n{to}")}</title>
                    </g>
                }
            })
            .collect::<Html>()
    } else {
        // One path per kind of message: the crowd costs a handful of elements, however many
        // messages are in flight. Selected and highlighted ones are drawn on top, labelled.
        let label_all = in_flight.len() <= MAX_LABELS;
        let mut crowd: BTreeMap<String, Vec<Point>> = BTreeMap::new();
        let mut marked = Vec::new();
        for (m, &(_, p)) in in_flight.iter().zip(dots.iter()) {
            let chosen = selected_message == Some(m.id);
            let hot = chosen || selected_op.is_some_and(|op| m.op == Some(op));
            if hot || label_all {
                marked.push((m, p, hot, chosen));
            }
            if !hot {
                crowd.entry(message_class(m.class)).or_default().push(p);
            }
        }
        let paths = crowd.into_iter().map(|(class, points)| {
            let count = points.len();
            html! { <path key={class.clone()} class={classes!(class, "msg-crowd")} data-count={count.to_string()} d={geometry::dots_path(points, 4.0)} /> }
        });
        // Labels go where they overlap neither a node, nor a node's label lines, nor each other,
        // and off the links where there is room (hot ones placed first).
        replicalab_core::sort::sort_by_key(&mut marked, |&(_, _, hot, chosen)| std::cmp::Reverse((chosen, hot)));
        let anchors: Vec<(Point, usize)> = marked.iter().map(|(m, p, ..)| (*p, m.label.chars().count())).collect();
        let spots = if anchors.is_empty() {
            Vec::new()
        } else {
            let boxes: Vec<geometry::Rect> = if show_labels {
                texts
                    .iter()
                    .zip(&centres)
                    .filter_map(|(t, &c)| {
                        geometry::node_label_box(c, r, &[t.summary.chars().count(), t.second_chars()])
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let links: Vec<(Point, Point)> = if n <= MAX_LINK_TARGETS {
                geometry::mesh(&centres, r).into_iter().map(|(.., line)| line).collect()
            } else {
                Vec::new()
            };
            geometry::place_labels(
                &anchors,
                &geometry::Obstacles { discs: &centres, radius: r, boxes: &boxes, links: &links },
            )
        };
        let singles = marked.into_iter().zip(spots).map(|((m, p, hot, chosen), spot)| {
            html! {
                <g key={m.id.to_string()} class={classes!("msg-dot", hot.then_some("hot"), chosen.then_some("chosen"))}>
                    if hot {
                        <circle class={message_class(m.class)} data-msg={m.id.to_string()}
                            cx={p.x.to_string()} cy={p.y.to_string()} r="6" />
                    }
                    if let Some(at) = spot {
                        <text class="msg-label" x={at.x.to_string()} y={at.y.to_string()}>{&m.label}</text>
                    }
                </g>
            }
        });
        html! { <>{ for paths }{ for singles }</> }
    };

    let quorum_marks = quorum.as_ref().map(|q| {
        let rings = q.view.asked.iter().chain(q.view.coordinator.iter()).filter(|&&i| i < n).filter_map(|&i| {
            let c = centres[i];
            let part = quorum_part(i)?;
            Some(html! {
                <g key={format!("q-{i}-{}", part.class())} class={classes!("q-ring", part.class())} data-q={part.class().trim_start_matches("q-")} data-q-node={i.to_string()}
                    transform={format!("translate({} {})", c.x, c.y)}>
                    <circle r={(r + 4.0).to_string()} />
                </g>
            })
        });
        html! { <g class="quorum-marks" aria-hidden="true">{ for rings }</g> }
    });
    let quorum_caption = quorum.as_ref().map(|q| {
        html! {
            <text class="quorum-caption" x="-196" y="-190" data-testid="graph-quorum" data-op={q.op.to_string()} data-state={q.state}>
                { for q.caption.iter().enumerate().map(|(k, line)| html! {
                    <tspan x="-196" dy={if k == 0 { "0" } else { "11" }}>{format!("{line} ")}</tspan>
                }) }
            </text>
        }
    });

    let partitioned = s.view.groups.len() > 1;
    let group_of = |id: NodeId| s.view.groups.iter().position(|g| g.contains(&id)).unwrap_or(0);
    let nodes = view.nodes.iter().zip(texts).enumerate().map(|(i, (node, text))| {
        html! {
            <NodeGlyph key={i} node={node.clone()} {text} centre={centres[i]} radius={r} {show_labels}
                selected={s.selection == Selection::Node(i)} marked={s.marks.contains(&i)}
                highlighted={highlighted_nodes.contains(&i)}
                group={partitioned.then(|| group_of(i))} on_action={props.on_action.clone()} />
        }
    });

    // Drawing a partition: pointer down on the background, drag, release.
    let to_svg = {
        let svg_ref = svg_ref.clone();
        move |x: f64, y: f64| -> Option<Point> {
            let el = svg_ref.cast::<web_sys::Element>()?;
            let b = el.get_bounding_client_rect();
            Some(geometry::client_to_svg((b.left(), b.top(), b.width(), b.height()), x, y))
        }
    };
    let drawing = props.drawing;
    let onpointerdown = {
        let drag = drag.clone();
        let to_svg = to_svg.clone();
        let on_action = props.on_action.clone();
        let dots = dots.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() == 0 {
                let near = to_svg(e.client_x() as f64, e.client_y() as f64)
                    .and_then(|p| geometry::nearest(dots.iter().copied(), p, 9.0));
                if let Some(id) = near {
                    on_action.emit(Action::Select(Selection::Message(id)));
                    return;
                }
            }
            if e.pointer_type() != "mouse" && !drawing {
                return;
            }
            if e.button() != 0 {
                return;
            }
            // Only on the background or a link, not on a node.
            let on_node = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("[data-node]").ok().flatten())
                .is_some();
            if on_node {
                return;
            }
            if let Some(p) = to_svg(e.client_x() as f64, e.client_y() as f64) {
                if let Some(el) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                    let _ = el.set_pointer_capture(e.pointer_id());
                }
                drag.set(Some((p, p)));
            }
        })
    };
    let onpointermove = {
        let drag = drag.clone();
        let to_svg = to_svg.clone();
        Callback::from(move |e: PointerEvent| {
            if let Some((a, _)) = *drag {
                if let Some(p) = to_svg(e.client_x() as f64, e.client_y() as f64) {
                    drag.set(Some((a, p)));
                }
            }
        })
    };
    let onpointerup = {
        let drag = drag.clone();
        let to_svg = to_svg.clone();
        let on_action = props.on_action.clone();
        let centres = centres.clone();
        Callback::from(move |e: PointerEvent| {
            let Some((a, _)) = *drag else { return };
            let b = to_svg(e.client_x() as f64, e.client_y() as f64).unwrap_or(a);
            drag.set(None);
            if let Some((g1, g2)) = geometry::split_by_line(&centres, a, b) {
                on_action.emit(Action::Do(Command::Partition { groups: vec![g1, g2] }));
            }
        })
    };
    let onpointercancel = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| drag.set(None))
    };
    let stroke = drag.as_ref().map(|(a, b)| {
        html! { <line class="stroke" data-testid="stroke" x1={a.x.to_string()} y1={a.y.to_string()} x2={b.x.to_string()} y2={b.y.to_string()} /> }
    });

    html! {
        <svg ref={svg_ref} class={classes!("graph", props.drawing.then_some("drawing"))} viewBox={VIEW_BOX} role="group" data-testid="graph"
            aria-label={format!("Replication graph of {n} nodes. Select a node for its actions; drag across the graph to draw a partition; click a moving message to follow it.")}
            {onpointerdown} {onpointermove} {onpointerup} {onpointercancel}>
            { links }
            <g class="faults">{ for faults }</g>
            { for quorum_marks }
            <g class="messages" aria-hidden="true">{ messages }</g>
            <g class="nodes">{ for nodes }</g>
            { for quorum_caption }
            { for stroke }
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct LinksProps {
    n: usize,
    selected: Option<(NodeId, NodeId)>,
    on_action: Callback<Action>,
}

/// The full mesh of links with their click targets: a component of its own, so it re-renders
/// only when the cluster size or the selected link changes, not on every frame.
#[function_component]
fn Links(props: &LinksProps) -> Html {
    let n = props.n;
    let centres = geometry::node_positions(n);
    let r = geometry::node_radius(n);
    let mesh = if n <= MAX_LINK_TARGETS { geometry::mesh(&centres, r) } else { Vec::new() };
    let links = mesh.into_iter().map(|(a, b, (p, q))| {
        let selected = props.selected == Some((a, b));
        let cb = props.on_action.clone();
        let onclick = Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            cb.emit(Action::Select(Selection::Link(a, b)));
        });
        // Links are reachable by Tab too: Enter or Space selects one (its actions open).
        let cb = props.on_action.clone();
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if matches!(e.key().as_str(), "Enter" | " ") {
                e.prevent_default();
                e.stop_propagation();
                cb.emit(Action::Select(Selection::Link(a, b)));
            }
        });
        html! {
            <g key={format!("{a}-{b}")}>
                <line class={classes!("link", selected.then_some("selected"))} x1={p.x.to_string()} y1={p.y.to_string()} x2={q.x.to_string()} y2={q.y.to_string()} />
                <line class="link-hit" data-link={format!("{a}-{b}")} x1={p.x.to_string()} y1={p.y.to_string()}
                    x2={q.x.to_string()} y2={q.y.to_string()} tabindex="0" role="button"
                    aria-label={format!("link n{a} – n{b}: Enter for its actions")} aria-pressed={selected.to_string()}
                    {onclick} {onkeydown} />
            </g>
        }
    });
    html! { <g class="links">{ for links }</g> }
}

/// What the graph shows of one leaderless operation's quorum.
struct QuorumMarks {
    op: u64,
    view: QuorumView,
    /// "met", "pending" or "not-met".
    state: &'static str,
    /// Short lines for the drawing's top-left corner, clear of the nodes' labels.
    caption: Vec<String>,
}

fn leaderless_quorum(s: &Snapshot, selected: Option<u64>) -> Option<QuorumMarks> {
    let ops = &s.panels.ops;
    let (op, q) = match selected {
        Some(id) => {
            let op = ops.iter().find(|o| o.id == id)?;
            (op, quorum_of(op))
        }
        None => ops.iter().rev().take(12).find_map(|op| {
            let q = quorum_of(op);
            (!q.asked.is_empty()).then_some((op, q))
        })?,
    };
    let (n, w, r) = s.quorum.unwrap_or((0, 0, 0));
    let needed = op.quorum.as_ref().map_or(if op.write { w } else { r }, |q| q.needed as usize);
    let state = match op.status {
        OpStatus::Ok => "met",
        OpStatus::Pending => "pending",
        _ => "not-met",
    };
    let names = |v: &[NodeId]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(|i| format!("n{i}")).collect::<Vec<_>>().join(" ")
        }
    };
    let caption = vec![
        format!("op{} {}", op.id, op.text.trim_end_matches(" …")),
        format!("{}={needed} of N={n} · quorum {}", if op.write { "W" } else { "R" }, state.replace('-', " ")),
        format!("asked {}", names(&q.asked)),
        format!("answered {}", names(&q.answered)),
    ];
    Some(QuorumMarks { op: op.id, view: q, state, caption })
}

#[derive(Properties, PartialEq)]
struct NodeGlyphProps {
    node: NodeState,
    text: NodeText,
    centre: Point,
    radius: f64,
    show_labels: bool,
    selected: bool,
    marked: bool,
    highlighted: bool,
    /// Partition group, when the cluster is partitioned.
    group: Option<usize>,
    on_action: Callback<Action>,
}

#[function_component]
fn NodeGlyph(props: &NodeGlyphProps) -> Html {
    let NodeGlyphProps { node, centre, radius: r, show_labels, .. } = props;
    let (id, p) = (node.id, &node.protocol);
    let role = role_name(p.role);
    let health = health_name(node.health);
    let onclick = {
        let cb = props.on_action.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            cb.emit(Action::Select(Selection::Node(id)));
        })
    };
    let onkeydown = {
        let cb = props.on_action.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" | " " => {
                e.prevent_default();
                cb.emit(Action::Select(Selection::Node(id)));
            }
            "x" | "X" => {
                e.prevent_default();
                cb.emit(Action::ToggleNode(id));
            }
            "m" | "M" => {
                e.prevent_default();
                cb.emit(Action::ToggleMark(id));
            }
            _ => {}
        })
    };
    let NodeText { summary, second, lag, extra } = &props.text;
    let crashed = node.health == Health::Crashed;
    // A crashed node has no role: what is left of it is its durable log.
    let shown_role = if crashed { "crashed" } else { role };
    let state = if crashed {
        format!("crashed, its durable log holds {} entries", p.position)
    } else {
        format!("{role}, {health}, term {}, log position {}, commit {}", p.term, p.position, p.commit)
    };
    // The accessible name starts with the text the node shows, in the order it shows it (each
    // text ends with a space, so the shown words do not run together for assistive technology).
    let mut visible = vec![format!("n{id}")];
    if *r >= 20.0 {
        visible.push(shown_role.to_string());
    }
    if *show_labels {
        visible.push(summary.clone());
        visible.extend(second.iter().map(|(text, _)| text.clone()));
    } else {
        visible.extend(lag.clone());
    }
    let label = format!(
        "{}. n{id}: {state}{}{}. Enter for actions, X to crash or restart, M to mark.",
        visible.join(" "),
        node.lag
            .filter(|l| l.positions > 0)
            .map(|l| format!(", {} behind ({})", l.positions, format_duration(l.time)))
            .unwrap_or_default(),
        extra.iter().map(|e| format!(", {e}")).collect::<String>(),
    );
    let origin = geometry::label_origin(*centre, *r);
    let (lx, ly) = (origin.x - centre.x, origin.y - centre.y);
    let k = r * 0.45;
    html! {
        <g class={classes!("node", format!("role-{role}"), format!("health-{health}"), props.selected.then_some("selected"),
                props.marked.then_some("marked"), props.highlighted.then_some("highlighted"))}
            transform={format!("translate({} {})", centre.x, centre.y)}
            data-node={id.to_string()} data-role={role} data-health={health} data-group={props.group.map(|g| g.to_string())}
            data-term={p.term.to_string()} data-position={p.position.to_string()} data-commit={p.commit.to_string()}
            data-selected={props.selected.then_some("true")}
            tabindex="0" role="button" aria-label={label} aria-pressed={props.selected.to_string()} {onclick} {onkeydown}>
            if let Some(g) = props.group {
                <circle class={format!("group-halo group-{}", g % 4)} r={(r + 8.0).to_string()} />
            }
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
            <text class="node-id" y={if *r >= 20.0 { "-2" } else { "4" }}>{format!("n{id} ")}</text>
            if *r >= 20.0 {
                <text class="node-role" y="12">{format!("{shown_role} ")}</text>
            }
            if !*show_labels {
                if let Some(text) = lag {
                    <g class="lag-badge" data-testid="lag" transform={format!("translate({} {})", r * 0.75, -r * 0.85)}>
                        <rect x="-2" y="-10" width={(text.len() as f64 * 5.6 + 6.0).to_string()} height="14" rx="7" />
                        <text x="1" y="1">{format!("{text} ")}</text>
                    </g>
                }
            }
            if *show_labels {
                <text class="node-label" x={lx.to_string()} y={ly.to_string()}>{format!("{summary} ")}</text>
                if !second.is_empty() {
                    <text class="node-label node-term" x={lx.to_string()} y={(ly + LABEL_LINE).to_string()}>
                        { for second.iter().enumerate().map(|(k, (text, style))| html! {
                            <tspan class={style.class()} data-testid={(*style == PartStyle::Lag).then_some("lag")}>{format!("{}{text} ", if k > 0 { "· " } else { "" })}</tspan>
                        }) }
                    </text>
                }
            }
        </g>
    }
}

/// The words a node shows beside its disc: what it holds, then a second line of parts (each
/// with its style) — its term (not in the leaderless family, which has none), its part in the
/// quorum shown (leaderless), its lag behind the leader, and the first of its extras.
#[derive(Clone, Debug, PartialEq)]
struct NodeText {
    summary: String,
    second: Vec<(String, PartStyle)>,
    lag: Option<String>,
    /// Slowed, clock offset, marked for a partition: for the accessible name.
    extra: Vec<String>,
}

impl NodeText {
    /// Characters in the second line, with its separators.
    fn second_chars(&self) -> usize {
        self.second.iter().map(|(t, _)| t.chars().count() + 3).sum::<usize>().saturating_sub(3)
    }
}

/// How one part of a node's second label line is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PartStyle {
    Plain,
    Quorum(QuorumPart),
    Lag,
}

impl PartStyle {
    fn class(self) -> Option<&'static str> {
        match self {
            PartStyle::Plain => None,
            PartStyle::Quorum(part) => Some(part.class()),
            PartStyle::Lag => Some("lag"),
        }
    }
}

/// A replica's part in the leaderless operation the graph shows.
#[derive(Clone, Copy, Debug, PartialEq)]
enum QuorumPart {
    Coordinator,
    Answered,
    Waiting,
}

impl QuorumPart {
    fn class(self) -> &'static str {
        match self {
            QuorumPart::Coordinator => "q-coordinator",
            QuorumPart::Answered => "q-answered",
            QuorumPart::Waiting => "q-waiting",
        }
    }

    fn word(self) -> &'static str {
        match self {
            QuorumPart::Coordinator => "coordinator",
            QuorumPart::Answered => "✓ answered",
            QuorumPart::Waiting => "… no answer",
        }
    }
}

fn node_text(node: &NodeState, marked: bool, terms: bool, quorum: Option<QuorumPart>) -> NodeText {
    let p = &node.protocol;
    let crashed = node.health == Health::Crashed;
    let lag = node.lag.filter(|l| l.positions > 0).map(|l| format!("lag {}", l.positions));
    let mut extra = Vec::new();
    if node.slow_permille != 1000 {
        extra.push(format!("slowed ×{}", node.slow_permille as f64 / 1000.0));
    }
    if node.clock_offset != 0 {
        extra.push(format!("clock {:+.0} ms", node.clock_offset as f64 / 1000.0));
    }
    if marked {
        extra.push("marked for a partition".into());
    }
    let mut second = Vec::new();
    if terms {
        second.push((format!("term {}", p.term), PartStyle::Plain));
    }
    if let Some(part) = quorum {
        second.push((part.word().to_string(), PartStyle::Quorum(part)));
    }
    if !crashed {
        second.extend(lag.clone().map(|l| (l, PartStyle::Lag)));
    }
    second.extend(extra.first().map(|e| (e.clone(), PartStyle::Plain)));
    let summary = if crashed { format!("down · durable log: {} entries", p.position) } else { p.summary.clone() };
    NodeText { summary, second, lag, extra }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Leader => "leader",
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::Replica => "replica",
    }
}

pub fn health_name(health: Health) -> &'static str {
    match health {
        Health::Up => "up",
        Health::Crashed => "crashed",
        Health::Paused => "paused",
    }
}
