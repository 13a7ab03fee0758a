//! The numeric fields of a world: their names in files, their domains and defaults.
//!
//! One table per kind of field, so the parser, `set` paths, reports and the
//! engine agree on names. Names follow MODEL.md section 1; a few longer aliases
//! are accepted where the symbol alone would puzzle a reader.

use super::{CountryIdx, ProcessIdx, ProductIdx, World};
use crate::input::Domain;

macro_rules! field_enum {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $key:literal $(| $alias:literal)*, $domain:expr, $default:expr; )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $name {
            /// Every field, in index order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// How many fields there are.
            pub const COUNT: usize = [$($key),*].len();

            /// The name used in files and `set` paths.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)* }
            }

            /// Accepted spellings, the canonical key first.
            pub fn spellings(self) -> &'static [&'static str] {
                match self { $($name::$variant => &[$key $(, $alias)*],)* }
            }

            /// The values the field accepts.
            pub fn domain(self) -> Domain {
                match self { $($name::$variant => $domain,)* }
            }

            /// The value used when a file leaves the field out (`None`: required).
            pub fn default_value(self) -> Option<f64> {
                match self { $($name::$variant => $default,)* }
            }

            /// The field named `key` (canonical or alias).
            pub fn from_key(key: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|f| f.spellings().contains(&key))
            }

            /// Every accepted key, for messages and suggestions.
            pub fn all_keys() -> Vec<&'static str> {
                Self::ALL.iter().flat_map(|f| f.spellings().iter().copied()).collect()
            }
        }
    };
}

/// A product's fields that must be ordered, low then high, in every draw
/// and every month: `e_short <= e_long`, `d_min <= d_max`, `m_min <= m_max`.
pub const ORDERED_PRODUCT_FIELDS: [(ProductField, ProductField); 3] = [
    (ProductField::EShort, ProductField::ELong),
    (ProductField::DMin, ProductField::DMax),
    (ProductField::MMin, ProductField::MMax),
];

field_enum! {
    /// A behavioural field of a product (MODEL.md section 1).
    ProductField {
        /// Reference price, USD/kg.
        PRef = "p_ref" | "reference_price_usd_per_kg", Domain::Positive, None;
        /// Short-run demand elasticity (a magnitude: demand scales as `m^-e_short`).
        EShort = "e_short", Domain::Positive, None;
        /// Long-run demand elasticity, at least `e_short`.
        ELong = "e_long", Domain::Positive, None;
        /// Substitution time, months (>= 1).
        TauSub = "tau_sub", Domain::AtLeast(1.0), None;
        /// Demand noise per month (log sd).
        Sigma = "sigma", Domain::NonNegative, None;
        /// Price adjustment speed per month.
        Kappa = "kappa", Domain::Between(0.0, 1.0), None;
        /// Supply elasticity: how far producers curtail when output is cheap.
        ESupply = "e_supply", Domain::NonNegative, Some(0.0);
        /// How much a buyer prefers its own country's output.
        HomeWeight = "home_weight", Domain::Positive, Some(10.0);
        /// Lower bound of the demand response.
        DMin = "d_min", Domain::NonNegative, Some(0.25);
        /// Upper bound of the demand response.
        DMax = "d_max", Domain::Positive, Some(2.0);
        /// Price floor as a multiple of `p_ref`.
        MMin = "m_min", Domain::Positive, Some(0.05);
        /// Choke multiple: the price ceiling where buyers switch to substitutes.
        MMax = "m_max", Domain::Positive, Some(1000.0);
    }
}

field_enum! {
    /// A country's field for one process.
    PlantField {
        /// Capacity at month 0, t/yr of throughput.
        Cap0 = "cap0" | "capacity_tpa", Domain::NonNegative, None;
        /// Share of capacity that runs in a normal month.
        Avail = "avail" | "availability", Domain::Share, Some(1.0);
        /// Capacity trend per year.
        Growth = "growth", Domain::AtLeast(-1.0), Some(0.0);
    }
}

field_enum! {
    /// A country's field for one product.
    CountryProductField {
        /// Final demand at reference prices, t/yr.
        DRef = "d_ref" | "D_ref" | "demand_tpa", Domain::NonNegative, Some(0.0);
        /// Demand growth per year.
        G = "g" | "demand_growth", Domain::AtLeast(-1.0), Some(0.0);
        /// Stock cover, months of normal use.
        Cover = "cover" | "stock_cover_months", Domain::NonNegative, Some(0.0);
        /// Restock time, months (>= 1).
        Restock = "restock" | "restock_months", Domain::AtLeast(1.0), Some(1.0);
        /// Reserves of a mined product, t (absent: unlimited).
        Reserves = "reserves" | "reserves_t", Domain::NonNegative, None;
    }
}

/// One number of a world: what a `set` shock overrides and what an uncertain
/// figure samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorldField {
    /// `products.ID.FIELD`.
    Product(ProductIdx, ProductField),
    /// `processes.ID.inputs.PRODUCT`.
    Input(ProcessIdx, ProductIdx),
    /// `processes.ID.outputs.PRODUCT`.
    Output(ProcessIdx, ProductIdx),
    /// `countries.ID.processes.ID.FIELD`.
    Plant(CountryIdx, ProcessIdx, PlantField),
    /// `countries.ID.products.ID.FIELD`.
    Market(CountryIdx, ProductIdx, CountryProductField),
}

impl WorldField {
    /// The dotted path of the field, as `set` shocks write it.
    pub fn path(self, world: &World) -> String {
        let product = |p: ProductIdx| &world.products[p].id;
        let process = |j: ProcessIdx| &world.processes[j].id;
        let country = |c: CountryIdx| &world.countries[c].id;
        match self {
            WorldField::Product(p, f) => format!("products.{}.{}", product(p), f.key()),
            WorldField::Input(j, p) => format!("processes.{}.inputs.{}", process(j), product(p)),
            WorldField::Output(j, p) => {
                format!("processes.{}.outputs.{}", process(j), product(p))
            }
            WorldField::Plant(c, j, f) => format!(
                "countries.{}.processes.{}.{}",
                country(c),
                process(j),
                f.key()
            ),
            WorldField::Market(c, p, f) => format!(
                "countries.{}.products.{}.{}",
                country(c),
                product(p),
                f.key()
            ),
        }
    }

    /// The values the field accepts.
    pub fn domain(self) -> Domain {
        match self {
            WorldField::Product(_, f) => f.domain(),
            WorldField::Input(..) | WorldField::Output(..) => Domain::NonNegative,
            WorldField::Plant(_, _, f) => f.domain(),
            WorldField::Market(_, _, f) => f.domain(),
        }
    }
}
