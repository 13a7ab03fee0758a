//! One fuzz case: arbitrary bytes through world and scenario parsing,
//! validation and a tiny run. Shared by the fuzz target (`fuzz/`) and the
//! regression tests of the inputs it kept (`tests/fuzz_regressions.rs`), so
//! both run exactly the same steps. Not part of the public API.
//!
//! The first byte chooses what the rest is: a scenario on the default world
//! (even), or a world file followed, after a NUL byte, by a scenario (odd).
//! Runs are cut to 2 trials of at most 6 months so each input stays fast.

use crate::engine;
use crate::{Scenario, World};

/// Runs one input; panics only when the engine reports a non-finite or
/// negative amount (a finding), never on bad input.
pub fn run_case(data: &[u8]) {
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
            assert!(row.stock_t >= -1e-6, "stock {row:?}");
        }
    }
    let _ = engine::run(
        &scenario,
        &engine::RunOptions {
            threads: Some(1),
            ..Default::default()
        },
    );
}
