//! Entry points for the benchmarks in `benches/` (not a stable API).
//!
//! The engine's month loop and trade allocation are private; these wrappers
//! let criterion time them on real states: one month of a trial in mid-run
//! ([`Month`]), and the trade allocations of one month captured from a real
//! run ([`TradeCase`]).

use std::sync::Arc;

use super::model::Model;
use super::trade::{Links, Trader};
use super::trial::Simulation;
use crate::distributions::TrialRng;
use crate::scenario::Scenario;
use crate::statistics::TrialRecord;

/// One trial of a scenario stopped at the start of a month, ready to run that
/// month. Cloning it snapshots the whole state, so a benchmark can run the
/// same month again and again.
#[derive(Clone)]
pub struct Month {
    scenario: Arc<Scenario>,
    model: Arc<Model>,
    sim: Simulation,
    record: TrialRecord,
    rng: TrialRng,
    t: u32,
}

impl Month {
    /// Trial `trial` of `scenario`, with months `0..month` run.
    ///
    /// # Panics
    /// If `month` is not within the scenario's horizon.
    pub fn new(scenario: &Scenario, trial: u32, month: u32) -> Month {
        assert!(month < scenario.horizon_months, "month beyond the horizon");
        let model = Model::new(scenario);
        let mut sim = Simulation::default();
        let mut record = TrialRecord::default();
        sim.start(scenario, &model, trial, &mut record);
        let rng = TrialRng::new(scenario.seed, trial);
        for t in 0..month {
            sim.month(scenario, &model, &rng, t, &mut record, None);
        }
        Month {
            scenario: Arc::new(scenario.clone()),
            model: Arc::new(model),
            sim,
            record,
            rng,
            t: month,
        }
    }

    /// The month [`Month::run`] simulates next.
    pub fn month(&self) -> u32 {
        self.t
    }

    /// Runs the next month (every product's production, trade and prices),
    /// returning a price of the focus pair so the work cannot be optimised away.
    /// Past the horizon the trial starts again from month 0.
    pub fn run(&mut self) -> f64 {
        if self.t >= self.scenario.horizon_months {
            let trial = self.record.trial;
            self.sim
                .start(&self.scenario, &self.model, trial, &mut self.record);
            self.t = 0;
        }
        self.sim.month(
            &self.scenario,
            &self.model,
            &self.rng,
            self.t,
            &mut self.record,
            None,
        );
        self.t += 1;
        let focus = &self.record.entries[self.model.focus_tracked];
        focus.price_path.last().copied().unwrap_or(0.0)
    }
}

/// What one product's trade starts from: offers `E`, claims `U` and the
/// restrictions on its links.
#[derive(Clone, Debug)]
pub(crate) struct TradeInput {
    pub supply: Vec<f64>,
    pub need: Vec<f64>,
    pub links: Links,
    pub home_weight: f64,
    pub eps: f64,
}

/// The trade allocations of every product in one month of one trial, as the
/// engine met them, to be replayed on their own.
#[derive(Clone, Debug)]
pub struct TradeCase {
    inputs: Vec<TradeInput>,
    trader: Trader,
    supply: Vec<f64>,
    need: Vec<f64>,
    links: Links,
}

impl TradeCase {
    /// Captures the trades of month `month` of trial `trial`.
    ///
    /// # Panics
    /// If `month` is not within the scenario's horizon.
    pub fn capture(scenario: &Scenario, trial: u32, month: u32) -> TradeCase {
        let mut state = Month::new(scenario, trial, month);
        state.sim.capture = Some(Vec::new());
        state.run();
        let inputs = state.sim.capture.take().unwrap_or_default();
        TradeCase {
            inputs,
            trader: Trader::default(),
            supply: Vec::new(),
            need: Vec::new(),
            links: Links::default(),
        }
    }

    /// Trades captured (one per product).
    pub fn trades(&self) -> usize {
        self.inputs.len()
    }

    /// Total claims left unmet and offers left unsold by the captured trades
    /// as captured (before trading), t.
    pub fn totals(&self) -> (f64, f64) {
        self.inputs.iter().fold((0.0, 0.0), |(s, n), input| {
            (
                s + input.supply.iter().sum::<f64>(),
                n + input.need.iter().sum::<f64>(),
            )
        })
    }

    /// Runs every captured trade once, from its captured inputs; returns the
    /// tonnes shipped.
    pub fn run(&mut self) -> f64 {
        let mut shipped = 0.0;
        for input in &self.inputs {
            self.supply.clone_from(&input.supply);
            self.need.clone_from(&input.need);
            self.links.copy_from(&input.links);
            self.trader.trade(
                &mut self.supply,
                &mut self.need,
                &mut self.links,
                input.home_weight,
                input.eps,
            );
            shipped += input.need.iter().sum::<f64>() - self.need.iter().sum::<f64>();
        }
        shipped
    }
}

/// Whole trials of a scenario, one after another on one simulation, as a
/// run's batches simulate them (draws, months and the trial's record; not the
/// statistics).
pub struct Trials {
    scenario: Scenario,
    model: Model,
    sim: Simulation,
    record: TrialRecord,
}

impl Trials {
    /// Ready to run trials of `scenario`.
    pub fn new(scenario: &Scenario) -> Trials {
        Trials {
            scenario: scenario.clone(),
            model: Model::new(scenario),
            sim: Simulation::default(),
            record: TrialRecord::default(),
        }
    }

    /// Months per trial.
    pub fn months(&self) -> u32 {
        self.scenario.horizon_months
    }

    /// Runs trial `trial`; returns its focus outcome.
    pub fn run(&mut self, trial: u32) -> f64 {
        self.sim
            .run(&self.scenario, &self.model, trial, &mut self.record, None);
        self.record.focus
    }
}
