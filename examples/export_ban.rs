//! China bans exports of Dy/Tb oxide, Y oxide and NdFeB magnets: who runs short,
//! what prices do, and which assumption matters most.
//!
//! Runs `scenarios/export_ban.toml` on the embedded default world through the
//! library API (the `shortfall` binary does the same with `shortfall run`):
//!
//! ```sh
//! cargo run --example export_ban
//! cargo run --release --example export_ban -- 20000   # more trials
//! ```

use std::error::Error;
use std::time::Instant;

use shortfall::engine::{self, RunOptions, BATCH_SIZE};
use shortfall::report::{Manifest, Report};
use shortfall::Scenario;

fn main() -> Result<(), Box<dyn Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/export_ban.toml");
    let scenario = Scenario::from_path(path)?;
    let trials = match std::env::args().nth(1) {
        Some(n) => Some(n.parse::<u32>().map_err(|e| format!("trials: {e}"))?),
        None => None,
    };

    let started = Instant::now();
    let result = engine::run(
        &scenario,
        &RunOptions {
            trials,
            ..RunOptions::default()
        },
    );
    let elapsed = started.elapsed();
    let report = Report::new(
        &scenario,
        &result.statistics,
        Manifest::new(result.threads, BATCH_SIZE),
    );

    // The headline: who is short of magnets, and how badly.
    println!("{}\n", scenario.name);
    println!("Magnets, over {} months:", scenario.horizon_months);
    for r in report
        .results
        .iter()
        .filter(|r| r.product == "ndfeb_magnet")
    {
        println!(
            "  {:<5} short in {:>3.0}% of trials, {:>4.1}% of normal demand unmet on average, price peaks at {:.1}x (median)",
            r.country,
            100.0 * r.shortfall.probability,
            100.0 * r.shortfall.mean_tonnes / r.shortfall.mean_normal_demand_tonnes,
            r.price.peak_multiple.p50
        );
    }
    println!();
    print!("{}", report.to_table());
    let trial_months = f64::from(result.statistics.trials()) * f64::from(scenario.horizon_months);
    println!(
        "\n{} trials x {} months on {} threads in {:.2} s ({:.0} trial-months/s)",
        result.statistics.trials(),
        scenario.horizon_months,
        result.threads,
        elapsed.as_secs_f64(),
        trial_months / elapsed.as_secs_f64()
    );
    Ok(())
}
