//! `shortfall check`: validate a scenario and show what it resolved.

use std::path::Path;

use super::emit;
use crate::scenario::{Parameter, Scenario, Target, WorldSource};

pub(super) fn run(file: &Path) -> Result<(), String> {
    let scenario = Scenario::from_path(file).map_err(|e| e.to_string())?;
    emit(&summary(&scenario))
}

fn summary(s: &Scenario) -> String {
    let world = &s.world;
    let pair = |c: usize, p: usize| format!("{} {}", world.countries[c].id, world.products[p].id);
    let mut out = format!("{}: ok\n", s.file.display());
    if !s.name.is_empty() {
        out.push_str(&format!("  name      {}\n", s.name));
    }
    let world_name = match &s.world_source {
        WorldSource::Default => "the embedded default world".to_string(),
        WorldSource::File(path) => path.display().to_string(),
    };
    out.push_str(&format!(
        "  world     {world_name}: {} ({} countries, {} products, {} processes)\n",
        world.name,
        world.countries.len(),
        world.products.len(),
        world.processes.len()
    ));
    out.push_str(&format!(
        "  run       {} months, {} trials, seed {}\n",
        s.horizon_months, s.trials, s.seed
    ));
    let report: Vec<String> = s
        .report
        .iter()
        .map(|r| pair(r.country, r.product))
        .collect();
    out.push_str(&format!("  report    {}\n", report.join("; ")));
    out.push_str(&format!(
        "  focus     {} of {}\n",
        s.focus.outcome.name(),
        pair(s.focus.country, s.focus.product)
    ));
    out.push_str(&format!("  shocks    {}\n", s.shocks.len()));
    for (i, shock) in s.shocks.iter().enumerate() {
        out.push_str(&format!(
            "    {:<24} {:<18} {}\n",
            shock.id,
            shock.kind.name(),
            s.describe_shock(i)
        ));
    }
    let (of_world, of_shocks): (Vec<&Parameter>, Vec<&Parameter>) = s
        .uncertain_parameters()
        .partition(|p| matches!(p.target, Target::World(_)));
    out.push_str(&format!(
        "  uncertain parameters: {} ({} in the scenario, {} in the world)\n",
        of_world.len() + of_shocks.len(),
        of_shocks.len(),
        of_world.len()
    ));
    for p in of_shocks.iter().chain(&of_world) {
        out.push_str(&format!("    {:<52} {}\n", p.path, p.quantity));
    }
    if !s.correlations.is_empty() {
        out.push_str(&format!("  correlations: {}\n", s.correlations.len()));
        for c in &s.correlations {
            out.push_str(&format!(
                "    {} ~ {}: rank correlation {}\n",
                s.parameters[c.a].path, s.parameters[c.b].path, c.rho
            ));
        }
    }
    out
}
