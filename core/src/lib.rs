//! # replicalab-core
//!
//! A deterministic simulator of database replication. Nodes run a replication protocol as pure
//! step functions; the world ([`Sim`]) owns simulated time, one seeded RNG, the network
//! (latency, loss, duplication, partitions), node faults (crash, pause, slow, clock skew) and
//! clients, and records a history of client operations that checkers inspect for anomalies.
//!
//! A run is fully described by a [`Scenario`]: configuration, seed and timed commands. The same
//! scenario always produces the same trace hash, natively and in WebAssembly.
//!
//! ```
//! use replicalab_core::{presets, Simulation, time::MS};
//!
//! let scenario = presets::find("lf-sync").unwrap().scenario().unwrap();
//! let mut sim = Simulation::new(&scenario);
//! sim.run_until(2_000 * MS);
//! let report = sim.report(&scenario.name);
//! assert!(report.metrics.ops_ok > 0);
//! // Run it again: identical.
//! let mut again = Simulation::new(&scenario);
//! again.run_until(2_000 * MS);
//! assert_eq!(again.trace_hash(), report.trace_hash);
//! ```
//!
//! Layout: [`protocol`] is the contract a family implements; [`protocols`] holds the families;
//! [`sim`] is the world; [`checkers`] name anomalies; [`scenario`] is the file format; [`choices`]
//! lists the values of its main settings for menus.

pub mod checkers;
pub mod choices;
pub mod compare;
pub mod conflict;
pub mod crdt;
pub mod event;
pub mod explore;
pub mod faults;
pub mod formats;
pub mod hash;
pub mod history;
pub mod json_path;
pub mod lessons;
pub mod link;
pub mod metrics;
pub mod net;
pub mod note;
pub mod pbs;
pub mod presets;
pub mod protocol;
pub mod protocols;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod simulation;
pub mod sort;
pub mod story;
pub mod time;
pub mod trace;
pub mod view;

pub use report::Report;
pub use scenario::{Command, Scenario, ScenarioError, TimedCommand};
pub use sim::{Sim, Target};
pub use simulation::{run, Simulation};
pub use view::View;
