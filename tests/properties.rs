//! Property tests over randomly generated small worlds and scenarios.
//!
//! Each case builds a world of 2-4 countries with a mining and a processing
//! process (2-3 products: an ore, an oxide and, sometimes, a co-product) from
//! random capacities, demands and behavioural figures, written as TOML and
//! read with `World::from_toml`, and a scenario of a few random shocks of every
//! kind (restrictions of each mode, capacity changes, outages, demand changes,
//! stockpiles). The worlds are not balanced: gluts, shortages and clamped
//! prices are what the properties must survive. For two trials of each case:
//!
//! - mass balance: every month and product, `production + injected = served +
//!   consumed + stock change` (`Ledger::imbalance`);
//! - stocks, stockpiles, shortfalls and served demand are non-negative, and
//!   nothing is served beyond what was demanded;
//! - prices lie in `[m_min, m_max]`, times the tariff factor where tariffs
//!   apply;
//! - no NaN or infinity anywhere in the rows, ledgers and records;
//! - determinism: the same trial replayed twice, and as `trial_records` sees
//!   it, gives equal results.
//!
//! 32 cases of at most 8 months: about a second in the debug profile.

use proptest::prelude::*;
use shortfall::engine;
use shortfall::{Scenario, World};

const COUNTRIES: [&str; 4] = ["AAA", "BBB", "CCC", "DDD"];

#[derive(Clone, Debug)]
struct ProductSpec {
    e_short: f64,
    e_long_extra: f64,
    kappa: f64,
    sigma: f64,
    e_supply: f64,
    m_min: f64,
    m_max: f64,
    d_min: f64,
    d_max: f64,
    cover: f64,
    restock: f64,
}

#[derive(Clone, Debug)]
struct CountrySpec {
    mine: f64,
    refine: f64,
    /// Final demand for ore, oxide and co-product, t/yr.
    demand: [f64; 3],
}

#[derive(Clone, Debug)]
enum Shock {
    Restriction {
        from: usize,
        product: usize,
        mode: u8,
        level: f64,
        start: u32,
        duration: u32,
    },
    Capacity {
        country: usize,
        process: usize,
        change: f64,
        start: u32,
    },
    Outage {
        country: usize,
        process: usize,
        loss: f64,
        start: u32,
        duration: u32,
    },
    Demand {
        country: usize,
        product: usize,
        multiplier: f64,
        start: u32,
    },
    Stockpile {
        country: usize,
        product: usize,
        tonnes: f64,
        buy: f64,
        fill: f64,
        start: u32,
    },
}

#[derive(Clone, Debug)]
struct Case {
    products: usize,
    specs: Vec<ProductSpec>,
    countries: Vec<CountrySpec>,
    yield_oxide: f64,
    yield_co: f64,
    horizon: u32,
    seed: u64,
    shocks: Vec<Shock>,
}

fn product_spec() -> impl Strategy<Value = ProductSpec> {
    (
        (0.02..0.5f64, 0.0..1.0f64, 0.01..1.0f64, 0.0..0.1f64),
        (0.0..1.0f64, 0.02..0.5f64, 1.5..100.0f64),
        (0.0..0.95f64, 1.05..3.0f64, 0.0..4.0f64, 1.0..6.0f64),
    )
        .prop_map(
            |(
                (e_short, e_long_extra, kappa, sigma),
                (e_supply, m_min, m_max),
                (d_min, d_max, cover, restock),
            )| ProductSpec {
                e_short,
                e_long_extra,
                kappa,
                sigma,
                e_supply,
                m_min,
                m_max,
                d_min,
                d_max,
                cover,
                restock,
            },
        )
}

fn country_spec() -> impl Strategy<Value = CountrySpec> {
    (
        prop_oneof![Just(0.0), 10.0..2000.0f64],
        prop_oneof![Just(0.0), 10.0..2000.0f64],
        prop::array::uniform3(prop_oneof![Just(0.0), 1.0..800.0f64]),
    )
        .prop_map(|(mine, refine, demand)| CountrySpec {
            mine,
            refine,
            demand,
        })
}

fn shock(countries: usize, products: usize) -> impl Strategy<Value = Shock> {
    let c = 0..countries;
    let p = 0..products;
    prop_oneof![
        (c.clone(), p.clone(), 0..4u8, 0.0..1.0f64, 0..4u32, 1..6u32).prop_map(
            |(from, product, mode, level, start, duration)| Shock::Restriction {
                from,
                product,
                mode,
                level,
                start,
                duration,
            }
        ),
        (c.clone(), 0..2usize, -1500.0..1500.0f64, 0..6u32).prop_map(
            |(country, process, change, start)| Shock::Capacity {
                country,
                process,
                change,
                start,
            }
        ),
        (c.clone(), 0..2usize, 0.0..1.0f64, 0..6u32, 1..4u32).prop_map(
            |(country, process, loss, start, duration)| Shock::Outage {
                country,
                process,
                loss,
                start,
                duration,
            }
        ),
        (c.clone(), p.clone(), 0.2..3.0f64, 0..6u32).prop_map(
            |(country, product, multiplier, start)| Shock::Demand {
                country,
                product,
                multiplier,
                start,
            }
        ),
        (c, p, 0.0..500.0f64, 0.0..300.0f64, 0.0..1.0f64, 0..4u32).prop_map(
            |(country, product, tonnes, buy, fill, start)| Shock::Stockpile {
                country,
                product,
                tonnes,
                buy,
                fill,
                start,
            }
        ),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (2..=4usize, 2..=3usize)
        .prop_flat_map(|(countries, products)| {
            (
                Just(products),
                prop::collection::vec(product_spec(), products),
                prop::collection::vec(country_spec(), countries),
                0.2..1.0f64,
                0.01..0.3f64,
                2..=8u32,
                any::<u64>(),
                prop::collection::vec(shock(countries, products), 0..8),
            )
        })
        .prop_map(
            |(products, specs, countries, yield_oxide, yield_co, horizon, seed, shocks)| Case {
                products,
                specs,
                countries,
                yield_oxide,
                yield_co,
                horizon,
                seed,
                shocks,
            },
        )
}

const PRODUCTS: [&str; 3] = ["ore", "oxide", "co"];
const PROCESSES: [&str; 2] = ["mine", "refine"];

fn world_toml(case: &Case) -> String {
    let mut t = String::from("[world]\nname = \"random\"\n\n");
    for (id, s) in PRODUCTS.iter().zip(&case.specs) {
        t += &format!(
            "[products.{id}]\np_ref = 10\ne_short = {}\ne_long = {}\ntau_sub = 6\nsigma = {}\n\
             kappa = {}\ne_supply = {}\nm_min = {}\nm_max = {}\nd_min = {}\nd_max = {}\n\
             cover = {}\nrestock = {}\n\n",
            s.e_short,
            s.e_short + s.e_long_extra,
            s.sigma,
            s.kappa,
            s.e_supply,
            s.m_min,
            s.m_max,
            s.d_min,
            s.d_max,
            s.cover,
            s.restock
        );
    }
    let co = if case.products == 3 {
        format!(", co = {}", case.yield_co)
    } else {
        String::new()
    };
    t += "[processes.mine]\nstage = \"mining\"\noutputs = { ore = 1 }\n\n";
    t += &format!(
        "[processes.refine]\nstage = \"processing\"\ninputs = {{ ore = 1 }}\noutputs = {{ oxide = {}{co} }}\n\n",
        case.yield_oxide
    );
    for (id, c) in COUNTRIES.iter().zip(&case.countries) {
        t += &format!(
            "[countries.{id}]\nprocesses.mine = {{ cap0 = {} }}\nprocesses.refine = {{ cap0 = {} }}\n",
            c.mine, c.refine
        );
        for (p, d) in PRODUCTS.iter().zip(c.demand).take(case.products) {
            t += &format!("products.{p} = {{ d_ref = {d} }}\n");
        }
        t += "\n";
    }
    t
}

fn scenario_toml(case: &Case) -> String {
    let report: Vec<String> = COUNTRIES[..case.countries.len()]
        .iter()
        .flat_map(|c| {
            PRODUCTS[..case.products]
                .iter()
                .map(move |p| format!("{{ country = \"{c}\", product = \"{p}\" }}"))
        })
        .collect();
    let mut t = format!(
        "[scenario]\nname = \"random\"\nhorizon_months = {}\ntrials = 2\nseed = {}\nreport = [{}]\n\n",
        case.horizon,
        case.seed,
        report.join(", ")
    );
    for (i, shock) in case.shocks.iter().enumerate() {
        t += &format!("[[shock]]\nid = \"s{i}\"\n");
        t += &match *shock {
            Shock::Restriction {
                from,
                product,
                mode,
                level,
                start,
                duration,
            } => {
                let mode = match mode {
                    0 => "mode = \"ban\"".to_string(),
                    1 => format!("mode = \"license\"\napproval = {level}\ndelay_months = {}", start % 3),
                    2 => format!("mode = \"quota\"\ntonnes_per_year = {}", level * 1000.0),
                    _ => format!("mode = \"tariff\"\nrate = {level}"),
                };
                format!(
                    "kind = \"export_restriction\"\nfrom = \"{}\"\nproducts = [\"{}\"]\nto = \"all\"\n{mode}\n\
                     start_month = {start}\nduration_months = {duration}\n",
                    COUNTRIES[from], PRODUCTS[product]
                )
            }
            Shock::Capacity {
                country,
                process,
                change,
                start,
            } => format!(
                "kind = \"capacity\"\ncountry = \"{}\"\nprocess = \"{}\"\nchange_tpa = {change}\nstart_month = {start}\n",
                COUNTRIES[country], PROCESSES[process]
            ),
            Shock::Outage {
                country,
                process,
                loss,
                start,
                duration,
            } => format!(
                "kind = \"outage\"\ncountry = \"{}\"\nprocess = \"{}\"\nloss = {loss}\nstart_month = {start}\nduration_months = {duration}\n",
                COUNTRIES[country], PROCESSES[process]
            ),
            Shock::Demand {
                country,
                product,
                multiplier,
                start,
            } => format!(
                "kind = \"demand\"\ncountry = \"{}\"\nproduct = \"{}\"\nmultiplier = {multiplier}\nstart_month = {start}\n",
                COUNTRIES[country], PRODUCTS[product]
            ),
            Shock::Stockpile {
                country,
                product,
                tonnes,
                buy,
                fill,
                start,
            } => format!(
                "kind = \"stockpile\"\ncountry = \"{}\"\nproduct = \"{}\"\ntonnes = {tonnes}\nbuy_tpa = {buy}\n\
                 release_below_fill = {fill}\nstart_month = {start}\n",
                COUNTRIES[country], PRODUCTS[product]
            ),
        };
        t += "\n";
    }
    t
}

/// The largest factor a tariff can add to what buyers pay of `product`.
fn tariff_factor(case: &Case, product: usize) -> f64 {
    1.0 + case
        .shocks
        .iter()
        .map(|s| match *s {
            Shock::Restriction {
                product: p,
                mode: 3,
                level,
                ..
            } if p == product => level,
            _ => 0.0,
        })
        .sum::<f64>()
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let world_text = world_toml(case);
    let world = World::from_toml("random_world.toml", world_text.as_str())
        .map_err(|e| TestCaseError::fail(format!("world: {e}\n{world_text}")))?;
    let text = scenario_toml(case);
    let scenario = Scenario::from_toml_with_world("random.toml", text.as_str(), world)
        .map_err(|e| TestCaseError::fail(format!("scenario: {e}\n{text}")))?;
    let np = case.products;
    for trial in 0..2 {
        let replay = engine::replay(&scenario, trial);
        prop_assert_eq!(replay.ledgers.len(), case.horizon as usize);
        for (t, month) in replay.ledgers.iter().enumerate() {
            for (p, l) in month.iter().enumerate() {
                let flows = [
                    l.produced_t,
                    l.served_t,
                    l.consumed_t,
                    l.injected_t,
                    l.stock_change_t,
                ];
                prop_assert!(
                    flows.iter().all(|x| x.is_finite()),
                    "month {t} product {p}: {l:?}"
                );
                let scale = flows.iter().fold(1.0f64, |a, x| a.max(x.abs()));
                prop_assert!(
                    l.imbalance().abs() <= 1e-9 * scale,
                    "mass balance, month {t} product {p}: {l:?} imbalance {}",
                    l.imbalance()
                );
            }
        }
        for month in &replay.rows {
            for (k, row) in month.iter().enumerate() {
                let p = k % np;
                let spec = &case.specs[p];
                let all = [
                    row.output_t,
                    row.offered_t,
                    row.demand_t,
                    row.normal_demand_t,
                    row.input_claim_t,
                    row.restock_claim_t,
                    row.received_t,
                    row.drawn_t,
                    row.served_t,
                    row.unserved_t,
                    row.stock_t,
                    row.stockpile_t,
                    row.price_multiple,
                ];
                prop_assert!(all.iter().all(|x| x.is_finite()), "{row:?}");
                let tiny = 1e-9 * row.demand_t.max(1.0);
                prop_assert!(row.stock_t >= -tiny && row.stockpile_t >= -tiny, "{row:?}");
                prop_assert!(row.unserved_t >= -tiny && row.served_t >= -tiny, "{row:?}");
                prop_assert!(row.served_t <= row.demand_t + tiny, "{row:?}");
                prop_assert!(row.drawn_t >= -tiny && row.received_t >= -tiny, "{row:?}");
                let (lo, hi) = (spec.m_min, spec.m_max * tariff_factor(case, p));
                prop_assert!(
                    row.price_multiple >= lo * (1.0 - 1e-12)
                        && row.price_multiple <= hi * (1.0 + 1e-12),
                    "price {} outside [{lo}, {hi}]: {row:?}",
                    row.price_multiple
                );
            }
        }
        let record = &replay.record;
        prop_assert!(record.focus.is_finite());
        prop_assert!(record.uncertain_values.iter().all(|x| x.is_finite()));
        prop_assert!(record.split_gaps.iter().all(|x| !x.is_nan()));
        for e in &record.entries {
            prop_assert!(e.unserved_t >= 0.0 && e.unserved_t.is_finite(), "{e:?}");
            prop_assert!(e.peak_price.is_finite() && e.price_path.iter().all(|x| x.is_finite()));
        }
        // Determinism: the same trial again, alone and as a run sees it.
        let again = engine::replay(&scenario, trial);
        prop_assert_eq!(&again.rows, &replay.rows);
        prop_assert_eq!(&again.ledgers, &replay.ledgers);
        prop_assert_eq!(&again.record, &replay.record);
        let records = engine::trial_records(&scenario, trial..trial + 1);
        prop_assert_eq!(&records[0], &replay.record);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPS_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(32),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_worlds_conserve_mass_and_stay_in_bounds(case in case()) {
        check(&case)?;
    }
}
