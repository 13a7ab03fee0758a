//! The Monte Carlo engine (MODEL.md sections 2 and 3).
//!
//! [`run`] simulates a scenario's trials in parallel: trial indices are cut
//! into fixed-size batches, threads simulate whole batches, and the trial
//! records are folded into the statistics strictly in trial order. Since each
//! trial's randomness depends on `(seed, trial)` alone, the result is
//! bit-identical whatever the number of threads. [`replay`] runs one trial and
//! keeps its month-by-month trace.
//!
//! ```
//! use shortfall::{engine, Scenario};
//!
//! let scenario = Scenario::from_path("scenarios/export_ban.toml")?;
//! let options = engine::RunOptions { trials: Some(8), ..Default::default() };
//! let result = engine::run(&scenario, &options);
//! assert_eq!(result.statistics.trials(), 8);
//! # Ok::<(), shortfall::ScenarioError>(())
//! ```

// The engine works on flat arrays indexed by country, product and process;
// index loops say what is indexed by what more plainly than zipped iterators.
#![allow(clippy::needless_range_loop)]

mod model;
mod schedule;
mod trade;
mod trial;

use std::ops::Range;

use rayon::prelude::*;

pub use trial::{Ledger, MonthRow};

use crate::scenario::Scenario;
use crate::statistics::{RunStatistics, TrialRecord};
use model::Model;
use trial::{Simulation, Trace};

/// Trials per batch: the unit of parallel work. Fixed, so results never
/// depend on how work is spread.
pub const BATCH_SIZE: u32 = 64;

/// How to run a scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Trials to run (default: the scenario's).
    pub trials: Option<u32>,
    /// Worker threads (default: rayon's, one per core).
    pub threads: Option<usize>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The aggregated statistics.
    pub statistics: RunStatistics,
    /// Threads used.
    pub threads: usize,
}

/// Runs a scenario's trials in parallel and aggregates them.
///
/// `progress` is called from the calling thread with the number of trials done
/// so far, after each group of batches.
pub fn run(scenario: &Scenario, options: &RunOptions) -> RunResult {
    run_with_progress(scenario, options, |_| {})
}

/// [`run`], reporting progress as trials complete.
pub fn run_with_progress(
    scenario: &Scenario,
    options: &RunOptions,
    mut progress: impl FnMut(u32),
) -> RunResult {
    let trials = options.trials.unwrap_or(scenario.trials);
    let model = Model::new(scenario);
    // A pool that cannot be built (no threads to be had) falls back to running
    // on the calling thread: slower, the same result.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.unwrap_or(0))
        .build()
        .ok();
    let threads = pool.as_ref().map_or(1, |p| p.current_num_threads());
    let simulate_batch = |sim: &mut Simulation, batch: u32| -> Vec<TrialRecord> {
        let first = batch * BATCH_SIZE;
        simulate(
            sim,
            scenario,
            &model,
            first..(first + BATCH_SIZE).min(trials),
        )
    };

    let mut statistics = RunStatistics::new(scenario);
    let batches = trials.div_ceil(BATCH_SIZE);
    // Enough batches in flight to keep every thread busy, few enough that the
    // records held at once stay small.
    let group = (threads * 4) as u32;
    let mut start = 0;
    while start < batches {
        let end = (start + group).min(batches);
        let done: Vec<Vec<TrialRecord>> = match &pool {
            Some(pool) => pool.install(|| {
                (start..end)
                    .into_par_iter()
                    .map_init(Simulation::default, simulate_batch)
                    .collect()
            }),
            None => {
                let mut sim = Simulation::default();
                (start..end).map(|b| simulate_batch(&mut sim, b)).collect()
            }
        };
        for record in done.iter().flatten() {
            statistics.add(record);
        }
        progress((end * BATCH_SIZE).min(trials));
        start = end;
    }
    RunResult {
        statistics,
        threads,
    }
}

/// Simulates `trials` in order with one simulation reused from trial to trial,
/// as every batch of a run does.
fn simulate(
    sim: &mut Simulation,
    scenario: &Scenario,
    model: &Model,
    trials: Range<u32>,
) -> Vec<TrialRecord> {
    trials
        .map(|trial| {
            let mut record = TrialRecord::default();
            sim.run(scenario, model, trial, &mut record, None);
            record
        })
        .collect()
}

/// The records of `trials`, simulated on the calling thread exactly as a run's
/// batches simulate them: what each trial contributes to a run's statistics.
pub fn trial_records(scenario: &Scenario, trials: Range<u32>) -> Vec<TrialRecord> {
    simulate(
        &mut Simulation::default(),
        scenario,
        &Model::new(scenario),
        trials,
    )
}

/// One trial, month by month.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The trial's record, as it entered the run's statistics.
    pub record: TrialRecord,
    /// `[month][report entry]` rows (the focus pair last if it is not reported).
    pub rows: Vec<Vec<MonthRow>>,
    /// `[month][product]` world flows, for mass-balance checks.
    pub ledgers: Vec<Vec<Ledger>>,
}

/// Runs trial `trial` alone and keeps its month-by-month trace.
pub fn replay(scenario: &Scenario, trial: u32) -> Replay {
    let model = Model::new(scenario);
    let mut sim = Simulation::default();
    let mut record = TrialRecord::default();
    let mut trace = Trace::default();
    sim.run(scenario, &model, trial, &mut record, Some(&mut trace));
    Replay {
        record,
        rows: trace.rows,
        ledgers: trace.ledgers,
    }
}
