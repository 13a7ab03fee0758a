//! Inputs kept from fuzzing (`fuzz/`, target `scenario`) and hand-made
//! extremes, run through the fuzz target's own steps (`shortfall::fuzzing`):
//! parse, validate, a tiny run. None may panic, and what a run reports must be
//! finite.
//!
//! Each file is the fuzz target's input: a selector byte (even: a scenario on
//! the default world; odd: a world, a NUL byte, then a scenario) and the text.

use std::path::Path;

use shortfall::fuzzing::run_case;

#[test]
fn kept_inputs_neither_panic_nor_report_non_finite_numbers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| run_case(&data));
        assert!(outcome.is_ok(), "{} panicked", file.display());
    }
}
