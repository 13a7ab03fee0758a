//! `shortfall run` and `shortfall replay`, and the report outputs that
//! `shortfall merge` shares with `run`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::{emit, tonnes, write_file};
use crate::engine::{self, RunOptions, Shard, Stop, BATCH_SIZE};
use crate::input::Limits;
use crate::report::partial::{Partial, Sources};
use crate::report::{Manifest, Report, StopInfo};
use crate::scenario::Scenario;

/// Where a report goes: the flags `run` and `merge` share.
#[derive(Debug, clap::Args)]
pub(super) struct Outputs {
    /// Write the JSON report to PATH (`-`: to stdout, instead of the table).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write tidy CSV files into DIR.
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// Write SVG charts (price fans, tornado) into DIR.
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
    /// No table (and no progress bar or notes on stderr).
    #[arg(long)]
    pub quiet: bool,
}

/// What `shortfall run` was asked to do.
pub(super) struct RunArgs {
    pub file: PathBuf,
    pub trials: Option<u32>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub horizon: Option<u32>,
    pub outputs: Outputs,
    pub shard: Option<Shard>,
    pub partial: Option<PathBuf>,
    pub precision: Option<f64>,
    pub allow_large: bool,
}

/// Reads the scenario and applies the command line's overrides (whose size
/// the caller checks against its limits).
fn load(
    file: &Path,
    seed: Option<u64>,
    horizon: Option<u32>,
    trials: Option<u32>,
) -> Result<Scenario, String> {
    // Parsing checks the file's own size against the default limits; a run
    // that asks for more on the command line is checked after the overrides.
    let lifted = Limits::default().with_run_size_lifted();
    let mut scenario = Scenario::from_path_with_limits(file, &lifted).map_err(|e| e.to_string())?;
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
    let mut scenario = load(&args.file, args.seed, args.horizon, args.trials)?;
    // The run's size after the command line's overrides; --allow-large lifts
    // the limits on trials, horizon, work and fan cells.
    let limits = if args.allow_large {
        Limits::default().with_run_size_lifted()
    } else {
        Limits::default()
    };
    scenario.check_limits(&limits).map_err(|e| e.to_string())?;
    if args.threads == Some(0) {
        return Err("--threads must be at least 1".into());
    }
    if let Some(target) = args.precision {
        if !(target.is_finite() && target > 0.0) {
            return Err(format!(
                "--precision must be a positive number, such as 0.01; found {target}"
            ));
        }
    }
    // Read the texts a partial carries before running, so that a file that
    // cannot be read (or changed meanwhile) fails fast, not after the run.
    let sources = match &args.partial {
        Some(_) => Some(Sources::of(&scenario).map_err(|e| e.to_string())?),
        None => None,
    };
    let shard = args
        .shard
        .or(args.partial.as_ref().map(|_| Shard { index: 0, count: 1 }));
    let cancel = interrupt_on_ctrl_c();
    let options = RunOptions {
        trials: Some(scenario.trials),
        threads: args.threads,
        shard,
        precision: args.precision,
        cancel: Some(cancel),
    };
    let planned = shard.map_or(0..scenario.trials, |s| s.trials(scenario.trials));
    let quiet = args.outputs.quiet;
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(planned.len() as u64);
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
    if result.stop == Stop::Cancelled {
        let what = match &args.partial {
            Some(path) => format!("the partial {} was not written", path.display()),
            None => "no report, JSON, CSV or SVG was written".to_string(),
        };
        return Err(format!(
            "interrupted after {} of {} trials: {what}",
            result.statistics.trials(),
            planned.len()
        ));
    }

    if let (Some(path), Some(sources), Some(shard)) = (&args.partial, sources, shard) {
        let trials = result.trials.clone();
        let partial = Partial::new(&scenario, sources, shard, result).map_err(|e| e.to_string())?;
        partial.write(path).map_err(|e| e.to_string())?;
        if !quiet {
            eprintln!(
                "shard {}/{}: trials {}..{} of {} written to {}",
                shard.index + 1,
                shard.count,
                trials.start,
                trials.end,
                scenario.trials,
                path.display()
            );
        }
        return Ok(());
    }

    let ran = result.statistics.trials();
    let stopped = args
        .precision
        .and_then(|target| StopInfo::new(result.stop, target, ran));
    if let Stop::Precision { trials } = result.stop {
        // The report of a run that stopped at its precision is the report of
        // a run of that many trials, plus the `stopped` note.
        scenario.trials = trials;
    }
    if let (Some(s), false) = (&stopped, quiet) {
        eprintln!("{}", stop_note(s));
    }
    let mut report = Report::new(
        &scenario,
        &result.statistics,
        Manifest::new(result.threads, BATCH_SIZE),
    );
    report.manifest.stopped = stopped;
    write_outputs(&report, &args.outputs)
}

/// A flag that Ctrl-C sets, so a run stops between trials and writes nothing;
/// a second Ctrl-C exits at once. Without a handler (one is already set, or the
/// platform refuses) the flag is simply never set.
fn interrupt_on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = flag.clone();
    let _ = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
    });
    flag
}

/// One line on how a run with a precision target ended.
pub(super) fn stop_note(s: &StopInfo) -> String {
    match s.relative_error {
        None => format!("precision {} reached after {} trials", s.target, s.trials),
        Some(e) => format!(
            "precision {} not reached within {} trials (relative standard error {e:.4})",
            s.target, s.trials
        ),
    }
}

/// Writes the report where `outputs` says: JSON, CSV, SVG, and the table on
/// stdout unless the JSON goes there or `quiet`.
pub(super) fn write_outputs(report: &Report, outputs: &Outputs) -> Result<(), String> {
    let json_to_stdout = outputs.json.as_deref() == Some(Path::new("-"));
    if let Some(path) = &outputs.json {
        let text = serde_json::to_string_pretty(report).map_err(|e| e.to_string())? + "\n";
        if json_to_stdout {
            emit(&text)?;
        } else {
            write_file(path, &text)?;
        }
    }
    if let Some(dir) = &outputs.csv {
        report
            .write_csv(dir)
            .map_err(|e| format!("cannot write CSV to {}: {e}", dir.display()))?;
    }
    if let Some(dir) = &outputs.svg {
        report
            .write_svg(dir)
            .map_err(|e| format!("cannot write SVG to {}: {e}", dir.display()))?;
    }
    if !json_to_stdout && !outputs.quiet {
        emit(&report.to_table())?;
    }
    Ok(())
}

pub(super) fn replay(
    file: &Path,
    trial: u32,
    seed: Option<u64>,
    horizon: Option<u32>,
    csv: Option<&Path>,
) -> Result<(), String> {
    let scenario = load(file, seed, horizon, None)?;
    let replay = engine::replay(&scenario, trial);
    let world = &scenario.world;
    if let Some(path) = csv {
        let text = replay_csv(&scenario, trial, &replay);
        if path == Path::new("-") {
            return emit(&text);
        }
        write_file(path, &text)?;
    }
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

/// The replay's month rows as tidy CSV, one row per month and report entry,
/// every figure at full precision (shortest text that reads back to the same
/// `f64`), so that another implementation can be compared with it.
fn replay_csv(scenario: &Scenario, trial: u32, replay: &engine::Replay) -> String {
    let world = &scenario.world;
    let mut out = String::from(
        "trial,month,country,product,output_t,offered_t,demand_t,normal_demand_t,\
         input_claim_t,restock_claim_t,received_t,drawn_t,served_t,unserved_t,stock_t,\
         stockpile_t,price_multiple\n",
    );
    for month in &replay.rows {
        // The focus pair, when it is not reported, comes last and is skipped.
        for (entry, r) in scenario.report.iter().zip(month) {
            out.push_str(&format!(
                "{trial},{},{},{}",
                r.month, world.countries[entry.country].id, world.products[entry.product].id
            ));
            for x in [
                r.output_t,
                r.offered_t,
                r.demand_t,
                r.normal_demand_t,
                r.input_claim_t,
                r.restock_claim_t,
                r.received_t,
                r.drawn_t,
                r.served_t,
                r.unserved_t,
                r.stock_t,
                r.stockpile_t,
                r.price_multiple,
            ] {
                // `+ 0.0` writes a negative zero as 0.
                out.push_str(&format!(",{}", x + 0.0));
            }
            out.push('\n');
        }
    }
    out
}
