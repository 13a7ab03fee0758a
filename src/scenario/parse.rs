//! Scenario files: TOML to a validated [`Scenario`].

use std::path::Path;

use super::{
    Copula, Correlation, DemandChange, Focus, Outage, Outcome, ParamRef, Parameter, ReportEntry,
    Restriction, Rounding, Scenario, ScenarioError, Shock, ShockKind, Target, WorldSource,
    MAX_QUOTAS,
};
use crate::distributions::{Quantity, StreamId};
use crate::input::{Domain, InputError, LimitError, Limits, Source, Table, Value};
use crate::world::{
    CountryIdx, CountryProductField, PlantField, ProcessIdx, ProductField, ProductIdx, World,
    WorldField, DEFAULT_WORLD_NAME, ORDERED_PRODUCT_FIELDS,
};

const TOP_KEYS: [&str; 3] = ["scenario", "shock", "correlation"];
const SCENARIO_KEYS: [&str; 9] = [
    "name",
    "description",
    "world",
    "horizon_months",
    "trials",
    "seed",
    "report",
    "focus",
    "source",
];
const KINDS: [&str; 6] = [
    "export_restriction",
    "capacity",
    "outage",
    "demand",
    "stockpile",
    "set",
];
const COMMON_SHOCK_KEYS: [&str; 9] = [
    "kind",
    "id",
    "start_month",
    "duration_months",
    "ramp_months",
    "probability",
    "group",
    "note",
    "source",
];

fn kind_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "export_restriction" => &[
            "from",
            "products",
            "to",
            "except",
            "mode",
            "approval",
            "delay_months",
            "tonnes_per_year",
            "rate",
        ],
        "capacity" => &["country", "process", "change_tpa"],
        "outage" => &[
            "country",
            "process",
            "loss",
            "rate_per_year",
            "outage_months",
        ],
        "demand" => &["country", "product", "multiplier", "growth"],
        "stockpile" => &[
            "country",
            "product",
            "tonnes",
            "buy_tpa",
            "release_below_fill",
            "max_release_tpm",
        ],
        _ => &["path", "value"],
    }
}

pub(super) fn parse(
    source: Source,
    base_dir: &Path,
    given_world: Option<World>,
    limits: &Limits,
) -> Result<Scenario, ScenarioError> {
    let hash = crate::world::fnv1a64(source.text().as_bytes());
    let file = source.name().to_path_buf();
    source.read(|root| {
        root.expect_keys(&TOP_KEYS)?;
        let meta = root
            .require("scenario", "the [scenario] table: name, horizon_months, trials, seed, report")?
            .as_table()?;
        meta.expect_keys(&SCENARIO_KEYS)?;

        let (world_source, world) = load_world(&meta, base_dir, given_world, limits)?;
        let mut builder = Builder::new(&world);

        let text = |key: &str| -> Result<String, InputError> {
            meta.get(key)
                .map_or(Ok(String::new()), |v| v.as_str().map(str::to_string))
        };
        let name = text("name")?;
        let description = text("description")?;
        let horizon = meta.require("horizon_months", "the number of months to simulate")?;
        let horizon_months = positive_u32(&horizon, "a positive number of months")?;
        let trials_value = meta.require("trials", "the number of Monte Carlo trials")?;
        let trials = positive_u32(&trials_value, "a positive number of trials")?;
        let seed = meta
            .require("seed", "the seed of the random streams (any integer >= 0)")?
            .as_u64()?;

        let report = read_report(&meta, &world, limits)?;
        let focus = read_focus(&meta, &world, &report)?;

        let mut shocks = Vec::new();
        let mut groups: Vec<String> = Vec::new();
        if let Some(list) = root.get("shock") {
            let items = list.as_array()?;
            check_count(&list, items.len(), "shocks", limits.max_shocks)?;
            for (position, value) in items.into_iter().enumerate() {
                let table = value.as_table()?;
                let shock = read_shock(&table, position + 1, &mut builder, &mut groups)?;
                check_set_bounds(&shock, &shocks, &builder, &value)?;
                shocks.push(shock);
            }
        }
        // The engine keeps the quotas covering a link in a 64-bit set.
        let is_quota = |s: &&Shock| {
            matches!(
                s.kind,
                ShockKind::ExportRestriction {
                    restriction: Restriction::Quota { .. },
                    ..
                }
            )
        };
        if let Some(extra) = shocks.iter().filter(is_quota).nth(MAX_QUOTAS) {
            return Err(InputError {
                location: extra.location.clone(),
                kind: crate::input::InputErrorKind::Invalid {
                    context: format!("shock `{}`", extra.id),
                    message: format!(
                        "a scenario may hold at most {MAX_QUOTAS} quota restrictions; this is one more"
                    ),
                },
            }
            .into());
        }
        for (i, shock) in shocks.iter().enumerate() {
            if let Some(first) = shocks[..i].iter().find(|s| s.id == shock.id) {
                return Err(InputError {
                    location: shock.location.clone(),
                    kind: crate::input::InputErrorKind::Invalid {
                        context: format!("shock `{}`", shock.id),
                        message: format!(
                            "the id is already used by the shock at line {}; ids name random streams and must be unique",
                            first.location.line
                        ),
                    },
                }
                .into());
            }
        }

        let parameters = builder.parameters;
        let correlations = match root.get("correlation") {
            Some(list) => {
                check_count(&list, list.as_array()?.len(), "correlations", limits.max_correlations)?;
                read_correlations(&list, &parameters)?
            }
            None => Vec::new(),
        };
        let copula = Copula::new(&correlations).map_err(|e| not_positive_definite(&e.entries, &correlations, &parameters))?;
        let scenario = Scenario {
            name,
            description,
            file: file.clone(),
            hash,
            world_source,
            world,
            horizon_months,
            trials,
            seed,
            report,
            focus,
            shocks,
            groups,
            parameters,
            correlations,
            copula,
        };
        scenario.check_limits(limits)?;
        Ok(scenario)
    })
}

/// Fails when a list has more entries than `limit`, before any is read.
fn check_count(list: &Value<'_>, found: usize, what: &str, limit: usize) -> Result<(), LimitError> {
    LimitError::check_count(list.location(), what, found, limit)
}

fn positive_u32(value: &Value<'_>, expected: &str) -> Result<u32, InputError> {
    let n = value.as_u64()?;
    if n == 0 || n > u64::from(u32::MAX) {
        return Err(value.out_of_range(format!("{expected} (1 to {})", u32::MAX), n));
    }
    Ok(n as u32)
}

fn load_world(
    meta: &Table<'_>,
    base_dir: &Path,
    given: Option<World>,
    limits: &Limits,
) -> Result<(WorldSource, World), ScenarioError> {
    if let Some(world) = given {
        let source = if world.file == Path::new(DEFAULT_WORLD_NAME) {
            WorldSource::Default
        } else {
            WorldSource::File(world.file.clone())
        };
        return Ok((source, world));
    }
    match meta.get("world") {
        None => Ok((WorldSource::Default, World::default_world())),
        Some(value) => {
            let name = value.as_str()?;
            if name == "default" {
                return Ok((WorldSource::Default, World::default_world()));
            }
            let path = base_dir.join(name);
            let world = World::from_path_with_limits(&path, limits).map_err(|source| {
                ScenarioError::World {
                    location: value.location(),
                    source,
                }
            })?;
            Ok((WorldSource::File(path), world))
        }
    }
}

/// Turns the numbers of a scenario into [`Parameter`]s, world figures first.
struct Builder<'w> {
    world: &'w World,
    parameters: Vec<Parameter>,
}

impl<'w> Builder<'w> {
    fn new(world: &'w World) -> Builder<'w> {
        let parameters = world
            .uncertain_figures()
            .into_iter()
            .map(|(field, path, figure)| Parameter {
                stream: StreamId::named(&path),
                path,
                quantity: figure.quantity.clone(),
                rounding: Rounding::None,
                target: Target::World(field),
                location: None,
            })
            .collect();
        Builder { world, parameters }
    }

    fn push(
        &mut self,
        path: String,
        quantity: Quantity,
        rounding: Rounding,
        location: Option<crate::input::Location>,
    ) -> ParamRef {
        self.parameters.push(Parameter {
            stream: StreamId::named(&path),
            path,
            quantity,
            rounding,
            target: Target::Shock,
            location,
        });
        ParamRef(self.parameters.len() - 1)
    }

    /// The number at `key` of `table`, or `default` when absent (`None`: required).
    fn number(
        &mut self,
        table: &Table<'_>,
        shock_id: &str,
        key: &str,
        domain: Domain,
        default: Option<f64>,
        what: &str,
    ) -> Result<ParamRef, InputError> {
        let rounding = if key.ends_with("_months") || key == "start_month" {
            Rounding::Months
        } else {
            Rounding::None
        };
        let path = format!("shock.{shock_id}.{key}");
        match table.get(key) {
            Some(value) => {
                let figure = value.figure(domain)?;
                Ok(self.push(path, figure.quantity, rounding, Some(value.location())))
            }
            None => match default {
                Some(x) => {
                    Ok(self.push(path, Quantity::fixed(x), rounding, Some(table.location())))
                }
                None => Err(table.error(crate::input::InputErrorKind::MissingKey {
                    key: key.to_string(),
                    context: table.context().to_string(),
                    what: what.to_string(),
                })),
            },
        }
    }

    fn optional(
        &mut self,
        table: &Table<'_>,
        shock_id: &str,
        key: &str,
        domain: Domain,
    ) -> Result<Option<ParamRef>, InputError> {
        if table.get(key).is_some() {
            self.number(table, shock_id, key, domain, None, "")
                .map(Some)
        } else {
            Ok(None)
        }
    }
}

fn read_report(
    meta: &Table<'_>,
    world: &World,
    limits: &Limits,
) -> Result<Vec<ReportEntry>, ScenarioError> {
    let list = meta.require(
        "report",
        "the country/product pairs to report, e.g. [{ country = \"USA\", product = \"ndfeb_magnet\" }]",
    )?;
    let entries = list.as_array()?;
    if entries.is_empty() {
        return Err(list
            .out_of_range("at least one { country, product } pair", "an empty list")
            .into());
    }
    check_count(
        &list,
        entries.len(),
        "report entries",
        limits.max_report_entries,
    )?;
    let mut report = Vec::new();
    for entry in entries {
        let table = entry.as_table()?;
        table.expect_keys(&["country", "product"])?;
        let country = country(world, &table.require("country", "a country id or name")?)?;
        let product = product(world, &table.require("product", "a product id")?)?;
        let item = ReportEntry { country, product };
        if report.contains(&item) {
            return Err(table
                .invalid("this country/product pair is already reported")
                .into());
        }
        report.push(item);
    }
    Ok(report)
}

fn read_focus(
    meta: &Table<'_>,
    world: &World,
    report: &[ReportEntry],
) -> Result<Focus, InputError> {
    let Some(value) = meta.get("focus") else {
        return Ok(Focus {
            country: report[0].country,
            product: report[0].product,
            outcome: Outcome::Shortfall,
        });
    };
    let table = value.as_table()?;
    table.expect_keys(&["country", "product", "outcome"])?;
    let country = country(world, &table.require("country", "a country id or name")?)?;
    let product = product(world, &table.require("product", "a product id")?)?;
    let outcome = match table.get("outcome") {
        None => Outcome::Shortfall,
        Some(v) => {
            let name = v.as_str()?;
            Outcome::NAMES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(o, _)| *o)
                .ok_or_else(|| {
                    v.unknown_id("outcome", name, Outcome::NAMES.iter().map(|(_, n)| *n))
                })?
        }
    };
    Ok(Focus {
        country,
        product,
        outcome,
    })
}

/// A country by id, name or alias (case-insensitive); on failure the nearest id.
fn country(world: &World, value: &Value<'_>) -> Result<CountryIdx, InputError> {
    let name = value.as_str()?;
    world.country_index(name).ok_or_else(|| {
        // Suggest by every spelling, but always name the id.
        let spellings: Vec<(String, &str)> = world
            .countries
            .iter()
            .flat_map(|c| {
                std::iter::once(c.id.clone())
                    .chain(std::iter::once(c.name.clone()))
                    .chain(c.aliases.iter().cloned())
                    .map(move |s| (s, c.id.as_str()))
            })
            .collect();
        let nearest = crate::input::nearest(name, spellings.iter().map(|(s, _)| s.as_str()));
        let id = nearest
            .and_then(|n| spellings.iter().find(|(s, _)| *s == n).map(|(_, id)| *id))
            .into_iter();
        value.unknown_id("country", name, id)
    })
}

fn product(world: &World, value: &Value<'_>) -> Result<ProductIdx, InputError> {
    let name = value.as_str()?;
    world.product_index(name).ok_or_else(|| {
        value.unknown_id(
            "product",
            name,
            world.products.iter().map(|p| p.id.as_str()),
        )
    })
}

fn process(world: &World, value: &Value<'_>) -> Result<ProcessIdx, InputError> {
    let name = value.as_str()?;
    world.process_index(name).ok_or_else(|| {
        value.unknown_id(
            "process",
            name,
            world.processes.iter().map(|p| p.id.as_str()),
        )
    })
}

/// A list of countries, or every country for `"all"`.
fn countries(world: &World, value: &Value<'_>) -> Result<Vec<CountryIdx>, InputError> {
    if value.is_str() && value.as_str()?.eq_ignore_ascii_case("all") {
        return Ok((0..world.countries.len()).collect());
    }
    let mut list = Vec::new();
    for (_, item) in value.as_str_list()? {
        let c = country(world, &item)?;
        if !list.contains(&c) {
            list.push(c);
        }
    }
    Ok(list)
}

/// A `set` on one of a product's ordered pairs of fields (`e_short <=
/// e_long`, `d_min <= d_max`, `m_min <= m_max`) must keep the order
/// whatever its draw and whatever the other field holds when it is in
/// force: the world's figure, or a value an earlier `set` on it draws
/// (windows may overlap, so every one counts). The world file is held to
/// the same rule (`check_product_bounds`); an unordered pair would leave the
/// price or demand response without a meaning. (Unlike the world's, a set's
/// price bounds need not include 1: a choke below the reference price is a
/// question one may ask, say of a substitute that became cheap.)
fn check_set_bounds(
    shock: &Shock,
    earlier: &[Shock],
    builder: &Builder<'_>,
    table_value: &Value<'_>,
) -> Result<(), InputError> {
    let ShockKind::Set {
        field: WorldField::Product(p, field),
        value,
    } = shock.kind
    else {
        return Ok(());
    };
    let Some(&(low, high)) = ORDERED_PRODUCT_FIELDS
        .iter()
        .find(|(l, h)| *l == field || *h == field)
    else {
        return Ok(());
    };
    let partner = if field == low { high } else { low };
    let (lo, hi) = builder.parameters[value.0].quantity.support();
    // Every value the partner may hold while this set is in force.
    let mut partner_values = vec![builder.world.products[p].field(partner).quantity.support()];
    for other in earlier {
        if let ShockKind::Set {
            field: WorldField::Product(q, f),
            value: v,
        } = other.kind
        {
            if q == p && f == partner {
                partner_values.push(builder.parameters[v.0].quantity.support());
            }
        }
    }
    let at = table_value
        .as_table()
        .ok()
        .and_then(|t| t.get("value"))
        .unwrap_or_else(|| table_value.clone());
    let product = &builder.world.products[p].id;
    for (partner_lo, partner_hi) in partner_values {
        let unordered = if field == low {
            hi > partner_lo
        } else {
            lo < partner_hi
        };
        if unordered {
            let (reach, bound) = if field == low {
                (
                    format!("can reach {hi}"),
                    format!("can be as low as {partner_lo}"),
                )
            } else {
                (
                    format!("can be as low as {lo}"),
                    format!("can reach {partner_hi}"),
                )
            };
            return Err(at.invalid(format!(
                "this set would break `{}` <= `{}` for product `{product}`: `{}` {reach} here, \
                 while `{}` {bound} (in the world or in an earlier set)",
                low.key(),
                high.key(),
                field.key(),
                partner.key(),
            )));
        }
    }
    Ok(())
}

fn read_shock(
    table: &Table<'_>,
    position: usize,
    builder: &mut Builder<'_>,
    groups: &mut Vec<String>,
) -> Result<Shock, InputError> {
    let kind_value = table.require("kind", "the kind of shock")?;
    let kind_name = kind_value.as_str()?;
    if !KINDS.contains(&kind_name) {
        return Err(kind_value.unknown_id("shock kind", kind_name, KINDS));
    }
    let id = match table.get("id") {
        Some(v) => {
            let id = v.as_str()?;
            let valid = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid {
                return Err(
                    v.out_of_range("an id of letters, digits, `_` and `-`", format!("\"{id}\""))
                );
            }
            id.to_string()
        }
        None => format!("{kind_name}.{position}"),
    };
    let table = table.clone().renamed(format!("shock `{id}`"));
    let allowed: Vec<&str> = COMMON_SHOCK_KEYS
        .iter()
        .chain(kind_keys(kind_name))
        .copied()
        .collect();
    table.expect_keys(&allowed)?;

    let start_month = builder.number(
        &table,
        &id,
        "start_month",
        Domain::NonNegative,
        Some(0.0),
        "",
    )?;
    let duration_months = builder.optional(&table, &id, "duration_months", Domain::NonNegative)?;
    let ramp_months = builder.optional(&table, &id, "ramp_months", Domain::NonNegative)?;
    let probability = builder.number(&table, &id, "probability", Domain::Share, Some(1.0), "")?;
    let group = match table.get("group") {
        None => None,
        Some(v) => {
            let name = v.as_str()?.to_string();
            Some(groups.iter().position(|g| *g == name).unwrap_or_else(|| {
                groups.push(name);
                groups.len() - 1
            }))
        }
    };
    let world = builder.world;
    let kind = match kind_name {
        "export_restriction" => read_restriction(&table, &id, builder, ramp_months.is_some())?,
        "capacity" => ShockKind::Capacity {
            country: country(
                world,
                &table.require("country", "the country whose capacity changes")?,
            )?,
            process: process(
                world,
                &table.require("process", "the process whose capacity changes")?,
            )?,
            change_tpa: builder.number(
                &table,
                &id,
                "change_tpa",
                Domain::Any,
                None,
                "the change in t/yr (+ new, - closed)",
            )?,
        },
        "outage" => read_outage(&table, &id, builder)?,
        "demand" => {
            let countries = countries(
                world,
                &table.require("country", "a country, a list, or \"all\"")?,
            )?;
            let product = product(
                world,
                &table.require("product", "the product whose demand changes")?,
            )?;
            let change = match (table.get("multiplier"), table.get("growth")) {
                (Some(_), None) => DemandChange::Multiplier(builder.number(&table, &id, "multiplier", Domain::Positive, None, "")?),
                (None, Some(_)) => DemandChange::Growth(builder.number(&table, &id, "growth", Domain::AtLeast(-1.0), None, "")?),
                _ => return Err(table.invalid("a demand shock takes exactly one of `multiplier` (a factor > 0) and `growth` (added to the yearly growth rate)")),
            };
            ShockKind::Demand {
                countries,
                product,
                change,
            }
        }
        "stockpile" => {
            let country = country(world, &table.require("country", "the stockpile's holder")?)?;
            let product = product(world, &table.require("product", "the stockpiled product")?)?;
            let tonnes = builder.optional(&table, &id, "tonnes", Domain::NonNegative)?;
            let buy_tpa = builder.optional(&table, &id, "buy_tpa", Domain::NonNegative)?;
            let release_below_fill =
                builder.optional(&table, &id, "release_below_fill", Domain::Share)?;
            // A release rule alone governs the stockpile already held, e.g.
            // after another shock's purchases have stopped.
            if tonnes.is_none() && buy_tpa.is_none() && release_below_fill.is_none() {
                return Err(table.invalid("a stockpile needs `tonnes` (held at the start), `buy_tpa` (purchases a year) or `release_below_fill` (when to release what is held), or several of them"));
            }
            ShockKind::Stockpile {
                country,
                product,
                tonnes,
                buy_tpa,
                release_below_fill,
                max_release_tpm: builder.optional(
                    &table,
                    &id,
                    "max_release_tpm",
                    Domain::NonNegative,
                )?,
            }
        }
        _ => {
            let path_value = table.require(
                "path",
                "the world field to override, e.g. \"products.ndpr_oxide.e_short\"",
            )?;
            let field = parse_path(world, &path_value)?;
            let value = table.require("value", "the new value (a number or a distribution)")?;
            let figure = value.figure(field.domain())?;
            let value = builder.push(
                format!("shock.{id}.value"),
                figure.quantity,
                Rounding::None,
                Some(value.location()),
            );
            ShockKind::Set { field, value }
        }
    };
    let occurs_stream = StreamId::named(&match group {
        Some(g) => format!("group.{}.occurs", groups[g]),
        None => format!("shock.{id}.occurs"),
    });
    Ok(Shock {
        occurs_stream,
        id,
        kind,
        start_month,
        duration_months,
        ramp_months,
        probability,
        group,
        location: table.location(),
    })
}

fn read_restriction(
    table: &Table<'_>,
    id: &str,
    builder: &mut Builder<'_>,
    ramped: bool,
) -> Result<ShockKind, InputError> {
    let world = builder.world;
    let from = country(world, &table.require("from", "the exporting country")?)?;
    let products_value =
        table.require("products", "the products restricted, e.g. [\"dytb_oxide\"]")?;
    let mut products = Vec::new();
    for (_, item) in products_value.as_str_list()? {
        let p = product(world, &item)?;
        if !products.contains(&p) {
            products.push(p);
        }
    }
    if products.is_empty() {
        return Err(products_value.out_of_range("at least one product", "an empty list"));
    }
    let to = match table.get("to") {
        Some(v) => countries(world, &v)?,
        None => (0..world.countries.len()).collect(),
    };
    let except = match table.get("except") {
        Some(v) => countries(world, &v)?,
        None => Vec::new(),
    };
    let destinations: Vec<CountryIdx> = to
        .into_iter()
        .filter(|c| *c != from && !except.contains(c))
        .collect();
    if destinations.is_empty() {
        return Err(table.invalid(
            "no destination is left once `except` and the exporter itself are taken out of `to`",
        ));
    }
    let mode_value = table.require("mode", "\"ban\", \"license\", \"quota\" or \"tariff\"")?;
    let mode = mode_value.as_str()?;
    const MODES: [&str; 4] = ["ban", "license", "quota", "tariff"];
    let mode_keys: &[&str] = match mode {
        "ban" => &[],
        "license" | "licence" => &["approval", "delay_months"],
        "quota" => &["tonnes_per_year"],
        "tariff" => &["rate"],
        _ => return Err(mode_value.unknown_id("restriction mode", mode, MODES)),
    };
    for key in ["approval", "delay_months", "tonnes_per_year", "rate"] {
        if !mode_keys.contains(&key) {
            if let Some(v) = table.get(key) {
                return Err(v.invalid(format!("`{key}` does not apply to mode = \"{mode}\"")));
            }
        }
    }
    let restriction = match mode {
        "ban" => Restriction::Ban,
        "license" | "licence" => Restriction::License {
            approval: builder.number(
                table,
                id,
                "approval",
                Domain::Share,
                None,
                "the share of asks approved, 0..1",
            )?,
            delay_months: builder.number(
                table,
                id,
                "delay_months",
                Domain::NonNegative,
                Some(0.0),
                "",
            )?,
        },
        "quota" => {
            if ramped {
                return Err(table.invalid("a quota takes no `ramp_months` (MODEL.md section 4)"));
            }
            Restriction::Quota {
                tonnes_per_year: builder.number(
                    table,
                    id,
                    "tonnes_per_year",
                    Domain::NonNegative,
                    None,
                    "the yearly quota in tonnes, per product",
                )?,
            }
        }
        _ => Restriction::Tariff {
            rate: builder.number(
                table,
                id,
                "rate",
                Domain::NonNegative,
                None,
                "the ad valorem rate, e.g. 0.25",
            )?,
        },
    };
    Ok(ShockKind::ExportRestriction {
        from,
        products,
        destinations,
        restriction,
    })
}

fn read_outage(
    table: &Table<'_>,
    id: &str,
    builder: &mut Builder<'_>,
) -> Result<ShockKind, InputError> {
    let world = builder.world;
    let country = country(world, &table.require("country", "the country hit")?)?;
    let process = process(world, &table.require("process", "the process hit")?)?;
    let outage = match (table.get("rate_per_year"), table.get("outage_months")) {
        (None, None) => Outage::Loss(builder.number(
            table,
            id,
            "loss",
            Domain::Share,
            None,
            "the share of capacity lost, 0..1 (or `rate_per_year` with `outage_months`)",
        )?),
        (Some(_), Some(months)) => {
            let rate_per_year =
                builder.number(table, id, "rate_per_year", Domain::NonNegative, None, "")?;
            let loss = builder.number(table, id, "loss", Domain::Share, Some(1.0), "")?;
            let path = format!("shock.{id}.outage_months");
            Outage::Random {
                rate_per_year,
                outage_months: months.figure(Domain::NonNegative)?.quantity,
                stream: StreamId::named(&path),
                loss,
            }
        }
        _ => {
            return Err(
                table.invalid("random outages need both `rate_per_year` and `outage_months`")
            )
        }
    };
    Ok(ShockKind::Outage {
        country,
        process,
        outage,
    })
}

/// Resolves a `set` path (`products.ID.FIELD`, `processes.ID.inputs.PRODUCT`,
/// `processes.ID.outputs.PRODUCT`, `countries.ID.processes.ID.FIELD`,
/// `countries.ID.products.ID.FIELD`).
fn parse_path(world: &World, value: &Value<'_>) -> Result<WorldField, InputError> {
    let path = value.as_str()?;
    let parts: Vec<&str> = path.split('.').collect();
    let bad =
        |what: &'static str, found: &str, valid: Vec<&str>| value.unknown_id(what, found, valid);
    let product_of = |id: &str| {
        world.product_index(id).ok_or_else(|| {
            bad(
                "product",
                id,
                world.products.iter().map(|p| p.id.as_str()).collect(),
            )
        })
    };
    let process_of = |id: &str| {
        world.process_index(id).ok_or_else(|| {
            bad(
                "process",
                id,
                world.processes.iter().map(|p| p.id.as_str()).collect(),
            )
        })
    };
    let shape = || {
        value.out_of_range(
            "a path `products.ID.FIELD`, `processes.ID.inputs.PRODUCT`, `processes.ID.outputs.PRODUCT`, `countries.ID.processes.ID.FIELD` or `countries.ID.products.ID.FIELD`",
            format!("\"{path}\""),
        )
    };
    match parts.as_slice() {
        ["products", p, f] => {
            let p = product_of(p)?;
            let f = ProductField::from_key(f)
                .ok_or_else(|| bad("product field", f, ProductField::all_keys()))?;
            Ok(WorldField::Product(p, f))
        }
        ["processes", j, side @ ("inputs" | "outputs"), p] => {
            let j = process_of(j)?;
            let p = product_of(p)?;
            let process = &world.processes[j];
            let list = if *side == "inputs" {
                &process.inputs
            } else {
                &process.outputs
            };
            if !list.iter().any(|c| c.product == p) {
                let valid: Vec<&str> = list
                    .iter()
                    .map(|c| world.products[c.product].id.as_str())
                    .collect();
                return Err(bad("coefficient", &world.products[p].id, valid));
            }
            Ok(if *side == "inputs" {
                WorldField::Input(j, p)
            } else {
                WorldField::Output(j, p)
            })
        }
        ["countries", c, "processes", j, f] => {
            let c = world.country_index(c).ok_or_else(|| {
                bad(
                    "country",
                    c,
                    world.countries.iter().map(|c| c.id.as_str()).collect(),
                )
            })?;
            let j = process_of(j)?;
            let f = PlantField::from_key(f)
                .ok_or_else(|| bad("process field", f, PlantField::all_keys()))?;
            Ok(WorldField::Plant(c, j, f))
        }
        ["countries", c, "products", p, f] => {
            let c = world.country_index(c).ok_or_else(|| {
                bad(
                    "country",
                    c,
                    world.countries.iter().map(|c| c.id.as_str()).collect(),
                )
            })?;
            let p = product_of(p)?;
            let f = CountryProductField::from_key(f)
                .ok_or_else(|| bad("country product field", f, CountryProductField::all_keys()))?;
            Ok(WorldField::Market(c, p, f))
        }
        [first, ..] if !["products", "processes", "countries"].contains(first) => Err(bad(
            "path root",
            first,
            vec!["products", "processes", "countries"],
        )),
        _ => Err(shape()),
    }
}

/// `[[correlation]]` entries: `between = [PATH, PATH]`, `rho` (a Spearman rank
/// correlation in -1..1).
fn read_correlations(
    list: &Value<'_>,
    parameters: &[Parameter],
) -> Result<Vec<Correlation>, InputError> {
    let uncertain: Vec<&str> = parameters
        .iter()
        .filter(|p| p.quantity.is_uncertain())
        .map(|p| p.path.as_str())
        .collect();
    let mut correlations: Vec<Correlation> = Vec::new();
    for entry in list.as_array()? {
        let table = entry.as_table()?;
        table.expect_keys(&["between", "rho", "note", "source"])?;
        let between = table.require("between", "the paths of two sampled parameters, e.g. [\"shock.ban.duration_months\", \"shock.licence.approval\"]")?;
        let paths = between.as_array()?;
        if paths.len() != 2 {
            return Err(
                between.out_of_range("two parameter paths", format!("{} paths", paths.len()))
            );
        }
        let mut ends = [0usize; 2];
        for (k, path_value) in paths.iter().enumerate() {
            let path = path_value.as_str()?;
            let index = parameters
                .iter()
                .position(|p| p.path == path)
                .ok_or_else(|| {
                    path_value.unknown_id("sampled parameter", path, uncertain.iter().copied())
                })?;
            if !parameters[index].quantity.is_uncertain() {
                return Err(path_value.invalid(format!(
                    "`{path}` is a fixed number; only parameters given as distributions can be correlated"
                )));
            }
            ends[k] = index;
        }
        if ends[0] == ends[1] {
            return Err(between.invalid("a parameter cannot be correlated with itself"));
        }
        let rho_value = table.require("rho", "the rank correlation, -1..1")?;
        let rho = rho_value.as_f64()?;
        if !(-1.0..=1.0).contains(&rho) {
            return Err(rho_value.out_of_range("a rank correlation in -1..1", rho));
        }
        if let Some(other) = correlations
            .iter()
            .find(|c| (c.a, c.b) == (ends[0], ends[1]) || (c.a, c.b) == (ends[1], ends[0]))
        {
            return Err(table.invalid(format!(
                "these two parameters are already correlated at line {}",
                other.location.line
            )));
        }
        correlations.push(Correlation {
            a: ends[0],
            b: ends[1],
            rho,
            location: table.location(),
        });
    }
    Ok(correlations)
}

/// The error for a correlation matrix that is not positive definite, at the
/// last conflicting entry, naming them all.
fn not_positive_definite(
    entries: &[usize],
    correlations: &[Correlation],
    parameters: &[Parameter],
) -> InputError {
    let named: Vec<String> = entries
        .iter()
        .map(|&k| {
            let c = &correlations[k];
            format!(
                "{} ~ {} = {} (line {})",
                parameters[c.a].path, parameters[c.b].path, c.rho, c.location.line
            )
        })
        .collect();
    let location = entries
        .last()
        .map(|&k| correlations[k].location.clone())
        .unwrap_or_else(|| correlations[0].location.clone());
    InputError {
        location,
        kind: crate::input::InputErrorKind::Invalid {
            context: "correlation".into(),
            message: format!(
                "these rank correlations cannot hold together (their matrix is not positive definite): {}; weaken one of them",
                named.join("; ")
            ),
        },
    }
}
