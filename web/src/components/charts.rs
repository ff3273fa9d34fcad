//! Charts: replication lag over the whole run (one line per node) and the latency histogram
//! of recent operations, with fault intervals shaded on the time axis.

use yew::prelude::*;

use crate::derive::HISTOGRAM_BOUNDS_MS;
use crate::format::format_time;
use crate::state::Shared;

#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    pub snapshot: Shared,
}

const W: f64 = 600.0;
const H: f64 = 120.0;

#[function_component]
pub fn Charts(props: &ChartsProps) -> Html {
    let s = &props.snapshot;
    let lag = &s.panels.lag;
    let t0 = 0;
    let t1 = s.panels.now.max(lag.times.last().copied().unwrap_or(0)).max(1);
    let x = |t: u64| t.min(t1) as f64 / t1 as f64 * W;
    let max = lag.max_ms.max(1.0);
    let y = |ms: f64| H - 4.0 - ms / max * (H - 12.0);
    let faults = s.view.faults.iter().map(|f| {
        let a = x(f.start.max(t0));
        let b = x(f.end.unwrap_or(t1));
        html! { <rect class={format!("fault fault-{}", f.kind.name())} x={a.to_string()} y="0" width={(b - a).max(1.5).to_string()} height={H.to_string()}><title>{f.label()}</title></rect> }
    });
    let lines = lag.series.iter().enumerate().map(|(node, series)| {
        // One polyline per stretch of samples where the node reported a lag.
        let mut parts: Vec<String> = Vec::new();
        let mut current = String::new();
        for (i, v) in series.iter().enumerate() {
            match v {
                Some(ms) => current.push_str(&format!("{:.1},{:.1} ", x(lag.times[i]), y(*ms))),
                None if !current.is_empty() => parts.push(std::mem::take(&mut current)),
                None => {}
            }
        }
        if !current.is_empty() {
            parts.push(current);
        }
        html! {
            <g key={node} class={format!("lag-line series-{}", node % 9)}>
                { for parts.into_iter().map(|p| html! { <polyline points={p} /> }) }
                <title>{format!("n{node}")}</title>
            </g>
        }
    });
    let total: u32 = s.panels.histogram.iter().map(|(w, r)| w + r).sum();
    let peak = s.panels.histogram.iter().map(|(w, r)| w.max(r)).copied().max().unwrap_or(0).max(1);
    let bw = W / s.panels.histogram.len().max(1) as f64;
    let bars = s.panels.histogram.iter().enumerate().map(|(i, (w, r))| {
        let hw = *w as f64 / peak as f64 * (H - 24.0);
        let hr = *r as f64 / peak as f64 * (H - 24.0);
        let label = match HISTOGRAM_BOUNDS_MS.get(i) {
            Some(b) => format!("≤{b}"),
            None => format!(">{}", HISTOGRAM_BOUNDS_MS[HISTOGRAM_BOUNDS_MS.len() - 1]),
        };
        let x0 = i as f64 * bw;
        html! {
            <g key={i}>
                <rect class="bar-write" x={(x0 + 4.0).to_string()} y={(H - 16.0 - hw).to_string()} width={(bw / 2.0 - 4.0).to_string()} height={hw.to_string()}>
                    <title>{format!("{w} writes {label} ms")}</title></rect>
                <rect class="bar-read" x={(x0 + bw / 2.0).to_string()} y={(H - 16.0 - hr).to_string()} width={(bw / 2.0 - 4.0).to_string()} height={hr.to_string()}>
                    <title>{format!("{r} reads {label} ms")}</title></rect>
                <text class="bar-label" x={(x0 + bw / 2.0).to_string()} y={(H - 3.0).to_string()}>{label}</text>
            </g>
        }
    });
    html! {
        <section class="charts" aria-label="Charts">
            <h2>{"Replication lag"}<span class="legend-inline">{format!("max {:.1} ms · shaded: faults", lag.max_ms)}</span></h2>
            <svg class="chart" viewBox={format!("0 0 {W} {H}")} preserveAspectRatio="none" data-testid="lag-chart"
                role="img" aria-label={format!("Replication lag of each node from 0 to {}; at most {:.1} ms", format_time(t1), lag.max_ms)}>
                { for faults }
                { for lines }
            </svg>
            <p class="axis"><span>{"0"}</span><span>{format_time(t1)}</span></p>
            <h2>{"Latency of recent operations"}<span class="legend-inline"><span class="w">{"■ writes"}</span><span class="r">{"■ reads"}</span>{format!(" · {total} ops, ms")}</span></h2>
            <svg class="chart" viewBox={format!("0 0 {W} {H}")} data-testid="histogram" role="img"
                aria-label={format!("Latency histogram of {total} recent operations")}>
                { for bars }
            </svg>
        </section>
    }
}
