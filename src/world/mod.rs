//! The world: products, processes and countries (MODEL.md section 1).
//!
//! A [`World`] is read once from TOML (the embedded default or a user's file),
//! validated, and then never changes. Ids are resolved to indices here, so the
//! engine works on plain arrays: [`WorldValues`] holds one trial's numbers, and a
//! [`WorldField`] names one number of it (the target of a scenario's `set` shock
//! and the identity of an uncertain figure).
//!
//! ```
//! use shortfall::world::World;
//!
//! let world = World::default_world();
//! let china = world.country_index("China").unwrap();
//! assert_eq!(world.countries[china].id, "CHN");
//! let shares = world.concentration();
//! let mining = shares.stages.iter().find(|s| s.name == "mining").unwrap();
//! assert_eq!(mining.shares[0].country, "CHN");
//! ```

mod analysis;
mod fields;
mod parse;

use std::path::{Path, PathBuf};

pub use analysis::{Balance, BalanceRow, Concentration, Reserve, Share, Shares};

/// Normal-month throughput of every plant in month 0, t/month, `[country][process]`.
pub(crate) fn analysis_throughput(world: &World, values: &WorldValues) -> Vec<Vec<f64>> {
    analysis::normal_throughput(world, values, 0.0)
}
pub use fields::{
    CountryProductField, PlantField, ProductField, WorldField, ORDERED_PRODUCT_FIELDS,
};

use crate::input::{Figure, InputError, LimitError, Limits, Location};

/// The default world's file, embedded in the crate.
pub const DEFAULT_WORLD_TOML: &str = include_str!("default_world.toml");

/// The name under which the embedded world appears in messages.
pub const DEFAULT_WORLD_NAME: &str = "<default world>";

/// Index of a product in [`World::products`].
pub type ProductIdx = usize;
/// Index of a process in [`World::processes`].
pub type ProcessIdx = usize;
/// Index of a country in [`World::countries`].
pub type CountryIdx = usize;

/// Errors from reading or validating a world.
///
/// ```
/// use shortfall::world::{World, WorldError};
///
/// let text = r#"
/// [products.ore]
/// p_ref = 1
/// e_short = 0.2
/// e_long = 0.5
/// tau_sub = 12
/// sigma = 0.02
/// kappa = 0.3
///
/// [processes.mine]
/// stage = "mining"
/// outputs = { ore = 1 }
///
/// [countries.AAA]
/// processes.mine = { cap0 = -5 }
/// "#;
/// let err = World::from_toml("w.toml", text).unwrap_err();
/// assert!(matches!(err, WorldError::Input(_)));
/// assert_eq!(
///     err.to_string(),
///     "w.toml:15:27: countries.AAA.processes.mine.cap0: expected a number >= 0, found -5"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// The world file could not be read.
    #[error("cannot read world file {}: {source}", path.display())]
    Read {
        /// The file as named.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A value in the file is malformed or impossible.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The file is larger than the limits allow.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// Processes feed each other in a loop, so they cannot be ordered in levels.
    #[error("{location}: the process graph has a cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// Where the first process of the cycle is defined.
        location: Location,
        /// The process ids around the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
}

/// A traded good and how its buyers and sellers behave.
#[derive(Clone, Debug)]
pub struct Product {
    /// Short id used in files (`ndfeb_magnet`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Every behavioural field, indexed by [`ProductField`].
    pub fields: Vec<Figure>,
    /// Defaults for the per-country fields of countries that do not set them,
    /// indexed by [`CountryProductField`] (reserves excluded: absent means none).
    pub country_defaults: Vec<Figure>,
    /// The processes that make this product.
    pub made_by: Vec<ProcessIdx>,
    /// The level after whose production the product is traded each month.
    pub trade_level: usize,
}

impl Product {
    /// One behavioural field.
    pub fn field(&self, field: ProductField) -> &Figure {
        &self.fields[field as usize]
    }

    /// Whether a mining process makes it (only such products have reserves).
    pub fn is_mined(&self, world: &World) -> bool {
        self.made_by.iter().any(|&j| world.processes[j].is_mining())
    }
}

/// One input or output of a process, per tonne of throughput.
#[derive(Clone, Debug)]
pub struct Coefficient {
    /// The product consumed or made.
    pub product: ProductIdx,
    /// Tonnes per tonne of throughput.
    pub amount: Figure,
}

/// A Leontief process: inputs in, outputs out, each per tonne of throughput.
#[derive(Clone, Debug)]
pub struct Process {
    /// Short id (`separate_ionic`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Stage label for reports (`mining`, `separation`, `magnet`).
    pub stage: String,
    /// Inputs per tonne of throughput (empty for mining).
    pub inputs: Vec<Coefficient>,
    /// Outputs per tonne of throughput (co-products allowed).
    pub outputs: Vec<Coefficient>,
    /// 0 for mining, else 1 + the highest level making one of its inputs.
    pub level: usize,
    /// Defaults for the per-country fields, indexed by [`PlantField`].
    pub plant_defaults: Vec<Figure>,
}

impl Process {
    /// A process without inputs.
    pub fn is_mining(&self) -> bool {
        self.inputs.is_empty()
    }
}

/// A country's capacity for one process.
#[derive(Clone, Debug)]
pub struct Plant {
    /// The fields, indexed by [`PlantField`]: `cap0` (t/yr), `avail` (0..1),
    /// `growth` (per year).
    pub fields: Vec<Figure>,
}

impl Plant {
    /// One field.
    pub fn field(&self, field: PlantField) -> &Figure {
        &self.fields[field as usize]
    }
}

/// A country's figures for one product.
#[derive(Clone, Debug)]
pub struct Market {
    /// The fields, indexed by [`CountryProductField`]; `reserves` is `None` when
    /// unlimited (or for a product that is not mined).
    pub fields: Vec<Option<Figure>>,
}

impl Market {
    /// One field (`None` only for absent reserves).
    pub fn field(&self, field: CountryProductField) -> Option<&Figure> {
        self.fields[field as usize].as_ref()
    }
}

/// A country or bloc.
#[derive(Clone, Debug)]
pub struct Country {
    /// ISO 3166-1 alpha-3 id, or `EU27` / `ROW` for blocs.
    pub id: String,
    /// Human-readable name (also accepted as an alias).
    pub name: String,
    /// Other names accepted for it, case-insensitive.
    pub aliases: Vec<String>,
    /// Capacities, indexed by process (`None` where the country has none).
    pub plants: Vec<Option<Plant>>,
    /// Demand, stocks and reserves, indexed by product.
    pub markets: Vec<Market>,
}

/// A validated world: the model's fixed structure and figures.
#[derive(Clone, Debug)]
pub struct World {
    /// Name of the world.
    pub name: String,
    /// What it describes.
    pub description: String,
    /// The file it was read from ([`DEFAULT_WORLD_NAME`] for the embedded one).
    pub file: PathBuf,
    /// FNV-1a 64 hash of the file's text, for run manifests.
    pub hash: u64,
    /// Products, in file order.
    pub products: Vec<Product>,
    /// Processes, in file order.
    pub processes: Vec<Process>,
    /// Countries, in file order.
    pub countries: Vec<Country>,
    /// Process indices grouped by level, in file order within a level.
    pub levels: Vec<Vec<ProcessIdx>>,
}

impl World {
    /// The embedded 2024/2025 rare-earth world (see `src/world/default_world.toml`
    /// for every figure's source).
    // The embedded file is checked by the test suite (tests/world.rs); failing to
    // parse it is a build defect, not a user error, so it may panic.
    #[allow(clippy::expect_used)]
    pub fn default_world() -> World {
        World::from_toml(DEFAULT_WORLD_NAME, DEFAULT_WORLD_TOML)
            .expect("the embedded default world is valid (tested)")
    }

    /// Reads and validates a world file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<World, WorldError> {
        World::from_path_with_limits(path, &Limits::default())
    }

    /// Reads and validates a world file within `limits`.
    pub fn from_path_with_limits(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<World, WorldError> {
        let path = path.as_ref();
        let read = |source| WorldError::Read {
            path: path.to_path_buf(),
            source,
        };
        let text = crate::input::read_limited(path, limits).map_err(read)??;
        parse::parse(crate::input::Source::new(path, text), limits)
    }

    /// Reads and validates a world from TOML text; `name` is used in messages.
    pub fn from_toml(
        name: impl Into<PathBuf>,
        text: impl Into<String>,
    ) -> Result<World, WorldError> {
        parse::parse(crate::input::Source::new(name, text), &Limits::default())
    }

    /// The index of a product by id.
    pub fn product_index(&self, id: &str) -> Option<ProductIdx> {
        self.products.iter().position(|p| p.id == id)
    }

    /// The index of a process by id.
    pub fn process_index(&self, id: &str) -> Option<ProcessIdx> {
        self.processes.iter().position(|p| p.id == id)
    }

    /// The index of a country by id, name or alias, ignoring case
    /// (`"CHN"`, `"china"` and `"PRC"` all find China).
    pub fn country_index(&self, name: &str) -> Option<CountryIdx> {
        self.countries.iter().position(|c| {
            c.id.eq_ignore_ascii_case(name)
                || c.name.eq_ignore_ascii_case(name)
                || c.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
        })
    }

    /// The stage labels in order of first appearance.
    pub fn stages(&self) -> Vec<&str> {
        let mut stages: Vec<&str> = Vec::new();
        for p in &self.processes {
            if !stages.contains(&p.stage.as_str()) {
                stages.push(&p.stage);
            }
        }
        stages
    }

    /// Every figure given as a distribution, with the field it sets and its path
    /// (`countries.AUS.processes.mine_light.cap0`), which also names its random
    /// stream.
    pub fn uncertain_figures(&self) -> Vec<(WorldField, String, &Figure)> {
        self.fields()
            .filter(|(_, figure)| figure.quantity.is_uncertain())
            .map(|(field, figure)| (field, field.path(self), figure))
            .collect()
    }

    /// Every figure of the world with the field it sets.
    pub fn fields(&self) -> impl Iterator<Item = (WorldField, &Figure)> + '_ {
        let products = self.products.iter().enumerate().flat_map(|(p, product)| {
            ProductField::ALL
                .iter()
                .map(move |&f| (WorldField::Product(p, f), product.field(f)))
        });
        let processes = self.processes.iter().enumerate().flat_map(|(j, process)| {
            let inputs = process
                .inputs
                .iter()
                .map(move |c| (WorldField::Input(j, c.product), &c.amount));
            let outputs = process
                .outputs
                .iter()
                .map(move |c| (WorldField::Output(j, c.product), &c.amount));
            inputs.chain(outputs)
        });
        let countries = self.countries.iter().enumerate().flat_map(|(c, country)| {
            let plants = country
                .plants
                .iter()
                .enumerate()
                .flat_map(move |(j, plant)| {
                    plant.iter().flat_map(move |plant| {
                        PlantField::ALL
                            .iter()
                            .map(move |&f| (WorldField::Plant(c, j, f), plant.field(f)))
                    })
                });
            let markets = country
                .markets
                .iter()
                .enumerate()
                .flat_map(move |(p, market)| {
                    CountryProductField::ALL.iter().filter_map(move |&f| {
                        market
                            .field(f)
                            .map(|figure| (WorldField::Market(c, p, f), figure))
                    })
                });
            plants.chain(markets)
        });
        products.chain(processes).chain(countries)
    }

    /// The world's numbers with every figure at its central value.
    pub fn central_values(&self) -> WorldValues {
        let mut values = WorldValues::zeroed(self);
        // A country without a plant has zero capacity but the process's default
        // availability and growth, so capacity a scenario adds there runs.
        for c in 0..self.countries.len() {
            for (j, process) in self.processes.iter().enumerate() {
                for &f in PlantField::ALL {
                    let default = process.plant_defaults[f as usize].central();
                    values.set(WorldField::Plant(c, j, f), default);
                }
                values.set(WorldField::Plant(c, j, PlantField::Cap0), 0.0);
            }
        }
        for (field, figure) in self.fields() {
            values.set(field, figure.central());
        }
        values
    }
}

/// One trial's numbers for every figure of a [`World`], in flat arrays.
///
/// Absent plants have zero capacity; absent reserves are infinite.
#[derive(Clone, Debug, PartialEq)]
pub struct WorldValues {
    products: usize,
    processes: usize,
    /// `[product][ProductField]`.
    pub product: Vec<[f64; ProductField::COUNT]>,
    /// Input coefficients, `[process * products + product]`.
    pub input: Vec<f64>,
    /// Output coefficients, `[process * products + product]`.
    pub output: Vec<f64>,
    /// `[country * processes + process][PlantField]`.
    pub plant: Vec<[f64; PlantField::COUNT]>,
    /// `[country * products + product][CountryProductField]`.
    pub market: Vec<[f64; CountryProductField::COUNT]>,
}

impl WorldValues {
    fn zeroed(world: &World) -> WorldValues {
        let (np, nj, nc) = (
            world.products.len(),
            world.processes.len(),
            world.countries.len(),
        );
        let mut market = vec![[0.0; CountryProductField::COUNT]; nc * np];
        for m in &mut market {
            m[CountryProductField::Reserves as usize] = f64::INFINITY;
        }
        WorldValues {
            products: np,
            processes: nj,
            product: vec![[0.0; ProductField::COUNT]; np],
            input: vec![0.0; nj * np],
            output: vec![0.0; nj * np],
            plant: vec![[0.0; PlantField::COUNT]; nc * nj],
            market,
        }
    }

    /// Sets one number.
    pub fn set(&mut self, field: WorldField, value: f64) {
        *self.slot(field) = value;
    }

    /// Reads one number.
    pub fn get(&self, field: WorldField) -> f64 {
        match field {
            WorldField::Product(p, f) => self.product[p][f as usize],
            WorldField::Input(j, p) => self.input[j * self.products + p],
            WorldField::Output(j, p) => self.output[j * self.products + p],
            WorldField::Plant(c, j, f) => self.plant[c * self.processes + j][f as usize],
            WorldField::Market(c, p, f) => self.market[c * self.products + p][f as usize],
        }
    }

    fn slot(&mut self, field: WorldField) -> &mut f64 {
        match field {
            WorldField::Product(p, f) => &mut self.product[p][f as usize],
            WorldField::Input(j, p) => &mut self.input[j * self.products + p],
            WorldField::Output(j, p) => &mut self.output[j * self.products + p],
            WorldField::Plant(c, j, f) => &mut self.plant[c * self.processes + j][f as usize],
            WorldField::Market(c, p, f) => &mut self.market[c * self.products + p][f as usize],
        }
    }

    /// A product's field.
    pub fn product_field(&self, p: ProductIdx, f: ProductField) -> f64 {
        self.product[p][f as usize]
    }

    /// A plant's field (zero capacity where the country has no plant).
    pub fn plant_field(&self, c: CountryIdx, j: ProcessIdx, f: PlantField) -> f64 {
        self.plant[c * self.processes + j][f as usize]
    }

    /// A country's field for a product.
    pub fn market_field(&self, c: CountryIdx, p: ProductIdx, f: CountryProductField) -> f64 {
        self.market[c * self.products + p][f as usize]
    }

    /// Input coefficient of `p` in process `j` (0 if not an input).
    pub fn input_coefficient(&self, j: ProcessIdx, p: ProductIdx) -> f64 {
        self.input[j * self.products + p]
    }

    /// Output coefficient of `p` in process `j` (0 if not an output).
    pub fn output_coefficient(&self, j: ProcessIdx, p: ProductIdx) -> f64 {
        self.output[j * self.products + p]
    }
}

/// FNV-1a 64 of bytes: a stable, dependency-free fingerprint for manifests.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
