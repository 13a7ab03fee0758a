//! Interrupted and killed runs: Ctrl-C stops within a second and writes
//! nothing; a run killed at any moment leaves the old report intact or none.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shortfall-int-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn long_run(json: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_shortfall"))
        .args([
            "run",
            "scenarios/export_ban.toml",
            "--trials",
            "5000000",
            "--threads",
            "2",
            "--json",
        ])
        .arg(json)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn ctrl_c_stops_within_a_second_and_says_what_was_not_written() {
    let dir = temp_dir("ctrlc");
    let json = dir.join("report.json");
    let mut child = long_run(&json);
    std::thread::sleep(Duration::from_millis(700));
    signal(child.id(), "-INT");
    let sent = Instant::now();
    let out = loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break child.wait_with_output().unwrap();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "still running 5 s after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let stopped_in = sent.elapsed();
    assert!(stopped_in < Duration::from_secs(1), "took {stopped_in:?}");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("interrupted after")
            && err.contains("no report, JSON, CSV or SVG was written"),
        "{err}"
    );
    assert!(!json.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_killed_run_leaves_the_old_report_or_none() {
    let dir = temp_dir("kill");
    let json = dir.join("report.json");
    std::fs::write(&json, "{\"old\": true}\n").unwrap();
    // Kill at different moments of short runs, some of them late enough to
    // land while the report is written.
    for delay_ms in [0u64, 50, 150, 300, 600, 900, 1200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shortfall"))
            .args([
                "run",
                "scenarios/export_ban.toml",
                "--trials",
                "2000",
                "--quiet",
                "--json",
            ])
            .arg(&json)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(&json).unwrap();
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
        let value =
            parsed.unwrap_or_else(|e| panic!("half-written report after {delay_ms} ms: {e}"));
        assert!(value["old"] == true || value["schema"] == "shortfall.report/3");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
