//! `shortfall run` and `shortfall replay`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::{emit, tonnes, write_file};
use crate::engine::{self, RunOptions, BATCH_SIZE};
use crate::report::{Manifest, Report};
use crate::scenario::Scenario;

/// What `shortfall run` was asked to do.
pub(super) struct RunArgs {
    pub file: PathBuf,
    pub trials: Option<u32>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub horizon: Option<u32>,
    pub json: Option<PathBuf>,
    pub csv: Option<PathBuf>,
    pub svg: Option<PathBuf>,
    pub quiet: bool,
}

/// Reads the scenario and applies the command line's overrides.
fn load(
    file: &Path,
    seed: Option<u64>,
    horizon: Option<u32>,
    trials: Option<u32>,
) -> Result<Scenario, String> {
    let mut scenario = Scenario::from_path(file).map_err(|e| e.to_string())?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    if let Some(horizon) = horizon {
        if horizon == 0 {
            return Err("--horizon must be at least 1 month".into());
        }
        scenario.horizon_months = horizon;
    }
    if let Some(trials) = trials {
        if trials == 0 {
            return Err("--trials must be at least 1".into());
        }
        scenario.trials = trials;
    }
    Ok(scenario)
}

pub(super) fn run(args: RunArgs) -> Result<(), String> {
    let scenario = load(&args.file, args.seed, args.horizon, args.trials)?;
    if args.threads == Some(0) {
        return Err("--threads must be at least 1".into());
    }
    let options = RunOptions {
        trials: Some(scenario.trials),
        threads: args.threads,
        ..RunOptions::default()
    };
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(u64::from(scenario.trials));
        // The template is a constant; should it ever be rejected, the bar keeps
        // indicatif's default style.
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} trials, {per_sec}, eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(scenario.name.clone());
        bar
    });
    let result = engine::run_with_progress(&scenario, &options, |done| {
        if let Some(bar) = &bar {
            bar.set_position(u64::from(done));
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = Report::new(
        &scenario,
        &result.statistics,
        Manifest::new(result.threads, BATCH_SIZE),
    );

    let json_to_stdout = args.json.as_deref() == Some(Path::new("-"));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n";
        if json_to_stdout {
            emit(&text)?;
        } else {
            write_file(path, &text)?;
        }
    }
    if let Some(dir) = &args.csv {
        report
            .write_csv(dir)
            .map_err(|e| format!("cannot write CSV to {}: {e}", dir.display()))?;
    }
    if let Some(dir) = &args.svg {
        report
            .write_svg(dir)
            .map_err(|e| format!("cannot write SVG to {}: {e}", dir.display()))?;
    }
    if !json_to_stdout && !args.quiet {
        emit(&report.to_table())?;
    }
    Ok(())
}

pub(super) fn replay(
    file: &Path,
    trial: u32,
    seed: Option<u64>,
    horizon: Option<u32>,
) -> Result<(), String> {
    let scenario = load(file, seed, horizon, None)?;
    let replay = engine::replay(&scenario, trial);
    let world = &scenario.world;
    let mut out = format!(
        "{}: trial {trial} of seed {}, {} months\n",
        scenario.file.display(),
        scenario.seed,
        scenario.horizon_months
    );
    let draw = scenario.draw(trial);
    out.push_str("\nShocks:\n");
    for (i, shock) in scenario.shocks.iter().enumerate() {
        let happens = if draw.occurs[i] {
            "happens"
        } else {
            "does not happen"
        };
        out.push_str(&format!(
            "  {:<20} {happens}: {}\n",
            shock.id,
            scenario.describe_shock(i)
        ));
    }
    let uncertain: Vec<_> = scenario
        .parameters
        .iter()
        .enumerate()
        .filter(|(_, p)| p.quantity.is_uncertain())
        .collect();
    if !uncertain.is_empty() {
        out.push_str("\nSampled parameters:\n");
        for (i, p) in uncertain {
            out.push_str(&format!("  {:<52} {:>12.4}\n", p.path, draw.values[i]));
        }
    }
    for (k, entry) in scenario.report.iter().enumerate() {
        let record = &replay.record.entries[k];
        out.push_str(&format!(
            "\n{} {}: unserved {} t of {} t normal demand, {} months short, peak price {:.2}x\n",
            world.countries[entry.country].id,
            world.products[entry.product].id,
            tonnes(record.unserved_t),
            tonnes(record.normal_demand_t),
            record.months_short,
            record.peak_price
        ));
        out.push_str(&format!(
            "{:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}\n",
            "month",
            "output",
            "offered",
            "demand",
            "inputs",
            "restock",
            "received",
            "drawn",
            "unserved",
            "stock",
            "price"
        ));
        for month in &replay.rows {
            let r = &month[k];
            out.push_str(&format!(
                "{:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8.3}\n",
                r.month,
                tonnes(r.output_t),
                tonnes(r.offered_t),
                tonnes(r.demand_t),
                tonnes(r.input_claim_t),
                tonnes(r.restock_claim_t),
                tonnes(r.received_t),
                tonnes(r.drawn_t),
                tonnes(r.unserved_t),
                tonnes(r.stock_t),
                r.price_multiple
            ));
        }
    }
    emit(&out)
}
