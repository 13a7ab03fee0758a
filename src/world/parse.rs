//! World files: TOML to a validated [`World`].
//!
//! ```toml
//! [world]
//! name = "..."
//!
//! [products.ndpr_oxide]
//! name = "NdPr oxide"
//! p_ref = { value = 55, source = "USGS MCS2026", year = 2024 }
//! e_short = { dist = "uniform", min = 0.1, max = 0.3, source = "..." }
//! ...                       # and defaults for countries: g, cover, restock
//!
//! [processes.magnet]
//! stage = "magnet"
//! inputs = { ndpr_oxide = 0.30, dytb_oxide = 0.01 }
//! outputs = { ndfeb_magnet = 1 }
//! avail = 0.8               # default for countries that do not set it
//!
//! [countries.JPN]
//! name = "Japan"
//! processes.magnet = { cap0 = 21000 }
//! products.ndfeb_magnet = { d_ref = 25000, cover = 2 }
//! ```

use super::fields::{CountryProductField, PlantField, ProductField, ORDERED_PRODUCT_FIELDS};
use super::{
    fnv1a64, Coefficient, Country, Market, Plant, Process, ProcessIdx, Product, World, WorldError,
};
use crate::input::{Domain, Figure, InputError, LimitError, Limits, Source, Table, Value};

const TOP_KEYS: [&str; 4] = ["world", "products", "processes", "countries"];
const WORLD_KEYS: [&str; 4] = ["name", "description", "year", "note"];
const COUNTRY_KEYS: [&str; 5] = ["name", "aliases", "processes", "products", "note"];

pub(super) fn parse(source: Source, limits: &Limits) -> Result<World, WorldError> {
    let hash = fnv1a64(source.text().as_bytes());
    let file = source.name().to_path_buf();
    source.read(|root| {
        root.expect_keys(&TOP_KEYS)?;
        let (name, description) = match root.get("world") {
            Some(meta) => {
                let meta = meta.as_table()?;
                meta.expect_keys(&WORLD_KEYS)?;
                (
                    optional_text(&meta, "name")?,
                    optional_text(&meta, "description")?,
                )
            }
            None => (String::new(), String::new()),
        };

        let products_table = root
            .require("products", "a table of products, one per traded good")?
            .as_table()?;
        check_count(&products_table, "products", limits.max_products)?;
        let mut products = Vec::new();
        for (id, value) in products_table.entries() {
            products.push(read_product(id, &value.as_table()?)?);
        }
        if products.is_empty() {
            return Err(products_table
                .invalid("a world needs at least one product")
                .into());
        }

        let processes_table = root
            .require(
                "processes",
                "a table of processes turning inputs into outputs",
            )?
            .as_table()?;
        check_count(&processes_table, "processes", limits.max_processes)?;
        let mut processes = Vec::new();
        let mut process_locations = Vec::new();
        for (id, value) in processes_table.entries() {
            let table = value.as_table()?;
            processes.push(read_process(id, &table, &products)?);
            process_locations.push(table.location());
        }

        let levels = order_processes(&mut processes, &mut products).map_err(|cycle| {
            let first = processes.iter().position(|p| p.id == cycle[0]).unwrap_or(0);
            WorldError::Cycle {
                location: process_locations[first].clone(),
                cycle,
            }
        })?;

        let countries_table = root
            .require(
                "countries",
                "a table of countries with their capacities and demand",
            )?
            .as_table()?;
        check_count(&countries_table, "countries", limits.max_countries)?;
        let mut countries: Vec<Country> = Vec::new();
        for (id, value) in countries_table.entries() {
            let table = value.as_table()?;
            let country = read_country(id, &table, &products, &processes)?;
            check_unique_names(&country, &countries, &table)?;
            countries.push(country);
        }

        Ok(World {
            name,
            description,
            file: file.clone(),
            hash,
            products,
            processes,
            countries,
            levels,
        })
    })
}

/// Fails when a table has more entries than `limit`, before any is read.
fn check_count(table: &Table<'_>, what: &str, limit: usize) -> Result<(), LimitError> {
    LimitError::check_count(table.location(), what, table.entries().count(), limit)
}

fn optional_text(table: &Table<'_>, key: &str) -> Result<String, InputError> {
    table
        .get(key)
        .map_or(Ok(String::new()), |v| v.as_str().map(str::to_string))
}

/// Ids are used in paths and stream names: keep them to letters, digits and `_`.
fn check_id(id: &str, table: &Table<'_>) -> Result<(), InputError> {
    let valid = !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !id.eq_ignore_ascii_case("all");
    if valid {
        Ok(())
    } else {
        Err(table.invalid(format!(
            "`{id}` is not a valid id: use letters, digits and `_` (and not `all`)"
        )))
    }
}

/// Reads `key` as a figure, or the default when absent (`None` if required).
fn field_figure(
    table: &Table<'_>,
    spellings: &[&str],
    domain: Domain,
    default: Option<&Figure>,
    what: &str,
) -> Result<Option<Figure>, InputError> {
    let found: Vec<Value<'_>> = spellings.iter().filter_map(|k| table.get(k)).collect();
    match found.as_slice() {
        [] => Ok(default.cloned()),
        [value] => value.figure(domain).map(Some),
        [_, second, ..] => Err(second.invalid(format!(
            "{what} is given twice (as `{}` and an alias)",
            spellings[0]
        ))),
    }
}

fn read_product(id: &str, table: &Table<'_>) -> Result<Product, InputError> {
    check_id(id, table)?;
    let mut allowed = vec!["name", "note"];
    allowed.extend(ProductField::all_keys());
    // Products may set defaults for the per-country stock and growth fields;
    // demand and reserves are always a country's own.
    let defaultable = |f: &CountryProductField| {
        !matches!(f, CountryProductField::DRef | CountryProductField::Reserves)
    };
    for f in CountryProductField::ALL.iter().filter(|f| defaultable(f)) {
        allowed.extend(f.spellings());
    }
    table.expect_keys(&allowed)?;

    let mut fields = Vec::with_capacity(ProductField::COUNT);
    for &f in ProductField::ALL {
        let default = f.default_value().map(Figure::fixed);
        let figure = field_figure(table, f.spellings(), f.domain(), default.as_ref(), f.key())?
            .ok_or_else(|| missing(table, f.key(), "a behavioural field of every product"))?;
        fields.push(figure);
    }
    let mut country_defaults = Vec::with_capacity(CountryProductField::COUNT);
    for &f in CountryProductField::ALL {
        let default = Figure::fixed(f.default_value().unwrap_or(0.0));
        country_defaults.push(if defaultable(&f) {
            field_figure(table, f.spellings(), f.domain(), Some(&default), f.key())?
                .unwrap_or(default)
        } else {
            default
        });
    }
    let product = Product {
        id: id.to_string(),
        name: optional_text(table, "name")?,
        fields,
        country_defaults,
        made_by: Vec::new(),
        trade_level: 0,
    };
    check_product_bounds(&product, table)?;
    Ok(product)
}

/// Pairs of fields that must be ordered in every draw.
fn check_product_bounds(product: &Product, table: &Table<'_>) -> Result<(), InputError> {
    for (low, high) in ORDERED_PRODUCT_FIELDS {
        let (_, low_max) = product.field(low).quantity.support();
        let (high_min, _) = product.field(high).quantity.support();
        if low_max > high_min {
            return Err(table.invalid(format!(
                "`{}` must not exceed `{}` in any draw, but `{}` can reach {} and `{}` can be as low as {}",
                low.key(),
                high.key(),
                low.key(),
                low_max,
                high.key(),
                high_min
            )));
        }
    }
    let (m_min, _) = product.field(ProductField::MMin).quantity.support();
    let (_, m_max) = product.field(ProductField::MMax).quantity.support();
    if m_min > 1.0 || m_max < 1.0 {
        return Err(
            table.invalid("the price bounds `m_min`..`m_max` must include 1 (the reference price)")
        );
    }
    Ok(())
}

fn missing(table: &Table<'_>, key: &str, what: &str) -> InputError {
    table.error(crate::input::InputErrorKind::MissingKey {
        key: key.to_string(),
        context: table.context().to_string(),
        what: what.to_string(),
    })
}

fn read_process(id: &str, table: &Table<'_>, products: &[Product]) -> Result<Process, InputError> {
    check_id(id, table)?;
    let mut allowed = vec!["name", "stage", "inputs", "outputs", "note"];
    allowed.extend(
        PlantField::all_keys()
            .into_iter()
            .filter(|k| !k.starts_with("cap")),
    );
    table.expect_keys(&allowed)?;
    let coefficients = |key: &str| -> Result<Vec<Coefficient>, InputError> {
        let Some(value) = table.get(key) else {
            return Ok(Vec::new());
        };
        let mut list = Vec::new();
        for (product_id, amount) in value.as_table()?.entries() {
            let product = products
                .iter()
                .position(|p| p.id == product_id)
                .ok_or_else(|| {
                    amount.unknown_id(
                        "product",
                        product_id,
                        products.iter().map(|p| p.id.as_str()),
                    )
                })?;
            let amount = amount.figure(Domain::NonNegative)?;
            list.push(Coefficient { product, amount });
        }
        Ok(list)
    };
    let inputs = coefficients("inputs")?;
    let outputs = coefficients("outputs")?;
    if outputs.is_empty() {
        return Err(missing(
            table,
            "outputs",
            "what the process makes, e.g. outputs = { conc_light = 1 }",
        ));
    }
    if let Some(c) = inputs
        .iter()
        .find(|i| outputs.iter().any(|o| o.product == i.product))
    {
        return Err(table.invalid(format!(
            "`{}` is both an input and an output of the process",
            products[c.product].id
        )));
    }
    let mut plant_defaults = Vec::new();
    for &f in PlantField::ALL {
        let default = Figure::fixed(f.default_value().unwrap_or(0.0));
        plant_defaults.push(
            field_figure(table, f.spellings(), f.domain(), Some(&default), f.key())?
                .unwrap_or(default),
        );
    }
    let stage = table
        .require("stage", "a stage label for reports, e.g. \"mining\"")?
        .as_str()?
        .to_string();
    Ok(Process {
        id: id.to_string(),
        name: optional_text(table, "name")?,
        stage,
        inputs,
        outputs,
        level: 0,
        plant_defaults,
    })
}

/// Assigns levels (0 for mining, else 1 + the highest level making an input) and
/// each product's trade level; on a cycle, returns the process ids around it.
fn order_processes(
    processes: &mut [Process],
    products: &mut [Product],
) -> Result<Vec<Vec<ProcessIdx>>, Vec<String>> {
    for (j, process) in processes.iter().enumerate() {
        for o in &process.outputs {
            products[o.product].made_by.push(j);
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        j: usize,
        processes: &[Process],
        products: &[Product],
        marks: &mut [Mark],
        levels: &mut [usize],
        path: &mut Vec<usize>,
    ) -> Result<(), Vec<String>> {
        match marks[j] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = path.iter().position(|&k| k == j).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..]
                    .iter()
                    .map(|&k| processes[k].id.clone())
                    .collect();
                cycle.push(processes[j].id.clone());
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[j] = Mark::Open;
        path.push(j);
        let mut level = 0;
        for input in &processes[j].inputs {
            level = level.max(1);
            for &maker in &products[input.product].made_by {
                visit(maker, processes, products, marks, levels, path)?;
                level = level.max(levels[maker] + 1);
            }
        }
        path.pop();
        marks[j] = Mark::Done;
        levels[j] = level;
        Ok(())
    }
    let mut marks = vec![Mark::New; processes.len()];
    let mut levels = vec![0; processes.len()];
    for j in 0..processes.len() {
        visit(
            j,
            processes,
            products,
            &mut marks,
            &mut levels,
            &mut Vec::new(),
        )?;
    }
    let depth = levels.iter().max().map_or(0, |&l| l + 1);
    let mut by_level = vec![Vec::new(); depth];
    for (j, process) in processes.iter_mut().enumerate() {
        process.level = levels[j];
        by_level[levels[j]].push(j);
    }
    for product in products.iter_mut() {
        product.trade_level = product
            .made_by
            .iter()
            .map(|&j| levels[j])
            .max()
            .unwrap_or(0);
    }
    Ok(by_level)
}

fn read_country(
    id: &str,
    table: &Table<'_>,
    products: &[Product],
    processes: &[Process],
) -> Result<Country, InputError> {
    check_id(id, table)?;
    table.expect_keys(&COUNTRY_KEYS)?;
    let name = match table.get("name") {
        Some(v) => v.as_str()?.to_string(),
        None => id.to_string(),
    };
    let aliases = match table.get("aliases") {
        Some(v) => v
            .as_str_list()?
            .into_iter()
            .map(|(s, _)| s.to_string())
            .collect(),
        None => Vec::new(),
    };

    let mut plants: Vec<Option<Plant>> = vec![None; processes.len()];
    if let Some(value) = table.get("processes") {
        for (process_id, plant) in value.as_table()?.entries() {
            let j = processes
                .iter()
                .position(|p| p.id == process_id)
                .ok_or_else(|| {
                    plant.unknown_id(
                        "process",
                        process_id,
                        processes.iter().map(|p| p.id.as_str()),
                    )
                })?;
            let plant = plant.as_table()?;
            plant.expect_keys(&PlantField::all_keys())?;
            let mut fields = Vec::new();
            for &f in PlantField::ALL {
                let default =
                    (f != PlantField::Cap0).then(|| &processes[j].plant_defaults[f as usize]);
                fields.push(
                    field_figure(&plant, f.spellings(), f.domain(), default, f.key())?.ok_or_else(
                        || missing(&plant, f.key(), "the capacity in t/yr of throughput"),
                    )?,
                );
            }
            plants[j] = Some(Plant { fields });
        }
    }

    let mut markets: Vec<Market> = products
        .iter()
        .map(|p| Market {
            fields: CountryProductField::ALL
                .iter()
                .map(|&f| {
                    (f != CountryProductField::Reserves)
                        .then(|| p.country_defaults[f as usize].clone())
                })
                .collect(),
        })
        .collect();
    if let Some(value) = table.get("products") {
        for (product_id, market) in value.as_table()?.entries() {
            let p = products
                .iter()
                .position(|p| p.id == product_id)
                .ok_or_else(|| {
                    market.unknown_id(
                        "product",
                        product_id,
                        products.iter().map(|p| p.id.as_str()),
                    )
                })?;
            let market_table = market.as_table()?;
            market_table.expect_keys(&CountryProductField::all_keys())?;
            for &f in CountryProductField::ALL {
                if let Some(figure) =
                    field_figure(&market_table, f.spellings(), f.domain(), None, f.key())?
                {
                    let mined = products[p]
                        .made_by
                        .iter()
                        .any(|&j| processes[j].is_mining());
                    if f == CountryProductField::Reserves && !mined {
                        return Err(market_table.invalid(format!(
                            "`reserves` are for mined products; no mining process makes `{product_id}`"
                        )));
                    }
                    markets[p].fields[f as usize] = Some(figure);
                }
            }
        }
    }
    Ok(Country {
        id: id.to_string(),
        name,
        aliases,
        plants,
        markets,
    })
}

fn check_unique_names(
    country: &Country,
    others: &[Country],
    table: &Table<'_>,
) -> Result<(), InputError> {
    let names = std::iter::once(&country.id)
        .chain(std::iter::once(&country.name))
        .chain(&country.aliases);
    for name in names {
        let clash = others.iter().find(|c| {
            std::iter::once(&c.id)
                .chain(std::iter::once(&c.name))
                .chain(&c.aliases)
                .any(|n| n.eq_ignore_ascii_case(name))
        });
        if let Some(other) = clash {
            return Err(table.invalid(format!(
                "the name `{name}` already refers to country {}",
                other.id
            )));
        }
    }
    Ok(())
}
