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

#[doc(hidden)]
pub mod bench;
mod model;
mod schedule;
mod trade;
mod trial;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    /// Trials to run (default: the scenario's); with `precision`, the most to run.
    pub trials: Option<u32>,
    /// Worker threads (default: rayon's, one per core).
    pub threads: Option<usize>,
    /// Run only this shard of the trials (see [`Shard`]).
    pub shard: Option<Shard>,
    /// Stop at the first batch boundary where the focus outcome's relative
    /// standard error (standard error of the mean over the mean) is at or below
    /// this; `trials` is then the cap.
    pub precision: Option<f64>,
    /// Checked between groups of batches: once set, the run stops and returns
    /// what it has (see [`Stop::Cancelled`]).
    pub cancel: Option<Arc<AtomicBool>>,
}

/// One of `count` parts of a run's trials, each a contiguous range of whole
/// batches, so that merging the parts' statistics in order gives the single
/// run's statistics exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which part, from 0.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

impl Shard {
    /// The trials of this shard out of `total`.
    ///
    /// ```
    /// use shortfall::engine::Shard;
    /// let parts: Vec<_> = (0..3).map(|index| Shard { index, count: 3 }.trials(1000)).collect();
    /// assert_eq!(parts[0].start, 0);
    /// assert_eq!(parts[2].end, 1000);
    /// assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
    /// ```
    pub fn trials(&self, total: u32) -> Range<u32> {
        let batches = u64::from(total.div_ceil(BATCH_SIZE));
        let count = u64::from(self.count.max(1));
        let index = u64::from(self.index.min(self.count.saturating_sub(1)));
        // Batch boundaries, in u64 so that large runs cannot overflow.
        let first = (batches * index / count) as u32;
        let last = (batches * (index + 1) / count) as u32;
        (first * BATCH_SIZE).min(total)..(last * BATCH_SIZE).min(total)
    }
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// Every requested trial ran.
    Complete,
    /// The focus outcome reached the requested precision after this many trials.
    Precision {
        /// Trials run.
        trials: u32,
    },
    /// The requested precision was not reached within the trial cap.
    PrecisionNotReached {
        /// The relative standard error reached.
        relative_error: f64,
    },
    /// The run was cancelled; the statistics hold the trials completed.
    Cancelled,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The aggregated statistics.
    pub statistics: RunStatistics,
    /// Threads used.
    pub threads: usize,
    /// The trials run.
    pub trials: Range<u32>,
    /// Why the run stopped.
    pub stop: Stop,
}

/// Runs a scenario's trials in parallel and aggregates them.
pub fn run(scenario: &Scenario, options: &RunOptions) -> RunResult {
    run_with_progress(scenario, options, |_| {})
}

/// Precision is judged only from this many trials on: fewer say too little
/// about the spread of the outcome.
const MIN_TRIALS_FOR_PRECISION: u32 = 2 * BATCH_SIZE;

/// [`run`], calling `progress` from the calling thread with the number of
/// trials done so far after each group of batches.
pub fn run_with_progress(
    scenario: &Scenario,
    options: &RunOptions,
    mut progress: impl FnMut(u32),
) -> RunResult {
    let total = options.trials.unwrap_or(scenario.trials);
    let range = options.shard.map_or(0..total, |s| s.trials(total));
    let model = Model::new(scenario);
    // A pool that cannot be built (no threads to be had) falls back to running
    // on the calling thread: slower, the same result.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.unwrap_or(0))
        .build()
        .ok();
    let threads = pool.as_ref().map_or(1, |p| p.current_num_threads());
    let end_trial = range.end;
    let cancel = options.cancel.as_deref();
    let simulate_batch = |sim: &mut Simulation, batch: u32| -> Vec<TrialRecord> {
        let first = batch * BATCH_SIZE;
        let trials = first..(first + BATCH_SIZE).min(end_trial);
        simulate(sim, scenario, &model, trials, cancel)
    };

    let mut statistics = RunStatistics::new(scenario);
    let mut focus = RunningMoments::default();
    let first_batch = range.start / BATCH_SIZE;
    let batches = range.end.div_ceil(BATCH_SIZE);
    // Enough batches in flight to keep every thread busy, few enough that the
    // records held at once stay small.
    let group = (threads * 4) as u32;
    let mut start = first_batch;
    let mut done_trials = range.start;
    let mut stop = Stop::Complete;
    'groups: while start < batches {
        if options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            stop = Stop::Cancelled;
            break;
        }
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
        // A group cut short by a cancellation is discarded whole.
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            stop = Stop::Cancelled;
            break;
        }
        // Folded batch by batch in trial order; precision is judged after each
        // batch, so where a run stops does not depend on the thread count.
        for batch in &done {
            for record in batch {
                statistics.add(record);
                focus.add(record.focus);
            }
            done_trials += batch.len() as u32;
            if let Some(target) = options.precision {
                if done_trials - range.start >= MIN_TRIALS_FOR_PRECISION
                    && focus.relative_error() <= target
                {
                    stop = Stop::Precision {
                        trials: done_trials - range.start,
                    };
                    break 'groups;
                }
            }
        }
        progress(done_trials - range.start);
        start = end;
    }
    if let (Some(_), Stop::Complete) = (options.precision, stop) {
        stop = Stop::PrecisionNotReached {
            relative_error: focus.relative_error(),
        };
    }
    progress(done_trials - range.start);
    RunResult {
        statistics,
        threads,
        trials: range.start..done_trials,
        stop,
    }
}

/// Running mean and variance (Welford) of the focus outcome, for precision
/// stopping.
#[derive(Clone, Copy, Debug, Default)]
struct RunningMoments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl RunningMoments {
    fn add(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }

    /// Standard error of the mean over the mean's magnitude; infinite while it
    /// cannot be judged (fewer than two trials, or a zero mean).
    fn relative_error(&self) -> f64 {
        if self.n < 2.0 || self.mean == 0.0 {
            return f64::INFINITY;
        }
        let sd = (self.m2 / (self.n - 1.0)).max(0.0).sqrt();
        sd / self.n.sqrt() / self.mean.abs()
    }
}

/// Simulates `trials` in order with one simulation reused from trial to trial,
/// as every batch of a run does.
fn simulate(
    sim: &mut Simulation,
    scenario: &Scenario,
    model: &Model,
    trials: Range<u32>,
    cancel: Option<&AtomicBool>,
) -> Vec<TrialRecord> {
    // Checked between trials, so a cancellation is felt within one trial.
    trials
        .map_while(|trial| {
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return None;
            }
            let mut record = TrialRecord::default();
            sim.run(scenario, model, trial, &mut record, None);
            Some(record)
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
        None,
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
