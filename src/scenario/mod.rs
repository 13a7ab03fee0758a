//! Scenarios: what goes wrong, when, and how likely (MODEL.md sections 4 and 5).
//!
//! A [`Scenario`] is read from TOML, validated against its [`World`], and holds
//! everything a run needs with ids resolved to indices. Every number of every
//! shock is a [`Parameter`] (fixed or a distribution) addressed by a
//! [`ParamRef`]; the uncertain figures of the world join them, so one trial's
//! draws are a flat vector of numbers (see [`Scenario::draw`]).
//!
//! ```
//! use shortfall::scenario::Scenario;
//!
//! let toml = r#"
//! [scenario]
//! name = "Dy ban"
//! horizon_months = 24
//! trials = 1000
//! seed = 7
//! report = [{ country = "Japan", product = "dytb_oxide" }]
//!
//! [[shock]]
//! id = "ban"
//! kind = "export_restriction"
//! from = "CHN"
//! products = ["dytb_oxide"]
//! to = "all"
//! mode = "ban"
//! start_month = 1
//! duration_months = { dist = "pert", min = 6, mode = 12, max = 24 }
//! "#;
//! let scenario = Scenario::from_toml("dy_ban.toml", toml, ".").unwrap();
//! assert_eq!(scenario.shocks.len(), 1);
//! let uncertain: Vec<&str> = scenario.uncertain_parameters().map(|p| p.path.as_str()).collect();
//! assert!(uncertain.contains(&"shock.ban.duration_months"));
//! ```

mod copula;
mod draw;
mod parse;

use std::path::{Path, PathBuf};

pub use copula::{Copula, Correlation};

/// The most quota restrictions a scenario may hold: the engine keeps the
/// quotas covering a link in a set with a bit for each.
pub const MAX_QUOTAS: usize = 64;
pub use draw::TrialDraw;

use crate::distributions::{Quantity, StreamId};
use crate::input::{InputError, LimitError, Limits, Location};
use crate::world::{CountryIdx, ProcessIdx, ProductIdx, World, WorldError, WorldField};

/// Errors from reading or validating a scenario.
///
/// Each message names the file, line and column, says what was expected and
/// what was found, and suggests the nearest valid name:
///
/// ```
/// use shortfall::input::InputErrorKind;
/// use shortfall::{Scenario, ScenarioError};
///
/// let text = "[scenario]\nhorizon_months = 12\ntrials = 10\nseed = 1\n\
///             report = [{ country = \"Japn\", product = \"ndfeb_magnet\" }]\n";
/// let err = Scenario::from_toml("typo.toml", text, ".").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "typo.toml:5:23: scenario.report[1].country: unknown country `Japn`; did you mean `JPN`?"
/// );
/// match err {
///     ScenarioError::Input(e) => {
///         assert_eq!((e.location.line, e.location.column), (5, 23));
///         assert!(matches!(e.kind, InputErrorKind::UnknownId { .. }));
///     }
///     other => panic!("{other}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The scenario file could not be read.
    #[error("cannot read scenario {}: {source}", path.display())]
    Read {
        /// The file as named.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A value in the scenario is malformed or impossible.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The scenario is larger than the limits allow.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The world the scenario names could not be loaded.
    #[error("{location}: {source}")]
    World {
        /// Where the scenario names the world.
        location: Location,
        /// What went wrong with it.
        source: WorldError,
    },
}

/// Index of a [`Parameter`] in [`Scenario::parameters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamRef(pub usize);

/// How a sampled value is turned into the number the model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Used as drawn.
    None,
    /// A month count: rounded to the nearest whole month (MODEL.md section 4).
    Months,
}

/// What a parameter sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A number of the world (an uncertain figure of the world file).
    World(WorldField),
    /// A number of a shock, read through its [`ParamRef`].
    Shock,
}

/// One number of a scenario or its world that a trial may sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Dotted path naming it (`shock.ban.duration_months`,
    /// `countries.AUS.processes.mine_light.cap0`); also names its random stream.
    pub path: String,
    /// The stream its draws come from.
    pub stream: StreamId,
    /// Its value or distribution.
    pub quantity: Quantity,
    /// Whether it is a month count.
    pub rounding: Rounding,
    /// What it sets.
    pub target: Target,
    /// Where it is written (`None` for figures of the embedded world).
    pub location: Option<Location>,
}

impl Parameter {
    /// The value for the uniform draw `u`, rounded if it counts months.
    pub fn value(&self, u: f64) -> f64 {
        self.round(self.quantity.sample(u))
    }

    /// The central value, rounded if it counts months.
    pub fn central(&self) -> f64 {
        self.round(self.quantity.central())
    }

    fn round(&self, x: f64) -> f64 {
        match self.rounding {
            Rounding::None => x,
            Rounding::Months => x.round(),
        }
    }
}

/// A country/product pair whose outcomes a run reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportEntry {
    /// The country.
    pub country: CountryIdx,
    /// The product.
    pub product: ProductIdx,
}

/// Which outcome the sensitivity analysis explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Cumulative unserved tonnes (the default).
    Shortfall,
    /// Normal demand minus served, tonnes (counts buyers priced out).
    Loss,
    /// The highest price multiple over the horizon.
    PeakPrice,
    /// Months with unserved demand above 1% of that month's demand.
    MonthsShort,
}

impl Outcome {
    /// Every outcome with its name in files.
    pub const NAMES: [(Outcome, &'static str); 4] = [
        (Outcome::Shortfall, "shortfall"),
        (Outcome::Loss, "loss"),
        (Outcome::PeakPrice, "peak_price"),
        (Outcome::MonthsShort, "months_short"),
    ];

    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        Outcome::NAMES
            .iter()
            .find(|(o, _)| *o == self)
            .map_or("shortfall", |(_, n)| n)
    }
}

/// The outcome a run's sensitivity analysis explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Focus {
    /// The country.
    pub country: CountryIdx,
    /// The product.
    pub product: ProductIdx,
    /// The outcome.
    pub outcome: Outcome,
}

/// How an export restriction limits a link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Restriction {
    /// Nothing passes.
    Ban,
    /// At most `approval` times the destination's unrestricted ask passes, and
    /// nothing during the first `delay_months`.
    License {
        /// Share approved, 0..1.
        approval: ParamRef,
        /// Months before the first approval.
        delay_months: ParamRef,
    },
    /// Shipments to the covered destinations capped at `tonnes_per_year / 12` a
    /// month, per product.
    Quota {
        /// Tonnes a year.
        tonnes_per_year: ParamRef,
    },
    /// An ad valorem duty; it does not split markets.
    Tariff {
        /// The rate (0.25 = 25%).
        rate: ParamRef,
    },
}

impl Restriction {
    /// The mode's name in files.
    pub fn name(&self) -> &'static str {
        match self {
            Restriction::Ban => "ban",
            Restriction::License { .. } => "license",
            Restriction::Quota { .. } => "quota",
            Restriction::Tariff { .. } => "tariff",
        }
    }
}

/// How an outage strikes.
#[derive(Clone, Debug, PartialEq)]
pub enum Outage {
    /// A fixed share of capacity lost throughout the window.
    Loss(ParamRef),
    /// Outages starting at random within the window (not while one runs).
    Random {
        /// Expected starts a year.
        rate_per_year: ParamRef,
        /// Length of each outage, drawn per event from stream `stream`.
        outage_months: Quantity,
        /// The stream of the per-event lengths (counter = event number).
        stream: StreamId,
        /// Share of capacity lost while an outage runs (1 unless `loss` is given).
        loss: ParamRef,
    },
}

/// How a demand shock changes demand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DemandChange {
    /// Demand times this factor in the window (several multiply).
    Multiplier(ParamRef),
    /// Added to the growth rate in the window; the level reached stays.
    Growth(ParamRef),
}

/// What a shock does.
#[derive(Clone, Debug, PartialEq)]
pub enum ShockKind {
    /// An exporter limits exports of some products to some destinations.
    ExportRestriction {
        /// The exporter.
        from: CountryIdx,
        /// The products covered.
        products: Vec<ProductIdx>,
        /// `to` minus `except` minus `from`.
        destinations: Vec<CountryIdx>,
        /// How the links are limited.
        restriction: Restriction,
    },
    /// New capacity or a closure.
    Capacity {
        /// The country.
        country: CountryIdx,
        /// The process.
        process: ProcessIdx,
        /// Change in t/yr (times the ramp share).
        change_tpa: ParamRef,
    },
    /// A disruption of a plant or mine.
    Outage {
        /// The country.
        country: CountryIdx,
        /// The process.
        process: ProcessIdx,
        /// Fixed or random outages.
        outage: Outage,
    },
    /// A surge or drop in final demand.
    Demand {
        /// The countries affected.
        countries: Vec<CountryIdx>,
        /// The product.
        product: ProductIdx,
        /// The change.
        change: DemandChange,
    },
    /// A strategic stockpile.
    Stockpile {
        /// The holder.
        country: CountryIdx,
        /// The product.
        product: ProductIdx,
        /// Tonnes put in the stockpile at the start of the window.
        tonnes: Option<ParamRef>,
        /// Purchases, t/yr, claimed like restocking.
        buy_tpa: Option<ParamRef>,
        /// Release when receipts plus commercial stock meet less than this share
        /// of use (`None`: never released).
        release_below_fill: Option<ParamRef>,
        /// Most released in a month (`None`: no limit).
        max_release_tpm: Option<ParamRef>,
    },
    /// Overrides one number of the world in the window.
    Set {
        /// The number.
        field: WorldField,
        /// Its value.
        value: ParamRef,
    },
}

impl ShockKind {
    /// The kind's name in files.
    pub fn name(&self) -> &'static str {
        match self {
            ShockKind::ExportRestriction { .. } => "export_restriction",
            ShockKind::Capacity { .. } => "capacity",
            ShockKind::Outage { .. } => "outage",
            ShockKind::Demand { .. } => "demand",
            ShockKind::Stockpile { .. } => "stockpile",
            ShockKind::Set { .. } => "set",
        }
    }
}

/// One shock with its window and likelihood.
#[derive(Clone, Debug, PartialEq)]
pub struct Shock {
    /// Its id (default: kind and 1-based position, `export_restriction.1`).
    pub id: String,
    /// What it does.
    pub kind: ShockKind,
    /// First month in force (months count from 0).
    pub start_month: ParamRef,
    /// Months in force (`None`: to the end of the horizon).
    pub duration_months: Option<ParamRef>,
    /// Months over which it phases in linearly (`None`: at once).
    pub ramp_months: Option<ParamRef>,
    /// Probability that it happens in a trial.
    pub probability: ParamRef,
    /// Index in [`Scenario::groups`] of the group whose single draw decides it.
    pub group: Option<usize>,
    /// The stream deciding whether it happens (`shock.ID.occurs`, or
    /// `group.NAME.occurs` shared by a group).
    pub occurs_stream: StreamId,
    /// Where the shock is written.
    pub location: Location,
}

/// Where a scenario's world comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldSource {
    /// The embedded default world.
    Default,
    /// A world file, resolved relative to the scenario.
    File(PathBuf),
}

/// A validated scenario with its world.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// What it represents, with sources.
    pub description: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// FNV-1a 64 hash of the scenario text, for manifests.
    pub hash: u64,
    /// Where its world came from.
    pub world_source: WorldSource,
    /// The world.
    pub world: World,
    /// Months simulated.
    pub horizon_months: u32,
    /// Trials to run.
    pub trials: u32,
    /// Seed of every random stream.
    pub seed: u64,
    /// Country/product pairs to report.
    pub report: Vec<ReportEntry>,
    /// The outcome explained by the sensitivity analysis.
    pub focus: Focus,
    /// Shocks in file order.
    pub shocks: Vec<Shock>,
    /// Names of the shock groups.
    pub groups: Vec<String>,
    /// Every number a trial needs: the world's uncertain figures, then the
    /// shocks' numbers.
    pub parameters: Vec<Parameter>,
    /// Rank correlations between sampled parameters (`[[correlation]]`).
    pub correlations: Vec<Correlation>,
    /// The Gaussian copula that applies them (`None` without correlations).
    pub copula: Option<Copula>,
}

impl Scenario {
    /// Reads a scenario file and the world it names.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        Scenario::from_path_with_limits(path, &Limits::default())
    }

    /// Reads a scenario file and the world it names within `limits`.
    pub fn from_path_with_limits(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let text =
            crate::input::read_limited(path, limits).map_err(|source| ScenarioError::Read {
                path: path.to_path_buf(),
                source,
            })??;
        let base = path.parent().unwrap_or(Path::new("."));
        parse::parse(crate::input::Source::new(path, text), base, None, limits)
    }

    /// Reads a scenario from TOML text; `name` is used in messages and a world
    /// path is resolved relative to `base_dir`.
    pub fn from_toml(
        name: impl Into<PathBuf>,
        text: impl Into<String>,
        base_dir: impl AsRef<Path>,
    ) -> Result<Scenario, ScenarioError> {
        parse::parse(
            crate::input::Source::new(name, text),
            base_dir.as_ref(),
            None,
            &Limits::default(),
        )
    }

    /// Reads a scenario from TOML text against a world the caller supplies,
    /// ignoring the file's `world` key (for programs that build their own world).
    pub fn from_toml_with_world(
        name: impl Into<PathBuf>,
        text: impl Into<String>,
        world: World,
    ) -> Result<Scenario, ScenarioError> {
        parse::parse(
            crate::input::Source::new(name, text),
            Path::new("."),
            Some(world),
            &Limits::default(),
        )
    }

    /// Checks the run's size against `limits`: trials, horizon, the work of
    /// `trials x months x countries x (products + processes)` and the price-fan
    /// cells held in memory. Parsing checks it; call it again after changing
    /// `trials` or `horizon_months`.
    pub fn check_limits(&self, limits: &Limits) -> Result<(), LimitError> {
        let over = |what: &str, found: String, limit: String, hint: &'static str| LimitError {
            location: None,
            what: format!("{}: {what}", self.file.display()),
            found,
            limit,
            hint: Some(hint),
        };
        if self.trials > limits.max_trials {
            return Err(over(
                "trials",
                self.trials.to_string(),
                limits.max_trials.to_string(),
                "lower --trials, or pass --allow-large",
            ));
        }
        if self.horizon_months > limits.max_horizon_months {
            return Err(over(
                "horizon",
                format!("{} months", self.horizon_months),
                format!("{} months", limits.max_horizon_months),
                "lower --horizon, or pass --allow-large",
            ));
        }
        let world = &self.world;
        let work = f64::from(self.trials)
            * f64::from(self.horizon_months)
            * world.countries.len() as f64
            * (world.products.len() + world.processes.len()) as f64;
        if work > limits.max_work {
            return Err(over(
                "trials x months x countries x (products + processes)",
                format!("{work:.3e}"),
                format!("{:.3e}", limits.max_work),
                "run fewer trials or shards (--shard), or pass --allow-large",
            ));
        }
        let cells = self.report.len() as u64 * u64::from(self.horizon_months);
        if cells > limits.max_fan_cells {
            return Err(over(
                "report entries x months",
                cells.to_string(),
                limits.max_fan_cells.to_string(),
                "report fewer pairs or a shorter horizon, or pass --allow-large",
            ));
        }
        Ok(())
    }

    /// The parameter behind a reference.
    pub fn parameter(&self, r: ParamRef) -> &Parameter {
        &self.parameters[r.0]
    }

    /// The parameters that are distributions, in order.
    pub fn uncertain_parameters(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters.iter().filter(|p| p.quantity.is_uncertain())
    }
}

impl Scenario {
    /// A one-line description of shock `i`, for `shortfall check` and reports
    /// (`CHN bans dytb_oxide, y_oxide to all 19 other countries`).
    pub fn describe_shock(&self, i: usize) -> String {
        let shock = &self.shocks[i];
        let world = &self.world;
        let country = |c: CountryIdx| world.countries[c].id.as_str();
        let product = |p: ProductIdx| world.products[p].id.as_str();
        let value = |r: ParamRef| self.parameter(r).quantity.to_string();
        let countries = |list: &[CountryIdx]| {
            if list.len() == world.countries.len() {
                "all countries".to_string()
            } else if list.len() > 6 {
                format!("{} countries", list.len())
            } else {
                list.iter()
                    .map(|&c| country(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let what = match &shock.kind {
            ShockKind::ExportRestriction {
                from,
                products,
                destinations,
                restriction,
            } => {
                let products: Vec<&str> = products.iter().map(|&p| product(p)).collect();
                let to = if destinations.len() + 1 == world.countries.len() {
                    format!("all {} other countries", destinations.len())
                } else {
                    countries(destinations)
                };
                let how = match restriction {
                    Restriction::Ban => "bans exports".to_string(),
                    Restriction::License {
                        approval,
                        delay_months,
                    } => format!(
                        "licenses exports (approval {}, delay {} months)",
                        value(*approval),
                        value(*delay_months)
                    ),
                    Restriction::Quota { tonnes_per_year } => {
                        format!(
                            "caps exports at {} t/yr per product",
                            value(*tonnes_per_year)
                        )
                    }
                    Restriction::Tariff { rate } => {
                        format!("taxes exports at rate {}", value(*rate))
                    }
                };
                format!(
                    "{} {how} of {} to {to}",
                    country(*from),
                    products.join(", ")
                )
            }
            ShockKind::Capacity {
                country: c,
                process,
                change_tpa,
            } => format!(
                "{} {} capacity changes by {} t/yr",
                country(*c),
                world.processes[*process].id,
                value(*change_tpa)
            ),
            ShockKind::Outage {
                country: c,
                process,
                outage,
            } => {
                let how = match outage {
                    Outage::Loss(loss) => format!("loses share {} of capacity", value(*loss)),
                    Outage::Random {
                        rate_per_year,
                        outage_months,
                        loss,
                        ..
                    } => format!(
                        "suffers outages at {} a year lasting {} months (loss {})",
                        value(*rate_per_year),
                        outage_months,
                        value(*loss)
                    ),
                };
                format!("{} {} {how}", country(*c), world.processes[*process].id)
            }
            ShockKind::Demand {
                countries: list,
                product: p,
                change,
            } => match change {
                DemandChange::Multiplier(m) => format!(
                    "demand for {} in {} times {}",
                    product(*p),
                    countries(list),
                    value(*m)
                ),
                DemandChange::Growth(g) => format!(
                    "demand growth for {} in {} plus {} a year",
                    product(*p),
                    countries(list),
                    value(*g)
                ),
            },
            ShockKind::Stockpile {
                country: c,
                product: p,
                tonnes,
                buy_tpa,
                release_below_fill,
                max_release_tpm,
            } => {
                let mut parts = Vec::new();
                if let Some(t) = tonnes {
                    parts.push(format!("holds {} t", value(*t)));
                }
                if let Some(b) = buy_tpa {
                    parts.push(format!("buys {} t/yr", value(*b)));
                }
                match release_below_fill {
                    Some(r) => parts.push(format!("releases below fill {}", value(*r))),
                    None => parts.push("no release rule".to_string()),
                }
                if let Some(m) = max_release_tpm {
                    parts.push(format!("at most {} t/month", value(*m)));
                }
                format!(
                    "{} stockpile of {}: {}",
                    country(*c),
                    product(*p),
                    parts.join(", ")
                )
            }
            ShockKind::Set { field, value: v } => {
                format!("{} set to {}", field.path(world), value(*v))
            }
        };
        let mut when = format!("from month {}", value(shock.start_month));
        match shock.duration_months {
            Some(d) => when.push_str(&format!(" for {} months", value(d))),
            None => when.push_str(" to the end"),
        }
        if let Some(r) = shock.ramp_months {
            when.push_str(&format!(", ramped over {} months", value(r)));
        }
        let p = self.parameter(shock.probability);
        if p.quantity.is_uncertain() || p.central() < 1.0 {
            when.push_str(&format!(", probability {}", p.quantity));
        }
        if let Some(g) = shock.group {
            when.push_str(&format!(" (group {})", self.groups[g]));
        }
        format!("{what}; {when}")
    }
}

impl Scenario {
    /// The (exporter, product) pairs under some export restriction other than
    /// a tariff, in order of first appearance: the markets a ban or licence can
    /// split.
    pub fn restricted_pairs(&self) -> Vec<(CountryIdx, ProductIdx)> {
        let mut pairs = Vec::new();
        for shock in &self.shocks {
            if let ShockKind::ExportRestriction {
                from,
                products,
                restriction,
                ..
            } = &shock.kind
            {
                if matches!(restriction, Restriction::Tariff { .. }) {
                    continue;
                }
                for &p in products {
                    if !pairs.contains(&(*from, p)) {
                        pairs.push((*from, p));
                    }
                }
            }
        }
        pairs
    }
}
