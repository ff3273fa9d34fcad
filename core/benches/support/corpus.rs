//! The histories the linearizability bench and `examples/check_table.rs` measure: every shared
//! history (`../shared/data/` next to the project root, skipped when absent) and generated
//! ones with known answers. One list, so the bench and the per-file table name the same cases.

use std::path::{Path, PathBuf};

use replicalab_core::checkers::linearizability::file::{self, FileCheck, FileReport, ModelKind};
use replicalab_core::checkers::linearizability::CheckConfig;
use replicalab_core::formats::generate::{self, GenSpec};
use replicalab_core::formats::Format;

pub struct Case {
    pub name: String,
    pub format: Format,
    pub model: ModelKind,
    pub text: String,
}

impl Case {
    /// What `replicalab check` does with the file, with this configuration.
    pub fn check(&self, config: &CheckConfig) -> FileReport {
        let how = FileCheck {
            format: Some(self.format),
            model: Some(self.model),
            config: config.clone(),
            ..FileCheck::default()
        };
        file::check_text(&self.text, &how).expect("checkable")
    }
}

fn files(dir: &Path, ext: &str, format: Format, model: ModelKind, prefix: &str, out: &mut Vec<Case>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> =
        rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == ext)).collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("readable history");
        if text.trim().is_empty() {
            continue;
        }
        let name = format!("{prefix}{}", p.file_name().unwrap().to_string_lossy());
        out.push(Case { name, format, model, text });
    }
}

/// The cases whose names contain `filter` (generated ones are only built when some can match).
pub fn cases(filter: &str) -> Vec<Case> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    let mut out = Vec::new();
    if data.is_dir() {
        let p = data.join("porcupine/test_data");
        files(&p.join("jepsen"), "log", Format::PorcupineEtcd, ModelKind::CasRegister, "", &mut out);
        files(&p.join("kv"), "txt", Format::PorcupineKv, ModelKind::Kv, "", &mut out);
        let k = data.join("knossos/data");
        let (edn, reg) = (Format::JepsenEdn, ModelKind::CasRegister);
        files(&k.join("cas-register/good"), "edn", edn, reg, "knossos good/", &mut out);
        files(&k.join("cas-register/bad"), "edn", edn, reg, "knossos bad/", &mut out);
        files(&k.join("multi-register/good"), "edn", edn, ModelKind::MultiRegister, "knossos good/", &mut out);
        files(&k.join("mutex/bad"), "edn", edn, ModelKind::Mutex, "knossos bad/", &mut out);
    } else {
        eprintln!("{} is absent: generated histories only", data.display());
    }
    if "generated".contains(filter) || filter.starts_with("generated") {
        let (kv, reg) = ((Format::PorcupineKv, ModelKind::Kv), (Format::JepsenEdn, ModelKind::CasRegister));
        let spec = GenSpec { clients: 200, ops: 50_000, keys: 50, timeout_ppm: 10_000, seed: 1 };
        let mut add = |name: String, (format, model): (Format, ModelKind), text: String| {
            out.push(Case { name, format, model, text })
        };
        add("generated kv 200 clients 50,000 ops".into(), kv, generate::kv_history(&spec));
        add("generated kv 200 clients 50,000 ops, one stale get".into(), kv, generate::kv_history_bad(&spec));
        for (clients, ops, ppm, seed) in [(5, 1000, 10_000, 1), (10, 2000, 30_000, 2), (20, 5000, 50_000, 3)] {
            let spec = GenSpec { clients, ops, keys: 1, timeout_ppm: ppm, seed };
            let name = format!("generated cas {clients} clients {ops} ops, {}% timeouts", ppm / 10_000);
            add(format!("{name}, impossible read"), reg, generate::cas_history(&spec, true));
            add(name, reg, generate::cas_history(&spec, false));
        }
    }
    out.retain(|c| c.name.contains(filter));
    out
}
