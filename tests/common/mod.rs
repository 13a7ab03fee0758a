//! Helpers shared by the tests that run the `shortfall` binary.

// Each test crate uses a different subset.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the built `shortfall` with `args` from the crate root.
pub fn shortfall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shortfall"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// What a run printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What a run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the Python check `tests/reference/SCRIPT` with the built `shortfall`
/// as its first argument, then `args`, from the crate root. `None`, after
/// saying `SKIPPED` on stderr, when no Python 3.11 or later (the first with
/// `tomllib`) is found: the check did not run, which is not a pass.
pub fn python_check(script: &str, args: &[&str]) -> Option<Output> {
    let python = ["python3", "python"].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import tomllib"])
            .output()
            .is_ok_and(|out| out.status.success())
    });
    let Some(python) = python else {
        eprintln!("SKIPPED: no Python 3.11+ to run tests/reference/{script}");
        return None;
    };
    let out = Command::new(python)
        .arg(format!("tests/reference/{script}"))
        .arg(env!("CARGO_BIN_EXE_shortfall"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("Python runs");
    Some(out)
}

/// Runs the Python check `tests/reference/SCRIPT` (as [`python_check`]),
/// shows what it printed (with `--nocapture`), and asserts that it exited 0
/// and printed `summary`, its line for a check that compared everything (so
/// that a check that ran nothing does not pass). Returns what it printed;
/// `None` when it was SKIPPED.
pub fn assert_python_check(script: &str, args: &[&str], summary: &str) -> Option<String> {
    let out = python_check(script, args)?;
    let text = stdout(&out);
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "{script} {} found a disagreement (exit {:?}):\n{text}\n{}",
        args.join(" "),
        out.status.code(),
        stderr(&out)
    );
    assert!(
        text.contains(summary),
        "{script} {} did not say `{summary}`:\n{text}",
        args.join(" ")
    );
    Some(text)
}
