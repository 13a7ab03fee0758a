//! Arbitrary bytes through world and scenario parsing, validation and a tiny
//! run. Any panic, hang or NaN in what the engine reports is a finding.
//!
//! The first byte chooses what the rest is: a scenario on the default world
//! (even), or a world file followed, after a NUL byte, by a scenario (odd).
//! Runs are cut to 2 trials of at most 6 months so each input stays fast.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shortfall::engine;
use shortfall::{Scenario, World};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let scenario = if selector % 2 == 0 {
        Scenario::from_toml("fuzz.toml", text.as_ref(), ".")
    } else {
        let (world_text, scenario_text) = text.split_once('\0').unwrap_or((text.as_ref(), ""));
        let world = match World::from_toml("world.toml", world_text) {
            Ok(world) => world,
            Err(_) => return,
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
});
