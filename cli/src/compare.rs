//! `replicalab compare`: the same workload and faults against sync, async, multi-leader and
//! leaderless replication, printed as the seed article's comparison table with measured numbers
//! (or as the `Comparison` in JSON).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use replicalab_core::compare::{self, CompareOptions, Comparison, ComparisonRow, Contender};

#[derive(Args)]
pub struct CompareArgs {
    /// Scenario file (JSON) whose cluster, workload, faults and seed are compared; default: the
    /// built-in comparison scenario.
    #[arg(conflicts_with = "preset")]
    scenario: Option<PathBuf>,
    /// Compare on a built-in scenario instead of a file.
    #[arg(long)]
    preset: Option<String>,
    /// Seeds to run every contender with, comma-separated (default: the scenario's seed).
    #[arg(long, value_delimiter = ',')]
    seeds: Vec<u64>,
    /// Contenders to compare, comma-separated: sync, async, multi, leaderless (default: all).
    #[arg(long, value_name = "LIST")]
    only: Option<String>,
    /// Stop every run at this simulated time in milliseconds (default: the scenario's duration).
    #[arg(long)]
    until: Option<f64>,
    /// Output: a text table mirroring the article's, or the comparison as JSON.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

pub fn run(args: CompareArgs) -> Result<(), String> {
    let base = if args.scenario.is_none() && args.preset.is_none() {
        compare::default_scenario()
    } else {
        crate::load(args.scenario, args.preset)?
    };
    let contenders = match &args.only {
        Some(list) => Contender::parse_list(list).map_err(|e| format!("--only: {e}"))?,
        None => Contender::ALL.to_vec(),
    };
    if let Some(u) = args.until {
        if !(u.is_finite() && u >= 0.0) {
            return Err(format!("--until must be a non-negative number of milliseconds, got {u}"));
        }
    }
    let options = CompareOptions { contenders, seeds: args.seeds, until_ms: args.until };
    let comparison = compare::compare(&base, &options).map_err(|e| e.to_string())?;
    match args.format {
        Format::Json => {
            outln!("{}", serde_json::to_string_pretty(&comparison).map_err(|e| e.to_string())?);
        }
        Format::Table => out!("{}", table(&comparison)),
    }
    Ok(())
}

/// The comparison as text: the article's columns, each with its words and the measured numbers.
pub fn table(c: &Comparison) -> String {
    let header = ["Strategy", "Consistency", "Availability", "Write latency", "Complexity"];
    let mut lines: Vec<[String; 5]> = vec![header.map(String::from)];
    for r in &c.rows {
        lines.push([
            r.title.clone(),
            r.article.consistency.clone(),
            r.article.availability.clone(),
            r.article.write_latency.clone(),
            r.article.complexity.clone(),
        ]);
        lines.push([
            String::new(),
            consistency(r),
            format!("{:.1}% ok ({} failed, {} unknown)", r.ok_share * 100.0, r.ops_failed, r.ops_unknown),
            format!("p50 {} / p99 {} ms", ms(r.write_latency_ms.p50), ms(r.write_latency_ms.p99)),
            String::new(),
        ]);
    }
    let mut width = [0usize; 5];
    for l in &lines {
        for (w, cell) in width.iter_mut().zip(l) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let row = |cells: &[String; 5]| -> String {
        let parts: Vec<String> =
            cells.iter().zip(width).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
        format!("| {} |\n", parts.join(" | "))
    };
    let mut out = if c.description.is_empty() {
        format!("{}\n{}\n\n", c.scenario, c.aggregation)
    } else {
        format!("{} — {}\n{}\n\n", c.scenario, c.description, c.aggregation)
    };
    out += &row(&lines[0]);
    out += &format!("|{}|\n", width.map(|w| "-".repeat(w + 2)).join("|"));
    for l in &lines[1..] {
        out += &row(l);
    }
    out += "\nMeasured, per contender:\n";
    for r in &c.rows {
        let a = &r.anomalies;
        out += &format!(
            "  {:<21} {}: {}\n  {:<21} writes ok {}, p50 {} / p99 {} ms; reads ok {}, p50 {} / p99 {} ms; \
             acknowledged writes lost {}; anomalies: {} stale reads, {} session, {} lost writes, \
             {} split brain, {} divergence, {} not linearizable\n",
            r.title,
            r.family,
            r.settings,
            "",
            r.write_latency_ms.count,
            ms(r.write_latency_ms.p50),
            ms(r.write_latency_ms.p99),
            r.read_latency_ms.count,
            ms(r.read_latency_ms.p50),
            ms(r.read_latency_ms.p99),
            r.lost_writes,
            a.stale_reads,
            a.session_violations,
            a.lost_writes,
            a.split_brain,
            a.divergence,
            a.not_linearizable,
        );
        if r.failovers > 0 {
            let longest = r.max_unavailability_ms.map_or("never completed".into(), |u| format!("longest {} ms", ms(u)));
            out += &format!("  {:<21} failovers {}, writes unavailable after a failure: {longest}\n", "", r.failovers);
        }
        if !r.dropped_commands.is_empty() {
            out += &format!("  {:<21} dropped (not applicable): {}\n", "", r.dropped_commands.join(", "));
        }
    }
    out
}

/// The measured consistency cell: lost writes and the anomalies found.
fn consistency(r: &ComparisonRow) -> String {
    let a = &r.anomalies;
    let mut parts = vec![format!("{} lost", r.lost_writes), format!("{} stale", a.stale_reads)];
    for (n, what) in [
        (a.session_violations, "session"),
        (a.split_brain, "split brain"),
        (a.divergence, "divergent"),
        (a.not_linearizable, "non-lin."),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
