//! The Monte Carlo engine (MODEL.md sections 2 and 3).
//!
//! [`run`] simulates a scenario's trials in parallel: trial indices are cut
//! into fixed-size batches, threads simulate whole batches, and the calling
//! thread folds the trial records into the statistics strictly in trial
//! order as the batches come in. Since each
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

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{mpsc, Arc};

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
    /// Checked between trials and batches: once set, the run stops and
    /// returns the whole batches folded so far (see [`Stop::Cancelled`]).
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
/// trials done so far after each batch.
///
/// The pool's threads take batches in index order and simulate them; the
/// calling thread folds each batch into the statistics as soon as every
/// earlier batch is in, so folding overlaps simulating and no thread waits
/// for a group of batches to end. Precision is judged after each batch in
/// trial order, so where a run stops never depends on the thread count.
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
    let cancel = options.cancel.as_deref();
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let batch_trials = |batch: u32| {
        let first = batch * BATCH_SIZE;
        first..(first + BATCH_SIZE).min(range.end)
    };
    let simulate_batch = |sim: &mut Simulation, batch: u32| -> Vec<TrialRecord> {
        simulate(sim, scenario, &model, batch_trials(batch), cancel)
    };
    let batches = range.start / BATCH_SIZE..range.end.div_ceil(BATCH_SIZE);

    let mut fold = Fold {
        statistics: RunStatistics::new(scenario),
        focus: RunningMoments::default(),
        start: range.start,
        done_trials: range.start,
        precision: options.precision,
        stop: Stop::Complete,
    };
    // Folds one batch, unless the run was cancelled (a batch cut short by a
    // cancellation is discarded whole); false once the run must stop.
    let mut take = |fold: &mut Fold, records: Vec<TrialRecord>| -> bool {
        if cancelled() {
            fold.stop = Stop::Cancelled;
            return false;
        }
        let more = fold.batch(&records);
        progress(fold.done_trials - range.start);
        more
    };
    match &pool {
        // One thread simulates and folds by turns, so that a one-thread run
        // uses one core.
        Some(pool) if threads > 1 => {
            // Batches handed out but not yet folded, at most: enough to keep
            // every thread busy, few enough that the records held stay small.
            let window = (threads * 4) as u32;
            let next = AtomicU32::new(batches.start);
            let folded = AtomicU32::new(batches.start);
            let halt = AtomicBool::new(false);
            let worker = |sender: &mpsc::Sender<(u32, Vec<TrialRecord>)>| {
                let mut sim = Simulation::default();
                loop {
                    let batch = next.fetch_add(1, Ordering::Relaxed);
                    if batch >= batches.end {
                        return;
                    }
                    while batch >= folded.load(Ordering::Acquire) + window {
                        if halt.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    if halt.load(Ordering::Relaxed) || cancelled() {
                        return;
                    }
                    let records = simulate_batch(&mut sim, batch);
                    // The fold has stopped when the receiver is gone.
                    if sender.send((batch, records)).is_err() {
                        return;
                    }
                }
            };
            let (sender, receiver) = mpsc::channel();
            std::thread::scope(|scope| {
                let worker = &worker;
                // Every pool thread works until the batches run out; then
                // the last sender goes, and the fold below sees the end.
                scope.spawn(move || pool.broadcast(|_| worker(&sender)));
                // Batches arrive in any order and are folded in index order.
                let mut pending = BTreeMap::new();
                let mut expected = batches.start;
                'fold: while expected < batches.end {
                    let Ok((batch, records)) = receiver.recv() else {
                        break;
                    };
                    pending.insert(batch, records);
                    while let Some(records) = pending.remove(&expected) {
                        if !take(&mut fold, records) {
                            break 'fold;
                        }
                        expected += 1;
                        folded.store(expected, Ordering::Release);
                    }
                }
                halt.store(true, Ordering::Relaxed);
                drop(receiver);
            });
        }
        _ => {
            let mut sim = Simulation::default();
            for batch in batches {
                // A cancelled run simulates nothing more, and `take` stops.
                let records = simulate_batch(&mut sim, batch);
                if !take(&mut fold, records) {
                    break;
                }
            }
        }
    }
    // Workers that saw a cancellation stop sending, so the fold may end
    // short without having seen it.
    if fold.done_trials < range.end && matches!(fold.stop, Stop::Complete) && cancelled() {
        fold.stop = Stop::Cancelled;
    }
    let Fold {
        statistics,
        focus,
        done_trials,
        mut stop,
        ..
    } = fold;
    if let (Some(_), Stop::Complete) = (options.precision, stop) {
        stop = Stop::PrecisionNotReached {
            relative_error: focus.relative_error(),
        };
    }
    RunResult {
        statistics,
        threads,
        trials: range.start..done_trials,
        stop,
    }
}

/// The statistics of a run so far, fed whole batches in trial order.
struct Fold {
    statistics: RunStatistics,
    focus: RunningMoments,
    /// The first trial of the run (of its shard).
    start: u32,
    /// One past the last trial folded.
    done_trials: u32,
    precision: Option<f64>,
    stop: Stop,
}

impl Fold {
    /// Adds one batch's records; false once the focus outcome has reached
    /// the requested precision (judged from [`MIN_TRIALS_FOR_PRECISION`]
    /// trials on).
    fn batch(&mut self, records: &[TrialRecord]) -> bool {
        for record in records {
            self.statistics.add(record);
            self.focus.add(record.focus);
        }
        self.done_trials += records.len() as u32;
        if let Some(target) = self.precision {
            let run = self.done_trials - self.start;
            if run >= MIN_TRIALS_FOR_PRECISION && self.focus.relative_error() <= target {
                self.stop = Stop::Precision { trials: run };
                return false;
            }
        }
        true
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
