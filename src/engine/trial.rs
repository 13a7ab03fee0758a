//! One trial, month by month (MODEL.md section 2).
//!
//! A [`Simulation`] holds the state of one trial in flat arrays indexed
//! `country * products + product` (or `country * processes + process`) and the
//! scratch space of a month, so running a trial allocates nothing once the
//! buffers have grown. Threads each own one and reuse it trial after trial.

use crate::math;
use std::f64::consts::LN_2;

use super::model::Model;
use super::schedule::Schedule;
use super::trade::{Link, Links, QuotaSet, Trader};
use crate::distributions::TrialRng;
use crate::scenario::{
    DemandChange, Outage, Outcome, Restriction, Scenario, ShockKind, Target, TrialDraw,
};
use crate::statistics::{EntryRecord, TrialRecord};
use crate::world::{CountryProductField as M, PlantField, ProductField as P, WorldValues};

/// Unserved demand above this share of the month's demand makes a month short.
const SHORT_MONTH: f64 = 0.01;
/// Served at or above this share of demand counts as recovered...
const RECOVERED_SERVED: f64 = 0.95;
/// ...for this many months in a row.
const RECOVERED_MONTHS: u32 = 3;

/// One month of one country and product, as `shortfall replay` prints it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MonthRow {
    /// Month, from 0.
    pub month: u32,
    /// Output of the country's processes, t.
    pub output_t: f64,
    /// Offered to the market (output plus stock above target), t.
    pub offered_t: f64,
    /// Final demand claimed, t.
    pub demand_t: f64,
    /// Final demand without the price response, t.
    pub normal_demand_t: f64,
    /// Input claims of the country's processes, t.
    pub input_claim_t: f64,
    /// Restocking claims (and stockpile purchases), t.
    pub restock_claim_t: f64,
    /// Received from all suppliers (own output included), t.
    pub received_t: f64,
    /// Drawn from commercial stock and the stockpile, t.
    pub drawn_t: f64,
    /// Final demand served, t.
    pub served_t: f64,
    /// Final demand not served, t.
    pub unserved_t: f64,
    /// Commercial stock at the end of the month, t.
    pub stock_t: f64,
    /// Strategic stockpile at the end of the month, t.
    pub stockpile_t: f64,
    /// The price multiple buyers pay for the month (`m(t+1)`, tariffs included).
    pub price_multiple: f64,
}

/// The world's flows of one product in one month, for mass-balance checks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ledger {
    /// Made by processes, t.
    pub produced_t: f64,
    /// Final demand served, t.
    pub served_t: f64,
    /// Consumed as process input, t.
    pub consumed_t: f64,
    /// Put into stockpiles from outside the market (a scenario's initial tonnes), t.
    pub injected_t: f64,
    /// Change of commercial stocks plus stockpiles, t.
    pub stock_change_t: f64,
}

impl Ledger {
    /// `produced + injected - served - consumed - stock change`: zero when mass
    /// is conserved.
    pub fn imbalance(&self) -> f64 {
        self.produced_t + self.injected_t - self.served_t - self.consumed_t - self.stock_change_t
    }
}

/// What a month-by-month trace collects, when asked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trace {
    /// `[month][tracked pair]`.
    pub rows: Vec<Vec<MonthRow>>,
    /// `[month][product]`.
    pub ledgers: Vec<Vec<Ledger>>,
}

/// Per-pair running tallies for the record.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    first_short: Option<u32>,
    good_run: u32,
}

/// The state and scratch space of one trial.
#[derive(Clone, Default)]
pub(crate) struct Simulation {
    /// When set, every trade's inputs are kept here (benchmarks only).
    pub capture: Option<Vec<super::bench::TradeInput>>,
    draw: TrialDraw,
    schedule: Schedule,
    base: Option<WorldValues>,
    values: Option<WorldValues>,
    // State, `c * np + p`.
    stock: Vec<f64>,
    stockpile: Vec<f64>,
    b: Vec<f64>,
    delta: Vec<f64>,
    /// `exp(b + delta)`, the price multiple `m`, kept beside its logs so that
    /// it is computed once per month where it changes.
    m: Vec<f64>,
    ln_pbar: Vec<f64>,
    /// Tonnes mined so far: reserves left are the `reserves` figure (as a
    /// `set` shock may override it) less this.
    mined: Vec<f64>,
    paid_factor: Vec<f64>,
    demand_level: Vec<f64>,
    // Month scratch, `c * nj + j`.
    cap_change: Vec<f64>,
    survive: Vec<f64>,
    /// Running capacity `cap(t) avail (1 - outage) / 12`.
    run: Vec<f64>,
    /// Normal throughput `cap(t) avail / 12`, for `N(t)`.
    normal_now: Vec<f64>,
    /// Normal throughput of month t+1 with month t's shocks, for `T(t+1)`.
    normal_next: Vec<f64>,
    curtail: Vec<f64>,
    throughput: Vec<f64>,
    // `(c * nj + j) * np + p`: input allocated to a process this month.
    allocated: Vec<f64>,
    // `c * np + p`.
    output: Vec<f64>,
    demand_mult: Vec<f64>,
    /// Demand growth added to `g` by shocks in force this month.
    growth_extra: Vec<f64>,
    /// What the demand level grows by from this month to the next beyond
    /// the trend, `((1 + g + extra) / (1 + g))^(1/12)`: 1 without growth
    /// shocks.
    level_step: Vec<f64>,
    stockpile_buy: Vec<f64>,
    release_fill: Vec<f64>,
    release_max: Vec<f64>,
    injected: Vec<f64>,
    // Per country, one product at a time.
    supply: Vec<f64>,
    need: Vec<f64>,
    offered: Vec<f64>,
    demand: Vec<f64>,
    normal_demand: Vec<f64>,
    at_dmin: Vec<bool>,
    inputs_claim: Vec<f64>,
    restock_claim: Vec<f64>,
    buy_claim: Vec<f64>,
    received: Vec<f64>,
    restocked: Vec<f64>,
    drawn: Vec<f64>,
    served: Vec<f64>,
    use_claim: Vec<f64>,
    available: Vec<f64>,
    into_binding: Vec<bool>,
    /// `e * nc + i` for `e < i`: the pair is not linked in a pool.
    blocked: Vec<bool>,
    pool: Vec<usize>,
    /// Active countries not yet in a pool, and those reached by a pool's
    /// search whose links are still to follow.
    unpooled: Vec<usize>,
    reached: Vec<usize>,
    pool_k: Vec<f64>,
    pool_a: Vec<f64>,
    pool_kb: Vec<f64>,
    pool_b: Vec<f64>,
    pool_n: Vec<f64>,
    // Links of one product.
    links: Links,
    trader: Trader,
    ask0: Vec<f64>,
    tariff: Vec<f64>,
    // Per restricted pair and country: what it would ask of the exporter in
    // month 0 with no restriction in force.
    customer_weight: Vec<Vec<f64>>,
    tallies: Vec<Tally>,
    pair_month: Vec<PairMonth>,
    /// Growth factors of the month, by rate.
    growth: Growth,
    /// Per country, for the product being traded: `min(1, m^-e_short)`.
    cut: Vec<f64>,
    /// Per country and user of the product being traded (`c * nj + u`, `u`
    /// the position in `Model::users`): the process's input claim.
    input_claims: Vec<f64>,
    /// Whether `tariff` holds a rate anywhere.
    tariffs: bool,
    /// Whether a capacity, outage, demand or stockpile shock wrote this
    /// month's shock arrays (else they hold their neutral values).
    shocked: bool,
    /// Per cell, this month: whether a plant of the country that can run,
    /// now or next month, uses the product.
    uses: Vec<bool>,
    /// Per country, for the product being traded: whether it offers or
    /// claims anything (if not, every flow of the trade is zero for it).
    live: Vec<bool>,
    /// Per product: `m_min`, `m_max` and their logs, as last computed.
    ln_bounds: Vec<[f64; 4]>,
}

/// The growth factors `(1 + g)^(t/12)` of one month and the next, for the few
/// distinct rates a world uses (every capacity and demand of the default
/// world grows at one rate): an `exp` per rate and month instead of one per
/// plant and market.
#[derive(Clone, Debug, Default)]
struct Growth {
    months: f64,
    /// `(g as bits, factor at months, factor at months + 1)`.
    rates: Vec<(u64, f64, f64)>,
}

impl Growth {
    /// Distinct rates remembered per month; more are computed each time.
    const CAPACITY: usize = 16;

    fn start_month(&mut self, months: f64) {
        self.months = months;
        self.rates.clear();
    }

    /// `growth_factor(g, months)`, the same number, remembered.
    #[inline]
    fn factor(&mut self, g: f64, months: f64) -> f64 {
        if g == 0.0 {
            return 1.0;
        }
        let next = if months == self.months {
            false
        } else if months == self.months + 1.0 {
            true
        } else {
            return growth_factor(g, months);
        };
        let bits = g.to_bits();
        let hit = self.rates.iter().find(|r| r.0 == bits);
        let (now, later) = match hit {
            Some(&(_, now, later)) => (now, later),
            None => {
                let entry = (
                    bits,
                    growth_factor(g, self.months),
                    growth_factor(g, self.months + 1.0),
                );
                if self.rates.len() < Self::CAPACITY {
                    self.rates.push(entry);
                }
                (entry.1, entry.2)
            }
        };
        if next {
            later
        } else {
            now
        }
    }
}

/// What a tracked pair saw this month, kept while other products trade.
#[derive(Clone, Copy, Debug, Default)]
struct PairMonth {
    demand: f64,
    normal_demand: f64,
    served: f64,
    idle_input: f64,
}

impl Simulation {
    /// Runs trial `trial` into `record`; fills `trace` month by month when given.
    pub fn run(
        &mut self,
        scenario: &Scenario,
        model: &Model,
        trial: u32,
        record: &mut TrialRecord,
        mut trace: Option<&mut Trace>,
    ) {
        self.start(scenario, model, trial, record);
        let rng = TrialRng::new(scenario.seed, trial);
        for t in 0..scenario.horizon_months {
            self.month(scenario, model, &rng, t, record, trace.as_deref_mut());
        }
        self.finish(scenario, model, record);
    }

    pub(super) fn start(
        &mut self,
        scenario: &Scenario,
        model: &Model,
        trial: u32,
        record: &mut TrialRecord,
    ) {
        let (nc, np, nj) = (model.nc, model.np, model.nj);
        scenario.draw_into(trial, &mut self.draw);
        self.schedule.reset(scenario, &self.draw);

        // The trial's world: central figures with the uncertain ones drawn.
        let base = self
            .base
            .get_or_insert_with(|| scenario.world.central_values());
        for (i, parameter) in scenario.parameters.iter().enumerate() {
            if let Target::World(field) = parameter.target {
                base.set(field, self.draw.values[i]);
            }
        }

        let cells = nc * np;
        for v in [
            &mut self.stockpile,
            &mut self.b,
            &mut self.delta,
            &mut self.ln_pbar,
        ] {
            v.clear();
            v.resize(cells, 0.0);
        }
        self.m.clear();
        // exp(0 + 0)
        self.m.resize(cells, 1.0);
        self.cut.clear();
        self.cut.resize(nc, 1.0);
        self.input_claims.clear();
        self.input_claims.resize(nc * nj, 0.0);
        self.uses.clear();
        self.uses.resize(cells, false);
        self.live.clear();
        self.live.resize(nc, true);
        self.tariffs = true;
        self.shocked = true;
        self.ln_bounds.clear();
        self.ln_bounds.resize(np, [f64::NAN; 4]);
        self.paid_factor.clear();
        self.paid_factor.resize(cells, 1.0);
        self.demand_level.clear();
        self.demand_level.resize(cells, 1.0);
        self.level_step.clear();
        self.level_step.resize(cells, 1.0);
        self.mined.clear();
        self.mined.resize(cells, 0.0);
        for v in [
            &mut self.cap_change,
            &mut self.survive,
            &mut self.run,
            &mut self.normal_now,
            &mut self.normal_next,
            &mut self.curtail,
            &mut self.throughput,
        ] {
            v.clear();
            v.resize(nc * nj, 0.0);
        }
        self.allocated.clear();
        self.allocated.resize(nc * nj * np, 0.0);
        for v in [
            &mut self.output,
            &mut self.demand_mult,
            &mut self.growth_extra,
            &mut self.stockpile_buy,
            &mut self.release_fill,
            &mut self.release_max,
            &mut self.injected,
        ] {
            v.clear();
            v.resize(cells, 0.0);
        }
        for v in [
            &mut self.supply,
            &mut self.need,
            &mut self.offered,
            &mut self.demand,
            &mut self.normal_demand,
            &mut self.inputs_claim,
            &mut self.restock_claim,
            &mut self.buy_claim,
            &mut self.received,
            &mut self.restocked,
            &mut self.drawn,
            &mut self.served,
            &mut self.use_claim,
            &mut self.available,
            &mut self.pool_k,
            &mut self.pool_a,
            &mut self.pool_kb,
            &mut self.pool_b,
            &mut self.pool_n,
        ] {
            v.clear();
            v.resize(nc, 0.0);
        }
        self.at_dmin.clear();
        self.at_dmin.resize(nc, false);
        self.into_binding.clear();
        self.into_binding.resize(nc, false);
        self.pool.clear();
        self.pool.resize(nc, 0);
        self.ask0.clear();
        self.ask0.resize(nc * nc, 0.0);
        self.tariff.clear();
        self.tariff.resize(nc * nc, 0.0);
        self.customer_weight
            .resize_with(model.restricted_pairs.len(), Vec::new);
        for w in &mut self.customer_weight {
            w.clear();
            w.resize(nc, 0.0);
        }
        self.tallies.clear();
        self.tallies.resize(model.tracked.len(), Tally::default());
        self.pair_month.clear();
        self.pair_month
            .resize(model.tracked.len(), PairMonth::default());

        // Commercial stocks start at their targets T(0).
        if let Some(base) = &self.base {
            copy_values(&mut self.values, base);
        }
        self.apply_shocks(scenario, model, 0);
        self.stock.clear();
        self.stock.resize(cells, 0.0);
        if let Some(values) = self.values.take() {
            for c in 0..nc {
                for p in 0..np {
                    let target = self.stock_target(model, &values, c, p, 0.0);
                    self.stock[c * np + p] = target;
                }
            }
            self.values = Some(values);
        }

        record.trial = trial;
        record.entries.clear();
        record
            .entries
            .resize(model.tracked.len(), EntryRecord::default());
        for e in &mut record.entries {
            e.price_path.clear();
            e.price_path.reserve(scenario.horizon_months as usize);
        }
        record.uncertain_values.clear();
        record
            .uncertain_values
            .extend(model.uncertain.iter().map(|&i| self.draw.values[i]));
        record.split_gaps.clear();
        record.split_gaps.resize(model.restricted_pairs.len(), 0.0);
        let rows = model.share_rows();
        for shares in [&mut record.shares_first, &mut record.shares_last] {
            shares.resize(rows, Vec::new());
            shares.truncate(rows);
            for row in shares.iter_mut() {
                row.clear();
                row.resize(nc, 0.0);
            }
        }
    }

    /// Applies the shocks in force in month `t`: `set` overrides, capacity
    /// changes, outages, demand changes and stockpile policies.
    fn apply_shocks(&mut self, scenario: &Scenario, model: &Model, t: u32) {
        let (nc, np, nj) = (model.nc, model.np, model.nj);
        let draw = &self.draw;
        let windows = &self.schedule.windows;
        let (Some(values), Some(base)) = (self.values.as_mut(), self.base.as_ref()) else {
            return;
        };
        // `set` overrides: restore the base, then apply those in force.
        for shock in &scenario.shocks {
            if let ShockKind::Set { field, .. } = shock.kind {
                values.set(field, base.get(field));
            }
        }
        for (i, shock) in scenario.shocks.iter().enumerate() {
            if let ShockKind::Set { field, value } = shock.kind {
                if windows[i].share(t) > 0.0 {
                    values.set(field, draw.values[value.0]);
                }
            }
        }

        let months = f64::from(t);
        self.growth.start_month(months);
        // The shocks' arrays hold their neutral values unless a shock wrote
        // them last month.
        if self.shocked {
            self.cap_change.iter_mut().for_each(|x| *x = 0.0);
            self.survive.iter_mut().for_each(|x| *x = 1.0);
            self.demand_mult.iter_mut().for_each(|x| *x = 1.0);
            self.growth_extra.iter_mut().for_each(|x| *x = 0.0);
            self.level_step.iter_mut().for_each(|x| *x = 1.0);
            self.stockpile_buy.iter_mut().for_each(|x| *x = 0.0);
            self.release_fill
                .iter_mut()
                .for_each(|x| *x = f64::NEG_INFINITY);
            self.release_max.iter_mut().for_each(|x| *x = f64::INFINITY);
            self.injected.iter_mut().for_each(|x| *x = 0.0);
            self.shocked = false;
        }
        for (i, shock) in scenario.shocks.iter().enumerate() {
            let s = windows[i].share(t);
            if s <= 0.0 {
                continue;
            }
            if !matches!(
                shock.kind,
                ShockKind::ExportRestriction { .. } | ShockKind::Set { .. }
            ) {
                self.shocked = true;
            }
            match &shock.kind {
                ShockKind::Capacity {
                    country,
                    process,
                    change_tpa,
                } => self.cap_change[country * nj + process] += s * draw.values[change_tpa.0],
                ShockKind::Outage {
                    country,
                    process,
                    outage,
                } => {
                    let loss = match outage {
                        Outage::Loss(loss) => s * draw.values[loss.0],
                        Outage::Random { .. } => self.schedule.random_loss[i],
                    };
                    self.survive[country * nj + process] *= 1.0 - loss.clamp(0.0, 1.0);
                }
                ShockKind::Demand {
                    countries,
                    product,
                    change,
                } => {
                    for &c in countries {
                        match change {
                            DemandChange::Multiplier(m) => {
                                let m = draw.values[m.0];
                                self.demand_mult[c * np + product] *= 1.0 + s * (m - 1.0);
                            }
                            DemandChange::Growth(g) => {
                                self.growth_extra[c * np + product] += s * draw.values[g.0];
                            }
                        }
                    }
                }
                ShockKind::Stockpile {
                    country,
                    product,
                    tonnes,
                    buy_tpa,
                    release_below_fill,
                    max_release_tpm,
                } => {
                    let cell = country * np + product;
                    if windows[i].starts_at(t) {
                        if let Some(tonnes) = tonnes {
                            self.injected[cell] += draw.values[tonnes.0];
                        }
                    }
                    if let Some(buy) = buy_tpa {
                        self.stockpile_buy[cell] += s * draw.values[buy.0] / 12.0;
                    }
                    if let Some(fill) = release_below_fill {
                        self.release_fill[cell] = self.release_fill[cell].max(draw.values[fill.0]);
                    }
                    if let Some(max) = max_release_tpm {
                        self.release_max[cell] = self.release_max[cell].min(draw.values[max.0]);
                    }
                }
                ShockKind::ExportRestriction { .. } | ShockKind::Set { .. } => {}
            }
        }
        // Growth shocks add to `g`: demand grows by `(1 + g + extra)^(1/12)`
        // a month instead of `(1 + g)^(1/12)`, so the level beyond the trend
        // grows by their ratio.
        if self.shocked {
            for (cell, (&extra, step)) in self
                .growth_extra
                .iter()
                .zip(self.level_step.iter_mut())
                .enumerate()
            {
                if extra != 0.0 {
                    let base = 1.0 + values.market[cell][M::G as usize];
                    if base > 0.0 {
                        *step = math::powf((base + extra).max(0.0) / base, 1.0 / 12.0);
                    }
                }
            }
        }

        // Running capacity `cap(t) avail (1 - outage) / 12`, and the normal
        // throughput of this month and the next for `N(t)` and `T(t+1)`.
        for c in 0..nc {
            for j in 0..nj {
                let k = c * nj + j;
                let cap0 = values.plant_field(c, j, PlantField::Cap0);
                let growth = values.plant_field(c, j, PlantField::Growth);
                let avail = values.plant_field(c, j, PlantField::Avail);
                if cap0 == 0.0 && self.cap_change[k] == 0.0 {
                    self.run[k] = 0.0;
                    self.normal_now[k] = 0.0;
                    self.normal_next[k] = 0.0;
                    continue;
                }
                let cap = (cap0 * self.growth.factor(growth, months) + self.cap_change[k]).max(0.0);
                let cap_next =
                    (cap0 * self.growth.factor(growth, months + 1.0) + self.cap_change[k]).max(0.0);
                self.run[k] = cap * avail * self.survive[k] / 12.0;
                self.normal_now[k] = cap * avail / 12.0;
                self.normal_next[k] = cap_next * avail / 12.0;
            }
        }
        self.uses.iter_mut().for_each(|u| *u = false);
        for c in 0..nc {
            for j in 0..nj {
                let k = c * nj + j;
                if self.run[k] != 0.0 || self.normal_now[k] != 0.0 || self.normal_next[k] != 0.0 {
                    for &i in &model.inputs[j] {
                        self.uses[c * np + i] = true;
                    }
                }
            }
        }
    }

    /// Normal use `N_c(t)` of product `p` (MODEL.md section 1), with `t` in
    /// months. (The month loop computes `N(t)` and `N(t+1)` together in
    /// [`Simulation::offers_and_claims`].)
    fn normal_use(
        &mut self,
        model: &Model,
        values: &WorldValues,
        c: usize,
        p: usize,
        t: f64,
    ) -> f64 {
        let normal_run = &self.normal_now;
        let d_ref = values.market_field(c, p, M::DRef);
        let g = values.market_field(c, p, M::G);
        let level = self.demand_level[c * model.np + p];
        let inputs: f64 = model.users[p]
            .iter()
            .map(|&j| normal_run[c * model.nj + j] * values.input_coefficient(j, p))
            .sum();
        d_ref / 12.0 * self.growth.factor(g, t) * level + inputs
    }

    fn stock_target(
        &mut self,
        model: &Model,
        values: &WorldValues,
        c: usize,
        p: usize,
        t: f64,
    ) -> f64 {
        values.market_field(c, p, M::Cover) * self.normal_use(model, values, c, p, t)
    }

    pub(super) fn month(
        &mut self,
        scenario: &Scenario,
        model: &Model,
        rng: &TrialRng,
        t: u32,
        record: &mut TrialRecord,
        trace: Option<&mut Trace>,
    ) {
        let (nc, np, nj) = (model.nc, model.np, model.nj);
        self.schedule
            .advance(scenario, &self.draw, rng, &model.outage_streams, t);
        self.apply_shocks(scenario, model, t);
        // Taken out for the month and put back at its end, so that `self` can
        // be borrowed mutably beside it. (Set in `start`, before any month.)
        let Some(values) = self.values.take() else {
            return;
        };
        // Ledgers are kept for traces (replay and tests) and, in debug builds,
        // for the engine's own invariant checks; a release run's months
        // allocate nothing.
        let mut ledgers = Vec::new();
        let mut stock_before = Vec::new();
        let keep_ledgers = trace.is_some() || cfg!(debug_assertions);
        if keep_ledgers {
            ledgers.resize(np, Ledger::default());
            stock_before.extend((0..np).map(|p| {
                (0..nc)
                    .map(|c| self.stock[c * np + p] + self.stockpile[c * np + p])
                    .sum::<f64>()
            }));
        }
        if self.shocked {
            for c in 0..nc {
                for p in 0..np {
                    let cell = c * np + p;
                    self.stockpile[cell] += self.injected[cell];
                    if let Some(ledger) = ledgers.get_mut(p) {
                        ledger.injected_t += self.injected[cell];
                    }
                }
            }
        }

        self.output.iter_mut().for_each(|x| *x = 0.0);
        self.throughput.iter_mut().for_each(|x| *x = 0.0);
        // `allocated` is zero here: every input allocated in a month is taken
        // up by `produce` later that month (a product's users sit at higher
        // levels than its makers).
        debug_assert!(self.allocated.iter().all(|&x| x == 0.0));
        let mut rows = trace
            .as_ref()
            .map(|_| vec![MonthRow::default(); model.tracked.len()]);

        // Producers curtail when output is cheap: `min(1, v^e_supply)`.
        for c in 0..nc {
            for j in 0..nj {
                let k = c * nj + j;
                // Curtailment only ever multiplies running capacity.
                self.curtail[k] = if self.run[k] == 0.0 {
                    1.0
                } else {
                    self.curtailment(model, &values, c, j)
                };
            }
        }

        // Level by level: produce, then trade what that level finished making.
        // A world whose processes all sit at level 0 (or none) still trades
        // after level 0, so `traded_after` may be longer than `levels`.
        for level in 0..model.traded_after.len() {
            for &j in model.levels.get(level).map_or(&[][..], |l| &l[..]) {
                for c in 0..nc {
                    // A plant that cannot run makes nothing and was
                    // allocated nothing.
                    if self.run[c * nj + j] != 0.0 {
                        self.produce(model, &values, c, j, &mut ledgers);
                    }
                }
            }
            for &p in &model.traded_after[level] {
                let z = rng.standard_normal(model.noise_streams[p], t);
                self.trade_product(
                    scenario,
                    model,
                    &values,
                    t,
                    p,
                    z,
                    &mut ledgers,
                    rows.as_deref_mut(),
                );
            }
        }

        // Demand growth shocks: the level reached stays.
        if self.shocked {
            for (level, &step) in self.demand_level.iter_mut().zip(&self.level_step) {
                *level *= step;
            }
        }

        self.record_month(scenario, model, &values, t, record);
        self.values = Some(values);
        for (p, ledger) in ledgers.iter_mut().enumerate() {
            let after: f64 = (0..nc)
                .map(|c| self.stock[c * np + p] + self.stockpile[c * np + p])
                .sum();
            ledger.stock_change_t = after - stock_before[p];
        }
        if cfg!(debug_assertions) {
            self.check_invariants(model, t, &ledgers);
        }
        if let Some(trace) = trace {
            if let Some(mut rows) = rows {
                for (k, &(c, p)) in model.tracked.iter().enumerate() {
                    rows[k].month = t;
                    rows[k].stock_t = self.stock[c * np + p];
                    rows[k].stockpile_t = self.stockpile[c * np + p];
                    rows[k].price_multiple = self.paid_price(c * np + p);
                }
                trace.rows.push(rows);
            }
            trace.ledgers.push(ledgers);
        }
    }

    /// The engine's own checks, run in debug builds after every month: mass is
    /// conserved for every product (production plus stock drawn equals what was
    /// delivered, used as input and added to stock), stocks and stockpiles are
    /// not negative, and every price is finite and positive. A failure is a bug
    /// in the engine, whatever the input, so it panics with what it found.
    fn check_invariants(&self, model: &Model, t: u32, ledgers: &[Ledger]) {
        for (p, ledger) in ledgers.iter().enumerate() {
            let scale = model.scale[p]
                .max(ledger.produced_t)
                .max(ledger.served_t)
                .max(ledger.injected_t);
            debug_assert!(
                ledger.imbalance().abs() <= 1e-9 * scale,
                "month {t}, product {p}: mass not conserved: {ledger:?}"
            );
        }
        let np = model.np;
        for (cell, (&stock, &stockpile)) in self.stock.iter().zip(&self.stockpile).enumerate() {
            let tolerance = 1e-9 * model.scale[cell % np];
            debug_assert!(
                stock >= -tolerance && stockpile >= -tolerance,
                "month {t}, cell {cell}: negative stock {stock} or stockpile {stockpile}"
            );
            let ln_m = self.b[cell] + self.delta[cell];
            debug_assert!(ln_m.is_finite(), "month {t}, cell {cell}: price {ln_m}");
        }
    }

    /// `min(1, v^e_supply)` for process `j` in country `c`, with `v` the
    /// value-weighted price multiple of its outputs there and `e_supply` their
    /// value-weighted supply elasticity (MODEL.md gives one per product; a
    /// process with co-products needs one number, and weighting by value is
    /// the choice that keeps a by-product from driving its main product).
    fn curtailment(&self, model: &Model, values: &WorldValues, c: usize, j: usize) -> f64 {
        let (mut value, mut weighted, mut elasticity) = (0.0, 0.0, 0.0);
        for &o in &model.outputs[j] {
            let w = values.output_coefficient(j, o) * values.product_field(o, P::PRef);
            let m = self.m[c * model.np + o];
            value += w;
            weighted += w * m;
            elasticity += w * values.product_field(o, P::ESupply);
        }
        if value <= 0.0 {
            return 1.0;
        }
        let v = weighted / value;
        let e = elasticity / value;
        if v >= 1.0 && e >= 0.0 {
            // `v^e >= 1`.
            return 1.0;
        }
        // `v^e = exp(e ln v)`; with one output `ln v` is its log price
        // `b + delta`, known without a logarithm (most processes have one).
        let ln_v = match model.outputs[j][..] {
            [o] => self.b[c * model.np + o] + self.delta[c * model.np + o],
            _ => math::ln(v),
        };
        math::exp(e * ln_v).min(1.0)
    }

    fn produce(
        &mut self,
        model: &Model,
        values: &WorldValues,
        c: usize,
        j: usize,
        ledgers: &mut [Ledger],
    ) {
        let (np, nj) = (model.np, model.nj);
        let k = c * nj + j;
        let mut q = self.run[k] * self.curtail[k];
        if model.mining[j] {
            for &o in &model.outputs[j] {
                let b = values.output_coefficient(j, o);
                if b > 0.0 {
                    let reserves = values.market_field(c, o, M::Reserves);
                    q = q.min((reserves - self.mined[c * np + o]).max(0.0) / b);
                }
            }
        } else {
            for &i in &model.inputs[j] {
                let a = values.input_coefficient(j, i);
                if a > 0.0 {
                    q = q.min(self.allocated[k * np + i] / a);
                }
            }
        }
        let q = q.max(0.0);
        self.throughput[k] = q;
        for &o in &model.outputs[j] {
            let made = q * values.output_coefficient(j, o);
            self.output[c * np + o] += made;
            if let Some(ledger) = ledgers.get_mut(o) {
                ledger.produced_t += made;
            }
            if model.mining[j] {
                self.mined[c * np + o] += made;
            }
        }
        // Inputs allocated but not used return to the country's stock.
        for &i in &model.inputs[j] {
            let used = q * values.input_coefficient(j, i);
            let left = (self.allocated[k * np + i] - used).max(0.0);
            self.stock[c * np + i] += left;
            if let Some(ledger) = ledgers.get_mut(i) {
                ledger.consumed_t += used.min(self.allocated[k * np + i]);
            }
            self.allocated[k * np + i] = 0.0;
        }
    }

    /// The price multiple buyers in cell `c * np + p` pay: `m` times the
    /// tariff factor.
    fn paid_price(&self, cell: usize) -> f64 {
        self.m[cell] * self.paid_factor[cell]
    }

    /// Steps 2 and 3 for product `p`: every country's offer `E` and claims
    /// `U` (final demand, inputs, restocking, stockpile purchases).
    ///
    /// The arrays are borrowed as plain slices up front, so the loop keeps
    /// their addresses in registers and checks their bounds once.
    fn offers_and_claims(
        &mut self,
        model: &Model,
        values: &WorldValues,
        p: usize,
        months: f64,
        noise: f64,
        [e_short, e_long, d_min, d_max]: [f64; 4],
    ) {
        let (nc, np, nj) = (model.nc, model.np, model.nj);
        let users = &model.users[p];
        let cells = nc * np;
        let Simulation {
            stock,
            b,
            delta,
            ln_pbar,
            paid_factor,
            demand_level,
            level_step,
            run,
            normal_now,
            normal_next,
            curtail,
            output,
            demand_mult,
            stockpile_buy,
            supply,
            need,
            offered,
            demand,
            normal_demand,
            at_dmin,
            inputs_claim,
            restock_claim,
            buy_claim,
            growth,
            cut: cuts,
            input_claims,
            uses,
            live,
            ..
        } = self;
        let (stock, b, delta, ln_pbar, paid_factor, demand_level) = (
            &mut stock[..cells],
            &b[..cells],
            &delta[..cells],
            &ln_pbar[..cells],
            &paid_factor[..cells],
            &demand_level[..cells],
        );
        let level_step = &level_step[..cells];
        let (output, demand_mult, stockpile_buy, uses) = (
            &output[..cells],
            &demand_mult[..cells],
            &stockpile_buy[..cells],
            &uses[..cells],
        );
        let plants = nc * nj;
        let (run, normal_now, normal_next, curtail) = (
            &run[..plants],
            &normal_now[..plants],
            &normal_next[..plants],
            &curtail[..plants],
        );
        let (supply, need, offered, demand, normal_demand, at_dmin) = (
            &mut supply[..nc],
            &mut need[..nc],
            &mut offered[..nc],
            &mut demand[..nc],
            &mut normal_demand[..nc],
            &mut at_dmin[..nc],
        );
        let (inputs_claim, restock_claim, buy_claim, cuts, live) = (
            &mut inputs_claim[..nc],
            &mut restock_claim[..nc],
            &mut buy_claim[..nc],
            &mut cuts[..nc],
            &mut live[..nc],
        );
        for c in 0..nc {
            let cell = c * np + p;
            let market = &values.market[cell];
            let d_ref = market[M::DRef as usize];
            let claims = &mut input_claims[c * nj..c * nj + users.len()];
            if d_ref == 0.0
                && !uses[cell]
                && output[cell] == 0.0
                && stock[cell] == 0.0
                && stockpile_buy[cell] == 0.0
            {
                // Nothing to offer, nothing to claim: no demand, no plant
                // using the product, no stock and so no stock target.
                live[c] = false;
                supply[c] = 0.0;
                offered[c] = 0.0;
                at_dmin[c] = false;
                demand[c] = 0.0;
                normal_demand[c] = 0.0;
                cuts[c] = 1.0;
                claims.fill(0.0);
                inputs_claim[c] = 0.0;
                restock_claim[c] = 0.0;
                buy_claim[c] = 0.0;
                need[c] = 0.0;
                continue;
            }
            live[c] = true;
            // Normal use `N(t)` and `N(t+1)` (MODEL.md section 1).
            let g = market[M::G as usize];
            let trend = d_ref / 12.0 * growth.factor(g, months) * demand_level[cell];
            // `T(t+1)` with month t's shocks: growth shocks in force included.
            let trend_next = d_ref / 12.0
                * growth.factor(g, months + 1.0)
                * demand_level[cell]
                * level_step[cell];
            let (mut inputs_now, mut inputs_next) = (-0.0, -0.0);
            for &j in users {
                let a = values.input_coefficient(j, p);
                inputs_now += normal_now[c * nj + j] * a;
                inputs_next += normal_next[c * nj + j] * a;
            }
            let (n_now, n_next) = (trend + inputs_now, trend_next + inputs_next);
            let cover = market[M::Cover as usize];
            let restock = market[M::Restock as usize].max(1.0);
            let (target, target_next) = (cover * n_now, cover * n_next);
            let stock_now = stock[cell];
            let stock_offer = (stock_now - target).max(0.0) / restock;
            stock[cell] -= stock_offer;
            supply[c] = output[cell] + stock_offer;
            offered[c] = supply[c];

            // Powers of prices from their logs: `m^-e = exp(-e ln m)`.
            let ln_m = b[cell] + delta[cell];
            let base_demand = trend * demand_mult[cell] * noise;
            if base_demand == 0.0 {
                // No demand whatever the price response.
                at_dmin[c] = false;
                demand[c] = 0.0;
            } else {
                let factor = paid_factor[cell];
                // `ln 1 = 0`.
                let ln_paid = ln_m + if factor == 1.0 { 0.0 } else { math::ln(factor) };
                let response = math::exp(-e_short * ln_paid - (e_long - e_short) * ln_pbar[cell]);
                at_dmin[c] = base_demand > 0.0 && response <= d_min;
                // `max` then `min` rather than `clamp`, which panics if the
                // bounds cross: parsing keeps them ordered (a `set` that could
                // cross them is refused), and a run must never panic.
                demand[c] = base_demand * response.max(d_min).min(d_max);
            }
            normal_demand[c] = base_demand;
            // `m^-e_short >= 1` where `m <= 1`.
            let cut = if ln_m <= 0.0 && e_short >= 0.0 {
                1.0
            } else {
                math::exp(-e_short * ln_m).min(1.0)
            };
            cuts[c] = cut;
            for (claim, &j) in claims.iter_mut().zip(users) {
                let k = c * nj + j;
                *claim = run[k] * curtail[k] * values.input_coefficient(j, p) * cut;
            }
            let inputs: f64 = claims.iter().sum();
            inputs_claim[c] = inputs;
            restock_claim[c] =
                ((target - stock_now) / restock + target_next - target).max(0.0) * cut;
            buy_claim[c] = stockpile_buy[cell];
            need[c] = demand[c] + inputs + restock_claim[c] + buy_claim[c];
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn trade_product(
        &mut self,
        scenario: &Scenario,
        model: &Model,
        values: &WorldValues,
        t: u32,
        p: usize,
        z: f64,
        ledgers: &mut [Ledger],
        rows: Option<&mut [MonthRow]>,
    ) {
        let (nc, np, nj) = (model.nc, model.np, model.nj);
        let eps = 1e-12 * model.scale[p];
        let months = f64::from(t);
        let e_short = values.product_field(p, P::EShort);
        let e_long = values.product_field(p, P::ELong).max(e_short);
        let sigma = values.product_field(p, P::Sigma);
        let (d_min, d_max) = (
            values.product_field(p, P::DMin),
            values.product_field(p, P::DMax),
        );
        let noise = math::exp(sigma * z - 0.5 * sigma * sigma);

        // Offers and claims.
        self.offers_and_claims(
            model,
            values,
            p,
            months,
            noise,
            [e_short, e_long, d_min, d_max],
        );

        // The split-market gap's weights: what each other country would ask
        // of a restricted exporter in month 0 with no restriction in force
        // (so that a restriction from month 0 still has customers).
        if t == 0 {
            let home_weight = values.product_field(p, P::HomeWeight);
            for (k, &(e, q)) in model.restricted_pairs.iter().enumerate() {
                if q == p {
                    Trader::unrestricted_asks_of(
                        e,
                        &self.supply,
                        &self.need,
                        home_weight,
                        &mut self.customer_weight[k],
                    );
                }
            }
        }

        // Restrictions on this product's links this month.
        self.build_links(scenario, model, values, t, p);
        if let Some(capture) = self.capture.as_mut() {
            capture.push(super::bench::TradeInput {
                supply: self.supply.clone(),
                need: self.need.clone(),
                links: self.links.clone(),
                home_weight: values.product_field(p, P::HomeWeight),
                eps,
            });
        }
        self.trader.trade(
            &mut self.supply,
            &mut self.need,
            &mut self.links,
            values.product_field(p, P::HomeWeight),
            eps,
        );

        self.trader.received(&mut self.received);

        // Stocks cover gaps; receipts and draws are split (MODEL.md steps 5, 6).
        for c in 0..nc {
            let cell = c * np + p;
            if !self.live[c] {
                // Neither offered nor claimed, so neither sold nor received.
                self.use_claim[c] = 0.0;
                self.restocked[c] = 0.0;
                self.drawn[c] = 0.0;
                self.served[c] = 0.0;
                self.available[c] = 0.0;
                continue;
            }
            let unsold = self.supply[c];
            self.stock[cell] += unsold;
            let use_claim = self.demand[c] + self.inputs_claim[c];
            let received = self.received[c];
            self.use_claim[c] = use_claim;
            self.restocked[c] = 0.0;
            self.drawn[c] = 0.0;
            let fraction = if received >= use_claim {
                let rest = received - use_claim;
                let claimed = self.restock_claim[c] + self.buy_claim[c];
                let to_claims = rest.min(claimed);
                let to_stockpile = if claimed > 0.0 {
                    to_claims * self.buy_claim[c] / claimed
                } else {
                    0.0
                };
                self.stockpile[cell] += to_stockpile;
                self.stock[cell] += rest - to_stockpile;
                self.restocked[c] = to_claims;
                1.0
            } else {
                let gap = use_claim - received;
                let stock_before = self.stock[cell];
                let from_stock = stock_before.min(gap);
                self.stock[cell] -= from_stock;
                let mut from_stockpile = 0.0;
                let fill = if use_claim > 0.0 {
                    (received + stock_before) / use_claim
                } else {
                    1.0
                };
                if fill < self.release_fill[cell] {
                    from_stockpile = self.stockpile[cell]
                        .min(gap - from_stock)
                        .min(self.release_max[cell])
                        .max(0.0);
                    self.stockpile[cell] -= from_stockpile;
                }
                self.drawn[c] = from_stock + from_stockpile;
                if use_claim > 0.0 {
                    ((received + self.drawn[c]) / use_claim).min(1.0)
                } else {
                    1.0
                }
            };
            self.served[c] = fraction * self.demand[c];
            if let Some(ledger) = ledgers.get_mut(p) {
                ledger.served_t += self.served[c];
            }
            for (u, &j) in model.users[p].iter().enumerate() {
                let k = c * nj + j;
                self.allocated[k * np + p] = fraction * self.input_claims[c * nj + u];
            }
            self.available[c] = received + unsold - self.restocked[c];
        }
        for (k, &(c, q)) in model.tracked.iter().enumerate() {
            if q == p {
                self.pair_month[k] = PairMonth {
                    demand: self.demand[c],
                    normal_demand: self.normal_demand[c],
                    served: self.served[c],
                    idle_input: self.inputs_claim[c] * (1.0 - self.served_fraction(c)),
                };
            }
        }

        if let Some(rows) = rows {
            for (k, &(c, q)) in model.tracked.iter().enumerate() {
                if q != p {
                    continue;
                }
                let row = &mut rows[k];
                row.output_t = self.output[c * np + p];
                row.offered_t = self.offered[c];
                row.demand_t = self.demand[c];
                row.normal_demand_t = self.normal_demand[c];
                row.input_claim_t = self.inputs_claim[c];
                row.restock_claim_t = self.restock_claim[c] + self.buy_claim[c];
                row.received_t = self.received[c];
                row.drawn_t = self.drawn[c];
                row.served_t = self.served[c];
                row.unserved_t = self.demand[c] - self.served[c];
            }
        }

        self.update_prices(model, p, eps, values);
    }

    /// The share of this country's use claims met this month (1 when it had none).
    fn served_fraction(&self, c: usize) -> f64 {
        if self.demand[c] > 0.0 {
            self.served[c] / self.demand[c]
        } else if self.use_claim[c] > 0.0 {
            ((self.received[c] + self.drawn[c]) / self.use_claim[c]).min(1.0)
        } else {
            1.0
        }
    }

    /// Fills `links` (and `tariff`) with the export restrictions on product `p`
    /// in force in month `t`. Where several restrictions cover one link, the
    /// strictest applies: a ban over a licence over a quota; of two licences,
    /// the smaller allowance.
    fn build_links(
        &mut self,
        scenario: &Scenario,
        model: &Model,
        values: &WorldValues,
        t: u32,
        p: usize,
    ) {
        let nc = model.nc;
        self.links.reset(nc);
        if self.tariffs {
            self.tariff.iter_mut().for_each(|x| *x = 0.0);
            self.tariffs = false;
        }
        let mut asks_ready = false;
        for (i, shock) in scenario.shocks.iter().enumerate() {
            let ShockKind::ExportRestriction {
                from,
                products,
                destinations,
                restriction,
            } = &shock.kind
            else {
                continue;
            };
            let window = self.schedule.windows[i];
            let s = window.share(t);
            if s <= 0.0 || !products.contains(&p) {
                continue;
            }
            let ramped = shock.ramp_months.is_some() && window.ramp > 0.0;
            let approval = match restriction {
                Restriction::Ban if ramped => Some(1.0 - s),
                Restriction::Ban => None,
                Restriction::License {
                    approval,
                    delay_months,
                } => {
                    if window.months_in(t) < self.draw.values[delay_months.0] {
                        Some(0.0)
                    } else {
                        let a = self.draw.values[approval.0];
                        Some(if ramped { 1.0 - s * (1.0 - a) } else { a })
                    }
                }
                Restriction::Quota { tonnes_per_year } => {
                    let q = self.links.quota_room.len();
                    self.links
                        .quota_room
                        .push(self.draw.values[tonnes_per_year.0] / 12.0);
                    // Every quota on a link applies; a ban or a licence
                    // on it wins over them.
                    for &d in destinations {
                        let l = from * nc + d;
                        match self.links.kind(l) {
                            Link::Free => self.links.set(l, Link::Quota(QuotaSet::one(q))),
                            Link::Quota(set) => self.links.set(l, Link::Quota(set.with(q))),
                            Link::Ban | Link::Licence => {}
                        }
                    }
                    continue;
                }
                Restriction::Tariff { rate } => {
                    self.tariffs = true;
                    for &d in destinations {
                        self.tariff[from * nc + d] += s * self.draw.values[rate.0];
                    }
                    continue;
                }
            };
            match approval {
                None => {
                    for &d in destinations {
                        self.links.set(from * nc + d, Link::Ban);
                    }
                }
                Some(approval) => {
                    if !asks_ready {
                        let home = values.product_field(p, P::HomeWeight);
                        Trader::unrestricted_asks(&self.supply, &self.need, home, &mut self.ask0);
                        asks_ready = true;
                    }
                    for &d in destinations {
                        let l = from * nc + d;
                        let allowance = approval.clamp(0.0, 1.0) * self.ask0[l];
                        match self.links.kind(l) {
                            Link::Ban => {}
                            Link::Licence => {
                                self.links.allowance[l] = self.links.allowance[l].min(allowance)
                            }
                            _ => {
                                self.links.set(l, Link::Licence);
                                self.links.allowance[l] = allowance;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Step 7: pooled prices split only by binding restrictions, the country
    /// premium behind them, clamps, and the slow average; then the tariff
    /// factor buyers pay next month.
    fn update_prices(&mut self, model: &Model, p: usize, eps: f64, values: &WorldValues) {
        let (nc, np) = (model.nc, model.np);
        let kappa = values.product_field(p, P::Kappa);
        let e_short = values.product_field(p, P::EShort);
        let factor = kappa / e_short;
        let tau = values.product_field(p, P::TauSub).max(1.0);
        let (m_min, m_max) = (
            values.product_field(p, P::MMin),
            values.product_field(p, P::MMax),
        );
        let bounds = &mut self.ln_bounds[p];
        if bounds[0].to_bits() != m_min.to_bits() || bounds[1].to_bits() != m_max.to_bits() {
            *bounds = [m_min, m_max, math::ln(m_min), math::ln(m_max)];
        }
        let (ln_min, ln_max) = (bounds[2], bounds[3]);
        let active = |c: usize, s: &Self| s.use_claim[c] > eps || s.offered[c] > eps;

        for c in 0..nc {
            self.pool[c] = c;
            self.into_binding[c] = false;
        }
        // Each active country's pool is named by its smallest member.
        let mut unpooled = std::mem::take(&mut self.unpooled);
        unpooled.clear();
        unpooled.extend((0..nc).filter(|&c| active(c, self)));
        if self.links.any() {
            // A restricted link binds when its own allowance is used up while
            // the destination still wants more. Two countries are linked
            // unless a restricted link between them, either way, binds or
            // leads into a country without use.
            self.blocked.clear();
            self.blocked.resize(nc * nc, false);
            for &l in self.links.restricted() {
                let (e, i) = (l / nc, l % nc);
                let binding = self.links.exhausted(l, eps) && self.need[i] > eps;
                if binding && e != i {
                    self.into_binding[i] = true;
                }
                if binding || self.use_claim[i] <= eps {
                    self.blocked[e.min(i) * nc + e.max(i)] = true;
                }
            }
            // Pools are the connected parts of the graph of active countries
            // with every pair linked but the blocked ones: a search from each
            // country not yet pooled takes in every unpooled country it is
            // linked to. Few pairs are blocked, so each search takes in most
            // of what is left at its first step.
            let (blocked, pool, reached) = (&self.blocked, &mut self.pool, &mut self.reached);
            while !unpooled.is_empty() {
                let first = unpooled.remove(0);
                reached.clear();
                reached.push(first);
                while let Some(v) = reached.pop() {
                    unpooled.retain(|&u| {
                        let linked = !blocked[v.min(u) * nc + v.max(u)];
                        if linked {
                            pool[u] = first;
                            reached.push(u);
                        }
                        !linked
                    });
                }
            }
        } else if let Some(&first) = unpooled.first() {
            // No restriction: every active country is in one pool.
            for &c in &unpooled {
                self.pool[c] = first;
            }
        }
        self.unpooled = unpooled;
        for v in [
            &mut self.pool_k,
            &mut self.pool_a,
            &mut self.pool_kb,
            &mut self.pool_b,
            &mut self.pool_n,
        ] {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        for c in 0..nc {
            if !active(c, self) {
                continue;
            }
            let root = self.pool[c];
            let cell = c * np + p;
            self.pool_k[root] += self.use_claim[c];
            self.pool_a[root] += self.available[c];
            self.pool_kb[root] += self.use_claim[c] * self.b[cell];
            self.pool_b[root] += self.b[cell];
            self.pool_n[root] += 1.0;
        }
        // Each pool's new `b` and `r`, computed once at its root (an active
        // member: the smallest index, or the first active country).
        for c in 0..nc {
            if self.pool[c] != c || !active(c, self) {
                continue;
            }
            let (k, a) = (self.pool_k[c], self.pool_a[c]);
            let mu = if k > 0.0 {
                self.pool_kb[c] / k
            } else {
                self.pool_b[c] / self.pool_n[c]
            };
            let pressure = ratio_term(k, a, factor, eps);
            // Reuses the sums' slots: `pool_kb` holds the new `b`, `pool_b` `r`.
            self.pool_kb[c] = mu + pressure.clamp(-LN_2, LN_2);
            self.pool_b[c] = if k > eps && a > eps {
                math::ln(k / a)
            } else {
                0.0
            };
        }
        for c in 0..nc {
            if !active(c, self) {
                continue;
            }
            let root = self.pool[c];
            let cell = c * np + p;
            let (b_new, r) = (self.pool_kb[root], self.pool_b[root]);
            let mut delta = (1.0 - kappa) * self.delta[cell];
            if self.into_binding[c] {
                let (kc, ac) = (self.use_claim[c], self.available[c]);
                let premium = if kc <= eps {
                    0.0
                } else if ac <= eps {
                    LN_2
                } else {
                    factor * (math::ln(kc / ac) - r.max(0.0)).max(0.0)
                };
                delta += premium.clamp(0.0, LN_2);
            }
            let ln_old = self.b[cell] + self.delta[cell];
            // Not `clamp`, which panics if the bounds cross (see the demand
            // response's bounds).
            let mut ln_m = (b_new + delta).max(ln_min).min(ln_max);
            if self.at_dmin[c] {
                ln_m = ln_m.min(ln_old.max(ln_min));
            }
            let delta = delta.min(ln_m - b_new).max(0.0);
            self.delta[cell] = delta;
            self.b[cell] = ln_m - delta;
            // At a bound the multiple is the bound itself, not `exp(ln m_max)`
            // a rounding away, so that a peak at the choke reads as one.
            self.m[cell] = if ln_m >= ln_max {
                m_max
            } else if ln_m <= ln_min {
                m_min
            } else {
                math::exp(self.b[cell] + self.delta[cell])
            };
            self.ln_pbar[cell] += (ln_m - self.ln_pbar[cell]) / tau;
        }

        // Tariffs: buyers pay `m (1 + sum of rates x share of receipts that crossed)`.
        for i in 0..nc {
            let cell = i * np + p;
            let received = self.received[i];
            let mut factor = 1.0;
            if self.tariffs && received > eps {
                for e in 0..nc {
                    let rate = self.tariff[e * nc + i];
                    if rate > 0.0 {
                        factor += rate * self.trader.shipped[e * nc + i] / received;
                    }
                }
            }
            self.paid_factor[cell] = factor;
        }
    }

    fn record_month(
        &mut self,
        scenario: &Scenario,
        model: &Model,
        values: &WorldValues,
        t: u32,
        record: &mut TrialRecord,
    ) {
        let (nc, np, nj) = (model.nc, model.np, model.nj);
        for (k, &(c, p)) in model.tracked.iter().enumerate() {
            let month = self.pair_month[k];
            let entry = &mut record.entries[k];
            let tally = &mut self.tallies[k];
            let unserved = (month.demand - month.served).max(0.0);
            entry.demand_t += month.demand;
            entry.normal_demand_t += month.normal_demand;
            entry.served_t += month.served;
            entry.unserved_t += unserved;
            entry.idle_input_t += month.idle_input;
            let short = month.demand > 0.0 && unserved > SHORT_MONTH * month.demand;
            if short {
                entry.months_short += 1;
                tally.first_short.get_or_insert(t);
            }
            if unserved > entry.worst_month_t {
                entry.worst_month_t = unserved;
                entry.worst_month = t;
            }
            if let Some(first) = tally.first_short {
                if month.served >= RECOVERED_SERVED * month.demand {
                    tally.good_run += 1;
                    if tally.good_run == RECOVERED_MONTHS && !entry.recovered {
                        entry.recovered = true;
                        entry.recovery_months = Some(t + 1 - RECOVERED_MONTHS - first);
                    }
                } else {
                    tally.good_run = 0;
                }
            }
            let cell = c * np + p;
            let price = self.paid_price(cell);
            entry.price_path.push(price);
            entry.peak_price = entry.peak_price.max(price);
            let m = self.m[cell];
            if m >= values.product_field(p, P::MMax) * (1.0 - 1e-9) {
                entry.reached_choke = true;
            }
        }
        // The split-market gap: customers' import-weighted price against the
        // exporter's own.
        for (k, &(e, p)) in model.restricted_pairs.iter().enumerate() {
            let weights = &self.customer_weight[k];
            let total: f64 = weights.iter().sum();
            if total <= 0.0 {
                continue;
            }
            let customers: f64 = (0..nc)
                .map(|i| weights[i] * self.paid_price(i * np + p))
                .sum::<f64>()
                / total;
            let own = self.paid_price(e * np + p);
            record.split_gaps[k] = record.split_gaps[k].max(customers / own);
        }
        // Output shares in the first and last month.
        let last = scenario.horizon_months.saturating_sub(1);
        if t == 0 || t == last {
            let mut rows = std::mem::take(if t == 0 {
                &mut record.shares_first
            } else {
                &mut record.shares_last
            });
            for row in rows.iter_mut() {
                row.iter_mut().for_each(|x| *x = 0.0);
            }
            for c in 0..nc {
                for j in 0..nj {
                    let q = self.throughput[c * nj + j];
                    rows[model.stage_of[j]][c] += q;
                    rows[model.stages + j][c] += q;
                }
                for (r, &p) in model.made_products.iter().enumerate() {
                    rows[model.stages + nj + r][c] += self.output[c * np + p];
                }
            }
            for row in rows.iter_mut() {
                let total: f64 = row.iter().sum();
                if total > 0.0 {
                    row.iter_mut().for_each(|x| *x /= total);
                }
            }
            if t == 0 && last == 0 {
                record.shares_last.clone_from(&rows);
            }
            *(if t == 0 {
                &mut record.shares_first
            } else {
                &mut record.shares_last
            }) = rows;
        }
    }

    fn finish(&mut self, scenario: &Scenario, model: &Model, record: &mut TrialRecord) {
        let focus = &record.entries[model.focus_tracked];
        record.focus = match scenario.focus.outcome {
            Outcome::Shortfall => focus.unserved_t,
            Outcome::Loss => focus.normal_demand_t - focus.served_t,
            Outcome::PeakPrice => focus.peak_price,
            Outcome::MonthsShort => f64::from(focus.months_short),
        };
        // The focus pair was tracked only to compute the focus.
        record.entries.truncate(scenario.report.len());
    }
}

/// Copies `src` into `dst`, reusing `dst`'s buffers: trials start without
/// allocating.
fn copy_values(dst: &mut Option<WorldValues>, src: &WorldValues) {
    match dst {
        Some(dst) => {
            dst.product.clone_from(&src.product);
            dst.input.clone_from(&src.input);
            dst.output.clone_from(&src.output);
            dst.plant.clone_from(&src.plant);
            dst.market.clone_from(&src.market);
            // Every field is copied (the shapes come from the same world).
            debug_assert!(dst == src);
        }
        None => *dst = Some(src.clone()),
    }
}

/// `(1 + g)^(t / 12)`: a yearly rate's growth after `t` months.
fn growth_factor(g: f64, months: f64) -> f64 {
    if g == 0.0 {
        1.0
    } else {
        math::exp(months / 12.0 * math::ln_1p(g))
    }
}

/// `kappa / e_short * ln(K / A)` with MODEL.md's rules for zeros: `0/0` counts
/// as 0, `K = 0 < A` as `-ln 2`, `A = 0 < K` as `+ln 2`.
fn ratio_term(k: f64, a: f64, factor: f64, eps: f64) -> f64 {
    match (k > eps, a > eps) {
        (false, false) => 0.0,
        (false, true) => -LN_2,
        (true, false) => LN_2,
        (true, true) => factor * math::ln(k / a),
    }
}
