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
