//! The run report (MODEL.md section 6) and its formats.
//!
//! This module owns what a finished run says and how it is written: a
//! [`Report`] is built once from the scenario and the run's
//! [`RunStatistics`], and then rendered as
//!
//! - JSON, by serialising the [`Report`] itself (schema [`SCHEMA`]; the field
//!   names of these types are the schema, so renaming one is a breaking
//!   change, while adding a field is not);
//! - a plain-text table for reading at a glance ([`Report::to_table`]);
//! - tidy CSV files, one row per observation ([`Report::write_csv`]);
//! - hand-written SVG charts, a price fan per report entry and a sensitivity
//!   tornado ([`Report::write_svg`]).
//!
//! Files are written atomically: each goes to a temporary file in the target
//! directory and is renamed into place, so a reader never sees half a file.
//!
//! [`partial`] owns the other file a run can write: one shard's mergeable
//! statistics, and the merge of a run's shards.
//!
//! Every number in a report is finite: statistics are built not to produce
//! NaN or infinities, and any that slipped through (a bug upstream) is
//! reported as 0 rather than as JSON `null`.

mod csv;
mod files;
pub mod partial;
mod svg;
mod table;

use serde::Serialize;

pub use files::{write_atomic, write_atomic_with};

use crate::engine::Stop;
use crate::scenario::{Restriction, Scenario, ShockKind};
use crate::statistics::{
    share_rows, EntrySummary, FanMonth, RunStatistics, ShareKind, Spread, SENSITIVITY_TRIALS,
};
use crate::world::{ProductField, Share, World};

/// The schema tag of the JSON report.
///
/// Version 2: `recovery_median_months` may be `null` (no short trial, or
/// half or more never recover); `mean_loss_tonnes` is not clipped at 0 and
/// may be negative; `mean_share_of_demand` is of final demand and
/// `mean_loss_share` a mean of per-trial shares; a concentration `hhi` is
/// the median of each trial's HHI (docs/MODEL_NOTES.md, section 6).
///
/// Version 3: a split market's customers are weighted by their unrestricted
/// month-0 asks of the exporter (they were month 0's shipments, so a
/// restriction from month 0 had no customers), and `peak_gap` is `null`
/// when there are none (it was a ratio of 0); each sensitivity row says
/// whether it is `within_noise`, and the focus gives `trials_ranked`.
pub const SCHEMA: &str = "shortfall.report/3";

/// What the caller of a run knows that the scenario does not: how it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The crate's version (see [`Manifest::new`]).
    pub crate_version: String,
    /// Worker threads used (results do not depend on it).
    pub threads: usize,
    /// Trials per batch (results do not depend on it).
    pub batch_size: u32,
}

impl Manifest {
    /// A manifest with this crate's version.
    pub fn new(threads: usize, batch_size: u32) -> Manifest {
        Manifest {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            threads,
            batch_size,
        }
    }
}

/// Everything a run reports; serialises to the JSON report.
///
/// ```no_run
/// use shortfall::report::{Manifest, Report};
/// use shortfall::statistics::RunStatistics;
/// use shortfall::Scenario;
///
/// let scenario = Scenario::from_path("scenarios/export_ban.toml")?;
/// let stats = RunStatistics::new(&scenario); // filled by the engine
/// let report = Report::new(&scenario, &stats, Manifest::new(2, 64));
/// print!("{}", report.to_table());
/// report.write_csv("out".as_ref())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// What was run.
    pub scenario: ScenarioInfo,
    /// One result per reported country and product, in the scenario's order.
    pub results: Vec<EntryResult>,
    /// Output shares of every stage, process and product, first and last
    /// month.
    pub concentration: Vec<ConcentrationRow>,
    /// The split-market gap of each restricted (exporter, product) pair.
    pub split_market: Vec<SplitMarket>,
    /// Rank correlations of the uncertain parameters with the focus outcome,
    /// largest magnitude first (ties by parameter path).
    pub sensitivity: Vec<Sensitivity>,
    /// What this run cannot tell you.
    pub limits: Vec<String>,
    /// How it ran.
    pub manifest: RunManifest,
}

/// The scenario a report is about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioInfo {
    /// Its name.
    pub name: String,
    /// FNV-1a 64 of the scenario text, 16 lowercase hex digits.
    pub hash: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Trials the scenario asks for.
    pub trials: u32,
    /// Months simulated.
    pub horizon_months: u32,
}

/// The outcome for one country and product.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryResult {
    /// Country id.
    pub country: String,
    /// Product id.
    pub product: String,
    /// Unserved demand and loss.
    pub shortfall: ShortfallResult,
    /// Prices the country's buyers paid.
    pub price: PriceResult,
}

/// Shortfall statistics of one country and product, over trials. Tonnes are
/// cumulative over the horizon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShortfallResult {
    /// Share of trials with some short month (unserved above 1% of that
    /// month's demand).
    pub probability: f64,
    /// Mean unserved tonnes.
    pub mean_tonnes: f64,
    /// 5th percentile of unserved tonnes.
    pub p5_tonnes: f64,
    /// Median unserved tonnes.
    pub p50_tonnes: f64,
    /// 95th percentile of unserved tonnes.
    pub p95_tonnes: f64,
    /// CVaR95: mean unserved tonnes in the worst 5% of trials (exactly 5%,
    /// the boundary trial weighted; see [`crate::statistics::cvar`]).
    pub cvar95_tonnes: f64,
    /// Mean over trials of unserved / final demand (0 for a trial without
    /// demand).
    pub mean_share_of_demand: f64,
    /// Monte Carlo standard error of `mean_tonnes`.
    pub stderr_tonnes: f64,
    /// Mean of normal demand - served: buyers priced out count as well as
    /// buyers rationed; negative where buyers took more than normal demand
    /// (in a glut), so it is `mean_normal_demand_tonnes - mean_served_tonnes`.
    pub mean_loss_tonnes: f64,
    /// Mean over trials of loss / normal demand (0 for a trial without
    /// normal demand), like `mean_share_of_demand`.
    pub mean_loss_share: f64,
    /// Mean number of short months.
    pub months_short_mean: f64,
    /// Mean over trials of the largest monthly unserved tonnes (short or
    /// not).
    pub worst_month_mean_tonnes: f64,
    /// Median months from the first short month to the start of three months
    /// in a row at least 95% served, over the short trials, those that never
    /// recover counted as longest; `null` when no trial was short or half or
    /// more of the short trials never recover (the median lies beyond the
    /// horizon).
    pub recovery_median_months: Option<f64>,
    /// Share of the short trials that never recovered within the horizon
    /// (censored); 0 when no trial was short.
    pub recovery_censored_share: f64,
    /// Mean tonnes of this product that the country's processes asked for
    /// and did not get (idle capacity for want of this input).
    pub idle_input_mean_tonnes: f64,
    /// Trials with some short month.
    pub short_trials: u32,
    /// Short trials that recovered.
    pub recovered_trials: u32,
    /// Short trials that never recovered.
    pub censored_trials: u32,
    /// Mean normal demand (the same path without any price response), t.
    pub mean_normal_demand_tonnes: f64,
    /// Mean final demand served, t.
    pub mean_served_tonnes: f64,
}

/// Price statistics of one country and product, as multiples of the
/// product's reference price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriceResult {
    /// The product's central reference price `p_ref`, USD/kg.
    pub reference_usd_per_kg: f64,
    /// The product's central choke multiple `m_max`.
    pub choke_multiple: f64,
    /// The peak price over the horizon, over trials (fields `p5`, `p50`,
    /// `p95`).
    pub peak_multiple: Spread,
    /// Share of trials whose price reached the choke multiple.
    pub choke_share: f64,
    /// The monthly fan (fields `month`, `p5`, `p25`, `p50`, `p75`, `p95`),
    /// months 0 to horizon - 1; about ±0.5% from binning.
    pub fan: Vec<FanMonth>,
}

/// Median output shares of one stage, process or product.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConcentrationRow {
    /// `stage`, `process` or `product`.
    pub kind: ShareKind,
    /// Stage label, process id or product id.
    pub name: String,
    /// In month 0.
    pub first: ShareSnapshot,
    /// In the last month.
    pub last: ShareSnapshot,
}

/// Output shares in one month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShareSnapshot {
    /// HHI (0..10,000): the median over trials of each trial's HHI, within
    /// a point. (Not the HHI of the median shares below, which are taken
    /// country by country and need not sum to exactly 1.)
    pub hhi: f64,
    /// Countries with a positive median share, largest first (ties in world
    /// order).
    pub shares: Vec<Share>,
}

/// How far a restriction split an exporter's market from its customers'.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitMarket {
    /// The restricting country.
    pub exporter: String,
    /// The product.
    pub product: String,
    /// The peak over months of the customers' import-weighted price over the
    /// exporter's own, over trials (fields `p5`, `p50`, `p95`); customers are
    /// weighted by what they would ask of the exporter in month 0 with no
    /// restriction in force. `None` (`null` in JSON) when no other country
    /// would have (the exporter had nothing to offer in month 0), so that
    /// there is no customers' price to compare.
    pub peak_gap: Option<Spread>,
}

/// One row of the tornado.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sensitivity {
    /// The parameter's path (`shock.ban.duration_months`).
    pub parameter: String,
    /// Spearman rank correlation with the focus outcome, -1..1.
    pub spearman: f64,
    /// Whether `|spearman|` is below [`noise_band`] for the trials ranked:
    /// a parameter with no influence at all would show a correlation this
    /// large in more than 5% of runs, so the row ranks nothing. (Of 100
    /// parameters without influence, about 5 still land outside the band.)
    pub within_noise: bool,
}

/// The largest rank correlation that Monte Carlo noise alone makes likely
/// over `trials` ranked trials: `1.96 / sqrt(trials - 1)`, the two-sided 95%
/// bound of Spearman's rho between independent variables (whose variance
/// is exactly `1 / (n - 1)`). Infinite below 2 trials, where nothing ranks.
///
/// ```
/// use shortfall::report::noise_band;
/// assert!((noise_band(1_001) - 0.062).abs() < 1e-3);
/// assert!(noise_band(1).is_infinite());
/// ```
pub fn noise_band(trials: usize) -> f64 {
    if trials < 2 {
        f64::INFINITY
    } else {
        1.96 / ((trials - 1) as f64).sqrt()
    }
}

/// How a run was made, to reproduce it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunManifest {
    /// The crate's version.
    pub crate_version: String,
    /// FNV-1a 64 of the scenario text, 16 lowercase hex digits.
    pub scenario_hash: String,
    /// FNV-1a 64 of the world file, 16 lowercase hex digits.
    pub world_hash: String,
    /// Seed.
    pub seed: u64,
    /// Trials the scenario asks for.
    pub trials: u32,
    /// Trials actually aggregated (equal to `trials` for a complete run).
    pub trials_run: u32,
    /// Worker threads. Not in the JSON: results do not depend on the thread
    /// count, and the JSON of a run is byte-identical for any number of
    /// threads; the table shows it.
    #[serde(skip)]
    pub threads: usize,
    /// Trials per batch.
    pub batch_size: u32,
    /// The outcome the sensitivity analysis explains.
    pub focus: FocusInfo,
    /// Why a run with a precision target stopped; absent (not `null`) for a
    /// run of a fixed number of trials, so such runs' JSON is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<StopInfo>,
}

/// How a run with a precision target (`--precision`) ended.
///
/// Serialises as `{"reason", "target", "trials"}`, plus `"relative_error"`
/// when the target was not reached.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StopInfo {
    /// `precision` (the target was reached) or `cap` (the trial cap came
    /// first).
    pub reason: String,
    /// The target relative standard error of the focus outcome's mean.
    pub target: f64,
    /// Trials run.
    pub trials: u32,
    /// The relative standard error reached, when it missed the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relative_error: Option<f64>,
}

impl StopInfo {
    /// What a run with precision `target` that stopped with `stop` after
    /// `trials` trials reports; `None` for a run without a target or a
    /// cancelled one.
    pub fn new(stop: Stop, target: f64, trials: u32) -> Option<StopInfo> {
        match stop {
            Stop::Precision { trials } => Some(StopInfo {
                reason: "precision".to_string(),
                target: finite(target),
                trials,
                relative_error: None,
            }),
            Stop::PrecisionNotReached { relative_error } => Some(StopInfo {
                reason: "cap".to_string(),
                target: finite(target),
                trials,
                // Infinite when it cannot be judged (a focus outcome that is
                // always 0); JSON has no infinity, and 0 would read as
                // perfect, so the largest finite number stands in.
                relative_error: Some(if relative_error.is_finite() {
                    relative_error
                } else {
                    f64::MAX
                }),
            }),
            Stop::Complete | Stop::Cancelled => None,
        }
    }
}

/// The focus outcome, by name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FocusInfo {
    /// Country id.
    pub country: String,
    /// Product id.
    pub product: String,
    /// `shortfall`, `loss`, `peak_price` or `months_short`.
    pub outcome: String,
    /// Trials the rank correlations are taken over: all of them, up to
    /// [`SENSITIVITY_TRIALS`]. Correlations within [`noise_band`] of this
    /// many trials are marked `within_noise`.
    pub trials_ranked: usize,
}

impl FocusInfo {
    /// The noise band of the rank correlations, as charts and tables draw
    /// it: [`noise_band`] of the trials ranked, capped at the 1 no
    /// correlation exceeds.
    pub fn shown_noise_band(&self) -> f64 {
        noise_band(self.trials_ranked).min(1.0)
    }
}

/// A finite number: NaN and infinities become 0 (see the module docs).
fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

impl Spread {
    fn finite(self) -> Spread {
        Spread {
            p5: finite(self.p5),
            p50: finite(self.p50),
            p95: finite(self.p95),
        }
    }
}

impl FanMonth {
    fn finite(self) -> FanMonth {
        FanMonth {
            month: self.month,
            p5: finite(self.p5),
            p25: finite(self.p25),
            p50: finite(self.p50),
            p75: finite(self.p75),
            p95: finite(self.p95),
        }
    }
}

fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

fn country_id(world: &World, c: usize) -> String {
    world
        .countries
        .get(c)
        .map_or_else(|| format!("country#{c}"), |c| c.id.clone())
}

fn product_id(world: &World, p: usize) -> String {
    world
        .products
        .get(p)
        .map_or_else(|| format!("product#{p}"), |p| p.id.clone())
}

impl Report {
    /// Builds the report of a run of `scenario` whose trials were aggregated
    /// into `stats`.
    pub fn new(scenario: &Scenario, stats: &RunStatistics, manifest: Manifest) -> Report {
        let world = &scenario.world;
        let values = world.central_values();
        let product_field = |p: usize, f: ProductField| {
            if p < world.products.len() {
                finite(values.product_field(p, f))
            } else {
                0.0
            }
        };

        let results = scenario
            .report
            .iter()
            .zip(stats.entry_summaries())
            .map(|(entry, summary)| EntryResult {
                country: country_id(world, entry.country),
                product: product_id(world, entry.product),
                shortfall: shortfall_result(&summary),
                price: PriceResult {
                    reference_usd_per_kg: product_field(entry.product, ProductField::PRef),
                    choke_multiple: product_field(entry.product, ProductField::MMax),
                    peak_multiple: summary.peak_price.finite(),
                    choke_share: finite(summary.choke_share),
                    fan: summary.fan.iter().map(|m| m.finite()).collect(),
                },
            })
            .collect();

        let (first, last) = (stats.median_shares_first(), stats.median_shares_last());
        let (hhi_first, hhi_last) = (stats.median_hhi_first(), stats.median_hhi_last());
        let concentration = share_rows(world)
            .into_iter()
            .enumerate()
            .map(|(k, (kind, name))| ConcentrationRow {
                kind,
                name: name.to_string(),
                first: snapshot(world, &first[k], hhi_first[k]),
                last: snapshot(world, &last[k], hhi_last[k]),
            })
            .collect();

        let split_market = scenario
            .restricted_pairs()
            .into_iter()
            .zip(stats.split_gaps())
            .map(|((exporter, product), gap)| SplitMarket {
                exporter: country_id(world, exporter),
                product: product_id(world, product),
                peak_gap: gap.map(Spread::finite),
            })
            .collect();

        let band = noise_band(stats.sensitivity_trials());
        // Sorted by magnitude, so the rows within noise come last.
        let mut sensitivity: Vec<Sensitivity> = scenario
            .uncertain_parameters()
            .zip(stats.spearman_by_parameter())
            .map(|(parameter, rho)| {
                let spearman = finite(rho);
                Sensitivity {
                    parameter: parameter.path.clone(),
                    spearman,
                    within_noise: spearman.abs() < band,
                }
            })
            .collect();
        sensitivity.sort_by(|a, b| {
            b.spearman
                .abs()
                .total_cmp(&a.spearman.abs())
                .then_with(|| a.parameter.cmp(&b.parameter))
        });

        let focus = FocusInfo {
            country: country_id(world, scenario.focus.country),
            product: product_id(world, scenario.focus.product),
            outcome: scenario.focus.outcome.name().to_string(),
            trials_ranked: stats.sensitivity_trials(),
        };
        Report {
            schema: SCHEMA.to_string(),
            scenario: ScenarioInfo {
                name: scenario.name.clone(),
                hash: hex(scenario.hash),
                seed: scenario.seed,
                trials: scenario.trials,
                horizon_months: scenario.horizon_months,
            },
            results,
            concentration,
            split_market,
            sensitivity,
            limits: limits(scenario, stats),
            manifest: RunManifest {
                crate_version: manifest.crate_version,
                scenario_hash: hex(scenario.hash),
                world_hash: hex(world.hash),
                seed: scenario.seed,
                trials: scenario.trials,
                trials_run: stats.trials(),
                threads: manifest.threads,
                batch_size: manifest.batch_size,
                focus,
                stopped: None,
            },
        }
    }
}

fn shortfall_result(s: &EntrySummary) -> ShortfallResult {
    ShortfallResult {
        probability: finite(s.probability_short),
        mean_tonnes: finite(s.unserved_mean_t),
        p5_tonnes: finite(s.unserved_t.p5),
        p50_tonnes: finite(s.unserved_t.p50),
        p95_tonnes: finite(s.unserved_t.p95),
        cvar95_tonnes: finite(s.unserved_cvar95_t),
        mean_share_of_demand: finite(s.unserved_share_mean),
        stderr_tonnes: finite(s.unserved_stderr_t),
        mean_loss_tonnes: finite(s.loss_mean_t),
        mean_loss_share: finite(s.loss_share),
        months_short_mean: finite(s.months_short_mean),
        worst_month_mean_tonnes: finite(s.worst_month_mean_t),
        recovery_median_months: s.recovery_median_months.map(finite),
        recovery_censored_share: finite(s.censored_share),
        idle_input_mean_tonnes: finite(s.idle_input_mean_t),
        short_trials: s.short_trials,
        recovered_trials: s.recovered_trials,
        censored_trials: s.censored_trials,
        mean_normal_demand_tonnes: finite(s.normal_demand_mean_t),
        mean_served_tonnes: finite(s.served_mean_t),
    }
}

/// A whole number with thousands separators.
fn grouped_int(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Positive median shares, largest first, and the median HHI.
fn snapshot(world: &World, row: &[f64], hhi: f64) -> ShareSnapshot {
    let mut shares: Vec<Share> = world
        .countries
        .iter()
        .zip(row)
        .filter(|(_, &share)| share > 0.0 && share.is_finite())
        .map(|(c, &share)| Share {
            country: c.id.clone(),
            share,
        })
        .collect();
    // Stable: equal shares keep world order.
    shares.sort_by(|a, b| b.share.total_cmp(&a.share));
    ShareSnapshot {
        hhi: finite(hhi),
        shares,
    }
}

/// What this run cannot tell, from the model's simplifications and the
/// scenario at hand.
fn limits(scenario: &Scenario, stats: &RunStatistics) -> Vec<String> {
    let mut limits: Vec<String> = [
        "no re-export leakage: goods that cross a restricted border stay where they land",
        "no endogenous new mines or plants: capacity changes only through the scenario's shocks",
        "prices are multiples of a reference, not forecasts of quoted prices",
        "one demand noise per product shared by all countries",
    ]
    .map(String::from)
    .to_vec();

    // Licences, and ramped bans (a licence whose approval falls to 0), approve
    // a share of every destination's asks.
    let licensing = scenario.shocks.iter().any(|shock| match &shock.kind {
        ShockKind::ExportRestriction { restriction, .. } => match restriction {
            Restriction::License { .. } => true,
            Restriction::Ban => shock.ramp_months.is_some_and(|r| {
                scenario
                    .parameters
                    .get(r.0)
                    .is_some_and(|p| p.quantity.is_uncertain() || p.central() > 1.0)
            }),
            Restriction::Quota { .. } | Restriction::Tariff { .. } => false,
        },
        _ => false,
    });
    if licensing {
        limits.push("licences are approved as a share of asks, not firm by firm".to_string());
    }

    let unmade: Vec<&str> = scenario
        .world
        .products
        .iter()
        .filter(|p| p.made_by.is_empty())
        .map(|p| p.id.as_str())
        .collect();
    if !unmade.is_empty() {
        limits.push(format!(
            "no process in this world makes {}: supply of {} is only the stocks on hand",
            unmade.join(", "),
            if unmade.len() == 1 { "it" } else { "them" }
        ));
    }

    if stats.trials() != scenario.trials {
        limits.push(format!(
            "only {} of the scenario's {} trials were aggregated",
            stats.trials(),
            scenario.trials
        ));
    }
    if stats.trials() > SENSITIVITY_TRIALS {
        limits.push(format!(
            "rank correlations use the first {} trials (standard error of each about 0.004)",
            grouped_int(SENSITIVITY_TRIALS)
        ));
    }
    // A focus outcome that never varies (a shortfall that never happens, say)
    // ranks nothing: every correlation is 0 and says nothing.
    let focus = stats.focus_outcomes();
    if focus.len() > 1 && focus.iter().all(|&x| x == focus[0]) {
        let f = &scenario.focus;
        limits.push(format!(
            "the focus outcome ({} of {} {}) is {} in every trial, so the rank correlations are 0 and rank nothing: choose another focus",
            f.outcome.name().replace('_', " "),
            country_id(&scenario.world, f.country),
            product_id(&scenario.world, f.product),
            focus[0]
        ));
    }
    if stats.mismatched_records() > 0 {
        limits.push(format!(
            "{} trial records did not match the scenario's shape (an engine bug): their missing numbers were skipped",
            stats.mismatched_records()
        ));
    }
    limits
}
