//! `replicalab link`: converts between scenario files and share links (`replicalab_core::link`).
//!
//! `encode` reads a scenario file (or a share file printed by `decode --share`, or a preset) and
//! prints the link; `decode` reads a link — a full URL, a `#fragment` or the bare `v1.…` — and
//! prints the scenario file, with the playhead and the view on stderr, or everything as one share
//! file with `--share`. A refused link exits non-zero with the decoder's message.

use std::io::Read as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use replicalab_core::link::{self, Share, ViewOptions};
use replicalab_core::Scenario;

#[derive(Args)]
pub struct LinkArgs {
    #[command(subcommand)]
    command: LinkCmd,
}

#[derive(Subcommand)]
enum LinkCmd {
    /// Print the share link of a scenario file (or of a share file from `link decode --share`).
    Encode {
        /// Scenario or share file (JSON); `-` reads standard input.
        #[arg(required_unless_present = "preset", conflicts_with = "preset")]
        file: Option<PathBuf>,
        /// Encode a built-in scenario instead of a file.
        #[arg(long, value_name = "NAME")]
        preset: Option<String>,
        /// Playhead in milliseconds: the time the link opens at.
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
        at: Option<f64>,
        /// View options as JSON, e.g. '{"panels": ["graph"], "selected_node": 1, "theme": "dark"}'.
        #[arg(long, value_name = "JSON")]
        view: Option<String>,
        /// Print a full URL: BASE#<link> (a fragment already in BASE is replaced).
        #[arg(long, value_name = "URL")]
        base: Option<String>,
    },
    /// Print the scenario file a link carries (the playhead and view go to stderr).
    Decode {
        /// A link: full URL, `#fragment` or bare `v1.…`; `-` reads standard input.
        link: String,
        /// Print the whole share (scenario, playhead, view) as one JSON file instead.
        #[arg(long)]
        share: bool,
    },
}

pub fn run(args: LinkArgs) -> Result<(), String> {
    match args.command {
        LinkCmd::Encode { file, preset, at, view, base } => {
            let mut share = match (file, preset) {
                (_, Some(name)) => Share::new(super::load(None, Some(name))?),
                (Some(path), None) => read_share_or_scenario(&path)?,
                (None, None) => return Err("name a scenario file or --preset".into()),
            };
            if let Some(at) = at {
                share.at_ms = at;
            }
            if let Some(view) = view {
                share.view = parse_view(&view)?;
            }
            let out = match base {
                Some(base) => link::encode_url(&base, &share),
                None => link::encode(&share),
            }
            .map_err(|e| format!("cannot make a link: {e}"))?;
            outln!("{out}");
            Ok(())
        }
        LinkCmd::Decode { link: text, share: as_share } => {
            let text = if text == "-" { read_stdin()? } else { text };
            let share = link::decode(&text).map_err(|e| e.to_string())?;
            if as_share {
                outln!("{}", share.to_json());
            } else {
                outln!("{}", share.scenario.to_json());
                eprintln!("playhead: {} ms", share.at_ms);
                if !share.view.is_default() {
                    eprintln!("view: {}", serde_json::to_string(&share.view).map_err(|e| e.to_string())?);
                }
            }
            Ok(())
        }
    }
}

/// A scenario file, or a share file (an object with a `scenario` field).
fn read_share_or_scenario(path: &PathBuf) -> Result<Share, String> {
    let text = if path.as_os_str() == "-" {
        read_stdin()?
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?
    };
    let is_share = serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.get("scenario").is_some());
    if is_share {
        Share::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
    } else {
        Scenario::from_json(&text).map(Share::new).map_err(|e| format!("{}: {e}", path.display()))
    }
}

fn parse_view(json: &str) -> Result<ViewOptions, String> {
    serde_json::from_str(json).map_err(|e| format!("--view: {e}"))
}

fn read_stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .take(16 << 20)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(text)
}
