//! `shortfall world`: who makes what, who holds the reserves, and the balance.

use std::path::Path;

use serde::Serialize;

use super::tonnes;
use crate::world::{Balance, Concentration, Shares, World};

/// Months over which `shortfall world` checks the balance.
const BALANCE_HORIZON_MONTHS: u32 = 60;

#[derive(Serialize)]
struct WorldReport<'a> {
    name: &'a str,
    file: String,
    #[serde(flatten)]
    concentration: &'a Concentration,
    balance: &'a Balance,
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
            concentration: &concentration,
            balance: &balance,
        };
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", table(&world, &concentration, &balance));
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
