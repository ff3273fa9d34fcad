//! The session checkers on Porcupine's key-value histories: the read-your-writes violation in
//! c01-bad.txt (line 60 reads key "7" without its own append of line 56), and nothing in the
//! histories that are correct.

use std::path::PathBuf;

use replicalab_core::checkers::session::kv;
use replicalab_core::checkers::AnomalyKind;
use replicalab_core::formats::porcupine::parse_kv;

fn data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/porcupine/test_data/kv");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}

#[test]
fn c01_bad_has_the_known_read_your_writes_violation() {
    let Some(dir) = data() else { return };
    let text = std::fs::read_to_string(dir.join("c01-bad.txt")).unwrap();
    let events = parse_kv(&text).unwrap();
    let (anomalies, lines) = kv::check_events(&events).unwrap();
    let ryw: Vec<_> = anomalies.iter().filter(|a| a.kind == AnomalyKind::ReadYourWrites).collect();
    assert!(!ryw.is_empty(), "no read-your-writes violation found: {anomalies:?}");
    let found = ryw.iter().any(|a| lines[a.ops[0] as usize].0 == 59 && lines[a.ops[1] as usize].0 == 55);
    assert!(
        found,
        "expected the get invoked on line 59 (completing on line 60) to miss the append of line 55-56: {:?}",
        ryw.iter().map(|a| (lines[a.ops[0] as usize], lines[a.ops[1] as usize], &a.explanation)).collect::<Vec<_>>()
    );
}

#[test]
fn the_correct_histories_have_no_session_anomalies() {
    let Some(dir) = data() else { return };
    for name in ["c01-ok.txt", "c10-ok.txt", "c50-ok.txt"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let events = parse_kv(&text).unwrap();
        let (anomalies, _) = kv::check_events(&events).unwrap();
        assert!(anomalies.is_empty(), "{name}: {anomalies:?}");
    }
}
