//! Inputs kept from fuzzing (`fuzz/`, target `scenario`) and hand-made
//! extremes, run through the same steps as the fuzz target: parse, validate,
//! a tiny run. None may panic, and what a run reports must be finite.
//!
//! Each file is the fuzz target's input: a selector byte (even: a scenario on
//! the default world; odd: a world, a NUL byte, then a scenario) and the text.

use std::path::Path;

use shortfall::engine;
use shortfall::{Scenario, World};

fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let scenario = if selector % 2 == 0 {
        Scenario::from_toml("fuzz.toml", text.as_ref(), ".")
    } else {
        let (world_text, scenario_text) = text.split_once('\0').unwrap_or((text.as_ref(), ""));
        let Ok(world) = World::from_toml("world.toml", world_text) else {
            return;
        };
        let _ = world.concentration();
        let _ = world.balance(12);
        Scenario::from_toml_with_world("fuzz.toml", scenario_text, world)
    };
    let Ok(mut scenario) = scenario else {
        return;
    };
    scenario.trials = scenario.trials.min(2);
    scenario.horizon_months = scenario.horizon_months.min(6);
    let replay = engine::replay(&scenario, 0);
    for month in &replay.rows {
        for row in month {
            assert!(row.price_multiple.is_finite(), "price {row:?}");
            assert!(
                row.unserved_t.is_finite() && row.unserved_t >= -1e-6,
                "unserved {row:?}"
            );
        }
    }
}

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
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} panicked", file.display());
    }
}
