//! Run statistics: what a run's trials add up to (MODEL.md section 6).
//!
//! This module owns the aggregation of [`TrialRecord`]s into the numbers a
//! report shows, and the small statistical helpers behind them ([`quantile`],
//! [`cvar`], [`spearman`]). It does not format anything; [`crate::report`]
//! does.
//!
//! # Determinism
//!
//! The engine runs batches of trials in parallel and merges their
//! [`RunStatistics`] strictly in batch order. Everything here is built so that
//! the result is bit-identical to adding every record in trial order, whatever
//! the batch size or thread count:
//!
//! - per-trial values are kept in vectors in trial order, and every statistic
//!   computed from them walks them in that order;
//! - sums are kept exactly (an `fsum`-style accumulator) and rounded once when
//!   read, so grouping cannot change their bits;
//! - counts and histograms add integers.
//!
//! # Memory
//!
//! Almost everything is fixed-size: sums, counts, and histograms whose size
//! depends on the scenario (horizon, price bounds, world shape), never on the
//! number of trials. What grows with the trials is kept because exact tail
//! statistics need it:
//!
//! - per report entry, the cumulative unserved tonnes, for the exact
//!   shortfall quantiles, CVaR95 and standard error: 8 bytes per entry per
//!   trial;
//! - the focus outcome: 8 bytes per trial.
//!
//! That is `8 (entries + 1)` bytes per trial: 128 bytes for export_ban's 15
//! entries, 128 MB at a million trials (vectors grow by doubling, so up to
//! twice that while one is being grown). The rest is bounded:
//!
//! - peak prices go into log histograms with 1% bins (see
//!   [`EntrySummary::peak_price`]), about 6 KB per entry;
//! - the uncertain parameters' values, which the rank correlations need, are
//!   kept for the first [`SENSITIVITY_TRIALS`] trials only: at most
//!   `8 x 65,536` bytes (512 KiB) per uncertain parameter, 18 MiB for 36
//!   parameters, however many trials run (see
//!   [`RunStatistics::spearman_by_parameter`]);
//! - price fans, split-market gaps and output shares are histograms.
//!
//! Measured with `/usr/bin/time -v shortfall run scenarios/export_ban.toml
//! --trials N --quiet` (release, 2 threads): a peak resident set of 46 MiB at
//! 100,000 trials and 169 MiB at 1,000,000, so about 144 bytes per trial
//! beyond the first 100,000, doubling slack included.
//!
//! # Partial results
//!
//! [`RunStatistics`] can be written to and read back from a line-oriented
//! text form (module `codec`) that keeps every `f64` bit for bit, so that
//! shards of a run written to disk merge into exactly the single run's
//! statistics; [`crate::report::partial`] wraps it in a checksummed file.

pub(crate) mod codec;
mod histogram;
mod peak;
pub mod record;
mod sum;

use crate::math;
use std::io::BufRead;

pub use histogram::{Histogram, MAX_BINS};
pub use peak::BEYOND_FACTOR;
pub use record::{EntryRecord, ShareRow, TrialRecord};

use codec::{DecodeError, Decoder, Encoder};
use peak::{multiple, PeakHistogram};

use crate::scenario::Scenario;
use crate::world::{ProductField, World};
use sum::ExactSum;

/// Width of a price-fan bin, in `ln m`: 0.01, so a bin spans 1% of the price
/// (MODEL.md asks for at most 1%) and a fan quantile carries about ±0.5% from
/// binning (at most 1%; see [`Histogram`]).
pub const PRICE_BIN_WIDTH: f64 = 0.01;

/// Bins of an output-share histogram on 0..1: 1000, so a median share is
/// resolved to about ±0.05 percentage points (at most 0.1; see
/// [`Histogram`]).
pub const SHARE_BINS: usize = 1000;

/// Width of an HHI bin, in HHI points (of 10,000): a median HHI is within a
/// point of the sample median.
pub const HHI_BIN: f64 = 1.0;

/// Trials whose uncertain parameter values are kept for the rank
/// correlations: the first 65,536 (2^16) of a run, by trial index.
///
/// Fixed by trial index, not by arrival, so that every shard keeps the same
/// values a single run would and merged shards give the same correlations.
/// From 65,536 trials the standard error of a Spearman coefficient `rho` is
/// about `(1 - rho^2) sqrt(1.06 / (n - 3))` (Fieller, Hartley and Pearson,
/// 1957): 0.004 at `rho = 0`, less for stronger correlations, well below the
/// two decimals a tornado shows.
pub const SENSITIVITY_TRIALS: u32 = 1 << 16;

/// The quantiles of a monthly price fan.
pub const FAN_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The `q` quantile of ascending `sorted` values, by linear interpolation
/// between closest ranks (Hyndman and Fan's type 7, numpy's and R's default):
/// with `h = (n - 1) q`, the value is `x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋ + 1] - x[⌊h⌋])`
/// (0-based).
///
/// `q` is clamped to 0..1; NaN for an empty slice or a NaN `q`. The slice is
/// not checked for order.
///
/// ```
/// use shortfall::statistics::quantile;
///
/// let x = [1.0, 2.0, 3.0, 4.0];
/// assert_eq!(quantile(&x, 0.5), 2.5);
/// assert_eq!(quantile(&x, 0.25), 1.75);
/// assert_eq!(quantile(&x, 1.0), 4.0);
/// ```
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    if q.is_nan() {
        return f64::NAN;
    }
    let h = last as f64 * q.clamp(0.0, 1.0);
    let floor = h.floor();
    let frac = h - floor;
    // `floor` is in 0..=last, so the cast is exact and the index in range.
    let i = floor as usize;
    let Some(&low) = sorted.get(i) else {
        return sorted[last];
    };
    match sorted.get(i + 1) {
        Some(&high) if frac > 0.0 => low + frac * (high - low),
        _ => low,
    }
}

/// The `q` quantile (type 7) of `n` ranked values read through `ranked`
/// (the `rank`-th smallest, from 0); `None` when `n` is 0 or `q` is NaN. For
/// histograms, which estimate ranked values rather than store them.
pub(crate) fn type7_quantile(n: u64, q: f64, ranked: impl Fn(u64) -> f64) -> Option<f64> {
    if n == 0 || q.is_nan() {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let floor = h.floor();
    let frac = h - floor;
    // `floor` is in 0..n-1, so the cast is exact.
    let rank = floor as u64;
    let low = ranked(rank);
    Some(if frac > 0.0 {
        low + frac * (ranked(rank + 1) - low)
    } else {
        low
    })
}

/// Conditional value at risk (expected shortfall): the mean of the worst
/// `1 - level` share of ascending `sorted` values.
///
/// Exactly `m = (1 - level) n` values are averaged: the largest `⌊m⌋` in
/// full and the next one with weight `m - ⌊m⌋` (Acerbi and Tasche's
/// expected shortfall of the sample). So `cvar(x, 0.95)` over 1000 trials is
/// the mean of the worst 50, and over 10 trials (half a trial's worth) is the
/// largest value.
///
/// This differs on purpose from "the mean of the values at or above the
/// `level` quantile" when values tie at that quantile. Shortfalls tie a lot:
/// when 98% of trials have none, the 95% quantile is 0, every trial is "at or
/// above" it, and that definition would report the plain mean instead of the
/// mean of the worst 5%.
///
/// `level` is clamped to 0..1 (`level = 1` gives the largest value); NaN for
/// an empty slice or a NaN `level`.
///
/// ```
/// use shortfall::statistics::cvar;
///
/// let x: Vec<f64> = (1..=20).map(f64::from).collect();
/// // The worst 20% of 20 values: 17, 18, 19, 20.
/// assert_eq!(cvar(&x, 0.8), 18.5);
///
/// // 98 trials without a shortfall and two with: the worst 5 trials.
/// let mut shortfalls = vec![0.0; 98];
/// shortfalls.extend([1000.0, 2000.0]);
/// assert_eq!(cvar(&shortfalls, 0.95), 600.0);
/// ```
pub fn cvar(sorted: &[f64], level: f64) -> f64 {
    let n = sorted.len();
    let Some(&largest) = sorted.last() else {
        return f64::NAN;
    };
    if level.is_nan() {
        return f64::NAN;
    }
    let mut m = (1.0 - level.clamp(0.0, 1.0)) * n as f64;
    // `1 - 0.95` is not exactly 0.05: snap a tail size that is a whole number
    // up to rounding, so that no stray 1e-15 of a further value enters.
    if (m - m.round()).abs() < 1e-9 {
        m = m.round();
    }
    if m <= 0.0 {
        return largest;
    }
    // `m` is in (0, n], so `whole` is in 0..=n.
    let whole = (m.floor() as usize).min(n);
    let top: f64 = sorted[n - whole..].iter().sum();
    let partial = match (m - whole as f64, (n - whole).checked_sub(1)) {
        (weight, Some(i)) if weight > 0.0 => weight * sorted[i],
        _ => 0.0,
    };
    (top + partial) / m
}

/// Spearman's rank correlation of paired samples: the Pearson correlation of
/// their ranks, with tied values given the average of their ranks.
///
/// Uses the first `min(x.len(), y.len())` pairs. 0 when there are fewer than
/// two pairs or either side is constant (no ranking, so no evidence of a
/// relation). NaN values rank above every number; the result is always in
/// -1..=1.
///
/// ```
/// use shortfall::statistics::spearman;
///
/// assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 40.0, 90.0]), 1.0);
/// assert_eq!(spearman(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]), 0.0);
/// ```
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let rx = ranks(&x[..n]);
    let ry = ranks(&y[..n]);
    // Ranks are half-integers, so means and deviations are exact for any
    // realistic number of trials, and a constant side gives exactly 0.
    let mean = (n as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        let (dx, dy) = (a - mean, b - mean);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return 0.0;
    }
    (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

/// 1-based ranks with ties averaged.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let first = values[order[start]];
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == first {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean:
        let rank = (start + end + 1) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = rank;
        }
        start = end;
    }
    ranks
}

/// What a row of output shares describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShareKind {
    /// A stage label (`mining`, `separation`, `magnet`).
    Stage,
    /// A process.
    Process,
    /// A product made by some process.
    Product,
}

impl ShareKind {
    /// The name used in reports (`stage`, `process`, `product`).
    pub fn name(self) -> &'static str {
        match self {
            ShareKind::Stage => "stage",
            ShareKind::Process => "process",
            ShareKind::Product => "product",
        }
    }
}

/// The rows of [`TrialRecord::shares_first`] and [`TrialRecord::shares_last`],
/// in order: every stage (in order of first appearance), every process, then
/// every product that some process makes, as [`World::concentration`] orders
/// them. Each row has one share per country, in [`World::countries`] order.
///
/// ```
/// use shortfall::statistics::{share_rows, ShareKind};
/// use shortfall::World;
///
/// let world = World::default_world();
/// let rows = share_rows(&world);
/// assert_eq!(rows[0], (ShareKind::Stage, "mining"));
/// ```
pub fn share_rows(world: &World) -> Vec<(ShareKind, &str)> {
    let stages = world.stages().into_iter().map(|s| (ShareKind::Stage, s));
    let processes = world
        .processes
        .iter()
        .map(|p| (ShareKind::Process, p.id.as_str()));
    let products = world
        .products
        .iter()
        .filter(|p| !p.made_by.is_empty())
        .map(|p| (ShareKind::Product, p.id.as_str()));
    stages.chain(processes).chain(products).collect()
}

/// Low, middle and high quantiles (5%, 50%, 95%) of an outcome over trials.
///
/// Serialises as `{"p5", "p50", "p95"}` in the JSON report.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Spread {
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Spread {
    fn of_sorted(sorted: &[f64]) -> Spread {
        if sorted.is_empty() {
            return Spread::default();
        }
        Spread {
            p5: quantile(sorted, 0.05),
            p50: quantile(sorted, 0.5),
            p95: quantile(sorted, 0.95),
        }
    }
}

/// One month of a price fan: quantiles over trials of the price multiple.
///
/// Serialises as `{"month", "p5", "p25", "p50", "p75", "p95"}` in the JSON
/// report.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct FanMonth {
    /// Month, from 0.
    pub month: u32,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// Everything a run says about one report entry (one country and product),
/// over all trials; see MODEL.md section 6.
///
/// With no trials every number is 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EntrySummary {
    /// Trials aggregated.
    pub trials: u32,
    /// Trials with some short month ([`EntryRecord::was_short`]).
    pub short_trials: u32,
    /// `short_trials / trials`.
    pub probability_short: f64,
    /// Mean cumulative unserved tonnes.
    pub unserved_mean_t: f64,
    /// Quantiles of cumulative unserved tonnes (type 7, exact over trials).
    pub unserved_t: Spread,
    /// Mean unserved tonnes in the worst 5% of trials ([`cvar`] at 0.95).
    pub unserved_cvar95_t: f64,
    /// Monte Carlo standard error of `unserved_mean_t`: sample standard
    /// deviation (n - 1) over `sqrt(n)`; 0 with fewer than two trials.
    pub unserved_stderr_t: f64,
    /// Mean over trials of `unserved_t / demand_t`, the share of final
    /// demand left unserved (a trial without demand counts 0).
    pub unserved_share_mean: f64,
    /// Mean cumulative normal demand, t.
    pub normal_demand_mean_t: f64,
    /// Mean cumulative final demand served, t.
    pub served_mean_t: f64,
    /// Mean of `normal_demand_t - served_t`: the loss, which counts buyers
    /// priced out as well as buyers rationed (negative where buyers took
    /// more than normal demand, in a glut).
    pub loss_mean_t: f64,
    /// Mean over trials of `loss / normal demand` (a trial without normal
    /// demand counts 0), as the unserved share.
    pub loss_share: f64,
    /// Mean number of short months.
    pub months_short_mean: f64,
    /// Mean over trials of the largest monthly unserved tonnes (short or not).
    pub worst_month_mean_t: f64,
    /// Short trials that recovered (three months in a row at least 95%
    /// served before the horizon).
    pub recovered_trials: u32,
    /// Short trials that never recovered: their recovery time is censored at
    /// the horizon.
    pub censored_trials: u32,
    /// Median recovery time of the short trials, months, those that never
    /// recovered counted as longer than any that did (censored at the
    /// horizon); `None` when no trial was short or the median falls among
    /// the censored ones (half or more never recovered).
    pub recovery_median_months: Option<f64>,
    /// `censored_trials / short_trials` (0 when no trial was short).
    pub censored_share: f64,
    /// Mean cumulative unmet input demand of the country's processes for this
    /// product, t.
    pub idle_input_mean_t: f64,
    /// Quantiles of the peak price multiple over the horizon, read off log
    /// histograms with bins [`PRICE_BIN_WIDTH`] wide (within 1% of the exact
    /// sample quantile, about 0.5% where trials are dense): one up to the
    /// product's central choke multiple, where a peak at the choke counts
    /// exactly, and one above it up to [`BEYOND_FACTOR`] times the choke
    /// (tariffs, or a choke drawn above its central value). A quantile is
    /// exact when every peak is the same.
    pub peak_price: Spread,
    /// Share of trials whose price reached the product's choke multiple.
    pub choke_share: f64,
    /// The monthly price fan, one row per month of the horizon, read off
    /// histograms of `ln m` with bins [`PRICE_BIN_WIDTH`] wide spanning the
    /// product's central `[m_min, m_max]` (prices beyond count at the bound).
    pub fan: Vec<FanMonth>,
}

/// The accumulator of one report entry.
#[derive(Clone, Debug)]
struct EntryStatistics {
    /// Per trial, in trial order.
    unserved_t: Vec<f64>,
    peak_price: PeakHistogram,
    short_trials: u32,
    /// Per trial `unserved / demand`, summed.
    unserved_share: ExactSum,
    normal_demand_t: ExactSum,
    served_t: ExactSum,
    loss_t: ExactSum,
    /// Per trial `loss / normal demand`, summed.
    loss_share: ExactSum,
    months_short: u64,
    worst_month_t: ExactSum,
    idle_input_t: ExactSum,
    /// Trials that recovered, by recovery time in months (the last bin holds
    /// anything at or beyond the horizon, which a recovery cannot exceed).
    recovery_months: Vec<u32>,
    censored_trials: u32,
    choke_trials: u32,
    /// One histogram of `ln m` per month.
    fan: Vec<Histogram>,
}

impl EntryStatistics {
    fn new(horizon_months: u32, m_min: f64, m_max: f64) -> EntryStatistics {
        let fan = (0..horizon_months)
            .map(|_| Histogram::new(math::ln(m_min), math::ln(m_max), PRICE_BIN_WIDTH))
            .collect();
        EntryStatistics {
            unserved_t: Vec::new(),
            peak_price: PeakHistogram::new(m_min, m_max),
            short_trials: 0,
            unserved_share: ExactSum::default(),
            normal_demand_t: ExactSum::default(),
            served_t: ExactSum::default(),
            loss_t: ExactSum::default(),
            loss_share: ExactSum::default(),
            months_short: 0,
            worst_month_t: ExactSum::default(),
            idle_input_t: ExactSum::default(),
            recovery_months: vec![0; horizon_months as usize + 1],
            censored_trials: 0,
            choke_trials: 0,
            fan,
        }
    }

    fn add(&mut self, e: &EntryRecord) {
        self.unserved_t.push(e.unserved_t);
        self.peak_price.add(e.peak_price);
        let short = e.was_short();
        self.short_trials = self.short_trials.saturating_add(u32::from(short));
        // Shares are per trial, then averaged; a trial without demand
        // counts 0.
        let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
        self.unserved_share.add(share(e.unserved_t, e.demand_t));
        self.normal_demand_t.add(e.normal_demand_t);
        self.served_t.add(e.served_t);
        // Not clipped: a trial whose buyers took more than normal demand
        // (cheap goods in a glut) has a negative loss, a gain.
        let loss = e.normal_demand_t - e.served_t;
        self.loss_t.add(loss);
        self.loss_share.add(share(loss, e.normal_demand_t));
        self.months_short = self.months_short.saturating_add(u64::from(e.months_short));
        self.worst_month_t.add(e.worst_month_t);
        self.idle_input_t.add(e.idle_input_t);
        match e.recovery_months {
            Some(months) => {
                let last = self.recovery_months.len().saturating_sub(1);
                if let Some(c) = self.recovery_months.get_mut((months as usize).min(last)) {
                    *c = c.saturating_add(1);
                }
            }
            None if short => self.censored_trials = self.censored_trials.saturating_add(1),
            None => {}
        }
        self.choke_trials = self.choke_trials.saturating_add(u32::from(e.reached_choke));
        for (h, &m) in self.fan.iter_mut().zip(&e.price_path) {
            h.add(math::ln(m));
        }
    }

    fn merge(&mut self, later: EntryStatistics) {
        self.unserved_t.extend(later.unserved_t);
        self.peak_price.merge(&later.peak_price);
        self.short_trials = self.short_trials.saturating_add(later.short_trials);
        self.unserved_share.merge(&later.unserved_share);
        self.normal_demand_t.merge(&later.normal_demand_t);
        self.served_t.merge(&later.served_t);
        self.loss_t.merge(&later.loss_t);
        self.loss_share.merge(&later.loss_share);
        self.months_short = self.months_short.saturating_add(later.months_short);
        self.worst_month_t.merge(&later.worst_month_t);
        self.idle_input_t.merge(&later.idle_input_t);
        for (c, o) in self.recovery_months.iter_mut().zip(&later.recovery_months) {
            *c = c.saturating_add(*o);
        }
        self.censored_trials = self.censored_trials.saturating_add(later.censored_trials);
        self.choke_trials = self.choke_trials.saturating_add(later.choke_trials);
        for (h, o) in self.fan.iter_mut().zip(&later.fan) {
            h.merge(o);
        }
    }

    fn same_shape(&self, other: &EntryStatistics) -> bool {
        self.peak_price.same_shape(&other.peak_price)
            && self.recovery_months.len() == other.recovery_months.len()
            && self.fan.len() == other.fan.len()
            && self
                .fan
                .iter()
                .zip(&other.fan)
                .all(|(a, b)| a.same_shape(b))
    }

    fn encode(&self, enc: &mut Encoder<'_>) {
        enc.tag("entry")
            .u64(u64::from(self.short_trials))
            .u64(self.months_short)
            .u64(u64::from(self.censored_trials))
            .u64(u64::from(self.choke_trials));
        enc.tag("unserved").f64s(&self.unserved_t);
        self.peak_price.encode(enc);
        for sum in self.sums() {
            sum.encode(enc);
        }
        enc.tag("recovery").u32s(&self.recovery_months);
        enc.tag("fan").u64(self.fan.len() as u64);
        for h in &self.fan {
            h.encode(enc);
        }
    }

    /// The exact sums, in the order they are written.
    fn sums(&self) -> [&ExactSum; 7] {
        [
            &self.unserved_share,
            &self.normal_demand_t,
            &self.served_t,
            &self.loss_t,
            &self.loss_share,
            &self.worst_month_t,
            &self.idle_input_t,
        ]
    }

    fn decode<R: BufRead>(dec: &mut Decoder<R>) -> Result<EntryStatistics, DecodeError> {
        let mut f = dec.expect("entry")?;
        let short_trials = f.u32()?;
        let months_short = f.u64()?;
        let censored_trials = f.u32()?;
        let choke_trials = f.u32()?;
        f.end()?;
        let mut f = dec.expect("unserved")?;
        let unserved_t = f.f64s()?;
        f.end()?;
        let peak_price = PeakHistogram::decode(dec)?;
        let unserved_share = ExactSum::decode(dec)?;
        let normal_demand_t = ExactSum::decode(dec)?;
        let served_t = ExactSum::decode(dec)?;
        let loss_t = ExactSum::decode(dec)?;
        let loss_share = ExactSum::decode(dec)?;
        let worst_month_t = ExactSum::decode(dec)?;
        let idle_input_t = ExactSum::decode(dec)?;
        let mut f = dec.expect("recovery")?;
        let recovery_months = f.u32s()?;
        f.end()?;
        let mut f = dec.expect("fan")?;
        let months = f.usize()?;
        f.end()?;
        let fan = decode_list(dec, months, Histogram::decode)?;
        Ok(EntryStatistics {
            unserved_t,
            peak_price,
            short_trials,
            unserved_share,
            normal_demand_t,
            served_t,
            loss_t,
            loss_share,
            months_short,
            worst_month_t,
            idle_input_t,
            recovery_months,
            censored_trials,
            choke_trials,
            fan,
        })
    }

    fn summary(&self, trials: u32) -> EntrySummary {
        let n = f64::from(trials);
        let mean = |sum: &ExactSum| if trials == 0 { 0.0 } else { sum.value() / n };
        let share = |part: u32, whole: u32| {
            if whole == 0 {
                0.0
            } else {
                f64::from(part) / f64::from(whole)
            }
        };

        let mut total = ExactSum::default();
        for &x in &self.unserved_t {
            total.add(x);
        }
        let unserved_mean_t = mean(&total);
        let unserved_stderr_t = if trials < 2 {
            0.0
        } else {
            let ss: f64 = self
                .unserved_t
                .iter()
                .map(|x| (x - unserved_mean_t) * (x - unserved_mean_t))
                .sum();
            (ss / (n - 1.0)).sqrt() / n.sqrt()
        };
        let mut unserved = self.unserved_t.clone();
        unserved.sort_by(f64::total_cmp);
        let peak = |q: f64| self.peak_price.quantile(q).unwrap_or(0.0);
        // Fan quantiles at a price bound read as the bound, like peaks.
        let (m_min, m_max) = self.peak_price.bounds();

        let normal_demand_mean_t = mean(&self.normal_demand_t);
        let loss_mean_t = mean(&self.loss_t);
        let recovered_trials = self
            .recovery_months
            .iter()
            .fold(0u32, |n, &c| n.saturating_add(c));

        EntrySummary {
            trials,
            short_trials: self.short_trials,
            probability_short: share(self.short_trials, trials),
            unserved_mean_t,
            unserved_t: Spread::of_sorted(&unserved),
            unserved_cvar95_t: if unserved.is_empty() {
                0.0
            } else {
                cvar(&unserved, 0.95)
            },
            unserved_stderr_t,
            unserved_share_mean: mean(&self.unserved_share),
            normal_demand_mean_t,
            served_mean_t: mean(&self.served_t),
            loss_mean_t,
            loss_share: mean(&self.loss_share),
            months_short_mean: if trials == 0 {
                0.0
            } else {
                self.months_short as f64 / n
            },
            worst_month_mean_t: mean(&self.worst_month_t),
            recovered_trials,
            censored_trials: self.censored_trials,
            recovery_median_months: censored_median(&self.recovery_months, self.censored_trials),
            censored_share: share(self.censored_trials, self.short_trials),
            idle_input_mean_t: mean(&self.idle_input_t),
            peak_price: Spread {
                p5: peak(0.05),
                p50: peak(0.5),
                p95: peak(0.95),
            },
            choke_share: share(self.choke_trials, trials),
            fan: self
                .fan
                .iter()
                .zip(0..)
                .map(|(h, month)| {
                    let [p5, p25, p50, p75, p95] = FAN_QUANTILES
                        .map(|q| h.quantile(q).map_or(0.0, |l| multiple(l, m_min, m_max)));
                    FanMonth {
                        month,
                        p5,
                        p25,
                        p50,
                        p75,
                        p95,
                    }
                })
                .collect(),
        }
    }
}

/// The median (type 7) of values given as counts per whole number, `counts[k]`
/// of value `k`, with `censored` more values known only to exceed them all:
/// `None` when there are no values or the median needs a censored one.
///
/// ```text
/// counts [0, 2, 1] (1, 1, 2) and 1 censored: the median of 1, 1, 2, >2 is 1.5
/// counts [0, 1] (1) and 1 censored: the median of 1, >1 needs the censored: None
/// ```
fn censored_median(counts: &[u32], censored: u32) -> Option<f64> {
    let known: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let last = (known + u64::from(censored)).checked_sub(1)?;
    let value_at = |rank: u64| {
        let mut before = 0;
        for (k, &c) in counts.iter().enumerate() {
            before += u64::from(c);
            if rank < before {
                return Some(k as f64);
            }
        }
        None
    };
    let low = value_at(last / 2)?;
    Some(if last % 2 == 1 {
        (low + value_at(last / 2 + 1)?) / 2.0
    } else {
        low
    })
}

/// The statistics of a run, or of a batch of its trials.
///
/// Built empty from the scenario (which fixes every histogram's shape), fed
/// one [`TrialRecord`] per trial with [`add`](RunStatistics::add), and
/// combined with [`merge`](RunStatistics::merge); see the module docs for
/// determinism and memory.
///
/// ```
/// use shortfall::statistics::{EntryRecord, RunStatistics, TrialRecord};
/// use shortfall::Scenario;
///
/// let scenario = Scenario::from_path("scenarios/export_ban.toml")?;
/// let record = |trial: u32, unserved_t: f64| TrialRecord {
///     trial,
///     entries: vec![
///         EntryRecord {
///             unserved_t,
///             price_path: vec![1.0; scenario.horizon_months as usize],
///             peak_price: 1.0,
///             ..EntryRecord::default()
///         };
///         scenario.report.len()
///     ],
///     ..TrialRecord::default()
/// };
/// let mut first = RunStatistics::new(&scenario);
/// first.add(&record(0, 10.0));
/// let mut second = RunStatistics::new(&scenario);
/// second.add(&record(1, 30.0));
/// first.merge(second);
///
/// assert_eq!(first.trials(), 2);
/// let usa_magnets = first.entry_summary(0).expect("the scenario reports entries");
/// assert_eq!(usa_magnets.unserved_mean_t, 20.0);
/// assert_eq!(usa_magnets.fan[0].p50, 1.0);
/// # Ok::<(), shortfall::ScenarioError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RunStatistics {
    trials: u32,
    horizon_months: u32,
    entries: Vec<EntryStatistics>,
    /// The focus outcome per trial, in trial order.
    focus: Vec<f64>,
    /// Per uncertain parameter, its value per trial, in trial order, for
    /// the trials numbered below [`SENSITIVITY_TRIALS`].
    uncertain: Vec<Vec<f64>>,
    /// Per restricted (exporter, product) pair, a histogram of `ln` of the
    /// peak split-market gap.
    split_gaps: Vec<Histogram>,
    /// `[row][country]`, in the order of [`share_rows`].
    shares_first: Vec<Vec<Histogram>>,
    shares_last: Vec<Vec<Histogram>>,
    /// Per row of [`share_rows`], each trial's HHI (0..10,000), in bins of
    /// [`HHI_BIN`] points.
    hhi_first: Vec<Histogram>,
    hhi_last: Vec<Histogram>,
    /// Records whose shape did not match the scenario's.
    mismatched: u32,
}

impl RunStatistics {
    /// Empty statistics shaped for `scenario`: one accumulator per report
    /// entry, one column per uncertain parameter, one gap histogram per
    /// [`Scenario::restricted_pairs`] pair, one share histogram per row of
    /// [`share_rows`] and country.
    pub fn new(scenario: &Scenario) -> RunStatistics {
        let world = &scenario.world;
        let values = world.central_values();
        let bounds = |p: usize| {
            (
                values.product_field(p, ProductField::MMin),
                values.product_field(p, ProductField::MMax),
            )
        };
        let entries = scenario
            .report
            .iter()
            .map(|entry| {
                let (m_min, m_max) = bounds(entry.product);
                EntryStatistics::new(scenario.horizon_months, m_min, m_max)
            })
            .collect();
        // A gap is a ratio of two prices within `[m_min, m_max]` (before
        // tariffs), so its log lies within ±ln(m_max / m_min).
        let split_gaps = scenario
            .restricted_pairs()
            .into_iter()
            .map(|(_, p)| {
                let (m_min, m_max) = bounds(p);
                let span = math::ln(m_max / m_min);
                Histogram::new(-span, span, PRICE_BIN_WIDTH)
            })
            .collect();
        let rows = share_rows(world).len();
        let shares = || -> Vec<Vec<Histogram>> {
            let row =
                vec![Histogram::new(0.0, 1.0, 1.0 / SHARE_BINS as f64); world.countries.len()];
            vec![row; rows]
        };
        let hhi = || vec![Histogram::new(0.0, 10_000.0, HHI_BIN); rows];
        RunStatistics {
            trials: 0,
            horizon_months: scenario.horizon_months,
            entries,
            focus: Vec::new(),
            uncertain: vec![Vec::new(); scenario.uncertain_parameters().count()],
            split_gaps,
            shares_first: shares(),
            shares_last: shares(),
            hhi_first: hhi(),
            hhi_last: hhi(),
            mismatched: 0,
        }
    }

    /// Folds in one trial. Records are expected in trial order (batches
    /// are merged in order, so a batch's records are too), and the record's
    /// `trial` must be its index in the run: the uncertain parameter values
    /// are kept only for trials below [`SENSITIVITY_TRIALS`].
    ///
    /// A record shaped unlike the scenario (a bug upstream) is still counted,
    /// never a panic: a missing entry counts as an empty one, a missing
    /// parameter value as NaN (ranked last), missing months, gaps and shares
    /// are skipped, and extras are ignored; see
    /// [`mismatched_records`](RunStatistics::mismatched_records).
    ///
    /// A split-market gap that is not positive (0 or NaN) counts as "not
    /// measured in this trial" and is left out of the gap quantiles.
    pub fn add(&mut self, record: &TrialRecord) {
        if !self.matches(record) {
            self.mismatched = self.mismatched.saturating_add(1);
        }
        self.trials = self.trials.saturating_add(1);
        let empty = EntryRecord::default();
        for (i, acc) in self.entries.iter_mut().enumerate() {
            acc.add(record.entries.get(i).unwrap_or(&empty));
        }
        self.focus.push(record.focus);
        // By trial index, so that a shard keeps exactly the values a single
        // run keeps (see `SENSITIVITY_TRIALS`).
        if record.trial < SENSITIVITY_TRIALS {
            for (j, column) in self.uncertain.iter_mut().enumerate() {
                column.push(record.uncertain_values.get(j).copied().unwrap_or(f64::NAN));
            }
        }
        for (h, &gap) in self.split_gaps.iter_mut().zip(&record.split_gaps) {
            // A gap of 0 (or NaN) means there was no price ratio to measure,
            // such as an exporter without customers: left out, rather than
            // counted at the histogram's floor as a gap of m_min / m_max.
            if gap > 0.0 {
                h.add(math::ln(gap));
            }
        }
        for (hists, hhis, rows) in [
            (
                &mut self.shares_first,
                &mut self.hhi_first,
                &record.shares_first,
            ),
            (
                &mut self.shares_last,
                &mut self.hhi_last,
                &record.shares_last,
            ),
        ] {
            for ((hist_row, hhi), row) in hists.iter_mut().zip(hhis.iter_mut()).zip(rows) {
                for (h, &share) in hist_row.iter_mut().zip(row) {
                    h.add(share);
                }
                hhi.add(row.iter().map(|&s| (100.0 * s) * (100.0 * s)).sum());
            }
        }
    }

    fn matches(&self, record: &TrialRecord) -> bool {
        let horizon = self.horizon_months as usize;
        let shares_match = |rows: &[ShareRow], hists: &[Vec<Histogram>]| {
            rows.len() == hists.len() && rows.iter().zip(hists).all(|(r, h)| r.len() == h.len())
        };
        record.entries.len() == self.entries.len()
            && record.entries.iter().all(|e| e.price_path.len() == horizon)
            && record.uncertain_values.len() == self.uncertain.len()
            && record.split_gaps.len() == self.split_gaps.len()
            && shares_match(&record.shares_first, &self.shares_first)
            && shares_match(&record.shares_last, &self.shares_last)
    }

    /// Appends the statistics of a batch of *later* trials. The result is
    /// bit-identical to having added each of `later`'s records after this
    /// one's (see the module docs). Both must come from the same scenario.
    pub fn merge(&mut self, later: RunStatistics) {
        self.trials = self.trials.saturating_add(later.trials);
        self.mismatched = self.mismatched.saturating_add(later.mismatched);
        for (acc, other) in self.entries.iter_mut().zip(later.entries) {
            acc.merge(other);
        }
        self.focus.extend(later.focus);
        for (column, other) in self.uncertain.iter_mut().zip(later.uncertain) {
            column.extend(other);
            // A guard: statistics merged in order from trial 0 never hold
            // more than this.
            column.truncate(SENSITIVITY_TRIALS as usize);
        }
        for (h, other) in self.split_gaps.iter_mut().zip(&later.split_gaps) {
            h.merge(other);
        }
        for (mine, theirs) in [
            (&mut self.shares_first, &later.shares_first),
            (&mut self.shares_last, &later.shares_last),
        ] {
            for (row, other_row) in mine.iter_mut().zip(theirs) {
                for (h, other) in row.iter_mut().zip(other_row) {
                    h.merge(other);
                }
            }
        }
        for (mine, theirs) in [
            (&mut self.hhi_first, &later.hhi_first),
            (&mut self.hhi_last, &later.hhi_last),
        ] {
            for (h, other) in mine.iter_mut().zip(theirs) {
                h.merge(other);
            }
        }
    }

    /// Trials aggregated.
    pub fn trials(&self) -> u32 {
        self.trials
    }

    /// Trials whose uncertain parameter values are kept for the rank
    /// correlations (see [`SENSITIVITY_TRIALS`]); 0 without uncertain
    /// parameters.
    pub fn sensitivity_trials(&self) -> usize {
        self.uncertain.first().map_or(0, Vec::len)
    }

    /// The number of uncertain parameters the statistics were shaped for.
    pub fn uncertain_parameters(&self) -> usize {
        self.uncertain.len()
    }

    /// Whether `other` has the same shape (report entries, horizon,
    /// histogram bins, uncertain parameters, restricted pairs, share rows and
    /// countries), so that the two merge: statistics made by
    /// [`RunStatistics::new`] from the same scenario do.
    pub fn same_shape(&self, other: &RunStatistics) -> bool {
        let hists = |a: &[Histogram], b: &[Histogram]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_shape(y))
        };
        let grid = |a: &[Vec<Histogram>], b: &[Vec<Histogram>]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| hists(x, y))
        };
        self.horizon_months == other.horizon_months
            && self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| a.same_shape(b))
            && self.uncertain.len() == other.uncertain.len()
            && hists(&self.split_gaps, &other.split_gaps)
            && grid(&self.shares_first, &other.shares_first)
            && grid(&self.shares_last, &other.shares_last)
            && hists(&self.hhi_first, &other.hhi_first)
            && hists(&self.hhi_last, &other.hhi_last)
    }

    /// Writes the statistics in the text form of the `codec` module, every
    /// float bit for bit.
    pub(crate) fn encode(&self, enc: &mut Encoder<'_>) {
        enc.tag("statistics")
            .u64(u64::from(self.trials))
            .u64(u64::from(self.horizon_months))
            .u64(u64::from(self.mismatched));
        enc.tag("entries").u64(self.entries.len() as u64);
        for e in &self.entries {
            e.encode(enc);
        }
        enc.tag("focus").f64s(&self.focus);
        enc.tag("uncertain").u64(self.uncertain.len() as u64);
        for column in &self.uncertain {
            enc.tag("values").f64s(column);
        }
        enc.tag("split_gaps").u64(self.split_gaps.len() as u64);
        for h in &self.split_gaps {
            h.encode(enc);
        }
        for (tag, grid) in [
            ("shares_first", &self.shares_first),
            ("shares_last", &self.shares_last),
        ] {
            enc.tag(tag).u64(grid.len() as u64);
            for row in grid {
                enc.tag("row").u64(row.len() as u64);
                for h in row {
                    h.encode(enc);
                }
            }
        }
        for (tag, row) in [("hhi_first", &self.hhi_first), ("hhi_last", &self.hhi_last)] {
            enc.tag(tag).u64(row.len() as u64);
            for h in row {
                h.encode(enc);
            }
        }
    }

    /// Reads what [`RunStatistics::encode`] wrote. Checks the counts that
    /// must agree (one focus value per trial, no more parameter values than
    /// trials); whether the shape fits a scenario is
    /// [`RunStatistics::same_shape`]'s business.
    pub(crate) fn decode<R: BufRead>(dec: &mut Decoder<R>) -> Result<RunStatistics, DecodeError> {
        let mut f = dec.expect("statistics")?;
        let trials = f.u32()?;
        let horizon_months = f.u32()?;
        let mismatched = f.u32()?;
        f.end()?;
        let count = |dec: &mut Decoder<R>, tag: &str| -> Result<usize, DecodeError> {
            let mut f = dec.expect(tag)?;
            let n = f.usize()?;
            f.end()?;
            Ok(n)
        };
        let n = count(dec, "entries")?;
        let entries = decode_list(dec, n, EntryStatistics::decode)?;
        let mut f = dec.expect("focus")?;
        let focus = f.f64s()?;
        f.end()?;
        let n = count(dec, "uncertain")?;
        let uncertain = decode_list(dec, n, |dec| {
            let mut f = dec.expect("values")?;
            let column = f.f64s()?;
            f.end()?;
            Ok(column)
        })?;
        let n = count(dec, "split_gaps")?;
        let split_gaps = decode_list(dec, n, Histogram::decode)?;
        let mut grid = |tag: &str| -> Result<Vec<Vec<Histogram>>, DecodeError> {
            let rows = count(dec, tag)?;
            decode_list(dec, rows, |dec| {
                let n = count(dec, "row")?;
                decode_list(dec, n, Histogram::decode)
            })
        };
        let shares_first = grid("shares_first")?;
        let shares_last = grid("shares_last")?;
        let n = count(dec, "hhi_first")?;
        let hhi_first = decode_list(dec, n, Histogram::decode)?;
        let n = count(dec, "hhi_last")?;
        let hhi_last = decode_list(dec, n, Histogram::decode)?;

        let per_trial_ok = focus.len() == trials as usize
            && entries
                .iter()
                .all(|e| e.unserved_t.len() == trials as usize)
            && uncertain.iter().all(|c| {
                c.len() <= (trials as usize).min(SENSITIVITY_TRIALS as usize)
                    && c.len() == uncertain[0].len()
            });
        if !per_trial_ok {
            return Err(dec.error(format!(
                "the per-trial values do not match the {trials} trials the statistics hold"
            )));
        }
        Ok(RunStatistics {
            trials,
            horizon_months,
            entries,
            focus,
            uncertain,
            split_gaps,
            shares_first,
            shares_last,
            hhi_first,
            hhi_last,
            mismatched,
        })
    }

    /// The horizon the statistics were shaped for, months.
    pub fn horizon_months(&self) -> u32 {
        self.horizon_months
    }

    /// Records added whose shape did not match the scenario (wrong number of
    /// entries, months, parameters, gaps or shares). Always 0 for a correct
    /// engine; reports say so when it is not.
    pub fn mismatched_records(&self) -> u32 {
        self.mismatched
    }

    /// The summary of report entry `i` (in [`Scenario::report`] order).
    pub fn entry_summary(&self, i: usize) -> Option<EntrySummary> {
        self.entries.get(i).map(|e| e.summary(self.trials))
    }

    /// The summaries of every report entry, in order.
    pub fn entry_summaries(&self) -> Vec<EntrySummary> {
        self.entries
            .iter()
            .map(|e| e.summary(self.trials))
            .collect()
    }

    /// The focus outcome of each trial, in trial order.
    pub fn focus_outcomes(&self) -> &[f64] {
        &self.focus
    }

    /// The Spearman correlation of each uncertain parameter (in
    /// [`Scenario::uncertain_parameters`] order) with the focus outcome, over
    /// the first [`SENSITIVITY_TRIALS`] trials (all of them in a smaller
    /// run). For statistics that start at a later trial (one shard of a run),
    /// over that shard's trials below the limit, and 0 when it has none.
    pub fn spearman_by_parameter(&self) -> Vec<f64> {
        self.uncertain
            .iter()
            .map(|column| spearman(column, &self.focus))
            .collect()
    }

    /// Quantiles of the peak split-market gap for each
    /// [`Scenario::restricted_pairs`] pair, in order: ratios, read off
    /// histograms of `ln` gap with bins [`PRICE_BIN_WIDTH`] wide, over the
    /// trials that measured a gap; `None` when none did (no other country
    /// would have bought from the exporter in month 0, so there is no
    /// customers' price to compare).
    pub fn split_gaps(&self) -> Vec<Option<Spread>> {
        self.split_gaps
            .iter()
            .map(|h| {
                let q = |q: f64| h.quantile(q).map(math::exp);
                Some(Spread {
                    p5: q(0.05)?,
                    p50: q(0.5)?,
                    p95: q(0.95)?,
                })
            })
            .collect()
    }

    /// Median over trials of each output share in month 0, `[row][country]`
    /// with rows as [`share_rows`] orders them; from histograms of
    /// [`SHARE_BINS`] bins, exact at 0 and 1 (0 with no trials).
    pub fn median_shares_first(&self) -> Vec<ShareRow> {
        medians(&self.shares_first)
    }

    /// The same for the last month of the horizon.
    pub fn median_shares_last(&self) -> Vec<ShareRow> {
        medians(&self.shares_last)
    }

    /// Median over trials of each row's HHI (0..10,000) in month 0, rows
    /// as [`share_rows`] orders them: the HHI of each trial's shares, then
    /// the median, within [`HHI_BIN`] (0 with no trials).
    pub fn median_hhi_first(&self) -> Vec<f64> {
        medians_of(&self.hhi_first)
    }

    /// The same for the last month of the horizon.
    pub fn median_hhi_last(&self) -> Vec<f64> {
        medians_of(&self.hhi_last)
    }
}

/// Reads `n` items with `item`; the list grows as items arrive, so a corrupt
/// count cannot reserve memory ahead of the file.
fn decode_list<R: BufRead, T>(
    dec: &mut Decoder<R>,
    n: usize,
    mut item: impl FnMut(&mut Decoder<R>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut items = Vec::new();
    for _ in 0..n {
        items.push(item(dec)?);
    }
    Ok(items)
}

fn medians(hists: &[Vec<Histogram>]) -> Vec<ShareRow> {
    hists.iter().map(|row| medians_of(row)).collect()
}

/// The median of each histogram (0 for an empty one).
fn medians_of(hists: &[Histogram]) -> Vec<f64> {
    hists
        .iter()
        .map(|h| h.quantile(0.5).unwrap_or(0.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::censored_median;

    #[test]
    fn the_censored_median_counts_never_recovered_as_longest() {
        // 1, 1, 2 and one beyond: type 7 median of four is between 1 and 2.
        assert_eq!(censored_median(&[0, 2, 1], 1), Some(1.5));
        // 1 and one beyond: the median needs the censored value.
        assert_eq!(censored_median(&[0, 1], 1), None);
        // Odd count: 0, 3, 3, 5, >5 has median 3.
        assert_eq!(censored_median(&[1, 0, 0, 2, 0, 1], 1), Some(3.0));
        // No censored values: the plain median.
        assert_eq!(censored_median(&[0, 1, 0, 1], 0), Some(2.0));
        // Nothing at all, or only censored values.
        assert_eq!(censored_median(&[0, 0], 0), None);
        assert_eq!(censored_median(&[0, 0], 3), None);
    }
}
