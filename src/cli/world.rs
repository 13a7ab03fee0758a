//! `shortfall world`: who makes what, who holds the reserves, and the balance.

use std::path::Path;

use serde::Serialize;

use super::{emit, tonnes};
use crate::world::{Balance, Concentration, Shares, World};

/// Months over which `shortfall world` checks the balance.
const BALANCE_HORIZON_MONTHS: u32 = 60;

/// The JSON of `shortfall world`: each row keyed by its kind (`"stage"`,
/// `"process"`, `"product"`) as well as `"name"`; process shares carry the
/// source of the capacity behind them.
#[derive(Serialize)]
struct WorldReport<'a> {
    name: &'a str,
    file: String,
    stages: Vec<Row<'a>>,
    processes: Vec<Row<'a>>,
    products: Vec<Row<'a>>,
    reserves: &'a [crate::world::Reserve],
    balance: &'a Balance,
}

#[derive(Serialize)]
struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    process: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<&'a str>,
    name: &'a str,
    total_tpa: f64,
    hhi: f64,
    shares: Vec<ShareWithSource<'a>>,
}

#[derive(Serialize)]
struct ShareWithSource<'a> {
    country: &'a str,
    share: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

/// Which kind of row, for its key.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Stage,
    Process,
    Product,
}

fn rows<'a>(world: &'a World, shares: &'a [Shares], kind: Kind) -> Vec<Row<'a>> {
    shares
        .iter()
        .map(|row| {
            let process = world
                .process_index(&row.name)
                .filter(|_| kind == Kind::Process);
            Row {
                stage: (kind == Kind::Stage).then_some(row.name.as_str()),
                process: (kind == Kind::Process).then_some(row.name.as_str()),
                product: (kind == Kind::Product).then_some(row.name.as_str()),
                name: &row.name,
                total_tpa: row.total_tpa,
                hhi: row.hhi,
                shares: row
                    .shares
                    .iter()
                    .map(|s| ShareWithSource {
                        country: &s.country,
                        share: s.share,
                        source: process.and_then(|j| capacity_source(world, &s.country, j)),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The source of a country's capacity figure for a process.
fn capacity_source(world: &World, country: &str, process: usize) -> Option<String> {
    let c = world.country_index(country)?;
    let plant = world.countries[c].plants[process].as_ref()?;
    plant
        .field(crate::world::PlantField::Cap0)
        .provenance
        .as_ref()
        .map(|p| p.to_string())
}

pub(super) fn run(file: Option<&Path>, json: bool) -> Result<(), String> {
    let world = match file {
        Some(path) => World::from_path(path).map_err(|e| e.to_string())?,
        None => World::default_world(),
    };
    let concentration = world.concentration();
    let balance = world.balance(BALANCE_HORIZON_MONTHS);
    if json {
        let report = WorldReport {
            name: &world.name,
            file: world.file.display().to_string(),
            stages: rows(&world, &concentration.stages, Kind::Stage),
            processes: rows(&world, &concentration.processes, Kind::Process),
            products: rows(&world, &concentration.products, Kind::Product),
            reserves: &concentration.reserves,
            balance: &balance,
        };
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        emit(&format!("{text}\n"))?;
    } else {
        emit(&table(&world, &concentration, &balance))?;
    }
    Ok(())
}

fn table(world: &World, concentration: &Concentration, balance: &Balance) -> String {
    let mut out = String::new();
    let title = if world.name.is_empty() {
        world.file.display().to_string()
    } else {
        format!("{} ({})", world.name, world.file.display())
    };
    out.push_str(&format!(
        "{title}\n{} countries, {} products, {} processes\n\n",
        world.countries.len(),
        world.products.len(),
        world.processes.len()
    ));
    out.push_str("Shares of normal-month output at central figures; HHI on 0..10,000 (>2,500: highly concentrated).\n\n");
    let sections = [
        ("Stage", &concentration.stages),
        ("Process", &concentration.processes),
        ("Product", &concentration.products),
    ];
    for (heading, rows) in sections {
        out.push_str(&format!(
            "{:<16} {:>12} {:>7}  top three\n",
            heading, "t/yr", "HHI"
        ));
        for row in rows.iter() {
            out.push_str(&shares_line(row));
        }
        out.push('\n');
    }
    out.push_str(&format!("{:<8} {:>14}  source\n", "Reserves", "t"));
    for r in &concentration.reserves {
        out.push_str(&format!(
            "{:<8} {:>14}  {}\n",
            r.country,
            tonnes(r.tonnes),
            r.source
        ));
    }
    out.push_str(&format!(
        "\nBalance (output against normal use plus stock-target growth), months 0 and {}:\n",
        balance.horizon_months - 1
    ));
    out.push_str(&format!(
        "{:<16} {:>12} {:>12} {:>10} {:>10}\n",
        "Product", "output t/mo", "need t/mo", "gap m0", "gap last"
    ));
    for row in &balance.rows {
        out.push_str(&format!(
            "{:<16} {:>12} {:>12} {:>9.4}% {:>9.4}%\n",
            row.product,
            tonnes(row.output_tpm),
            tonnes(row.need_tpm),
            100.0 * row.gap_share,
            100.0 * row.gap_share_last
        ));
    }
    let worst = balance.worst_gap();
    out.push_str(&if worst.abs() < 1e-6 {
        "The world is balanced.\n".to_string()
    } else {
        format!(
            "The world is out of balance: the largest gap is {:+.3}% of output.\n",
            100.0 * worst
        )
    });
    out
}

fn shares_line(row: &Shares) -> String {
    let top: Vec<String> = row
        .shares
        .iter()
        .take(3)
        .map(|s| format!("{} {:.1}%", s.country, 100.0 * s.share))
        .collect();
    format!(
        "{:<16} {:>12} {:>7.0}  {}\n",
        row.name,
        tonnes(row.total_tpa),
        row.hhi,
        top.join(", ")
    )
}
